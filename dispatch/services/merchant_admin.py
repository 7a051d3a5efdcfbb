"""Merchants as the co-op's admins manage them: name, pickup addresses, membership (for the
cooperative rebate), contact, API keys and staff logins.

Keys are shown once. Rotating a key issues a new one and lets the old one work for an overlap
period (so a merchant's systems can switch without an outage); revoking stops a key at once in
this process (other processes forget their cached verification within ``KEY_CACHE_S``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.db.models import ApiKey, Coop, Merchant, MerchantSite, User
from dispatch.domain.errors import Conflict, InvalidInput, NotFound
from dispatch.services.audit import record
from dispatch.services.auth import Principal, create_api_key, forget_cached_keys
from dispatch.services.context import ServiceContext, unit_of_work
from dispatch.services.delivery_input import service_area
from dispatch.services.members import checked_name
from dispatch.services.views import iso

MAX_OVERLAP_H = 24 * 30


def _site(raw: dict[str, Any], i: int) -> dict[str, Any]:
    field = f"sites[{i}]"
    try:
        lat, lon = float(raw["lat"]), float(raw["lon"])
        address = str(raw["address"]).strip()
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput("each pickup address needs address, lat and lon", field=field) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput("lat/lon out of range", field=f"{field}.lat")
    if not address or len(address) > 300:
        raise InvalidInput("the address is 1 to 300 characters", field=f"{field}.address")
    label = str(raw.get("label") or address)[:100]
    return {"label": label, "address": address, "lat": lat, "lon": lon}


def merchant_view(s: Any, m: Merchant) -> dict[str, Any]:
    sites = s.scalars(select(MerchantSite).where(MerchantSite.merchant_id == m.id).order_by(MerchantSite.created_at))
    keys = s.scalars(select(ApiKey).where(ApiKey.merchant_id == m.id).order_by(ApiKey.created_at))
    staff = s.scalars(select(User).where(User.merchant_id == m.id))
    return {"id": m.id, "name": m.name, "is_member": m.is_member, "contact_email": m.contact_email,
            "contact_phone": m.contact_phone, "address": m.address, "lat": m.lat, "lon": m.lon,
            "sites": [{"id": x.id, "label": x.label, "address": x.address, "lat": x.lat, "lon": x.lon} for x in sites],
            "keys": [key_view(k) for k in keys],
            "staff": [{"id": u.id, "email": u.email, "name": u.name, "active": u.active} for u in staff]}


def key_view(k: ApiKey) -> dict[str, Any]:
    return {"id": k.id, "prefix": k.prefix, "label": k.label, "created_at": iso(k.created_at),
            "expires_at": iso(k.expires_at), "revoked_at": iso(k.revoked_at)}


def create_merchant(ctx: ServiceContext, admin: Principal, name: str, sites: list[dict[str, Any]],
                    is_member: bool = True, contact_email: str = "", contact_phone: str = "") -> dict[str, Any]:
    """A merchant with one or more pickup addresses (the first is the default), each inside the
    co-op's service area."""
    name = checked_name(name)
    if not sites:
        raise InvalidInput("a merchant needs at least one pickup address", field="sites")
    if len(sites) > 50:
        raise InvalidInput("at most 50 pickup addresses", field="sites")
    clean = [_site(x, i) for i, x in enumerate(sites)]
    now = ctx.clock()
    with ctx.sessions() as s, s.begin():
        coop = s.get(Coop, admin.coop_id)
        assert coop is not None
        area = service_area(coop)
        for i, x in enumerate(clean):
            if not area.contains(Point(x["lon"], x["lat"])):
                raise InvalidInput(f"{x['address']} is outside the co-op's service area", field=f"sites[{i}]")
        first = clean[0]
        m = Merchant(coop_id=coop.id, name=name, address=first["address"], lat=first["lat"], lon=first["lon"],
                     is_member=bool(is_member), contact_email=str(contact_email or "")[:200],
                     contact_phone=str(contact_phone or "")[:40])
        s.add(m)
        s.flush()
        for x in clean:
            s.add(MerchantSite(merchant_id=m.id, **x))
        s.flush()
        record(s, admin, coop.id, "create_merchant", now, {"merchant_id": m.id, "name": name,
                                                           "sites": len(clean), "is_member": m.is_member})
        return merchant_view(s, m)


def list_merchants(ctx: ServiceContext, admin: Principal) -> list[dict[str, Any]]:
    with ctx.sessions() as s:
        rows = s.scalars(select(Merchant).where(Merchant.coop_id == admin.coop_id).order_by(Merchant.name))
        return [merchant_view(s, m) for m in rows]


def _merchant(s: Session, admin: Principal, merchant_id: str) -> Merchant:
    m = s.get(Merchant, merchant_id)
    if m is None or m.coop_id != admin.coop_id:
        raise NotFound(f"no merchant {merchant_id}", field="merchant_id")
    return m


def _key(s: Session, admin: Principal, key_id: str) -> ApiKey:
    k = s.get(ApiKey, key_id)
    m = None if k is None else s.get(Merchant, k.merchant_id)
    if k is None or m is None or m.coop_id != admin.coop_id:
        raise NotFound(f"no API key {key_id}", field="key_id")
    return k


def issue_key(ctx: ServiceContext, admin: Principal, merchant_id: str, label: str) -> dict[str, Any]:
    """A new API key for the merchant; the key itself is in this answer only."""
    label = (label or "").strip()[:100] or "key"
    now = ctx.clock()
    with ctx.sessions() as s, s.begin():
        m = _merchant(s, admin, merchant_id)
        key = create_api_key(s, m.id, label)
        s.flush()
        row = s.scalar(select(ApiKey).where(ApiKey.prefix == key.split("_", 2)[1]))
        assert row is not None
        record(s, admin, admin.coop_id, "issue_api_key", now, {"merchant_id": m.id, "key_id": row.id,
                                                               "prefix": row.prefix, "label": label})
        return key_view(row) | {"key": key}


def rotate_key(ctx: ServiceContext, admin: Principal, key_id: str, overlap_h: float) -> dict[str, Any]:
    """A new key with the same label; the old one keeps working ``overlap_h`` hours more (with
    no overlap it is revoked: every process forgets it and closes its sockets, as on revocation)."""
    if not 0 <= overlap_h <= MAX_OVERLAP_H:
        raise InvalidInput(f"overlap_h must be between 0 and {MAX_OVERLAP_H}", field="overlap_h")
    now = ctx.clock()
    with unit_of_work(ctx) as uow:
        s = uow.session
        old = _key(s, admin, key_id)
        if old.revoked_at is not None or (old.expires_at is not None and old.expires_at <= now):
            raise Conflict("this key no longer works: issue a new one", field="key_id")
        old.expires_at = now + timedelta(hours=overlap_h)
        key = create_api_key(s, old.merchant_id, old.label)
        s.flush()
        row = s.scalar(select(ApiKey).where(ApiKey.prefix == key.split("_", 2)[1]))
        assert row is not None
        record(s, admin, admin.coop_id, "rotate_api_key", now, {"key_id": old.id, "new_key_id": row.id,
                                                                "old_expires_at": iso(old.expires_at)})
        if overlap_h == 0:
            uow.emit(admin.coop_id, "auth.revoked", [f"user:{old.merchant_id}"],
                     {"user_id": old.merchant_id, "tokens": [], "keys": [old.prefix], "reason": KEY_REVOKED})
        out = key_view(row) | {"key": key, "replaces": key_view(old)}
    forget_api_keys(ctx)  # here the old key's next use reads its new expiry
    return out


def revoke_key(ctx: ServiceContext, admin: Principal, key_id: str) -> dict[str, Any]:
    """Revoke a key now: here at once, in the other processes as soon as the ``auth.revoked``
    event reaches them (each forgets its cached key verifications)."""
    now = ctx.clock()
    with unit_of_work(ctx) as uow:
        k = _key(uow.session, admin, key_id)
        if k.revoked_at is None:
            k.revoked_at = now
            record(uow.session, admin, admin.coop_id, "revoke_api_key", now, {"key_id": k.id, "prefix": k.prefix})
            uow.emit(admin.coop_id, "auth.revoked", [f"user:{k.merchant_id}"],
                     {"user_id": k.merchant_id, "tokens": [], "keys": [k.prefix], "reason": KEY_REVOKED})
        out = key_view(k)
    forget_api_keys(ctx)
    return out


KEY_REVOKED = "api key revoked"


def forget_api_keys(ctx: ServiceContext) -> None:
    """Drop cached verifications of API keys in this process (see :func:`forget_cached_keys`)."""
    forget_cached_keys(ctx)


def add_site(ctx: ServiceContext, admin: Principal, merchant_id: str, site: dict[str, Any]) -> dict[str, Any]:
    clean, now = _site(site, 0), ctx.clock()
    with ctx.sessions() as s, s.begin():
        m = _merchant(s, admin, merchant_id)
        s.add(MerchantSite(merchant_id=m.id, **clean))
        s.flush()
        record(s, admin, admin.coop_id, "add_pickup_address", now, {"merchant_id": m.id, **clean})
        return merchant_view(s, m)


def my_sites(ctx: ServiceContext, who: Principal) -> list[dict[str, Any]]:
    """A merchant's pickup addresses (the default first) for the order form."""
    with ctx.sessions() as s:
        m = s.get(Merchant, who.merchant_id) if who.merchant_id else None
        if m is None:
            return []
        sites = [{"id": x.id, "label": x.label, "address": x.address, "lat": x.lat, "lon": x.lon}
                 for x in s.scalars(select(MerchantSite).where(MerchantSite.merchant_id == m.id)
                                    .order_by(MerchantSite.created_at))]
        default = {"id": None, "label": m.address, "address": m.address, "lat": m.lat, "lon": m.lon}
        return sites or [default]
