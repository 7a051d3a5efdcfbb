"""The OpenAPI document as a contract merchants generate clients from (``docs/api.md``).

- ``operation_id(route)``: short, stable operation ids. A route sets its own
  (``operation_id="deliveries_create"``); one that does not gets ``<tag>_<function name>``.
- ``document(app)`` finishes the document FastAPI builds: every error response is
  ``application/problem+json`` with the ``Problem`` schema and one example per kind of problem
  (``problems.problem_responses`` on the route, plus the kinds every operation shares:
  ``validation`` where there are parameters or a body, ``unauthorized``/``forbidden`` where a
  security scheme applies, ``payload-too-large``/``unsupported-media-type`` where there is a
  body); FastAPI's own validation-error schemas are dropped (nothing answers them); named models
  no route returns directly (``Problem``, ``Streets``, webhook payloads) go to ``components``.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic.json_schema import models_json_schema

from dispatch.api.problems import KINDS, MEDIA_TYPE, problem_responses
from dispatch.api.responses import Problem
from dispatch.api.responses_people import Streets

REF = "#/components/schemas/{model}"
DEAD = ("HTTPValidationError", "ValidationError")
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def operation_id(route: APIRoute) -> str:
    """``<first tag>_<function name>``, for routes that set no ``operation_id`` of their own."""
    tag = route.tags[0] if route.tags else "api"
    return re.sub(r"[^a-z0-9]+", "_", f"{tag}_{route.name}".lower()).strip("_")


def _components(schema: dict[str, Any]) -> None:
    _, defs = models_json_schema([(m, "serialization") for m in (Problem, Streets)], ref_template=REF)
    found = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, body in defs.get("$defs", {}).items():
        found.setdefault(name, body)
    for name in DEAD:
        found.pop(name, None)


def _shared_kinds(op: dict[str, Any]) -> list[str]:
    kinds = ["internal"]
    if op.get("parameters") or op.get("requestBody"):
        kinds.append("validation")
    if op.get("security"):
        kinds += ["unauthorized", "forbidden"]
    if op.get("requestBody"):
        kinds += ["payload-too-large", "unsupported-media-type"]
    return kinds


def _merge_problems(op: dict[str, Any]) -> None:
    responses = op.setdefault("responses", {})
    for code in [c for c in responses if c != "default" and c[0] in "45"]:
        # FastAPI's 422, a bare declaration or one without the schema: all become Problem
        examples = responses[code].get("content", {}).get(MEDIA_TYPE, {}).get("examples", {})
        responses[code] = {"description": responses[code].get("description", "Error"),
                           "content": {MEDIA_TYPE: {"schema": PROBLEM_REF, "examples": examples}}}
    for status, entry in problem_responses(*_shared_kinds(op)).items():
        code = str(status)
        mine = responses.setdefault(code, {"description": entry["description"],
                                           "content": {MEDIA_TYPE: {"schema": PROBLEM_REF, "examples": {}}}})
        examples = mine["content"][MEDIA_TYPE].setdefault("examples", {})
        for slug, example in entry["content"][MEDIA_TYPE]["examples"].items():
            if slug not in examples:
                examples[slug] = example
                if KINDS[slug].title not in mine["description"]:
                    mine["description"] = f"{mine['description']} | {KINDS[slug].title}".strip(" |")
        if code == "422" and mine["description"] == "Validation Error":
            mine["description"] = " | ".join(KINDS[s].title for s in examples)
    responses["default"] = {"description": "Any other error (RFC 9457 problem details)",
                            "content": {MEDIA_TYPE: {"schema": PROBLEM_REF}}}


def _finish(schema: dict[str, Any]) -> dict[str, Any]:
    _components(schema)
    for ops in list(schema.get("paths", {}).values()) + list(schema.get("webhooks", {}).values()):
        for op in ops.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            if ops is not None and op.get("operationId", "").startswith("webhook_"):
                op["responses"] = {"2XX": {"description": "Received (any 2xx)"},
                                   "default": {"description": "Not received: retried with backoff"}}
                continue
            _merge_problems(op)
    schema.setdefault("info", {})["description"] = (
        schema["info"].get("description", "") + "\n\nVersion policy and changelog: docs/api.md. "
        "Errors: `application/problem+json`; each `type` is documented at `/problems/<slug>`.")
    return schema


def document(app: FastAPI) -> None:
    """Finish the app's OpenAPI document once (wraps whatever ``app.openapi`` is now)."""
    inner = app.openapi
    cache: dict[str, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        if "doc" not in cache:
            cache["doc"] = _finish(inner())
        return cache["doc"]

    app.openapi = openapi  # type: ignore[method-assign]
