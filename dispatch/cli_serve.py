"""``coopdispatch migrate | seed | serve``: the commands that run the service."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from dispatch.settings import get_settings

serve_app = typer.Typer()


@serve_app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from dispatch.db.engine import make_engine
    from dispatch.db.migrate import upgrade

    settings = get_settings()
    upgrade(make_engine(settings.database_url))
    typer.echo(f"database {settings.database_url} is up to date")


@serve_app.command()
def seed() -> None:
    """Create the demo co-op (idempotent) and print its credentials."""
    from dispatch.bootstrap import build_context
    from dispatch.seed import seed_demo

    settings = get_settings()
    if settings.coopdispatch_env == "production":
        raise typer.BadParameter("the demo co-op is refused in production mode")
    ctx = build_context(settings)  # the parts every process builds, from the composition root
    with ctx.sessions() as s, s.begin():
        creds = seed_demo(s)
    from dispatch.services.basemap import ensure_default_tiles

    if ensure_default_tiles(settings.map_path) is not None:
        typer.echo("built the basemap tiles of the demo map")
    from dispatch.services.places import ensure_places

    places = ensure_places(ctx, "demo")  # typed addresses work from the first order
    typer.echo(f"places index of the demo map: {places} addresses, streets and places")
    typer.echo(
        "Demo co-op ready.\n"
        f"  merchant API key : {creds.merchant_key}\n"
        f"  dispatcher       : {creds.dispatcher_email} / {creds.password}\n"
        f"  couriers         : {', '.join(creds.courier_emails)} / {creds.password}\n"
        f"  admin            : {creds.admin_email} / {creds.password}"
    )


@serve_app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes sharing the bus and the database")] = 1,
    demo_feed: Annotated[bool, typer.Option("--demo-feed/--no-demo-feed",
                                            help="feed the demo co-op with simulated orders")] = False,
) -> None:
    """Run the service (uvicorn)."""
    import uvicorn

    settings = get_settings()
    if workers > 1 and settings.is_sqlite:
        typer.echo("note: several workers on SQLite share one file; use PostgreSQL + Redis to scale out")
    if workers > 1 and settings.bus_url.startswith("memory"):
        raise typer.BadParameter("--workers > 1 needs BUS_URL=redis://... so that processes share events")
    if demo_feed:
        os.environ["DEMO_FEED"] = "1"
        # the feeder's riders open real courier sockets on this very server
        os.environ.setdefault("DEMO_FEED_URL", f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}")
    typer.echo(f"coopdispatch on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    # Per-message deflate cost a third of the event loop in the realtime benchmark, for frames
    # of a few hundred bytes that compress little: off.
    # X-Forwarded-For is believed only from FORWARDED_ALLOW_IPS, by the app itself
    # (dispatch/middleware.py): uvicorn's own handling would trust any local process by default.
    uvicorn.run("dispatch.asgi:app", host=host, port=port, workers=workers, log_level="info",
                factory=False, ws_per_message_deflate=False, proxy_headers=False)
