"""A coop's fee rule sets in the database: history, the version in force, adoption.

Each row keeps the whole rule set as :func:`dispatch.domain.fee_dicts.rule_set_to_dict` wrote
it; versions are numbered here, never edited, and receipts embed their own copy, so adopting a
new version never changes a receipt already issued.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.db.models import AuditEntry, Coop, RuleSetRow
from dispatch.domain.errors import Conflict, InvalidInput, NotFound
from dispatch.domain.fee_dicts import rule_set_from_dict, rule_set_to_dict
from dispatch.domain.fee_samples import check_adoptable
from dispatch.domain.fees import (
    DEFAULT_RULE_SET,
    FeeError,
    FeeRuleError,
    FloorNotMet,
    RuleSet,
    rule_set_in_effect,
)
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext

log = logging.getLogger(__name__)


class FloorRefused(InvalidInput):
    """422: the rule set cannot pay the courier's living-wage floor for this trip."""

    title = "Price cannot pay the courier floor"
    problem_type = "floor-not-met"


def invalid_from_fee_error(exc: FeeError) -> InvalidInput:
    """The 422 problem for a fee error, naming the rule-set parameter or trip field."""
    cls = FloorRefused if isinstance(exc, FloorNotMet) else InvalidInput
    return cls(str(exc), field=exc.parameter)


def local_day(coop: Coop, at: datetime) -> date:
    """The coop's local date at ``at`` (rule sets take effect on local days)."""
    return at.astimezone(ZoneInfo(coop.timezone)).date()


# a stored rule set never changes (a change is a new version, a new row): parsed bodies are
# kept by row id, so a quote reads two short columns instead of decoding every version again
_PARSED: dict[str, RuleSet] = {}
INVALID = DEFAULT_RULE_SET  # a marker (by identity) for a stored version that fails validation
_PARSED_MAX = 4096


def rule_set_history(s: Session, coop_id: str) -> list[RuleSet]:
    """Every version the coop adopted, oldest first, read back exactly as stored."""
    rows = s.execute(select(RuleSetRow.id, RuleSetRow.version).where(RuleSetRow.coop_id == coop_id)
                     .order_by(RuleSetRow.version)).all()
    found = {r.id: _PARSED.get(r.id) for r in rows}  # a local copy: other threads may clear
    missing = [row_id for row_id, parsed in found.items() if parsed is None]
    if missing:
        if len(_PARSED) > _PARSED_MAX:
            _PARSED.clear()
        for row_id, body in s.execute(select(RuleSetRow.id, RuleSetRow.body).where(RuleSetRow.id.in_(missing))):
            found[row_id] = _PARSED[row_id] = _stored(row_id, body)
    return [rules for rules in found.values() if rules is not None and rules is not INVALID]


def _stored(row_id: str, body: Any) -> RuleSet:
    """A stored version, or ``INVALID`` for one that today's bounds refuse (adopted before
    they existed): it is left out, logged, so that it cannot break every quote and intake."""
    try:
        return rule_set_from_dict(body)
    except FeeError as exc:
        log.error("rule set row %s is invalid and is ignored: %s", row_id, exc)
        return INVALID


def rule_set_in_force(s: Session, coop_id: str, day: date) -> RuleSet | None:
    """The version in effect on ``day`` (coop's local date), or None if none is yet."""
    try:
        return rule_set_in_effect(rule_set_history(s, coop_id), day)
    except FeeRuleError:
        return None


def adopt_rule_set(ctx: ServiceContext, admin: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """Store a new version (numbered here); receipts already issued keep their own copy."""
    now = ctx.clock()
    try:
        with ctx.sessions() as s, s.begin():
            coop = s.get(Coop, admin.coop_id)
            assert coop is not None
            latest = s.scalar(select(func.max(RuleSetRow.version))
                              .where(RuleSetRow.coop_id == coop.id))
            rules = checked_rule_set(ctx, body, (latest or 0) + 1, coop, now)
            s.add(RuleSetRow(coop_id=coop.id, version=rules.version,
                             effective_from=rules.effective_from, body=rule_set_to_dict(rules)))
            s.add(AuditEntry(coop_id=coop.id, action="adopt_rule_set", actor_kind=admin.role,
                             actor_id=admin.actor_id, happened_at=now,
                             reason=f"version {rules.version}: {rules.adopted_by}"))
    except IntegrityError as exc:
        raise Conflict("another version was adopted at the same time: read them again",
                       field="version") from exc
    return rule_set_to_dict(rules)


def checked_rule_set(ctx: ServiceContext, body: dict[str, Any], version: int, coop: Coop,
                     now: datetime) -> RuleSet:
    """The rule set ``body`` describes, if the co-op may adopt it, else a 422 naming the field:
    every parameter within bounds, the floor at least ``legal_floor_cents_per_hour`` and paid
    on every sample trip (:mod:`dispatch.domain.fee_samples`), the co-op's currency, not
    taking effect in the past. Every way of adopting (API, admin view) goes through here."""
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a rule set object", field="body")
    try:
        rules = rule_set_from_dict({**body, "version": version})
    except FeeError as exc:
        raise invalid_from_fee_error(exc) from exc
    if rules.currency != coop.currency:
        raise InvalidInput(f"currency must be the coop's ({coop.currency})", field="currency")
    if rules.effective_from < local_day(coop, now):
        raise InvalidInput("effective_from must not be in the past: a new version never "
                           "reprices past deliveries", field="effective_from")
    try:
        return check_adoptable(rules, ctx.settings.legal_floor_cents_per_hour)
    except FeeError as exc:
        raise invalid_from_fee_error(exc) from exc


def public_rule_sets(ctx: ServiceContext, slug: str) -> tuple[Coop, list[RuleSet], RuleSet | None]:
    """For the public page: the coop, its versions (oldest first) and the one in force today."""
    with ctx.sessions() as s:
        coop = s.scalar(select(Coop).where(Coop.slug == slug))
        if coop is None:
            raise NotFound(f"no co-op {slug}", field="slug")
        s.expunge(coop)
        history = rule_set_history(s, coop.id)
    try:
        current = rule_set_in_effect(history, local_day(coop, ctx.clock()))
    except FeeRuleError:
        current = None
    return coop, history, current
