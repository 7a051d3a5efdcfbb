"""Serve the web views: the landing page, the merchant page, the courier PWA, the dispatcher
map and the public tracking page, plus their static files and the map library (MapLibre GL JS).

Static files go through gzip (a slow phone link is the courier app's normal case); the courier
app's service worker and manifest are served from ``/courier/`` so that the worker's scope
covers the app. Nothing here is fetched from a CDN.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

log = logging.getLogger(__name__)
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


@router.get("/admin/")
def admin_page() -> FileResponse:
    return _page("admin/index.html")


@router.get("/account/")
def account_page() -> FileResponse:
    """A member's own name, password and data, from any view (``?view=courier`` etc.)."""
    return _page("account/index.html")


@router.get("/accept/")
def accept_page() -> FileResponse:
    """A one-time link's page: the token is in the URL's fragment, which never reaches a server."""
    return _page("accept/index.html")


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The co-op bicycle (the courier app's icon) for every view's tab: browsers ask for it."""
    return FileResponse(STATIC_DIR / "common" / "favicon.ico", media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/courier/sw.js")
def courier_service_worker() -> FileResponse:
    return FileResponse(STATIC_DIR / "courier" / "sw.js", media_type="text/javascript", headers=NO_CACHE)


@router.get("/courier/manifest.webmanifest")
def courier_manifest() -> FileResponse:
    return FileResponse(STATIC_DIR / "courier" / "manifest.webmanifest",
                        media_type="application/manifest+json")


for _name in PAGES:
    router.add_api_route(f"/{_name}", lambda _n=_name: RedirectResponse(f"/{_n}/"), methods=["GET"])


MAPLIBRE_DIR = Path(__file__).resolve().parent / "node_modules" / "maplibre-gl" / "dist"


class VendorFiles(StaticFiles):
    """The map library (pinned in courier_app/package.json, installed by scripts/setup.sh):
    cached for a week, so a courier's phone does not fetch it again on a slow link."""

    def file_response(self, *args: object, **kwargs: object) -> Response:
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        response.headers["Cache-Control"] = "public, max-age=604800"
        return response


def install(app: FastAPI) -> None:
    """Add the pages, their API helpers and the static mounts to ``app``."""
    from courier_app import proof_api, web_api

    app.include_router(web_api.router)
    app.include_router(proof_api.router)
    app.include_router(proof_api.dispatch_router)
    app.include_router(router)
    if MAPLIBRE_DIR.is_dir():
        app.mount("/static/vendor/maplibre", GZipMiddleware(VendorFiles(directory=MAPLIBRE_DIR)), name="maplibre")
    else:  # the app still starts; its maps stay empty (a 404 for the library) until setup runs
        log.warning("the map library is not installed (run scripts/setup.sh): maps will not draw")
    app.mount("/static", GZipMiddleware(StaticFiles(directory=STATIC_DIR)), name="static")
