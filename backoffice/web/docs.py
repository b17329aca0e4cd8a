"""The API docs, behind sign-in and with no CDN: Swagger UI at /docs and ReDoc at /redoc, from the
files of the pinned `fastapi-offline` package (Swagger UI, Apache-2.0; ReDoc, MIT; the package
itself MIT), started by our own script (static/docs-init.js) so the page needs no inline script.
The OpenAPI document itself is FastAPI's /openapi.json, which the gate also keeps behind sign-in."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from backoffice.web import STATIC, session_of
from backoffice.web.html import e

router = APIRouter(include_in_schema=False)

ASSETS = {"swagger-ui-bundle.js": "application/javascript", "swagger-ui.css": "text/css",
          "redoc.standalone.js": "application/javascript", "favicon.png": "image/png"}


def _assets_dir() -> Path | None:
    try:
        return Path(str(resources.files("fastapi_offline") / "static"))
    except ModuleNotFoundError:
        return None


@router.get("/docs")
def swagger(request: Request) -> Response:
    s = session_of(request)
    if _assets_dir() is None:
        return HTMLResponse("<p>The docs' files (fastapi-offline) are not installed; see /openapi.json.</p>", 404)
    return HTMLResponse(
        f'<!doctype html><html><head><meta charset="utf-8"><title>OneVisit back office API</title>'
        f'<meta name="csrf-token" content="{e(s.csrf)}">'
        f'<link rel="stylesheet" href="/docs/assets/swagger-ui.css"><link rel="icon" href="/docs/assets/favicon.png">'
        f'</head><body><div id="swagger-ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script>'
        f'<script src="/docs/assets/docs-init.js"></script></body></html>')


@router.get("/redoc")
def redoc(request: Request) -> Response:
    session_of(request)
    return HTMLResponse(
        '<!doctype html><html><head><meta charset="utf-8"><title>OneVisit back office API</title></head>'
        '<body><redoc spec-url="/openapi.json"></redoc><script src="/docs/assets/redoc.standalone.js"></script>'
        '</body></html>')


@router.get("/docs/assets/{name}")
def asset(request: Request, name: str) -> Response:
    session_of(request)
    if name == "docs-init.js":
        return FileResponse(STATIC / "docs-init.js", media_type="application/javascript")
    folder = _assets_dir()
    if name not in ASSETS or folder is None:
        return Response(b"not found", 404, media_type="text/plain")
    return FileResponse(folder / name, media_type=ASSETS[name])


@router.get("/static/officials.css")
def stylesheet() -> Response:
    return FileResponse(STATIC / "officials.css", media_type="text/css")
