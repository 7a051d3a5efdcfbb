"""Idempotent writes: a retried ``Idempotency-Key`` gets the first answer byte for byte.

The record is written in the same transaction as the change it describes, under a unique
(scope, key) constraint, so two concurrent requests with one key can never both commit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.db.models import IdempotencyRecord
from dispatch.domain.errors import IdempotencyConflict, InvalidInput

MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: bytes


def request_hash(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise InvalidInput("the Idempotency-Key header is required", field="Idempotency-Key")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"Idempotency-Key is longer than {MAX_KEY_LENGTH} characters",
                           field="Idempotency-Key")
    return key.strip()


def replay(session: Session, scope: str, key: str, req_hash: str) -> StoredResponse | None:
    """The stored answer for (scope, key), or None; a different body under the key is a 422."""
    row = session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    )
    if row is None:
        return None
    if row.request_hash != req_hash:
        raise IdempotencyConflict(
            "this Idempotency-Key was already used with a different request body",
            field="Idempotency-Key",
        )
    return StoredResponse(row.status_code, row.response_body.encode())


def record(session: Session, scope: str, key: str, req_hash: str, status: int, body: bytes) -> None:
    session.add(IdempotencyRecord(
        scope=scope, key=key, request_hash=req_hash, status_code=status, response_body=body.decode(),
    ))


def after_conflict(session_factory: Any, scope: str, key: str, req_hash: str) -> StoredResponse:
    """After an integrity error: if a concurrent request with the same key won the race,
    answer like it did; otherwise the error was not about the key, so re-raise it."""
    with session_factory() as s:
        stored = replay(s, scope, key, req_hash)
    if stored is None:
        raise  # noqa: PLE0704 - called from an except block: the original IntegrityError
    return stored


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
