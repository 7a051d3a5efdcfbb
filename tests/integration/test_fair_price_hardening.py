"""Fair price, hardened (issue 16, items 6, 14-16), on SQLite and PostgreSQL: a rule set out of
bounds is refused and a stored one cannot break intake; a quote holds for the ready time and
rule set it priced; no co-op adopts a floor below the legal one or one its prices cannot pay;
the public page shows every version's numbers."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dispatch.domain.fee_dicts import rule_set_from_dict
from dispatch.domain.fees import describe_rule_set
from tests.integration.api_client import bearer, create_delivery, delivery_body, login
from tests.integration.test_fees_api import ADMIN_EMAIL, adopt, current_rules, quote_body, store_unchecked

HELSINKI = ZoneInfo("Europe/Helsinki")

OUT_OF_BOUNDS = {  # field named in the 422 -> the change that puts it out of bounds
    "base_cents": {"base_cents": 10**19},
    "per_km_cents": {"per_km_cents": 10**7},
    "minimum_fee_cents": {"minimum_fee_cents": -1},
    "rounding_order": {"rounding_order": ["x", {"y": 1}]},
    "rounding_order ": {"rounding_order": ["courier", "courier", "coop"]},
    "load_surcharges[0].above": {"load_surcharges": [{"measure": "weight", "above": 10**12, "cents_per_unit": 1}]},
    "time_surcharges": {"time_surcharges": [{"start_hour": h, "end_hour": h + 1, "percent_bp": 0,
                                             "flat_cents": 1} for h in range(23)]},
    "weather_surcharges[0].label_en": {"weather_surcharges": [
        {"condition": "rain", "cents": 100, "label_en": "x" * 500, "label_fr": "Pluie"}]},
    "description_en": {"description_en": "x" * 5000},
    "courier_floor_cents_per_hour": {"courier_floor_cents_per_hour": 10**10},
}


def dotted(field: str) -> str:
    """``load_surcharges[0].above`` (the fee rules' spelling) as ``load_surcharges.0.above``."""
    return re.sub(r"\[(\d+)\]", r".\1", field)


@pytest.fixture
def admin(client: Any, world: Any) -> dict[str, str]:
    return login(client, ADMIN_EMAIL, world.password)


def test_every_rule_set_parameter_is_bounded_and_intake_survives_what_was_stored_before(client, world, ctx, admin):
    """Each out-of-bounds parameter is a 422 naming it (never a 201, never a 500); a version
    stored before the bounds existed is left out, so deliveries are still created."""
    for field, change in OUT_OF_BOUNDS.items():
        r = adopt(client, admin, **change)
        assert r.status_code == 422, (field, r.status_code, r.text)
        named = {dotted(r.json()["field"])} | {dotted(e["field"]) for e in r.json().get("errors", [])}
        assert any(n.startswith(dotted(field.strip())) for n in named), (field, r.json())
    assert [v["version"] for v in client.get("/api/v1/coops/demo/rule-sets").json()["history"]] == [1]

    store_unchecked(ctx, world.coop_id, current_rules(client) | {"version": 2, "base_cents": 10**19})
    r = create_delivery(client, world.merchant_key)
    assert r.status_code == 201, r.text
    assert client.post("/api/v1/quotes", json=quote_body(), headers=bearer(world.merchant_key)).status_code == 201


def _tomorrow_at(hour: int, minute: int = 0) -> str:
    day = datetime.now(HELSINKI).date() + timedelta(days=1)
    return datetime.combine(day, time(hour, minute), HELSINKI).isoformat()


def test_a_quote_holds_only_for_the_ready_time_and_rule_set_it_priced(client, world, admin):
    """A 12:00 quote for tomorrow is refused for a delivery ready at 23:00 (the night surcharge)
    and kept within the tolerance; a quote priced under a version that is no longer the one in
    force on the ready day is refused too. The quote names its rule-set version."""
    merchant = bearer(world.merchant_key)
    noon = client.post("/api/v1/quotes", json=quote_body(ready_at=_tomorrow_at(12)), headers=merchant)
    assert noon.status_code == 201, noon.text
    assert noon.json()["rule_set_version"] == 1
    assert noon.json()["ready_tolerance_s"] == 900
    assert datetime.fromisoformat(noon.json()["ready_at"]) == datetime.fromisoformat(_tomorrow_at(12))

    late = create_delivery(client, world.merchant_key, delivery_body(quote_id=noon.json()["id"],
                                                                     ready_at=_tomorrow_at(23)))
    assert (late.status_code, late.json()["field"]) == (422, "quote_id"), late.text
    assert "ask for a quote for that time" in late.json()["detail"]
    night = client.post("/api/v1/quotes", json=quote_body(ready_at=_tomorrow_at(23)), headers=merchant).json()
    assert any(line["code"].startswith("time_of_day") for line in night["lines"])
    assert night["fee_cents"] > noon.json()["fee_cents"]

    near = create_delivery(client, world.merchant_key, delivery_body(quote_id=noon.json()["id"],
                                                                     ready_at=_tomorrow_at(12, 10)))
    assert near.status_code == 201 and near.json()["fee_cents"] == noon.json()["fee_cents"], near.text

    again = client.post("/api/v1/quotes", json=quote_body(ready_at=_tomorrow_at(12)), headers=merchant).json()
    tomorrow = datetime.now(HELSINKI).date() + timedelta(days=1)
    newer = adopt(client, admin, effective_from=tomorrow.isoformat(), base_cents=900)
    assert newer.status_code == 201, newer.text
    stale = create_delivery(client, world.merchant_key, delivery_body(quote_id=again["id"],
                                                                      ready_at=_tomorrow_at(12)))
    assert (stale.status_code, stale.json()["field"]) == (422, "quote_id"), stale.text
    assert "version 2 is in force" in stale.json()["detail"]


def test_a_floor_below_the_legal_one_or_one_the_prices_cannot_pay_is_refused_at_adoption(client, ctx, admin,
                                                                                        monkeypatch):
    """Floor 0, a courier share of 0 %, and (with the legal floor raised by its setting) the old
    floor: 422 naming courier_floor_cents_per_hour, nothing stored; the default rules adopt."""
    below = adopt(client, admin, courier_floor_cents_per_hour=0)
    assert (below.status_code, below.json()["field"]) == (422, "courier_floor_cents_per_hour"), below.text
    assert "legal floor of 1202" in below.json()["detail"]
    no_share = adopt(client, admin, coop_share_bp=9500, merchant_rebate_bp=500)
    assert (no_share.status_code, no_share.json()["field"]) == (422, "courier_floor_cents_per_hour")
    assert "sample trip" in no_share.json()["detail"]

    monkeypatch.setattr(ctx.settings, "legal_floor_cents_per_hour", 1500)
    raised = adopt(client, admin)
    assert (raised.status_code, raised.json()["field"]) == (422, "courier_floor_cents_per_hour")
    assert adopt(client, admin, courier_floor_cents_per_hour=1500).status_code == 201


def test_the_public_page_shows_every_versions_numbers(client, admin):
    """Each adopted version's price, split and floor figures are on the page in both languages,
    not only the current one's, and the JSON history text carries them too."""
    tomorrow = (datetime.now(HELSINKI) + timedelta(days=1)).date().isoformat()
    assert adopt(client, admin, effective_from=tomorrow, base_cents=450,
                 courier_floor_cents_per_hour=1300).status_code == 201
    data = client.get("/api/v1/coops/demo/rule-sets").json()
    versions = [rule_set_from_dict(r) for r in data["history"]]
    assert [v.version for v in versions] == [2, 1]
    for lang in ("fr", "en"):
        page = client.get("/coops/demo/transparency", params={"lang": lang}).text
        for v in versions:
            for paragraph in describe_rule_set(v, lang)[2:]:  # price, split and floor figures
                assert escape(paragraph) in page, (lang, v.version, paragraph)
        floors = [p for p in data["history_text"][lang] if ("13,00" in p or "13.00" in p)]
        assert len(floors) == 1 and floors[0].startswith("Version 2")
