"""The composition root: the only place that picks concrete classes. Tests pass their own clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from adapters.crypto.tokens import TokenIssuer
from adapters.persistence.availability import AvailabilityMonitor
from adapters.persistence.call_log import CallLog
from adapters.persistence.handover import SecretHandover
from adapters.persistence.event_reader import EventReader
from adapters.persistence.group_commit import GroupCommitter
from adapters.persistence.idempotency import IdempotencyStore
from adapters.persistence.secrets import get_or_create_secret
from adapters.persistence.tables import create_missing, metadata
from api.access import RateLimiter, SubscriptionGate, UserGate, standing_of
from api.settings import Settings
from domain.ledger import Ledger
from domain.risks.assessment import AssessmentBands
from domain.services import LedgerServices, ledger_services
from domain.shared.time import Clock
from projections.schema import failures, tracking
from adapters.nats.relay import run_relay_forever
from adapters.persistence.advisory_lock import AdvisoryLock
from adapters.sms.gateway import gateway_from_setting
from api.runtime import Part, Runtime, ThreadPart
from projections.live import LiveTables
from schedulers.dispatcher import Dispatcher
from schedulers.reminder_jobs import (DISPATCH_LOCK, SCAN_LOCK, DispatchJob, ReminderScanJob, ReminderScheduler,
                                      mobile_lookup)
from projections.runner import ProjectionRunner, projection_engine
from schedulers.projection_worker import ProjectionWorker
from adapters.audit.seal import Seal
from schedulers.seal_worker import SealWorker
from projections.ministry.exchange_log import exchange_log
from schedulers.exchange import CRONS, ExchangeScheduler, build_exchanger
from projections.ministry.tables import Frequency


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

    availability: AvailabilityMonitor = field(default_factory=AvailabilityMonitor)  # outages as requests see them
    runtime: Runtime = field(default_factory=lambda: Runtime([]))
    reminder_scan: ReminderScanJob | None = None
    dispatch: DispatchJob | None = None
    seal: Seal | None = None  # the hash-chain seal (docs/audit-seal.md)

    def new_projection_runner(self, batch_size: int | None = None) -> ProjectionRunner:
        """A runner with an engine of its own on the ledger's database (for `ledger projections`)."""
        return projection_runner(self.ledger, batch_size or self.settings.projection_batch_size)

    def start(self) -> None:
        """Start the background parts bootstrap chose (see api/runtime.py for the order)."""
        self.runtime.start()

    def close(self) -> None:
        """Stop the background parts, each draining what it holds, then close the store."""
        self.runtime.stop()
        self.ledger.close()


def build_ledger(settings: Settings) -> Ledger:
    """The one way a process opens the ledger (the store and its engine)."""
    settings.ensure_sqlite_directory()
    return Ledger(env=settings.eventsourcing_env())


def projection_runner(ledger: Ledger, batch_size: int) -> ProjectionRunner:
    return ProjectionRunner(ledger, engine=projection_engine(ledger), owns_engine=True, batch_size=batch_size)


def reminder_jobs(settings: Settings, write: LedgerServices, engine: Engine) -> tuple[ReminderScanJob, DispatchJob]:
    live = LiveTables(engine)
    gateway = gateway_from_setting(settings.sms_gateway, template_id=settings.sms_template_id,
                                   signature=settings.sms_signature, timeout_seconds=settings.sms_timeout_seconds,
                                   retries=settings.sms_retries)
    dispatcher = Dispatcher(live, write.reminders, gateway, mobile_lookup(write), write.rules.in_force)
    return (ReminderScanJob(write, live, AdvisoryLock(engine, SCAN_LOCK), concurrency=settings.reminder_scan_concurrency),
            DispatchJob(dispatcher, AdvisoryLock(engine, DISPATCH_LOCK)))


def background_parts(settings: Settings, ledger: Ledger, engine: Engine, committer: GroupCommitter,
                     call_log: CallLog, reminders: ReminderScheduler | None) -> list[Part]:
    """What runs beside the requests, in start order: the committer first (others write through
    it), the call log, then the workers that follow the log."""
    parts = [Part("group-commit", committer), Part("call-log", call_log)]
    if settings.nats_url:
        parts.append(Part("nats-relay", ThreadPart("ledger-nats-relay", lambda stop: run_relay_forever(
            ledger, engine, settings.nats_url or "", stop=stop, stream=settings.nats_stream,
            subject_prefix=settings.nats_subject_prefix))))
    if settings.projections == "background":
        runner = projection_runner(ledger, settings.projection_batch_size)
        parts.append(Part("projections", ProjectionWorker(None, runner=runner, poll_interval=settings.projection_poll_seconds)))
    if reminders is not None:
        parts.append(Part("reminders", reminders))
    return parts


def build_seal(settings: Settings, ledger: Ledger, engine: Engine, clock: Clock) -> Seal:
    events = ledger.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
    trusted = [f.strip() for f in (settings.seal_trusted_keys or "").split(",") if f.strip()]
    return Seal.build(engine, events, clock, key_setting=settings.seal_key, key_file=settings.seal_key_file,
                      trusted_key_files=trusted, checkpoint_events=settings.seal_checkpoint_events,
                      sign_seconds=settings.seal_sign_seconds)


def bootstrap(settings: Settings, *, clock: Clock | None = None) -> Services:
    ledger = build_ledger(settings)
    engine: Engine = ledger.recorder.datastore.engine  # type: ignore[attr-defined]
    # The ledger's own tables, and the read-model positions and failures (health and GraphQL read
    # them from the start); processes starting together may race to create them.
    create_missing(engine, [*metadata.sorted_tables, tracking, failures, exchange_log])
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

    call_log = CallLog(engine)
    clock = clock or system_clock
    scan, dispatch = reminder_jobs(settings, write, engine)
    scheduler = (ReminderScheduler(scan, dispatch, clock, settings.reminder_scan_cron, settings.dispatch_seconds)
                 if settings.reminders == "background" else None)
    seal = build_seal(settings, ledger, engine, clock)
    parts = background_parts(settings, ledger, engine, committer, call_log, scheduler)
    if settings.seal == "background":
        seal.key()  # a bad LEDGER_SEAL_KEY stops the start, not the seal an hour later
        parts.append(Part("seal", SealWorker(seal, poll_interval=settings.seal_poll_seconds)))
    if settings.frontend_url and settings.exchange == "background":
        # the ministry exchange on each table's frequency (off unless a front-end database is set)
        crons = CRONS | {Frequency.HOURLY: settings.exchange_hourly_cron, Frequency.DAILY: settings.exchange_daily_cron}
        exchanger = build_exchanger(projection_engine(ledger), settings.frontend_url, Path(settings.frontend_root), clock,
                                    crons)
        parts.append(Part("exchange", ExchangeScheduler(exchanger)))
    return Services(
        runtime=Runtime(parts),
        seal=seal,
        reminder_scan=scan,
        dispatch=dispatch,
        availability=AvailabilityMonitor("api", database=settings.database_url).watch(engine),
        settings=settings,
        clock=clock,
        ledger=ledger,
        write=write,
        committer=committer,
        engine=engine,
        idempotency=IdempotencyStore(engine),
        tokens=TokenIssuer(key, timedelta(minutes=settings.token_lifetime_minutes)),
        events=EventReader(ledger),
        call_log=call_log,
        client_tokens=TokenIssuer(key, timedelta(minutes=settings.client_token_lifetime_minutes)),
        handover=SecretHandover(engine),
        gate=SubscriptionGate(is_live, settings.subscription_check_seconds),
        limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        user_gate=UserGate(lambda username: standing_of(write.users.find(username)), settings.user_check_seconds),
    )
