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
  const text = (s) => (s.label && s.label !== s.address ? `${s.label} · ${s.address}` : s.address);
  select.replaceChildren(...sites.map((s, i) => el("option", { value: String(i), text: text(s) })));
  let chosen = "0";
  select.addEventListener("change", () => { chosen = select.value; onChoose(sites[Number(chosen)]); });
  // the order form is reset after each order: the chosen address stays chosen
  if (select.form) select.form.addEventListener("reset", () => setTimeout(() => { select.value = chosen; }));
  onChoose(sites[0]);
}
