"""The OpenAPI document as a merchant's developer reads it: it validates, every success body is a
named typed schema, operation ids are short, credentials are security schemes (not header
parameters), required headers are required, every error is problem+json with one ``type`` per
kind of problem, each documented at ``/problems/<slug>``, and there is no dead schema."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from dispatch.api.problems import KINDS, MEDIA_TYPE
from dispatch.app import create_app
from dispatch.db.engine import make_engine
from dispatch.db.migrate import upgrade
from dispatch.settings import Settings
from dispatch.webhooks.events import EVENTS
from dispatch.webhooks.service import EVENT_TYPES
from tests.integration.api_client import bearer, create_delivery, delivery_body

JSON_MEDIA = re.compile(r"^application/([a-z0-9.+-]*\+)?json$")


@pytest.fixture(scope="module")
def doc_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("contract") / "doc.db"
    upgrade(make_engine(f"sqlite:///{db}"))
    return create_app(Settings(coopdispatch_env="test", database_url=f"sqlite:///{db}", run_dispatch_loop=False,
                               background_jobs=False), run_dispatch=False)


@pytest.fixture(scope="module")
def doc(doc_app: Any) -> dict[str, Any]:
    document: dict[str, Any] = doc_app.openapi()
    return document


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def typed(schema: dict[str, Any], media: str) -> bool:
    """A named model, a typed array of one, or (for non-JSON media) an explicit string."""
    if "$ref" in schema:
        return True
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives:
        return all(typed(s, media) for s in alternatives)
    if schema.get("type") == "array":
        return typed(schema.get("items", {}), media)
    if not JSON_MEDIA.match(media):
        return schema.get("type") == "string"
    return schema.get("type") == "object" and bool(schema.get("properties"))


def test_the_document_is_valid_openapi(doc):
    """openapi-spec-validator accepts it (OpenAPI 3.1, every $ref resolves)."""
    validate(doc)


def test_no_operation_has_an_untyped_success_body(doc):
    """Every 2xx body of every operation (and every webhook payload) has a typed schema."""
    untyped = []
    for method, path, op in operations(doc):
        for code, response in op["responses"].items():
            if not code.startswith("2"):
                continue
            for media, content in response.get("content", {}).items():
                if not typed(content.get("schema", {}), media):
                    untyped.append(f"{method} {path} {code} {media}: {content.get('schema')}")
    for name, ops in doc["webhooks"].items():
        schema = ops["post"]["requestBody"]["content"]["application/json"]["schema"]
        if not typed(schema, "application/json"):
            untyped.append(f"webhook {name}: {schema}")
    assert not untyped, "\n".join(untyped)


def test_every_request_body_is_a_named_model(doc):
    """A JSON body an operation takes is a $ref to a model (DeliveryIn, QuoteIn, RuleSetIn ...)."""
    loose = [f"{method} {path}: {content.get('schema')}" for method, path, op in operations(doc)
             for media, content in op.get("requestBody", {}).get("content", {}).items()
             if JSON_MEDIA.match(media) and "$ref" not in content.get("schema", {})]
    assert not loose, "\n".join(loose)


def test_operation_ids_are_short_stable_snake_case_and_unique(doc):
    """deliveries_create and the like: at most 40 characters, no path noise, no duplicates."""
    ids = [op["operationId"] for _, _, op in operations(doc)]
    assert len(ids) == len(set(ids))
    bad = [i for i in ids if not re.fullmatch(r"[a-z][a-z0-9_]{2,39}", i)]
    assert not bad, bad
    by_id = {op["operationId"]: (m, p) for m, p, op in operations(doc)}
    assert by_id["deliveries_create"] == ("POST", "/api/v1/deliveries")
    assert by_id["deliveries_list"] == ("GET", "/api/v1/deliveries")
    assert by_id["quotes_create"] == ("POST", "/api/v1/quotes")
    assert by_id["webhooks_create"] == ("POST", "/api/v1/webhooks")


def test_no_two_models_share_a_name(doc):
    """FastAPI spells two models of one name by module (``dispatch__api__x__Point``); generators
    then drop one of them: every model of the document needs a name of its own."""
    clashes = [name for name in doc["components"]["schemas"] if "__" in name]
    assert not clashes, f"rename one of each pair: {clashes}"


def test_credentials_are_security_schemes_applied_per_operation_not_header_parameters(doc):
    """Two bearer schemes; merchant operations accept either, courier ones the token only;
    no operation has an Authorization parameter (generated functions take no authorization=)."""
    schemes = doc["components"]["securitySchemes"]
    assert schemes["MerchantApiKey"]["scheme"] == schemes["PersonToken"]["scheme"] == "bearer"
    for method, path, op in operations(doc):
        names = [p["name"].lower() for p in op.get("parameters", [])]
        assert "authorization" not in names, f"{method} {path}"
    by_id = {op["operationId"]: op for _, _, op in operations(doc)}
    assert by_id["deliveries_create"]["security"] == [{"MerchantApiKey": []}, {"PersonToken": []}]
    assert by_id["courier_stop_report"]["security"] == [{"PersonToken": []}]
    assert "security" not in by_id["tracking_get"] and "security" not in by_id["auth_login"]


def test_idempotency_key_is_declared_required_wherever_it_is_taken(doc):
    """Create, stop reports and proofs: the header is required in the document as at run time."""
    taking = {op["operationId"]: p for _, _, op in operations(doc) for p in op.get("parameters", [])
              if p["name"] == "Idempotency-Key"}
    assert {"deliveries_create", "courier_stop_report", "courier_proof_attach"} <= set(taking)
    assert all(p["required"] and p["in"] == "header" for p in taking.values())


def test_every_error_is_problem_json_with_examples_of_known_types_and_no_dead_schema(doc):
    """4xx/5xx/default answers are application/problem+json Problem; each example's type is a
    documented kind; FastAPI's validation-error schemas are gone."""
    for method, path, op in operations(doc):
        for code, response in op["responses"].items():
            if code[0] in "45" or code == "default":
                content = response["content"]
                assert list(content) == [MEDIA_TYPE], f"{method} {path} {code}"
                assert content[MEDIA_TYPE]["schema"] == {"$ref": "#/components/schemas/Problem"}
                for example in content[MEDIA_TYPE].get("examples", {}).values():
                    slug = example["value"]["type"].removeprefix("/problems/")
                    assert slug in KINDS and KINDS[slug].status == int(code), (method, path, code, slug)
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    create_409 = {op["operationId"]: op for _, _, op in operations(doc)}["deliveries_cancel"]["responses"]["409"]
    assert set(create_409["content"][MEDIA_TYPE]["examples"]) == {"illegal-transition", "stale-version"}


def test_the_webhook_events_are_documented_with_their_payloads(doc):
    """Every event type the service sends has an entry in `webhooks` with its own payload model."""
    assert set(doc["webhooks"]) == set(EVENTS) == set(EVENT_TYPES)
    for name, ops in doc["webhooks"].items():
        ref = ops["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        payload = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert payload["properties"]["type"]["const"] == name
        assert {"id", "type", "sequence", "timestamp", "data"} <= set(payload["required"])


def test_every_problem_type_has_a_page_saying_what_to_do(doc_app):
    """GET /problems/<slug> is an HTML page for every kind; an unknown one is a 404 problem."""
    with TestClient(doc_app) as c:
        index = c.get("/problems")
        assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
        for kind in KINDS.values():
            page = c.get(kind.type)
            assert page.status_code == 200, kind.slug
            assert kind.title in page.text and "What to do" in page.text
            assert f'href="{kind.type}"' in index.text
        missing = c.get("/problems/no-such-thing")
        assert missing.status_code == 404 and missing.headers["content-type"] == MEDIA_TYPE


def test_each_kind_of_problem_answers_its_own_type(client, world):
    """Illegal transition, stale version, idempotency conflict, outside area, validation (a
    missing header; a malformed body names `body`) and unauthorized: six different types."""
    merchant = bearer(world.merchant_key)
    first = create_delivery(client, world.merchant_key, idempotency_key="k1")
    assert first.status_code == 201, first.text
    created = first.json()
    answers = {
        "stale-version": client.post(f"/api/v1/deliveries/{created['id']}/cancel", json={"version": 99},
                                     headers=merchant),
        "idempotency-conflict": create_delivery(client, world.merchant_key, delivery_body(notes="other"),
                                                idempotency_key="k1"),
        "outside-area": create_delivery(client, world.merchant_key, delivery_body(
            dropoff={"lat": 60.30, "lon": 25.20, "address": "far away"})),
        "validation": client.post("/api/v1/deliveries", json=delivery_body(), headers=merchant),
        "unauthorized": client.get("/api/v1/deliveries"),
    }
    client.post(f"/api/v1/deliveries/{created['id']}/cancel", json={}, headers=merchant)
    answers["illegal-transition"] = client.post(f"/api/v1/deliveries/{created['id']}/cancel", json={},
                                                headers=merchant)
    for slug, r in answers.items():
        assert r.headers["content-type"] == MEDIA_TYPE, (slug, r.text)
        assert (r.status_code, r.json()["type"]) == (KINDS[slug].status, f"/problems/{slug}"), (slug, r.text)
    assert answers["validation"].json()["field"] == "Idempotency-Key"
    malformed = client.post("/api/v1/deliveries", content=b'{"dropoff": ',
                            headers=merchant | {"Idempotency-Key": "k2", "Content-Type": "application/json"})
    assert malformed.status_code == 422 and malformed.json()["field"] == "body"
    assert malformed.json()["type"] == "/problems/validation"


def test_every_operation_that_declares_security_refuses_calls_without_a_valid_credential(doc, client, world):
    """No credential, a wrong API key and a wrong token: each a 401 problem, on every secured
    operation of the document (what schemathesis' ignored_auth check would probe)."""
    failures = []
    for method, path, op in operations(doc):
        if not op.get("security"):
            continue
        url = re.sub(r"{[^}]+}", "x1", path)
        for headers in ({}, bearer("cd_wrong_key"), bearer("not-a-token")):
            r = client.request(method, url, headers=headers, json={} if "requestBody" in op else None)
            if r.status_code != 401 or r.headers["content-type"] != MEDIA_TYPE:
                failures.append(f"{method} {path} {headers}: {r.status_code} {r.text[:120]}")
    assert not failures, "\n".join(failures)


def test_the_examples_of_the_response_models_are_valid_bodies():
    """Each model-level example in dispatch/api/responses*.py validates against its own model."""
    from pydantic import BaseModel

    from dispatch.api import responses, responses_people

    checked = 0
    for module in (responses, responses_people):
        for model in vars(module).values():
            if isinstance(model, type) and issubclass(model, BaseModel) and model.__module__ == module.__name__:
                for example in model.model_json_schema().get("examples", []):
                    model.model_validate(example)
                    checked += 1
    assert checked >= 4
