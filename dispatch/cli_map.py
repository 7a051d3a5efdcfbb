"""``coopdispatch map``: import an OpenStreetMap extract and try a route on it.

``map import FILE [--area POLYGON.geojson]`` builds the cargo-bike graph (and its contraction
hierarchy) into the cache with a progress bar, then prints its summary; ``map route LAT,LON
LAT,LON`` prints the door-to-door time and distance. Map data © OpenStreetMap contributors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from shapely.geometry import shape

from routing.streets.network import MapError, SnapError, StreetNetwork

map_app = typer.Typer(help="Street maps: import an OSM extract, try a route.", no_args_is_help=True)
console = Console()

CACHE_HELP = "graph cache folder (default: $COOPDISPATCH_CACHE_DIR or ~/.cache/coopdispatch)"


def area_from_geojson(path: Path) -> Any:
    """The polygon (lon, lat) of a GeoJSON geometry, Feature or FeatureCollection."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        features = data.get("features") or [data]
        parts = [shape(f.get("geometry", f)) for f in features]
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as exc:
        raise typer.BadParameter(f"cannot read a polygon from {path}: {exc}") from exc
    area = shapely.union_all(parts)
    if area.is_empty or area.area == 0:
        raise typer.BadParameter(f"{path} holds no polygon")
    return area


def parse_point(text: str) -> tuple[float, float]:
    """``"LAT,LON"`` -> (lat, lon)."""
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError as exc:
        raise typer.BadParameter(f"expected LAT,LON, got {text!r}") from exc
    return lat, lon


@map_app.command("import")
def import_map(
    file: Path = typer.Argument(..., help=".osm, .osm.bz2 or .osm.pbf extract"),
    area: Path | None = typer.Option(None, "--area", help="keep only streets inside this GeoJSON polygon"),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help=CACHE_HELP),
) -> None:
    """Build and cache the cargo-bike street graph of FILE, then print its summary."""
    polygon = area_from_geojson(area) if area is not None else None
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("reading ways", total=1.0)

        def report(stage: str, fraction: float) -> None:
            bar.update(task, description=stage, completed=max(fraction, 0.0))

        try:
            net = StreetNetwork.load(file, cache_dir=cache_dir, area=polygon, progress=report)
        except MapError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
    summary = net.summary()
    table = Table(title=f"map {file.name}", show_header=False)
    for key in ("nodes", "edges", "km", "profile"):
        table.add_row(key, str(summary[key]))
    lat0, lon0, lat1, lon1 = summary["bbox"]
    table.add_row("bbox", f"{lat0:.5f},{lon0:.5f} .. {lat1:.5f},{lon1:.5f}")
    console.print(table)
    console.print(summary["attribution"])


@map_app.command("route")
def route(
    origin: str = typer.Argument(..., help="LAT,LON"),
    destination: str = typer.Argument(..., help="LAT,LON"),
    map_file: Path | None = typer.Option(None, "--map", help="OSM extract (default: the shipped map)"),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help=CACHE_HELP),
) -> None:
    """Print the cargo-bike time and distance from ORIGIN to DESTINATION."""
    try:
        net = StreetNetwork.load(map_file, cache_dir=cache_dir)
        a, b = net.snap(*parse_point(origin)), net.snap(*parse_point(destination))
    except (MapError, SnapError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    path = net.route(a, b)
    minutes, seconds = divmod(path.duration_s, 60)
    console.print(
        f"time {minutes} min {seconds:02d} s ({path.duration_s} s), "
        f"distance {path.distance_m / 1000:.2f} km ({path.distance_m} m), {len(path.coords)} points"
    )
