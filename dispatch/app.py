"""``create_app(settings)``: routers, error handlers, lifespan (database check, bus, hub, relay,
dispatch loop), static web views."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from dispatch.api import auth_api, courier, deliveries, dispatch_api, problems, ws
from dispatch.api.responses_people import Health
from dispatch.db.engine import make_engine, make_session_factory
from dispatch.db.migrate import ensure_migrated
from dispatch.dispatcher import DispatchRunner
from dispatch.realtime.bus import bus_from_url
from dispatch.realtime.service import start_realtime, stop_realtime
from dispatch.services.context import ServiceContext, utcnow
from dispatch.settings import Settings, get_settings

log = logging.getLogger(__name__)
API_VERSION = "1.1.0"  # of the /api/v1 contract (docs/api.md), not of the package
EXTENSIONS: list[Callable[[FastAPI, ServiceContext], None]] = []


def default_network_loader(settings: Settings) -> Callable[[], Any]:
    def load() -> Any:
        from routing.streets.network import load_network

        return load_network(settings.map_path)

    return load


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


def build_context(settings: Settings, *, clock: Callable[[], datetime] = utcnow,
                  network_loader: Callable[[], Any] | None = None, engine: Any = None) -> ServiceContext:
    engine = engine or make_engine(settings.database_url)
    return ServiceContext(
        settings=settings, sessions=make_session_factory(engine),
        network_loader=network_loader or default_network_loader(settings), clock=clock,
    )


def freeze_startup_heap() -> None:
    """Move everything alive after startup (the street graph, modules, the app) out of the
    garbage collector's sight: those objects live as long as the process, and each full
    collection used to walk all of them again, a pause of about 80 ms that landed in
    whatever request or round was running. Only for a process that owns its app (not in
    tests, which build many apps in one process)."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None, *, ctx: ServiceContext | None = None,
               run_dispatch: bool = True) -> FastAPI:
    """The whole service. ``ctx`` lets tests inject a clock or an engine on a test schema."""
    settings = settings or get_settings()
    own_ctx = ctx is None  # then the planner may run in a child process built from settings
    ctx = ctx or build_context(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = ctx.sessions.kw["bind"]
        ensure_migrated(engine)
        _ = ctx.network  # load (or build and cache) the street graph before the first request
        bus = bus_from_url(settings.bus_url)
        await bus.connect()
        app.state.bus = bus
        runner = DispatchRunner(ctx, bus, planner_process=own_ctx and settings.dispatch_planner_process)
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
    if settings.demo_feed or os.environ.get("DEMO_FEED") == "1":  # `serve --demo-feed` sets DEMO_FEED=1
        from dispatch.sim.feeder import install_demo_feed

        install_demo_feed(app)
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
