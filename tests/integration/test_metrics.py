"""Observability: /metrics in the Prometheus format, request ids in and out, JSON log lines."""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dispatch.observability import JsonFormatter, observe_plan, request_id_var
from tests.integration.api_client import bearer, create_delivery

METRICS_TOKEN = "scrape-me-please"


@pytest.fixture
def settings(settings):
    """The integration settings with a metrics token (without one /metrics is off)."""
    return settings.model_copy(update={"metrics_token": METRICS_TOKEN})


def samples(client) -> dict[tuple[str, frozenset], float]:
    text = client.get("/metrics", headers=bearer(METRICS_TOKEN)).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_metrics_expose_latency_by_route_template_outbox_lag_and_solver_time(client, world):
    """A created delivery shows in the latency histogram under its route template, not its id."""
    r = create_delivery(client, world.merchant_key)
    assert r.status_code == 201
    client.get(f"/api/v1/deliveries/{r.json()['id']}", headers=bearer(world.merchant_key))
    observe_plan("nearest", "c1", 0.2, {"lateness_s": 12, "travel_s": 300})
    got = samples(client)
    count = ("coopdispatch_http_request_duration_seconds_count",
             frozenset({"method": "GET", "route": "/api/v1/deliveries/{delivery_id}", "status": "200"}.items()))
    assert got[count] >= 1
    assert not any(r.json()["id"] in str(labels) for (_, labels) in got)
    assert ("coopdispatch_outbox_unpublished", frozenset()) in got
    assert got[("coopdispatch_outbox_lag_seconds", frozenset())] >= 0
    assert got[("coopdispatch_solver_objective", frozenset({"coop_id": "c1", "term": "travel_s"}.items()))] == 300
    assert ("coopdispatch_solver_seconds_count", frozenset({"policy": "nearest"}.items())) in got
    assert ("coopdispatch_open_sockets", frozenset()) in got


def test_metrics_are_refused_without_the_token_and_off_without_a_setting(client, db):
    """No token or a wrong one: 401; a server without METRICS_TOKEN has no /metrics at all."""
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=bearer("guess")).status_code == 401
    assert client.get("/metrics", headers=bearer(METRICS_TOKEN)).status_code == 200
    app = client.app
    app.state.settings = app.state.settings.model_copy(update={"metrics_token": ""})
    assert client.get("/metrics", headers=bearer(METRICS_TOKEN)).status_code == 404


def test_a_sane_request_id_is_echoed_and_a_missing_one_is_made(client):
    """X-Request-ID comes back as sent, or freshly made when absent or malformed."""
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    made = client.get("/healthz").headers["x-request-id"]
    assert len(made) == 32
    bad = client.get("/healthz", headers={"X-Request-ID": "x" * 300}).headers["x-request-id"]
    assert bad != "x" * 300
    problem = client.get("/api/v1/deliveries", headers={"X-Request-ID": "req-9"})
    assert problem.status_code == 401 and problem.headers["x-request-id"] == "req-9"


def test_log_lines_are_json_objects_carrying_the_request_id():
    """The JSON formatter writes one parseable object with the current request id."""
    token = request_id_var.set("rid-42")
    try:
        record = logging.LogRecord("coopdispatch.access", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
        record.status = 200
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["request_id"] == "rid-42" and line["msg"] == "GET /x" and line["status"] == 200
    assert line["level"] == "info"


def test_secrets_are_redacted_from_plain_and_json_log_lines():
    """uvicorn's access line (its formatter unpacks the arguments), its socket line and our JSON
    line lose tokens, API keys, bearer values and tracking links, and keep everything else."""
    from uvicorn.logging import AccessFormatter, DefaultFormatter

    from dispatch.observability import RedactSecrets

    secret_key, token = "cd_abc123_s3cr3t-Key_x", "tok-EN_9f8e7d6c5b4a"
    access = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", f"/api/v1/x?key={secret_key}&page=2", "1.1", 200), None)
    socket = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, '%s - "WebSocket %s" [accepted]',
                               ("127.0.0.1:6", f"/ws/courier?token={token}"), None)
    ours = logging.LogRecord("coopdispatch.access", logging.INFO, __file__, 1, "%s %s", ("GET", "/track/AbCdEfGh12"),
                             None)
    ours.path = "/track/AbCdEfGh12"
    for record in (access, socket, ours):
        assert RedactSecrets().filter(record)
    lines = [AccessFormatter(use_colors=False).format(access), DefaultFormatter(use_colors=False).format(socket),
             JsonFormatter().format(ours)]
    text = "\n".join(lines)
    assert secret_key not in text and "s3cr3t" not in text and token not in text and "AbCdEfGh12" not in text
    assert "key=[redacted]&page=2" in lines[0] and " 200" in lines[0]
    assert "/ws/courier?token=[redacted]" in lines[1]
    assert json.loads(lines[2])["path"] == "/track/[redacted]"
