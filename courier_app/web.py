"""Serve the web views: the landing page, the merchant page, the courier PWA, the dispatcher
map and the public tracking page, plus their static files and the vendored Leaflet.

Static files go through gzip (a slow phone link is the courier app's normal case); the courier
app's service worker and manifest are served from ``/courier/`` so that the worker's scope
covers the app. Nothing here is fetched from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGES = {"merchant": "merchant/index.html", "courier": "courier/index.html",
         "dispatcher": "dispatcher/index.html"}
NO_CACHE = {"Cache-Control": "no-cache"}  # revalidate every time; the service worker does offline

router = APIRouter(include_in_schema=False)


def _page(relative: str) -> FileResponse:
    return FileResponse(STATIC_DIR / relative, media_type="text/html", headers=NO_CACHE)


@router.get("/")
def landing() -> FileResponse:
    return _page("index.html")


@router.get("/merchant/")
def merchant_page() -> FileResponse:
    return _page(PAGES["merchant"])


@router.get("/courier/")
def courier_page() -> FileResponse:
    return _page(PAGES["courier"])


@router.get("/dispatcher/")
def dispatcher_page() -> FileResponse:
    return _page(PAGES["dispatcher"])


@router.get("/track/{token}")
def tracking_page(token: str) -> FileResponse:
    return _page("track/index.html")


@router.get("/courier/sw.js")
def courier_service_worker() -> FileResponse:
    return FileResponse(STATIC_DIR / "courier" / "sw.js", media_type="text/javascript", headers=NO_CACHE)
@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The co-op bicycle (the courier app's icon) for every view's tab: browsers ask for it."""
    return FileResponse(STATIC_DIR / "common" / "favicon.ico", media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})




@router.get("/courier/manifest.webmanifest")
def courier_manifest() -> FileResponse:
    return FileResponse(STATIC_DIR / "courier" / "manifest.webmanifest",
                        media_type="application/manifest+json")


for _name in PAGES:
    router.add_api_route(f"/{_name}", lambda _n=_name: RedirectResponse(f"/{_n}/"), methods=["GET"])


def leaflet_dir() -> Path:
    import xstatic.pkg.leaflet as leaflet

    return Path(leaflet.BASE_DIR)


def install(app: FastAPI) -> None:
    """Add the pages, their API helpers and the static mounts to ``app``."""
    from courier_app import proof_api, web_api

    app.include_router(web_api.router)
    app.include_router(proof_api.router)
    app.include_router(router)
    app.mount("/static/vendor/leaflet", GZipMiddleware(StaticFiles(directory=leaflet_dir())),
              name="leaflet")
    app.mount("/static", GZipMiddleware(StaticFiles(directory=STATIC_DIR)), name="static")
