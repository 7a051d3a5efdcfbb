// The on-device outbox: every courier action is written to IndexedDB first, with the phone's
// time and its own Idempotency-Key, then sent in order when the network allows. A 2xx, or a
// 4xx other than 401/408/429, removes it (the server has decided; a refused one is kept in a
// visible "refused" list); anything else keeps it and retries with backoff. The key makes a
// resend after a lost answer harmless, so each action is recorded exactly once.
import { uuid } from "/static/common/api.js";

const DB_NAME = "cd-courier";
const STORE = "outbox";
const RETRYABLE = new Set([401, 408, 429]);

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const out = fn(t.objectStore(STORE));
    t.oncomplete = () => { db.close(); resolve(out && "result" in out ? out.result : undefined); };
    t.onerror = () => { db.close(); reject(t.error); };
  });
}

export class Outbox {
  constructor({ send, onChange, onSent }) {
    this.send = send;
    this.onChange = onChange || (() => {});
    this.onSent = onSent || (() => {});
    this.timer = null;
    this.running = false;
    this.again = false;
    this.blocked = null; // "auth" when the token expired: wait for a new login
    window.addEventListener("online", () => this.flush(true));
  }
  all() { return tx("readonly", (s) => s.getAll()); }
  async add(entry) {
    const item = { ...entry, key: entry.key || uuid(), queued_at: new Date().toISOString(), attempts: 0, next_at: 0, last_error: null };
    await tx("readwrite", (s) => s.add(item));
    this.onChange();
    this.flush(true);
  }
  async flush(now = false) {
    if (now) { clearTimeout(this.timer); this.timer = null; }
    if (this.running) { this.again = true; return; }
    this.running = true;
    try {
      do {
        this.again = false;
        // One tab at a time: two tabs sending the same item would both be answered once
        // anyway (same key), but there is no need to race.
        if (navigator.locks) await navigator.locks.request("cd-outbox", () => this.drain(now));
        else await this.drain(now);
      } while (this.again);
    } finally { this.running = false; }
  }
  async drain(force) {
    const items = (await this.all()).sort((a, b) => a.seq - b.seq);
    for (const item of items) {
      if (!force && item.next_at > Date.now()) { this.schedule(item.next_at - Date.now()); return; }
      let status = 0, detail = "";
      try { ({ status, detail } = await this.send(item)); } catch (e) { detail = String(e.message || e); }
      const done = (status >= 200 && status < 300) || (status >= 400 && status < 500 && !RETRYABLE.has(status));
      if (done) {
        await tx("readwrite", (s) => s.delete(item.seq));
        if (status >= 400) this.refuse(item, status, detail);
        this.onSent(item, status);
        this.onChange();
        continue;
      }
      item.attempts += 1;
      const delay = Math.min(60000, 1000 * 2 ** Math.min(item.attempts, 6)) * (0.75 + Math.random() / 2);
      item.next_at = Date.now() + delay;
      item.last_error = status ? `HTTP ${status}` : "offline";
      await tx("readwrite", (s) => s.put(item));
      this.blocked = status === 401 ? "auth" : null;
      this.onChange();
      if (status !== 401) this.schedule(delay);
      return; // keep the order: a later action waits for the earlier one
    }
  }
  schedule(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), Math.max(250, ms));
  }
  refuse(item, status, detail) {
    const list = this.refused();
    list.unshift({ action: item.action, proof: item.proof, happened_at: item.happened_at, status, detail });
    localStorage.setItem("cd.courier.refused", JSON.stringify(list.slice(0, 10)));
  }
  refused() { return JSON.parse(localStorage.getItem("cd.courier.refused") || "[]"); }
  clearRefused() { localStorage.removeItem("cd.courier.refused"); this.onChange(); }
}
