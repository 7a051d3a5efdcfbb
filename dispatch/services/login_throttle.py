"""Growing delays after failed logins, per account and per client address, never a lock-out.

Each account (by a SHA-256 of its email, known or not) and each client address has a row of
failures. The first ``login_free_failures`` (five times as many for an address, which people
behind one NAT share) cost nothing; each one after doubles the wait before the next attempt
is heard (1 s, 2 s, 4 s ... up to ``login_max_delay_s``). An attempt during the wait gets 429
with ``Retry-After`` and does not count. A success clears the account's row; a row older than
``FORGET_AFTER`` starts over. Rows live in the database, so every API process sees them.

A hard lock-out (the old rule: ten bad passwords and the owner is out) lets anyone lock anyone
out; a growing delay only slows a guesser down to a few hundred tries a day per account.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.db.models import LoginThrottle
from dispatch.domain.errors import DomainError

FORGET_AFTER = timedelta(hours=1)
ADDRESS_FACTOR = 5  # an address may fail this many times more than one account before waiting
PRUNE_ONE_IN = 64  # about every 64th failure deletes the rows nobody failed for FORGET_AFTER


class TooManyAttempts(DomainError):
    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, retry_after_s: int, *, field: str | None = None) -> None:
        super().__init__(detail, field=field)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class Keys:
    account: str
    address: str


def keys_for(email: str, address: str) -> Keys:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return Keys(f"account:{digest}", f"address:{address[:64]}")


def check(s: Session, keys: Keys, now: datetime) -> None:
    """Raise ``TooManyAttempts`` while the account or the address has to wait."""
    waits = s.scalars(select(LoginThrottle.wait_until).where(
        LoginThrottle.key.in_([keys.account, keys.address]))).all()
    until = max((w for w in waits if w is not None and w > now), default=None)
    if until is not None:
        seconds = max(1, int((until - now).total_seconds() + 0.999))
        raise TooManyAttempts(f"too many failed logins: try again in {seconds} s", seconds, field="email")


def record_failure(s: Session, keys: Keys, now: datetime, free: int, max_delay_s: int) -> None:
    """Count a failed attempt against both keys (in the caller's transaction)."""
    if random.randrange(PRUNE_ONE_IN) == 0:  # random emails must not grow the table forever
        s.execute(delete(LoginThrottle).where(LoginThrottle.last_failed_at < now - FORGET_AFTER))
    for key, allowed in ((keys.account, free), (keys.address, free * ADDRESS_FACTOR)):
        row = s.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, last_failed_at=now)
            try:
                with s.begin_nested():
                    s.add(row)
            except IntegrityError:  # a concurrent failure made the row first
                row = s.get(LoginThrottle, key, populate_existing=True)
                assert row is not None
        if now - row.last_failed_at > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failed_at = now
        past = row.failures - allowed
        row.wait_until = now + timedelta(seconds=min(2 ** (past - 1), max_delay_s)) if past > 0 else None


def record_success(s: Session, keys: Keys) -> None:
    """The account's owner is in: its failures are forgotten (the address's are not)."""
    s.execute(delete(LoginThrottle).where(LoginThrottle.key == keys.account))
