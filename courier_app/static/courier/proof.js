// Proof of delivery: a phone photo downscaled in a canvas (JPEG), or a signature drawn on a
// canvas (PNG). Both end up as Blobs queued in the outbox like any other action.
const MAX_SIDE_PX = 640;
const MAX_BYTES = 45 * 1024; // the server's limit: the request must stay under 64 KiB

function toBlob(canvas, type, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

export async function downscalePhoto(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE_PX / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  for (const quality of [0.7, 0.5, 0.35, 0.2, 0.1]) {
    const blob = await toBlob(canvas, "image/jpeg", quality);
    if (blob.size <= MAX_BYTES) return blob;
  }
  throw new Error("photo too large");
}

export function signaturePad(canvas) {
  const ctx = canvas.getContext("2d");
  let drawing = false, strokes = 0;
  const reset = () => {
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#111"; ctx.lineWidth = 2.5; ctx.lineCap = "round"; strokes = 0;
  };
  const at = (ev) => {
    const r = canvas.getBoundingClientRect();
    return [(ev.clientX - r.left) * (canvas.width / r.width), (ev.clientY - r.top) * (canvas.height / r.height)];
  };
  canvas.addEventListener("pointerdown", (ev) => { drawing = true; strokes += 1; ctx.beginPath(); ctx.moveTo(...at(ev)); canvas.setPointerCapture(ev.pointerId); });
  canvas.addEventListener("pointermove", (ev) => { if (drawing) { ctx.lineTo(...at(ev)); ctx.stroke(); } });
  canvas.addEventListener("pointerup", () => { drawing = false; });
  reset();
  return { clear: reset, isEmpty: () => strokes === 0, blob: () => toBlob(canvas, "image/png") };
}

export function base64Of(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}
