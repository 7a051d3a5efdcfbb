"""Load test: delivery creation, status reports and courier positions against PostgreSQL + Redis
with 2 API processes (``coopdispatch serve --workers 2``), from an open-loop asyncio client.

    .venv/bin/python scripts/bench_load.py --creates-per-s 300 --couriers 500 --duration-s 30

Target on a 2-core machine: 300 deliveries/s with p95 < 100 ms while 500 couriers send a
position every 10 s. The API processes run without the dispatch loop (in production it is its
own process, see docker-compose.yml); the client runs on the same machine and takes CPU too.
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

import httpx

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
    def __init__(self) -> None:
        self.lat_ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)

    async def timed(self, kind: str, call: object) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            r = await call  # type: ignore[misc]
        except httpx.HTTPError:
            self.errors[kind] += 1
            return None
        self.lat_ms[kind].append((time.perf_counter() - started) * 1000)
        if r.status_code >= 400:
            self.errors[kind] += 1
        return r

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


async def run_load(base: str, tokens: list[str], args: argparse.Namespace) -> tuple[Stats, float]:
    stats = Stats()
    couriers, dispatcher = tokens[:-1], {"Authorization": f"Bearer {tokens[-1]}"}
    limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=args.connections)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        ids = []
        for t in couriers:  # shifts, not measured
            r = await http.post("/api/v1/courier/shift/start", json={"lat": 60.1716, "lon": 24.9443},
                                headers={"Authorization": f"Bearer {t}"})
            ids.append(r.json()["courier_id"])
        tasks: set[asyncio.Task[None]] = set()
        merchant = {"Authorization": f"Bearer {DEMO_KEY}"}

        async def create_and_maybe_report(i: int) -> None:
            r = await stats.timed("create", http.post("/api/v1/deliveries", json=BODY,
                                                      headers=merchant | {"Idempotency-Key": uuid.uuid4().hex}))
            if r is None or r.status_code != 201 or i % args.report_every:
                return
            d, k = r.json(), random.randrange(len(couriers))
            r = await stats.timed("assign", http.post(
                f"/api/v1/dispatch/deliveries/{d['id']}/assign",
                json={"courier_id": ids[k], "reason": "bench"}, headers=dispatcher))
            if r is None or r.status_code != 200:
                return
            pickup = next(s["id"] for s in d["stops"] if s["kind"] == "pickup")
            await stats.timed("report", http.post(
                f"/api/v1/courier/stops/{pickup}/reports",
                json={"action": "picked_up", "happened_at": datetime.now(UTC).isoformat()},
                headers={"Authorization": f"Bearer {couriers[k]}", "Idempotency-Key": uuid.uuid4().hex}))

        async def position(k: int) -> None:
            await stats.timed("position", http.post(
                "/api/v1/courier/position", json={"lat": 60.17 + random.random() / 200, "lon": 24.94},
                headers={"Authorization": f"Bearer {couriers[k]}"}))

        start = time.perf_counter()
        n_create = int(args.creates_per_s * args.duration_s)
        pos_rate = len(couriers) / args.position_every_s
        events = sorted([(i / args.creates_per_s, "c", i) for i in range(n_create)]
                        + [(j / pos_rate, "p", j % len(couriers)) for j in range(int(pos_rate * args.duration_s))])
        for at, kind, i in events:
            delay = start + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(create_and_maybe_report(i) if kind == "c" else position(i))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        return stats, time.perf_counter() - start


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--creates-per-s", type=float, default=300)
    p.add_argument("--couriers", type=int, default=500)
    p.add_argument("--position-every-s", type=float, default=10)
    p.add_argument("--duration-s", type=float, default=30)
    p.add_argument("--report-every", type=int, default=5, help="assign + report one delivery in N")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, default=200)
    p.add_argument("--database-url", default=os.environ.get("TEST_POSTGRES_URL",
                                                            "postgresql://postgres@127.0.0.1:5432/postgres"))
    p.add_argument("--bus-url", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    args = p.parse_args()
    schema, url = prepare(args.database_url)
    tokens = add_couriers(args.database_url, schema, args.couriers)
    env = {"DATABASE_URL": url, "BUS_URL": args.bus_url, "COOPDISPATCH_ENV": "test", "RUN_DISPATCH_LOOP": "false",
           "BACKGROUND_JOBS": "false", "SERVE_STATIC": "false", "RATE_LIMIT_PER_MINUTE": "100000000"}
    server = Server(env, Path("/tmp/coopdispatch-bench.log"))
    try:
        _start(server, args.workers)
        stats, wall_s = asyncio.run(run_load(server.url, tokens, args))
    finally:
        _stop(server)
        admin = create_engine(normalise_url(args.database_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    for kind in ("create", "assign", "report", "position"):
        print(stats.line(kind, wall_s))
    created = len(stats.lat_ms["create"]) - stats.errors["create"]
    errors = sum(stats.errors.values())
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
