"""Catch up several projections at once, one process per projection.

Python runs one thread at a time per process, and reading + decoding events is about half of a
projection's work, so one process catching up every projection uses one core. With a process per
projection each decodes the log itself (more CPU in total) but they run side by side, and the
wall time is that of the slowest projection: worth it for a large catch-up on a multi-core
machine (the registers projection then sets the pace). Safe with other runners about: every
batch still takes its projection's tracking-row lock.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from typing import Any

from projections.registry import all_projections


def _catch_up_one(env: dict[str, str], name: str, batch_size: int, results: Any) -> None:
    # Imported in the child: it builds its own ledger and engines, nothing is shared with the parent.
    from domain.ledger import Ledger
    from projections.runner import ProjectionRunner

    ledger = Ledger(env=env)
    runner = ProjectionRunner(ledger, batch_size=batch_size)
    try:
        results.put((name, runner.catch_up(name)))
    finally:
        runner.close()
        ledger.close()


def catch_up_in_processes(
    env: Mapping[str, str], names: Sequence[str] | None = None, batch_size: int = 5000
) -> dict[str, int]:
    """Catch up `names` (all projections by default) in one spawned process each, using the
    eventsourcing `env` (e.g. Settings.eventsourcing_env()). Returns events applied per projection;
    raises if a process failed. Call `ProjectionRunner.ensure_current()` first."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    chosen = list(names or [p.name for p in all_projections()])
    processes = [
        context.Process(target=_catch_up_one, args=(dict(env), name, batch_size, results), name=f"catch-up-{name}")
        for name in chosen
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    failed = [p.name for p in processes if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"catch-up failed in {', '.join(failed)}")
    return dict(results.get(timeout=10) for _ in processes)
