"""Proof of delivery: a photo or a signature the courier attaches to a dropoff (the HTTP edge).

``POST /api/v1/courier/stops/{stop_id}/proof`` with ``{"kind": "photo"|"signature",
"happened_at": ISO, "image_base64": ...}`` (a JPEG photo or a PNG signature; JSON because the
API edge takes JSON bodies only, and at most ``MAX_PROOF_BYTES`` decoded so that the request
stays under the edge's body limit: the app downscales the photo in a canvas first) and an
``Idempotency-Key``, like every queued courier action. A retried key answers the first result
and writes nothing.

``POST /api/v1/dispatch/deliveries/{delivery_id}/allow-proof`` (dispatcher, with a reason) lets
the courier attach one more proof once the delivery is final. How proofs are stored (content-
addressed files, linked into place after their audit row commits, never replaced) is
:mod:`dispatch.services.proofs`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from dispatch.api.deps import CourierCaller, Ctx, Dispatcher, IdempotencyKey
from dispatch.api.fields import Instant
from dispatch.api.problems import problem_responses
from dispatch.api.responses_people import Proof
from dispatch.domain.errors import InvalidInput
from dispatch.services import idempotency
from dispatch.services import proofs as svc
from dispatch.services.proofs import DATA_DIR_ENV, proofs_dir  # noqa: F401 - this module's old names

router = APIRouter(prefix="/api/v1/courier", tags=["courier"])
MAX_PROOF_BYTES = 45 * 1024  # base64 of it plus the JSON stays under the 64 KiB body limit
MEDIA = {"photo": ("jpg", b"\xff\xd8\xff"), "signature": ("png", b"\x89PNG")}
dispatch_router = APIRouter(prefix="/api/v1/dispatch", tags=["dispatch"])


class ProofIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["photo", "signature"]
    happened_at: Instant
    image_base64: str = Field(min_length=8, max_length=(MAX_PROOF_BYTES * 4) // 3 + 8)


class AllowProofIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class ProofAllowance(BaseModel):
    """One more proof may be attached to this final delivery."""

    delivery_id: str
    status: Literal["delivered", "failed"]
    proofs_allowed: int
    allowed_at: str


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
             responses=problem_responses("not-found", "invalid-input", "idempotency-conflict", "conflict"))
def attach_proof(stop_id: str, body: ProofIn, ctx: Ctx, who: CourierCaller, key: IdempotencyKey) -> Response:
    checked = idempotency.check_key(key)
    image, ext = image_from_body(body)
    digest = hashlib.sha256(image).hexdigest()
    req_hash = idempotency.request_hash({"stop": stop_id, "kind": body.kind, "sha256": digest})
    with ctx.sessions() as s:
        stored = idempotency.replay(s, f"courier:{who.courier_id}", checked, req_hash)
    if stored is None:
        proof = svc.NewProof(stop_id, body.kind, body.happened_at, image, ext, digest)
        stored = svc.attach_proof(ctx, who, proof, checked, req_hash)
    return Response(stored.body, status_code=stored.status_code, media_type="application/json")


@dispatch_router.post("/deliveries/{delivery_id}/allow-proof", operation_id="dispatch_allow_proof",
                      response_model=ProofAllowance,
                      summary="Let the courier attach one more proof to a final delivery",
                      responses=problem_responses("not-found", "conflict"))
def allow_proof(delivery_id: str, body: AllowProofIn, ctx: Ctx, who: Dispatcher) -> dict[str, Any]:
    """Once a delivery is delivered or failed its proofs are closed; this opens them for one
    more (a retaken photo, a late signature), recorded in the audit log with the reason."""
    return svc.allow_proof(ctx, who, delivery_id, body.reason)
