"""Classes of bad input, each tried on every operation the OpenAPI document lists, on SQLite and
PostgreSQL: control characters in any text (body field, path or query parameter), dates out of
range in any date input, and JSON nested too deep on any body. Operations added later are
covered without touching this file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.integration.api_client import bearer, login

NUL = "\u0000"
CONTROLS = [NUL, "\u001b", "\u007f", "\ud800"]  # NUL, ESC, DEL, a lone surrogate
PLACEHOLDER = "x1"


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return _resolve(doc["components"]["schemas"][ref.rsplit("/", 1)[1]], doc)
    return schema


def text_fields(schema: dict[str, Any], doc: dict[str, Any], path: str = "",
                depth: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    """(dotted path, leaf schema) of every string a body may carry."""
    schema = _resolve(schema, doc)
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    for option in options:
        option = _resolve(option, doc)
        if option.get("type") == "string" and path:
            yield path, option
        elif option.get("type") == "object" and depth < 4:
            props = option.get("properties")
            if props:
                for name, sub in props.items():
                    yield from text_fields(sub, doc, f"{path}.{name}" if path else name, depth + 1)
            elif not path:
                yield "note", {"type": "string"}  # a free-form object body: any key
        elif option.get("type") == "array" and depth < 4:
            yield from text_fields(option.get("items", {}), doc, f"{path}.0", depth + 1)


def nested(path: str, value: Any) -> Any:
    """``a.0.b`` -> ``{"a": [{"b": value}]}``."""
    head, _, rest = path.partition(".")
    inner = nested(rest, value) if rest else value
    return [inner] if head.isdigit() else {head: inner}


def operations(app: Any) -> Iterator[tuple[str, str, dict[str, Any]]]:
    doc = app.openapi()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            yield method.upper(), path, op


def url_for(path: str, params: dict[str, str]) -> str:
    for name in re.findall(r"{(\w+)}", path):
        path = path.replace("{" + name + "}", quote(params.get(name, PLACEHOLDER), safe=""))
    return path


def control_character_cases(app: Any) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(method, url, field, request kwargs) with one control character in one text input."""
    doc = app.openapi()
    for n, (method, path, op) in enumerate(operations(app)):
        char = CONTROLS[n % len(CONTROLS)]
        in_url = CONTROLS[n % 3]  # a lone surrogate cannot be written in a URL
        for param in op.get("parameters", []):
            if param["in"] == "path":
                yield method, url_for(path, {param["name"]: f"a{in_url}b"}), param["name"], {}
            elif param["in"] == "query":
                url = f"{url_for(path, {})}?{param['name']}={quote('a' + in_url + 'b')}"
                yield method, url, param["name"], {}
            elif param["in"] == "header" and param["name"] == "Idempotency-Key":  # the stored header
                yield method, url_for(path, {}), param["name"], {"headers": {param["name"]: f"key{in_url}1234567"}}
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body:
            for field, _ in text_fields(body, doc):
                content = json.dumps(nested(field, f"ok{char}ok")).encode()
                yield method, url_for(path, {}), field, {
                    "content": content, "headers": {"Content-Type": "application/json"}}


def test_every_text_input_of_every_operation_refuses_control_characters(client, world):
    """Body strings, path and query parameters, the Idempotency-Key header: a 422 problem naming
    the field, on both backends, before any authentication (nothing with a NUL reaches the
    database)."""
    cases = list(control_character_cases(client.app))
    assert len(cases) > 40, "the OpenAPI walk found too few text inputs"
    seen = set()
    for method, url, field, kwargs in cases:
        r = client.request(method, url, **kwargs)
        assert r.status_code == 422, (method, url, field, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == field, (method, url, r.json())
        seen.add(field)
    assert {"recipient.name", "notes", "email", "delivery_id", "cursor", "slug", "from",
            "token", "stop_id", "image_base64", "Idempotency-Key"} <= seen


def test_text_with_line_breaks_and_tabs_is_still_accepted(client, world, ctx):
    """Notes keep their lines: only the characters no text needs are refused."""
    from dispatch.db.models import Delivery
    from tests.integration.api_client import create_delivery, delivery_body

    r = create_delivery(client, world.merchant_key, delivery_body(notes="3rd floor\n\tring twice"))
    assert r.status_code == 201, r.text
    with ctx.sessions() as s:
        assert s.get(Delivery, r.json()["id"]).notes == "3rd floor\n\tring twice"


def test_a_socket_path_with_a_control_character_is_refused_at_the_handshake(client):
    """The same guard covers WebSocket paths: the handshake is refused, nothing is looked up."""
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws/track/a%00b") as ws:
        ws.receive_text()


# -- dates --------------------------------------------------------------------------------------

BAD_INSTANTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1999-12-31T23:00:00+00:00",
                "2100-01-01T00:00:00Z", "2026-06-01T12:00:00"]  # the last one has no time zone
BAD_DAYS = ["0001-01-01", "9999-12-31", "1999-12-31", *BAD_INSTANTS[:2]]


def date_inputs(app: Any) -> Iterator[tuple[str, str, str, str]]:
    """(method, path, "body"|"query", field) of every date input the schema names."""
    doc = app.openapi()
    for method, path, op in operations(app):
        for param in op.get("parameters", []):
            formats = {o.get("format") for o in param.get("schema", {}).get("anyOf", [param.get("schema", {})])}
            if param["in"] == "query" and ("YYYY-MM-DD" in param.get("description", "")
                                           or formats & {"date", "date-time"}):
                yield method, path, "query", param["name"]
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body:
            for field, leaf in text_fields(body, doc):
                if leaf.get("format") in ("date-time", "date"):
                    yield method, path, "body", field


def credential_for(path: str, creds: dict[str, dict[str, str]]) -> dict[str, str]:
    if path.startswith("/api/v1/courier"):
        return creds["courier"]
    if path.startswith(("/api/v1/dispatch", "/api/v1/couriers", "/api/v1/coop", "/api/v1/admin")):
        return creds["admin"]
    return creds["merchant"]


@pytest.fixture
def creds(client: TestClient, world: Any) -> dict[str, dict[str, str]]:
    courier_id = None
    courier = login(client, world.courier_emails[0], world.password)
    courier_id = client.get("/api/v1/auth/me", headers=courier).json()["courier_id"]
    return {"merchant": bearer(world.merchant_key), "courier": courier,
            "admin": login(client, "admin@demo.coop", world.password), "courier_id": {"id": courier_id}}


def test_every_date_input_refuses_dates_out_of_range_with_a_422(client, creds):
    """Every date-time body field and date query parameter, past year 1, year 9999, just
    outside 2000-2099 and without a time zone: 422 naming the field, never a 500."""
    inputs = list(date_inputs(client.app))
    found = {(path, field) for _, path, _, field in inputs}
    assert {("/api/v1/deliveries", "ready_at"), ("/api/v1/deliveries", "dropoff_window.start"),
            ("/api/v1/courier/position", "at"), ("/api/v1/courier/stops/{stop_id}/reports", "happened_at"),
            ("/api/v1/courier/stops/{stop_id}/proof", "happened_at"), ("/api/v1/coop/statement", "from"),
            ("/api/v1/couriers/{courier_id}/statement", "to")} <= found
    for method, path, where, field in inputs:
        url = url_for(path, {"courier_id": creds["courier_id"]["id"]})
        for value in BAD_INSTANTS if where == "body" else BAD_DAYS:
            if where == "query":
                r = client.request(method, f"{url}?{field}={quote(value)}", headers=credential_for(path, creds))
            else:
                r = client.request(method, url, json=nested(field, value),
                                   headers=credential_for(path, creds) | {"Idempotency-Key": "k" * 16})
            assert r.status_code == 422, (method, path, field, value, r.text)
            problem = r.json()
            named = {problem.get("field")} | {e["field"] for e in problem.get("errors", [])}
            assert field in named, (method, path, field, value, problem)


def test_a_rule_set_taking_effect_out_of_range_is_refused(client, creds):
    """The rule set's ``effective_from`` is a date input too (a free-form body)."""
    from dispatch.domain.fee_dicts import rule_set_to_dict
    from dispatch.domain.fees import DEFAULT_RULE_SET

    for value in BAD_DAYS[:3]:
        body = rule_set_to_dict(DEFAULT_RULE_SET) | {"effective_from": value}
        r = client.post("/api/v1/coop/rule-sets", json=body, headers=creds["admin"])
        assert r.status_code == 422 and r.json()["field"] == "effective_from", r.text


# -- JSON depth --------------------------------------------------------------------------------

@pytest.mark.parametrize("levels", [40, 900, 20_000])
def test_deeply_nested_json_is_a_422_naming_body_on_every_kind_of_endpoint(client, creds, levels):
    """Login (through the rate limiter's parsing), intake, a courier report and rule-set
    adoption: too deep is a 422 naming ``body``, whatever the depth, never a 500."""
    deep = ('{"email": ' + "[" * levels + "]" * levels + "}").encode()
    calls = [("/api/v1/auth/login", {}), ("/api/v1/deliveries", creds["merchant"]),
             ("/api/v1/courier/stops/x1/reports", creds["courier"]),
             ("/api/v1/coop/rule-sets", creds["admin"])]
    for url, headers in calls:
        r = client.post(url, content=deep, headers=headers | {"Content-Type": "application/json",
                                                              "Idempotency-Key": "k" * 16})
        assert r.status_code == 422, (url, r.status_code, r.text)
        assert r.json()["field"] == "body", r.json()
        assert "nests deeper" in r.json()["detail"]
    r = client.post("/api/v1/auth/login", content=b'{"email": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "body"


# -- socket messages ---------------------------------------------------------------------------

def frames_until(ws: Any, frame_type: str, limit: int = 20) -> dict[str, Any]:
    for _ in range(limit):
        frame: dict[str, Any] = json.loads(ws.receive_text())
        if frame["type"] == frame_type:
            return frame
    raise AssertionError(f"no {frame_type} frame in {limit}")


def test_a_socket_position_with_a_naive_or_out_of_range_time_gets_an_error_frame_and_the_socket_stays(
        client, creds):
    """The courier socket answers a bad ``at`` with an error frame naming it, then still
    answers a ping (it used to drop with a traceback)."""
    token = creds["courier"]["Authorization"].split(" ", 1)[1]
    with client.websocket_connect("/ws/courier") as ws:
        ws.send_json({"type": "auth", "token": token})
        ws.send_json({"type": "resume", "after": 0})
        for at in ("2026-03-01T12:30:00", "0001-01-01T00:00:00+14:00"):
            ws.send_json({"type": "position", "lat": 60.1716, "lon": 24.9443, "at": at})
            error = frames_until(ws, "error")
            assert error["data"]["field"] == "at", error
        ws.send_json({"type": "ping"})
        assert frames_until(ws, "heartbeat")["seq"] == 0
