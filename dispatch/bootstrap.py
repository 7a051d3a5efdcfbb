"""The composition root: every process builds its parts from settings here, and only here.

Like cosmicpython's ``bootstrap.py``: the web app (``dispatch.app.create_app``), the planner's
child process, the CLI commands and the demo feed's simulated riders all ask this module for
the same graph of parts (engine and sessions, street network, bus, dispatch loop), so no module
reaches up to ``app.py`` for its wiring. Before, the planner child imported ``dispatch.app``
(which imports the loop) to build its context: the loop depended on the app that runs it.

Who may import whom (``tests/unit/test_import_layers.py`` checks it)::

    entry points:  asgi -> app;  app, cli_* -> bootstrap
    the loop:      bootstrap -> dispatcher -> planning -> services -> domain, db, settings
    HTTP side:     app -> api, realtime, middleware -> services
    simulator:     cli_sim -> sim -> planning, services (never the service's own wiring)

Only this module imports the dispatch loop; the loop imports neither the app, the API nor this
module.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from dispatch.db.engine import make_engine, make_session_factory
from dispatch.dispatcher import DispatchRunner, Planner, ProcessPlanner, serve_planner
from dispatch.realtime.bus import Bus, bus_from_url
from dispatch.services.context import ServiceContext, utcnow
from dispatch.settings import Settings


def default_network_loader(settings: Settings) -> Callable[[], Any]:
    """Load the street network of ``settings.map_path`` on first use (not at import: the CLI's
    commands that never plan a route should not pay for it)."""

    def load() -> Any:
        from routing.streets.network import load_network

        return load_network(settings.map_path)

    return load


def build_context(settings: Settings, *, clock: Callable[[], datetime] = utcnow,
                  network_loader: Callable[[], Any] | None = None, engine: Any = None) -> ServiceContext:
    """The services' context from settings; ``clock``, ``network_loader`` and ``engine`` let a
    test inject its own."""
    engine = engine or make_engine(settings.database_url)
    return ServiceContext(
        settings=settings, sessions=make_session_factory(engine),
        network_loader=network_loader or default_network_loader(settings), clock=clock,
    )


def build_bus(settings: Settings) -> Bus:
    """The bus ``settings.bus_url`` names (``memory://`` in one process, ``redis://`` across)."""
    return bus_from_url(settings.bus_url)


def build_dispatch_runner(ctx: ServiceContext, bus: Bus, *, own_context: bool) -> DispatchRunner:
    """The dispatch loop for this process.

    Its planner runs in a child process when the settings ask for it and the context was built
    from settings here (``own_context``): the child builds the same context from the same
    settings. A context a test injected (a clock, an engine on a test schema) cannot cross a
    process boundary, so its planner stays in a worker thread."""
    if own_context and ctx.settings.dispatch_planner_process:
        return DispatchRunner(ctx, bus, planner=ProcessPlanner(ctx, planner_child))
    return DispatchRunner(ctx, bus, planner=Planner(ctx))


def planner_child(settings: Settings, conn: Any) -> None:
    """The planner child's main (a module-level function: ``spawn`` imports it by name).

    The child builds its own context and street network from the parent's settings, does the
    imports the first round would otherwise pay for, freezes its startup heap and then serves
    rounds until the parent goes."""
    ctx = build_context(settings)
    _ = ctx.network
    import routing.planning.nearest  # noqa: F401 - the first round must not pay for imports
    import routing.planning.solver  # noqa: F401

    freeze_startup_heap()
    serve_planner(Planner(ctx), conn)


def freeze_startup_heap() -> None:
    """Move everything alive after startup (the street graph, modules, the app) out of the
    garbage collector's sight: those objects live as long as the process, and each full
    collection used to walk all of them again, a pause of about 80 ms that landed in
    whatever request or round was running. Only for a process that owns its app (not in
    tests, which build many apps in one process)."""
    gc.collect()
    gc.freeze()


def wire_demo_feed(app: Any, settings: Settings) -> None:
    """Simulated riders and orders for the demo co-op, when asked for (``serve --demo-feed``
    sets ``DEMO_FEED=1``): they start after the app's startup hooks and stop at its shutdown."""
    if settings.demo_feed or os.environ.get("DEMO_FEED") == "1":
        from dispatch.sim.feeder import install_demo_feed

        install_demo_feed(app)
