// A WebSocket that resumes: it keeps the last outbox seq it applied (localStorage) and sends
// {"type":"resume","after":seq} on every (re)connect; reconnects with capped backoff.
// The token goes in the first message ({"type":"auth","token":...}), never in the URL: URLs end
// up in access logs, proxy logs and history. `credential` is read on each connect (a new login).
export class LiveSocket {
  constructor(path, { seqKey, onFrame, onState, credential }) {
    this.path = path;
    this.credential = credential || (() => null);
    this.seqKey = seqKey;
    this.onFrame = onFrame;
    this.onState = onState || (() => {});
    this.delay = 500;
    this.closed = false;
    this.ws = null;
  }
  get seq() { return Number(localStorage.getItem(this.seqKey) || 0); }
  set seq(n) { localStorage.setItem(this.seqKey, String(n)); }
  connect() {
    this.closed = false;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}${this.path}`);
    this.ws = ws;
    this.onState("connecting");
    ws.onopen = () => {
      this.delay = 500;
      const token = this.credential();
      if (token) ws.send(JSON.stringify({ type: "auth", token }));
      // First visit: the page just read the state over HTTP, live frames are enough.
      if (this.seq > 0) ws.send(JSON.stringify({ type: "resume", after: this.seq }));
      this.onState("open");
    };
    ws.onmessage = (ev) => {
      let frame;
      try { frame = JSON.parse(ev.data); } catch { return; }
      if (frame.seq > 0) {
        if (frame.seq <= this.seq) return; // already applied (a replay overlapping live frames)
        this.seq = frame.seq;
      }
      this.onFrame(frame);
    };
    ws.onclose = (ev) => {
      this.ws = null;
      this.onState(ev.code === 4401 ? "unauthorized" : "closed");
      if (this.closed || ev.code === 4401 || ev.code === 4403) return;
      setTimeout(() => this.closed || this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 15000);
    };
    ws.onerror = () => {};
  }
  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) { this.ws.send(JSON.stringify(msg)); return true; }
    return false;
  }
  close() { this.closed = true; if (this.ws) this.ws.close(1000); }
}
