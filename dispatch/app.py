"""``create_app(settings)``: routers, error handlers, lifespan (database check, bus, hub, relay,
dispatch loop), static web views.

An entry point: the context, the bus and the dispatch loop come from ``dispatch.bootstrap``,
the composition root; this module assembles the HTTP side around them and runs their lifespan.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from dispatch.api import auth_api, courier, deliveries, dispatch_api, problems, ws
from dispatch.api.responses_people import Health
from dispatch.bootstrap import (  # build_context and friends re-exported: callers name them from here too
    build_bus,
    build_context,
    build_dispatch_runner,
    default_network_loader,
    freeze_startup_heap,
    wire_demo_feed,
)
from dispatch.db.migrate import ensure_migrated
from dispatch.realtime.service import start_realtime, stop_realtime
from dispatch.services.context import ServiceContext
from dispatch.settings import Settings, get_settings

log = logging.getLogger(__name__)
API_VERSION = "1.1.0"  # of the /api/v1 contract (docs/api.md), not of the package
EXTENSIONS: list[Callable[[FastAPI, ServiceContext], None]] = []


async def bounded(step: Any, what: str, timeout_s: float = 10.0) -> None:
    """Run one shutdown step for at most ``timeout_s``: a stuck step is logged and left behind
    (never awaited again) so that a process, or a test, can always stop."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=timeout_s)
    if not done:
        log.warning("shutdown step %r did not finish in %.0f s; moving on", what, timeout_s)
        task.cancel()
    elif task.exception() is not None:
        log.warning("shutdown step %r failed", what, exc_info=task.exception())


def create_app(settings: Settings | None = None, *, ctx: ServiceContext | None = None,
               run_dispatch: bool = True) -> FastAPI:
    """The whole service. ``ctx`` lets tests inject a clock or an engine on a test schema."""
    settings = settings or get_settings()
    own_ctx = ctx is None  # then the planner may run in a child process built from settings
    # the parts come from the composition root (dispatch.bootstrap); this module adds the HTTP side
    ctx = ctx or build_context(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = ctx.sessions.kw["bind"]
        ensure_migrated(engine)
        _ = ctx.network  # load (or build and cache) the street graph before the first request
        bus = build_bus(settings)
        await bus.connect()
        app.state.bus = bus
        runner = build_dispatch_runner(ctx, bus, own_context=own_ctx)
        app.state.runner = runner
        ctx.commit_hooks.append(runner.on_commit)
        await start_realtime(app, ctx, bus, runner)  # hub, outbox relay, positions (issue 5)
        for hook in app.state.startup_hooks:
            await hook(app)
        if run_dispatch and settings.run_dispatch_loop:
            await runner.start()
        if own_ctx:
            freeze_startup_heap()
        try:
            yield
        finally:
            await bounded(runner.stop(), "dispatch loop")
            for hook in reversed(app.state.shutdown_hooks):
                await bounded(hook(app), getattr(hook, "__name__", "shutdown hook"))
            ctx.commit_hooks.remove(runner.on_commit)
            await bounded(stop_realtime(app), "realtime")
            await bounded(bus.disconnect(), "bus")

    from dispatch.api.contract import operation_id

    app = FastAPI(title="coopdispatch", version=API_VERSION, lifespan=lifespan,
                  generate_unique_id_function=operation_id,
                  description="Dispatch for bicycle-courier cooperatives. Errors are RFC 9457 "
                              "application/problem+json.")
    app.state.ctx = ctx
    app.state.settings = settings
    app.state.startup_hooks = []
    app.state.shutdown_hooks = []
    wire_demo_feed(app, settings)  # simulated riders for the demo co-op, when asked for
    problems.install(app)
    for router in (auth_api.router, deliveries.router, courier.router, dispatch_api.router):
        app.include_router(router)
    app.include_router(ws.router)
    from dispatch.api import fees_api, transparency

    app.include_router(fees_api.router)
    app.include_router(transparency.router)
    from dispatch.api import map_api, track_api

    app.include_router(map_api.router)
    app.include_router(track_api.router)
    from dispatch.api import imports_api, places_api

    app.include_router(places_api.router)  # issue 18: addresses of the co-op's map
    app.include_router(imports_api.router)  # issue 18: orders from files, deliveries to CSV
    from dispatch.api import basemap_api

    app.include_router(basemap_api.router)  # issue 19: vector tiles, glyphs, routes on the streets
    from dispatch.api import admin_api, members_api

    app.include_router(admin_api.router)  # issue 17: co-op setup and administration
    app.include_router(members_api.router)
    if settings.serve_static:
        from courier_app.web import install as install_web_views

        install_web_views(app)

    @app.get("/healthz", tags=["ops"], summary="Liveness and database check", operation_id="ops_health",
             response_model=Health)
    def healthz() -> JSONResponse:
        from sqlalchemy import text

        with ctx.sessions() as s:
            s.execute(text("SELECT 1"))
        return JSONResponse({"status": "ok", "database": ctx.settings.database_url.split(":", 1)[0],
                             "bus": ctx.settings.bus_url.split(":", 1)[0]})

    for extend in EXTENSIONS:
        extend(app, ctx)
    from dispatch.middleware import install_production

    install_production(app, ctx)  # issue 9: edge limits, metrics, webhooks, jobs
    from dispatch.api import contract, problem_pages
    from dispatch.webhooks import events

    app.include_router(problem_pages.router)  # /problems/<slug>: what each problem type means
    events.document(app)  # the webhook events in the OpenAPI document's `webhooks`
    contract.document(app)  # issue 20: problem+json everywhere, no dead schemas
    from dispatch.api.problem_lang import ProblemLanguage

    app.add_middleware(ProblemLanguage)  # outermost: every problem+json in the reader's language
    from dispatch.api import links

    links.install(app)  # OpenAPI links between operations (documentation, stateful fuzzing)
    return app


__all__ = ["API_VERSION", "EXTENSIONS", "bounded", "build_context", "create_app", "default_network_loader",
           "freeze_startup_heap"]
