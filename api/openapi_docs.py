"""/docs (Swagger UI) and /redoc that work on an intranet without internet access, and the
published /openapi.json with its security schemes and request examples.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on a provincial intranet they stay
blank. The assets come from the installed `fastapi-offline` package instead (Swagger UI 5, ReDoc
2, a favicon; no copy in this repository) and are served by the app under ASSETS. Swagger UI's
validator badge is switched off too: it would call validator.swagger.io."""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.openapi_examples import add_examples
from api.openapi_responses import complete_responses
from api.openapi_security import add_security

ASSETS = "/docs-assets"
DOCS, REDOC, OAUTH2_REDIRECT = "/docs", "/redoc", "/docs/oauth2-redirect"


def assets_directory() -> str:
    return str(files("fastapi_offline") / "static")


def install_api_docs(app: FastAPI) -> None:
    """Serve the docs pages and their assets; the app must be built with docs_url=None, redoc_url=None."""
    app.openapi = published_document(app.openapi)  # type: ignore[method-assign]
    app.mount(ASSETS, StaticFiles(directory=assets_directory()), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url, title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png", oauth2_redirect_url=root + OAUTH2_REDIRECT,
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=root + openapi_url, title=f"{app.title} - ReDoc", redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS}/favicon.png", with_google_fonts=False,
        )


def published_document(generate: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """FastAPI's generated document plus security schemes, examples and the undeclared answers, built once."""
    lock = threading.Lock()
    built: list[dict[str, Any]] = []

    def document() -> dict[str, Any]:
        with lock:
            if not built:
                finished = generate()
                add_security(finished)
                add_examples(finished)
                complete_responses(finished)
                built.append(finished)
        return built[0]

    return document
