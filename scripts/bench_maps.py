"""Benchmark the basemap (issue 19): tile builds, a map view's first paint, route geometry.

1. **Tile build** of every map: the shipped central Helsinki extract and, when present, the
   extracts in ``../shared/data/osm`` (seconds, archive size, features, tiles).
2. **First paint** of the courier app's map on a phone (390x844) in Chromium, throttled over
   CDP like the browser tests' slow 3G (400 ms latency, 400 kbit/s both ways): from navigation
   to the first frame with every basemap tile in view drawn (the map's ``data-painted``). ``first_paint_ms`` is a returning
   courier's (the PWA's service worker and the HTTP cache hold the library and the tiles seen,
   the normal case for a phone used every day); ``cold_paint_ms`` is a first visit on the
   public tracking page with an empty cache, where the 270 kB (gzip) map library alone takes
   about 5 s at that speed.
3. **Route geometry** of a 10-stop route (11 points) on the shipped map: median of 50 runs.

The last line is::

    RESULT build_s=<shipped map> archive_mb=<shipped map> first_paint_ms=<warm> route_geometry_ms=<median>

Usage: ``.venv/bin/python scripts/bench_maps.py [--skip-browser] [--runs 50]``
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from routing.streets.network import default_map_path, load_network  # noqa: E402
from routing.streets.route_geometry import legs_geometry  # noqa: E402
from routing.tiles.build import build_archive  # noqa: E402

SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1000 / 8,
           "uploadThroughput": 400 * 1000 / 8}
PHONE = {"width": 390, "height": 844}
CHROMIUM = "/usr/bin/chromium"


def maps_to_build() -> list[Path]:
    shared = Path(os.environ.get("COOPDISPATCH_SHARED_DATA", REPO.parent / "shared" / "data")) / "osm"
    extra = sorted(p for p in shared.glob("*.osm*")) if shared.is_dir() else []
    return [default_map_path(), *extra]


def bench_builds(folder: Path) -> list[dict[str, Any]]:
    rows = []
    for source in maps_to_build():
        report = build_archive(source, folder / f"{source.name}.mbtiles")
        with sqlite3.connect(report.path) as db:
            tiles = db.execute("SELECT count(*) FROM tiles").fetchone()[0]
        rows.append({"map": source.name, "build_s": report.duration_s, "archive_mb": report.size_bytes / 1e6,
                     "features": report.features, "tiles": tiles})
        print(f"  {source.name:28s} build {report.duration_s:6.2f} s  archive {report.size_bytes / 1e6:6.2f} MB"
              f"  {report.features:7d} features  {tiles:6d} tiles", flush=True)
    return rows


def bench_route_geometry(runs: int) -> float:
    net = load_network()
    rng = np.random.default_rng(19)
    lat0, lon0, lat1, lon1 = net.bbox
    points = [p for p in net.snap_many(rng.uniform(lat0, lat1, 40), rng.uniform(lon0, lon1, 40)) if p][:11]
    legs_geometry(net, points)  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        legs = legs_geometry(net, points)
        times.append((time.perf_counter() - started) * 1000)
    assert len(legs) == 10
    print(f"  10-stop route geometry: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms "
          f"({sum(len(leg.coords) for leg in legs)} points)", flush=True)
    return statistics.median(times)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server(folder: Path) -> tuple[subprocess.Popen[str], str]:
    env = os.environ | {"DATABASE_URL": f"sqlite:///{folder / 'bench.db'}", "COOPDISPATCH_ENV": "dev",
                        "COOPDISPATCH_DATA_DIR": str(folder / "data"), "SOLVER_TIME_LIMIT_S": "0.3"}
    for args in (["migrate"], ["seed"]):
        subprocess.run([sys.executable, "-m", "dispatch.cli", *args], cwd=REPO, env=env, check=True,
                       capture_output=True, timeout=300)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "dispatch.asgi:app", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.3)
    raise RuntimeError("the server did not start")


def _paint_ms(page: Any, url: str) -> float:
    """Navigation start to the first frame with every basemap tile in view drawn (the map sets
    ``data-painted`` from ``performance.now()``, which counts from the navigation)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    page.goto(url, wait_until="commit")
    page.wait_for_selector("#map[data-painted]", timeout=60_000)
    return float(page.get_attribute("#map", "data-painted") or "nan")


def bench_first_paint(folder: Path) -> tuple[float, float]:
    import httpx
    from playwright.sync_api import sync_playwright

    proc, base = _server(folder)
    try:
        r = httpx.post(f"{base}/api/v1/deliveries", headers={
            "Authorization": "Bearer cd_demomerchant_try-coopdispatch-locally", "Idempotency-Key": "bench-maps-1"},
            json={"dropoff": {"lat": 60.1665, "lon": 24.949, "address": "Kaisaniemenkatu 3"},
                  "recipient": {"name": "Bench", "phone": "+358 40 000 0000"}})
        r.raise_for_status()
        token = r.json()["tracking_token"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            cold_ctx = browser.new_context(base_url=base, viewport=PHONE)
            cold = _paint_ms(cold_ctx.new_page(), f"/track/{token}")
            ctx = browser.new_context(base_url=base, viewport=PHONE)
            page = ctx.new_page()
            page.goto("/courier/")
            page.fill("#email", "lumi@demo.coop")
            page.fill("#password", "demo-password")
            page.click("#login-form button")
            page.wait_for_selector("#map[data-basemap='ready']", timeout=60_000)
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            page.reload()
            page.wait_for_selector("#map[data-basemap='ready']", timeout=60_000)
            page.close()
            warm = statistics.median(_paint_ms(ctx.new_page(), "/courier/") for _ in range(3))
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    print(f"  first paint on slow 3G, phone: returning courier {warm:.0f} ms; first visit (tracking page) "
          f"{cold:.0f} ms", flush=True)
    return warm, cold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-browser", action="store_true", help="no first-paint measurement")
    parser.add_argument("--runs", type=int, default=50, help="route geometry repetitions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-maps-") as tmp:
        print("tile builds (zoom 10-18, tippecanoe):", flush=True)
        builds = bench_builds(Path(tmp))
        print("route geometry:", flush=True)
        route_ms = bench_route_geometry(args.runs)
        warm = cold = float("nan")
        if not args.skip_browser:
            print("first paint:", flush=True)
            warm, cold = bench_first_paint(Path(tmp))
    shipped = builds[0]
    print(f"RESULT build_s={shipped['build_s']:.2f} archive_mb={shipped['archive_mb']:.2f} "
          f"first_paint_ms={warm:.0f} route_geometry_ms={route_ms:.1f}")


if __name__ == "__main__":
    main()
