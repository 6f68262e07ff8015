"""Keeps the read models current in the background: `ledger serve`'s thread and `ledger projections run`.

One worker per deployment does the work: each holds out for a PostgreSQL advisory lock and the
others stand by, taking over within `standby_interval` when the leader's session ends. Running two
at once is safe regardless: every batch takes its projections' tracking-row locks (see
projections/runner.py), so the lock only saves the standby processes from reading the log for
nothing.

On start the leader first brings every projection to its code version (`ensure_current`, which
rebuilds a projection whose version changed), then applies new events every `poll_interval`. A
failing round is logged and retried with backoff; nothing is lost, because positions only advance
with the rows they describe. A database outage is logged once when it starts and once when it ends
(adapters/persistence/availability.py), not with a traceback per retry.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from adapters.persistence.advisory_lock import AdvisoryLock
from adapters.persistence.availability import AvailabilityMonitor
from projections.runner import ProjectionRunner
from schedulers.leadership import wait_for_lead

log = logging.getLogger("ledger.projections")

LOCK_NAME = "ledger-projections"


class ProjectionWorker:
    def __init__(
        self,
        ledger: Any,
        *,
        poll_interval: float = 0.5,
        batch_size: int = 5000,
        standby_interval: float = 5.0,
        runner: ProjectionRunner | None = None,
    ) -> None:
        self.runner = runner or ProjectionRunner(ledger, batch_size=batch_size)
        self.poll_interval = poll_interval
        self.standby_interval = standby_interval
        self.lock = AdvisoryLock(self.runner.engine, LOCK_NAME)
        self.availability = AvailabilityMonitor("projections", database=str(self.runner.engine.url),
                                                what="attempts failed")
        self.stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self.leading = threading.Event()  # set while this worker is the one applying events

    # --- in a thread (ledger serve) ---------------------------------------------------------------

    def start(self) -> None:
        self.stop_event.clear()
        self._thread = threading.Thread(target=self.run, name="ledger-projections", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.runner.close()

    # --- the loop ---------------------------------------------------------------------------------

    def run(self) -> None:
        """Until `stop_event`: wait for leadership, then keep the projections current."""
        try:
            while not self.stop_event.is_set():
                if not self._lead():
                    return
                self.leading.set()
                try:
                    self._follow()
                finally:
                    self.leading.clear()
                    self.lock.release()
        finally:
            self.lock.release()

    def _lead(self) -> bool:
        return wait_for_lead(self.lock, self.availability, self.stop_event, self.standby_interval, log, "projections")

    def _follow(self) -> None:
        """Apply events while the lock is held; return when it is lost or on stop."""
        failures, current = 0, False
        while not self.stop_event.is_set():
            try:
                if not current:
                    self.runner.ensure_current()
                    current = True
                self.runner.catch_up(stop=self.stop_event)
                self.availability.reachable()
                failures = 0
            except Exception as error:
                failures += 1
                if self.availability.refused(error) is None:  # an outage is logged once, by the monitor
                    log.exception("projection catch-up failed; retrying")
                self.stop_event.wait(min(30.0, self.poll_interval * 2**failures))
                if not self.lock.still_held():
                    log.warning("projections: lost the projection lock (database connection dropped)")
                    return
                continue
            self.stop_event.wait(self.poll_interval)
