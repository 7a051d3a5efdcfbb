"""RFC 9457 problem details for every error the API returns.

Branches (after VROOM's input / routing / internal split): input errors are 4xx naming the
field (``field`` and, for validation, ``errors[]``); conflicts 409; anything unexpected is a
500 whose body says nothing about the internals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dispatch.domain.errors import DomainError

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "/problems/"  # a relative URI: the page documenting the problem, on this server


@dataclass(frozen=True, slots=True)
class ProblemKind:
    """One kind of problem: its ``type`` (``/problems/<slug>``), status, title and what a
    client should do about it. ``docs`` is the page ``GET /problems/<slug>`` shows."""

    slug: str
    status: int
    title: str
    docs: str
    retry: str  # what to do: "fix the request", "read again and retry", "wait and retry", ...

    @property
    def type(self) -> str:
        return TYPE_PREFIX + self.slug


KINDS: dict[str, ProblemKind] = {k.slug: k for k in (
    ProblemKind("validation", 422, "Invalid request",
                "The body, a query parameter or a header does not match the OpenAPI document "
                "(a missing or mistyped field, a malformed JSON body: then `field` is `body`). "
                "`errors[]` lists every field with its message.", "fix the request"),
    ProblemKind("invalid-input", 422, "Invalid input",
                "The request is well-formed but a value is refused by a rule of the service "
                "(a time that cannot be met, a load larger than any vehicle, an unknown or "
                "expired quote ...). `field` names it.", "fix the named field"),
    ProblemKind("outside-area", 422, "Outside the service area",
                "A pickup or dropoff lies outside the co-op's service area; `field` says which.",
                "choose a place inside the area"),
    ProblemKind("floor-not-met", 422, "Price cannot pay the courier floor",
                "The co-op's fee rules cannot pay the courier the living-wage floor for this "
                "trip; `field` names the rule-set parameter.", "do not retry; tell the co-op"),
    ProblemKind("idempotency-conflict", 422, "Idempotency-Key reused",
                "This Idempotency-Key was already used with a different request body. A retry "
                "must send the same body; a new request needs a new key.",
                "use a new key for a new request"),
    ProblemKind("webhook-target-refused", 422, "Webhook target refused",
                "The webhook URL is malformed or resolves to a private, loopback or link-local "
                "address: webhooks only go to public addresses.", "register a public URL"),
    ProblemKind("illegal-transition", 409, "Illegal transition",
                "The delivery's current status does not allow this action (`current_status`, "
                "`action`): e.g. cancelling a delivery already picked up.",
                "do not retry; read the delivery to see its status"),
    ProblemKind("stale-version", 409, "Stale version",
                "The object changed since the `version` the request was made against.",
                "read it again, then retry with the new version"),
    ProblemKind("conflict", 409, "Conflict",
                "The request conflicts with the current state (e.g. a courier already on "
                "shift, a rule-set version adopted at the same time).", "read again, then decide"),
    ProblemKind("unauthorized", 401, "Unauthorized",
                "No credential, a malformed `Authorization` header, or an unknown, revoked or "
                "expired API key or token.", "send a valid credential"),
    ProblemKind("forbidden", 403, "Forbidden",
                "The credential is valid but its role may not do this.", "do not retry"),
    ProblemKind("not-found", 404, "Not found",
                "No such object, or one that belongs to another merchant or co-op.",
                "check the id"),
    ProblemKind("method-not-allowed", 405, "Method not allowed",
                "This path does not take this method; `Allow` lists the ones it takes.",
                "use a listed method"),
    ProblemKind("payload-too-large", 413, "Payload too large",
                "The body is larger than the server's MAX_BODY_BYTES.", "send a smaller body"),
    ProblemKind("unsupported-media-type", 415, "Unsupported media type",
                "Bodies of the API are JSON: send `Content-Type: application/json`.",
                "send JSON"),
    ProblemKind("rate-limited", 429, "Too many requests",
                "Too many requests for this API key, account or address; `Retry-After` says "
                "how many seconds to wait.", "wait Retry-After seconds and retry"),
    ProblemKind("bad-request", 400, "Bad request",
                "The request cannot be read (e.g. a Content-Length that is not a number).",
                "fix the request"),
    ProblemKind("internal", 500, "Internal error",
                "Something unexpected failed; it has been logged with the request id "
                "(`X-Request-ID`).", "retry later with the same Idempotency-Key"),
    ProblemKind("unavailable", 503, "Service unavailable",
                "A dependency (database, bus) is away for a moment.", "retry later"),
)}
TYPE_BY_STATUS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
                  405: "method-not-allowed", 409: "conflict", 413: "payload-too-large",
                  415: "unsupported-media-type", 422: "invalid-input", 429: "rate-limited",
                  500: "internal", 503: "unavailable"}
TITLES = {status: KINDS[slug].title for status, slug in TYPE_BY_STATUS.items()}


def kind_for(status: int, slug: str | None = None) -> ProblemKind:
    """The kind named ``slug``, else the default kind of ``status``."""
    if slug in KINDS:
        return KINDS[slug]  # type: ignore[index]
    return KINDS.get(TYPE_BY_STATUS.get(status, "internal" if status >= 500 else "bad-request"),
                     KINDS["internal"])


def problem_body(status: int, detail: str, *, slug: str | None = None, title: str | None = None,
                 field: str | None = None, **extra: Any) -> dict[str, Any]:
    kind = kind_for(status, slug)
    body: dict[str, Any] = {"type": kind.type, "title": title or kind.title, "status": status,
                            "detail": detail}
    if field:
        body["field"] = field
    body.update(extra)
    return body


def problem(status: int, detail: str, *, title: str | None = None, field: str | None = None,
            headers: dict[str, str] | None = None, slug: str | None = None,
            **extra: Any) -> JSONResponse:
    body = problem_body(status, detail, slug=slug, title=title, field=field, **extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def problem_responses(*slugs: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a route: each named kind as an example of its status code,
    ``application/problem+json`` (``dispatch/api/contract.py`` adds the ones every operation
    shares: validation, auth, limits). Use it as ``@router.post(..., responses=problem_responses(
    "illegal-transition", "stale-version"))``."""
    out: dict[int | str, dict[str, Any]] = {}
    for slug in slugs:
        kind = KINDS[slug]
        entry = out.setdefault(kind.status, {"description": "", "content": {MEDIA_TYPE: {
            "schema": {"$ref": "#/components/schemas/Problem"}, "examples": {}}}})
        entry["description"] = (entry["description"] + " | " if entry["description"] else "") + kind.title
        entry["content"][MEDIA_TYPE]["examples"][slug] = {
            "summary": kind.title, "value": problem_body(kind.status, kind.docs.split(". ")[0], slug=slug)}
    return out


def field_name(loc: tuple[Any, ...] | list[Any], error_type: str = "") -> str:
    if error_type == "json_invalid":
        return "body"  # pydantic puts the byte offset of a malformed body where a field goes
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"field": field_name(e.get("loc", ()), e.get("type", "")), "message": e.get("msg", "invalid")}
              for e in exc.errors()]
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return problem(422, f"{first['field']}: {first['message']}", field=first["field"], errors=errors,
                   slug="validation")


async def _domain(_: Request, exc: DomainError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if getattr(exc, "retry_after_s", None):  # a login that must wait (services/login_throttle.py)
        headers = {"Retry-After": str(exc.retry_after_s)}  # type: ignore[attr-defined]
    extra = {}
    if hasattr(exc, "current_status"):
        extra = {"current_status": exc.current_status, "action": exc.action}
    extra.update(getattr(exc, "extra", None) or {})  # e.g. an address's candidates (services/places.py)
    return problem(exc.status, exc.detail, title=exc.title, field=exc.field, headers=headers,
                   slug=exc.problem_type, **extra)


async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))


async def _stale(_: Request, exc: StaleDataError) -> JSONResponse:
    return problem(409, "the delivery was changed by someone else at the same time: read it again",
                   field="version", slug="stale-version")


async def _internal(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "an internal error occurred; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, _domain)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(StaleDataError, _stale)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _internal)
