"""Orders imported from a file: preview, one bad row reported, nothing created twice; CSV export."""

from __future__ import annotations

import base64
import io
import time
from typing import Any

import openpyxl
from api_client import bearer, login

CSV = """order_ref,recipient_name,recipient_phone,dropoff_address,dropoff_lat,dropoff_lon,load_kg
A-1,Aino,+358 40 111 1111,"Aleksanterink. 52, 00100",,,2
A-2,Eero,+358 40 222 2222,,60.1711,24.9414,1
A-3,Lumi,+358 40 333 3333,Qwxyz Boulevard 99,,,1
A-4,Ilmari,+358 40 444 4444,Mannerheimintie 10,,,x
A-5,Kaisa,+358 40 555 5555,Kaivokatu 8,,,3
"""


def upload(client: Any, key: str, content: bytes, name: str = "orders.csv", dry_run: bool = True) -> Any:
    body = {"filename": name, "content_base64": base64.b64encode(content).decode(), "dry_run": dry_run}
    return client.post("/api/v1/deliveries/imports", json=body, headers=bearer(key))


def finished(client: Any, key: str, started: Any) -> dict[str, Any]:
    assert started.status_code == 202, started.text
    url = started.headers["Location"]
    for _ in range(300):
        job = client.get(url, headers=bearer(key)).json()
        if job["status"] == "done":
            return job  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def test_the_preview_shows_addresses_and_prices_and_creates_nothing(client: Any, world: Any) -> None:
    """Each good row: its resolved label and fee; bad rows: line:column: message."""
    r = upload(client, world.merchant_key, CSV.encode())
    assert r.status_code == 200, r.text
    p = r.json()
    assert (p["total"], p["ok"], p["failed"]) == (5, 3, 2)
    first = p["rows"][0]
    assert first["dropoff"].startswith("Aleksanterinkatu 52") and first["fee_cents"] > 0
    assert p["rows"][1]["dropoff"] and "60.17" not in p["rows"][1]["dropoff"]  # a label, not coordinates
    assert p["errors"][0].startswith("4:4: ") and "Qwxyz" in p["errors"][0]
    assert p["errors"][1].startswith("5:7: ")  # load_kg "x"
    listed = client.get("/api/v1/deliveries", headers=bearer(world.merchant_key)).json()
    assert listed["items"] == []


def test_an_import_creates_the_good_rows_and_a_second_upload_creates_nothing(client: Any, world: Any) -> None:
    """Three rows created, two reported; the same file again: three 'exists', nothing new."""
    job = finished(client, world.merchant_key, upload(client, world.merchant_key, CSV.encode(), dry_run=False))
    assert (job["created"], job["failed"], job["existing"]) == (3, 2, 0)
    assert [e.split(":")[0] for e in job["errors"]] == ["4", "5"]
    again = finished(client, world.merchant_key, upload(client, world.merchant_key, CSV.encode(), dry_run=False))
    assert (again["created"], again["existing"], again["failed"]) == (0, 3, 2)
    items = client.get("/api/v1/deliveries", headers=bearer(world.merchant_key)).json()["items"]
    assert len(items) == 3
    preview = upload(client, world.merchant_key, CSV.encode()).json()
    assert preview["existing"] == 3


def test_an_xlsx_file_is_read_like_a_csv(client: Any, world: Any) -> None:
    """The same columns in a workbook: numbers as numbers, the preview resolves them."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["order_ref", "recipient_name", "recipient_phone", "dropoff_address", "load_kg"])
    sheet.append(["X-1", "Aino", "+358 40 111 1111", "Kaivokatu 8", 2.5])
    buf = io.BytesIO()
    book.save(buf)
    r = upload(client, world.merchant_key, buf.getvalue(), name="orders.xlsx")
    assert r.status_code == 200, r.text
    assert r.json()["ok"] == 1 and "Kaivokatu 8" in r.json()["rows"][0]["dropoff"]


def test_a_file_with_an_unknown_column_names_its_place(client: Any, world: Any) -> None:
    """The header is checked first: 422 with line 1 and the column number."""
    r = upload(client, world.merchant_key, b"recipient_name,colour,dropoff_address\nA,red,Kaivokatu 8\n")
    assert r.status_code == 422 and r.json()["detail"].startswith("1:2: unknown column 'colour'")


def test_the_template_and_the_dispatcher_export_are_csv(client: Any, world: Any) -> None:
    """The template lists the documented columns; the export has one line per delivery."""
    t = client.get("/api/v1/deliveries/imports/template")
    assert t.status_code == 200 and t.text.startswith("order_ref,recipient_name")
    finished(client, world.merchant_key, upload(client, world.merchant_key, CSV.encode(), dry_run=False))
    dispatcher = login(client, world.dispatcher_email, world.password)
    e = client.get("/api/v1/dispatch/exports/deliveries.csv", headers=dispatcher)
    assert e.status_code == 200 and e.headers["content-type"].startswith("text/csv")
    lines = e.text.strip().splitlines()
    assert lines[0].startswith("id,created_at,status") and len(lines) == 4
    assert "Aleksanterinkatu 52" in e.text
    assert client.get("/api/v1/dispatch/exports/deliveries.csv", headers=bearer(world.merchant_key)).status_code == 403


def test_unreadable_files_and_impossible_values_are_422s_with_their_place(client: Any, world: Any) -> None:
    """A cell too long for a CSV reader, a number not finite or out of range: problems, never a 500."""
    r = upload(client, world.merchant_key, b"recipient_name,dropoff_address\n" + b"A" * 200_000 + b",Kaivokatu 8\n")
    assert r.status_code == 422 and r.json()["field"] == "file"
    bad = (b"recipient_name,recipient_phone,dropoff_lat,dropoff_lon,load_kg\n"
           b"A,+358 40 111 1111,60.17,24.94,nan\nB,+358 40 111 1111,91,24.94,1\n")
    p = upload(client, world.merchant_key, bad).json()
    assert [e.split(": ")[0] for e in p["errors"]] == ["2:5", "3:3"]
    junk = upload(client, world.merchant_key, base64.b64decode(base64.b64encode(b"PK\x03\x04junk")), name="x.xlsx")
    assert junk.status_code == 422


def test_an_order_ref_imported_before_with_other_values_is_an_error_not_a_duplicate(client: Any, world: Any) -> None:
    """The same order_ref with another address: reported on its order_ref cell, nothing created."""
    finished(client, world.merchant_key, upload(client, world.merchant_key, CSV.encode(), dry_run=False))
    changed = CSV.replace("Kaivokatu 8,,,3", "Kaivokatu 2,,,3")
    p = upload(client, world.merchant_key, changed.encode()).json()
    assert p["rows"][4]["status"] == "error" and p["rows"][4]["error"].startswith("6:1: order_ref 'A-5'")


def test_a_french_readers_preview_names_each_rows_problem_in_french(client: Any, world: Any) -> None:
    """Accept-Language fr: each error keeps its line:column and reads French, column names too."""
    body = {"filename": "commandes.csv", "content_base64": base64.b64encode(CSV.encode()).decode()}
    p = client.post("/api/v1/deliveries/imports", json=body,
                    headers=bearer(world.merchant_key) | {"Accept-Language": "fr"}).json()
    assert p["errors"][0].startswith("4:4: adresse de livraison « Qwxyz Boulevard 99 »"), p["errors"]
    assert p["errors"][1] == "5:7: charge (kg) « x » n'est pas un nombre"
    assert [r["error"] for r in p["rows"] if r["status"] == "error"] == p["errors"]
    assert not any(w in " ".join(p["errors"]) for w in ("dropoff", "load_kg", "matches", "not a number"))
