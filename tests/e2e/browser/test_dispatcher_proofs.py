"""A delivered order's proofs are closed; the dispatcher opens them for one more from the
delivery's panel (issue 16, item 4), with a reason, by keyboard, in French and English."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.browser.conftest import Server, screenshot
from tests.e2e.browser.helpers import audit_rows, create_delivery_by_api, open_dispatcher

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def deliver_by_api(server: Server, d: dict[str, Any]) -> None:
    """Eero starts a shift, is given the delivery by hand, picks it up and delivers it."""
    dispatcher = {"Authorization": f"Bearer {server.token('dispatcher@demo.coop')}"}
    courier = {"Authorization": f"Bearer {server.token('eero@demo.coop')}"}
    with server.http() as h:
        h.post("/api/v1/courier/shift/start", json={"lat": 60.168, "lon": 24.947}, headers=courier)
        me = h.get("/api/v1/auth/me", headers=courier).json()
        r = h.post(f"/api/v1/dispatch/deliveries/{d['id']}/assign", headers=dispatcher,
                   json={"courier_id": me["courier_id"], "reason": "next door"})
        assert r.status_code == 200, r.text
        for kind, action in (("pickup", "picked_up"), ("dropoff", "delivered")):
            stop = next(s["id"] for s in d["stops"] if s["kind"] == kind)
            r = h.post(f"/api/v1/courier/stops/{stop}/reports", headers=courier | {"Idempotency-Key": uuid.uuid4().hex},
                       json={"action": action, "happened_at": datetime.now(UTC).isoformat()})
            assert r.status_code == 200, r.text


def test_the_dispatcher_allows_one_more_proof_for_a_delivered_order_by_keyboard(server: Server, new_context):
    """The button shows only once the delivery is final; without a reason it asks for one (in
    French on a French page); with one, Enter allows it, the audit log has the reason and the
    timeline says so in words."""
    d = create_delivery_by_api(server, 60.17300, 24.94600)
    page = open_dispatcher(new_context)
    page.select_option("#filter", "all")
    page.click(f"#deliveries li[data-id='{d['id']}'] button.pick")
    page.wait_for_selector(f"#deliveries li.selected[data-id='{d['id']}']")
    assert page.is_hidden("#allow-proof")  # still open: the courier attaches proofs freely
    deliver_by_api(server, d)
    page.wait_for_selector(f"#deliveries li[data-id='{d['id']}'][data-status='delivered']")
    page.wait_for_selector("#allow-proof", state="visible")
    page.select_option("#lang", "fr")
    assert page.text_content("#allow-proof") == "Autoriser une preuve de plus"
    page.focus("#reason")
    page.keyboard.press("Tab")  # assign and unassign are disabled: the next stop is this button
    assert page.evaluate("document.activeElement.id") == "allow-proof"
    page.keyboard.press("Enter")
    assert "Donnez un motif pour autoriser une preuve de plus" in page.text_content("#assign-error")
    assert page.evaluate("document.activeElement.id") == "reason"
    page.keyboard.type("Photo floue, le coursier la refait")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#allow-proof-note').textContent"
                           ".includes('une preuve de plus')")
    page.wait_for_function("() => document.querySelector('#timeline').textContent"
                           ".includes('Preuve supplémentaire autorisée')")
    rows = [r for r in audit_rows(server, d["id"]) if r.action == "allow_proof"]
    assert [r.reason for r in rows] == ["Photo floue, le coursier la refait"]
    screenshot(page, "16-dispatcher-allow-proof-fr")
    page.set_viewport_size(PHONE)
    screenshot(page, "16-dispatcher-allow-proof-phone")
    page.select_option("#lang", "en")
    assert page.text_content("#allow-proof") == "Allow one more proof"
