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
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from projections.registry import all_projections


# (configuration, projection name, batch size) -> events applied; runs in the child process, which
# builds what it needs through the application's composition root (api/projections_cli.py).
ChildCatchUp = Callable[[dict[str, Any], str, int], int]


def _run_child(child: ChildCatchUp, config: dict[str, Any], name: str, batch_size: int, results: Any) -> None:
    results.put((name, child(config, name, batch_size)))


def catch_up_in_processes(
    child: ChildCatchUp, config: Mapping[str, Any], names: Sequence[str] | None = None, batch_size: int = 5000
) -> dict[str, int]:
    """Catch up `names` (all projections by default) in one spawned process each: `child(config,
    name, batch_size)` runs in each (a module-level function, so it can be spawned). Returns events
    applied per projection; raises if a process failed. Call `ProjectionRunner.ensure_current()` first."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    chosen = list(names or [p.name for p in all_projections()])
    processes = [
        context.Process(target=_run_child, args=(child, dict(config), name, batch_size, results), name=f"catch-up-{name}")
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
