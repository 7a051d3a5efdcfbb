"""Realtime benchmark: many couriers and dispatchers on real sockets against a real server.

Starts ``uvicorn dispatch.asgi:app`` (``--workers``) on a fresh SQLite file (default) or the
given DATABASE/BUS URLs, seeds the demo co-op plus ``--sockets - --dispatchers`` couriers on
shift, connects every socket from ``--client-procs`` client processes (uvloop; they share this
machine's CPU with the server), then for ``--duration-s``: couriers send positions
(``--updates-per-s`` in total) and the merchant POSTs deliveries at ``--deliveries-per-s``.
Measured (wall clock of this host, shared by the processes): POST -> the first
``delivery.assigned`` frame on a courier socket, and each position's ``at`` (stamped by the
courier as it sends) -> the dispatcher's ``courier.positions`` batch that carries it (positions
reach dispatchers in batches, at most one per coop every 0.1 s).

    .venv/bin/python scripts/bench_realtime.py --sockets 1000 --updates-per-s 200

Last line: ``RESULT sockets=<n> updates_per_s=<x> p95_ms=<x> p99_ms=<x> errors=<n>`` where
p95/p99 are the worse of the two paths.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dispatch.db.engine import make_engine, make_session_factory  # noqa: E402
from dispatch.db.migrate import upgrade  # noqa: E402
from dispatch.db.models import Coop, Courier, Shift, User  # noqa: E402
from dispatch.seed import DEMO_AREA, DEMO_KEY, seed_demo  # noqa: E402
from dispatch.services.auth import hash_password, issue_token  # noqa: E402

LAT = (DEMO_AREA[0][0] + 0.001, DEMO_AREA[2][0] - 0.001)
LON = (DEMO_AREA[0][1] + 0.001, DEMO_AREA[1][1] - 0.001)


def seed(url: str, couriers: int) -> tuple[list[str], str]:
    """Demo co-op + ``couriers`` couriers on shift; returns their tokens and a dispatcher's."""
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with make_session_factory(engine)() as s, s.begin():
        seed_demo(s)
        coop = s.query(Coop).filter_by(slug="demo").one()
        password = hash_password(secrets.token_hex(8))
        tokens = []
        for i in range(couriers):
            user = User(coop_id=coop.id, role="courier", email=f"bench{i}-{uuid.uuid4().hex[:6]}@b.coop",
                        name=f"B{i}", password_hash=password)
            s.add(user)
            s.flush()
            courier = Courier(coop_id=coop.id, user_id=user.id, first_name=f"B{i}", vehicle_kind="bike",
                              capacity_g=20_000, capacity_ml=60_000, speed_pct=100)
            s.add(courier)
            s.flush()
            s.add(Shift(courier_id=courier.id, coop_id=coop.id, vehicle_kind="bike", capacity_g=20_000,
                        capacity_ml=60_000, speed_pct=100, started_at=now,
                        planned_end_at=now + timedelta(hours=4), last_lat=random.uniform(*LAT),
                        last_lon=random.uniform(*LON), last_position_at=now))
            tokens.append(issue_token(s, user.id, 6 * 3600, now))
        dispatcher = s.query(User).filter_by(coop_id=coop.id, role="dispatcher").first()
        assert dispatcher is not None
        dispatcher_token = issue_token(s, dispatcher.id, 6 * 3600, now)
    engine.dispose()
    return tokens, dispatcher_token


class Stats:
    """What one client process saw; wall-clock times (``time.time()``) so that processes on
    this host can be merged: POST in one process, the courier's frame in another."""

    def __init__(self) -> None:
        self.position_ms: list[float] = []
        self.posted: dict[str, float] = {}  # delivery id -> wall time the POST started
        self.assigned: dict[str, float] = {}  # delivery id -> first delivery.assigned frame
        self.error_kinds: dict[str, int] = {}
        self.measuring = False

    def error(self, kind: str) -> None:
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


async def courier(url: str, token: str, period_s: float, stop: asyncio.Event, stats: Stats) -> None:
    try:
        async with connect(f"{url}/ws/courier", open_timeout=60, max_queue=None) as ws:
            await ws.send(json.dumps({"type": "auth", "token": token}))
            await ws.send(json.dumps({"type": "resume", "after": 0}))
            reader = asyncio.create_task(_read_courier(ws, stop, stats))
            await asyncio.sleep(random.uniform(0, period_s))
            while not stop.is_set():
                await ws.send(json.dumps({"type": "position", "lat": random.uniform(*LAT),
                                          "lon": random.uniform(*LON),
                                          "at": datetime.now(UTC).isoformat()}))
                await asyncio.sleep(period_s)
            reader.cancel()
    except Exception as exc:  # noqa: BLE001 - counted, the benchmark goes on
        stats.error(f"courier: {type(exc).__name__}")


async def _read_courier(ws: object, stop: asyncio.Event, stats: Stats) -> None:
    try:
        async for raw in ws:  # type: ignore[attr-defined]
            _courier_frame(raw, stats)
    except ConnectionClosed as exc:
        if not stop.is_set():
            stats.error(f"courier closed {exc.rcvd.code if exc.rcvd else None}/"
                        f"{exc.sent.code if exc.sent else None}")


def _courier_frame(raw: str | bytes, stats: Stats) -> None:
    if '"delivery.assigned"' in raw:
        frame = json.loads(raw)
        if frame["type"] == "delivery.assigned":
            stats.assigned.setdefault(frame["data"]["id"], time.time())
    elif '"error"' in raw:
        frame = json.loads(raw)
        if frame["type"] == "error":
            stats.error(f"error frame: {frame['data'].get('code')}")


async def dispatcher(url: str, token: str, stop: asyncio.Event, stats: Stats, measure: bool) -> None:
    """A dispatcher's map; the measuring one times each position of every batch it gets, from
    the position's ``at`` (stamped by the courier just before sending) to the batch's arrival."""
    try:
        async with connect(f"{url}/ws/dispatcher", open_timeout=60, max_queue=None) as ws:
            await ws.send(json.dumps({"type": "auth", "token": token}))
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                if measure and stats.measuring and '"courier.position' in raw:
                    now = datetime.now(UTC)
                    frame = json.loads(raw)
                    for p in frame["data"].get("positions", [frame["data"]]):
                        at = datetime.fromisoformat(p["at"])
                        stats.position_ms.append((now - at).total_seconds() * 1000)
                elif '"resync"' in raw:
                    stats.error("dispatcher resync")
    except Exception as exc:  # noqa: BLE001
        stats.error(f"dispatcher: {type(exc).__name__}")


async def merchant(http: httpx.AsyncClient, rate: float, stop: asyncio.Event, stats: Stats) -> None:
    while not stop.is_set():
        body = {"dropoff": {"lat": random.uniform(*LAT), "lon": random.uniform(*LON), "address": "x 1"},
                "recipient": {"name": "Bench", "phone": "+358 40 000 0000"}, "load": {"kg": 1, "litres": 2}}
        started, wall = time.perf_counter(), time.time()
        try:
            r = await http.post("/api/v1/deliveries", json=body, headers={
                "Authorization": f"Bearer {DEMO_KEY}", "Idempotency-Key": uuid.uuid4().hex})
        except httpx.HTTPError as exc:  # a timeout is a result, not the end of the benchmark
            stats.error(f"POST {type(exc).__name__}")
            continue
        if r.status_code == 201:
            stats.posted[r.json()["id"]] = wall
        else:
            stats.error(f"POST {r.status_code}")
        await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - started)))


def fresh_postgres() -> str:
    """A new, empty database on the local PostgreSQL (trust auth) for this run."""
    name = f"bench_rt_{uuid.uuid4().hex[:10]}"
    admin = make_engine("postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def drop_postgres(url: str) -> None:
    admin = make_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
    admin.dispose()


def start_server(port: int, workers: int, env: dict[str, str], log_path: Path,
                 deflate: bool) -> subprocess.Popen[bytes]:
    log = log_path.open("wb")
    return subprocess.Popen([sys.executable, "-m", "uvicorn", "dispatch.asgi:app", "--port", str(port),
                             "--workers", str(workers), "--log-level", "warning", "--no-access-log",
                             "--ws-per-message-deflate", str(deflate).lower()],
                            cwd=REPO, env=env, stdout=log, stderr=log)


def wait_healthy(port: int) -> None:
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_part(args: argparse.Namespace, url: str, tokens: list[str], dispatcher_token: str,
                   dispatchers: int, part: int, start_at: float) -> Stats:
    """One client process's share: its couriers and dispatchers; part 0 also POSTs deliveries.
    Every part connects from ``start_at`` and stops at the same wall time."""
    stats, stop = Stats(), asyncio.Event()
    period_s = args.sockets_couriers / args.updates_per_s
    gate = asyncio.Semaphore(50)
    await asyncio.sleep(max(0.0, start_at - time.time()))

    async def gated(coro_fn, *a):  # type: ignore[no-untyped-def]
        async with gate:
            await asyncio.sleep(0)
        await coro_fn(*a)

    tasks = [asyncio.create_task(gated(courier, url, t, period_s, stop, stats)) for t in tokens]
    tasks += [asyncio.create_task(dispatcher(url, dispatcher_token, stop, stats, part == 0 and i == 0))
              for i in range(dispatchers)]
    await asyncio.sleep(max(0.0, start_at + args.warmup_s - time.time()))
    stats.measuring = True
    async with httpx.AsyncClient(base_url=url.replace("ws://", "http://"), timeout=30) as http:
        feeder = asyncio.create_task(merchant(http, args.deliveries_per_s, stop, stats)) if part == 0 else None
        await asyncio.sleep(max(0.0, start_at + args.warmup_s + args.duration_s - time.time()))
        stop.set()
        if feeder is not None:
            await feeder
        await asyncio.sleep(2)  # frames still on their way
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return stats


def client_process(args: argparse.Namespace, url: str, tokens: list[str], dispatcher_token: str,
                   dispatchers: int, part: int, start_at: float) -> Stats:
    """Entry point of one client process: uvloop leaves more of the CPU to the server."""
    import uvloop

    return uvloop.run(run_part(args, url, tokens, dispatcher_token, dispatchers, part, start_at))


def run(args: argparse.Namespace, url: str, tokens: list[str], dispatcher_token: str) -> tuple[Stats, list[float]]:
    """Split the sockets over ``--client-procs`` processes; merge what they saw."""
    from concurrent.futures import ProcessPoolExecutor

    parts = args.client_procs
    args.sockets_couriers = len(tokens)
    start_at = time.time() + 2.0 + 0.5 * parts  # every process imported and waiting first
    merged, job_ms = Stats(), []
    with ProcessPoolExecutor(parts) as pool:
        futures = [pool.submit(client_process, args, url, tokens[part::parts], dispatcher_token,
                               len(range(part, args.dispatchers, parts)), part, start_at)
                   for part in range(parts)]
        for future in futures:
            got = future.result()
            merged.position_ms += got.position_ms
            merged.posted |= got.posted
            for did, at in got.assigned.items():
                merged.assigned[did] = min(at, merged.assigned.get(did, at))
            for kind, n in got.error_kinds.items():
                merged.error_kinds[kind] = merged.error_kinds.get(kind, 0) + n
    for did, posted in merged.posted.items():
        if did in merged.assigned:
            job_ms.append((merged.assigned[did] - posted) * 1000)
    return merged, job_ms


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sockets", type=int, default=1000)
    p.add_argument("--dispatchers", type=int, default=50)
    p.add_argument("--updates-per-s", type=float, default=200)
    p.add_argument("--deliveries-per-s", type=float, default=2)
    p.add_argument("--duration-s", type=float, default=30)
    p.add_argument("--warmup-s", type=float, default=10)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--client-procs", type=int, default=2,
                   help="client processes sharing the sockets (one asyncio process for 1,000 sockets "
                        "is itself the bottleneck on 2 cores); they compete with the server for CPU")
    p.add_argument("--database-url", default=None)
    p.add_argument("--bus-url", default="memory://")
    p.add_argument("--production", action="store_true",
                   help="the production layout: a fresh PostgreSQL database, Redis, and the dispatch "
                        "loop in its own process (API processes run with RUN_DISPATCH_LOOP=false)")
    p.add_argument("--dispatch-process", action="store_true",
                   help="run the dispatch loop in a separate process (needs a redis:// bus)")
    p.add_argument("--ws-deflate", action="store_true",
                   help="let uvicorn negotiate permessage-deflate (off by default, see --help of serve)")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-rt-"))
    if args.production:
        args.database_url = args.database_url or fresh_postgres()
        args.bus_url = "redis://127.0.0.1:6379/0" if args.bus_url == "memory://" else args.bus_url
        args.dispatch_process = True
    if args.dispatch_process and args.bus_url.startswith("memory"):
        p.error("--dispatch-process needs --bus-url redis://...")
    db_url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    print(f"database={db_url.split(':', 1)[0]} bus={args.bus_url.split(':', 1)[0]} workers={args.workers} "
          f"dispatch loop={'own process' if args.dispatch_process else 'in the API process'} "
          f"policy=nearest ws-deflate={'on' if args.ws_deflate else 'off'} client processes={args.client_procs}",
          flush=True)
    tokens, dispatcher_token = seed(db_url, args.sockets - args.dispatchers)
    port = 8900 + random.randrange(90)
    env = os.environ | {"DATABASE_URL": db_url, "BUS_URL": args.bus_url, "COOPDISPATCH_ENV": "test",
                        "DISPATCH_POLICY": "nearest", "SERVE_STATIC": "false"}
    servers = []
    try:
        if args.dispatch_process:
            loop_env = env | {"RUN_DISPATCH_LOOP": "true", "BACKGROUND_JOBS": "true"}
            servers.append(start_server(port + 1, 1, loop_env, tmp / "dispatch.log", args.ws_deflate))
            env |= {"RUN_DISPATCH_LOOP": "false", "BACKGROUND_JOBS": "false"}
        servers.append(start_server(port, args.workers, env, tmp / "server.log", args.ws_deflate))
        for server_port in (port, port + 1) if args.dispatch_process else (port,):
            wait_healthy(server_port)
        stats, job_ms = run(args, f"ws://127.0.0.1:{port}", tokens, dispatcher_token)
    finally:
        for server in servers:
            server.terminate()
            server.wait(20)
        if args.production and db_url.rsplit("/", 1)[1].startswith("bench_rt_"):
            drop_postgres(db_url)
    missing = len(stats.posted) - len(job_ms)
    for name, values in (("POST -> courier frame", job_ms), ("position -> dispatcher", stats.position_ms)):
        print(f"{name:24s} n={len(values):6d} p50={pct(values, .5):7.1f} ms p95={pct(values, .95):7.1f} ms "
              f"p99={pct(values, .99):7.1f} ms")
    print(f"deliveries never assigned to a courier socket: {missing}; errors: {stats.error_kinds}")
    print(result_line(args.sockets, args.updates_per_s, job_ms, stats, missing))


def worst(paths: list[list[float]], q: float) -> float:
    """The worse of the paths' percentiles; NaN if a path has no sample at all (a path that
    measured nothing has failed, it must not vanish from the max: NaN compares False)."""
    values = [pct(v, q) for v in paths]
    return float("nan") if any(v != v for v in values) else max(values)


def result_line(sockets: int, updates_per_s: float, job_ms: list[float], stats: Stats, missing: int) -> str:
    """``RESULT ...``; deliveries never seen on a courier socket count as errors."""
    paths = [job_ms, stats.position_ms]
    p95, p99 = worst(paths, .95), worst(paths, .99)
    return (f"RESULT sockets={sockets} updates_per_s={updates_per_s:g} p95_ms={p95:.0f} "
            f"p99_ms={p99:.0f} errors={sum(stats.error_kinds.values()) + missing}")


if __name__ == "__main__":
    main()
