"""Proofs of delivery (a photo or a signature at a dropoff): files that no request can replace.

Storage
-------
A proof is the file ``<COOPDISPATCH_DATA_DIR>/proofs/<sha256>.<jpg|png>`` (default ``./data``):
its name is the SHA-256 of its bytes, which its audit row (action ``proof``) also records, so a
file can never hold other bytes than the row says. A later proof of the same dropoff is a new
file and a new row beside the first (versions, never a replacement).

Order of a proof: the bytes go to a private temporary file first; the audit row and the
idempotency record commit; only then is the file linked into place (``os.link`` never replaces:
an existing file of that name already holds these bytes). A request that fails before or at
the commit removes its temporary file and leaves nothing else. Should the process die between
the commit and the link, the bytes are still in ``proofs/.incoming-<sha256>-*``.

Final deliveries
----------------
A proof belongs to a dropoff that is under way: the delivery must be picked up. Once it is
final (delivered or failed) a proof is refused (409 naming ``status``) unless a dispatcher
allowed one more (:func:`allow_proof`, audit action ``allow_proof`` with a reason); each
allowance counts for one proof.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.db.models import AuditEntry, Delivery, Stop
from dispatch.domain.errors import Conflict, InvalidInput, NotFound
from dispatch.services import idempotency
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext, unit_of_work
from dispatch.services.delivery_input import load_visible
from dispatch.services.views import iso

log = logging.getLogger(__name__)
DATA_DIR_ENV = "COOPDISPATCH_DATA_DIR"
FINAL = ("delivered", "failed")


@dataclass(frozen=True, slots=True)
class NewProof:
    stop_id: str
    kind: str  # photo | signature
    happened_at: datetime
    image: bytes
    ext: str  # jpg | png
    sha256: str


def proofs_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV, "./data")) / "proofs"


def proof_path(sha256: str, ext: str) -> Path:
    """Where the proof with these bytes lives (content-addressed)."""
    return proofs_dir() / f"{sha256}.{ext}"


def attach_proof(ctx: ServiceContext, who: Principal, proof: NewProof, key: str,
                 req_hash: str) -> idempotency.StoredResponse:
    """Store a proof for a dropoff on the courier's route (see the module docstring)."""
    scope = f"courier:{who.courier_id}"
    folder = proofs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".incoming-{proof.sha256}-{uuid.uuid4().hex}.{proof.ext}"
    _write_private(tmp, proof.image)
    try:
        with unit_of_work(ctx) as uow:
            d = _dropoff_for(uow.session, who, proof.stop_id)
            _check_may_add(uow.session, d)
            name = proof_path(proof.sha256, proof.ext).name
            uow.session.add(AuditEntry(
                coop_id=d.coop_id, delivery_id=d.id, action="proof", actor_kind="courier",
                actor_id=who.actor_id, reason=f"{proof.kind} proofs/{name} sha256={proof.sha256}",
                happened_at=proof.happened_at))
            answer = idempotency.dumps({"delivery_id": d.id, "kind": proof.kind, "file": f"proofs/{name}",
                                        "sha256": proof.sha256, "bytes": len(proof.image)})
            idempotency.record(uow.session, scope, key, req_hash, 201, answer)
        _put_in_place(tmp, proof_path(proof.sha256, proof.ext))
    except IntegrityError:
        return idempotency.after_conflict(ctx.sessions, scope, key, req_hash)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return idempotency.StoredResponse(201, answer)


def allow_proof(ctx: ServiceContext, who: Principal, delivery_id: str, reason: str) -> dict[str, Any]:
    """A dispatcher lets the courier attach one more proof to a final delivery."""
    now = ctx.clock()
    with unit_of_work(ctx) as uow:
        d = load_visible(uow.session, who, delivery_id)
        if d.status not in FINAL:
            raise Conflict(f"delivery {d.id} is {d.status}: its courier can attach proofs without "
                           "an allowance until it is delivered or failed", field="status")
        uow.session.add(AuditEntry(coop_id=d.coop_id, delivery_id=d.id, action="allow_proof",
                                   actor_kind=who.role, actor_id=who.actor_id, reason=reason,
                                   happened_at=now))
    return {"delivery_id": delivery_id, "status": d.status, "proofs_allowed": 1, "allowed_at": iso(now)}


def _dropoff_for(s: Session, who: Principal, stop_id: str) -> Delivery:
    stop = s.get(Stop, stop_id)
    d = None
    if stop is not None:
        q = select(Delivery).where(Delivery.id == stop.delivery_id)
        if s.get_bind().dialect.name == "postgresql":
            q = q.with_for_update()  # two proofs on one allowance: the second waits and is refused
        d = s.scalar(q)
    if stop is None or d is None or stop.kind != "dropoff" or d.courier_id != who.courier_id:
        raise NotFound(f"no dropoff {stop_id} on your route", field="stop_id")
    if d.status not in ("picked_up", *FINAL):
        raise InvalidInput("a proof belongs to a dropoff of a picked-up delivery", field="stop_id")
    return d


def _check_may_add(s: Session, d: Delivery) -> None:
    if d.status not in FINAL:
        return
    last = {action: s.scalar(select(func.max(AuditEntry.id)).where(
        AuditEntry.delivery_id == d.id, AuditEntry.action == action)) for action in ("proof", "allow_proof")}
    if last["allow_proof"] is None or (last["proof"] or 0) > last["allow_proof"]:
        raise Conflict(f"delivery {d.id} is {d.status}: a proof after that needs a dispatcher's "
                       "allowance", field="status")


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _put_in_place(tmp: Path, final: Path) -> None:
    """Link the committed proof's bytes to their name; never replace an existing file."""
    try:
        os.link(tmp, final)
    except FileExistsError:
        return  # the same name is the same bytes (content-addressed)
    except OSError:  # a filesystem without hard links: create exclusively, then copy
        try:
            fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return
        with os.fdopen(fd, "wb") as f:
            f.write(tmp.read_bytes())
