"""Proof of delivery: a photo or a signature the courier attaches to a dropoff.

``POST /api/v1/courier/stops/{stop_id}/proof`` with ``{"kind": "photo"|"signature",
"happened_at": ISO, "image_base64": ...}`` (a JPEG photo or a PNG signature; JSON because the
API edge takes JSON bodies only, and at most ``MAX_PROOF_BYTES`` decoded so that the request
stays under the edge's body limit: the app downscales the photo in a canvas first) and an
``Idempotency-Key``, like every queued courier action.

The schema has no table for proofs, so the image is stored as a file under
``<COOPDISPATCH_DATA_DIR>/proofs/<delivery id>.<jpg|png>`` (default ``./data``; a photo is a
``.jpg``, a signature a ``.png``, so a dropoff may have one of each) and the audit log gets a row
(action ``proof``, at the phone's time) whose reason names the file and its SHA-256. A retried
key answers the first result and writes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from dispatch.api.deps import CourierCaller, Ctx, IdempotencyKey
from dispatch.api.fields import Instant
from dispatch.api.problems import problem_responses
from dispatch.api.responses_people import Proof
from dispatch.db.models import AuditEntry, Delivery, Stop
from dispatch.domain.errors import InvalidInput, NotFound
from dispatch.services import idempotency
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext, unit_of_work

router = APIRouter(prefix="/api/v1/courier", tags=["courier"])
MAX_PROOF_BYTES = 45 * 1024  # base64 of it plus the JSON stays under the 64 KiB body limit
MEDIA = {"photo": ("jpg", b"\xff\xd8\xff"), "signature": ("png", b"\x89PNG")}
DATA_DIR_ENV = "COOPDISPATCH_DATA_DIR"


class ProofIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["photo", "signature"]
    happened_at: Instant
    image_base64: str = Field(min_length=8, max_length=(MAX_PROOF_BYTES * 4) // 3 + 8)


def proofs_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV, "./data")) / "proofs"


def image_from_body(body: ProofIn) -> tuple[bytes, str]:
    """The decoded image and its file extension, or 422 naming the field."""
    try:
        image = base64.b64decode(body.image_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("image_base64 is not base64", field="image_base64") from exc
    ext, magic = MEDIA[body.kind]
    if not image.startswith(magic):
        raise InvalidInput(f"a {body.kind} proof must be a {ext.upper()} image", field="image_base64")
    if len(image) > MAX_PROOF_BYTES:
        raise InvalidInput(f"the image may be at most {MAX_PROOF_BYTES // 1024} KiB", field="image_base64")
    return image, ext


@router.post("/stops/{stop_id}/proof", status_code=201, summary="Attach a photo or signature to a dropoff",
             operation_id="courier_proof_attach", response_model=Proof,
             responses=problem_responses("not-found", "invalid-input", "idempotency-conflict"))
def attach_proof(stop_id: str, body: ProofIn, ctx: Ctx, who: CourierCaller, key: IdempotencyKey) -> Response:
    checked = idempotency.check_key(key)
    image, ext = image_from_body(body)
    digest = hashlib.sha256(image).hexdigest()
    req_hash = idempotency.request_hash({"stop": stop_id, "kind": body.kind, "sha256": digest})
    with ctx.sessions() as s:
        stored = idempotency.replay(s, f"courier:{who.courier_id}", checked, req_hash)
    if stored is None:
        stored = _store(ctx, who, stop_id, body, image, ext, checked, req_hash)
    return Response(stored.body, status_code=stored.status_code, media_type="application/json")


def _store(ctx: ServiceContext, who: Principal, stop_id: str, body: ProofIn, image: bytes, ext: str,
           key: str, req_hash: str) -> idempotency.StoredResponse:
    scope = f"courier:{who.courier_id}"
    kind, digest = body.kind, hashlib.sha256(image).hexdigest()
    try:
        with unit_of_work(ctx) as uow:
            stop = uow.session.get(Stop, stop_id)
            d = uow.session.get(Delivery, stop.delivery_id) if stop else None
            if stop is None or d is None or stop.kind != "dropoff" or d.courier_id != who.courier_id:
                raise NotFound(f"no dropoff {stop_id} on your route", field="stop_id")
            if d.status not in ("picked_up", "delivered", "failed"):
                raise InvalidInput("a proof belongs to a dropoff of a picked-up delivery", field="stop_id")
            folder = proofs_dir()
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{d.id}.{ext}"
            path.write_bytes(image)
            uow.session.add(AuditEntry(
                coop_id=d.coop_id, delivery_id=d.id, action="proof", actor_kind="courier",
                actor_id=who.actor_id, reason=f"{kind} proofs/{path.name} sha256={digest}",
                happened_at=body.happened_at,
            ))
            answer = idempotency.dumps({"delivery_id": d.id, "kind": kind, "file": f"proofs/{path.name}",
                                        "sha256": digest, "bytes": len(image)})
            idempotency.record(uow.session, scope, key, req_hash, 201, answer)
    except IntegrityError:
        return idempotency.after_conflict(ctx.sessions, scope, key, req_hash)
    return idempotency.StoredResponse(201, answer)
