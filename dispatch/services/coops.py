"""Creating a co-op from nothing and changing its settings.

A new co-op gets: its map (an imported one, or the server's), its service area (a GeoJSON
polygon, by default the map's outline), the default fee rule set adopted as version 1 with
its record (checked as any adoption is: never below the server's legal floor), and a first
admin with a one-time link to set a password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dispatch.db.models import Coop, MapRow, RuleSetRow
from dispatch.domain.errors import Conflict, InvalidInput, NotFound
from dispatch.domain.fee_dicts import rule_set_to_dict
from dispatch.domain.fees import DEFAULT_RULE_SET, RuleSet
from dispatch.services.audit import record
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.maps import coop_map, forget_coop, outline_geojson
from dispatch.services.members import add_member, checked_name
from dispatch.services.rule_sets import checked_rule_set, local_day

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
LOCALES = ("fr", "en")
FOUNDING = "default rules adopted at the co-op's creation (coopdispatch), until its assembly votes its own"


@dataclass(frozen=True)
class NewCoop:
    name: str
    slug: str
    admin_email: str
    admin_name: str = "Admin"
    timezone: str = "Europe/Paris"
    currency: str = "EUR"
    locale: str = "fr"
    map_id: str | None = None  # None: the server's map
    service_area: dict[str, Any] | None = None  # None: the map's outline


def checked_settings(timezone: str | None = None, currency: str | None = None, locale: str | None = None,
                     slug: str | None = None) -> None:
    if slug is not None and not SLUG.match(slug):
        raise InvalidInput("slug: lowercase letters, digits and dashes, 1 to 64", field="slug")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"unknown time zone {timezone!r} (e.g. Europe/Paris)", field="timezone") from exc
    if currency is not None and not re.fullmatch(r"[A-Z]{3}", currency):
        raise InvalidInput("currency is a 3-letter ISO 4217 code such as EUR", field="currency")
    if locale is not None and locale not in LOCALES:
        raise InvalidInput(f"locale must be one of {', '.join(LOCALES)}", field="locale")


def checked_area(area: Any, field: str = "service_area") -> dict[str, Any]:
    """A GeoJSON Polygon or MultiPolygon (a Feature's geometry is taken), valid and not empty."""
    if isinstance(area, dict) and area.get("type") == "Feature":
        area = area.get("geometry")
    if isinstance(area, dict) and area.get("type") == "FeatureCollection" and len(area.get("features") or []) == 1:
        area = area["features"][0].get("geometry")
    if not isinstance(area, dict) or area.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidInput("the service area must be a GeoJSON Polygon or MultiPolygon", field=field)
    try:
        geom = shape(area)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise InvalidInput(f"the service area is not valid GeoJSON: {exc}", field=field) from exc
    if geom.is_empty or not geom.is_valid or geom.area == 0:
        raise InvalidInput("the service area must be a valid polygon with an area", field=field)
    w, s, e, n = geom.bounds
    if not (w >= -180 and e <= 180 and s >= -90 and n <= 90):
        raise InvalidInput("the service area's coordinates must be longitude, latitude in degrees", field=field)
    return {"type": area["type"], "coordinates": area["coordinates"]}


def create_coop(ctx: ServiceContext, new: NewCoop, who: Principal | None = None) -> dict[str, Any]:
    """Create the co-op, adopt the default rules, invite its first admin; return the admin's link."""
    checked_settings(new.timezone, new.currency, new.locale, new.slug)
    name, now = checked_name(new.name), ctx.clock()
    founding = founding_rules(ctx, new.timezone, new.currency, now)
    area = checked_area(new.service_area) if new.service_area is not None else None
    try:
        with ctx.sessions() as s, s.begin():
            if s.scalar(select(Coop.id).where(Coop.slug == new.slug)) is not None:
                raise Conflict(f"a co-op already has the slug {new.slug}", field="slug")
            if area is None:
                area = _map_outline(ctx, s, new.map_id)
            elif new.map_id is not None and s.get(MapRow, new.map_id) is None:
                raise NotFound(f"no map {new.map_id}: import it first", field="map_id")
            coop = Coop(slug=new.slug, name=name, timezone=new.timezone, currency=new.currency,
                        locale=new.locale, service_area=area, map_id=new.map_id)
            s.add(coop)
            s.flush()
            s.add(RuleSetRow(coop_id=coop.id, version=1, effective_from=founding.effective_from,
                             body=rule_set_to_dict(founding)))
            record(s, who, coop.id, "create_coop", now, {"slug": new.slug, "name": name, "map_id": new.map_id,
                                                         "timezone": new.timezone, "currency": new.currency})
            record(s, who, coop.id, "adopt_rule_set", now, {"version": 1}, reason=f"version 1: {FOUNDING}")
            admin = add_member(s, ctx, who, coop.id, new.admin_email, new.admin_name, "admin")
            return {"id": coop.id, "slug": coop.slug, "name": coop.name, "map_id": coop.map_id,
                    "admin": admin}
    except IntegrityError as exc:
        raise Conflict("the slug or the admin's e-mail is taken", field="slug") from exc


def founding_rules(ctx: ServiceContext, timezone: str, currency: str, now: datetime) -> RuleSet:
    """The default rules as a new co-op's version 1, through the checks of every adoption
    (bounds, the server's legal floor, sample trips that pay it): a co-op never starts below
    the floor. The CLI calls it before a long map import."""
    coop = Coop(timezone=timezone, currency=currency)  # never added: only its day and currency
    body = rule_set_to_dict(DEFAULT_RULE_SET) | {
        "currency": currency, "adopted_by": FOUNDING, "effective_from": local_day(coop, now).isoformat()}
    try:
        return checked_rule_set(ctx, body, 1, coop, now)
    except InvalidInput as exc:
        raise type(exc)(f"this server's default fee rules cannot be adopted by a new co-op: {exc}",
                        field=exc.field) from exc


def _map_outline(ctx: ServiceContext, s: Any, map_id: str | None) -> dict[str, Any]:
    if map_id is None:
        return outline_geojson(ctx.network)
    row = s.get(MapRow, map_id)
    if row is None:
        raise NotFound(f"no map {map_id}: import it first", field="map_id")
    return dict(row.outline)


EDITABLE = ("name", "timezone", "locale", "service_area", "map_id")


def coop_settings(ctx: ServiceContext, who: Principal) -> dict[str, Any]:
    with ctx.sessions() as s:
        c = s.get(Coop, who.coop_id)
        assert c is not None
        return _settings_view(ctx, c)


def _settings_view(ctx: ServiceContext, c: Coop) -> dict[str, Any]:
    m = coop_map(ctx, c.id)
    return {"id": c.id, "slug": c.slug, "name": c.name, "timezone": c.timezone, "currency": c.currency,
            "locale": c.locale, "service_area": c.service_area, "map_id": m.map_id,
            "map_bbox": list(m.network.bbox)}


def update_settings(ctx: ServiceContext, admin: Principal, changes: dict[str, Any]) -> dict[str, Any]:
    """Change the co-op's name, time zone, locale, service area or map (audited with before/after).
    The currency stays: rule sets and receipts are in it."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"cannot change {sorted(unknown)[0]} here", field=sorted(unknown)[0])
    checked_settings(changes.get("timezone"), None, changes.get("locale"))
    if "name" in changes:
        changes["name"] = checked_name(changes["name"])
    if "service_area" in changes:
        changes["service_area"] = checked_area(changes["service_area"])
    now = ctx.clock()
    with ctx.sessions() as s, s.begin():
        c = s.get(Coop, admin.coop_id)
        assert c is not None
        if changes.get("map_id") is not None and s.get(MapRow, changes["map_id"]) is None:
            raise NotFound(f"no map {changes['map_id']}", field="map_id")
        before = {k: getattr(c, k) for k in changes}
        for k, v in changes.items():
            setattr(c, k, v)
        record(s, admin, c.id, "update_settings", now, {"before": before, "after": changes})
    forget_coop(ctx, admin.coop_id)  # the service-area shapes are cached by value: nothing to clear
    return coop_settings(ctx, admin)
