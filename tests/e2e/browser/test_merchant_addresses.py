"""The merchant types an address (with a typo), picks it with the keyboard and orders; then
imports a file of orders. Screenshots (desktop and phone) go to /tmp/shots/18/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser.conftest import MERCHANT_KEY, Server
from tests.e2e.browser.helpers import open_merchant

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/18")
CSV = ("order_ref,recipient_name,recipient_phone,dropoff_address,load_kg\n"
       "B-1,Aino,+358 40 111 1111,Kaivokatu 8,2\n"
       "B-2,Eero,+358 40 222 2222,Nowhere Street 99,1\n")


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def cancel_what_the_test_ordered(server: Server) -> Iterator[None]:
    """The browser server is shared by the session: leave no new order pending for the next tests."""
    auth = {"Authorization": f"Bearer {MERCHANT_KEY}"}

    def ids() -> set[str]:
        with server.http() as h:
            return {d["id"] for d in h.get("/api/v1/deliveries?limit=200", headers=auth).json()["items"]}

    before = ids()
    yield
    with server.http() as h:
        for delivery_id in ids() - before:
            h.post(f"/api/v1/deliveries/{delivery_id}/cancel", json={"reason": "test over"}, headers=auth)


def row_with(text: str, page: Any) -> None:
    page.wait_for_function("t => [...document.querySelectorAll('#deliveries tr[data-id]')]"
                           ".some(r => r.textContent.includes(t))", arg=text)


def test_a_typed_address_with_a_typo_is_picked_with_the_keyboard_and_ordered(server: Server, new_context: Any) -> None:
    """"Aleksanterinktu 52": suggestions appear, ArrowDown + Enter picks, the order carries its label."""
    page = open_merchant(new_context)
    page.click("#dropoff")
    page.keyboard.type("Aleksanterinktu 52", delay=25)
    page.wait_for_selector("#dropoff-list li")
    assert page.get_attribute("#dropoff", "aria-expanded") == "true"
    shot(page, "merchant-suggestions")
    page.keyboard.press("ArrowDown")
    assert page.get_attribute("#dropoff", "aria-activedescendant") == "dropoff-list-0"
    page.keyboard.press("Enter")
    assert page.is_hidden("#dropoff-list")
    label = page.input_value("#dropoff")
    assert label.startswith("Aleksanterinkatu 52")
    assert label in page.text_content("#dropoff-point")
    page.keyboard.type("x")  # editing the text drops the point: no old point with a new text
    assert page.text_content("#dropoff-point") != f"Dropoff point: {label}"
    page.keyboard.press("Backspace")
    page.wait_for_selector("#dropoff-list li")
    page.keyboard.press("Escape")
    assert page.is_hidden("#dropoff-list")
    page.keyboard.press("ArrowDown")
    page.wait_for_selector("#dropoff-list li")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)  # a late answer to an older keystroke must not reopen the list
    assert page.is_hidden("#dropoff-list")
    shot(page, "merchant-picked")
    page.fill("#recipient", "Matti Meikäläinen")
    page.fill("#phone", "+358 40 123 4567")
    page.click("#submit")
    row_with("Aleksanterinkatu 52", page)
    assert page.text_content("#form-error") == ""
    shot(page, "merchant-ordered")
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("#dropoff")
    page.keyboard.type("mannerh", delay=20)
    page.wait_for_selector("#dropoff-list li")
    shot(page, "merchant-phone-suggestions")


def test_a_file_of_orders_is_previewed_then_imported_with_its_bad_row_reported(server: Server, new_context: Any,
                                                                              tmp_path: Path) -> None:
    """Preview shows the resolved address and the error's line:column; the import creates one order."""
    page = open_merchant(new_context)
    path = tmp_path / "orders.csv"
    path.write_text(CSV, encoding="utf-8")
    page.set_input_files("#import-file", str(path))
    page.wait_for_selector("#import-rows tr[data-status='error']")
    assert "Kaivokatu 8" in page.text_content("#import-rows tr[data-line='2']")
    assert page.text_content("#import-rows tr[data-line='3']").count("3:4: ") == 1
    page.click("#import-go")
    page.wait_for_selector("#import-rows tr[data-status='created']", timeout=20_000)
    row_with("Kaivokatu 8", page)
    shot(page, "merchant-import")
    page.set_viewport_size({"width": 390, "height": 844})  # the rows stack: no sideways scroll
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    shot(page, "merchant-phone-import")
