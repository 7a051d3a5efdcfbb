// Dates and money in the coop's locale (Intl), whatever the interface language.
let coop = { locale: "fr", currency: "EUR", timezone: "Europe/Helsinki" };

export function setCoop(c) { if (c) coop = { ...coop, ...c }; }
export function coopInfo() { return coop; }

export function money(cents) {
  if (cents === null || cents === undefined) return "–";
  return new Intl.NumberFormat(coop.locale, { style: "currency", currency: coop.currency }).format(cents / 100);
}

export function time(iso) {
  if (!iso) return "–";
  return new Intl.DateTimeFormat(coop.locale, { timeStyle: "short", timeZone: coop.timezone }).format(new Date(iso));
}

export function dateTime(iso) {
  if (!iso) return "–";
  return new Intl.DateTimeFormat(coop.locale, { dateStyle: "short", timeStyle: "short", timeZone: coop.timezone })
    .format(new Date(iso));
}

export function dayKey(d) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: coop.timezone }).format(d);
}

export function number(x, digits = 1) {
  return new Intl.NumberFormat(coop.locale, { maximumFractionDigits: digits }).format(x);
}

// <input type="datetime-local"> holds a wall-clock time with no zone: read and write it in the
// coop's time zone, like every time the views show (not the browser's zone).
function zoneParts(ms) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: coop.timezone, hourCycle: "h23", year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(new Date(ms));
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return p;
}

function zoneOffsetMs(ms) {
  const p = zoneParts(ms);
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
}

export function inputFromDate(d) {
  const p = zoneParts(d.getTime());
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

export function isoFromInput(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let at = wall - zoneOffsetMs(wall);
  at = wall - zoneOffsetMs(at); // again at the instant found: right across a DST change
  return new Date(at).toISOString();
}
