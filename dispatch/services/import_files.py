"""Read a file of orders (CSV or XLSX) into rows of named cells, with their line and column.

The columns (any order, header row first, names case-insensitive) are :data:`COLUMNS`; a row
gives the dropoff as ``dropoff_address`` or as ``dropoff_lat`` + ``dropoff_lon`` (same for an
optional pickup). Errors are reported as ``line:column: message`` (line 1 is the header).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from dispatch.domain.errors import InvalidInput

COLUMNS: dict[str, str] = {
    "order_ref": "your own order id; a re-uploaded row with the same order_ref is not created again "
                 "(without it, the row's content is its identity)",
    "recipient_name": "required",
    "recipient_phone": "required: digits, spaces, +, -, parentheses",
    "dropoff_address": "an address of the co-op's map, e.g. 'Mannerheimintie 10, 00100' "
                       "(or dropoff_lat and dropoff_lon)",
    "dropoff_lat": "latitude in degrees (with dropoff_lon, instead of dropoff_address)",
    "dropoff_lon": "longitude in degrees",
    "pickup_address": "optional: default is your shop's pickup",
    "pickup_lat": "optional",
    "pickup_lon": "optional",
    "ready_at": "optional: ISO 8601 with a time zone, e.g. 2026-12-05T12:30:00+02:00 (default: now)",
    "window_end": "optional: latest dropoff, ISO 8601 with a time zone",
    "load_kg": "optional, default 0",
    "load_litres": "optional, default 0",
    "notes": "optional",
}
TEMPLATE_EXAMPLE = {"order_ref": "A-1001", "recipient_name": "Aino Virtanen", "recipient_phone": "+358 40 123 4567",
                    "dropoff_address": "Mannerheimintie 10, 00100 Helsinki", "load_kg": "3", "load_litres": "10",
                    "notes": "door code 1234"}
MAX_ROWS = 5000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class FileRow:
    """One data row: its line in the file, its cells by column name, and where each column is."""

    line: int
    cells: dict[str, str]
    columns: dict[str, int]

    def at(self, column: str, message: str) -> str:
        """``line:column: message`` for a cell of this row."""
        return f"{self.line}:{self.columns.get(column, 1)}: {message}"


def template_csv() -> str:
    """The documented columns as a CSV header, with one example row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerow(TEMPLATE_EXAMPLE)
    return out.getvalue()


def read_rows(filename: str, content: bytes) -> list[FileRow]:
    """The file's data rows (CSV or XLSX by name or content); ``InvalidInput`` naming ``file``
    with ``line:column: message`` when the header is unusable."""
    table = _xlsx(content) if content[:2] == b"PK" or filename.lower().endswith(".xlsx") else _csv(content)
    table = [row for row in table if any(c.strip() for c in row)]
    if not table:
        raise InvalidInput("1:1: the file is empty: the first row must name the columns", field="file")
    header = [h.strip().lower().replace(" ", "_") for h in table[0]]
    unknown = [(i + 1, h) for i, h in enumerate(header) if h and h not in COLUMNS]
    if unknown:
        col, name = unknown[0]
        raise InvalidInput(f"1:{col}: unknown column {name!r}; the columns are {', '.join(COLUMNS)}", field="file")
    if "dropoff_address" not in header and not {"dropoff_lat", "dropoff_lon"} <= set(header):
        raise InvalidInput("1:1: a dropoff_address column (or dropoff_lat and dropoff_lon) is required",
                           field="file")
    if len(table) - 1 > MAX_ROWS:
        raise InvalidInput(f"{MAX_ROWS + 2}:1: at most {MAX_ROWS} rows per file", field="file")
    columns = {h: i + 1 for i, h in enumerate(header) if h}
    return [FileRow(n, {h: (row[c - 1].strip() if c - 1 < len(row) else "") for h, c in columns.items()}, columns)
            for n, row in enumerate(table[1:], start=2)]


def _csv(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # spreadsheets saved on Windows
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        return [list(r) for r in reader]
    except csv.Error as exc:  # a NUL byte, a field longer than csv's limit ...
        raise InvalidInput(f"{reader.line_num}:1: not a readable CSV file ({exc})", field="file") from exc


def _xlsx(content: bytes) -> list[list[str]]:
    import openpyxl  # a heavy import only XLSX files need

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same user error
        raise InvalidInput(f"1:1: not a readable XLSX file ({type(exc).__name__})", field="file") from exc
    sheet = book.worksheets[0]
    rows = [["" if v is None else _cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return]
    return str(value)
