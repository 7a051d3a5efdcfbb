"""Every request's inputs, checked once before any endpoint sees them.

Two kinds of input broke the service whatever the endpoint, so they are refused here, for every
operation at once (present and future), instead of in each schema:

- **Control characters in text.** PostgreSQL refuses ``\\u0000`` in text (a 500 from the driver),
  SQLite stores it, and none of them belongs in a name, a note, an id or a cursor. Every string
  and object key of a JSON body, every path parameter and every query parameter is checked; a
  hit is a 422 problem naming the field (``recipient.name``, ``delivery_id``, ``cursor``); so
  is the ``Idempotency-Key`` header, the one header the service stores. In
  body text tab, line feed and carriage return are allowed (notes have lines); in path and
  query parameters no control character is. Lone surrogates (``"\\ud800"``), which no database
  can encode, count as control characters too.
- **JSON bodies.** :func:`json_from_body` is the one parser with a depth limit: the edge's rate
  limiter reads the login email through it, and this guard parses every JSON body with it
  before FastAPI does (which then parses a body known to be shallow and clean). Invalid or
  deeper than ``MAX_DEPTH`` levels is a 422 naming ``body``, never a ``RecursionError`` 500.

Error tree: :class:`BadInput` (status, detail, field) -> ``problems.problem``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from dispatch.api.problems import problem

MAX_DEPTH = 32  # our deepest body (a rule set) nests 3 levels
TEXT_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
PARAM_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
STORED_HEADERS = {b"idempotency-key": "Idempotency-Key"}
JSON_TYPE = re.compile(r"^application/([a-z0-9.+-]*\+)?json$")


class BadInput(ValueError):
    """An input refused before any endpoint: answered as a problem naming ``field``."""

    def __init__(self, detail: str, field: str, status: int = 422) -> None:
        super().__init__(detail)
        self.detail, self.field, self.status = detail, field, status


def json_from_body(raw: bytes) -> Any:
    """The body as JSON, shallow and free of control characters, or :class:`BadInput`."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise BadInput(f"body: the JSON nests deeper than {MAX_DEPTH} levels", "body") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise BadInput(f"body: not valid JSON ({exc})", "body") from None
    check_json(value)
    return value


def check_json(value: Any, path: str = "", depth: int = 0) -> None:
    """Raise :class:`BadInput` naming the first string (or key) with a control character, or
    the first place nested deeper than ``MAX_DEPTH``."""
    where = path or "body"
    if depth > MAX_DEPTH:
        raise BadInput(f"body: the JSON nests deeper than {MAX_DEPTH} levels (at {where})", "body")
    if isinstance(value, str):
        if TEXT_CONTROL.search(value):
            raise BadInput(f"{where}: control characters are not allowed in text", where)
    elif isinstance(value, dict):
        for key, item in value.items():
            if PARAM_CONTROL.search(key):
                raise BadInput(f"{where}: a key holds control characters", where)
            check_json(item, f"{path}.{key}" if path else key, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_json(item, f"{where}.{i}", depth + 1)


def check_query(query_string: bytes) -> None:
    """Every query parameter, decoded as Starlette decodes it."""
    if not query_string:
        return
    for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if PARAM_CONTROL.search(key):
            raise BadInput("query: a parameter name holds control characters", "query")
        if PARAM_CONTROL.search(value):
            raise BadInput(f"{key}: control characters are not allowed", key)


def check_path(templates: list[re.Pattern[str]], scope: Scope) -> None:
    """The path, and by name the path parameter that holds a control character."""
    path = scope.get("path", "")
    if not PARAM_CONTROL.search(path):
        return
    for pattern in templates:
        match = pattern.match(path)
        if match:
            for name, value in match.groupdict().items():
                if PARAM_CONTROL.search(value):
                    raise BadInput(f"{name}: control characters are not allowed", name)
    raise BadInput("path: control characters are not allowed", "path")


def route_templates(routes: list[Any], prefix: str = "") -> list[str]:
    """Every route's path template (``/api/v1/deliveries/{delivery_id}``), included routers
    walked (FastAPI keeps them as wrappers around the router they include)."""
    found: list[str] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            extra = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            found += route_templates(inner.routes, prefix + extra)
        elif isinstance(getattr(route, "path", None), str):
            found.append(prefix + route.path)
    return found


def template_pattern(template: str) -> re.Pattern[str]:
    """``/a/{x}/b`` -> ``^/a/(?P<x>[^/]+)/b$`` (``{x:path}`` may span slashes)."""
    def group(m: re.Match[str]) -> str:
        name, _, kind = m.group(1).partition(":")
        return f"(?P<{name}>{'.+' if kind == 'path' else '[^/]+'})"

    parts = re.split(r"({[^}]+})", template)
    return re.compile("^" + "".join(
        group(re.match(r"{([^}]+)}", p)) if p.startswith("{") else re.escape(p)  # type: ignore[arg-type]
        for p in parts) + "$")


def check_headers(scope: Scope) -> None:
    """The text headers the service stores (HTTP servers refuse control characters in headers,
    but not every client goes through one)."""
    for key, value in scope.get("headers", []):
        if key in STORED_HEADERS and PARAM_CONTROL.search(value.decode("latin-1")):
            name = STORED_HEADERS[key]
            raise BadInput(f"{name}: control characters are not allowed", name)


def _is_json(scope: Scope) -> bool:
    for key, value in scope.get("headers", []):
        if key == b"content-type":
            return bool(JSON_TYPE.match(value.decode("latin-1").split(";", 1)[0].strip().lower()))
    return False


class InputGuard:
    """ASGI middleware: path, query and JSON body checked (see the module doc), then the app."""

    def __init__(self, app: ASGIApp, *, fastapi_app: Any) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self._templates: list[re.Pattern[str]] | None = None

    def templates(self) -> list[re.Pattern[str]]:
        if self._templates is None:  # built on the first path that needs it, routes all added
            self._templates = [template_pattern(t) for t in route_templates(self.fastapi_app.routes)
                               if "{" in t]
        return self._templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        try:
            check_path(self.templates(), scope)
            check_query(scope.get("query_string", b""))
            check_headers(scope)
        except BadInput as exc:
            await self._refuse(scope, receive, send, exc)
            return
        if scope["type"] == "http" and _is_json(scope):
            body, receive = await _buffered(receive)
            if body.strip():
                try:
                    json_from_body(body)
                except BadInput as exc:
                    await self._refuse(scope, receive, send, exc)
                    return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, exc: BadInput) -> None:
        if scope["type"] == "websocket":  # before accept: the handshake is refused (HTTP 403)
            await send({"type": "websocket.close", "code": 1008, "reason": exc.detail[:120]})
            return
        slug = "validation" if exc.status == 422 else None  # the request's form, like pydantic's 422s
        await problem(exc.status, exc.detail, field=exc.field, slug=slug)(scope, receive, send)


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body (the edge middleware already bounded its size) and a receive that
    hands it to the app again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
