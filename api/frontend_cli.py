"""`ledger frontend init | check | docs`: the ministry front-end database (数据接入前置机).

Composes the declarations (projections/ministry) with the front-end adapter (adapters/frontend)
from the settings; nothing here needs the ledger's own database.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from adapters.frontend.database import CheckRow, FrontendDatabase, FrontendUnavailable
from adapters.frontend.folders import check_folders, ensure_folders
from adapters.frontend.ftp import check_ftp
from api.settings import Settings
from projections.ministry import docs
from projections.ministry.catalogue import ATTACHMENT_FOLDERS, CATALOGUE

frontend_app = typer.Typer(help="The ministry front-end database (前置机): standard tables, folders, connectivity",
                           no_args_is_help=True)

_STYLE = {"ok": "green", "fail": "bold red", "skip": "yellow"}


def _database(settings: Settings) -> FrontendDatabase:
    if not settings.frontend_url:
        typer.echo("error: LEDGER_FRONTEND_URL is not set (e.g. mysql+pymysql://user:password@host:3306/frontend)", err=True)
        raise typer.Exit(2)
    try:
        return FrontendDatabase(settings.frontend_url)
    except FrontendUnavailable as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


@frontend_app.command("init")
def init() -> None:
    """Create the standard tables, their primary-key indexes and the attachment folders; a second run
    changes nothing. Server settings below the standard (UTF-8, max_connections) are warnings here
    and failures in `ledger frontend check`."""
    settings = Settings()
    database = _database(settings)
    try:
        report = database.init(CATALOGUE.tables, min_connections=settings.frontend_min_connections)
    except FrontendUnavailable as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        database.close()
    folders = ensure_folders(Path(settings.frontend_root), ATTACHMENT_FOLDERS)
    for name in report.created_tables:
        typer.echo(f"created table {name}")
    for name in report.created_indexes:
        typer.echo(f"created index {name}")
    for name in folders:
        typer.echo(f"created folder {Path(settings.frontend_root) / name}")
    if not report.changed and not folders:
        typer.echo(f"nothing to do: {len(report.existing_tables)} tables, their indexes and the folders exist")
    else:
        typer.echo(f"{database.shown_url}: {len(report.created_tables)} tables and {len(report.created_indexes)} "
                   f"indexes created, {len(report.existing_tables)} already there; {len(folders)} folders created "
                   f"under {settings.frontend_root}")
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)


def check_rows(settings: Settings) -> list[CheckRow]:
    database = _database(settings)
    try:
        rows = database.check(CATALOGUE.tables, min_connections=settings.frontend_min_connections)
    finally:
        database.close()
    rows += check_folders(Path(settings.frontend_root), ATTACHMENT_FOLDERS)
    if settings.frontend_ftp:
        rows += check_ftp(settings.frontend_ftp)
    else:
        rows.append(CheckRow("FTP", "skip", "LEDGER_FRONTEND_FTP is not set"))
    return rows


@frontend_app.command("check")
def check() -> None:
    """The connectivity test (seed 2.3.1.2): database reachable, credentials, character set and
    connections, tables/columns/indexes as declared, folders writable, FTP when set. Exit 1 when
    anything fails."""
    settings = Settings()
    rows = check_rows(settings)
    shown = make_url(settings.frontend_url or "").render_as_string(hide_password=True)
    table = Table(title=f"front-end database check: {shown}")
    for heading in ("item", "result", "detail"):
        table.add_column(heading, overflow="fold")
    for row in rows:
        table.add_row(row.item, f"[{_STYLE[row.status]}]{row.status}[/]", row.detail)
    Console(width=None if sys.stdout.isatty() else 160).print(table)
    failed = [row for row in rows if row.status == "fail"]
    if failed:
        for row in failed:  # unwrapped, for logs and scripts
            typer.echo(f"failed: {row.item}: {row.detail}", err=True)
        raise typer.Exit(1)


@frontend_app.command("docs")
def write_docs(
    check_only: Annotated[bool, typer.Option("--check", help="exit 1 if docs/ministry-exchange.md is stale; write nothing")] = False,
) -> None:
    """Generate docs/ministry-exchange.md from the declarations."""
    if check_only:
        if not docs.is_current():
            typer.echo(f"{docs.DOC_PATH} is stale: run `ledger frontend docs`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{docs.DOC_PATH} is current")
        return
    typer.echo(f"{docs.DOC_PATH}: {'written' if docs.write() else 'unchanged'}")
