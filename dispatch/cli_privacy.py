"""``coopdispatch pseudonymise``: run the personal-data clean-up now (it also runs hourly)."""

from __future__ import annotations

from typing import Annotated

import typer

privacy_app = typer.Typer()


@privacy_app.command()
def pseudonymise(
    days: Annotated[int | None, typer.Option(help="override PSEUDONYMISE_AFTER_DAYS", min=0)] = None,
) -> None:
    """Pseudonymise recipients of deliveries finished more than the retention period ago."""
    from dispatch.bootstrap import build_context
    from dispatch.services.privacy import pseudonymise_due
    from dispatch.settings import get_settings

    settings = get_settings()
    n = pseudonymise_due(build_context(settings), days=days)
    typer.echo(f"pseudonymised {n} finished deliveries "
               f"(older than {settings.pseudonymise_after_days if days is None else days} days)")
