// One-time link: read the token from the fragment (never sent to a server), say what it is for,
// set the password, and open the person's own view already logged in.
import { initI18n, t, addTexts, onLangChange, setLang } from "/static/common/i18n.js";
import { makeApi, $ } from "/static/common/api.js";
import { ADMIN_TEXTS } from "/static/admin/texts.js";

addTexts(ADMIN_TEXTS);
initI18n($("#lang"));
const api = makeApi("cd.accept.unused");
const token = decodeURIComponent(location.hash.slice(1));
// where each role works, and under which key its view keeps the token
const VIEWS = { admin: ["/admin/", "cd.admin.token"], dispatcher: ["/dispatcher/", "cd.dispatcher.token"],
  courier: ["/courier/", "cd.courier.token"], merchant: ["/merchant/", "cd.merchant.credential"] };
let info = null;

function render() {
  if (!info) return;
  $("#coop-name").textContent = info.coop.name;
  const vars = { coop: info.coop.name, email: info.email, role: t(`role.${info.role}`).toLowerCase() };
  $("#intro").textContent = t(info.purpose === "invite" ? "accept.invite" : "accept.reset", vars);
}
onLangChange(render);

async function start() {
  history.replaceState(null, "", location.pathname); // the token leaves the address bar and history
  if (!token) { $("#link-error").textContent = t("accept.noToken"); return; }
  try {
    info = await api.post("/api/v1/invitations/lookup", { token });
  } catch (e) { $("#link-error").textContent = e.message; document.body.dataset.ready = "1"; return; }
  if (!localStorage.getItem("cd.lang") && info.coop.locale) setLang(info.coop.locale);
  $("#name").value = info.name;
  $("#email").value = info.email;
  render();
  $("#accept-form").classList.remove("hidden");
  document.body.dataset.ready = "1";
}

$("#accept-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if ($("#password").value !== $("#password2").value) { $("#error").textContent = t("accept.mismatch"); return; }
  try {
    const out = await api.post("/api/v1/invitations/accept", { token, password: $("#password").value, name: $("#name").value });
    const [path, key] = VIEWS[out.role];
    localStorage.setItem(key, out.token);
    location.assign(path);
  } catch (e) { $("#error").textContent = e.message; }
});
start();
