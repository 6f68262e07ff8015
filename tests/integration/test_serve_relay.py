"""`ledger serve` with LEDGER_NATS_URL set relays events in the background; the relay stops cleanly
with the services."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

from adapters.nats.relay import NatsRelay
from api.bootstrap import bootstrap
from api.settings import Settings
from domain.enterprises.commands import EnterpriseSpec
from domain.shared.commands import CommandContext
from domain.shared.meta import Meta
from tests.support.builders import T0, a_credit_code
from tests.support.nats import SHARED_URL, delete_stream, unique_stream
from tests.support.postgres import fresh_database


def test_serve_runs_the_relay_when_nats_is_configured() -> None:
    stream = unique_stream()
    with fresh_database() as url:
        settings = Settings(database_url=url, jwt_secret="relay-test-secret", nats_url=SHARED_URL,
                            nats_stream=stream.name, nats_subject_prefix=stream.subject_prefix)
        services = bootstrap(settings)
        services.start()
        assert "nats-relay" in services.runtime.running
        try:
            request = uuid.uuid4().hex
            context = CommandContext(Meta("test", "cli", T0.replace(year=2027), request, request))
            services.write.enterprises.register(
                context, EnterpriseSpec(a_credit_code(), "示范企业", "410185", "machinery", "county", "张伟", "13800138000", T0)
            )
            relay = NatsRelay(services.ledger, services.engine, SHARED_URL, stream=stream.name, subject_prefix=stream.subject_prefix)
            deadline = time.monotonic() + 15
            while relay.status()["lag"] > 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert relay.status() == {"position": services.events.head(), "head": services.events.head(), "lag": 0}
        finally:
            services.close()
            asyncio.run(delete_stream(SHARED_URL, stream.name))
    assert services.runtime.running == []
    assert not any(t.name == "ledger-nats-relay" for t in threading.enumerate())  # joined on close
