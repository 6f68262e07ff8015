"""The notification log stays gapless in commit order under concurrent group-commit writers: a
follower tailing `id > last_seen` while 8 writers commit misses no event (the property every
projection and the relay depend on)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from adapters.persistence.group_commit import GroupCommitter
from domain.ledger import Ledger
from domain.services import ledger_services
from tests.integration.test_group_commit import a_risk, an_enterprise, ctx
from tests.support.postgres import fresh_database


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_database() as database_url:
        yield database_url


def test_a_tailing_follower_misses_nothing_while_eight_writers_commit(url: str) -> None:
    env = {"PERSISTENCE_MODULE": "adapters.persistence.lean_recorder", "SQLALCHEMY_URL": url}
    ledgers = [Ledger(env=env) for _ in range(8)]  # eight "processes", each with its own writer
    committers = [GroupCommitter(ledger) for ledger in ledgers]
    for committer in committers:
        committer.start()
    reader = Ledger(env=env)
    seen: list[int] = []
    done = threading.Event()

    def follow() -> None:
        last = 0
        while True:
            finished = done.is_set()
            batch = reader.recorder.select_notifications(start=last, limit=500, inclusive_of_start=False)
            seen.extend(n.id for n in batch)
            if batch:
                last = batch[-1].id
            elif finished:
                return

    follower = threading.Thread(target=follow)
    follower.start()
    try:
        services = [ledger_services(ledger, committer) for ledger, committer in zip(ledgers, committers, strict=True)]
        code = an_enterprise(services[0])

        def write(i: int) -> None:
            services[i % 8].risks.identify(ctx(), code, a_risk(f"R-{i}"))

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(write, range(800)))
    finally:
        done.set()
        follower.join(timeout=60)
        for committer in committers:
            committer.stop()
    everything = [n.id for n in reader.recorder.select_notifications(start=1, limit=10_000)]
    assert len(everything) == 801  # the enterprise and 800 risks
    assert seen == everything  # same events, same order, none skipped
    for ledger in [*ledgers, reader]:
        ledger.close()
