"""`ledger audit history | state | rebuild-report`: the auditor's history, state as of, and reports
rebuilt from the log and compared with the live read models. They add themselves to the `audit`
group of api/audit_seal_cli.py (`register(audit_app)`); docs/audit.md is the manual.

Exit codes: 0 done (rebuild-report: identical), 1 the rebuilt report differs (drift) or nothing
found, 2 a refused input or a comparison the live read model cannot answer."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, Optional
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from api.audit_history import AsOfRefused, aggregate_state, history
from api.bootstrap import Services, bootstrap
from api.settings import Settings
from domain.shared.errors import NotFound
from domain.shared.regions import henan_regions
from projections.audit_history.queries import MAX_LIMIT, HistoryFilter
from projections.audit_history.rebuild import Comparison, NotComparable, compare_closed_loop, compare_drilldown
from projections.live import ReadModelNotReady
from projections.supervision.closed_loop_queries import KINDS, ClosedLoopQuery

rebuild_app = typer.Typer(help="Rebuild a report from the log into scratch tables and compare it with the live read model",
                          no_args_is_help=True)


def _services() -> Services:
    """No background parts: these commands read, and rebuild only into their own scratch tables."""
    settings = Settings()
    return bootstrap(settings.model_copy(update={"projections": "off", "reminders": "off", "nats_url": None,
                                                 "seal": "off"}))


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _time(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"{option} {text!r} is not a time; e.g. 2026-12-01T09:00:00+08:00")
    if moment.tzinfo is None:
        _fail(f"{option} needs a UTC offset, e.g. 2026-12-01T09:00:00+08:00")
    return moment


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"{option} {text!r} is not a date; e.g. 2026-12-01")
        raise


# --- history ---------------------------------------------------------------------------------------


def history_command(
    credit_code: Annotated[Optional[str], typer.Option("--credit-code", help="统一社会信用代码: the enterprise's aggregates")] = None,
    actor: Annotated[Optional[str], typer.Option(help="e.g. user:demo-admin, subscription:<id>, cli:root")] = None,
    type_: Annotated[Optional[str], typer.Option("--type", help="event type, e.g. Risk.Upgraded")] = None,
    from_: Annotated[Optional[str], typer.Option("--from", help="recorded at or after (ISO 8601 with offset)")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="recorded before (ISO 8601 with offset)")] = None,
    after_position: Annotated[int, typer.Option("--after-position", min=0, help="start after this log position")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=MAX_LIMIT, help="events per page")] = 100,
    all_pages: Annotated[bool, typer.Option("--all", help="every page (with --json: JSON lines, one event each)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON (one page: an object; --all: JSON lines)")] = False,
) -> None:
    """Events of every aggregate matching the filters, in log order, with attribution (the same
    as GET /api/v1/audit/events)."""
    since, until = _time(from_, "--from"), _time(to, "--to")
    if since is not None and until is not None and since >= until:
        _fail("--to must be later than --from")
    f = HistoryFilter(credit_code, actor, type_, since, until)
    services = _services()
    try:
        after, shown, table = after_position, 0, None
        while True:
            page = history(services, f, after, limit)
            if as_json and not all_pages:
                typer.echo(json.dumps(vars(page), ensure_ascii=False, indent=1))
                return
            if as_json:
                for item in page.items:
                    typer.echo(json.dumps(item, ensure_ascii=False))
            else:
                table = table or _history_table(page.indexed_through, page.head)
                for item in page.items:
                    table.add_row(str(item["position"]), item["type"], item["aggregate_id"], item["credit_code"] or "",
                                  item["actor"] or "", item["channel"] or "", item["recorded_at"] or "",
                                  item["business_time"] or "", str(item["call_log_id"] or ""))
            shown += len(page.items)
            if page.next_after_position is None or not all_pages:
                break
            after = page.next_after_position
        if table is not None:
            Console(width=250).print(table)
            if page.next_after_position is not None:
                typer.echo(f"more: --after-position {page.next_after_position} (or --all)")
        if not shown:
            raise typer.Exit(1)
    except ReadModelNotReady as error:
        _fail(f"{error}; run `ledger projections run --once`")
    finally:
        services.close()


def _history_table(indexed: int, head: int) -> Table:
    table = Table(title=f"audit history (indexed through {indexed}, log head {head})")
    for name in ("position", "type", "aggregate", "credit code", "actor", "channel", "recorded", "business time", "call log"):
        table.add_column(name, overflow="fold")
    return table


# --- state as of --------------------------------------------------------------------------------------


def state_command(
    aggregate_id: Annotated[str, typer.Argument(help="the aggregate's id (a uuid)")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="a log position (digits) or a recorded time (ISO 8601 with offset); default now")] = None,
    business: Annotated[bool, typer.Option("--business-time", help="--as-of is a business time (the events' `at`), not the recorded time")] = False,
) -> None:
    """The aggregate's state as of a position or a time, with the version and position it reflects (JSON)."""
    try:
        key = UUID(aggregate_id)
    except ValueError:
        _fail(f"{aggregate_id!r} is not an aggregate id (a uuid)")
        raise
    point: dict[str, Any] = {}
    if as_of is not None and as_of.isdigit() and not business:
        point["at_position"] = int(as_of)
    elif as_of is not None:
        point["at_business_time" if business else "at_time"] = _time(as_of, "--as-of")
    services = _services()
    try:
        found = aggregate_state(services, key, **point)
    except NotFound as error:
        _fail(str(error), 1)
    except AsOfRefused as error:
        _fail(str(error))
    finally:
        services.close()
    typer.echo(json.dumps(found, ensure_ascii=False, indent=1))


# --- rebuild-report -------------------------------------------------------------------------------------


def _region(code: str) -> str:
    if henan_regions().get(code) is None:
        _fail(f"unknown region code {code!r}")
    return code


def _show(comparison: Comparison, as_json: bool) -> None:
    positions = ", ".join(f"{name} {p}" for name, p in comparison.positions.items())
    skipped = {n: p for n, p in comparison.skipped.items() if p}
    if as_json:
        typer.echo(json.dumps({
            "report": comparison.report, "positions": comparison.positions, "identical": comparison.identical,
            "live_digest": comparison.live_digest, "rebuilt_digest": comparison.rebuilt_digest,
            "skipped": skipped, "differences": [vars(d) for d in comparison.differences],
        }, ensure_ascii=False, indent=1, default=str))
    else:
        typer.echo(f"{comparison.report} at {positions}")
        typer.echo(f"live    sha256 {comparison.live_digest}")
        typer.echo(f"rebuilt sha256 {comparison.rebuilt_digest}")
        for name, found in skipped.items():
            typer.echo(f"events {name} could not apply (skipped in the rebuild, as the live runner sets them aside): "
                       f"{', '.join(map(str, found[:20]))}")
        if comparison.identical:
            typer.echo("identical")
        else:
            typer.echo(f"DRIFTED: the live read model differs from the log in {len(comparison.differences)} field(s)")
            for d in comparison.differences[:200]:
                typer.echo(f"  {d.field}: live {d.live!r}, rebuilt {d.rebuilt!r}")
            if len(comparison.differences) > 200:
                typer.echo(f"  ... and {len(comparison.differences) - 200} more (--json lists them all)")
    if not comparison.identical:
        raise typer.Exit(1)


def _compare(run: Any) -> Comparison:
    services = _services()
    try:
        return run(services)
    except (NotComparable, ReadModelNotReady, ValueError) as error:
        _fail(str(error))
        raise
    finally:
        services.close()


@rebuild_app.command("drilldown")
def rebuild_drilldown(
    region: Annotated[str, typer.Option(help="region code, e.g. 410000 (province), 410100 (city)")],
    from_: Annotated[str, typer.Option("--from", help="first business day, e.g. 2026-11-01")],
    to: Annotated[str, typer.Option(help="last business day")],
    industry: Annotated[Optional[str], typer.Option(help="one industry")] = None,
    at_position: Annotated[Optional[int], typer.Option("--at-position", min=0, help="must equal the live read models' positions (the drill-down answers for nothing else); default: theirs")] = None,
    now: Annotated[Optional[str], typer.Option(help="the time overdue rectifications are judged at (ISO 8601 with offset); default now")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The drill-down rebuilt from the log at the live read models' positions, compared with the live answer."""
    first, last, moment = _day(from_, "--from"), _day(to, "--to"), _time(now, "--now")
    code = _region(region)
    comparison = _compare(lambda s: compare_drilldown(s.ledger, s.engine, code, industry, first, last,
                                                      moment or s.clock(), at_position))
    _show(comparison, as_json)


@rebuild_app.command("closed-loop")
def rebuild_closed_loop(
    region: Annotated[str, typer.Option(help="region code, e.g. 410000")],
    from_: Annotated[str, typer.Option("--from", help="first business day reminders were raised on")],
    to: Annotated[str, typer.Option(help="last business day")],
    at_position: Annotated[Optional[int], typer.Option("--at-position", min=0, help="log position (at most the read model's); default: the read model's")] = None,
    judged_on: Annotated[Optional[str], typer.Option("--judged-on", help="the day deadlines are judged on; default: as the ledger stood at the position")] = None,
    industry: Annotated[Optional[str], typer.Option(help="one industry")] = None,
    kind: Annotated[Optional[str], typer.Option(help=f"one kind: {', '.join(KINDS)}")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The closed-loop report (and per supervisor) rebuilt from the log at P, compared with the live answer for P."""
    q = ClosedLoopQuery(_region(region), _day(from_, "--from"), _day(to, "--to"), industry, kind, at_position,
                        _day(judged_on, "--judged-on") if judged_on else None)
    comparison = _compare(lambda s: compare_closed_loop(s.ledger, s.engine, q, s.clock()))
    _show(comparison, as_json)


def register(audit_app: typer.Typer) -> None:
    """Add these commands to the `ledger audit` group."""
    audit_app.command("history")(history_command)
    audit_app.command("state")(state_command)
    audit_app.add_typer(rebuild_app, name="rebuild-report")
