// HTTP helpers: bearer credential from localStorage, RFC 9457 problems as thrown errors.
// Every request names the page's language: the server answers problems in it (Accept-Language).
import { currentLang } from "/static/common/i18n.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

// A problem as one line in the page's language: its detail, which names the field (in words on a
// French page); an English detail that does not name it gets the field's name after it.
export function problemMessage(e) {
  const field = e.problem && e.problem.field;
  return field && currentLang() === "en" && !e.message.includes(field) ? `${e.message} (${field})` : e.message;
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

export function makeApi(storageKey) {
  const api = {
    get credential() { return localStorage.getItem(storageKey); },
    set credential(v) { v ? localStorage.setItem(storageKey, v) : localStorage.removeItem(storageKey); },
    async call(method, path, { body, headers = {}, raw } = {}) {
      const h = { Accept: "application/json", "Accept-Language": currentLang(), ...headers };
      if (api.credential) h.Authorization = `Bearer ${api.credential}`;
      let payload;
      if (raw !== undefined) payload = raw;
      else if (body !== undefined) { h["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
      const res = await fetch(path, { method, headers: h, body: payload });
      const text = await res.text();
      let data = null;
      try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
      if (!res.ok) throw new ApiError(res.status, data);
      return data;
    },
    get: (p) => api.call("GET", p),
    post: (p, body, headers) => api.call("POST", p, { body, headers }),
    async login(email, password) {
      const out = await api.call("POST", "/api/v1/auth/login", { body: { email, password } });
      api.credential = out.token;
      return out;
    },
    // Revoke a person's token on the server (its sockets close), then forget it here.
    // An API key is not logged out: an admin revokes it.
    async logout() {
      const credential = api.credential;
      if (credential && !credential.startsWith("cd_")) {
        try { await api.call("POST", "/api/v1/auth/logout"); } catch { /* offline or already revoked */ }
      }
      api.credential = null;
    },
  };
  return api;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}
