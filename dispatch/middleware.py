"""The edge of every HTTP request (pure ASGI, so WebSockets pass through untouched).

In order: a request id (``X-Request-ID`` taken if sane, else made, echoed on the answer), body
limits (413 above ``max_body_bytes``, 415 for a body that is not JSON on the API), rate limits
(429 with ``Retry-After`` on intake per merchant and on login per client address), then
the app; afterwards the latency histogram by route template and one access-log line.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatch.api.deps import bearer
from dispatch.api.inputs import InputGuard
from dispatch.api.problems import MEDIA_TYPE, problem_body
from dispatch.browser_headers import BrowserHeaders
from dispatch.observability import REQUEST_SECONDS, request_id_var
from dispatch.ratelimit import Limiter, LocalLimiter
from dispatch.services.auth import Unauthorized, cached_principal, principal_from_bearer

log = logging.getLogger("coopdispatch.access")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
JSON_TYPES = re.compile(r"^application/([a-z0-9.+-]*\+)?json$")
# a file of orders (base64 in JSON) may be larger than any other body (issue 18)
IMPORTS_PATH, IMPORT_MAX_BYTES = "/api/v1/deliveries/imports", 8 * 1024 * 1024
INTAKE = ("POST", "/api/v1/deliveries")
LOGIN = ("POST", "/api/v1/auth/login")


class TooLarge(Exception):
    pass


def problem_bytes(status: int, detail: str, field: str | None = None) -> bytes:
    return json.dumps(problem_body(status, detail, field=field)).encode()


async def send_problem(send: Send, status: int, detail: str, rid: str, *, field: str | None = None,
                       headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = problem_bytes(status, detail, field)
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
        (b"x-request-id", rid.encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def route_template(app: Any, scope: Scope) -> str:
    """The matched route's path template (bounded label set), or ``unmatched``."""
    matched = scope.get("route")
    if matched is not None and getattr(matched, "path", None):
        return str(matched.path)
    for route in getattr(app, "routes", []):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", "unmatched"))
    return "unmatched"


class EdgeMiddleware:
    """Request ids, body limits, rate limits, metrics and access logs (see the module doc)."""

    def __init__(self, app: ASGIApp, *, fastapi_app: Any, limiter: Limiter | None = None) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.limiter = limiter or LocalLimiter()
        self._paths: list[tuple[re.Pattern[str], list[str]]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = header(scope, b"x-request-id")
        rid = given if given and REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = {"code": 500}
        try:
            await self._handle(scope, receive, send, rid, status)
        finally:
            self._record(scope, rid, status["code"], time.perf_counter() - started)
            request_id_var.reset(token)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, rid: str,
                      status: dict[str, int]) -> None:
        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message = dict(message)
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                if message["status"] == 405:
                    message["headers"] = self._allow(scope, message["headers"])
            await send(message)

        settings = self.fastapi_app.state.settings
        max_bytes = IMPORT_MAX_BYTES if scope["path"] == IMPORTS_PATH else settings.max_body_bytes
        refusal = self._check_headers(scope, max_bytes)
        if refusal:
            status["code"] = refusal[0]
            await send_problem(send, refusal[0], refusal[1], rid, field=refusal[2])
            return
        try:
            body = await self._read_body(receive, max_bytes)
        except TooLarge:
            status["code"] = 413
            await send_problem(send, 413, f"the body exceeds {max_bytes} bytes", rid, field="body")
            return
        retry = await self._rate_limited(scope, body, settings)
        if retry:
            status["code"] = 429
            await send_problem(send, 429, f"too many requests: retry in {retry} s", rid,
                               headers=[(b"retry-after", str(retry).encode())])
            return
        await self.app(scope, _replay(body, receive), send_wrapped)

    def _allow(self, scope: Scope, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """Starlette's 405 names only the first matching route's methods: list them all."""
        if self._paths is None:  # literal paths first: /deliveries/imports before /deliveries/{id}
            paths = sorted(self.fastapi_app.openapi().get("paths", {}).items(), key=lambda item: item[0].count("{"))
            self._paths = [(re.compile("^" + re.sub(r"{[^}]+}", "[^/]+", p) + "$"), sorted(ops))
                           for p, ops in paths]
        for pattern, methods in self._paths:
            if pattern.match(scope["path"]):
                allow = ", ".join(m.upper() for m in methods).encode()
                return [(k, v) for k, v in headers if k.lower() != b"allow"] + [(b"allow", allow)]
        return headers

    def _check_headers(self, scope: Scope, max_bytes: int) -> tuple[int, str, str] | None:
        length = header(scope, b"content-length")
        if length is not None:
            if not length.isdigit():
                return 400, "Content-Length is not a number", "Content-Length"
            if int(length) > max_bytes:
                return 413, f"the body exceeds {max_bytes} bytes", "body"
        if scope["method"] in ("POST", "PUT", "PATCH") and scope["path"].startswith("/api/"):
            ctype = (header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()
            has_body = (length not in (None, "0")) or header(scope, b"transfer-encoding") is not None
            if has_body and not JSON_TYPES.match(ctype):
                return 415, "send the body as application/json", "Content-Type"
        return None

    async def _read_body(self, receive: Receive, max_bytes: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _rate_limited(self, scope: Scope, body: bytes, settings: Any) -> int:
        """Seconds to wait when a limit is hit, else 0."""
        call = (scope["method"], scope["path"].rstrip("/"))
        if call == INTAKE:
            key = await self._intake_key(scope)
            if key is None:
                return 0  # no valid credential: the endpoint answers 401
            verdict = await self.limiter.hit(key, settings.rate_limit_per_minute)
            return 0 if verdict.allowed else verdict.retry_after_s
        if call == LOGIN:
            # a flood ceiling per client address only: failed passwords slow an account down in
            # services/login_throttle.py (growing delays), which no one can turn into a lock-out
            client = (scope.get("client") or ("unknown", 0))[0]
            verdict = await self.limiter.hit(f"login:ip:{client}", settings.login_attempts_per_minute * 5)
            if not verdict.allowed:
                return verdict.retry_after_s
        return 0

    async def _intake_key(self, scope: Scope) -> str | None:
        """The intake bucket of the authenticated caller (its merchant), so that every spelling
        of the header (``bearer``, ``BEARER``, two spaces) and every key of a merchant share one;
        None when the credential is not valid. The answer is cached for the endpoint's own check."""
        ctx = self.fastapi_app.state.ctx
        try:
            credential = bearer(header(scope, b"authorization"))
            who = cached_principal(ctx, credential) or await run_in_threadpool(principal_from_bearer, ctx, credential)
        except Unauthorized:
            return None
        return f"intake:{who.role}:{who.merchant_id or who.user_id}"

    def _record(self, scope: Scope, rid: str, status: int, seconds: float) -> None:
        route = route_template(self.fastapi_app.router, scope)
        REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(seconds)
        log.info("%s %s %s %.1f ms", scope["method"], scope["path"], status, seconds * 1000,
                 extra={"request_id": rid, "method": scope["method"], "route": route,
                        "path": scope["path"], "status": status,
                        "duration_ms": round(seconds * 1000, 2)})


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def install_production(app: Any, ctx: Any) -> None:
    """Everything issue 9 adds to the app: edge middleware, metrics, webhooks, background jobs."""
    from dispatch.observability import configure_logging, install_metrics
    from dispatch.ratelimit import limiter_for
    from dispatch.webhooks.api import router as webhooks_router

    settings = app.state.settings
    configure_logging(settings.log_format)
    limiter = limiter_for(settings.bus_url)
    app.add_middleware(InputGuard, fastapi_app=app)  # inside the edge: after the body limits
    app.add_middleware(EdgeMiddleware, fastapi_app=app, limiter=limiter)
    app.add_middleware(BrowserHeaders)  # CSP and friends on the HTML views (dispatch/browser_headers.py)
    if settings.forwarded_allow_ips:  # outermost: the edge and the app see the client's address
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    install_metrics(app)
    app.include_router(webhooks_router)

    async def start_jobs(app: Any) -> None:
        app.state.background = []
        if settings.background_jobs:
            from dispatch.services.privacy import PrivacyJob
            from dispatch.webhooks.sender import WebhookSender

            app.state.background = [WebhookSender(ctx), PrivacyJob(ctx)]
            for job in app.state.background:
                await job.start()

    async def stop_jobs(app: Any) -> None:
        for job in reversed(getattr(app.state, "background", [])):
            await job.stop()
        await limiter.close()

    app.state.startup_hooks.append(start_jobs)
    app.state.shutdown_hooks.append(stop_jobs)
