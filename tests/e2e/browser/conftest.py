"""Browser fixtures: a real uvicorn on a free port (fresh SQLite, demo co-op) and Debian's
Chromium driven by Playwright. Screenshots go to ``test-output/screenshots/`` (gitignored)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO, service_missing

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO / "test-output" / "screenshots"
MERCHANT_KEY = "cd_demomerchant_try-coopdispatch-locally"
PASSWORD = "demo-password"
# Where the couriers "are" (their phones' geolocation), inside the demo co-op's area.
AINO_AT = {"latitude": 60.17162, "longitude": 24.94430}
EERO_AT = {"latitude": 60.16800, "longitude": 24.94700}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    data_dir: Path
    database_url: str

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=10)

    def token(self, email: str) -> str:
        with self.http() as h:
            r = h.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            r.raise_for_status()
            return str(r.json()["token"])


def _cli(args: list[str], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "dispatch.cli", *args], cwd=REPO, env=env, check=True,
                   capture_output=True, timeout=120)


def _wait_healthy(proc: subprocess.Popen[str], base: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "server exited"
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError("the server did not answer /healthz in 90 s")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """uvicorn serving ``dispatch.asgi:app`` on a migrated, seeded SQLite file."""
    folder = tmp_path_factory.mktemp("browser-server")
    url = f"sqlite:///{folder / 'browser.db'}"
    env = os.environ | {"DATABASE_URL": url, "COOPDISPATCH_DATA_DIR": str(folder / "data"),
                        "COOPDISPATCH_ENV": "dev", "SOLVER_TIME_LIMIT_S": "0.3", "DISPATCH_TICK_S": "5"}
    _cli(["migrate"], env)
    _cli(["seed"], env)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "dispatch.asgi:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, base)
        yield Server(base=base, data_dir=folder / "data", database_url=url)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless (skipped locally when absent, a failure in CI)."""
    if not Path(CHROMIUM).exists():
        service_missing("chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_context(browser: Any, server: Server) -> Iterator[Any]:
    """Make browser contexts (separate profiles: storage, service workers) closed after the test."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        # Playwright polls an expression given to wait_for_function with eval, which the views'
        # Content-Security-Policy forbids: contexts bypass it unless a test asks for it
        # (test_browser_security.py runs the views with the policy enforced).
        ctx = browser.new_context(base_url=server.base, locale="en-GB", **{"bypass_csp": True, **options})
        ctx.set_default_timeout(10_000)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
