// Address autocomplete on the co-op's own map (GET /api/v1/places): an ARIA 1.2 combobox.
// Arrows move through the suggestions, Enter picks, Escape closes; a pick gives a point on the
// street graph and its label; editing the text afterwards drops the point (no stale point is
// ever sent with a new text).
import { el } from "/static/common/api.js";

const DEBOUNCE_MS = 90;
const COORDINATES = /^\s*-?\d+(?:\.\d+)?\s*[,; ]\s*-?\d+(?:\.\d+)?\s*$/;

export function attachAutocomplete(api, input, list, { onPick, onEdit, near }) {
  let items = [], active = -1, timer = null, asked = 0, picked = null;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("autocomplete", "off");
  list.setAttribute("role", "listbox");

  function close() {
    list.classList.add("hidden");
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(i) {
    active = i;
    [...list.children].forEach((li, k) => li.setAttribute("aria-selected", String(k === i)));
    if (i >= 0) {
      input.setAttribute("aria-activedescendant", `${list.id}-${i}`);
      list.children[i].scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  function render() {
    list.replaceChildren(...items.map((m, i) => el("li", {
      id: `${list.id}-${i}`, role: "option", "aria-selected": "false", dataset: { kind: m.kind },
      onmousedown: (ev) => { ev.preventDefault(); pick(i); }, // keep the focus in the input
    }, el("span", { text: m.label }))));
    // an answer that lands after a pick (or after the focus left) does not reopen the list
    const open = items.length > 0 && input.value !== picked && document.activeElement === input;
    list.classList.toggle("hidden", !open);
    input.setAttribute("aria-expanded", String(open));
    highlight(-1);
  }

  function pick(i) {
    const m = items[i];
    if (!m) return;
    picked = m.label;
    input.value = m.label;
    close();
    onPick(m);
  }

  async function ask() {
    const q = input.value.trim();
    const mine = ++asked;
    if (q.length < 2 || COORDINATES.test(q)) { items = []; render(); return; } // "lat, lon" is a point already
    const at = near && near();
    const extra = at ? `&near_lat=${at.lat}&near_lon=${at.lon}` : "";
    try {
      const out = await api.get(`/api/v1/places?q=${encodeURIComponent(q)}&limit=8${extra}`);
      if (mine !== asked) return; // an answer to an older keystroke
      items = out.items;
      render();
    } catch { if (mine === asked) { items = []; render(); } }
  }

  input.addEventListener("input", () => {
    if (picked !== null && input.value !== picked) { picked = null; onEdit(); }
    clearTimeout(timer);
    timer = setTimeout(ask, DEBOUNCE_MS);
  });
  input.addEventListener("keydown", (ev) => {
    const open = !list.classList.contains("hidden");
    if (ev.key === "ArrowDown") {
      ev.preventDefault();
      if (!open) { ask(); return; }
      highlight(Math.min(active + 1, items.length - 1));
    } else if (ev.key === "ArrowUp" && open) {
      ev.preventDefault();
      highlight(Math.max(active - 1, 0));
    } else if (ev.key === "Enter" && open) {
      ev.preventDefault(); // pick, do not submit the form
      pick(active >= 0 ? active : 0);
    } else if (ev.key === "Escape" && open) {
      ev.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
  return {
    // a point chosen elsewhere (map click): show its label as if picked
    set(label) { picked = label; input.value = label; close(); },
    clear() { picked = null; items = []; close(); },
  };
}
