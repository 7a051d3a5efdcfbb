"""``coopdispatch coop create | list``: a co-op from nothing, on the command line.

Asks for what is missing (name, slug, time zone, currency, locale, first admin's e-mail) unless
``--yes``; imports the map with a progress bar when ``--map FILE`` is given (optionally cut to
``--bbox S,W,N,E``), else the co-op uses the server's map; takes the service area from
``--area GEOJSON`` or the map's outline; adopts the default fee rules and prints the first
admin's one-time link.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

coop_app = typer.Typer(help="Co-ops: create one from nothing, list them.", no_args_is_help=True)
console = Console()


def _context() -> Any:
    from dispatch.bootstrap import build_context
    from dispatch.db.migrate import ensure_migrated
    from dispatch.settings import get_settings

    ctx = build_context(get_settings())
    ensure_migrated(ctx.sessions.kw["bind"])
    return ctx


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        south, west, north, east = (float(x) for x in text.split(","))
    except ValueError as exc:
        raise typer.BadParameter(f"--bbox is S,W,N,E in degrees, got {text!r}") from exc
    return south, west, north, east


def import_with_progress(ctx: Any, file: Path, bbox: Any, name: str | None = None) -> Any:
    """Run the map-import pipeline with a rich progress bar; print the map's summary."""
    from dispatch.services.maps import import_map

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("reading ways", total=1.0)
        imported = import_map(ctx, file, name=name, cut_bbox=bbox,
                              progress=lambda stage, f: bar.update(task, description=stage, completed=max(f, 0.0)))
    s = imported.summary
    console.print(f"map {imported.name} ({imported.map_id}): {s['nodes']} nodes, {s['km']} km of streets")
    return imported


@coop_app.command("create")
def create(
    name: Annotated[str | None, typer.Option(help="the co-op's name")] = None,
    slug: Annotated[str | None, typer.Option(help="short id in links: lowercase, digits, dashes")] = None,
    timezone: Annotated[str | None, typer.Option(help="e.g. Europe/Paris")] = None,
    currency: Annotated[str | None, typer.Option(help="ISO 4217, e.g. EUR")] = None,
    locale: Annotated[str | None, typer.Option(help="fr or en")] = None,
    map_file: Annotated[Path | None, typer.Option(
        "--map", help=".osm, .osm.bz2 or .osm.pbf (default: the server's map)")] = None,
    bbox: Annotated[str | None, typer.Option(help="cut the map to S,W,N,E")] = None,
    area: Annotated[Path | None, typer.Option(help="service area GeoJSON (default: the map's outline)")] = None,
    admin_email: Annotated[str | None, typer.Option(help="the first admin's e-mail")] = None,
    admin_name: Annotated[str, typer.Option(help="the first admin's name")] = "Admin",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="never prompt: defaults for what is missing")] = False,
) -> None:
    """Create a co-op and print its first admin's one-time link."""
    from dispatch.domain.errors import DomainError
    from dispatch.services.coops import NewCoop, checked_settings, create_coop, founding_rules
    from dispatch.services.members import checked_email
    from routing.streets.network import MapError

    def ask(value: str | None, question: str, default: str | None = None) -> str:
        if value:
            return value
        if yes:
            if default is None:
                raise typer.BadParameter(f"{question} is required with --yes")
            return default
        return str(typer.prompt(question, default=default))

    name = ask(name, "Co-op name")
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = ask(slug, "Slug", re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:64] or "coop")
    timezone = ask(timezone, "Time zone", "Europe/Paris")
    currency = ask(currency, "Currency", "EUR").upper()
    locale = ask(locale, "Locale (fr/en)", "fr")
    admin_email = ask(admin_email, "First admin's e-mail")
    service_area = None
    if area is not None:
        try:
            service_area = json.loads(area.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(f"cannot read {area}: {exc}") from exc
    try:
        checked_settings(timezone, currency, locale, slug)  # before a long map import
        checked_email(admin_email, "admin_email")
    except DomainError as exc:
        console.print(f"[red]error:[/red] {exc} ({exc.field})")
        raise typer.Exit(1) from exc
    ctx = _context()
    try:
        founding_rules(ctx, timezone, currency, ctx.clock())  # before a long map import, too
        # the server's map too is recorded as the co-op's own: it keeps it if the server's changes
        source = map_file or Path(ctx.network.source)
        map_id = import_with_progress(ctx, source, _bbox(bbox)).map_id
        out = create_coop(ctx, NewCoop(name=name, slug=slug, admin_email=admin_email, admin_name=admin_name,
                                       timezone=timezone, currency=currency, locale=locale, map_id=map_id,
                                       service_area=service_area))
    except (DomainError, MapError) as exc:
        console.print(f"[red]error:[/red] {exc} ({getattr(exc, 'field', None) or 'map'})")
        raise typer.Exit(1) from exc
    link = out["admin"]
    console.print(f"co-op [bold]{out['name']}[/bold] ({out['slug']}) created with the default fee rules.")
    console.print(f"first admin {link['email']}: set the password within the next hours at\n{link['url']}",
                  soft_wrap=True)
    if link["emailed"]:
        console.print("(the link was also e-mailed)")


@coop_app.command("set-map")
def set_map(
    slug: Annotated[str, typer.Argument(help="the co-op's slug")],
    map_file: Annotated[Path, typer.Option("--map", help=".osm, .osm.bz2 or .osm.pbf")],
    bbox: Annotated[str | None, typer.Option(help="cut the map to S,W,N,E")] = None,
    outline_area: Annotated[bool, typer.Option(
        "--outline-area", help="also make the map's outline the service area")] = False,
) -> None:
    """Import a map and move the co-op onto it (audited; every process follows within 30 s)."""
    from sqlalchemy import select

    from dispatch.db.models import Coop
    from dispatch.domain.errors import DomainError
    from dispatch.services.auth import Principal
    from dispatch.services.coops import update_settings
    from routing.streets.network import MapError

    ctx = _context()
    with ctx.sessions() as s:
        coop_id = s.scalar(select(Coop.id).where(Coop.slug == slug))
    if coop_id is None:
        console.print(f"[red]error:[/red] no co-op {slug}")
        raise typer.Exit(1)
    try:
        imported = import_with_progress(ctx, map_file, _bbox(bbox))
        changes: dict[str, Any] = {"map_id": imported.map_id}
        if outline_area:
            changes["service_area"] = imported.outline
        update_settings(ctx, Principal(role="system", coop_id=coop_id), changes)
    except (DomainError, MapError) as exc:
        console.print(f"[red]error:[/red] {exc} ({getattr(exc, 'field', None) or 'map'})")
        raise typer.Exit(1) from exc
    console.print(f"co-op {slug} now plans on map {imported.name} ({imported.map_id})")


@coop_app.command("list")
def list_coops() -> None:
    """Every co-op on this server with its map."""
    from sqlalchemy import select

    from dispatch.db.models import Coop

    ctx = _context()
    with ctx.sessions() as s:
        for c in s.scalars(select(Coop).order_by(Coop.created_at)):
            console.print(f"{c.slug}\t{c.name}\t{c.timezone}\t{c.currency}\tmap {c.map_id or '(server map)'}")
