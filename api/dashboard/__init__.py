"""The dashboard (issue 14): a zh-CN single page served at /dashboard, written in plain ES modules
and CSS of our own (no framework, no CDN, no third-party code). It talks to the ledger only through
the public doors a real client would use: POST /graphql with the logged-in user's bearer token and
the supervisor's REST actions, so what a user sees is scoped by the API, never by the page.

The files are package data (pyproject `[tool.setuptools.package-data]`), so an installed wheel
serves them as well as a checkout does.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


class DashboardFiles(StaticFiles):
    """StaticFiles that tells browsers to revalidate (a deployment's new files are seen at once) and
    keeps the page from being framed or sniffed."""

    async def get_response(self, path, scope):  # noqa: ANN001, ANN201 - Starlette's signature
        response = await super().get_response(path, scope)
        response.headers.setdefault("Cache-Control", "no-cache")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response


def mount_dashboard(app: FastAPI) -> None:
    """Serve the dashboard at /dashboard/ (index.html; routes live in the URL's #fragment)."""

    @app.get("/dashboard", include_in_schema=False)
    def dashboard_root() -> RedirectResponse:
        return RedirectResponse("/dashboard/", status_code=307)

    app.mount("/dashboard/", DashboardFiles(directory=STATIC, html=True), name="dashboard")
