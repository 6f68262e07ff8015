"""The composition root: the only place that picks concrete classes. Tests pass their own clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from adapters.crypto.tokens import TokenIssuer
from adapters.persistence.availability import AvailabilityMonitor
from adapters.persistence.call_log import CallLog
from adapters.persistence.handover import SecretHandover
from adapters.persistence.event_reader import EventReader
from adapters.persistence.group_commit import GroupCommitter
from adapters.persistence.idempotency import IdempotencyStore
from adapters.persistence.secrets import get_or_create_secret
from adapters.persistence.tables import metadata
from api.access import RateLimiter, SubscriptionGate, UserGate, standing_of
from api.settings import Settings
from domain.ledger import Ledger
from domain.risks.assessment import AssessmentBands
from domain.services import LedgerServices, ledger_services
from domain.shared.time import Clock
from projections.schema import create_bookkeeping
from schedulers.projection_worker import ProjectionWorker


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    clock: Clock
    ledger: Ledger
    write: LedgerServices
    committer: GroupCommitter
    engine: Engine
    idempotency: IdempotencyStore
    tokens: TokenIssuer
    events: EventReader
    call_log: CallLog
    client_tokens: TokenIssuer
    handover: SecretHandover
    gate: SubscriptionGate
    limiter: RateLimiter
    user_gate: UserGate

    projection_worker: ProjectionWorker | None = None
    relay_thread: threading.Thread | None = None
    relay_stop: threading.Event = field(default_factory=threading.Event)
    availability: AvailabilityMonitor = field(default_factory=AvailabilityMonitor)  # outages as requests see them

    def start(self) -> None:
        self.committer.start()
        self.call_log.start()
        if self.settings.nats_url:
            self.start_relay()
        if self.settings.projections == "background":
            self.start_projections()

    def start_projections(self) -> None:
        """Keep the read models current in a background thread (one process of a deployment leads)."""
        self.projection_worker = ProjectionWorker(
            self.ledger, poll_interval=self.settings.projection_poll_seconds,
            batch_size=self.settings.projection_batch_size,
        )
        self.projection_worker.start()

    def start_relay(self) -> None:
        """Publish every event to JetStream in a background thread. Safe in every worker: on
        PostgreSQL only the one holding the relay's advisory lock publishes."""
        from adapters.nats.relay import run_relay_forever

        self.relay_stop.clear()
        self.relay_thread = threading.Thread(
            target=run_relay_forever, name="ledger-nats-relay", daemon=True,
            args=(self.ledger, self.engine, self.settings.nats_url),
            kwargs={"stop": self.relay_stop, "stream": self.settings.nats_stream,
                    "subject_prefix": self.settings.nats_subject_prefix},
        )
        self.relay_thread.start()

    def close(self) -> None:
        """Drain pending commits first: nothing accepted is lost on a normal shutdown."""
        self.call_log.stop()  # first: its queued entries are written while the engine is still open
        self.committer.stop()
        if self.projection_worker is not None:
            self.projection_worker.stop()
            self.projection_worker = None
        if self.relay_thread is not None:
            self.relay_stop.set()
            self.relay_thread.join(timeout=30)
        self.ledger.close()


def bootstrap(settings: Settings, *, clock: Clock | None = None) -> Services:
    settings.ensure_sqlite_directory()
    ledger = Ledger(env=settings.eventsourcing_env())
    engine: Engine = ledger.recorder.datastore.engine  # type: ignore[attr-defined]
    metadata.create_all(engine, checkfirst=True)
    create_bookkeeping(engine)  # read-model positions and failures: health and GraphQL read them from the start
    if engine.dialect.name == "sqlite":
        # WAL before any background thread opens its own connection: the store switches lazily on
        # its first transaction, and that switch failed ("database is locked") when the projection
        # worker was already creating its tables. WAL also lets readers run beside the one writer.
        ledger.recorder.datastore.init_sqlite_wal_mode()  # type: ignore[attr-defined]
    committer = GroupCommitter(ledger, settings.group_commit_max_batch, settings.group_commit_linger_ms / 1000)
    key = settings.jwt_secret.encode() if settings.jwt_secret else get_or_create_secret(engine, "jwt_signing_key")
    write = ledger_services(ledger, committer, AssessmentBands.configured(settings.risk_bands, settings.risk_band_check))

    def is_live(subscription_id: str) -> bool:
        found = write.subscriptions.find(subscription_id)
        return found is not None and found.is_live

    return Services(
        availability=AvailabilityMonitor("api", database=settings.database_url).watch(engine),
        settings=settings,
        clock=clock or system_clock,
        ledger=ledger,
        write=write,
        committer=committer,
        engine=engine,
        idempotency=IdempotencyStore(engine),
        tokens=TokenIssuer(key, timedelta(minutes=settings.token_lifetime_minutes)),
        events=EventReader(ledger),
        call_log=CallLog(engine),
        client_tokens=TokenIssuer(key, timedelta(minutes=settings.client_token_lifetime_minutes)),
        handover=SecretHandover(engine),
        gate=SubscriptionGate(is_live, settings.subscription_check_seconds),
        limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        user_gate=UserGate(lambda username: standing_of(write.users.find(username)), settings.user_check_seconds),
    )
