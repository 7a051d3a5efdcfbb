// A member's own account, whichever view they came from (?view=courier|dispatcher|admin|merchant):
// change name and password, download their data. The view's token stays in the view's storage key.
import { initI18n, t, addTexts } from "/static/common/i18n.js";
import { makeApi, $, el } from "/static/common/api.js";
import { ADMIN_TEXTS } from "/static/admin/texts.js";

addTexts({ ...ADMIN_TEXTS,
  "account.title": ["My account", "Mon compte"], "account.back": ["Back", "Retour"], "account.name": ["My name", "Mon nom"],
  "account.password": ["Change my password", "Changer mon mot de passe"],
  "account.passwordNote": ["Your other devices are logged out.", "Vos autres appareils sont déconnectés."],
  "account.current": ["Current password", "Mot de passe actuel"], "account.change": ["Change it", "Le changer"],
  "account.data": ["My data", "Mes données"], "account.download": ["Download my data", "Télécharger mes données"],
  "account.dataNote": ["Your profile, your shifts with the positions kept, your deliveries and your statement, as one JSON file.",
    "Votre profil, vos services avec les positions conservées, vos livraisons et votre relevé, en un fichier JSON."],
  "account.done": ["Done.", "C'est fait."], "account.noLogin": ["Log in from your view first.", "Connectez-vous d'abord depuis votre vue."],
});
initI18n($("#lang"));
const KEYS = { courier: "cd.courier.token", dispatcher: "cd.dispatcher.token", admin: "cd.admin.token", merchant: "cd.merchant.credential" };
const view = new URLSearchParams(location.search).get("view");
const api = makeApi(KEYS[view] || KEYS.courier);
if (KEYS[view]) $("#back").href = `/${view}/`;

const call = async (fn, ok) => {
  $("#error").textContent = "";
  try { await fn(); if (ok) ok.textContent = t("account.done"); } catch (e) { $("#error").textContent = e.message; }
};

$("#name-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  call(() => api.call("PATCH", "/api/v1/me", { body: { name: $("#name").value } }), $("#name-ok"));
});
$("#pw-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  call(async () => {
    const out = await api.post("/api/v1/auth/password", { current_password: $("#current").value, new_password: $("#new").value });
    api.credential = out.token; // this device stays logged in with its new token
    $("#pw-form").reset();
  }, $("#pw-ok"));
});
$("#download").addEventListener("click", () => call(async () => {
  const res = await fetch("/api/v1/me/export", { headers: { Authorization: `Bearer ${api.credential}` } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const a = el("a", { href: URL.createObjectURL(await res.blob()), download: "my-coopdispatch-data.json" });
  document.body.append(a); a.click(); a.remove();
}));

(async () => {
  if (!api.credential) { $("#error").textContent = t("account.noLogin"); return; }
  try {
    const me = await api.get("/api/v1/web/profile");
    const data = await api.get("/api/v1/me/export");
    $("#name").value = (data.profile && data.profile.name) || (me.courier && me.courier.first_name) || "";
  } catch (e) { $("#error").textContent = e.message; }
  document.body.dataset.ready = "1";
})();
