"""Pay statements over HTTP: a courier's earnings against the floor, the co-op's books, CSV, and
who may read them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from dispatch.db.models import Shift
from tests.integration.api_client import bearer, login
from tests.integration.test_receipts_api import deliver_one


def test_statements_add_up_the_receipts_flag_hours_below_the_floor_and_export_csv(client, world, ctx):
    """After one delivery in a 90-minute shift: the courier's earnings are its share, idle hours
    are flagged below the floor, the co-op's fees equal the shares paid, and both export as CSV."""
    delivery_id, courier = deliver_one(client, world)
    with ctx.sessions() as s, s.begin():  # the shift began an hour and a half ago
        s.execute(update(Shift).values(started_at=datetime.now(UTC) - timedelta(minutes=90)))
    receipt = client.get(f"/api/v1/deliveries/{delivery_id}/receipt", headers=courier).json()
    me = client.get("/api/v1/courier/route", headers=courier).json()["courier_id"]
    # from the shift's first day: shortly after midnight in Helsinki the shift began yesterday
    local_now = datetime.now(ZoneInfo("Europe/Helsinki"))
    began, today = (local_now - timedelta(minutes=90)).date().isoformat(), local_now.date().isoformat()
    r = client.get(f"/api/v1/couriers/{me}/statement", params={"from": began, "to": today},
                   headers=courier)
    assert r.status_code == 200, r.text
    st = r.json()
    earned = receipt["split"]["courier_cents"] + receipt["courier_floor"]["shortfall_cents"]
    assert [d["delivery_id"] for d in st["deliveries"]] == [delivery_id]
    assert st["earnings_cents"] == earned == sum(h["earnings_cents"] for h in st["hours"])
    assert 0 < st["on_shift_s"] == sum(h["on_shift_s"] for h in st["hours"])
    rate = st["floor_cents_per_hour"]
    assert st["floor_cents"] == -(-rate * st["on_shift_s"] // 3600)
    assert st["hours_below_floor"] == sum(h["below_floor"] for h in st["hours"]) >= 1
    assert all(h["below_floor"] == (h["earnings_cents"] < -(-rate * h["on_shift_s"] // 3600))
               for h in st["hours"])

    rows = list(csv.DictReader(io.StringIO(client.get(
        f"/api/v1/couriers/{me}/statement", params={"format": "csv"}, headers=courier).text)))
    assert [row["kind"] for row in rows if row["kind"] != "hour"] == ["delivery", "total"]
    assert rows[-1]["earnings_eur"] == f"{earned // 100}.{earned % 100:02d}"

    dispatcher = login(client, world.dispatcher_email, world.password)
    books = client.get("/api/v1/coop/statement", headers=dispatcher).json()
    total = books["total"]
    assert (total["deliveries"], total["fees_cents"]) == (1, receipt["fee_cents"])
    assert total["fees_cents"] == total["courier_cents"] + total["coop_cents"] + total["rebate_cents"]
    assert [(m["id"], m["rebate_cents"]) for m in books["merchants"]] == [
        (world.merchant_id, receipt["split"]["merchant_cents"])]
    r = client.get("/api/v1/coop/statement", headers=dispatcher | {"Accept": "text/csv"})
    assert r.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["kind"] for row in lines] == ["merchant", "courier", "total"]


def test_statements_are_refused_to_other_couriers_merchants_and_other_coops(client, world):
    """Another courier and another co-op get 404, merchants 403, couriers cannot read the books,
    and a malformed period is a 422 naming it."""
    aino = login(client, world.courier_emails[0], world.password)
    me = client.get("/api/v1/courier/route", headers=aino).json()["courier_id"]
    url = f"/api/v1/couriers/{me}/statement"
    answers = {
        "other courier": client.get(url, headers=login(client, world.courier_emails[1], world.password)),
        "other coop": client.get(url, headers=login(client, world.other_dispatcher_email, world.password)),
        "merchant": client.get(url, headers=bearer(world.merchant_key)),
        "courier reading the books": client.get("/api/v1/coop/statement", headers=aino),
        "bad period": client.get(url, params={"from": "last tuesday"}, headers=aino),
    }
    assert {who: a.status_code for who, a in answers.items()} == {
        "other courier": 404, "other coop": 404, "merchant": 403,
        "courier reading the books": 403, "bad period": 422}
    assert answers["bad period"].json()["field"] == "from"
