"""The group committer on the real PostgreSQL: concurrent commands share transactions, yet each
gets its own answer, and the log stays complete and ordered."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from eventsourcing.persistence import IntegrityError

from adapters.persistence.group_commit import GroupCommitter
from domain.enterprises.commands import EnterpriseSpec
from domain.ledger import Ledger
from domain.risks.aggregate import ControlMeasure
from domain.risks.commands import RiskSpec
from domain.services import LedgerServices, ledger_services
from domain.shared.commands import CommandContext
from domain.shared.errors import CommandRefused, StaleVersion
from domain.shared.meta import Meta
from tests.support.builders import T0, a_credit_code
from tests.support.ledger import open_ledger
from tests.support.postgres import fresh_database



@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with fresh_database() as url, open_ledger(url) as app:
        yield app


@pytest.fixture
def committer(ledger: Ledger) -> Iterator[GroupCommitter]:
    group = GroupCommitter(ledger)
    group.start()
    yield group
    group.stop()


def ctx(expected_version: int | None = None) -> CommandContext:
    request = uuid.uuid4().hex
    return CommandContext(Meta("test", "rest", T0.replace(year=2027), request, request), expected_version)


def a_risk(code: str, level: str = "general") -> RiskSpec:
    scores = {"low": 50, "general": 90, "significant": 200, "major": 400}
    return RiskSpec(code, "罐区", "一号罐区", ["泄漏"], ["08"], "lec", scores[level], level,
                    [ControlMeasure("巡检", "team", "生产部", "李强")], T0)


def an_enterprise(services: LedgerServices) -> str:
    code = a_credit_code()
    services.enterprises.register(ctx(), EnterpriseSpec(code, "示范企业", "410185", "machinery", "county", "张伟", "13800138000", T0))
    return code


def test_concurrent_creates_share_transactions_and_all_land(ledger: Ledger, committer: GroupCommitter) -> None:
    services = ledger_services(ledger, committer)
    code = an_enterprise(services)
    with ThreadPoolExecutor(16) as pool:
        receipts = list(pool.map(lambda i: services.risks.identify(ctx(), code, a_risk(f"R-{i}")), range(200)))
    positions = sorted(r.position for r in receipts)
    assert len(set(positions)) == 200
    assert committer.batches < committer.commits  # some transactions carried several commands
    stored = ledger.recorder.select_notifications(start=1, limit=1000)
    assert [n.id for n in stored] == sorted(n.id for n in stored)
    assert set(positions) <= {n.id for n in stored}


def test_racing_changes_to_one_aggregate_each_get_their_own_answer(ledger: Ledger, committer: GroupCommitter) -> None:
    services = ledger_services(ledger, committer)
    code = an_enterprise(services)
    risk_id = services.risks.identify(ctx(), code, a_risk("R-race")).aggregate_id
    levels = ["low", "significant", "major", "low", "general", "major", "significant", "low"] * 3
    outcomes: list[str] = []
    lock = threading.Lock()

    def change(level: str) -> None:
        try:
            services.risks.change_level(ctx(), code, risk_id, level, "race", T0)
            result = "ok"
        except CommandRefused:
            result = "same level"
        with lock:
            outcomes.append(result)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(change, levels))
    risk = services.risks.get(code, risk_id)
    assert len(outcomes) == len(levels)
    assert risk.version == 1 + outcomes.count("ok")  # every success is one event, nothing lost or doubled


def test_stale_expected_version_is_refused_even_when_racing(ledger: Ledger, committer: GroupCommitter) -> None:
    services = ledger_services(ledger, committer)
    code = an_enterprise(services)
    risk_id = services.risks.identify(ctx(), code, a_risk("R-pin")).aggregate_id

    def pinned(level: str) -> str:
        try:
            services.risks.change_level(ctx(expected_version=1), code, risk_id, level, "pin", T0)
            return "ok"
        except StaleVersion:
            return "stale"

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(pinned, ["low", "significant", "major", "low"]))
    assert results.count("ok") == 1
    assert results.count("stale") == 3
    assert services.risks.get(code, risk_id).version == 2


def test_a_failing_hook_fails_only_its_own_command(ledger: Ledger, committer: GroupCommitter) -> None:
    services = ledger_services(ledger, committer)
    code = an_enterprise(services)
    head = ledger.recorder.max_notification_id()

    def boom(receipt, session) -> None:  # noqa: ANN001
        raise IntegrityError("hook refused")

    bad = CommandContext(ctx().meta, None, boom)
    with ThreadPoolExecutor(8) as pool:
        good = [pool.submit(services.risks.identify, ctx(), code, a_risk(f"G-{i}")) for i in range(7)]
        failing = pool.submit(services.risks.identify, bad, code, a_risk("BAD"))
        receipts = [f.result() for f in good]
        with pytest.raises(CommandRefused):
            failing.result()  # retried as a concurrent create, then given up: nothing written for it
    assert all(r.position for r in receipts)
    stored = ledger.recorder.select_notifications(start=head + 1, limit=100)
    assert len(stored) == 7
