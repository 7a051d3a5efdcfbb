"""A delivery's stop as the caller gave it (coordinates, an address, or both), made whole.

Kept apart from ``services/places.py`` (which fees and receipts use) so that the places
queries do not depend on the delivery intents.
"""

from __future__ import annotations

from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.delivery_input import Place
from dispatch.services.places import label_of_point, merchant_point, resolve_address


def place_from_input(ctx: ServiceContext, who: Principal, lat: float | None, lon: float | None,
                     address: str, field: str, near: tuple[float, float] | None = None) -> Place:
    """A stop as given (coordinates, an address, or both) made whole: coordinates from the
    resolved address, the label from the nearest door when only coordinates came."""
    if lat is not None and lon is not None:
        return Place(lat, lon, address.strip() or label_of_point(ctx, who.coop_id, lat, lon))
    m = resolve_address(ctx, who.coop_id, address, field, near or merchant_point(ctx, who))
    return Place(m.snapped_lat, m.snapped_lon, m.label)

