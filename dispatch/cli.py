"""The ``coopdispatch`` command: serve, demo, map, simulate, bench.

Each concern registers its own Typer sub-app below; this module only assembles them.
"""

from __future__ import annotations

import typer

app = typer.Typer(help="coopdispatch: dispatch for bicycle-courier cooperatives", no_args_is_help=True)

# sub-commands (one line each: app.add_typer(x_app, name="x") or app.command()(fn))
from dispatch.cli_serve import serve_app  # noqa: E402
from dispatch.cli_map import map_app  # noqa: E402
app.add_typer(map_app, name="map")
from dispatch.cli_coop import coop_app  # noqa: E402
app.add_typer(coop_app, name="coop")

app.registered_commands += serve_app.registered_commands
from dispatch.cli_sim import sim_app  # noqa: E402
app.registered_commands += sim_app.registered_commands
from dispatch.cli_privacy import privacy_app  # noqa: E402
app.registered_commands += privacy_app.registered_commands


def main() -> None:
    app()


if __name__ == "__main__":
    main()
