// Admin view: members and invitations, merchants with their pickup addresses, keys and staff,
// settings and the service area on the map, fee rules (preview, adoption), webhooks, audit, exports.
import { initI18n, t, addTexts, onLangChange } from "/static/common/i18n.js";
import { makeApi, $, $$, el, problemMessage } from "/static/common/api.js";
import { setCoop, money, dateTime } from "/static/common/fmt.js";
import { ADMIN_TEXTS } from "/static/admin/texts.js";

addTexts(ADMIN_TEXTS);
const api = makeApi("cd.admin.token");
const state = { profile: null, members: [], merchants: [], tab: "members", maps: {} };
initI18n($("#lang"));
onLangChange(() => show(state.tab));

const call = async (fn) => {
  $("#error").textContent = "";
  try { return await fn(); } catch (e) {
    $("#error").textContent = problemMessage(e);
    if (e.status === 401) { api.credential = null; location.reload(); }
    return null;
  }
};

function secret(title, value, note) {
  $("#secret-title").textContent = title;
  $("#secret-value").value = value;
  $("#secret-note").textContent = note || "";
  $("#secret").classList.remove("hidden");
  $("#secret-value").select();
  $("#secret").scrollIntoView({ block: "nearest" });
}
$("#copy").addEventListener("click", async () => {
  try { await navigator.clipboard.writeText($("#secret-value").value); } catch { $("#secret-value").select(); document.execCommand("copy"); }
  $("#copy").textContent = t("admin.copied");
});
$("#secret-close").addEventListener("click", () => { $("#secret").classList.add("hidden"); $("#secret-value").value = ""; $("#copy").textContent = t("admin.copy"); });

function linkShown(link) {
  const note = t(link.emailed ? "admin.linkMailed" : "admin.linkNote", { when: dateTime(link.expires_at) });
  secret(t("admin.linkFor", { email: link.email }), link.url, note);
}

// --- tabs -------------------------------------------------------------------------------------
const LOADERS = { members: loadMembers, merchants: loadMerchants, settings: loadSettings, rules: loadRules,
  webhooks: loadWebhooks, audit: loadAudit, exports: async () => {} };
function show(tab) {
  state.tab = tab;
  for (const b of $$(".tabs button")) b.setAttribute("aria-selected", String(b.dataset.tab === tab));
  for (const p of $$(".panel")) p.classList.toggle("hidden", p.dataset.panel !== tab);
  return LOADERS[tab]();
}
for (const b of $$(".tabs button")) b.addEventListener("click", () => show(b.dataset.tab));

// --- members ----------------------------------------------------------------------------------
async function loadMembers() {
  const rows = await call(() => api.get("/api/v1/admin/members"));
  if (!rows) return;
  state.members = rows;
  $("#members").replaceChildren(...rows.filter((m) => m.role !== "merchant").map(memberRow));
}

function memberRow(m) {
  const v = m.courier;
  const status = !m.active ? t("admin.inactive") : m.invited_only ? t("admin.invited") : t("admin.active");
  const actions = el("div", { class: "row" },
    el("button", { type: "button", text: t(m.active ? "admin.deactivate" : "admin.reactivate"), onclick: () => toggle(m) }),
    el("button", { type: "button", text: t("admin.reset"), onclick: () => reset(m) }),
    v ? el("button", { type: "button", text: t("admin.editVehicle"), onclick: () => vehicle(m) }) : null);
  return el("tr", { class: m.active ? "" : "inactive", dataset: { email: m.email } },
    el("td", {}, el("b", { text: m.name }), el("br"), el("span", { class: "muted", text: m.email })),
    el("td", { text: t(`role.${m.role}`) }),
    el("td", { text: v ? `${t(`vehicle.${v.vehicle_kind}`)} · ${v.capacity_kg} kg · ${v.capacity_litres} l · ${v.speed_pct} %` : "" }),
    el("td", { text: status }), el("td", {}, actions));
}

$("#invite-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = { name: $("#inv-name").value, email: $("#inv-email").value, role: $("#inv-role").value };
  const link = await call(() => api.post("/api/v1/admin/members", body));
  if (link) { linkShown(link); $("#invite-form").reset(); await loadMembers(); }
});

async function toggle(m) {
  if (m.active && !confirm(t("admin.confirmDeactivate", { name: m.name }))) return;
  await call(() => api.post(`/api/v1/admin/members/${m.id}/${m.active ? "deactivate" : "reactivate"}`));
  await loadMembers();
}

async function reset(m) {
  const link = await call(() => api.post(`/api/v1/admin/members/${m.id}/password-reset`));
  if (link) linkShown(link);
}

async function vehicle(m) {
  const v = m.courier;
  const answer = prompt(t("admin.vehiclePrompt"), `${v.vehicle_kind}, ${v.capacity_kg}, ${v.capacity_litres}, ${v.speed_pct}`);
  if (!answer) return;
  const [kind, kg, litres, speed] = answer.split(",").map((x) => x.trim());
  await call(() => api.call("PUT", `/api/v1/admin/couriers/${v.id}/vehicle`, { body: {
    kind, capacity_kg: Number(kg), capacity_litres: Number(litres), speed_pct: Number(speed) } }));
  await loadMembers();
}

// --- merchants --------------------------------------------------------------------------------
async function loadMerchants() {
  const rows = await call(() => api.get("/api/v1/admin/merchants"));
  if (!rows) return;
  state.merchants = rows;
  $("#merchants").replaceChildren(...rows.map(merchantCard));
  if (!state.maps.merchant) state.maps.merchant = await siteMap();
}

function merchantCard(m) {
  const keys = m.keys.map((k) => el("li", {}, el("code", { text: `cd_${k.prefix}_…` }), ` ${k.label} `,
    el("span", { class: "muted", text: k.revoked_at ? t("admin.revoked") : k.expires_at ? t("admin.expires", { when: dateTime(k.expires_at) }) : "" }),
    k.revoked_at ? null : el("button", { type: "button", text: t("admin.rotate"), onclick: () => rotate(m, k) }),
    k.revoked_at ? null : el("button", { type: "button", class: "danger", text: t("admin.revoke"), onclick: () => revoke(k) })));
  const staff = m.staff.map((u) => el("li", {}, `${u.name} <${u.email}>${u.active ? "" : ` (${t("admin.inactive")})`} `,
    el("button", { type: "button", text: t(u.active ? "admin.deactivate" : "admin.reactivate"),
      onclick: async () => { await toggle({ ...u, role: "merchant" }); await loadMerchants(); } })));
  return el("div", { class: "card", dataset: { merchant: m.name } },
    el("h2", { text: m.name }),
    el("p", { class: "muted", text: `${m.is_member ? t("admin.member") : t("admin.notMember")} · ${[m.contact_email, m.contact_phone].filter(Boolean).join(" · ")}` }),
    el("ul", {}, m.sites.map((x) => el("li", { text: x.label && x.label !== x.address ? `${x.label}: ${x.address}` : x.address }))),
    el("h3", { text: t("admin.keys") }), el("ul", {}, keys.length ? keys : el("li", { class: "muted", text: t("admin.none") })),
    el("button", { type: "button", text: t("admin.newKey"), onclick: () => newKey(m) }),
    el("h3", { text: t("admin.staff") }), el("ul", {}, staff.length ? staff : el("li", { class: "muted", text: t("admin.none") })),
    el("button", { type: "button", text: t("admin.inviteStaff"), onclick: () => inviteStaff(m) }));
}

async function newKey(m) {
  const label = prompt(t("admin.keyLabel"), "shop");
  if (label === null) return;
  const key = await call(() => api.post(`/api/v1/admin/merchants/${m.id}/keys`, { label }));
  if (key) { secret(t("admin.keyFor", { name: m.name }), key.key); await loadMerchants(); }
}

async function rotate(m, k) {
  const hours = prompt(t("admin.overlap"), "24");
  if (hours === null) return;
  const key = await call(() => api.post(`/api/v1/admin/keys/${k.id}/rotate`, { overlap_h: Number(hours) }));
  if (key) { secret(t("admin.keyFor", { name: m.name }), key.key); await loadMerchants(); }
}

async function revoke(k) {
  await call(() => api.post(`/api/v1/admin/keys/${k.id}/revoke`));
  await loadMerchants();
}

async function inviteStaff(m) {
  const email = prompt(t("admin.staffPrompt"));
  if (!email) return;
  const link = await call(() => api.post(`/api/v1/admin/merchants/${m.id}/staff`, { email, name: email.split("@")[0] }));
  if (link) { linkShown(link); await loadMerchants(); }
}

function parseSites(text) {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).map((line, i) => {
    const m = line.match(/^(.+?)\s*;\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/);
    if (!m) throw new Error(t("admin.badSites", { n: i + 1 }));
    return { label: m[1].slice(0, 100), address: m[1], lat: Number(m[2]), lon: Number(m[3]) };
  });
}

$("#merchant-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  let sites;
  try { sites = parseSites($("#m-sites").value); } catch (e) { $("#error").textContent = e.message; return; }
  const body = { name: $("#m-name").value, sites, is_member: $("#m-member").checked,
    contact_email: $("#m-email").value, contact_phone: $("#m-phone").value };
  const m = await call(() => api.post("/api/v1/admin/merchants", body));
  if (m) { $("#merchant-form").reset(); await loadMerchants(); }
});

// The maps are optional helpers (typing coordinates works without them): loaded on demand.
async function siteMap() {
  try {
    const { createMap } = await import("/static/common/map.js");
    return await createMap($("#m-map"), { credential: api.credential, onClick: (ll) => {
      const line = `; ${ll.lat.toFixed(5)}, ${ll.lng.toFixed(5)}`;
      $("#m-sites").value = ($("#m-sites").value.trim() ? `${$("#m-sites").value.trim()}\n` : "") + line;
      $("#m-sites").focus();
    } });
  } catch { $("#m-map").classList.add("hidden"); return null; }
}

// --- settings and the service area -------------------------------------------------------------
let corners = [];
async function loadSettings() {
  const s = await call(() => api.get("/api/v1/admin/coop"));
  if (!s) return;
  $("#s-name").value = s.name; $("#s-tz").value = s.timezone; $("#s-locale").value = s.locale; $("#s-currency").value = s.currency;
  if (!state.maps.area) state.maps.area = await areaMap(s.service_area);
}

$("#settings-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = { name: $("#s-name").value, timezone: $("#s-tz").value, locale: $("#s-locale").value };
  if (await call(() => api.call("PATCH", "/api/v1/admin/coop", { body }))) $("#area-info").textContent = t("admin.saved");
});

function drawArea(map, geometry) {
  const data = { type: "Feature", properties: {}, geometry };
  if (map.getSource("admin-area")) { map.getSource("admin-area").setData(data); return; }
  map.addSource("admin-area", { type: "geojson", data });
  map.addLayer({ id: "admin-area-fill", type: "fill", source: "admin-area", paint: { "fill-color": "#1f7a4d", "fill-opacity": 0.12 } });
  map.addLayer({ id: "admin-area-line", type: "line", source: "admin-area", paint: { "line-color": "#1f7a4d", "line-width": 3 } });
}

async function areaMap(area) {
  try {
    const { createMap } = await import("/static/common/map.js");
    const parts = await createMap($("#area-map"), { credential: api.credential, onClick: (ll) => {
      corners.push([Number(ll.lng.toFixed(6)), Number(ll.lat.toFixed(6))]);
      const ring = corners.length >= 3 ? [...corners, corners[0]] : corners;
      drawArea(parts.map, corners.length >= 3 ? { type: "Polygon", coordinates: [ring] } : { type: "LineString", coordinates: ring });
      $("#area-info").textContent = t("admin.areaCorners", { n: corners.length });
      $("#area-save").disabled = corners.length < 3;
    } });
    drawArea(parts.map, area);
    return parts;
  } catch { return null; }
}

$("#area-clear").addEventListener("click", () => { corners = []; $("#area-save").disabled = true; $("#area-info").textContent = t("admin.areaCorners", { n: 0 }); });
$("#area-save").addEventListener("click", async () => {
  const area = { type: "Polygon", coordinates: [[...corners, corners[0]]] };
  if (await call(() => api.call("PATCH", "/api/v1/admin/coop", { body: { service_area: area } }))) {
    corners = []; $("#area-save").disabled = true; $("#area-info").textContent = t("admin.saved");
  }
});

// --- fee rules --------------------------------------------------------------------------------
let current = null;
const RULE_FIELDS = { "#r-base": "base_cents", "#r-km": "per_km_cents", "#r-min": "per_active_minute_cents",
  "#r-coop": "coop_share_bp", "#r-rebate": "merchant_rebate_bp", "#r-floor": "courier_floor_cents_per_hour" };

async function loadRules() {
  const data = await call(() => api.get(`/api/v1/coops/${state.profile.coop.slug}/rule-sets`));
  if (!data) return;
  current = data.current ? data.current.rule_set : data.history[0];
  for (const [sel, key] of Object.entries(RULE_FIELDS)) $(sel).value = current[key];
  const today = new Date().toISOString().slice(0, 10);
  $("#a-date").value ||= today; $("#a-from").value ||= today;
  $("#history").replaceChildren(...data.history.map((r) => el("li", {},
    el("b", { text: `v${r.version}` }), ` · ${r.effective_from} · ${r.adopted_by}`)));
}

function draft() {
  const out = { ...current };
  delete out.version;
  for (const [sel, key] of Object.entries(RULE_FIELDS)) out[key] = Number($(sel).value);
  return out;
}

$("#preview").addEventListener("click", async () => {
  const p = await call(() => api.post("/api/v1/admin/rule-sets/preview", draft()));
  $("#preview-rows").replaceChildren(...(p ? p.trips : []).map((x) => el("tr", {}, el("td", { text: x.label }),
    el("td", { class: "num", text: money(x.fee_cents) }), el("td", { class: "num", text: money(x.courier_cents) }),
    el("td", { class: "num", text: money(x.coop_cents) }), el("td", { class: "num", text: money(x.merchant_cents) }),
    el("td", { class: "num", text: money(x.courier_floor_cents) }))));
});

$("#adopt").addEventListener("click", async () => {
  const body = { rules: { ...draft(), effective_from: $("#a-from").value }, assembly_date: $("#a-date").value,
    votes_for: Number($("#a-for").value), votes_against: Number($("#a-against").value), abstentions: Number($("#a-abst").value) };
  const r = await call(() => api.post("/api/v1/admin/rule-sets", body));
  if (r) { $("#area-info").textContent = ""; alert(t("admin.adopted", { v: r.version })); await loadRules(); }
});

// --- webhooks, audit, exports -------------------------------------------------------------------
async function loadWebhooks() {
  const rows = (await call(() => api.get("/api/v1/admin/webhooks"))) || [];
  $("#no-webhooks").classList.toggle("hidden", rows.length > 0);
  $("#webhooks").replaceChildren(...rows.map((w) => el("tr", {}, el("td", { text: w.merchant }), el("td", {}, el("code", { text: w.url })),
    el("td", { text: w.event_types.join(", ") }), el("td", { text: w.disabled_at ? t("admin.inactive") : t("admin.active") }))));
}

// "What changed" in words: names instead of ids, before → after for settings and vehicles.
function describe(details) {
  if (!details) return "";
  const name = (id) => actorName(id, "") || id;
  const parts = [];
  for (const [k, v] of Object.entries(details)) {
    if (v === null || v === undefined || k === "key_id" || k === "new_key_id") continue;
    if (k === "user_id" || k === "merchant_id") parts.push(name(v));
    else if (k === "before" && details.after) parts.push(`${JSON.stringify(v)} → ${JSON.stringify(details.after)}`);
    else if (k !== "after") parts.push(`${k}: ${Array.isArray(v) ? v.length : typeof v === "object" ? JSON.stringify(v) : v}`);
  }
  return parts.join(" · ");
}

function actorName(id, kind) {
  const m = state.members.find((x) => x.id === id) || state.merchants.find((x) => x.id === id);
  return m ? m.name : kind === "system" ? t("admin.system") : kind;
}

async function loadAudit() {
  if (!state.members.length) state.members = (await call(() => api.get("/api/v1/admin/members"))) || [];
  if (!state.merchants.length) state.merchants = (await call(() => api.get("/api/v1/admin/merchants"))) || [];
  const actors = $("#f-actor");
  if (actors.options.length <= 1) for (const m of state.members) actors.append(el("option", { value: m.id, text: m.name }));
  const q = new URLSearchParams({ limit: "200" });
  if ($("#f-action").value) q.set("action", $("#f-action").value);
  if (actors.value) q.set("actor_id", actors.value);
  if ($("#f-since").value) q.set("since", new Date(`${$("#f-since").value}T00:00:00`).toISOString());
  const rows = (await call(() => api.get(`/api/v1/admin/audit?${q}`))) || [];
  $("#actions").replaceChildren(...[...new Set(rows.map((r) => r.action))].map((a) => el("option", { value: a })));
  $("#audit").replaceChildren(...rows.map((r) => el("tr", {}, el("td", { text: dateTime(r.happened_at) }),
    el("td", { text: actorName(r.actor_id, r.actor_kind) }), el("td", {}, el("code", { text: r.action })),
    el("td", { class: "what", text: [r.from_status && `${r.from_status} → ${r.to_status}`, r.reason, describe(r.details)].filter(Boolean).join(" · ") }))));
}
$("#audit-form").addEventListener("submit", (ev) => { ev.preventDefault(); loadAudit(); });

async function download(path, name) {
  const q = new URLSearchParams();
  if ($("#x-from").value) q.set("from", $("#x-from").value);
  if ($("#x-to").value) q.set("to", $("#x-to").value);
  const res = await fetch(`${path}${path.includes("?") ? "&" : "?"}${q}`, { headers: { Authorization: `Bearer ${api.credential}` } });
  if (!res.ok) { $("#error").textContent = `HTTP ${res.status}`; return; }
  const a = el("a", { href: URL.createObjectURL(await res.blob()), download: name });
  document.body.append(a); a.click(); a.remove();
}
$("#x-deliveries").addEventListener("click", () => download("/api/v1/admin/exports/deliveries.csv", "deliveries.csv"));
$("#x-statement").addEventListener("click", () => download("/api/v1/coop/statement?format=csv", "coop-statement.csv"));

// --- start ------------------------------------------------------------------------------------
async function start() {
  if (api.credential) state.profile = await api.get("/api/v1/web/profile").catch(() => null);
  const ok = state.profile && state.profile.role === "admin";
  $("#login").classList.toggle("hidden", ok);
  $("#app").classList.toggle("hidden", !ok);
  $("#logout").classList.toggle("hidden", !ok);
  if (!ok) { if (state.profile) $("#login-error").textContent = t("admin.notAdmin"); document.body.dataset.ready = "1"; return; }
  setCoop(state.profile.coop);
  $("#who").textContent = state.profile.coop.name;
  await show("members");
  document.body.dataset.ready = "1";
}

$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try { await api.login($("#email").value, $("#password").value); await start(); } catch (e) { $("#login-error").textContent = e.message; }
});
$("#logout").addEventListener("click", async () => {
  await api.call("POST", "/api/v1/auth/logout").catch(() => null);
  api.credential = null; location.reload();
});
start();
