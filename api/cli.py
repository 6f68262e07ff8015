"""The `ledger` command: serve, users, enterprise import. Each command builds its own services
through `bootstrap()`; errors print a message and exit non-zero."""

from __future__ import annotations

import getpass
import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from adapters.crypto.passwords import hash_password
from api.bootstrap import Services, bootstrap
from api.frontend_cli import frontend_app
from api.exchange_cli import exchange_app
from api.audit_cli import register as register_audit_commands
from api.audit_seal_cli import audit_app
from api.settings import Settings
from domain.identity.commands import UserSpec
from domain.shared.commands import CommandContext
from domain.shared.errors import DomainError, InvalidValues
from domain.shared.meta import Channel, Meta

app = typer.Typer(help="双重预防 regulatory ledger", no_args_is_help=True)
users_app = typer.Typer(help="Manage users", no_args_is_help=True)
enterprises_app = typer.Typer(help="Manage the enterprise register", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(enterprises_app, name="enterprises")
demo_app = typer.Typer(help="Demo data", no_args_is_help=True)
subscriptions_app = typer.Typer(help="Interface subscriptions", no_args_is_help=True)
relay_app = typer.Typer(help="The NATS JetStream relay (every event, in log order)", no_args_is_help=True)
app.add_typer(relay_app, name="relay")
projections_app = typer.Typer(help="Read-model projections (what GraphQL and reports read)", no_args_is_help=True)
app.add_typer(projections_app, name="projections")
app.add_typer(subscriptions_app, name="subscriptions")
app.add_typer(demo_app, name="demo")
reminders_app = typer.Typer(help="Reminders and escalation (the scan and the dispatcher)", no_args_is_help=True)
app.add_typer(reminders_app, name="reminders")
calendar_app = typer.Typer(help="The statutory business calendar (holidays, make-up working days)", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
app.add_typer(frontend_app, name="frontend")  # api/frontend_cli.py
app.add_typer(exchange_app, name="exchange")  # api/exchange_cli.py
app.add_typer(audit_app, name="audit")  # api/audit_seal_cli.py; other audit commands: @audit_app.command
register_audit_commands(audit_app)  # history, state, rebuild-report: api/audit_cli.py


def _services() -> Services:
    return bootstrap(Settings())


def _cli_context(services: Services) -> CommandContext:
    request_id = uuid.uuid4().hex
    meta = Meta(actor=f"cli:{getpass.getuser()}", channel=Channel.CLI.value, recorded_at=services.clock(),
                request_id=request_id, correlation_id=request_id)
    return CommandContext(meta)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="bind address (LEDGER_HOST)")] = None,
    port: Annotated[Optional[int], typer.Option(help="port (LEDGER_PORT)")] = None,
) -> None:
    """Serve the REST API (and background workers) until interrupted."""
    import uvicorn

    from api.app import create_app

    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Request threads mostly wait on the database; with the default 5 ms GIL switch interval each
    # wake-up queues behind whichever thread holds the GIL (the convoy effect), which capped
    # throughput far below the CPU's capacity. A shorter interval lets waiting threads in sooner.
    sys.setswitchinterval(settings.gil_switch_interval_ms / 1000)
    host, port = host or settings.host, port or settings.port
    workers = settings.effective_workers
    typer.echo(f"ledger on {settings.database_url} at http://{host}:{port}/docs ({workers} worker(s))", err=True)
    if workers > 1:
        bootstrap(settings).close()  # create tables and keys once before the workers race for them
        uvicorn.run("api.app:app_from_settings", factory=True, host=host, port=port, workers=workers, log_level="warning", access_log=False)
    else:
        uvicorn.run(create_app(bootstrap(settings)), host=host, port=port, log_level="warning", access_log=False)


@users_app.command("add")
def add_user(
    name: Annotated[str, typer.Argument(help="username")],
    role: Annotated[str, typer.Option(help="admin | supervisor | auditor | enterprise")],
    region: Annotated[Optional[str], typer.Option(help="supervisor scope: region code, e.g. 410100")] = None,
    industry: Annotated[Optional[list[str]], typer.Option(help="supervisor scope: industry (repeatable)")] = None,
    level: Annotated[Optional[str], typer.Option(help="supervisor scope: supervision level")] = None,
    enterprise: Annotated[Optional[str], typer.Option(help="enterprise user: the credit code it acts for")] = None,
    mobile: Annotated[Optional[str], typer.Option(help="mobile number: reminders reach supervisors here by SMS")] = None,
) -> None:
    """Add a user; the password is read from standard input (one line)."""
    password = sys.stdin.readline().rstrip("\n")
    try:
        password_hash = hash_password(password)
    except ValueError as error:
        _fail(str(error))
    services = _services()
    spec = UserSpec(name, role, region, tuple(industry or ()), level, enterprise, mobile)
    with _refusal_fails(services):
        receipt = services.write.users.add(_cli_context(services), spec, password_hash)
    typer.echo(f"user {name} ({role}) {'added' if receipt.position else 'already exists, unchanged'}")


@contextmanager
def _refusal_fails(services: Services) -> Iterator[None]:
    """A command the domain refuses ends the CLI with its message and exit code 1; the services
    are closed either way."""
    try:
        yield
    except InvalidValues as error:
        _fail("; ".join(str(e) for e in error.errors))
    except DomainError as error:
        _fail(str(error))
    finally:
        services.close()


@users_app.command("mobile")
def change_mobile(
    name: Annotated[str, typer.Argument(help="username")],
    number: Annotated[str, typer.Argument(help="mobile number, or '-' to remove it")],
) -> None:
    """Set or remove the mobile number a user's SMS reminders go to."""
    services = _services()
    with _refusal_fails(services):
        services.write.users.change_mobile(_cli_context(services), name.strip(), None if number == "-" else number)
    typer.echo(f"user {name}: mobile {'removed' if number == '-' else 'set'}")


def _change_user(name: str, reason: str, change: str) -> None:
    """Deactivate or reactivate; the serving processes notice within LEDGER_USER_CHECK_SECONDS."""
    services = _services()
    users = services.write.users
    apply = users.deactivate if change == "deactivate" else users.reactivate
    with _refusal_fails(services):
        apply(_cli_context(services), name.strip(), reason)


@users_app.command("deactivate")
def deactivate_user(
    name: Annotated[str, typer.Argument(help="username")],
    reason: Annotated[str, typer.Option(help="why (recorded in the event, with you as actor)")],
) -> None:
    """Deactivate a user: no more logins, and the user's tokens are refused within
    LEDGER_USER_CHECK_SECONDS (default 2 s) by every serving process."""
    _change_user(name, reason, "deactivate")
    typer.echo(f"user {name} deactivated; tokens issued before now are refused from now on")


@users_app.command("reactivate")
def reactivate_user(
    name: Annotated[str, typer.Argument(help="username")],
    reason: Annotated[str, typer.Option(help="why (recorded in the event, with you as actor)")],
) -> None:
    """Let a deactivated user log in again (tokens from before the deactivation stay refused)."""
    _change_user(name, reason, "reactivate")
    typer.echo(f"user {name} reactivated; they may log in again")


SHOWN_REJECTIONS = 20  # on screen; --report FILE lists them all


@enterprises_app.command("import")
def import_enterprises_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate every line, write nothing")] = False,
    report_file: Annotated[Optional[Path], typer.Option("--report", dir_okay=False, help="write every rejected line (line,reason) to this CSV file")] = None,
) -> None:
    """Register enterprises from a CSV file (UTF-8, one record per line; the header names the
    columns). Every line is accounted for in the summary; exit 1 if any line was rejected."""
    from api.enterprise_import import dry_run_commands, import_enterprises, write_rejections

    services = _services()
    try:
        commands = dry_run_commands(services.ledger) if dry_run else services.write.enterprises
        report = import_enterprises(file, commands, lambda: _cli_context(services))
    finally:
        services.close()
    for rejection in report.rejected[:SHOWN_REJECTIONS]:
        typer.echo(f"{file}:{rejection.line}: {rejection.reason}", err=True)
    if len(report.rejected) > SHOWN_REJECTIONS:
        more = len(report.rejected) - SHOWN_REJECTIONS
        typer.echo(f"... and {more} more rejected lines" + ("" if report_file else " (--report FILE lists them all)"), err=True)
    if report_file is not None:
        write_rejections(report_file, report)
    if report.stopped is not None:
        typer.echo(f"{file}:{report.stopped.line}: {report.stopped.reason}; the lines after it were not read", err=True)
    verb = "to import" if dry_run else "imported"
    typer.echo(("dry run: nothing written; " if dry_run else "")
               + f"read {report.lines} lines: {report.header} header, {report.imported} {verb}, {report.unchanged} unchanged, "
               f"{report.skipped} skipped (blank), {len(report.rejected)} rejected")
    if report.rejected or report.stopped:
        raise typer.Exit(1)


@demo_app.command("seed")
def demo_seed(
    enterprises: Annotated[int, typer.Option(help="number of enterprises")] = 100,
    days: Annotated[int, typer.Option(help="days of activity, ending today")] = 90,
    seed: Annotated[int, typer.Option(help="random seed (same seed and day, same data)")] = 7,
) -> None:
    """Fill the ledger with a synthetic Henan province through the application services, and add
    the demo users (idempotent: a re-run the same day writes nothing)."""
    from api.demo import DEMO_PASSWORD, seed_demo

    if enterprises < 0 or days < 1:
        _fail("--enterprises must be >= 0 and --days >= 1", 2)
    from api.supervision_cli import replay_supervision

    services = _services()
    try:
        report = seed_demo(services.write, lambda: _cli_context(services), hash_password, services.clock(),
                           enterprises, seed, days, end_of_day=replay_supervision(services))
    except DomainError as error:
        _fail(str(error))
    finally:
        services.close()
    typer.echo(f"demo: {report.enterprises} enterprises, {report.risks} risks, {report.hazards} hazards, "
               f"{report.inspections} inspections registered; {report.events} events written, "
               f"{report.unchanged} already there" + (f", {report.left_alone} enterprises left as they were"
                                                     if report.left_alone else ""))
    typer.echo(f"log in as demo-admin / demo-auditor / demo-supervisor / demo-enterprise, password {DEMO_PASSWORD!r}")


@subscriptions_app.command("secret")
def hand_over_secret(subscription_id: Annotated[str, typer.Argument(help="the subscription id (= client id)")]) -> None:
    """Print a newly issued client secret for offline hand-over. Works once: afterwards it is gone."""
    services = _services()
    try:
        secret = services.handover.take(subscription_id.strip())
    finally:
        services.close()
    if secret is None:
        _fail(f"no secret waiting for subscription {subscription_id}: it was shown already, or none was issued")
    typer.echo(f"client_id: {subscription_id}")
    typer.echo(f"client_secret: {secret}")


@relay_app.command("run")
def relay_run() -> None:
    """Publish the ledger's events to JetStream until interrupted (LEDGER_NATS_URL, _STREAM, _SUBJECT_PREFIX)."""
    from adapters.nats.relay import run_relay_forever

    settings = Settings()
    if not settings.nats_url:
        _fail("LEDGER_NATS_URL is not set")
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    services = bootstrap(settings)
    try:
        run_relay_forever(services.ledger, services.engine, settings.nats_url,
                          stream=settings.nats_stream, subject_prefix=settings.nats_subject_prefix)
    finally:
        services.close()


@relay_app.command("status")
def relay_status() -> None:
    """Where the relay is in the log, and how far behind the head."""
    from adapters.nats.relay import NatsRelay

    settings = Settings()
    services = _services()
    try:
        relay = NatsRelay(services.ledger, services.engine, settings.nats_url or "nats://127.0.0.1:4222",
                          stream=settings.nats_stream, subject_prefix=settings.nats_subject_prefix)
        status = relay.status()
    finally:
        services.close()
    typer.echo(f"position {status['position']}, head {status['head']}, lag {status['lag']}")


@projections_app.command("run")
def projections_run(
    once: Annotated[bool, typer.Option("--once", help="catch up to the head, then exit")] = False,
    processes: Annotated[bool, typer.Option(help="first catch-up with one process per projection (large backlogs on machines with more than 2 cores; on 2 cores one process is faster)")] = False,
) -> None:
    """Keep the read models current until interrupted (a separate worker; `ledger serve` also runs
    one unless LEDGER_PROJECTIONS=off). Several may run: one leads, the others stand by."""
    from api.projections_cli import run_projections

    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    run_projections(settings, once=once, processes=processes)


@projections_app.command("status")
def projections_status(
    sample: Annotated[float, typer.Option(help="seconds to watch positions for the events/s column (0: skip)")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")] = False,
) -> None:
    """Each projection's position, lag behind the log head, and events/s (sampled)."""
    from api.projections_cli import show_status

    show_status(Settings(), sample, as_json)


@projections_app.command("rebuild")
def projections_rebuild(name: Annotated[str, typer.Argument(help="projection name (see `ledger projections status`)")]) -> None:
    """Rebuild one projection into fresh tables and swap them in atomically (the old ones keep serving)."""
    from api.projections_cli import UnknownProjection, rebuild

    try:
        rebuild(Settings(), name)
    except UnknownProjection as error:
        _fail(str(error), 2)


@reminders_app.command("scan")
def reminders_scan(
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="scan as of this time (ISO 8601 with offset); default now")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print what would be raised, escalated and resolved; write nothing")] = False,
    allow_future: Annotated[bool, typer.Option("--allow-future", help="allow --as-of later than now (drills, tests)")] = False,
) -> None:
    """Run one reminder scan (`ledger serve` runs it on LEDGER_REMINDER_SCAN_CRON)."""
    from api.supervision_cli import CliRefusal, parse_as_of, scan

    services = _services()
    try:
        moment = parse_as_of(as_of, services.clock(), allow_future)
        report, plan = scan(services, moment, dry_run=dry_run)
    except CliRefusal as refusal:
        services.close()
        _fail(str(refusal))
    services.close()
    for line in plan:
        typer.echo(line)
    typer.echo(report.summary())
    for failure in report.failed[:20]:
        typer.echo(f"failed: {failure}", err=True)
    if report.failed:
        raise typer.Exit(1)


@reminders_app.command("dispatch")
def reminders_dispatch() -> None:
    """Send the due messages once (`ledger serve` does it every LEDGER_DISPATCH_SECONDS)."""
    services = _services()
    try:
        report = services.dispatch.run(services.clock()) if services.dispatch else None
    finally:
        services.close()
    if report is None:
        _fail("another process is dispatching right now")
    typer.echo(f"dispatched: {dict(report.results) or 'nothing due'}" + (f"; {len(report.failed)} failed" if report.failed else ""))


@calendar_app.command("load")
def calendar_load(year: Annotated[list[int], typer.Option("--year", help="year to load (repeatable)")]) -> None:
    """Publish the statutory calendar of a year from the chinese-calendar package (corrects a changed year)."""
    from api.supervision_cli import CliRefusal, load_calendar

    services = _services()
    with _refusal_fails(services):
        try:
            lines = load_calendar(services, _cli_context(services), year)
        except CliRefusal as refusal:
            _fail(str(refusal))
    for line in lines:
        typer.echo(line)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
