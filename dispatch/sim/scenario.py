"""A simulated day read from (and written to) two CSV files: ``orders.csv`` and ``couriers.csv``.

Times are clock times of the simulated day, ``HH:MM`` or ``HH:MM:SS`` (hours 0-47, so a night
shift may run past midnight). Coordinates are either latitude/longitude in degrees, placed on the
street graph, or planar x/y in metres, ridden in straight lines at a given speed (for scenarios
that come without a map). Both files of a scenario use the same kind of coordinates.

``orders.csv`` columns (one row per order; header required, column order free)
    ``order_id``            unique text
    ``placed_at``           when the customer clicks "order"
    ``ready_at``            when the merchant has it ready (>= placed_at)
    ``pickup_lat``, ``pickup_lon``   or ``pickup_x``, ``pickup_y``
    ``dropoff_lat``, ``dropoff_lon`` or ``dropoff_x``, ``dropoff_y``
    ``load_kg``             weight, >= 0
    ``window_end``          optional: the promised latest dropoff; empty or absent = the
                            service's default (ready time + ride + 45 min). A promise at or
                            before the ready time is accepted (a day when the kitchen was slow
                            must replay): such an order is late whatever happens, and the
                            scenario carries a warning with their count
    ``load_l``              optional: volume in litres (default 0)
    ``cancel_at``           optional: the customer cancels then if it is not picked up yet
    ``pickup_service_s``, ``dropoff_service_s``   optional: this order's nominal seconds at
                            the stop (default: the scenario's)

``couriers.csv`` columns
    ``courier_id``          unique text
    ``shift_start``, ``shift_end``   (end after start)
    ``start_lat``, ``start_lon``     or ``start_x``, ``start_y``
    ``vehicle``             ``bike``, ``cargo_bike`` or ``e_cargo``

An optional ``scenario.json`` beside them may name the map (``"map"``: an OSM file, relative to
the folder; absent = the shipped Helsinki map), the straight-line speed for planar scenarios
(``"planar_speed_kmh"``, default 15), the nominal seconds at each stop (``"pickup_service_s"``,
``"dropoff_service_s"``, default 120 each; the planner plans with them, the riders take them
with random variation) and a soft click-to-door target in minutes beside the promise
(``"target_click_to_door_min"``, default none; the share of orders over it is a KPI).

Every error is a :class:`ScenarioError` naming the file, the line and the column (1-based)::

    orders.csv:12:3: ready_at: '12:7x' is not a clock time HH:MM[:SS]
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from dispatch.domain.vehicles import VEHICLES

Point = tuple[float, float]
Coords = Literal["latlon", "xy"]
ORDERS_CSV, COURIERS_CSV, META_JSON = "orders.csv", "couriers.csv", "scenario.json"
ORDER_COLUMNS = ("order_id", "placed_at", "ready_at", "pickup", "dropoff", "load_kg")
ORDER_OPTIONAL = ("window_end", "load_l", "cancel_at", "pickup_service_s", "dropoff_service_s")
DEFAULT_SERVICE_S = 120
COURIER_COLUMNS = ("courier_id", "shift_start", "shift_end", "start", "vehicle")
AXES: dict[Coords, tuple[str, str]] = {"latlon": ("lat", "lon"), "xy": ("x", "y")}


class ScenarioError(ValueError):
    """A scenario file that cannot be read; says where (file, line, column) and why."""

    def __init__(self, file: str, line: int, column: int, message: str) -> None:
        super().__init__(f"{file}:{line}:{column}: {message}")
        self.file, self.line, self.column, self.detail = file, line, column, message


@dataclass(frozen=True, slots=True)
class OrderSpec:
    order_id: str
    placed_s: int
    ready_s: int
    pickup: Point
    dropoff: Point
    load_g: int
    window_end_s: int | None = None
    load_ml: int = 0
    cancel_s: int | None = None
    line: int = 0  # where it came from, for errors found later (e.g. off the map)
    pickup_service_s: int | None = None  # None: the scenario's
    dropoff_service_s: int | None = None


@dataclass(frozen=True, slots=True)
class CourierSpec:
    courier_id: str
    shift_start_s: int
    shift_end_s: int
    start: Point
    vehicle: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class Scenario:
    """A day to simulate: who orders what and when, who rides when."""

    name: str
    coords: Coords
    orders: tuple[OrderSpec, ...]
    couriers: tuple[CourierSpec, ...]
    map_path: str | None = None
    planar_speed_kmh: float = 15.0
    columns: dict[str, dict[str, int]] = field(default_factory=dict)  # file -> column -> 1-based
    pickup_service_s: int = DEFAULT_SERVICE_S
    dropoff_service_s: int = DEFAULT_SERVICE_S
    target_click_to_door_min: float | None = None
    warnings: tuple[str, ...] = ()

    def service_s(self, order: OrderSpec) -> tuple[int, int]:
        """The nominal (pickup, dropoff) seconds at the stops of ``order``."""
        pick, drop = order.pickup_service_s, order.dropoff_service_s
        return (self.pickup_service_s if pick is None else pick,
                self.dropoff_service_s if drop is None else drop)

    def promises_before_ready(self) -> int:
        """Orders whose promised dropoff is at or before their ready time (late in any case)."""
        return sum(1 for o in self.orders if o.window_end_s is not None and o.window_end_s <= o.ready_s)


def clock_s(text: str) -> int:
    """Seconds after midnight of ``HH:MM`` or ``HH:MM:SS`` (hours 0-47); ValueError otherwise."""
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) <= 2 for p in parts):
        raise ValueError(f"{text!r} is not a clock time HH:MM[:SS]")
    h, m, s = (int(p) for p in [*parts, "0"][:3])
    if h > 47 or m > 59 or s > 59:
        raise ValueError(f"{text!r} is not a clock time HH:MM[:SS] (hours 0-47)")
    return h * 3600 + m * 60 + s


def clock_text(seconds: int) -> str:
    h, rest = divmod(int(seconds), 3600)
    return f"{h:02d}:{rest // 60:02d}:{rest % 60:02d}"


class _Row:
    """One CSV row with the position of every column, so each error can point at its cell."""

    def __init__(self, file: str, line: int, header: dict[str, int], cells: list[str]) -> None:
        self.file, self.line, self.header, self.cells = file, line, header, cells

    def fail(self, column: str, message: str) -> ScenarioError:
        return ScenarioError(self.file, self.line, self.header[column] + 1, f"{column}: {message}")

    def text(self, column: str) -> str:
        i = self.header.get(column)
        return self.cells[i].strip() if i is not None else ""

    def parse(self, column: str, fn: Callable[[str], Any], optional: bool = False) -> Any:
        raw = self.text(column)
        if not raw:
            if optional:
                return None
            raise self.fail(column, "is empty")
        try:
            return fn(raw)
        except ValueError as exc:
            raise self.fail(column, str(exc)) from None

    def number(self, column: str, lo: float, hi: float) -> float:
        value = self.parse(column, _finite)
        if not lo <= value <= hi:
            raise self.fail(column, f"{value} is outside [{lo}, {hi}]")
        return float(value)

    def point(self, prefix: str, coords: Coords) -> Point:
        a, b = AXES[coords]
        if coords == "latlon":
            return (self.number(f"{prefix}_lat", -90, 90), self.number(f"{prefix}_lon", -180, 180))
        return (self.number(f"{prefix}_x", -1e7, 1e7), self.number(f"{prefix}_y", -1e7, 1e7))


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def _coords_of(file: str, names: Sequence[str], point_prefixes: Sequence[str]) -> Coords:
    prefix = point_prefixes[0]
    for coords, (a, _b) in AXES.items():
        if f"{prefix}_{a}" in names:
            return coords
    raise ScenarioError(file, 1, len(names) + 1,
                        f"missing column {prefix}_lat/{prefix}_lon (or {prefix}_x/{prefix}_y)")


def _expected(required: Sequence[str], coords: Coords) -> list[str]:
    a, b = AXES[coords]
    out: list[str] = []
    for name in required:
        is_point = name in ("pickup", "dropoff", "start")
        out += [f"{name}_{a}", f"{name}_{b}"] if is_point else [name]
    return out


def _rows(path: Path, required: Sequence[str], optional: Sequence[str],
          points: Sequence[str]) -> tuple[Coords, Iterator[_Row]]:
    file = path.name
    if not path.is_file():
        raise ScenarioError(file, 0, 0, f"no such file in {path.parent.name or '.'}")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        lines = [(reader.line_num, cells) for cells in reader]
    names = [n.strip() for n in lines[0][1]] if lines else []
    if not names:
        raise ScenarioError(file, 1, 1, "the file is empty: a header row is required")
    coords = _coords_of(file, names, points)
    expected = _expected(required, coords)
    for i, name in enumerate(names):
        if name not in expected and name not in optional:
            raise ScenarioError(file, 1, i + 1, f"unknown column {name!r} (expected {', '.join(expected)})")
        if names.index(name) != i:
            raise ScenarioError(file, 1, i + 1, f"column {name!r} appears twice")
    missing = [n for n in expected if n not in names]
    if missing:
        raise ScenarioError(file, 1, len(names) + 1, f"missing column {missing[0]!r}")
    header = {n: i for i, n in enumerate(names)}

    def rows() -> Iterator[_Row]:
        for line, cells in lines[1:]:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                raise ScenarioError(file, line, min(len(cells), len(names)) + 1,
                                    f"{len(cells)} cells, the header has {len(names)}")
            yield _Row(file, line, header, cells)

    return coords, rows()


def _header(path: Path) -> dict[str, int]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return {n.strip(): i + 1 for i, n in enumerate(next(csv.reader(f), []))}


def read_orders(path: Path) -> tuple[Coords, list[OrderSpec]]:
    coords, rows = _rows(path, ORDER_COLUMNS, ORDER_OPTIONAL, ("pickup", "dropoff"))
    orders: list[OrderSpec] = []
    seen: set[str] = set()
    for row in rows:
        oid = row.parse("order_id", str)
        if oid in seen:
            raise row.fail("order_id", f"{oid!r} is duplicated")
        seen.add(oid)
        placed, ready = row.parse("placed_at", clock_s), row.parse("ready_at", clock_s)
        if ready < placed:
            raise row.fail("ready_at", "is before placed_at")
        end = row.parse("window_end", clock_s, optional=True)  # before ready: late, kept (module doc)
        cancel = row.parse("cancel_at", clock_s, optional=True)
        if cancel is not None and cancel < placed:
            raise row.fail("cancel_at", "is before placed_at")
        load_kg = row.number("load_kg", 0, 1000)
        load_l = row.number("load_l", 0, 5000) if row.text("load_l") else 0.0
        services = [round(row.number(c, 0, 3 * 3600)) if row.text(c) else None
                    for c in ("pickup_service_s", "dropoff_service_s")]
        orders.append(OrderSpec(oid, placed, ready, row.point("pickup", coords), row.point("dropoff", coords),
                                round(load_kg * 1000), end, round(load_l * 1000), cancel, row.line, *services))
    return coords, orders


def read_couriers(path: Path) -> tuple[Coords, list[CourierSpec]]:
    coords, rows = _rows(path, COURIER_COLUMNS, (), ("start",))
    couriers: list[CourierSpec] = []
    seen: set[str] = set()
    for row in rows:
        cid = row.parse("courier_id", str)
        if cid in seen:
            raise row.fail("courier_id", f"{cid!r} is duplicated")
        seen.add(cid)
        start, end = row.parse("shift_start", clock_s), row.parse("shift_end", clock_s)
        if end <= start:
            raise row.fail("shift_end", "is not after shift_start")
        vehicle = row.parse("vehicle", str)
        if vehicle not in VEHICLES:
            raise row.fail("vehicle", f"{vehicle!r} is not one of {', '.join(sorted(VEHICLES))}")
        couriers.append(CourierSpec(cid, start, end, row.point("start", coords), vehicle, row.line))
    return coords, couriers


def read_scenario(folder: str | Path) -> Scenario:
    """Read ``orders.csv``, ``couriers.csv`` and the optional ``scenario.json`` of ``folder``.

    Raises ScenarioError naming the file, line and column of the first problem.
    """
    folder = Path(folder)
    coords, orders = read_orders(folder / ORDERS_CSV)
    courier_coords, couriers = read_couriers(folder / COURIERS_CSV)
    if courier_coords != coords:
        raise ScenarioError(COURIERS_CSV, 1, 1, f"coordinates are {courier_coords} but orders.csv uses {coords}")
    meta = _meta(folder)
    map_path = meta.get("map")
    if map_path is not None and not Path(map_path).is_absolute():
        map_path = str(folder / map_path)
    columns = {ORDERS_CSV: _header(folder / ORDERS_CSV), COURIERS_CSV: _header(folder / COURIERS_CSV)}
    scenario = Scenario(meta.get("name", folder.name), coords, tuple(orders), tuple(couriers), map_path,
                        _meta_number(meta, "planar_speed_kmh", 15.0, 1, 200), columns,
                        round(_meta_number(meta, "pickup_service_s", DEFAULT_SERVICE_S, 0, 3 * 3600)),
                        round(_meta_number(meta, "dropoff_service_s", DEFAULT_SERVICE_S, 0, 3 * 3600)),
                        _meta_number(meta, "target_click_to_door_min", None, 1, 24 * 60))
    return with_warnings(scenario)


def with_warnings(scenario: Scenario) -> Scenario:
    """``scenario`` with the warnings its data deserves (promises before the ready time)."""
    early = scenario.promises_before_ready()
    if not early:
        return scenario
    warning = (f"{early} order(s) promised at or before their ready time: replayed as given, "
               "counted late")
    return replace(scenario, warnings=(*scenario.warnings, warning))


def _meta_number(meta: dict[str, Any], key: str, default: float | None, lo: float, hi: float) -> Any:
    if key not in meta or meta[key] is None:
        return default
    value = meta[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ScenarioError(META_JSON, 1, 1, f"{key}: {value!r} is not a number in [{lo}, {hi}]")
    return float(value)


def _meta(folder: Path) -> dict[str, Any]:
    path = folder / META_JSON
    if not path.is_file():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ScenarioError(META_JSON, exc.lineno, exc.colno, exc.msg) from None
    if not isinstance(meta, dict):
        raise ScenarioError(META_JSON, 1, 1, "must be a JSON object")
    return meta


def write_scenario(scenario: Scenario, folder: str | Path) -> Path:
    """Write the scenario as ``orders.csv``, ``couriers.csv`` and ``scenario.json``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    a, b = AXES[scenario.coords]
    with (folder / ORDERS_CSV).open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["order_id", "placed_at", "ready_at", f"pickup_{a}", f"pickup_{b}", f"dropoff_{a}",
                    f"dropoff_{b}", "load_kg", "window_end", "load_l", "pickup_service_s", "dropoff_service_s"])
        for o in scenario.orders:
            end = clock_text(o.window_end_s) if o.window_end_s is not None else ""
            services = ["" if v is None else v for v in (o.pickup_service_s, o.dropoff_service_s)]
            w.writerow([o.order_id, clock_text(o.placed_s), clock_text(o.ready_s), *_fmt(o.pickup),
                        *_fmt(o.dropoff), o.load_g / 1000, end, o.load_ml / 1000, *services])
    with (folder / COURIERS_CSV).open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["courier_id", "shift_start", "shift_end", f"start_{a}", f"start_{b}", "vehicle"])
        for c in scenario.couriers:
            w.writerow([c.courier_id, clock_text(c.shift_start_s), clock_text(c.shift_end_s), *_fmt(c.start),
                        c.vehicle])
    meta: dict[str, Any] = {"name": scenario.name, "planar_speed_kmh": scenario.planar_speed_kmh,
                            "pickup_service_s": scenario.pickup_service_s,
                            "dropoff_service_s": scenario.dropoff_service_s,
                            "target_click_to_door_min": scenario.target_click_to_door_min}
    if scenario.map_path is not None:
        meta["map"] = str(Path(scenario.map_path).resolve())
    (folder / META_JSON).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return folder


def _fmt(p: Point) -> tuple[str, str]:
    return f"{p[0]:.6f}", f"{p[1]:.6f}"
