"""What `ledger projections run|status|rebuild` do (kept out of api/cli.py so it stays a list of commands)."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from api.bootstrap import bootstrap
from api.settings import Settings
from projections.parallel import catch_up_in_processes
from projections.runner import ProjectionRunner
from schedulers.projection_worker import ProjectionWorker


class UnknownProjection(ValueError):
    pass


@contextmanager
def _runner(settings: Settings, batch_size: int | None = None) -> Iterator[ProjectionRunner]:
    """A runner from the composition root; this command runs no other background part."""
    services = bootstrap(settings.model_copy(update={"projections": "off", "nats_url": None}))
    runner = services.new_projection_runner(batch_size)
    try:
        yield runner
    finally:
        runner.close()
        services.close()


def child_config(settings: Settings) -> dict[str, Any]:
    """What a catch-up process needs to build its own services: the settings, without background parts."""
    return settings.model_dump() | {"projections": "off", "reminders": "off", "nats_url": None}


def catch_up_child(config: dict[str, Any], name: str, batch_size: int) -> int:
    """One projection's catch-up in a spawned process, which is composed like any other (bootstrap)."""
    with _runner(Settings(**config), batch_size) as runner:
        return runner.catch_up(name)


def run_projections(settings: Settings, *, once: bool, processes: bool) -> None:
    with _runner(settings) as runner:
        if once or processes:
            runner.ensure_current()
            if processes:
                catch_up_in_processes(catch_up_child, child_config(settings), batch_size=settings.projection_batch_size)
            runner.catch_up()
            if once:
                _print_status(runner.status(), {}, as_json=False)
                return
        worker = ProjectionWorker(None, runner=runner, poll_interval=settings.projection_poll_seconds)
        _stop_on_signals(worker.stop_event)
        worker.run()


def _stop_on_signals(stop: threading.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())


def show_status(settings: Settings, sample: float, as_json: bool) -> None:
    with _runner(settings) as runner:
        first = runner.status()
        rates: dict[str, float] = {}
        if sample > 0:
            time.sleep(sample)
            second = runner.status()
            rates = {
                after["name"]: round((after["position"] - before["position"]) / sample, 1)
                for before, after in zip(first, second, strict=True)
            }
            first = second
        _print_status(first, rates, as_json)


def _print_status(rows: list[dict[str, Any]], rates: dict[str, float], as_json: bool) -> None:
    if as_json:
        for row in rows:
            print(json.dumps(row | {"events_per_s": rates.get(row["name"], row["events_per_s"])}, ensure_ascii=False))
        return
    table = Table(title="projections")
    for column in ("name", "version", "position", "head", "lag", "events/s", "generation", "rebuilding"):
        table.add_column(column, justify="left" if column in ("name", "rebuilding") else "right")
    for row in rows:
        version = str(row["version"]) if row["version"] == row["code_version"] else f"{row['version'] or '-'} (code {row['code_version']})"
        rate = rates.get(row["name"], row["events_per_s"])
        building = row["rebuilding"]
        table.add_row(
            row["name"], version, str(row["position"]), str(row["head"]), str(row["lag"]),
            "-" if rate is None else f"{rate:,.1f}", str(row["generation"]),
            "" if building is None else f"g{building['generation']} at {building['position']}",
        )
    Console(width=None if sys.stdout.isatty() else 120).print(table)


def rebuild(settings: Settings, name: str) -> None:
    with _runner(settings) as runner:
        if name not in runner.projections:
            raise UnknownProjection(f"no projection {name!r}; known: {', '.join(sorted(runner.projections))}")
        columns = (TextColumn(f"rebuilding {name}"), BarColumn(), MofNCompleteColumn(), TextColumn("events"),
                   TimeElapsedColumn(), TimeRemainingColumn())
        started = time.perf_counter()
        with Progress(*columns, console=Console(stderr=True)) as progress:
            task = progress.add_task(name, total=None)

            def advance(position: int, head: int) -> None:
                progress.update(task, completed=position, total=head)

            position = runner.rebuild(name, advance)
            progress.update(task, completed=position, total=max(position, 1))
        seconds = time.perf_counter() - started
        Console().print(f"{name}: rebuilt and swapped in at position {position} in {seconds:.1f} s")
