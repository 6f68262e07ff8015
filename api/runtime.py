"""The background parts of one process, started and stopped in one place and in order.

`bootstrap()` builds every part; `Runtime` only runs them. Parts start in the order given (the
group committer before anything that writes through it, the call log before requests arrive) and
stop in the reverse order, each draining what it holds: workers that produce commands (the
reminder scheduler, the dispatcher) stop before the committer drains, and the call-log writer and
the committer stop last, while the database is still open, so nothing accepted is lost on a normal
shutdown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("ledger.runtime")


class BackgroundPart(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Part:
    name: str
    part: BackgroundPart


class ThreadPart:
    """A function that runs until its stop event is set, on a daemon thread of its own."""

    def __init__(self, name: str, run: Callable[[threading.Event], None], join_seconds: float = 30.0) -> None:
        self.name = name
        self._run = run
        self._join_seconds = join_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(self._stop,), name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._join_seconds)
            self._thread = None


class Runtime:
    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts
        self._started: list[Part] = []

    @property
    def running(self) -> list[str]:
        return [p.name for p in self._started]

    def start(self) -> None:
        for part in self.parts:
            part.part.start()
            self._started.append(part)
            log.debug("started %s", part.name)

    def stop(self) -> None:
        """Stop what was started, newest first; a part that fails to stop does not keep the
        others running."""
        while self._started:
            part = self._started.pop()
            try:
                part.part.stop()
            except Exception:  # noqa: BLE001 - the rest must still stop and drain
                log.exception("stopping %s failed", part.name)
