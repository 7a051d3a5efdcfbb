// Merchant page: log in (API key or account), order a delivery with a quote, follow today's
// deliveries live, read receipts, cancel before pickup.
import { initI18n, t, onLangChange, currentLang } from "/static/common/i18n.js";
import { makeApi, uuid, $, el, problemMessage } from "/static/common/api.js";
import { setCoop, money, time, dayKey, inputFromDate, isoFromInput, coopInfo } from "/static/common/fmt.js";
import { LiveSocket } from "/static/common/socket.js";
import { createMap, setMarkers, point } from "/static/common/map.js";
import { pickupChooser } from "/static/merchant/sites.js";
import { attachAutocomplete } from "/static/merchant/autocomplete.js";
import { importPanel } from "/static/merchant/imports.js";

const api = makeApi("cd.merchant.credential");
const state = { profile: null, deliveries: new Map(), dropoff: null, quote: null, pending: null, socket: null };
const CANCELLABLE = new Set(["pending", "assigned"]);
let mapParts = null;
let dropCombo = null, pickCombo = null; // address autocompletes (issue 18)

initI18n($("#lang"));
onLangChange(() => renderList());

function show(loggedIn) {
  $("#login").classList.toggle("hidden", loggedIn);
  $("#app").classList.toggle("hidden", !loggedIn);
  $("#logout").classList.toggle("hidden", !loggedIn);
}

async function start() {
  try {
    state.profile = await api.get("/api/v1/web/profile");
  } catch (e) {
    api.credential = null;
    show(false);
    document.body.dataset.ready = "1";
    return;
  }
  if (state.profile.role !== "merchant") { api.credential = null; $("#login-error").textContent = t("merchant.notMerchant"); show(false); return; }
  setCoop(state.profile.coop);
  $("#who").textContent = state.profile.merchant.name;
  $("#pickup").value = state.profile.merchant.address;
  await pickupChooser(api, $("#pickup-site"), (site) => {
    state.profile.merchant = { ...state.profile.merchant, lat: site.lat, lon: site.lon, address: site.address };
    $("#pickup").value = site.address;
    drawPoints();
  });
  addressInputs();
  defaultTimes();
  show(true);
  await loadDeliveries();
  connect();
  document.body.dataset.ready = "1";
  const shop = state.profile.merchant;
  mapParts = await createMap($("#map"), { onClick: (ll) => setDropoff(ll.lat, ll.lng, true), credential: api.credential,
    centre: [shop.lon, shop.lat], zoom: 15 });
  drawPoints();
}

// The shop (pickup, green P) and the chosen dropoff (red D) on the map.
function drawPoints() {
  if (!mapParts) return;
  const m = state.profile.merchant;
  const marks = [point(m.lon, m.lat, { color: "#1f7a4d", glyph: "P", radius: 10, label: t("merchant.pickup") })];
  if (state.dropoff) marks.push(point(state.dropoff.lon, state.dropoff.lat, { color: "#b3261e", glyph: "D", radius: 10, label: t("merchant.dropoffShort") }));
  setMarkers(mapParts.map, "points", marks);
}

function defaultTimes() {
  const now = new Date(Date.now() + 5 * 60000);
  $("#ready").value = inputFromDate(now); // the coop's wall clock, not the browser's
  $("#tz-hint").textContent = t("merchant.timezone", { tz: coopInfo().timezone });
}

// The dropoff point and its label: picked from the suggestions (label known), or clicked on the
// map / typed as "lat, lon" (label asked from the co-op's map: the nearest door).
async function setDropoff(lat, lon, fromMap, label) {
  state.dropoff = { lat: Number(lat.toFixed(6)), lon: Number(lon.toFixed(6)), label: label || "" };
  $("#dropoff-point").textContent = `${t("merchant.point")} ${label || "…"}`;
  drawPoints();
  showOnMap(state.dropoff);
  state.quote = null;
  $("#quote").classList.add("hidden");
  if (label) return;
  const mine = state.dropoff;
  try {
    const r = await api.get(`/api/v1/places/reverse?lat=${mine.lat}&lon=${mine.lon}`);
    if (state.dropoff !== mine || !r.place) return;
    mine.label = r.place.label;
    $("#dropoff-point").textContent = `${t("merchant.point")} ${mine.label}`;
    if (fromMap || /^\s*-?\d/.test($("#dropoff").value)) dropCombo.set(mine.label);
  } catch { /* the label is a courtesy: the point stands */ }
}

// A picked address outside the visible part of the map: bring it into view.
function showOnMap(p) {
  const map = mapParts && mapParts.map;
  if (!map || typeof map.getBounds !== "function") return;
  try { if (!map.getBounds().contains([p.lon, p.lat])) map.panTo([p.lon, p.lat]); } catch { /* a map still loading */ }
}

function clearDropoff() {
  state.dropoff = null; state.quote = null;
  $("#quote").classList.add("hidden");
  $("#dropoff-point").textContent = t("merchant.noPoint");
  drawPoints();
}

function addressInputs() {
  const near = () => ({ lat: state.profile.merchant.lat, lon: state.profile.merchant.lon });
  dropCombo = attachAutocomplete(api, $("#dropoff"), $("#dropoff-list"), {
    near, onPick: (m) => setDropoff(m.lat, m.lon, false, m.label), onEdit: clearDropoff });
  pickCombo = attachAutocomplete(api, $("#pickup"), $("#pickup-list"), {
    near, onPick: (m) => { state.pickup = { lat: m.lat, lon: m.lon, address: m.label }; },
    onEdit: () => { state.pickup = null; } });
  importPanel(api, () => loadDeliveries());
}

$("#dropoff").addEventListener("change", () => {
  const m = $("#dropoff").value.match(/^\s*(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)\s*$/);
  if (m) setDropoff(Number(m[1]), Number(m[2]), false);
});

function iso(id) {
  return isoFromInput($(id).value); // typed in the coop's time zone
}

// A stop is sent as its point with the label it was chosen by, or as the typed text alone for the
// server to resolve (a 422 then lists the candidates): never an old point with a new text.
function stops() {
  const typed = $("#dropoff").value.trim();
  if (!state.dropoff && !typed) throw new Error(t("merchant.needPoint"));
  const dropoff = state.dropoff ? { lat: state.dropoff.lat, lon: state.dropoff.lon, address: state.dropoff.label || typed } : { address: typed };
  const p = state.profile.merchant, text = $("#pickup").value.trim();
  const pickup = state.pickup || (text && text !== p.address ? { address: text } : { lat: p.lat, lon: p.lon, address: p.address });
  return { pickup, dropoff };
}

function orderBody() {
  const body = {
    ...stops(),
    load: { kg: Number($("#kg").value || 0), litres: Number($("#litres").value || 0) },
  };
  const ready = iso("#ready");
  if (ready) body.ready_at = ready;
  const start = iso("#win-start"), end = iso("#win-end");
  if (start || end) body.dropoff_window = { start, end };
  return body;
}

async function getQuote() {
  $("#form-error").textContent = "";
  const { dropoff_window: _window, ...trip } = orderBody(); // a quote prices the trip only
  const q = await api.post("/api/v1/quotes", trip);
  state.quote = q;
  renderQuote(q);
  return q;
}

function shareCents(split, name) {
  if (!split) return null;
  if (Array.isArray(split)) {
    const hit = split.find((s) => s.party === name || s.name === name || s.to === name);
    return hit ? (hit.amount_cents ?? hit.cents) : null;
  }
  const v = split[name] ?? split[`${name}_cents`];
  return typeof v === "object" && v !== null ? (v.amount_cents ?? v.cents) : v;
}

function feeLines(lines) {
  return el("table", { class: "lines" }, (lines || []).map((l) => el("tr", {},
    el("td", { text: l[`label_${currentLang()}`] || l.label_en || l.code || "" }),
    el("td", { class: "num", text: money(l.amount_cents) }))));
}

function splitBox(split) {
  return el("div", { class: "split" }, ["courier", "coop", "merchant"].map((name) =>
    el("div", {}, el("b", { text: money(shareCents(split, name)) }), t(`split.${name}`))));
}

function renderQuote(q) {
  const box = $("#quote");
  box.replaceChildren(
    el("h2", { text: `${t("merchant.quoteTitle")} ${money(q.fee_cents)}` }),
    splitBox(q.split), feeLines(q.lines),
    el("p", { class: "muted", text: q.expires_at ? `${t("merchant.validUntil")} ${time(q.expires_at)}` : "" }),
  );
  box.dataset.fee = String(q.fee_cents ?? "");
  box.classList.remove("hidden");
}

async function submit(ev) {
  ev.preventDefault();
  $("#form-error").textContent = "";
  let body;
  try {
    body = orderBody();
    body.recipient = { name: $("#recipient").value.trim(), phone: $("#phone").value.trim() };
    const notes = $("#notes").value.trim();
    if (notes) body.notes = notes;
    if (!state.quote) { try { await getQuote(); } catch { /* quoting is optional */ } }
    if (state.quote && state.quote.id) body.quote_id = state.quote.id;
  } catch (e) { $("#form-error").textContent = e.message; return; }
  // Same body again (a retry after a network error) reuses the key: the server answers once.
  const text = JSON.stringify(body);
  if (!state.pending || state.pending.text !== text) state.pending = { text, key: uuid() };
  $("#submit").disabled = true;
  try {
    const d = await api.post("/api/v1/deliveries", body, { "Idempotency-Key": state.pending.key });
    state.pending = null;
    upsert(d);
    $("#delivery-form").reset();
    $("#pickup").value = state.profile.merchant.address;
    defaultTimes();
    state.dropoff = null; state.quote = null;
    $("#quote").classList.add("hidden");
    $("#dropoff-point").textContent = t("merchant.noPoint");
    state.pickup = null;
    dropCombo.clear(); pickCombo.clear();
    drawPoints();
  } catch (e) {
    $("#form-error").textContent = e.status ? problemText(e) : t("common.networkRetry");
  } finally { $("#submit").disabled = false; }
}

// A problem in words; an address that named no single place lists what it could mean.
function problemText(e) {
  const cands = (e.problem && e.problem.candidates) || [];
  const more = cands.length ? ` ${t("merchant.didYouMean")} ${cands.slice(0, 4).map((c) => c.label).join(" · ")}` : "";
  return `${problemMessage(e)}${more}`;
}

async function loadDeliveries() {
  const out = await api.get("/api/v1/deliveries?limit=100");
  for (const d of out.items) state.deliveries.set(d.id, d);
  renderList();
}

function upsert(d) {
  const old = state.deliveries.get(d.id) || {};
  // The newer version wins; the other one may still know what socket frames never carry (the
  // address, the recipient, the notes, the tracking link): the HTTP answer to an order can
  // arrive after the frames of its creation and its assignment.
  const newer = !(old.version > d.version);
  const merged = newer ? { ...old, ...d } : { ...old };
  const other = newer ? old : d;
  if (merged.tracking_token == null && other.tracking_token) merged.tracking_token = other.tracking_token;
  if (merged.dropoff && merged.dropoff.address == null && other.dropoff && other.dropoff.address != null) merged.dropoff = other.dropoff;
  if (merged.recipient && merged.recipient.name == null && other.recipient) merged.recipient = other.recipient;
  if (merged.notes === undefined && other.notes !== undefined) merged.notes = other.notes;
  state.deliveries.set(d.id, merged);
  renderList();
}

function renderList() {
  const today = dayKey(new Date());
  const rows = [...state.deliveries.values()]
    .filter((d) => dayKey(new Date(d.created_at)) === today)
    .sort((a, b) => b.created_at.localeCompare(a.created_at));
  $("#none").classList.toggle("hidden", rows.length > 0);
  $("#deliveries").replaceChildren(...rows.map((d) => el("tr", { dataset: { id: d.id, status: d.status } },
    el("td", { text: time(d.created_at) }),
    el("td", {}, (d.dropoff && d.dropoff.address) || "",
      d.notes ? el("div", { class: "muted notes", text: `${t("merchant.notesShort")} ${d.notes}` }) : null),
    el("td", {}, el("span", { class: `badge ${d.status}`, text: t(`status.${d.status}`) })),
    el("td", { text: money(d.fee_cents) }),
    el("td", {},
      d.tracking_token ? el("a", { href: `/track/${d.tracking_token}`, target: "_blank", text: t("merchant.trackLink") }) : null, " ",
      el("button", { type: "button", class: "receipt", text: t("merchant.receipt"), onclick: () => showReceipt(d.id) }), " ",
      CANCELLABLE.has(d.status) ? el("button", { type: "button", class: "cancel danger", text: t("merchant.cancel"), onclick: () => cancel(d) }) : null),
  )));
}

async function cancel(d) {
  if (!confirm(t("merchant.confirmCancel"))) return;
  try { upsert(await api.post(`/api/v1/deliveries/${d.id}/cancel`, { reason: "cancelled by the merchant", version: d.version })); }
  catch (e) { alert(e.message); await loadDeliveries(); }
}

// What the receipt is worth, by the delivery's status: charged, provisional, or not charged.
function receiptText(r) {
  if (r.status === "delivered") return t("receipt.delivered");
  if (r.status === "cancelled" || r.status === "failed") return t(`receipt.${r.status}`);
  return t("merchant.provisional");
}

async function showReceipt(id) {
  const body = $("#receipt-body");
  body.replaceChildren(el("p", { text: "…" }));
  $("#receipt").showModal();
  try {
    const r = await api.get(`/api/v1/deliveries/${id}/receipt`);
    const rules = r.rule_set || {};
    body.replaceChildren(
      el("h2", { text: `${t("merchant.receipt")} · ${r.final && !r.charged ? t("receipt.notCharged") : money(r.fee_cents)}` }),
      el("p", { class: "muted receipt-state", dataset: { status: r.status }, text: receiptText(r) }),
      r.pickup || r.dropoff ? el("p", { class: "receipt-trip", text: `${r.pickup || ""} → ${r.dropoff || ""}` }) : null,
      splitBox(r.split), feeLines(r.lines),
      el("p", { class: "muted", text: rules[`description_${currentLang()}`] || "" }),
      el("p", { class: "muted", text: `${t("merchant.ruleSet")} ${r.rule_set_version ?? ""}${rules.adopted_by ? ` · ${rules.adopted_by}` : ""}` }),
    );
  } catch (e) {
    body.replaceChildren(el("p", { class: "error", text: e.status === 404 ? t("merchant.noReceipt") : e.message }));
  }
}

function connect() {
  state.socket = new LiveSocket("/ws/merchant", {
    credential: () => api.credential,
    seqKey: "cd.merchant.seq",
    onState: (s) => { $("#ws-dot").className = `status-dot ${s}`; document.body.dataset.ws = s; },
    onFrame: (f) => {
      if (f.type === "resync") { loadDeliveries(); return; }
      if (f.type.startsWith("delivery.") && f.data && f.data.id) upsert(f.data);
    },
  });
  state.socket.connect();
}

$("#quote-btn").addEventListener("click", () => getQuote().catch((e) => { $("#form-error").textContent = e.status === 404 ? t("merchant.noQuote") : e.message; }));
$("#delivery-form").addEventListener("submit", submit);
$("#key-form").addEventListener("submit", (ev) => { ev.preventDefault(); api.credential = $("#api-key").value.trim(); localStorage.removeItem("cd.merchant.seq"); start(); });
$("#pw-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try { await api.login($("#email").value, $("#password").value); localStorage.removeItem("cd.merchant.seq"); start(); }
  catch (e) { $("#login-error").textContent = e.message; }
});
$("#logout").addEventListener("click", async () => { if (state.socket) state.socket.close(); await api.logout(); location.reload(); });

if (api.credential) start(); else { show(false); document.body.dataset.ready = "1"; }
