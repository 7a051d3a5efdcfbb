// The landing page's one script (a file, not inline: the pages' Content-Security-Policy allows
// scripts from this origin only).
import { initI18n } from "/static/common/i18n.js";

initI18n(document.getElementById("lang"));
