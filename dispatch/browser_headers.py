"""Headers that make browsers stricter with every HTML page the service sends (issue 16).

- ``Content-Security-Policy``: scripts, styles, fonts, connections (HTTP and the WebSocket) only
  from this origin, no plugins, no framing. MapLibre GL JS (served from ``/static``) runs its
  workers from ``blob:`` URLs and paints with ``data:``/``blob:`` images; the courier app's
  service worker comes from this origin, hence ``worker-src 'self' blob:``.
  Pages rendered on the server without any script (the public fair-price page, the problem
  type pages) carry their small stylesheet inline: they get ``script-src 'none'`` and inline
  styles. The API docs (``/docs``, ``/redoc``) load FastAPI's own assets and keep no CSP.
- ``X-Content-Type-Options: nosniff`` on every answer (a JSON body is never run as a script).
- ``Referrer-Policy: no-referrer``: a tracking link's token is in its path and must not leak
  to other sites through ``Referer``.
- ``X-Frame-Options: DENY`` for browsers that predate ``frame-ancestors``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

VIEWS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
             "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; child-src blob:; "
             "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
DOCUMENT_CSP = ("default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
DOCUMENT_PATHS = ("/problems", "/coops/")  # server-rendered pages without scripts
NO_CSP_PATHS = ("/docs", "/redoc")  # FastAPI's API docs pages


def policy_for(path: str) -> str | None:
    if path.startswith(NO_CSP_PATHS):
        return None
    return DOCUMENT_CSP if path.startswith(DOCUMENT_PATHS) else VIEWS_CSP


class BrowserHeaders:
    """Pure ASGI (sockets pass through): adds the headers above to HTTP answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if ctype.startswith(b"text/html"):
                    extra.append((b"x-frame-options", b"DENY"))
                    csp = policy_for(path)
                    if csp:
                        extra.append((b"content-security-policy", csp.encode()))
                message = {**message, "headers": headers + [(k, v) for k, v in extra if k not in names]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
