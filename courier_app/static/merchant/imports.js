// Orders from a file (CSV or XLSX): preview each row's address and price, then import the good
// rows with a progress bar. Uploading the same file again creates nothing twice (the server
// keys each row by its order_ref or content).
import { t } from "/static/common/i18n.js";
import { $, el, problemMessage } from "/static/common/api.js";
import { money } from "/static/common/fmt.js";

function base64(buffer) {
  const bytes = new Uint8Array(buffer);
  let out = "";
  for (let i = 0; i < bytes.length; i += 0x8000) out += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(out);
}

export function importPanel(api, onDone) {
  let file = null;
  const status = (text, cls = "muted") => { const p = $("#import-status"); p.className = cls; p.textContent = text; };

  async function send(dryRun) {
    const content = base64(await file.arrayBuffer());
    return api.post("/api/v1/deliveries/imports", { filename: file.name, content_base64: content, dry_run: dryRun });
  }

  function rows(list) {
    $("#import-rows").replaceChildren(...list.map((r) => el("tr", { dataset: { status: r.status, line: r.line } },
      el("td", { text: String(r.line) }), el("td", { text: r.order_ref || "" }),
      el("td", { text: r.status === "error" ? r.error : (r.dropoff || "") }),
      el("td", { class: "num", text: r.fee_cents != null ? money(r.fee_cents) : "" }),
      el("td", {}, el("span", { class: `badge ${r.status === "error" ? "failed" : "delivered"}`, text: t(`import.${r.status}`) })))));
    $("#import-table").classList.toggle("hidden", list.length === 0);
  }

  $("#import-file").addEventListener("change", async () => {
    file = $("#import-file").files[0] || null;
    $("#import-go").disabled = true;
    rows([]);
    if (!file) return;
    status(t("import.reading"));
    try {
      const p = await send(true);
      rows(p.rows);
      status(t("import.previewed", { ok: p.ok, failed: p.failed, existing: p.existing }), p.failed ? "error" : "muted");
      $("#import-go").disabled = p.ok === 0;
    } catch (e) { status(problemMessage(e), "error"); }
  });

  $("#import-go").addEventListener("click", async () => {
    $("#import-go").disabled = true;
    const bar = $("#import-progress");
    try {
      let job = await send(false);
      bar.classList.remove("hidden");
      while (job.status !== "done") {
        bar.max = job.total || 1; bar.value = job.done;
        status(t("import.progress", { done: job.done, total: job.total }));
        await new Promise((r) => setTimeout(r, 400));
        job = await api.get(`/api/v1/deliveries/imports/${job.id}`);
      }
      bar.max = job.total || 1; bar.value = job.done;
      rows(job.rows);
      status(t("import.done", { created: job.created, failed: job.failed, existing: job.existing }), job.failed ? "error" : "muted");
      onDone();
    } catch (e) { status(problemMessage(e), "error"); $("#import-go").disabled = false; }
  });
}
