"""Metrics (Prometheus) and structured logs with request ids.

Metrics live in the process-wide default registry (one set per process, whatever the number of
apps a test builds). ``/metrics`` also computes the outbox lag from the database at scrape time,
and reads the open sockets from the hub when the realtime layer installed one.
"""

from __future__ import annotations

import contextvars
import hmac
import json
import logging
import re
import time
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, Histogram, generate_latest
from sqlalchemy import func, select

from dispatch.db.models import OutboxEvent

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

REQUEST_SECONDS = Histogram(
    "coopdispatch_http_request_duration_seconds", "HTTP request latency by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SOLVER_SECONDS = Histogram("coopdispatch_solver_seconds", "Wall time of one dispatch round",
                           ["policy"], buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
SOLVER_OBJECTIVE = Gauge("coopdispatch_solver_objective", "Objective terms of the last plan",
                         ["coop_id", "term"])
OPEN_SOCKETS = Gauge("coopdispatch_open_sockets", "WebSocket connections open in this process")
OUTBOX_LAG_SECONDS = Gauge("coopdispatch_outbox_lag_seconds",
                           "Age of the oldest outbox event not yet published (0 when none)")
OUTBOX_UNPUBLISHED = Gauge("coopdispatch_outbox_unpublished", "Outbox events not yet published")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id_var.get()
        if rid:
            out["request_id"] = rid
        for key in ("method", "route", "path", "status", "duration_ms", "client"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


# What must never reach a log line: a secret in a query string (a legacy client's socket URL
# ``?token=``, ``?key=``), an API key anywhere, a bearer credential, a tracking link's token.
SECRET_PATTERNS = (
    (re.compile(r"(?i)\b((?:access_|api_|auth_)?(?:token|key|secret|password)=)[^&\s\"']+"), r"\1[redacted]"),
    (re.compile(r"\bcd_[A-Za-z0-9]+_[A-Za-z0-9_-]+"), "cd_[redacted]"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[redacted]"),
    (re.compile(r"(/track/)[A-Za-z0-9_-]{8,}"), r"\1[redacted]"),
)


def redact(text: str) -> str:
    """``text`` with every secret pattern replaced (a log line, a path)."""
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites a record's message (and its ``path``) without secrets, whatever the format."""

    def filter(self, record: logging.LogRecord) -> bool:
        # each argument on its own: uvicorn's access formatter unpacks ``args`` (address,
        # method, path with query, version, status), so they must keep their shape
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        path = getattr(record, "path", None)
        if isinstance(path, str):
            record.path = redact(path)
        return True


def redact_logs() -> None:
    """Put ``RedactSecrets`` on the loggers and handlers that write requests and sockets
    (uvicorn logs a socket's URL, query string included, on ``uvicorn.error``). Idempotent."""
    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "coopdispatch.access")
    for name in names:
        logger = logging.getLogger(name)
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, RedactSecrets) for f in target.filters):
                target.addFilter(RedactSecrets())


def configure_logging(log_format: str) -> None:
    """Send the root logger's records through the JSON formatter (idempotent); secrets are
    redacted in either format."""
    if log_format != "json":
        redact_logs()
        return
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    redact_logs()


def observe_plan(policy: str, coop_id: str, seconds: float, objective: Any) -> None:
    """Record one dispatch round's wall time and its objective terms."""
    SOLVER_SECONDS.labels(policy).observe(seconds)
    terms = objective if isinstance(objective, dict) else getattr(objective, "__dict__", {})
    for term, value in terms.items():
        if isinstance(value, int | float):
            SOLVER_OBJECTIVE.labels(coop_id, term).set(value)


def instrument_planner(app: FastAPI) -> None:
    """Wrap the runner's planner so each round feeds the solver metrics."""
    runner = getattr(app.state, "runner", None)
    planner = getattr(runner, "planner", None)
    if planner is None or getattr(planner, "_instrumented", False):
        return
    inner = planner.plan_coop

    def plan_coop(coop_id: str) -> Any:
        started = time.perf_counter()
        counts = inner(coop_id)
        if "objective" in counts:  # a round that planned something
            observe_plan(planner.ctx.settings.dispatch_policy, coop_id, time.perf_counter() - started,
                         counts["objective"])
        return counts

    planner.plan_coop = plan_coop
    planner._instrumented = True


def refresh_gauges(app: FastAPI) -> None:
    """Outbox lag from the database and open sockets from the hub, computed at scrape time."""
    ctx = app.state.ctx
    with ctx.sessions() as s:
        oldest, count = s.execute(
            select(func.min(OutboxEvent.created_at), func.count())
            .where(OutboxEvent.published_at.is_(None))).one()
    OUTBOX_UNPUBLISHED.set(count or 0)
    OUTBOX_LAG_SECONDS.set(max(0.0, (ctx.clock() - oldest).total_seconds()) if oldest else 0.0)
    hub = getattr(app.state, "hub", None)
    clients = getattr(hub, "clients", None)
    if clients is not None:
        OPEN_SOCKETS.set(len(clients))


def install_metrics(app: FastAPI) -> None:
    """``GET /metrics`` in the Prometheus text format, and solver timing after start-up."""

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        # not public: routes, volumes and solver internals are the co-op's business. Off without
        # METRICS_TOKEN; with it, the scraper sends it as a bearer token (compared in constant time)
        expected = request.app.state.settings.metrics_token
        if not expected:
            return Response("metrics are off: set METRICS_TOKEN", status_code=404, media_type="text/plain")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
            return Response("send Authorization: Bearer <METRICS_TOKEN>", status_code=401, media_type="text/plain",
                            headers={"WWW-Authenticate": "Bearer"})
        refresh_gauges(request.app)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    async def _instrument(app: FastAPI) -> None:
        instrument_planner(app)

    app.state.startup_hooks.append(_instrument)
