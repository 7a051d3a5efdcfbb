"""Crash safety: SIGKILL the server at random moments while a client creates deliveries and
reports status changes, then check that every acknowledged write is in the database exactly
once and that every outbox event was published.

    .venv/bin/python scripts/chaos_crash.py --kills 10 --rate 20

Runs on a fresh PostgreSQL schema (TEST_POSTGRES_URL or --database-url) with the Redis bus
(TEST_REDIS_URL or --bus-url). The client behaves like a real integration: it retries every
request with the same Idempotency-Key until it gets an answer, and journals each 2xx. Ends
with ``RESULT acked=<n> missing=<n> duplicated=<n> kills=<n>``.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dispatch.db.engine import make_engine, make_session_factory, normalise_url  # noqa: E402
from dispatch.db.migrate import upgrade  # noqa: E402
from dispatch.db.models import AuditEntry, Delivery, IdempotencyRecord, OutboxEvent  # noqa: E402
from dispatch.seed import DEMO_KEY, DEMO_PASSWORD, seed_demo  # noqa: E402

BODY = {"dropoff": {"lat": 60.1740, "lon": 24.9480, "address": "Kaisaniemenkatu 1"},
        "recipient": {"name": "Chaos Test", "phone": "+358 40 123 4567"}, "load": {"kg": 2, "litres": 5}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> None:
        cmd = [sys.executable, "-m", "uvicorn", "dispatch.asgi:app", "--host", "127.0.0.1",
               "--port", str(self.port), "--log-level", "warning", "--no-access-log"]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=os.environ | self.env, stdout=out, stderr=out)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server not healthy in time")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


@dataclass
class Journal:
    deliveries: dict[str, str] = field(default_factory=dict)  # idempotency key -> delivery id
    assigned: set[str] = field(default_factory=set)
    picked_up: set[str] = field(default_factory=set)
    errors: int = 0


def until_answered(server: Server, method: str, path: str, stop: threading.Event, **kw: object) -> httpx.Response | None:
    """Retry (same request, same key) through crashes until the server answers."""
    while not stop.is_set():
        try:
            return httpx.request(method, server.url + path, timeout=10, **kw)  # type: ignore[arg-type]
        except httpx.HTTPError:
            time.sleep(0.05)
    return None


def client(server: Server, journal: Journal, rate_per_s: float, stop: threading.Event,
           tokens: dict[str, str], courier_id: str) -> None:
    merchant = {"Authorization": f"Bearer {DEMO_KEY}"}
    while not stop.is_set():
        started = time.monotonic()
        key = uuid.uuid4().hex
        r = until_answered(server, "POST", "/api/v1/deliveries", stop, json=BODY,
                           headers=merchant | {"Idempotency-Key": key})
        if r is None:
            return
        if r.status_code != 201:
            journal.errors += 1
            continue
        d = r.json()
        journal.deliveries[key] = d["id"]
        r = until_answered(server, "POST", f"/api/v1/dispatch/deliveries/{d['id']}/assign", stop,
                           json={"courier_id": courier_id, "reason": "chaos", "version": d["version"]},
                           headers=tokens["dispatcher"])
        if r is None:
            return
        if r.status_code == 200:
            journal.assigned.add(d["id"])
        elif r.status_code != 409:  # 409: our first try committed before the crash
            journal.errors += 1
            continue
        pickup = next(s["id"] for s in d["stops"] if s["kind"] == "pickup")
        r = until_answered(server, "POST", f"/api/v1/courier/stops/{pickup}/reports", stop,
                           json={"action": "picked_up", "happened_at": datetime.now(UTC).isoformat()},
                           headers=tokens["courier"] | {"Idempotency-Key": f"pick-{key}"})
        if r is None:
            return
        if r.status_code == 200:
            journal.picked_up.add(d["id"])
        else:
            journal.errors += 1
        time.sleep(max(0.0, 1 / rate_per_s - (time.monotonic() - started)))


def prepare(database_url: str) -> tuple[str, str]:
    admin = create_engine(normalise_url(database_url), isolation_level="AUTOCOMMIT")
    schema = f"cd_chaos_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = make_engine(database_url, schema=schema)
    upgrade(engine)
    with make_session_factory(engine)() as s, s.begin():
        seed_demo(s)
    engine.dispose()
    return schema, f"{database_url}?options=-csearch_path%3D{schema}"


def login(server: Server, email: str) -> dict[str, str]:
    r = httpx.post(f"{server.url}/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def verify(database_url: str, schema: str, journal: Journal, wait_s: float) -> dict[str, int]:
    engine = make_engine(database_url, schema=schema)
    sessions = make_session_factory(engine)
    deadline = time.monotonic() + wait_s
    while True:
        with sessions() as s:
            unpublished = s.scalar(select(func.count()).select_from(OutboxEvent)
                                   .where(OutboxEvent.published_at.is_(None))) or 0
        if unpublished == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    with sessions() as s:
        ids = set(s.scalars(select(Delivery.id)))
        n_rows = s.scalar(select(func.count()).select_from(Delivery)) or 0
        n_keys = s.scalar(select(func.count()).select_from(IdempotencyRecord)
                          .where(IdempotencyRecord.scope.like("merchant:%"))) or 0
        def per_delivery(action: str) -> dict[str, int]:
            rows = s.execute(select(AuditEntry.delivery_id, func.count()).where(AuditEntry.action == action)
                             .group_by(AuditEntry.delivery_id)).all()
            return {d: n for d, n in rows}
        assigns, picks = per_delivery("assign"), per_delivery("pick_up")
        statuses = dict(s.execute(select(Delivery.id, Delivery.status)).all())
        events = s.scalar(select(func.count()).select_from(OutboxEvent)) or 0
    engine.dispose()
    acked_ids = set(journal.deliveries.values())
    missing = len(acked_ids - ids) + sum(1 for d in journal.assigned if assigns.get(d, 0) == 0) \
        + sum(1 for d in journal.picked_up if picks.get(d, 0) == 0 or statuses.get(d) != "picked_up")
    duplicated = (n_rows - n_keys) + sum(n - 1 for n in assigns.values() if n > 1) \
        + sum(n - 1 for n in picks.values() if n > 1)
    return {"missing": missing, "duplicated": duplicated, "unpublished": unpublished, "events": events,
            "rows": n_rows}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--rate", type=float, default=20.0, help="deliveries per second (each: create, assign, pick-up)")
    p.add_argument("--min-gap-s", type=float, default=1.0)
    p.add_argument("--max-gap-s", type=float, default=4.0)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--database-url", default=os.environ.get("TEST_POSTGRES_URL",
                                                            "postgresql://postgres@127.0.0.1:5432/postgres"))
    p.add_argument("--bus-url", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    p.add_argument("--log", type=Path, default=Path("/tmp/coopdispatch-chaos.log"))
    args = p.parse_args()
    rng = random.Random(args.seed)
    schema, url = prepare(args.database_url)
    env = {"DATABASE_URL": url, "BUS_URL": args.bus_url, "COOPDISPATCH_ENV": "test", "RUN_DISPATCH_LOOP": "false",
           "BACKGROUND_JOBS": "false", "SERVE_STATIC": "false", "RATE_LIMIT_PER_MINUTE": "1000000",
           "LOGIN_ATTEMPTS_PER_MINUTE": "1000"}
    server = Server(env, args.log)
    journal, stop, kills = Journal(), threading.Event(), 0
    try:
        server.start()
        tokens = {"dispatcher": login(server, "dispatcher@demo.coop"), "courier": login(server, "aino@demo.coop")}
        courier_id = httpx.get(f"{server.url}/api/v1/auth/me", headers=tokens["courier"]).json()["courier_id"]
        httpx.post(f"{server.url}/api/v1/courier/shift/start", json={"lat": 60.1716, "lon": 24.9443},
                   headers=tokens["courier"]).raise_for_status()
        worker = threading.Thread(target=client, args=(server, journal, args.rate, stop, tokens, courier_id))
        worker.start()
        while kills < args.kills:
            time.sleep(rng.uniform(args.min_gap_s, args.max_gap_s))
            server.kill()
            kills += 1
            print(f"kill {kills}: acked {len(journal.deliveries)} deliveries so far", flush=True)
            server.start()
        time.sleep(args.min_gap_s)
        stop.set()
        worker.join(30)
        result = verify(args.database_url, schema, journal, wait_s=20)
    finally:
        stop.set()
        server.kill()
        admin = create_engine(normalise_url(args.database_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    acked = len(journal.deliveries) + len(journal.assigned) + len(journal.picked_up)
    print(f"acked deliveries={len(journal.deliveries)} assignments={len(journal.assigned)} "
          f"pick-ups={len(journal.picked_up)} client errors={journal.errors}")
    print(f"database: deliveries={result['rows']} outbox events={result['events']} "
          f"unpublished={result['unpublished']}")
    missing = result["missing"] + result["unpublished"]
    print(f"RESULT acked={acked} missing={missing} duplicated={result['duplicated']} kills={kills}")
    return 0 if missing == 0 and result["duplicated"] == 0 and journal.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
