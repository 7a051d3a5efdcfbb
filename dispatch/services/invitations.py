"""One-time links to set a password: invitations for new members and password resets.

A link is ``<public_url>/accept/#<token>``: the token sits in the fragment, which browsers never
send to the server, so it reaches no access log; the accept page posts it in a body. Only its
SHA-256 is stored. A link expires after ``invitation_ttl_h`` hours and works once; a new link
for the same person replaces the old one. E-mail goes out only when SMTP is configured; the
link is always shown once to the admin who made it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dispatch.db.models import Coop, Invitation, User
from dispatch.domain.errors import InvalidInput, NotFound
from dispatch.services.auth import Principal, hash_password, issue_token
from dispatch.services.context import ServiceContext
from dispatch.settings import Settings

log = logging.getLogger(__name__)
MIN_PASSWORD = 10
NO_PASSWORD = "!"  # an unusable hash: nobody logs in before accepting the invitation


@dataclass(frozen=True)
class OneTimeLink:
    user_id: str
    url: str
    expires_at: str
    emailed: bool


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link(s: Session, settings: Settings, user: User, purpose: str, created_by: str | None,
             now: Any) -> tuple[str, Invitation]:
    """Write a link for ``user`` (older unused ones stop working); return its URL."""
    s.execute(update(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None))
              .values(used_at=now))
    token = secrets.token_urlsafe(32)
    inv = Invitation(coop_id=user.coop_id, user_id=user.id, purpose=purpose, token_hash=_digest(token),
                     expires_at=now + timedelta(hours=settings.invitation_ttl_h), created_by=created_by)
    s.add(inv)
    return f"{settings.public_url.rstrip('/')}/accept/#{token}", inv


def send_link(settings: Settings, email: str, coop_name: str, url: str, purpose: str) -> bool:
    """E-mail the link when SMTP is configured; False when it is not (or the send failed)."""
    if not settings.smtp_host:
        return False
    msg = EmailMessage()
    msg["From"], msg["To"] = settings.smtp_from, email
    what = "set your password" if purpose == "invite" else "choose a new password"
    msg["Subject"] = f"{coop_name}: {what}"
    msg.set_content(f"Open this link to {what} (it works once):\n\n{url}\n")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            smtp.starttls() if settings.smtp_port == 587 else None
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException):
        log.warning("could not e-mail a one-time link (the admin still has it)", exc_info=True)
        return False
    return True


def _live(s: Session, token: str, now: Any) -> tuple[Invitation, User]:
    inv = s.scalar(select(Invitation).where(Invitation.token_hash == _digest(token)))
    if inv is None or inv.used_at is not None or inv.expires_at <= now:
        raise NotFound("this link is unknown, already used or expired: ask an admin for a new one",
                       field="token")
    user = s.get(User, inv.user_id)
    assert user is not None
    return inv, user


def describe_link(ctx: ServiceContext, token: str) -> dict[str, Any]:
    """What the accept page shows before the password is chosen."""
    with ctx.sessions() as s:
        inv, user = _live(s, token, ctx.clock())
        coop = s.get(Coop, user.coop_id)
        assert coop is not None
        return {"purpose": inv.purpose, "email": user.email, "name": user.name, "role": user.role,
                "coop": {"name": coop.name, "slug": coop.slug, "locale": coop.locale}}


def check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters", field=field)
    if len(password) > 200:
        raise InvalidInput("the password is longer than 200 characters", field=field)


def accept_link(ctx: ServiceContext, token: str, password: str, name: str | None = None) -> dict[str, Any]:
    """Set the password (and optionally the name), spend the link, log the person in."""
    from dispatch.services.audit import record

    check_password(password)
    now = ctx.clock()
    with ctx.sessions() as s, s.begin():
        inv, user = _live(s, token, now)
        if not user.active:
            raise NotFound("this account is deactivated: ask an admin", field="token")
        user.password_hash = hash_password(password)
        if name and name.strip():
            user.name = name.strip()[:200]
        inv.used_at = now
        me = Principal(role=user.role, coop_id=user.coop_id, user_id=user.id, merchant_id=user.merchant_id)
        record(s, me, user.coop_id, f"{inv.purpose}_accepted", now, {"user_id": user.id})
        token_out = issue_token(s, user.id, ctx.settings.token_ttl_s, now)
        return {"token": token_out, "role": user.role, "email": user.email}
