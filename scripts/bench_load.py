"""Load test: delivery creation, status reports and courier positions against PostgreSQL + Redis
with 2 API processes (``coopdispatch serve --workers 2``), from an open-loop asyncio client.

    .venv/bin/python scripts/bench_load.py --creates-per-s 300 --couriers 500 --duration-s 30

Target on a 2-core machine: 300 deliveries/s with p95 < 100 ms while 500 couriers send a
position every 10 s. The API processes run without the dispatch loop (in production it is its
own process, see docker-compose.yml); the client runs on the same machine and takes CPU too, so
it is kept cheap: aiohttp on uvloop with a bounded keep-alive pool, bodies encoded once with
orjson, optionally split over ``--client-procs`` processes that share one schedule.
``--profile-dir DIR`` records py-spy raw profiles of both API workers during the measured part.
Ends with ``RESULT creates_per_s=<x> p95_ms=<x> errors=<n>``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from chaos_crash import Server, prepare  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

from dispatch.db.engine import make_engine, make_session_factory, normalise_url  # noqa: E402
from dispatch.db.models import Coop, Courier, User  # noqa: E402
from dispatch.seed import DEMO_KEY  # noqa: E402
from dispatch.services.auth import issue_token  # noqa: E402

BODY = {"dropoff": {"lat": 60.1740, "lon": 24.9480, "address": "Kaisaniemenkatu 1"},
        "recipient": {"name": "Load Test", "phone": "+358 40 123 4567"}, "load": {"kg": 2, "litres": 5}}


def add_couriers(database_url: str, schema: str, n: int) -> list[str]:
    """``n`` courier accounts with tokens (no password hashing: they never log in)."""
    engine = make_engine(database_url, schema=schema)
    tokens = []
    with make_session_factory(engine)() as s, s.begin():
        coop = s.scalar(select(Coop))
        dispatcher = s.scalar(select(User).where(User.role == "dispatcher"))
        now = datetime.now(UTC)
        for i in range(n):
            u = User(coop_id=coop.id, role="courier", email=f"load{i}@demo.coop", name=f"L{i}", password_hash="x")
            s.add(u)
            s.flush()
            s.add(Courier(coop_id=coop.id, user_id=u.id, first_name=f"L{i}", vehicle_kind="cargo_bike"))
            tokens.append(issue_token(s, u.id, 86400, now))
        tokens.append(issue_token(s, dispatcher.id, 86400, now))
    engine.dispose()
    return tokens


class Stats:
    """Latencies (ms) and error counts per kind of request; mergeable across client processes."""

    def __init__(self) -> None:
        self.lat_ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_kinds: dict[str, int] = defaultdict(int)
        self.ok: dict[str, int] = defaultdict(int)

    def add(self, kind: str, started: float, status: int | None, what: str = "") -> None:
        if status is None:
            self.errors[kind] += 1
            self.error_kinds[f"{kind}:{what}"] += 1
            return
        self.lat_ms[kind].append((time.perf_counter() - started) * 1000)
        if status >= 400:
            self.errors[kind] += 1
            self.error_kinds[f"{kind}:{status}"] += 1
        else:
            self.ok[kind] += 1

    def merge(self, other: Stats) -> None:
        for kind, xs in other.lat_ms.items():
            self.lat_ms[kind].extend(xs)
        for kind, n in other.errors.items():
            self.errors[kind] += n
        for kind, n in other.error_kinds.items():
            self.error_kinds[kind] += n
        for kind, n in other.ok.items():
            self.ok[kind] += n

    def line(self, kind: str, wall_s: float) -> str:
        xs = sorted(self.lat_ms[kind])
        if not xs:
            return f"{kind:10s} no requests"
        q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))]  # noqa: E731
        return (f"{kind:10s} n={len(xs):6d} {len(xs) / wall_s:7.1f}/s  p50={q(0.5):6.1f} ms  "
                f"p95={q(0.95):6.1f} ms  p99={q(0.99):6.1f} ms  errors={self.errors[kind]}")

    def p95(self, kind: str) -> float:
        xs = sorted(self.lat_ms[kind])
        return xs[min(len(xs) - 1, int(0.95 * len(xs)))] if xs else float("nan")


def schedule(args: argparse.Namespace, n_couriers: int, part: int, parts: int) -> list[tuple[float, str, int]]:
    """Open-loop send times (s from start) of this client process's share of the requests."""
    n_create = int(args.creates_per_s * args.duration_s)
    pos_rate = n_couriers / args.position_every_s
    events = sorted([(i / args.creates_per_s, "c", i) for i in range(n_create)]
                    + [(j / pos_rate, "p", j % n_couriers) for j in range(int(pos_rate * args.duration_s))])
    return events[part::parts]


async def start_shifts(base: str, couriers: list[str]) -> list[str]:
    """Every courier starts a shift (not measured); returns their courier ids."""
    body = orjson.dumps({"lat": 60.1716, "lon": 24.9443})
    async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=20)) as http:
        async def one(token: str) -> str:
            async with http.post("/api/v1/courier/shift/start", data=body, headers={
                    "Authorization": f"Bearer {token}", "Content-Type": "application/json"}) as r:
                r.raise_for_status()
                return str(orjson.loads(await r.read())["courier_id"])

        ids = []
        for i in range(0, len(couriers), 20):
            ids.extend(await asyncio.gather(*(one(t) for t in couriers[i:i + 20])))
        return ids


async def run_load(base: str, tokens: list[str], ids: list[str], args: argparse.Namespace,
                   start_at: float, part: int, parts: int) -> Stats:
    """One client process: an aiohttp session with a bounded keep-alive pool, sending its share
    of the schedule at the planned wall-clock times whatever the answers (open loop)."""
    stats = Stats()
    couriers = tokens[:-1]
    json_h = {"Content-Type": "application/json"}
    dispatcher = json_h | {"Authorization": f"Bearer {tokens[-1]}"}
    merchant = json_h | {"Authorization": f"Bearer {DEMO_KEY}"}
    courier_h = [json_h | {"Authorization": f"Bearer {t}"} for t in couriers]
    create_body = orjson.dumps(BODY)
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=max(1, args.connections // parts), force_close=False)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as http:

        async def call(kind: str, url: str, body: bytes, headers: dict[str, str]) -> bytes | None:
            started = time.perf_counter()
            try:
                async with http.post(url, data=body, headers=headers) as r:
                    data = await r.read()
                    stats.add(kind, started, r.status)
                    return data if r.status < 400 else None
            except (aiohttp.ClientError, TimeoutError) as exc:
                stats.add(kind, started, None, type(exc).__name__)
                return None

        async def create_and_maybe_report(i: int) -> None:
            data = await call("create", "/api/v1/deliveries", create_body,
                              merchant | {"Idempotency-Key": uuid.uuid4().hex})
            if data is None or i % args.report_every:
                return
            d, k = orjson.loads(data), random.randrange(len(couriers))
            assign = orjson.dumps({"courier_id": ids[k], "reason": "bench"})
            if await call("assign", f"/api/v1/dispatch/deliveries/{d['id']}/assign", assign, dispatcher) is None:
                return
            pickup = next(s["id"] for s in d["stops"] if s["kind"] == "pickup")
            report = orjson.dumps({"action": "picked_up", "happened_at": datetime.now(UTC).isoformat()})
            await call("report", f"/api/v1/courier/stops/{pickup}/reports", report,
                       courier_h[k] | {"Idempotency-Key": uuid.uuid4().hex})

        async def position(k: int) -> None:
            body = orjson.dumps({"lat": 60.17 + random.random() / 200, "lon": 24.94})
            await call("position", "/api/v1/courier/position", body, courier_h[k])

        tasks: set[asyncio.Task[None]] = set()
        for at, kind, i in schedule(args, len(couriers), part, parts):
            delay = start_at + at - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(create_and_maybe_report(i) if kind == "c" else position(i))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    return stats


def client_process(base: str, tokens: list[str], ids: list[str], args: argparse.Namespace,
                   start_at: float, part: int, parts: int) -> tuple[dict[str, list[float]], dict[str, int],
                                                                   dict[str, int], dict[str, int]]:
    """Entry point of one client process (multiprocessing); returns plain dicts to merge."""
    import uvloop  # uvicorn[standard] brings it: a cheaper event loop leaves more CPU to the server

    stats = uvloop.run(run_load(base, tokens, ids, args, start_at, part, parts))
    return dict(stats.lat_ms), dict(stats.errors), dict(stats.error_kinds), dict(stats.ok)


def run_clients(server: Server, tokens: list[str], args: argparse.Namespace) -> tuple[Stats, float]:
    """Start the shifts, then run ``--client-procs`` client processes from one common start."""
    from concurrent.futures import ProcessPoolExecutor

    base = server.url
    ids = asyncio.run(start_shifts(base, tokens[:-1]))
    start_at = time.time() + 1.0 + 0.5 * args.client_procs  # let every process be ready first
    profilers = _profile(server, args, start_at) if args.profile_dir else []
    stats = Stats()
    with ProcessPoolExecutor(args.client_procs) as pool:
        futures = [pool.submit(client_process, base, tokens, ids, args, start_at, part, args.client_procs)
                   for part in range(args.client_procs)]
        for f in futures:
            lat, errors, kinds, ok = f.result()
            other = Stats()
            other.lat_ms.update(lat)
            other.errors.update(errors)
            other.error_kinds.update(kinds)
            other.ok.update(ok)
            stats.merge(other)
    wall_s = time.time() - start_at
    for proc in profilers:
        proc.wait(timeout=args.duration_s + 60)
    return stats, wall_s


def _profile(server: Server, args: argparse.Namespace, start_at: float) -> list[Any]:
    """py-spy (raw folded stacks) on every API worker process for the measured period."""
    import subprocess

    assert server.proc is not None
    workers = subprocess.run(["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True).stdout.split()
    spy = Path(sys.executable).with_name("py-spy")
    out = Path(args.profile_dir)
    out.mkdir(parents=True, exist_ok=True)
    time.sleep(max(0.0, start_at - time.time()))
    return [subprocess.Popen([str(spy), "record", "-p", pid, "-d", str(int(args.duration_s)), "-r", "100",
                              "-f", "raw", "--nonblocking", "-o", str(out / f"worker-{pid}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for pid in workers]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--creates-per-s", type=float, default=300)
    p.add_argument("--couriers", type=int, default=500)
    p.add_argument("--position-every-s", type=float, default=10)
    p.add_argument("--duration-s", type=float, default=30)
    p.add_argument("--report-every", type=int, default=5, help="assign + report one delivery in N")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, default=200, help="keep-alive pool, split over client processes")
    p.add_argument("--client-procs", type=int, default=1, help="load-generator processes")
    p.add_argument("--profile-dir", help="record py-spy raw profiles of the API workers here")
    p.add_argument("--database-url", default=os.environ.get("TEST_POSTGRES_URL",
                                                            "postgresql://postgres@127.0.0.1:5432/postgres"))
    p.add_argument("--bus-url", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    args = p.parse_args()
    if args.profile_dir and not Path(sys.executable).with_name("py-spy").exists():
        p.error("--profile-dir needs py-spy beside this Python (the bench extra installs it)")
    schema, url = prepare(args.database_url)
    tokens = add_couriers(args.database_url, schema, args.couriers)
    env = {"DATABASE_URL": url, "BUS_URL": args.bus_url, "COOPDISPATCH_ENV": "test", "RUN_DISPATCH_LOOP": "false",
           "BACKGROUND_JOBS": "false", "SERVE_STATIC": "false", "RATE_LIMIT_PER_MINUTE": "100000000"}
    server = Server(env, Path("/tmp/coopdispatch-bench.log"))
    try:
        _start(server, args.workers)
        stats, wall_s = run_clients(server, tokens, args)
    finally:
        _stop(server)
        admin = create_engine(normalise_url(args.database_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    for kind in ("create", "assign", "report", "position"):
        print(stats.line(kind, wall_s))
    created = stats.ok["create"]
    errors = sum(stats.errors.values())
    if stats.error_kinds:
        print("errors by kind:", dict(sorted(stats.error_kinds.items())))
    print(f"RESULT creates_per_s={created / wall_s:.1f} p95_ms={stats.p95('create'):.1f} errors={errors}")
    return 0


def _start(server: Server, workers: int) -> None:
    import subprocess

    cmd = [sys.executable, "-m", "uvicorn", "dispatch.asgi:app", "--host", "127.0.0.1", "--port",
           str(server.port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    with server.log.open("ab") as out:
        server.proc = subprocess.Popen(cmd, cwd=REPO, env=os.environ | server.env, stdout=out, stderr=out,
                                       start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                time.sleep(3)  # let the second worker finish loading too
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("bench server not healthy")


def _stop(server: Server) -> None:
    import signal

    if server.proc is not None and server.proc.poll() is None:
        os.killpg(server.proc.pid, signal.SIGTERM)  # the process group we started (uvicorn + workers)
        try:
            server.proc.wait(15)
        except Exception:  # noqa: BLE001
            os.killpg(server.proc.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
