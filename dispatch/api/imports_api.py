"""Orders from a file (CSV or XLSX, merchant) and deliveries to a CSV file (dispatcher).

``POST /api/v1/deliveries/imports`` takes ``{"filename", "content_base64", "dry_run"}``:
with ``dry_run`` (the default) it answers the preview (each row's resolved address and quoted
price, or its ``line:column: message``); without, it starts the import (202) whose progress
``GET /api/v1/deliveries/imports/{id}`` shows. ``GET .../imports/template`` is the columns.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from dispatch.api.deps import Ctx, Dispatcher, Merchant
from dispatch.api.problem_lang import localise_message, preferred_lang
from dispatch.api.problems import problem_responses
from dispatch.api.schemas import Out, Strict
from dispatch.domain.errors import InvalidInput
from dispatch.services import exports, imports
from dispatch.services.import_files import COLUMNS, template_csv

router = APIRouter(tags=["imports"])


class ImportIn(Strict):
    filename: str = Field(min_length=1, max_length=200, examples=["orders.csv"])
    content_base64: str = Field(min_length=1, description="the file's bytes, base64")
    dry_run: bool = Field(default=True, description="preview only: create nothing")


class ImportRow(Out):
    line: int
    order_ref: str
    status: str = Field(description="ok / exists (preview); created / exists (import); error")
    error: str | None = Field(default=None, description="line:column: message")
    dropoff: str | None = None
    fee_cents: int | None = None
    delivery_id: str | None = None


class ImportPreview(Out):
    total: int
    ok: int
    existing: int
    failed: int
    errors: list[str]
    rows: list[ImportRow]


class ImportStatus(Out):
    id: str
    filename: str
    status: str = Field(description="running, then done")
    total: int
    done: int
    created: int
    existing: int
    failed: int
    errors: list[str]
    rows: list[ImportRow]


def _in_reader_language(out: dict[str, Any], request: Request) -> dict[str, Any]:
    """Each row's ``line:column: message`` in the language the request prefers, as its problems are."""
    lang = preferred_lang(request.headers.get("accept-language"))
    if lang == "en":
        return out
    rows = [r | {"error": localise_message(r["error"], lang)} if r.get("error") else r for r in out.get("rows", [])]
    return out | {"rows": rows, "errors": [localise_message(e, lang) for e in out.get("errors", [])]}


def _content(body: ImportIn) -> bytes:
    try:
        return base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("content_base64 is not base64", field="content_base64") from exc


@router.post("/api/v1/deliveries/imports", operation_id="imports_create", response_model=ImportPreview | ImportStatus,
             summary="Preview (dry_run) or import orders from a CSV or XLSX file",
             responses=problem_responses("invalid-input") | {202: {"description": "import started",
                                                                   "model": ImportStatus}})
def create_import(body: ImportIn, ctx: Ctx, who: Merchant, request: Request, response: Response) -> dict[str, Any]:
    content = _content(body)
    if body.dry_run:
        return _in_reader_language(imports.preview(ctx, who, body.filename, content), request)
    started = imports.start_import(ctx, who, body.filename, content)
    response.status_code = 202
    response.headers["Location"] = f"/api/v1/deliveries/imports/{started['id']}"
    return _in_reader_language(started, request)


CSV_BODY = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}}


class ImportColumn(Out):
    name: str
    description: str


class ImportColumns(Out):
    columns: list[ImportColumn]


@router.get("/api/v1/deliveries/imports/template", operation_id="imports_template", response_class=Response,
            summary="The import columns as a CSV template with one example row", responses=CSV_BODY)
def template() -> Response:
    return Response(template_csv(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="orders-template.csv"'})


@router.get("/api/v1/deliveries/imports/columns", operation_id="imports_columns", response_model=ImportColumns,
            summary="What each import column means")
def columns() -> dict[str, object]:
    return {"columns": [{"name": k, "description": v} for k, v in COLUMNS.items()]}


@router.get("/api/v1/deliveries/imports/{import_id}", operation_id="imports_get", response_model=ImportStatus,
            summary="An import's progress and each row's outcome", responses=problem_responses("not-found"))
def get_import(import_id: str, ctx: Ctx, who: Merchant, request: Request) -> dict[str, Any]:
    return _in_reader_language(imports.import_view(ctx, who, import_id), request)


@router.get("/api/v1/dispatch/exports/deliveries.csv", operation_id="dispatch_export_deliveries",
            summary="The co-op's deliveries as CSV (dispatcher)", response_class=Response, responses=CSV_BODY)
def export_deliveries(ctx: Ctx, who: Dispatcher,
                      days: Annotated[int, Query(ge=1, le=366, description="created in the last N days")] = 31
                      ) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in exports.delivery_rows(ctx, who, days):
        writer.writerow(row)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="deliveries.csv"'})
