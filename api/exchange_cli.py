"""`ledger exchange full | run | reconcile | status`: the ministry exchange by hand.

`serve` runs the same batches on each table's frequency when LEDGER_FRONTEND_URL is set
(schedulers/exchange.py); these commands take the same advisory lock, so a hand run and the
scheduler never write one table at once.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from adapters.frontend.database import FrontendUnavailable
from api.settings import Settings
from projections.live import ReadModelNotReady
from schedulers.exchange import BatchResult, Exchanger, ExchangeBusy, build_exchanger

exchange_app = typer.Typer(help="The ministry exchange (汇聚): full and incremental batches into the front-end database",
                           no_args_is_help=True)

TableOption = Annotated[str | None, typer.Option("--table", help="one standard table, e.g. jg_jgdx_qyjbxx")]


def _exchanger(settings: Settings) -> Exchanger:
    if not settings.frontend_url:
        typer.echo("error: LEDGER_FRONTEND_URL is not set (e.g. mysql+pymysql://user:password@host:3306/frontend)", err=True)
        raise typer.Exit(2)
    from api.bootstrap import build_ledger
    from projections.runner import projection_engine

    ledger = build_ledger(settings)
    try:
        return build_exchanger(projection_engine(ledger), settings.frontend_url, Path(settings.frontend_root))
    except FrontendUnavailable as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def _explained() -> Iterator[None]:
    """Errors an operator can act on, in one line and exit 2, instead of a traceback."""
    try:
        yield
    except (KeyError, ExchangeBusy) as error:
        typer.echo(f"error: {error.args[0] if error.args else error}", err=True)
        raise typer.Exit(2) from None
    except ReadModelNotReady as error:
        typer.echo(f"error: {error}: run `ledger projections catch-up` (or `ledger serve`) first", err=True)
        raise typer.Exit(2) from None
    except DBAPIError as error:
        typer.echo(f"error: a database is unavailable: {' '.join(str(error.orig).split())[:300]}", err=True)
        raise typer.Exit(2) from None


def _console() -> Console:
    return Console(width=None if sys.stdout.isatty() else 200)


def _batches(results: list[BatchResult]) -> None:
    table = Table(title="exchange batches")
    for heading in ("table", "kind", "batch", "positions", "i", "u", "d", "held back", "checksum", "seconds", "result"):
        table.add_column(heading, overflow="fold")
    for r in results:
        table.add_row(r.table, r.kind, r.batch_number or "", f"({r.from_position}, {r.to_position}]", str(r.counts["i"]),
                      str(r.counts["u"]), str(r.counts["d"]), str(r.held_back), (r.checksum or "")[:16],
                      f"{r.seconds:.2f}", r.result if r.result != "failed" else f"failed: {r.error}")
    _console().print(table)
    for r in results:
        for line in r.findings.lines(r.table):
            typer.echo(f"completeness: {line}")
        if r.script is not None:
            typer.echo(f"script: {r.script}")


def _run(full: bool, only: str | None) -> None:
    exchanger = _exchanger(Settings())
    with _explained():
        results = exchanger.full(only) if full else exchanger.run(only)
    _batches(results)
    if any(r.result == "failed" for r in results):
        raise typer.Exit(1)


@exchange_app.command("full")
def full(table: TableOption = None) -> None:
    """Full load (存量): every current staging row of each table (or --table), and <table>_his.sql
    INSERT scripts under LEDGER_FRONTEND_ROOT. Exit 1 when a table failed."""
    _run(True, table)


@exchange_app.command("run")
def run(table: TableOption = None) -> None:
    """Incremental (增量): the rows changed since each table's last batch, by ledger position.
    Exit 1 when a table failed (the others are still written)."""
    _run(False, table)


@exchange_app.command("reconcile")
def reconcile(table: TableOption = None,
              examples: Annotated[int, typer.Option(help="keys shown per kind of difference")] = 10) -> None:
    """Compare the front-end database with the staging read model: counts, keys missing on either
    side, rows that differ. Exit 1 when anything differs."""
    exchanger = _exchanger(Settings())
    with _explained():
        reports = exchanger.reconcile(table)
    out = Table(title="reconcile: staging (sent up to the watermark) vs front-end")
    for heading in ("table", "watermark", "staging", "front-end", "held back", "pending", "missing", "unexpected",
                    "differ", "result"):
        out.add_column(heading, overflow="fold")
    for r in reports:
        out.add_row(r.table, str(r.watermark), str(r.staging_rows), str(r.frontend_rows), str(r.held_back), str(r.pending),
                    str(len(r.missing)), str(len(r.unexpected)), str(len(r.differing)), "ok" if r.ok else "DIFFERS")
    _console().print(out)
    for r in reports:
        for what, keys in (("missing in the front-end", r.missing), ("not in staging", r.unexpected),
                           ("differs", r.differing)):
            if keys:
                typer.echo(f"{r.table}: {len(keys)} {what}: {', '.join(keys[:examples])}")
    if not all(r.ok for r in reports):
        raise typer.Exit(1)


def _shown(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return "" if value is None else str(value)


@exchange_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False) -> None:
    """Per table: last batch, watermark, lag in positions and in time, pending rows, next run."""
    exchanger = _exchanger(Settings())
    with _explained():
        rows = exchanger.status()
    if as_json:
        typer.echo(json.dumps(rows, default=_shown, ensure_ascii=False, indent=2))
        return
    out = Table(title="ministry exchange")
    headings = ("table", "frequency", "last_batch", "last_batch_at", "watermark", "head", "lag_positions",
                "pending_rows", "lag_seconds", "next_run", "last_failure")
    for heading in headings:
        out.add_column(heading.replace("_", " "), overflow="fold")
    for row in rows:
        out.add_row(*(_shown(row[h]) for h in headings))
    _console().print(out)
