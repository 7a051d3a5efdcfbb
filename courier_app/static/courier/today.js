// Today's finished deliveries and earnings against the living-wage floor, per hour on shift
// (the courier's own pay statement for today, refreshed every minute while the app is open).
import { t, addTexts, applyI18n, onLangChange } from "/static/common/i18n.js";
import { makeApi, $, el } from "/static/common/api.js";
import { money, time, number } from "/static/common/fmt.js";

addTexts({
  "courier.earningsToday": ["Today's earnings", "Gains du jour"],
  "courier.account": ["My account and my data", "Mon compte et mes données"],
  "courier.earningsLine": ["{n} delivered · {earned} in {hours} h on shift · {perHour}/h (floor {floor}/h)",
    "{n} livrée(s) · {earned} en {hours} h de service · {perHour}/h (plancher {floor}/h)"],
  "courier.earningsShort": ["{n} delivered · {earned} · {minutes} min on shift (floor {floor}/h)",
    "{n} livrée(s) · {earned} · {minutes} min de service (plancher {floor}/h)"],
  "courier.belowFloor": ["Below the floor so far: the co-op tops it up in the statement.", "Sous le plancher pour l'instant : la coopérative complète au relevé."],
});
applyI18n($("#earnings"));
const api = makeApi("cd.courier.token");
const MIN_FOR_RATE_S = 15 * 60; // an hourly rate over a few minutes on shift means nothing yet
let last = null;

function render() {
  if (!last) return;
  const vars = { n: last.deliveries.length, earned: money(last.earnings_cents), hours: number(last.on_shift_s / 3600, 1),
    minutes: Math.round(last.on_shift_s / 60), perHour: money(last.earnings_per_hour_cents), floor: money(last.floor_cents_per_hour) };
  const rated = last.on_shift_s >= MIN_FOR_RATE_S;
  $("#earnings-summary").textContent = t(rated ? "courier.earningsLine" : "courier.earningsShort", vars);
  const rows = last.deliveries.map((d) => el("li", { text: `${time(d.delivered_at)} · ${money(d.earnings_cents)}` }));
  if (rated && last.below_floor) rows.push(el("li", { class: "muted", text: t("courier.belowFloor") }));
  $("#earnings-done").replaceChildren(...rows);
}
onLangChange(render);

async function refresh() {
  if (!api.credential || document.hidden) return;
  try {
    const me = await api.get("/api/v1/web/profile");
    if (!me.courier) return;
    const day = new Intl.DateTimeFormat("en-CA", { timeZone: me.coop.timezone }).format(new Date());
    last = await api.get(`/api/v1/couriers/${me.courier.id}/statement?from=${day}&to=${day}`);
    render();
  } catch { /* offline or logged out: keep what is shown */ }
}
refresh();
setInterval(refresh, 60_000);
document.addEventListener("visibilitychange", refresh);
