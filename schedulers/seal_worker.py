"""Keeps the ledger sealed in the background: `ledger serve`'s thread and `ledger audit seal run`.

One sealer per deployment: each worker holds out for a PostgreSQL advisory lock and the others
stand by, taking over when the leader's session ends (SQLite: one process, always granted). Even
two sealers at once could not both store a checkpoint after the same one (SealStore.append), so
the lock only spares the standbys the reading. A failing round is logged and retried with backoff;
a database outage is logged once when it starts and once when it ends.
"""

from __future__ import annotations

import logging
import threading

from adapters.audit.keys import announce
from adapters.audit.seal import Seal
from adapters.audit.sealer import Sealer, SealReport
from adapters.persistence.advisory_lock import AdvisoryLock
from adapters.persistence.availability import AvailabilityMonitor
from schedulers.leadership import wait_for_lead

log = logging.getLogger("ledger.seal")

LOCK_NAME = "ledger-seal"


class SealWorker:
    def __init__(self, seal: Seal, *, poll_interval: float = 1.0, standby_interval: float = 5.0) -> None:
        self.seal = seal
        self.poll_interval = poll_interval
        self.standby_interval = standby_interval
        self.lock = AdvisoryLock(seal.store.engine, LOCK_NAME)
        self.availability = AvailabilityMonitor("seal", database=str(seal.store.engine.url), what="attempts failed")
        self.stop_event = threading.Event()
        self.leading = threading.Event()
        self._thread: threading.Thread | None = None
        self._sealer: Sealer | None = None

    def start(self) -> None:
        self.stop_event.clear()
        self._thread = threading.Thread(target=self.run, name="ledger-seal", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run(self, once: bool = False) -> SealReport | None:
        """Until stopped (or, with `once`, one pass to the head): lead, then seal."""
        try:
            while not self.stop_event.is_set():
                if not self._lead(wait=not once):
                    return None
                self.leading.set()
                try:
                    if once:
                        return self._round(flush=True)
                    self._follow()
                finally:
                    self.leading.clear()
                    self.lock.release()
        finally:
            self.lock.release()
        return None

    def _round(self, flush: bool = False) -> SealReport:
        if self._sealer is None:
            self._sealer = self.seal.sealer()
            announce(self._sealer.key)
        report = self._sealer.seal(self.stop_event, flush=flush)
        if report.checkpoints:
            log.info("seal: %d checkpoint(s), %d events, sealed to %d (%d pending)", report.checkpoints,
                     report.events, report.position, report.pending)
        return report

    def _lead(self, wait: bool) -> bool:
        return wait_for_lead(self.lock, self.availability, self.stop_event, self.standby_interval, log, "seal", wait=wait)

    def _follow(self) -> None:
        failures = 0
        while not self.stop_event.is_set():
            try:
                self._round()
                self.availability.reachable()
                failures = 0
            except Exception as error:
                failures += 1
                if self.availability.refused(error) is None:
                    log.exception("seal round failed; retrying")
                self.stop_event.wait(min(60.0, self.poll_interval * 2**failures))
                if not self.lock.still_held():
                    log.warning("seal: lost the seal lock (database connection dropped)")
                    return
                continue
            self.stop_event.wait(self.poll_interval)
