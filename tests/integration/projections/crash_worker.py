"""A catch-up worker process for the crash test: `python -m tests.integration.projections.crash_worker URL BATCH`.

It catches up every projection and exits; the test kills it with SIGKILL part way through."""

from __future__ import annotations

import sys

from domain.ledger import Ledger
from projections.runner import ProjectionRunner

if __name__ == "__main__":
    url, batch = sys.argv[1], int(sys.argv[2])
    ledger = Ledger(env={"PERSISTENCE_MODULE": "adapters.persistence.lean_recorder", "SQLALCHEMY_URL": url})
    runner = ProjectionRunner(ledger, batch_size=batch)
    runner.ensure_current()
    print("started", flush=True)
    runner.catch_up()
    print("done", flush=True)
