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
