"""Who is calling: merchant API keys, people's login and bearer tokens.

API keys look like ``cd_<prefix>_<secret>``: the prefix finds the row, the secret is checked
against an argon2 hash. Verified keys are remembered per process for a few minutes (keyed by
a SHA-256 of the whole key) so that argon2's deliberate slowness is paid once, not per request.
Tokens are random and stored as SHA-256 (they have 256 bits of entropy; a slow hash adds nothing);
a known token is also remembered for a minute (a thousand phones reconnecting at once would
otherwise be a thousand database reads), its expiry still checked on every use.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from dispatch.db.models import ApiKey, AuthToken, Courier, Merchant, User
from dispatch.domain.errors import DomainError
from dispatch.services import login_throttle
from dispatch.services.context import ServiceContext, UnitOfWork, unit_of_work, utcnow

PASSWORDS = PasswordHasher()
# Keys carry 192 random bits: a light argon2 setting is plenty and keeps first use cheap.
KEYS = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
KEY_CACHE_S = 60.0  # a revoked key stops working within a minute
TOKEN_CACHE_S = 60.0  # a deleted token or a changed role takes effect within a minute
MAX_CACHED = 100_000  # keys and tokens per process; past that the cache starts over


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"
    problem_type = "unauthorized"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    role: str  # merchant | courier | dispatcher | admin
    coop_id: str
    user_id: str | None = None
    merchant_id: str | None = None
    courier_id: str | None = None

    @property
    def actor_id(self) -> str | None:
        return self.merchant_id if self.role == "merchant" else self.user_id


_key_lock = threading.Lock()
_verifying: dict[str, threading.Lock] = {}  # API key digest -> held while one thread verifies it
# how many times each context's cached keys were forgotten (by id of its cache): a verification
# that started before a revocation was heard must not put the key back into the cache after it
_key_epochs: dict[int, int] = {}


def hash_password(password: str) -> str:
    return PASSWORDS.hash(password)


def create_api_key(session: Session, merchant_id: str, label: str = "") -> str:
    """Create a key for ``merchant_id`` and return it in clear (shown once)."""
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(24)
    session.add(ApiKey(merchant_id=merchant_id, prefix=prefix, secret_hash=KEYS.hash(secret), label=label))
    return f"cd_{prefix}_{secret}"


def principal_from_api_key(ctx: ServiceContext, key: str) -> Principal:
    return api_key_session(ctx, key)[0]


def api_key_session(ctx: ServiceContext, key: str) -> tuple[Principal, datetime | None]:
    """The merchant behind an API key and when the key expires (None: until revoked; a rotated
    key at the end of its overlap). A cached verification never outlives the key's expiry."""
    digest = _token_hash(key)
    hit = _fresh_key(ctx, digest)
    if hit is not None:
        return hit[1], hit[2]
    # One verification per key at a time: when a key's entry is missing or stale, every
    # request with it would otherwise run argon2 at once (40 of them per worker on a busy
    # merchant's key), and the others wait for its answer instead.
    with _key_lock:
        gate = _verifying.setdefault(digest, threading.Lock())
    with gate:
        hit = _fresh_key(ctx, digest)
        if hit is not None:
            return hit[1], hit[2]
        try:
            epoch = _key_epochs.get(id(ctx.key_cache), 0)
            principal, expires_at = _verify_api_key(ctx, key)
            stale_s = KEY_CACHE_S
            if expires_at is not None:
                stale_s = min(stale_s, (expires_at - ctx.clock()).total_seconds())
            if _key_epochs.get(id(ctx.key_cache), 0) == epoch:
                _remember(ctx, digest, (time.monotonic() + stale_s, principal, expires_at))
        finally:
            with _key_lock:
                _verifying.pop(digest, None)
    return principal, expires_at


def _fresh_key(ctx: ServiceContext, digest: str) -> tuple[Any, ...] | None:
    """A cached key verification, None if absent, stale or past the key's own expiry (checked on
    the service's clock on every use, as a token's is)."""
    hit = _fresh(ctx, digest)
    return None if hit is None or (hit[2] is not None and hit[2] <= ctx.clock()) else hit


def api_key_name(key: str) -> str:
    """What sockets and revocation events name an API key by: its public prefix, never a secret."""
    return "key:" + key.split("_", 2)[1] if key.count("_") >= 2 else "key:"


def _fresh(ctx: ServiceContext, name: str) -> tuple[Any, ...] | None:
    """The cache entry ``name`` (its first field is when it goes stale), None if absent or stale."""
    with _key_lock:
        hit = ctx.key_cache.get(name)
    return hit if hit is not None and hit[0] > time.monotonic() else None


def _remember(ctx: ServiceContext, name: str, entry: tuple[Any, ...]) -> None:
    with _key_lock:
        if len(ctx.key_cache) >= MAX_CACHED:
            ctx.key_cache.clear()
        ctx.key_cache[name] = entry


def forget_cached_keys(ctx: ServiceContext) -> None:
    """Drop this process's cached key verifications (the cache is keyed by a digest of the whole
    key, which is not stored: every cached key is dropped; the others verify again), including
    those still being verified."""
    with _key_lock:
        _key_epochs[id(ctx.key_cache)] = _key_epochs.get(id(ctx.key_cache), 0) + 1
        for name in [n for n in ctx.key_cache if not n.startswith("token:")]:
            ctx.key_cache.pop(name, None)


def _verify_api_key(ctx: ServiceContext, key: str) -> tuple[Principal, datetime | None]:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "cd":
        raise Unauthorized("malformed API key", field="Authorization")
    with ctx.sessions() as s:
        row = s.scalar(select(ApiKey).where(ApiKey.prefix == parts[1], ApiKey.revoked_at.is_(None),
                                            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > ctx.clock())))
        if row is None or not _matches(KEYS, row.secret_hash, parts[2]):
            raise Unauthorized("unknown or revoked API key", field="Authorization")
        merchant = s.get(Merchant, row.merchant_id)
        assert merchant is not None
        return Principal(role="merchant", coop_id=merchant.coop_id, merchant_id=merchant.id), row.expires_at


def _matches(hasher: PasswordHasher, stored: str, given: str) -> bool:
    try:
        return hasher.verify(stored, given)
    except (VerificationError, InvalidHashError):
        return False


def login(ctx: ServiceContext, email: str, password: str, address: str = "unknown") -> tuple[str, Principal]:
    """Check a person's password and issue a bearer token.

    An unknown email costs the same argon2 verification as a known one (against a dummy hash),
    so the answer's timing does not tell which emails exist. Failures slow the next attempts
    down per account and per client ``address`` (``login_throttle``), never lock anyone out."""
    keys = login_throttle.keys_for(email, address)
    now = ctx.clock()
    with ctx.sessions() as s, s.begin():
        login_throttle.check(s, keys, now)
        user = s.scalar(select(User).where(User.email == email.strip().lower()))
        if not _matches(PASSWORDS, user.password_hash if user else _dummy_hash(), password) or user is None:
            login_throttle.record_failure(s, keys, now, ctx.settings.login_free_failures,
                                          ctx.settings.login_max_delay_s)
            user = None
        else:
            login_throttle.record_success(s, keys)
            if not user.active:
                raise Unauthorized("this account is deactivated: ask an admin of your co-op", field="email")
            token = secrets.token_urlsafe(32)
            s.add(AuthToken(token_hash=_token_hash(token), user_id=user.id,
                            expires_at=now + timedelta(seconds=ctx.settings.token_ttl_s)))
            return token, _principal_for_user(s, user)
    raise Unauthorized("wrong email or password", field="password")


_dummy: list[str] = []


def _dummy_hash() -> str:
    """An argon2 hash with the real parameters, to verify unknown emails against."""
    if not _dummy:
        _dummy.append(PASSWORDS.hash(secrets.token_urlsafe(16)))
    return _dummy[0]


def change_password(ctx: ServiceContext, who: Principal, current: str, new: str) -> str:
    """Set a new password, revoke every token of the person (a thief's included, and the sockets
    they opened) and return a fresh token for the device that asked."""
    if who.user_id is None:
        raise Unauthorized("API keys have no password", field="Authorization")
    with unit_of_work(ctx) as uow:
        user = uow.session.get(User, who.user_id)
        if user is None or not _matches(PASSWORDS, user.password_hash, current):
            raise Unauthorized("the current password is wrong", field="current_password")
        user.password_hash = hash_password(new)
        now = ctx.clock()
        revoked = revoke_all_tokens(uow, user.id, "password changed", now)
        token = issue_token(uow.session, user.id, ctx.settings.token_ttl_s, now)
    forget_tokens(ctx, revoked)
    return token


def issue_token(session: Session, user_id: str, ttl_s: int, now: datetime) -> str:
    """Issue a token without a password (demo seeding and tests)."""
    token = secrets.token_urlsafe(32)
    session.add(AuthToken(token_hash=_token_hash(token), user_id=user_id, expires_at=now + timedelta(seconds=ttl_s)))
    return token


def principal_from_token(ctx: ServiceContext, token: str) -> Principal:
    """The person behind a bearer token; a known token is remembered for ``TOKEN_CACHE_S`` with
    its expiry time, which is checked on every use (a cached token still expires on time)."""
    return token_session(ctx, token)[0]


def token_session(ctx: ServiceContext, token: str) -> tuple[Principal, datetime]:
    """The person behind a bearer token and when the token expires (a socket closes then)."""
    digest = _token_hash(token)
    hit = _fresh(ctx, "token:" + digest)
    if hit is None:
        hit = (time.monotonic() + TOKEN_CACHE_S, *_lookup_token(ctx, digest))
        _remember(ctx, "token:" + digest, hit)
    _, expires_at, principal = hit
    if expires_at <= ctx.clock():
        raise Unauthorized("expired token: log in again", field="Authorization")
    return principal, expires_at


def _lookup_token(ctx: ServiceContext, digest: str) -> tuple[datetime, Principal]:
    # one statement: a thousand couriers' sockets connect at once, each looking its token up
    with ctx.sessions() as s:
        row = s.execute(select(AuthToken.expires_at, User.id, User.role, User.coop_id, User.merchant_id,
                               Courier.id.label("courier_id"))
                        .join(User, User.id == AuthToken.user_id)
                        .outerjoin(Courier, Courier.user_id == User.id)
                        .where(AuthToken.token_hash == digest, AuthToken.revoked_at.is_(None),
                               User.active.is_(True))).first()
        if row is None:
            raise Unauthorized("unknown or revoked token: log in again", field="Authorization")
        return row.expires_at, _principal(row.role, row.coop_id, row.id, row.merchant_id, row.courier_id)


def cached_principal(ctx: ServiceContext, credential: str) -> Principal | None:
    """The caller from the per-process cache alone (no database, no hashing beyond SHA-256), or
    None when the credential is not cached or its cache entry is stale. A cached token's own
    expiry is still checked. Cheap enough to run on the event loop."""
    if credential.startswith("cd_"):
        hit = _fresh_key(ctx, _token_hash(credential))
        return None if hit is None else hit[1]
    hit = _fresh(ctx, "token:" + _token_hash(credential))
    if hit is None:
        return None
    if hit[1] <= ctx.clock():
        raise Unauthorized("expired token: log in again", field="Authorization")
    return hit[2]  # type: ignore[no-any-return]


def principal_from_bearer(ctx: ServiceContext, credential: str) -> Principal:
    """API keys start with ``cd_``; anything else is a person's token."""
    if credential.startswith("cd_"):
        return principal_from_api_key(ctx, credential)
    return principal_from_token(ctx, credential)


def _principal_for_user(s: Session, user: User) -> Principal:
    courier_id = s.scalar(select(Courier.id).where(Courier.user_id == user.id)) if user.role == "courier" else None
    return _principal(user.role, user.coop_id, user.id, user.merchant_id, courier_id)


def _principal(role: str, coop_id: str, user_id: str, merchant_id: str | None,
               courier_id: str | None) -> Principal:
    """The one place that decides a principal's ids: a courier id only for the courier role."""
    return Principal(role=role, coop_id=coop_id, user_id=user_id, merchant_id=merchant_id,
                     courier_id=courier_id if role == "courier" else None)


def logout(ctx: ServiceContext, token: str) -> None:
    """Revoke the token the caller sent: it stops working here at once, and in every other
    process (and on every socket it opened) as soon as the ``auth.revoked`` event reaches it."""
    digest = _token_hash(token)
    with unit_of_work(ctx) as uow:
        row = uow.session.get(AuthToken, digest)
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at, row.revoked_reason = ctx.clock(), "logout"
        user = uow.session.get(User, row.user_id)
        assert user is not None
        uow.emit(user.coop_id, "auth.revoked", [f"user:{user.id}"],
                 {"user_id": user.id, "tokens": [digest], "reason": "logout"})
    forget_tokens(ctx, [digest])


def revoke_all_tokens(uow: UnitOfWork | Session, user_id: str, reason: str,
                      now: datetime | None = None) -> list[str]:
    """Revoke every live token of ``user_id`` in the caller's transaction (password change,
    deactivation); returns their SHA-256 digests. Pass the ``UnitOfWork`` so that the
    ``auth.revoked`` event goes out right after the commit: every process then forgets the
    tokens and closes the sockets they opened. (A bare ``Session`` works too; the relay then
    publishes the event on its next poll.)"""
    work = uow if isinstance(uow, UnitOfWork) else UnitOfWork(uow)
    now = now or utcnow()
    digests = list(work.session.scalars(select(AuthToken.token_hash).where(
        AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None), AuthToken.expires_at > now)))
    if digests:
        work.session.execute(update(AuthToken).where(AuthToken.token_hash.in_(digests))
                             .values(revoked_at=now, revoked_reason=reason[:40]))
        user = work.session.get(User, user_id)
        assert user is not None, f"no user {user_id}"
        work.emit(user.coop_id, "auth.revoked", [f"user:{user_id}"],
                  {"user_id": user_id, "tokens": digests, "reason": reason[:40]})
    return digests


def forget_tokens(ctx: ServiceContext, digests: list[str]) -> None:
    """Drop revoked tokens from this process's cache (the hub observer calls it for every
    ``auth.revoked`` event, whichever process committed it)."""
    with _key_lock:
        for digest in digests:
            ctx.key_cache.pop("token:" + digest, None)


def revoked_among(ctx: ServiceContext, digests: list[str]) -> set[str]:
    """Which of these token digests and API key names (:func:`api_key_name`) are revoked or expired."""
    prefixes = [d[4:] for d in digests if d.startswith("key:")]
    digests = [d for d in digests if not d.startswith("key:")]
    if not digests and not prefixes:
        return set()
    now = ctx.clock()
    with ctx.sessions() as s:
        rows = set(s.scalars(select(AuthToken.token_hash).where(
            AuthToken.token_hash.in_(digests),
            or_(AuthToken.revoked_at.is_not(None), AuthToken.expires_at <= now)))) if digests else set()
        if prefixes:
            rows |= {"key:" + p for p in s.scalars(select(ApiKey.prefix).where(
                ApiKey.prefix.in_(prefixes), or_(ApiKey.revoked_at.is_not(None), ApiKey.expires_at <= now)))}
        return rows


def token_digest(token: str) -> str:
    """What a revocation event names a token by."""
    return _token_hash(token)


def _token_hash(token: str) -> str:
    """SHA-256 of a token or API key: the stored token hash and the cache's key."""
    return hashlib.sha256(token.encode()).hexdigest()
