"""Orders imported from a file: a preview first, then each good row created once.

The preview resolves every row's addresses and quotes its price without creating anything.
The import creates the good rows in a background thread (``delivery_imports`` keeps its
progress and each row's outcome) and reports the bad ones as ``line:column: message``. Each
row is created through the same ``create_delivery`` as the API, under an idempotency key made
of the row's ``order_ref`` (or its content): uploading the same file again creates nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import select

from dispatch.db.models import DeliveryImport, Merchant
from dispatch.domain.errors import DomainError, InvalidInput, NotFound
from dispatch.services import deliveries as dsvc
from dispatch.services import fees, idempotency
from dispatch.services.auth import Principal
from dispatch.services.context import ServiceContext
from dispatch.services.import_files import FileRow, read_rows
from dispatch.services.stop_input import place_from_input

# which column a service error's field points at
FIELD_COLUMN = {"dropoff": "dropoff_address", "dropoff.address": "dropoff_address", "pickup": "pickup_address",
                "pickup.address": "pickup_address", "ready_at": "ready_at", "dropoff_window.end": "window_end",
                "dropoff_window.start": "ready_at", "load.kg": "load_kg", "load.litres": "load_litres",
                "recipient.name": "recipient_name", "recipient.phone": "recipient_phone"}
PROGRESS_EVERY = 10
RANGES = {"dropoff_lat": (-90.0, 90.0), "pickup_lat": (-90.0, 90.0), "dropoff_lon": (-180.0, 180.0),
          "pickup_lon": (-180.0, 180.0), "load_kg": (0.0, 1000.0), "load_litres": (0.0, 5000.0)}


class RowError(ValueError):
    """A row that cannot become a delivery; the message is ``line:column: message``."""


def _float(row: FileRow, column: str, default: float | None = None) -> float | None:
    raw = row.cells.get(column, "")
    if not raw:
        return default
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise RowError(row.at(column, f"{column} {raw!r} is not a number")) from None
    low, high = RANGES[column]
    if not (math.isfinite(value) and low <= value <= high):
        raise RowError(row.at(column, f"{column} {raw!r} is not between {low:g} and {high:g}"))
    return value


def _instant(row: FileRow, column: str) -> datetime | None:
    raw = row.cells.get(column, "")
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise RowError(row.at(column, f"{column} {raw!r} is not an ISO 8601 date and time")) from None
    if value.tzinfo is None:
        raise RowError(row.at(column, f"{column} {raw!r} needs a time zone, e.g. +02:00"))
    return value


def _place(ctx: ServiceContext, who: Principal, row: FileRow, kind: str,
           near: tuple[float, float] | None) -> dsvc.Place | None:
    lat, lon = _float(row, f"{kind}_lat"), _float(row, f"{kind}_lon")
    address = row.cells.get(f"{kind}_address", "")
    if lat is None and lon is None and not address:
        if kind == "pickup":
            return None
        raise RowError(row.at("dropoff_address", "give dropoff_address, or dropoff_lat and dropoff_lon"))
    if (lat is None) != (lon is None):
        raise RowError(row.at(f"{kind}_lat", f"give both {kind}_lat and {kind}_lon"))
    return place_from_input(ctx, who, lat, lon, address, kind, near)


def delivery_of_row(ctx: ServiceContext, who: Principal, row: FileRow,
                    shop: tuple[float, float] | None) -> dsvc.NewDelivery:
    """The delivery a row asks for, or :class:`RowError` naming its line and column."""
    try:
        pickup = _place(ctx, who, row, "pickup", shop)
        near = (pickup.lat, pickup.lon) if pickup else shop
        dropoff = _place(ctx, who, row, "dropoff", near)
        assert dropoff is not None
        kg, litres = _float(row, "load_kg", 0.0) or 0.0, _float(row, "load_litres", 0.0) or 0.0
        new = dsvc.NewDelivery(
            dropoff=dropoff, pickup=pickup, recipient_name=row.cells.get("recipient_name", ""),
            recipient_phone=row.cells.get("recipient_phone", ""), ready_at=_instant(row, "ready_at"),
            window_end_at=_instant(row, "window_end"), load_g=round(kg * 1000), load_ml=round(litres * 1000),
            notes=row.cells.get("notes", "")[:2000])
        dsvc.validate_recipient(new)
        return new
    except DomainError as exc:
        raise RowError(_located(row, exc)) from exc


def _located(row: FileRow, exc: DomainError) -> str:
    column = FIELD_COLUMN.get(exc.field or "", "order_ref")
    detail = exc.detail
    candidates = (getattr(exc, "extra", None) or {}).get("candidates") or []
    if candidates:
        detail += "; did you mean: " + " | ".join(c["label"] for c in candidates[:3])
    return row.at(column, detail)


def row_key(row: FileRow) -> tuple[str, str]:
    """(idempotency key, request hash) of a row: its order_ref, or its content."""
    content = json.dumps(sorted(row.cells.items()), ensure_ascii=False)
    digest = hashlib.sha256(content.encode()).hexdigest()
    ref = row.cells.get("order_ref", "")
    return (f"import:{ref[:150]}" if ref else f"import:{digest[:40]}"), digest


def _shop(ctx: ServiceContext, who: Principal) -> tuple[float, float] | None:
    with ctx.sessions() as s:
        m = s.get(Merchant, who.merchant_id) if who.merchant_id else None
        return None if m is None else (m.lat, m.lon)


def _existing(ctx: ServiceContext, who: Principal, row: FileRow) -> str | None:
    """The id of the delivery a previous upload created for this row, if any."""
    key, req_hash = row_key(row)
    with ctx.sessions() as s:
        try:
            stored = idempotency.replay(s, f"merchant:{who.merchant_id}", key, req_hash)
        except DomainError:
            raise RowError(row.at("order_ref", f"order_ref {row.cells.get('order_ref')!r} was imported "
                                               "before with other values: give this order a new order_ref")) from None
    return None if stored is None else str(json.loads(stored.body).get("id", ""))


def preview(ctx: ServiceContext, who: Principal, filename: str, content: bytes) -> dict[str, Any]:
    """Each row's resolved addresses and quoted price, or its error; nothing is created."""
    rows, shop = read_rows(filename, content), _shop(ctx, who)
    out = []
    for row in rows:
        item: dict[str, Any] = {"line": row.line, "order_ref": row.cells.get("order_ref", "")}
        try:
            new = delivery_of_row(ctx, who, row, shop)
            item |= {"dropoff": new.dropoff.address, "pickup": new.pickup.address if new.pickup else None}
            q = fees.create_quote(ctx, who, fees.QuoteRequest(new.dropoff, new.pickup, new.ready_at,
                                                              new.load_g, new.load_ml))
            existing = _existing(ctx, who, row)
            item |= {"status": "exists" if existing else "ok", "fee_cents": q["fee_cents"],
                     "delivery_id": existing}
        except RowError as exc:
            item |= {"status": "error", "error": str(exc)}
        except DomainError as exc:
            item |= {"status": "error", "error": _located(row, exc)}
        out.append(item)
    return _summary(out) | {"rows": out}


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"total": len(rows), "ok": sum(r["status"] == "ok" for r in rows),
            "existing": sum(r["status"] == "exists" for r in rows),
            "failed": sum(r["status"] == "error" for r in rows),
            "errors": [r["error"] for r in rows if r["status"] == "error"]}


def start_import(ctx: ServiceContext, who: Principal, filename: str, content: bytes) -> dict[str, Any]:
    """Record the import and create its rows in a background thread; returns its first view."""
    rows = read_rows(filename, content)
    if who.merchant_id is None:
        raise InvalidInput("only a merchant imports orders", field="Authorization")
    with ctx.sessions() as s, s.begin():
        job = DeliveryImport(coop_id=who.coop_id, merchant_id=who.merchant_id, filename=filename[:200],
                             file_sha256=hashlib.sha256(content).hexdigest(), status="running",
                             total=len(rows), rows=[], created_at=ctx.clock())
        s.add(job)
        s.flush()
        job_id = job.id
    threading.Thread(target=run_import, args=(ctx, who, job_id, rows), daemon=True,
                     name=f"import-{job_id[:8]}").start()
    return import_view(ctx, who, job_id)


def run_import(ctx: ServiceContext, who: Principal, job_id: str, rows: list[FileRow]) -> None:
    """Create each good row once (see module docstring), saving progress as it goes."""
    shop, outcomes = _shop(ctx, who), []
    for n, row in enumerate(rows, start=1):
        outcomes.append(_create_row(ctx, who, row, shop))
        if n % PROGRESS_EVERY == 0 or n == len(rows):
            _save(ctx, job_id, outcomes, done=n == len(rows))


def _create_row(ctx: ServiceContext, who: Principal, row: FileRow,
                shop: tuple[float, float] | None) -> dict[str, Any]:
    key, req_hash = row_key(row)
    item: dict[str, Any] = {"line": row.line, "order_ref": row.cells.get("order_ref", "")}
    try:
        existing = _existing(ctx, who, row)
        if existing:
            return item | {"status": "exists", "delivery_id": existing}
        new = delivery_of_row(ctx, who, row, shop)
        stored = dsvc.create_delivery(ctx, who, new, key, req_hash)
        body = json.loads(stored.body)
        return item | {"status": "created", "delivery_id": body["id"], "dropoff": body["dropoff"]["address"],
                       "fee_cents": body.get("fee_cents")}
    except RowError as exc:
        return item | {"status": "error", "error": str(exc)}
    except DomainError as exc:
        return item | {"status": "error", "error": _located(row, exc)}


def _save(ctx: ServiceContext, job_id: str, outcomes: list[dict[str, Any]], *, done: bool) -> None:
    with ctx.sessions() as s, s.begin():
        job = s.get(DeliveryImport, job_id)
        assert job is not None
        job.rows, job.done = list(outcomes), len(outcomes)
        job.created = sum(o["status"] == "created" for o in outcomes)
        job.existing = sum(o["status"] == "exists" for o in outcomes)
        job.failed = sum(o["status"] == "error" for o in outcomes)
        if done:
            job.status, job.finished_at = "done", ctx.clock()


def import_view(ctx: ServiceContext, who: Principal, job_id: str) -> dict[str, Any]:
    """An import's progress and each row's outcome (the merchant's own imports only)."""
    with ctx.sessions() as s:
        job = s.scalar(select(DeliveryImport).where(DeliveryImport.id == job_id))
        if job is None or job.merchant_id != who.merchant_id:
            raise NotFound(f"no import {job_id}", field="import_id")
        rows = list(job.rows or [])
        return {"id": job.id, "filename": job.filename, "status": job.status, "total": job.total,
                "done": job.done, "created": job.created, "existing": job.existing, "failed": job.failed,
                "errors": [r["error"] for r in rows if r.get("status") == "error"], "rows": rows}
