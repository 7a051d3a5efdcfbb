"""Bad input: schemathesis (all checks, positive and negative cases, 100 per operation) against
the app's own OpenAPI schema, in-process over ASGI on SQLite, authenticated as the demo roles;
then statefully, following the schema's OpenAPI links (``dispatch/api/links.py``: create a
delivery, then read, cancel, track, assign and report on it; start a shift, then share positions
...); plus the edge cases the issue names: oversized bodies, wrong content types, NaN coordinates."""

from __future__ import annotations

import itertools
import json
import shutil
import sqlite3
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import ignored_auth, negative_data_rejection, positive_data_acceptance

from dispatch.app import create_app
from dispatch.db.migrate import upgrade
from dispatch.seed import DEMO_KEY, DEMO_PASSWORD, seed_demo
from dispatch.services.auth import issue_token
from dispatch.settings import Settings
from tests.integration.api_client import bearer, delivery_body

EXAMPLES = 100


def fuzz_settings(tmp: Path) -> Settings:
    return Settings(coopdispatch_env="test", database_url=f"sqlite:///{tmp / 'fuzz.db'}",
                    dispatch_policy="nearest", run_dispatch_loop=False, background_jobs=False,
                    rate_limit_per_minute=1_000_000, login_attempts_per_minute=1_000_000)


FUZZ_DIR = Path(tempfile.mkdtemp(prefix="coopdispatch-fuzz-"))
FUZZ_SETTINGS = fuzz_settings(FUZZ_DIR)
SEEDED_DB = FUZZ_DIR / "seeded.db"  # the database as seeded, before any test wrote to it
FUZZ_APP = create_app(FUZZ_SETTINGS, run_dispatch=False)  # no database touched until the fixture
schema = schemathesis.openapi.from_dict(FUZZ_APP.openapi())
schema.app = FUZZ_APP  # calls go in-process over ASGI (the lifespan runs in the fixture)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                max_examples=EXAMPLES)


@pytest.fixture(scope="module")
def fuzz_app() -> Any:
    """The fuzzed app, migrated and seeded, a courier on shift, and a bearer credential per role."""
    ctx = FUZZ_APP.state.ctx
    upgrade(ctx.sessions.kw["bind"])
    from sqlalchemy import select

    from dispatch.db.models import User

    with ctx.sessions() as s, s.begin():
        seed_demo(s)
        users = {u.email: u.id for u in s.scalars(select(User))}
        tokens = {role: issue_token(s, users[email], 86400, ctx.clock())
                  for role, email in (("courier", "aino@demo.coop"), ("dispatcher", "dispatcher@demo.coop"))}
    copy_database(FUZZ_DIR / "fuzz.db", SEEDED_DB)  # the courier is off shift here
    with TestClient(FUZZ_APP) as c:
        c.post("/api/v1/courier/shift/start", json={"lat": 60.1716, "lon": 24.9443},
               headers=bearer(tokens["courier"]))
        yield FUZZ_APP, {"merchant": DEMO_KEY, **tokens}
    ctx.sessions.kw["bind"].dispose()
    shutil.rmtree(FUZZ_DIR, ignore_errors=True)


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (its WAL included) over ``target``."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def credential_for(path: str, creds: dict[str, str]) -> str:
    if path.startswith("/api/v1/courier"):
        return creds["courier"]
    if path.startswith(("/api/v1/dispatch", "/api/v1/couriers", "/api/v1/coop/")):
        return creds["dispatcher"]
    return creds["merchant"]


def authenticate(case: Case, creds: dict[str, str]) -> None:
    if case.headers is None:
        case.headers = {}
    if case.path != "/api/v1/auth/login":
        case.headers["Authorization"] = f"Bearer {credential_for(case.path, creds)}"


def excluded_checks(response: Any) -> list[Any]:
    # Not run: "schema-valid request rejected". The schema cannot say what the service checks
    # against its data (inside the service area, windows the ride can meet, a known cursor, a
    # required Idempotency-Key): those are 422 problems on purpose, asserted by other tests.
    # A 413 (body above max_body_bytes) is a right refusal that schemathesis does not list.
    # "ignored_auth": the credential is the real one of the role the path needs, set here, not
    # a generated one; that every secured operation refuses a call without it, or with a wrong
    # one, is asserted for every operation in test_openapi_contract.py.
    return [positive_data_acceptance, ignored_auth] + (
        [negative_data_rejection] if response.status_code == 413 else [])


def assert_no_5xx_and_problem_json(case: Case, response: Any) -> None:
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
    if response.status_code >= 400 and case.path.startswith("/api/"):
        ctype = response.headers["content-type"]
        ctype = ctype[0] if isinstance(ctype, list) else ctype
        assert ctype.startswith("application/problem+json"), f"{case.method} {case.formatted_path}: {response.text}"


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_5xx_and_every_error_is_problem_json(case, fuzz_app):
    """Every schemathesis check passes, and any 4xx/5xx answer is application/problem+json."""
    _, creds = fuzz_app
    authenticate(case, creds)
    response = case.call()
    case.validate_response(response, excluded_checks=excluded_checks(response))
    assert_no_5xx_and_problem_json(case, response)


# -- stateful: sequences of calls along the schema's links --------------------------------------

SCENARIOS = 100  # call sequences, each up to STEPS calls
STEPS = 8


def steer(case: Case, courier_id: str, n: int) -> None:
    """Point a schema-valid step at data the service accepts, so the links have something to
    follow: random coordinates fall outside the service area, random times outside what a
    ride can meet, a random courier does not exist, a random version is stale. Only positive
    steps are steered; the negative ones and every other field stay as generated (the
    per-operation run above fuzzes these bodies freely)."""
    body = case.body if isinstance(case.body, dict) else None
    if case.path == "/api/v1/deliveries" and case.method == "POST" and body is not None:
        body.update(delivery_body(notes=body.get("notes", "")))
        case.headers = {**(case.headers or {}), "Idempotency-Key": f"stateful-{n}"}
    elif case.path == "/api/v1/courier/shift/start" and body is not None:
        body.update(lat=60.1716, lon=24.9443)
        body.pop("planned_end_at", None)
    elif case.path.endswith("/assign") and body is not None:
        body["courier_id"] = courier_id
    elif case.path.endswith("/cancel") and body is not None:
        body.pop("version", None)  # a random version is a right 409; the link should reach a 200
    elif case.path.endswith("/reports") and body is not None:
        body["happened_at"] = datetime.now(UTC).isoformat()
        case.headers = {**(case.headers or {}), "Idempotency-Key": f"stateful-{n}"}


def restore_seeded_database() -> None:
    """The fuzzed app's database back as seeded, and the app forgetting what it cached from it."""
    ctx = FUZZ_APP.state.ctx
    ctx.sessions.kw["bind"].dispose()  # no pooled connection outlives the swap
    copy_database(SEEDED_DB, FUZZ_DIR / "fuzz.db")
    ctx.key_cache.clear()  # verified keys and tokens: as the restored rows say, not as before
    for name in [n for n in ctx.map_cache if n[0] == "coop"]:
        ctx.map_cache.pop(name, None)


# The walk follows the delivery, courier and dispatcher flows' links. Operations outside them
# (the co-op admin's, imports, webhooks, a member's own account) have no link from a created
# delivery or a started shift, and every step spent on them (the admin's mostly a right 403 for
# the merchant key) is a step the linked flows do not get: with them in, 100 scenarios created
# 8 deliveries and followed no link to a success. The per-operation run above fuzzes them all.
FLOWS = schema.exclude(path_regex=r"^/api/v1/(admin|me|deliveries/imports|webhooks)(/|$)")
FLOWS.app = FUZZ_APP


class Workflow(FLOWS.as_state_machine()):  # type: ignore[misc]
    """Every step is authenticated as the role its path needs and held to the same rules.

    Every scenario starts from the database as seeded. Which rules Hypothesis may pick next
    depends on the answers so far (a link's bundle fills only when its source call succeeded),
    and Hypothesis replays choice prefixes it has seen: were the state left by earlier
    scenarios (or by the per-operation run above) still there, the same choices would get
    other answers, and generation would be flaky (FlakyStrategyDefinition), and the walk would
    depend on what ran before."""

    creds: dict[str, str] = {}
    courier_id = ""
    keys = itertools.count()
    answers: Counter[tuple[str, int]] = Counter()  # (operation, status) of every step

    def setup(self) -> None:
        restore_seeded_database()
        self.keys = itertools.count()  # the same Idempotency-Keys in the same scenario

    def before_call(self, case: Case) -> None:
        authenticate(case, self.creds)
        if case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE:
            steer(case, self.courier_id, next(self.keys))

    def validate_response(self, response: Response, case: Case, additional_checks: Any = None,
                          **kwargs: Any) -> None:
        self.answers[(case.operation.label, response.status_code)] += 1
        case.validate_response(response, additional_checks=additional_checks,
                               excluded_checks=excluded_checks(response),
                               transport_kwargs=kwargs or None, recorder=self.recorder)
        assert_no_5xx_and_problem_json(case, response)


def test_the_schema_links_the_delivery_courier_and_dispatcher_flows():
    """The links the stateful run follows exist in the published schema."""
    doc = FUZZ_APP.openapi()["paths"]
    created = doc["/api/v1/deliveries"]["post"]["responses"]["201"]["links"]
    assert {"GetDelivery", "CancelDelivery", "TrackDelivery", "AssignDelivery", "ReportAtPickup"} <= set(created)
    assert created["GetDelivery"]["parameters"] == {"path.delivery_id": "$response.body#/id"}
    shift = doc["/api/v1/courier/shift/start"]["post"]["responses"]["201"]["links"]
    assert {"SharePosition", "MyRoute", "EndShift"} <= set(shift)
    assigned = doc["/api/v1/dispatch/deliveries/{delivery_id}/assign"]["post"]["responses"]["200"]["links"]
    assert "UnassignDelivery" in assigned


def test_no_sequence_of_linked_calls_gets_a_5xx_and_every_error_is_problem_json(fuzz_app, request):
    """Stateful: create, then read/cancel/track/assign/report on what was created (and so on
    along every link), positive and some negative steps, derandomized so every run is the same."""
    _, creds = fuzz_app
    Workflow.creds = creds
    Workflow.answers.clear()
    with TestClient(FUZZ_APP) as c:  # each scenario starts as seeded: the courier off shift
        Workflow.courier_id = c.get("/api/v1/auth/me", headers=bearer(creds["courier"])).json()["courier_id"]
    try:
        Workflow.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=STEPS, derandomize=True,
                                       deadline=None, phases=[Phase.generate],
                                       suppress_health_check=list(HealthCheck)))
    finally:
        restore_seeded_database()  # later tests do not meet the last scenario's state
    # the links were followed with real ids, not only random ones: deliveries were created and
    # some call along a link from them succeeded. Which links the walk takes is up to the
    # generator: the same seed walks others when other test modules were collected too.
    answered = Workflow.answers
    table = str(sorted(answered.items()))
    # the walk, to compare runs: in the JUnit XML with -o junit_family=xunit1; the same every run
    request.node.user_properties.append(("walk", table))
    assert answered[("POST /api/v1/deliveries", 201)], table
    linked = [answered[(op, 200)] for op in (
        "GET /api/v1/deliveries/{delivery_id}", "GET /api/v1/deliveries/{delivery_id}/receipt",
        "GET /api/v1/track/{token}", "POST /api/v1/deliveries/{delivery_id}/cancel",
        "POST /api/v1/dispatch/deliveries/{delivery_id}/assign",
        "POST /api/v1/dispatch/deliveries/{delivery_id}/unassign")]
    assert sum(linked) > 0, table


# -- the edge cases named by the issue ----------------------------------------------------------


@pytest.fixture
def edge(fuzz_app: Any) -> Any:
    app, creds = fuzz_app
    with TestClient(app) as c:
        yield c, creds


def test_an_oversized_body_is_a_413_problem_with_or_without_content_length(edge):
    """Above max_body_bytes: refused before the app reads it, announced or streamed."""
    c, creds = edge
    big = json.dumps(delivery_body(notes="x" * 70_000)).encode()
    headers = bearer(creds["merchant"]) | {"Idempotency-Key": "big", "Content-Type": "application/json"}
    r = c.post("/api/v1/deliveries", content=big, headers=headers)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    r = c.post("/api/v1/deliveries", content=iter([big[:40_000], big[40_000:]]), headers=headers)
    assert r.status_code == 413


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "application/xml", ""])
def test_a_body_that_is_not_json_is_a_415_problem(edge, ctype):
    """Wrong or missing content types on API writes are refused with 415."""
    c, creds = edge
    headers = bearer(creds["merchant"]) | {"Idempotency-Key": "ct", "Content-Type": ctype}
    r = c.post("/api/v1/deliveries", content=json.dumps(delivery_body()).encode(), headers=headers)
    assert r.status_code == 415 and r.json()["field"] == "Content-Type"


@pytest.mark.parametrize("lat,lon", [("NaN", "24.94"), ("Infinity", "24.94"), ("60.17", "-Infinity"),
                                     ("91", "24.94"), ("60.17", "181"), ("-90.5", "0")])
def test_invalid_coordinates_are_422_problems_naming_the_field(edge, lat, lon):
    """NaN, infinities and out-of-range coordinates never reach the service."""
    c, creds = edge
    raw = f'{{"dropoff": {{"lat": {lat}, "lon": {lon}}}, "recipient": {{"name": "A", "phone": "+358401234567"}}}}'
    r = c.post("/api/v1/deliveries", content=raw.encode(),
               headers=bearer(creds["merchant"]) | {"Idempotency-Key": f"{lat}{lon}",
                                                    "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["field"].startswith("dropoff.")
    r = c.post("/api/v1/courier/position", content=f'{{"lat": {lat}, "lon": {lon}}}'.encode(),
               headers=bearer(creds["courier"]) | {"Content-Type": "application/json"})
    assert r.status_code == 422


__all__ = ["DEMO_PASSWORD"]
