"""A ledger on the lean recorder and its write services with a running group committer, for the
integration tests that work below the HTTP layer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from adapters.persistence.group_commit import GroupCommitter
from domain.ledger import Ledger
from domain.services import LedgerServices, ledger_services

PERSISTENCE_MODULE = "adapters.persistence.lean_recorder"


@contextmanager
def open_ledger(url: str) -> Iterator[Ledger]:
    app = Ledger(env={"PERSISTENCE_MODULE": PERSISTENCE_MODULE, "SQLALCHEMY_URL": url})
    try:
        yield app
    finally:
        app.close()


@contextmanager
def group_commit_services(ledger: Ledger) -> Iterator[LedgerServices]:
    committer = GroupCommitter(ledger)
    committer.start()
    try:
        yield ledger_services(ledger, committer)
    finally:
        committer.stop()
