"""Run by tests/integration/test_exchange.py in a subprocess: an incremental exchange that kills
itself (SIGKILL, no cleanup of any kind) inside the transaction of table argv[3], after its first
row is written. Usage: exchange_crash_worker.py <ledger url> <front-end url> <table>"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from pathlib import Path

from sqlalchemy import create_engine

from adapters.frontend.exchange import FrontendExchange
from projections.ministry.catalogue import CATALOGUE
from schedulers.exchange import Exchanger, Hooks
from tests.unit.domain.helpers import NOW


def main() -> None:
    ledger_url, frontend_url, victim = sys.argv[1:4]

    def kill(table: str, written: int) -> None:
        if table == victim and written >= 1:
            os.kill(os.getpid(), signal.SIGKILL)

    exchanger = Exchanger(create_engine(ledger_url), FrontendExchange(create_engine(frontend_url), CATALOGUE.tables),
                          Path(tempfile.mkdtemp()), clock=lambda: NOW, hooks=Hooks(after_chunk=kill), chunk=1)
    exchanger.run()
    sys.exit("the exchanger was not killed: the victim table had nothing to send")


if __name__ == "__main__":
    main()
