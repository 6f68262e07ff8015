"""The NATS relay on the real PostgreSQL and real nats-servers: every ledger event reaches JetStream
once, in log order, with the documented subject, headers and payload; re-publishes are de-duplicated;
an outage delays events but never loses, skips or doubles one."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from nats.js.api import ConsumerConfig

from adapters.nats.relay import NatsRelay, RelayError
from domain.enterprises.commands import EnterpriseCommands, EnterpriseSpec
from domain.hazards.commands import HazardSpec
from domain.identity.commands import UserSpec
from domain.ledger import Ledger
from domain.risks.aggregate import ControlMeasure
from domain.risks.commands import RiskSpec
from domain.services import LedgerServices
from domain.shared.commands import CommandContext
from domain.shared.meta import Meta
from domain.subscriptions.aggregate import Subscription
from tests.support.builders import T0, a_credit_code
from tests.support.nats import (
    SHARED_URL,
    TestStream,
    connect,
    delete_stream,
    private_nats_server,
    unique_stream,
)
from tests.support.ledger import group_commit_services, open_ledger
from tests.support.postgres import fresh_database

PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0c2FsdA$notarealhashbutsecretenough"
SECRET_HASH = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
NOW = T0.replace(year=2027)


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with fresh_database() as url, open_ledger(url) as app:
        yield app


@pytest.fixture
def services(ledger: Ledger) -> Iterator[LedgerServices]:
    with group_commit_services(ledger) as services:
        yield services


@pytest.fixture
def stream() -> Iterator[TestStream]:
    test_stream = unique_stream()
    yield test_stream
    asyncio.run(delete_stream(SHARED_URL, test_stream.name))


def a_relay(ledger: Ledger, stream: TestStream, url: str = SHARED_URL, **options: Any) -> NatsRelay:
    engine = ledger.recorder.datastore.engine  # type: ignore[attr-defined]
    return NatsRelay(ledger, engine, url, stream=stream.name, subject_prefix=stream.subject_prefix, **options)


def ctx() -> CommandContext:
    request = uuid.uuid4().hex
    return CommandContext(Meta("user:tester", "rest", NOW, request, f"corr-{request}", "cause-1"))


def write_events(services: LedgerServices) -> None:
    """One enterprise's day: registration, a risk raised to major, a hazard reported rectified, a new
    user (password hash) and an approved subscription (secret hash)."""
    code = a_credit_code()
    services.enterprises.register(ctx(), EnterpriseSpec(code, "示范企业", "410185", "machinery", "county", "张伟", "13800138000", T0))
    risk = services.risks.identify(ctx(), code, RiskSpec(
        f"R-{uuid.uuid4().hex[:6]}", "罐区", "一号罐区", ["泄漏"], ["08"], "lec", 90, "general",
        [ControlMeasure("巡检", "team", "生产部", "李强")], T0))
    services.risks.change_level(ctx(), code, risk.aggregate_id, "major", "泄漏风险上升", T0 + timedelta(days=1))
    hazard = services.hazards.register(ctx(), code, HazardSpec(
        f"H-{uuid.uuid4().hex[:6]}", "报警器失效", "2 号报警器无响应", "general", "self_inspection",
        T0 + timedelta(days=2), "王磊", "deadline", T0 + timedelta(days=9)))
    services.hazards.report_rectification(ctx(), code, hazard.aggregate_id, "更换报警器", T0 + timedelta(days=3), "王磊", 1200.0)
    services.users.add(ctx(), UserSpec(f"admin-{uuid.uuid4().hex[:6]}", "admin"), PASSWORD_HASH)
    meta = ctx().meta
    subscription = Subscription(
        enterprise_id=str(EnterpriseCommands.id_of(code)), credit_code=code, interfaces=("risk.add",),
        purpose="对接", contact_name="张伟", contact_mobile="13800138000", at=NOW, meta=meta,
    )
    subscription.approve(SECRET_HASH, NOW, meta)
    services.ledger.save(subscription)


def ledger_positions(ledger: Ledger) -> list[int]:
    return [n.id for n in ledger.recorder.select_notifications(0, 100_000, inclusive_of_start=False)]


@dataclass
class Received:
    subject: str
    headers: dict[str, str]
    data: bytes
    stream_seq: int

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.data)


async def consume(url: str, stream: TestStream) -> list[Received]:
    """Everything in the stream, through a JetStream pull consumer, in stream order."""
    nc = await connect(url)
    try:
        js = nc.jetstream()
        total = (await js.stream_info(stream.name)).state.messages
        sub = await js.pull_subscribe(f"{stream.subject_prefix}.>", stream=stream.name,
                                      config=ConsumerConfig(inactive_threshold=10))
        received: list[Received] = []
        while len(received) < total:
            for msg in await sub.fetch(batch=200, timeout=5):
                received.append(Received(msg.subject, dict(msg.headers or {}), msg.data, msg.metadata.sequence.stream))
                await msg.ack()
        await sub.unsubscribe()
        return received
    finally:
        await nc.close()


async def relay_all(relay: NatsRelay, limit: int | None = None) -> int:
    total = 0
    while count := await relay.relay_once(limit):
        total += count
    return total


async def eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


def test_every_event_arrives_once_in_log_order_with_subject_headers_and_payload(
    ledger: Ledger, services: LedgerServices, stream: TestStream
) -> None:
    write_events(services)
    write_events(services)
    positions = ledger_positions(ledger)
    relay = a_relay(ledger, stream)

    async def scenario() -> list[Received]:
        try:
            assert await relay_all(relay, limit=5) == len(positions)  # several batches, chained across batches
        finally:
            await relay.close()
        return await consume(SHARED_URL, stream)

    received = asyncio.run(scenario())

    assert [r.body["position"] for r in received] == positions
    assert [r.stream_seq for r in received] == list(range(1, len(positions) + 1))
    assert relay.status() == {"position": positions[-1], "head": positions[-1], "lag": 0}
    notifications = ledger.recorder.select_notifications(0, 1000, inclusive_of_start=False)
    for r, n in zip(received, notifications):
        assert r.headers["Nats-Msg-Id"] == f"ledger:{n.id}"
        assert r.headers["Ledger-Position"] == str(n.id)
        assert r.headers["Ledger-Topic"] == n.topic
        body = r.body
        assert body["aggregate_id"] == str(n.originator_id)
        assert body["version"] == n.originator_version
        assert body["topic"] == n.topic
        assert r.subject == f"{stream.subject_prefix}.{body['aggregate_type'].lower()}.{body['type'].lower()}"
        assert set(body["metadata"]) == {"actor", "channel", "request_id", "correlation_id", "causation_id", "recorded_at"}
        assert body["metadata"]["actor"] == "user:tester"
        assert body["metadata"]["causation_id"] == "cause-1"
        assert body["metadata"]["recorded_at"] == NOW.isoformat()
        assert body["metadata"]["correlation_id"] == f"corr-{body['metadata']['request_id']}"
        assert not {"password_hash", "secret_hash"} & set(body["data"])
        assert PASSWORD_HASH.encode() not in r.data and SECRET_HASH.encode() not in r.data

    subjects = [r.subject.split(".", 1)[1] for r in received[: len(positions) // 2]]
    assert subjects == [
        "enterprise.registered", "risk.identified", "risk.upgraded", "hazard.registered",
        "hazard.rectificationreported", "user.registered", "subscription.applied", "subscription.approved",
    ]
    upgraded = received[2].body
    assert upgraded["aggregate_type"] == "Risk" and upgraded["type"] == "Upgraded"
    assert upgraded["topic"] == "domain.risks.aggregate:Risk.Upgraded"
    assert upgraded["data"]["reason"] == "泄漏风险上升"
    assert upgraded["business_time"] == (T0 + timedelta(days=1)).isoformat()
    assert "meta" not in upgraded["data"] and "at" not in upgraded["data"]
    registered = received[0].body["data"]
    assert registered["name"] == "示范企业"
    assert isinstance(received[1].body["data"]["enterprise_id"], str)
    user = received[5].body
    assert "password_hash" not in user["data"] and user["redacted"] == ["password_hash"]
    assert received[7].body["redacted"] == ["secret_hash"]


def test_republishing_from_an_older_position_adds_no_duplicates(
    ledger: Ledger, services: LedgerServices, stream: TestStream
) -> None:
    write_events(services)
    positions = ledger_positions(ledger)
    relay = a_relay(ledger, stream)

    async def scenario() -> list[Received]:
        try:
            await relay_all(relay)
            # A crash after JetStream stored the events but before the tracking row was written:
            relay.set_position(positions[1])
            assert await relay_all(relay) == len(positions) - 2
            assert relay.duplicates == len(positions) - 2  # every re-publish answered "duplicate"
            write_events(services)  # and the chain continues after the re-published ones
            await relay_all(relay)
        finally:
            await relay.close()
        return await consume(SHARED_URL, stream)

    received = asyncio.run(scenario())
    everything = ledger_positions(ledger)
    assert [r.body["position"] for r in received] == everything
    assert relay.published == len(everything)
    assert relay.status()["lag"] == 0


def test_a_republish_after_the_duplicate_window_resumes_after_the_streams_last_event(
    ledger: Ledger, services: LedgerServices, stream: TestStream
) -> None:
    write_events(services)
    positions = ledger_positions(ledger)
    relay = a_relay(ledger, stream, duplicate_window=0.3)

    async def scenario() -> list[Received]:
        try:
            await relay_all(relay)
            relay.set_position(0)  # e.g. the tracking row was lost
            await asyncio.sleep(1.0)  # JetStream forgot the message ids: de-duplication alone would double them
            assert await relay_all(relay) == 0
            assert relay.resyncs == 1 and relay.position() == positions[-1]
            write_events(services)
            await relay_all(relay)
        finally:
            await relay.close()
        return await consume(SHARED_URL, stream)

    received = asyncio.run(scenario())
    assert [r.body["position"] for r in received] == ledger_positions(ledger)


def test_a_deleted_and_recreated_stream_is_filled_again_from_the_start(
    ledger: Ledger, services: LedgerServices, stream: TestStream
) -> None:
    write_events(services)
    relay = a_relay(ledger, stream)

    async def scenario() -> list[Received]:
        try:
            await relay_all(relay)
            await delete_stream(SHARED_URL, stream.name)
            write_events(services)
            with pytest.raises(RelayError):
                await relay.relay_once()  # no stream answers; tracking stays
            await relay_all(relay)  # reconnects, re-creates the stream, starts it from the first event
            assert relay.resyncs == 1
        finally:
            await relay.close()
        return await consume(SHARED_URL, stream)

    received = asyncio.run(scenario())
    assert [r.body["position"] for r in received] == ledger_positions(ledger)


def test_an_outage_delays_events_but_loses_skips_or_doubles_none(ledger: Ledger, services: LedgerServices) -> None:
    stream = unique_stream()
    with private_nats_server() as server:
        relay = a_relay(ledger, stream, server.url, poll_interval=0.05, backoff_max=0.4, ack_timeout=2.0)

        async def scenario() -> list[Received]:
            stop = asyncio.Event()
            running = asyncio.create_task(relay.run(stop))
            try:
                await asyncio.to_thread(write_events, services)
                await eventually(lambda: relay.status()["lag"] == 0, 10, "the relay to catch up")
                delivered = relay.position()

                server.stop()
                for _ in range(3):
                    await asyncio.to_thread(write_events, services)  # commands do not depend on NATS
                failures_before = relay.failures
                await asyncio.sleep(1.0)
                assert relay.failures > failures_before + 1  # it keeps retrying ...
                assert relay.position() == delivered  # ... without advancing its tracking row
                assert relay.status()["lag"] > 0

                server.start()
                await eventually(lambda: relay.status()["lag"] == 0, 10, "the relay to catch up after the outage")
                await asyncio.to_thread(write_events, services)
                await eventually(lambda: relay.status()["lag"] == 0, 10, "the relay to follow new events")
            finally:
                stop.set()
                await asyncio.wait_for(running, 10)
            return await consume(server.url, stream)

        received = asyncio.run(scenario())
    positions = ledger_positions(ledger)
    assert [r.body["position"] for r in received] == positions  # exactly the log: in order, no gap, no duplicate
    assert [r.stream_seq for r in received] == list(range(1, len(positions) + 1))


def test_a_purged_stream_continues_from_the_tracking_row(ledger: Ledger, services: LedgerServices) -> None:
    stream = unique_stream()
    with private_nats_server() as server:
        relay = a_relay(ledger, stream, server.url)

        async def scenario() -> list[Received]:
            try:
                write_events(services)
                await relay_all(relay)
                purged.append(relay.position())
                nc = await connect(server.url)
                await nc.jetstream().purge_stream(stream.name)  # an operator drops the history
                await nc.close()
                await relay.close()
                server.stop()
                server.start()  # and the restarted server no longer knows the last message id
                write_events(services)
                await relay_all(relay)
                assert relay.resyncs == 1
            finally:
                await relay.close()
            return await consume(server.url, stream)

        purged: list[int] = []
        received = asyncio.run(scenario())
    after = [p for p in ledger_positions(ledger) if p > purged[0]]
    assert len(after) == 8
    assert [r.body["position"] for r in received] == after
