"""One leader per deployment for a background worker (projections, seal): wait until this process
holds the worker's advisory lock, standing by while another does, and let an outage be logged once
by the availability monitor instead of on every attempt."""

from __future__ import annotations

import logging
import threading

from adapters.persistence.advisory_lock import AdvisoryLock
from adapters.persistence.availability import AvailabilityMonitor


def wait_for_lead(lock: AdvisoryLock, availability: AvailabilityMonitor, stop: threading.Event, standby_interval: float,
                  log: logging.Logger, name: str, *, wait: bool = True) -> bool:
    """True once this process leads; False when stopped first (or, without `wait`, when another
    process leads now)."""
    waiting = False
    while not stop.is_set():
        try:
            if lock.try_acquire():
                availability.reachable()
                if waiting:
                    log.info("%s: took over", name)
                return True
        except Exception as error:  # noqa: BLE001 - the database may be down: try again
            if availability.refused(error) is None:  # an outage is logged once, by the monitor
                log.warning("%s: cannot take the lock: %r", name, error)
        if not wait:
            log.info("%s: another process leads", name)
            return False
        if not waiting:
            log.info("%s: another process leads; standing by", name)
            waiting = True
        stop.wait(standby_interval)
    return False
