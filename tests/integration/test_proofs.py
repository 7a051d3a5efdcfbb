"""Proofs of delivery on SQLite and PostgreSQL: content-addressed files that no later request,
failed or not, can replace, placed only after their audit row commits, and closed once the
delivery is final unless a dispatcher allows one more."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatch.db.models import AuditEntry
from dispatch.services import idempotency
from tests.integration.api_client import login, report
from tests.integration.test_courier_dispatch_api import assigned_delivery


def jpeg(tag: str) -> bytes:
    return b"\xff\xd8\xff\xe0" + tag.encode() * 50


def send_proof(client: Any, courier: dict[str, str], stop_id: str, image: bytes, key: str | None = None) -> Any:
    body = {"kind": "photo", "happened_at": datetime.now(UTC).isoformat(),
            "image_base64": base64.b64encode(image).decode()}
    return client.post(f"/api/v1/courier/stops/{stop_id}/proof", json=body,
                       headers=courier | {"Idempotency-Key": key or str(uuid.uuid4())})


@pytest.fixture
def proofs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COOPDISPATCH_DATA_DIR", str(tmp_path))
    return tmp_path / "proofs"


def audited_files(ctx: Any, proofs: Path) -> dict[str, bytes]:
    """sha256 each audit row names -> the bytes of the file it names."""
    with ctx.sessions() as s:
        reasons = s.scalars(select(AuditEntry.reason).where(AuditEntry.action == "proof")).all()
    named = [re.fullmatch(r"photo (proofs/\S+) sha256=([0-9a-f]{64})", reason) for reason in reasons]
    return {m[2]: (proofs.parent / m[1]).read_bytes() for m in named if m}


def test_no_later_proof_even_a_failed_one_changes_the_bytes_an_audit_row_describes(
        client, world, ctx, proofs_dir, monkeypatch):
    """A second proof is a second file; a request that fails at its commit leaves no file and no
    row; a retried key writes nothing; every audited file's bytes hash to what its row says."""
    courier, _, _, stops = assigned_delivery(client, world)
    assert report(client, courier, stops["pickup"]["id"], "picked_up").status_code == 200
    dropoff = stops["dropoff"]["id"]
    first = send_proof(client, courier, dropoff, jpeg("A"), key="proof-a")
    assert first.status_code == 201, first.text
    assert first.json()["sha256"] == hashlib.sha256(jpeg("A")).hexdigest()
    assert send_proof(client, courier, dropoff, jpeg("A"), key="proof-a").json() == first.json()
    assert send_proof(client, courier, dropoff, jpeg("B")).status_code == 201

    def broken_record(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away at the commit")

    monkeypatch.setattr(idempotency, "record", broken_record)
    failing = TestClient(client.app, raise_server_exceptions=False)
    assert send_proof(failing, courier, dropoff, jpeg("C")).status_code == 500
    monkeypatch.undo()

    files = audited_files(ctx, proofs_dir)
    assert set(files) == {hashlib.sha256(jpeg(t)).hexdigest() for t in "AB"}
    assert all(hashlib.sha256(data).hexdigest() == sha for sha, data in files.items())
    assert sorted(os.listdir(proofs_dir)) == sorted(f"{sha}.jpg" for sha in files)  # no leftovers


def test_a_final_delivery_takes_a_proof_only_when_a_dispatcher_allows_one(client, world, ctx, proofs_dir):
    """Delivered: a proof is a 409 naming status; a dispatcher's allowance (with a reason)
    admits exactly one more; allowances are for final deliveries and for dispatchers only."""
    courier, _, d, stops = assigned_delivery(client, world)
    dispatcher = login(client, world.dispatcher_email, world.password)
    allow = f"/api/v1/dispatch/deliveries/{d['id']}/allow-proof"
    assert report(client, courier, stops["pickup"]["id"], "picked_up").status_code == 200
    early = client.post(allow, json={"reason": "retake"}, headers=dispatcher)
    assert (early.status_code, early.json()["field"]) == (409, "status")
    assert send_proof(client, courier, stops["dropoff"]["id"], jpeg("A")).status_code == 201
    assert report(client, courier, stops["dropoff"]["id"], "delivered").status_code == 200

    late = send_proof(client, courier, stops["dropoff"]["id"], jpeg("D"))
    assert (late.status_code, late.json()["field"]) == (409, "status"), late.text
    assert client.post(allow, json={"reason": "retake"}, headers=courier).status_code == 403
    allowed = client.post(allow, json={"reason": "the photo was blurred"}, headers=dispatcher)
    assert allowed.status_code == 200, allowed.text
    assert send_proof(client, courier, stops["dropoff"]["id"], jpeg("D")).status_code == 201
    assert send_proof(client, courier, stops["dropoff"]["id"], jpeg("E")).status_code == 409

    files = audited_files(ctx, proofs_dir)
    assert set(files) == {hashlib.sha256(jpeg(t)).hexdigest() for t in "AD"}
    assert all(hashlib.sha256(data).hexdigest() == sha for sha, data in files.items())
