// A merchant with several pickup addresses chooses one per order (the default first).
import { el } from "/static/common/api.js";
import { addTexts } from "/static/common/i18n.js";

addTexts({ "merchant.pickupSite": ["Pick up at", "Enlever à"] });

export async function pickupChooser(api, select, onChoose) {
  let sites = [];
  try { sites = await api.get("/api/v1/merchant/sites"); } catch { return; }
  select.classList.toggle("hidden", sites.length < 2);
  if (select.labels) for (const l of select.labels) l.classList.toggle("hidden", sites.length < 2);
  if (sites.length < 2) return;
  select.replaceChildren(...sites.map((s, i) => el("option", { value: String(i), text: `${s.label} · ${s.address}` })));
  select.addEventListener("change", () => onChoose(sites[Number(select.value)]));
  onChoose(sites[0]);
}
