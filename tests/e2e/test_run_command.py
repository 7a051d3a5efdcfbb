"""The README's run command, for real: a subprocess that sets up, seeds and serves."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid

import httpx

from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def readme_run_command() -> str:
    """The first command of the README (the test runs exactly what a newcomer runs)."""
    lines = (REPO / "README.md").read_text().splitlines()
    commands = [line.split("#")[0].strip() for line in lines[lines.index("```bash") + 1:]][:2]
    return commands[0]


def test_the_readme_run_command_serves_the_demo_coop_and_assigns_a_delivery(tmp_path):
    """Run the README's first command, wait for /healthz, post with the demo key, see it assigned."""
    command = readme_run_command()
    assert command == "./scripts/run.sh"
    port = free_port()
    env = os.environ | {"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "PORT": str(port),
                        "COOPDISPATCH_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen([*command.split(), "--no-demo-feed"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            deadline = time.monotonic() + 180
            while True:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the service did not come up"
                time.sleep(0.5)
            token = http.post("/api/v1/auth/login",
                              json={"email": "aino@demo.coop", "password": "demo-password"}).json()["token"]
            courier = {"Authorization": f"Bearer {token}"}
            assert http.post("/api/v1/courier/shift/start", json={"lat": 60.1716, "lon": 24.9443},
                             headers=courier).status_code == 201
            merchant = {"Authorization": "Bearer cd_demomerchant_try-coopdispatch-locally",
                        "Idempotency-Key": str(uuid.uuid4())}
            body = {"dropoff": {"lat": 60.1740, "lon": 24.9480, "address": "Kaisaniemenkatu 1"},
                    "recipient": {"name": "Matti", "phone": "+358 40 123 4567"}}
            created = http.post("/api/v1/deliveries", json=body, headers=merchant)
            assert created.status_code == 201, created.text
            url = f"/api/v1/deliveries/{created.json()['id']}"
            deadline = time.monotonic() + 20
            while http.get(url, headers=merchant).json()["status"] != "assigned":
                assert time.monotonic() < deadline, "the delivery was never assigned"
                time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert "cd_demomerchant_try-coopdispatch-locally" in output  # credentials are printed
    assert f"http://127.0.0.1:{port}/" in output
