"""What ``/api/v1`` promises (``docs/api.md``): no operation, success body, response field or
webhook event is taken away, no field changes type, and no request gets a new required input,
compared with the committed snapshot ``api_contract.json``.

After an additive change (new operation, new field) refresh the snapshot with
``.venv/bin/python -m tests.integration.test_api_compat --write`` and add a line to the
changelog in ``docs/api.md``; a breaking change needs ``/api/v2``.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest

SNAPSHOT = Path(__file__).with_name("api_contract.json")
NOISE = {"description", "examples", "example", "title", "default", "summary"}


def shape(schema: Any, components: dict[str, Any] | None = None) -> Any:
    """A schema without its prose (what a client's types depend on); a named enum is inlined
    (``{"$ref": DeliveryStatus}`` and the same values written in place are one type)."""
    components = components or {}
    if isinstance(schema, dict):
        target = components.get(schema.get("$ref", "").rsplit("/", 1)[-1], {})
        if "enum" in target:
            return shape({k: v for k, v in target.items()}, components)
        return {k: shape(v, components) for k, v in sorted(schema.items()) if k not in NOISE}
    if isinstance(schema, list):
        return [shape(v, components) for v in schema]
    return schema


def refs(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {schema["$ref"].rsplit("/", 1)[1]} if "$ref" in schema else set()
        return found.union(*(refs(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(refs(v) for v in schema))
    return set()


def closure(names: set[str], components: dict[str, Any]) -> set[str]:
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name not in seen and name in components:
            seen.add(name)
            todo.extend(refs(components[name]) - seen)
    return seen


def contract_of(doc: dict[str, Any]) -> dict[str, Any]:
    """Operations of /api/v1 with their success bodies and required inputs, the webhook events,
    and the fields of every schema reachable from a response or a request."""
    components = doc.get("components", {}).get("schemas", {})
    ops, out_refs, in_refs = {}, set(), set()
    for path, methods in doc["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in methods.items():
            success = {code: {media: shape(c.get("schema", {}), components)
                              for media, c in r.get("content", {}).items()}
                       for code, r in op["responses"].items() if code.startswith("2")}
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            out_refs |= refs(success)
            in_refs |= refs(body)
            ops[op["operationId"]] = {
                "method": method.upper(), "path": path, "success": success,
                "required_inputs": sorted(p["name"] for p in op.get("parameters", []) if p.get("required"))
                + (["body"] if op.get("requestBody", {}).get("required") else [])}
    for hook in doc.get("webhooks", {}).values():
        out_refs |= refs(hook["post"]["requestBody"])

    def fields(names: set[str]) -> dict[str, Any]:
        return {n: {"required": sorted(components[n].get("required", [])),
                    "properties": {k: shape(v, components)
                                   for k, v in components[n].get("properties", {}).items()}}
                for n in sorted(closure(names, components))}

    return {"operations": ops, "webhooks": sorted(doc.get("webhooks", {})),
            "responses": fields(out_refs), "requests": fields(in_refs)}


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every way ``new`` breaks a client written against ``old``."""
    found = []
    for op_id, was in old["operations"].items():
        now = new["operations"].get(op_id)
        if now is None:
            found.append(f"operation {op_id} ({was['method']} {was['path']}) is gone")
            continue
        if (now["method"], now["path"]) != (was["method"], was["path"]):
            found.append(f"operation {op_id} moved to {now['method']} {now['path']}")
        for code, media in was["success"].items():
            for name, schema in media.items():
                if now["success"].get(code, {}).get(name) != schema:
                    found.append(f"operation {op_id}: its {code} {name} body changed")
        found += [f"operation {op_id}: {i} is newly required"
                  for i in set(now["required_inputs"]) - set(was["required_inputs"])]
    found += [f"webhook event {e} is gone" for e in set(old["webhooks"]) - set(new["webhooks"])]
    for role in ("responses", "requests"):
        for name, was in old[role].items():
            now = new[role].get(name) or new["responses"].get(name) or new["requests"].get(name)
            if now is None:
                found.append(f"schema {name} is gone")
                continue
            for field, schema in was["properties"].items():
                if field not in now["properties"]:
                    found.append(f"{name}.{field} is gone")
                elif now["properties"][field] != schema:
                    found.append(f"{name}.{field} changed type")
            if role == "responses":
                found += [f"{name}.{f} is no longer always present" for f in set(was["required"]) - set(now["required"])]
            else:
                found += [f"{name}.{f} is newly required" for f in set(now["required"]) - set(was["required"])]
    return sorted(found)


def live_document() -> dict[str, Any]:
    from dispatch.app import create_app
    from dispatch.settings import Settings

    app = create_app(Settings(coopdispatch_env="test", database_url="sqlite:///:memory:",
                              run_dispatch_loop=False, background_jobs=False), run_dispatch=False)
    doc: dict[str, Any] = app.openapi()
    return doc


@pytest.fixture(scope="module")
def live() -> dict[str, Any]:
    return live_document()


def test_nothing_api_v1_promised_was_taken_away_since_the_snapshot(live):
    """Every operation, success body, response field and webhook event of the snapshot is still
    there with the same type; no request got a new required input."""
    old = json.loads(SNAPSHOT.read_text())
    changes = breaking_changes(old, contract_of(live))
    assert not changes, ("breaking changes to /api/v1 (see docs/api.md):\n" + "\n".join(changes))


def test_the_check_fails_when_a_response_model_loses_a_field(live):
    """Dropping Delivery.fee_cents, making Quote.expires_at optional or removing an operation
    is each reported by name."""
    old = contract_of(live)
    doc = copy.deepcopy(live)
    schemas = doc["components"]["schemas"]
    del schemas["Delivery"]["properties"]["fee_cents"]
    schemas["Quote"]["required"].remove("expires_at")
    del doc["paths"]["/api/v1/deliveries/{delivery_id}/receipt"]
    changes = breaking_changes(old, contract_of(doc))
    assert "Delivery.fee_cents is gone" in changes
    assert "Quote.expires_at is no longer always present" in changes
    assert any(c.startswith("operation deliveries_receipt") for c in changes)
    assert breaking_changes(old, old) == []


if __name__ == "__main__" and "--write" in sys.argv:
    SNAPSHOT.write_text(json.dumps(contract_of(live_document()), indent=1, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT}")
