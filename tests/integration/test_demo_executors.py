"""One plan, two executors: through the application services (the demo seed) and on the fast path
(the benchmarks) they write the same events into two fresh ledgers.

Compared per log position: originator id, version, topic, and the whole decoded event state,
metadata included, except three fields that are per request or per process by nature:
- `meta.request_id` and `meta.correlation_id`: every command through a door gets a fresh id (the
  services executor draws them from its context factory like any CLI command); the fast path has
  no requests and numbers its steps instead;
- `timestamp`: the eventsourcing library stamps each event object with the wall clock when it is
  created (not the ledger time, which is `meta.recorded_at`), so two runs can never agree on it.
Everything else must match, including `meta.recorded_at` (the plan's simulated acceptance time),
the actor and the door, and the business times the commands state.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from api.demo.fast_path import FastPath, fill
from api.demo.plan import CST, AcceptRectification, Province, log_order
from api.demo.seeding import CALLS, SeedReport, run_steps
from domain.ledger import Ledger
from domain.shared.commands import CommandContext
from domain.shared.meta import Meta
from tests.support.ledger import group_commit_services, open_ledger
from tests.support.postgres import fresh_database

# Seed 15 is one whose 20 enterprises use every kind of command, the rare ones (change details,
# deregister) included; test_every_kind_of_command_is_compared keeps it honest.
PROVINCE = Province(seed=15, end=datetime(2026, 3, 1, tzinfo=CST), days=90)
ENTERPRISES = 20
ACTOR = "cli:tester"
PER_REQUEST = ("request_id", "correlation_id")


@pytest.fixture(params=["postgres", "sqlite"])
def two_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    else:
        with fresh_database("demo_services") as a, fresh_database("demo_fast") as b:
            yield a, b


def context() -> CommandContext:
    request = uuid.uuid4().hex
    return CommandContext(Meta(ACTOR, "cli", datetime.now(CST), request, request))


def comparable(ledger: Ledger) -> list[tuple[Any, ...]]:
    rows = []
    for notification in ledger.recorder.select_notifications(start=1, limit=100_000):
        event = ledger.mapper.to_domain_event(notification)
        state = {k: v for k, v in vars(event).items() if k != "timestamp"}
        meta = state.pop("meta").as_dict()
        rows.append((notification.id, event.originator_id, event.originator_version, notification.topic,
                     state, {k: v for k, v in meta.items() if k not in PER_REQUEST}))
    return rows


def run_through_services(url: str) -> SeedReport:
    with open_ledger(url) as ledger, group_commit_services(ledger) as services:
        report = SeedReport()
        for steps in log_order(PROVINCE.enterprises(ENTERPRISES), chunk=8):
            run_steps(services, steps, context, report)
        return report


def test_services_and_fast_path_write_the_same_events(two_urls: tuple[str, str]) -> None:
    through_services, fast = two_urls
    report = run_through_services(through_services)
    with open_ledger(fast) as ledger:
        filled = fill(ledger, PROVINCE, enterprises=ENTERPRISES, chunk=8, fast=FastPath(actor=ACTOR))
    assert filled.events == report.events > 200
    with open_ledger(through_services) as a, open_ledger(fast) as b:
        left, right = comparable(a), comparable(b)
    assert len(left) == len(right) == report.events
    for x, y in zip(left, right):
        assert x == y


def test_every_kind_of_command_is_compared() -> None:
    kinds = {type(s.command) for plan in PROVINCE.enterprises(ENTERPRISES) for s in plan.steps}
    assert kinds == set(CALLS)
    passed = {s.command.passed for plan in PROVINCE.enterprises(ENTERPRISES) for s in plan.steps
              if isinstance(s.command, AcceptRectification)}
    assert passed == {True, False}


def test_rerunning_the_plan_through_the_services_writes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    first = run_through_services(url)
    again = run_through_services(url)
    assert first.events > 0 and again.events == 0
    assert again.unchanged + again.skipped == first.events  # skipped: steps of a deregistered enterprise


def test_an_interrupted_seed_resumes_where_it_stopped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    steps = [s for chunk in log_order(PROVINCE.enterprises(6), chunk=None) for s in chunk]
    with open_ledger(url) as ledger, group_commit_services(ledger) as services:
        half = run_steps(services, steps[: len(steps) // 2], context)
        rest = run_steps(services, steps, context)
        head = ledger.recorder.max_notification_id()
    assert half.events + rest.events == len(steps) == head
    assert rest.unchanged == half.events
