"""The ministry exchange: staging rows (the `ministry` projection) -> the front-end database.

One batch per table: the staging rows whose ledger position lies in the half-open range
(watermark, head], where head is the ministry projection's position read in the same snapshot as
the rows (every staging row at or below it is committed). The completeness check reports the
batch's findings; the table's policy holds rows back or sends them (projections/ministry/policy.py).
The rows, the batch's log row and the new watermark are written in one front-end transaction
(adapters/frontend/exchange.py): a crash leaves the old watermark, and the next run sends the
same range again as upserts. Then the batch is logged in the ledger's database (the admins' view).

Full load (存量): the same path with the range (0, head], every staging row of the table, and a
`<table>_his.sql` script under the front-end root. A full load after incremental batches writes
the same rows and values: the upsert by CD_ID keeps one row per record either way.

Tables are exchanged one after the other, each in its own transaction: one that fails is logged
(in the exchange log, and once on the logger until it works again) and does not stop the others.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import and_, func, select
from sqlalchemy.engine import Engine

from adapters.frontend.exchange import FrontendExchange, Watermark
from adapters.persistence.advisory_lock import AdvisoryLock
from adapters.persistence.availability import AvailabilityMonitor
from projections.live import LiveTables, Snapshot
from projections.ministry import exchange_log
from projections.ministry.catalogue import CATALOGUE
from projections.ministry.policy import FindingSummary, outgoing, policy_of
from projections.ministry.projection import MinistryProjection
from projections.ministry.staging import checksum, plain, row_hash
from projections.ministry.tables import OPERATIONS, SOURCE_HENAN, Fill, Frequency, Kind, Table, batch_number

log = logging.getLogger("ledger.exchange")

CHINA = ZoneInfo("Asia/Shanghai")
EXCHANGE_LOCK = "ledger-ministry-exchange"
CHUNK = 5000
EXCHANGED = tuple(t for t in CATALOGUE if t.fill is Fill.LEDGER)  # the tables the ledger fills
RECOVERY_DAYS = 7
CRONS = {Frequency.HOURLY: "10 * * * *", Frequency.DAILY: "30 1 * * *"}  # China time


class ExchangeBusy(RuntimeError):
    """Another exchanger of this deployment holds the lock."""


@dataclass
class BatchResult:
    table: str
    kind: str
    batch_number: str | None
    from_position: int
    to_position: int
    counts: dict[str, int] = field(default_factory=lambda: {"i": 0, "u": 0, "d": 0})
    held_back: int = 0
    checksum: str | None = None
    findings: FindingSummary = field(default_factory=FindingSummary)
    seconds: float = 0.0
    result: str = "ok"  # ok | failed | empty
    error: str | None = None
    script: Path | None = None

    def summary(self) -> str:
        if self.result == "failed":
            return f"{self.table}: {self.kind} batch failed: {self.error}"
        if self.result == "empty":
            return f"{self.table}: nothing changed in ({self.from_position}, {self.to_position}]"
        return (f"{self.table}: {self.kind} batch {self.batch_number} ({self.from_position}, {self.to_position}] "
                f"i={self.counts['i']} u={self.counts['u']} d={self.counts['d']} held back={self.held_back} "
                f"checksum={(self.checksum or '')[:16]} in {self.seconds:.2f}s")


@dataclass
class Hooks:
    """Fault injection for the recovery tests: called inside a batch's transaction after each chunk
    of rows is written, and between tables."""

    after_chunk: Callable[[str, int], None] | None = None
    between_tables: Callable[[str], None] | None = None


@dataclass(frozen=True, slots=True)
class Difference:
    cd_id: str
    what: str  # missing in the front-end | not in staging | differs


@dataclass
class Reconciliation:
    table: str
    watermark: int
    staging_rows: int = 0  # rows the front-end should hold (sent by a batch up to the watermark)
    frontend_rows: int = 0
    held_back: int = 0
    pending: int = 0  # changed after the watermark: the next batch sends them
    missing: list[str] = field(default_factory=list)  # in staging, not in the front-end
    unexpected: list[str] = field(default_factory=list)  # in the front-end, not in staging (or held back)
    differing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.differing)


def now_china(now: datetime) -> datetime:
    return now.astimezone(CHINA).replace(tzinfo=None, microsecond=0)


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A staging row (JSON values) as the front-end columns take them."""
    out = {}
    for column in table.columns:
        value = row.get(column.name)
        if value is not None:
            if column.kind is Kind.DATETIME and isinstance(value, str):
                value = datetime.fromisoformat(value)
            elif column.kind is Kind.DATE and isinstance(value, str):
                value = date.fromisoformat(value[:10])
            elif column.kind is Kind.INTEGER:
                value = int(value)
            elif column.kind is Kind.DECIMAL:
                value = Decimal(str(value))
        out[column.name] = value
    return out


def frontend_hash(table: Table, row: dict[str, Any], operation: str) -> str:
    """The hash of a business row as either side holds it (values as JSON holds them)."""
    return row_hash({c.name: plain(row.get(c.name)) for c in table.columns}, operation)


class Exchanger:
    def __init__(self, ledger_engine: Engine, frontend: FrontendExchange, root: Path,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), lock: AdvisoryLock | None = None,
                 hooks: Hooks | None = None, chunk: int = CHUNK, crons: dict[Frequency, str] | None = None) -> None:
        self.engine = ledger_engine
        self.crons = crons or CRONS
        self.frontend = frontend
        self.root = root
        self.clock = clock
        self.live = LiveTables(ledger_engine, [MinistryProjection()])
        self.lock = lock or AdvisoryLock(ledger_engine, EXCHANGE_LOCK)
        self.hooks = hooks or Hooks()
        self.chunk = chunk
        self._ready = False

    # --- entry points ----------------------------------------------------------------------------

    @staticmethod
    def tables(only: str | Sequence[str] | None = None) -> list[Table]:
        if only is None:
            return list(EXCHANGED)
        names = [only] if isinstance(only, str) else list(only)
        unknown = [n for n in names if n not in {t.name for t in EXCHANGED}]
        if unknown:
            raise KeyError(f"{unknown[0]!r} is not a table the ledger fills; choose one of: "
                           + ", ".join(t.name for t in EXCHANGED))
        return [t for t in EXCHANGED if t.name in names]

    def run(self, only: str | Sequence[str] | None = None, *, full: bool = False) -> list[BatchResult]:
        """One batch per table (incremental, or full); a table that fails does not stop the others."""
        if not self.lock.try_acquire():
            raise ExchangeBusy("another exchanger of this deployment is running (advisory lock held)")
        try:
            self._prepare()
            results = []
            tables = self.tables(only)
            for index, table in enumerate(tables):
                if index and self.hooks.between_tables is not None:
                    self.hooks.between_tables(table.name)
                results.append(self._guarded(table, full))
            return results
        finally:
            self.lock.release()

    def full(self, only: str | Sequence[str] | None = None) -> list[BatchResult]:
        return self.run(only, full=True)

    def _prepare(self) -> None:
        if not self._ready:
            exchange_log.ensure(self.engine)
            self.frontend.ensure()
            self._ready = True
        self._recover_log()

    def _recover_log(self) -> None:
        """Copy back batches committed in the front-end whose ledger log row was lost (looked for in
        the last RECOVERY_DAYS: the next run after a crash finds them, and older ones were found then)."""
        written = self.frontend.batch_log(since=now_china(self.clock()) - timedelta(days=RECOVERY_DAYS))
        with self.engine.begin() as conn:
            known = exchange_log.known_batches(conn)
            for row in written:
                if (row["table_name"], row["cd_batch"]) in known:
                    continue
                counts = {"i": row["inserted"], "u": row["updated"], "d": row["deleted"]}
                started = row["started_at"].replace(tzinfo=CHINA)
                exchange_log.record(conn, {
                    "table_name": row["table_name"], "kind": row["kind"], "batch_number": row["cd_batch"],
                    "from_position": row["from_position"], "to_position": row["to_position"],
                    "inserted": counts["i"], "updated": counts["u"], "deleted": counts["d"],
                    "held_back": row["held_back"], "checksum": row["checksum"], "findings": json.loads(row["findings"]),
                    "started_at": started,
                    "duration_ms": int((row["written_at"] - row["started_at"]).total_seconds() * 1000),
                    "result": "recovered", "error": None,
                })
                log.warning("%s: batch %s was written to the front-end database but not logged here "
                            "(a crash between the two commits); logged now", row["table_name"], row["cd_batch"])

    def _guarded(self, table: Table, full: bool) -> BatchResult:
        started = self.clock()
        began = time.perf_counter()
        try:
            result = self._batch(table, full, started)
        except Exception as error:  # noqa: BLE001 - one table's failure must not stop the others
            result = BatchResult(table.name, "full" if full else "incremental", None, 0, 0, result="failed",
                                 error=f"{type(error).__name__}: {' '.join(str(error).split())}"[:2000])
            result.seconds = time.perf_counter() - began
            self._log(result, started)
            return result
        result.seconds = time.perf_counter() - began
        if result.result != "empty":
            self._log(result, started)
        return result

    def _log(self, result: BatchResult, started: datetime) -> None:
        try:
            with self.engine.begin() as conn:
                exchange_log.record(conn, {
                    "table_name": result.table, "kind": result.kind, "batch_number": result.batch_number,
                    "from_position": result.from_position, "to_position": result.to_position,
                    "inserted": result.counts["i"], "updated": result.counts["u"], "deleted": result.counts["d"],
                    "held_back": result.held_back, "checksum": result.checksum, "findings": result.findings.as_json(),
                    "started_at": started, "duration_ms": int(result.seconds * 1000), "result": result.result,
                    "error": result.error,
                })
        except Exception as error:  # noqa: BLE001 - the front-end holds the truth; the next run recovers the row
            log.warning("%s: could not log the batch in the ledger database: %s", result.table, error)

    # --- one batch -------------------------------------------------------------------------------

    def _batch(self, table: Table, full: bool, started: datetime) -> BatchResult:
        mark = self.frontend.watermark(table.name)
        start = 0 if full else mark.position
        kind = "full" if full else "incremental"
        policy = policy_of(table.name).policy

        def work(snapshot: Snapshot) -> BatchResult:
            head = snapshot.positions["ministry"]
            result = BatchResult(table.name, kind, None, start, head)
            if head <= start and not full:
                return BatchResult(table.name, kind, None, start, max(head, start), result="empty")
            day = now_china(started).date()
            sequence = mark.batch_seq + 1 if mark.batch_day == day else 1
            result.batch_number = batch_number(day, sequence)
            stamp = now_china(self.clock())
            script = self.root / f"{table.name}_his.sql" if full else None
            if script is not None:
                script.parent.mkdir(parents=True, exist_ok=True)
            hashes: list[tuple[str, str]] = []
            names = [c.name for c in table.columns]
            with self.frontend.batch(table.name, mark.position, script) as writer:
                for rows in self._staged(snapshot, table.name, start, head):
                    out = []
                    for row in rows:
                        result.findings.add(row["cd_id"], row["findings"])
                        sendable = outgoing(table, row["row"], row["findings"], policy)
                        if sendable is None:
                            result.findings.held_back += 1
                            result.held_back += 1
                            continue
                        operation = row["operation"]
                        result.counts[operation] += 1
                        # the hash of the row as sent (JSON values: equal to frontend_hash of the row read back)
                        hashes.append((row["cd_id"], row_hash({n: sendable.get(n) for n in names}, operation)))
                        typed = _typed(table, sendable)
                        typed.update(cd_id=row["cd_id"], cd_time=stamp, cd_source=SOURCE_HENAN,
                                     cd_batch=result.batch_number, cd_operation=operation,
                                     data_up_uuid=str(uuid5(NAMESPACE_URL, f"/frontend/{table.name}/{row['cd_id']}")),
                                     data_up_time=stamp, data_up_status=OPERATIONS[operation])
                        out.append(typed)
                    writer.write(out)
                    if self.hooks.after_chunk is not None:
                        self.hooks.after_chunk(table.name, writer.rows)
                sent = sum(result.counts.values())
                result.checksum = checksum(hashes)
                if not full and sent == 0 and not result.findings.rows_with_findings:
                    result.result = "empty"
                    new_mark = Watermark(table.name, head, mark.batch_day, mark.batch_seq, mark.last_batch, stamp)
                    self.frontend.finish(writer, new_mark, None)
                    result.batch_number = None
                    return result
                new_mark = Watermark(table.name, head, day, sequence, result.batch_number, stamp)
                self.frontend.finish(writer, new_mark, {
                    "batch_id": f"{table.name}/{result.batch_number}", "table_name": table.name, "kind": kind,
                    "cd_batch": result.batch_number, "from_position": start, "to_position": head,
                    "inserted": result.counts["i"], "updated": result.counts["u"], "deleted": result.counts["d"],
                    "held_back": result.held_back, "checksum": result.checksum,
                    "findings": json.dumps(result.findings.as_json(), ensure_ascii=False),
                    "started_at": now_china(started), "written_at": now_china(self.clock()),
                })
            result.script = script
            if result.findings.rows_with_findings:
                for line in result.findings.lines(table.name):
                    log.info("completeness: %s", line)
            return result

        return self.live.run(["ministry"], work)

    def _staged(self, snapshot: Snapshot, table: str, start: int, head: int) -> Iterator[list[dict[str, Any]]]:
        """The table's staging rows with position in (start, head], in chunks, by key."""
        staging = snapshot.tables["mx_staging"]
        after = ""
        while True:
            query = (select(staging.c.skey, staging.c.cd_id, staging.c.operation, staging.c.row, staging.c.findings,
                            staging.c.position)
                     .where(and_(staging.c.table_name == table, staging.c.position > start,
                                 staging.c.position <= head, staging.c.skey > after))
                     .order_by(staging.c.skey).limit(self.chunk))
            rows = [dict(r._mapping) for r in snapshot.conn.execute(query)]
            if not rows:
                return
            yield rows
            after = rows[-1]["skey"]

    # --- reconcile and status --------------------------------------------------------------------

    def reconcile(self, only: str | None = None, examples: int = 10) -> list[Reconciliation]:
        self._prepare()
        return [self._reconcile(table, examples) for table in self.tables(only)]

    def _reconcile(self, table: Table, examples: int) -> Reconciliation:
        mark = self.frontend.watermark(table.name)
        report = Reconciliation(table.name, mark.position)
        policy = policy_of(table.name).policy
        expected: dict[str, str] = {}
        withheld: set[str] = set()

        def read(snapshot: Snapshot) -> None:
            for rows in self._staged(snapshot, table.name, -1, snapshot.positions["ministry"]):
                for row in rows:
                    if row["position"] > mark.position:
                        report.pending += 1
                        withheld.add(row["cd_id"])
                        continue
                    sendable = outgoing(table, row["row"], row["findings"], policy)
                    if sendable is None:
                        report.held_back += 1
                        withheld.add(row["cd_id"])
                        continue
                    expected[row["cd_id"]] = frontend_hash(table, _typed(table, sendable), row["operation"])

        self.live.run(["ministry"], read)
        report.staging_rows = len(expected)
        columns = ["cd_id", "cd_operation", *(c.name for c in table.columns)]
        seen: set[str] = set()
        for row in self.frontend.rows(table.name, columns):
            report.frontend_rows += 1
            key = row["cd_id"]
            seen.add(key)
            want = expected.get(key)
            if want is None:
                if key not in withheld:
                    report.unexpected.append(key)
                continue
            if frontend_hash(table, row, row["cd_operation"]) != want:
                report.differing.append(key)
        report.missing = sorted(k for k in expected if k not in seen)
        report.unexpected.sort()
        report.differing.sort()
        return report

    def status(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Per table: last batch, watermark, lag in positions and in time, pending rows, next run."""
        self._prepare_quietly()
        now = now or self.clock()
        marks = self.frontend.all_watermarks()

        def read(snapshot: Snapshot) -> tuple[int, dict[str, int]]:
            staging = snapshot.tables["mx_staging"]
            pending: dict[str, int] = {}
            for table in EXCHANGED:
                mark = marks.get(table.name)
                query = select(func.count()).select_from(staging).where(
                    and_(staging.c.table_name == table.name, staging.c.position > (mark.position if mark else 0)))
                pending[table.name] = int(snapshot.conn.execute(query).scalar() or 0)
            return snapshot.positions["ministry"], pending

        head, pending = self.live.run(["ministry"], read)
        with self.engine.connect() as conn:
            last = exchange_log.last_batches(conn)
            failed = exchange_log.last_failures(conn)
        rows = []
        for table in EXCHANGED:
            mark = marks.get(table.name)
            position = mark.position if mark else 0
            latest = last.get(table.name)
            failure = failed.get(table.name)
            since = mark.updated_at.replace(tzinfo=CHINA) if mark and mark.updated_at else None
            rows.append({
                "table": table.name, "frequency": table.frequency.value,
                "last_batch": latest["batch_number"] if latest else None,
                "last_batch_at": latest["started_at"] if latest else None,
                "watermark": position, "head": head, "lag_positions": max(0, head - position),
                "pending_rows": pending[table.name],
                "lag_seconds": int((now - since).total_seconds()) if since and pending[table.name] else 0,
                "last_failure": failure["error"] if failure and (not latest or failure["id"] > latest["id"]) else None,
                "next_run": next_run(self.crons[table.frequency], now),
            })
        return rows

    def _prepare_quietly(self) -> None:
        if not self._ready:
            exchange_log.ensure(self.engine)
            self.frontend.ensure()
            self._ready = True


def next_run(cron: str, now: datetime) -> datetime | None:
    trigger = CronTrigger.from_crontab(cron, timezone="Asia/Shanghai")
    return trigger.get_next_fire_time(None, now.astimezone(CHINA))


class ExchangeScheduler:
    """APScheduler 3 in a background thread: the hourly and the daily tables each on their cron
    (China time). One exchanger per deployment: the advisory lock on PostgreSQL; a process that
    finds it held skips the run. A table whose batch fails is logged once (until it works again)
    and tried again at the next run; the other tables go on."""

    def __init__(self, exchanger: Exchanger, availability: AvailabilityMonitor | None = None) -> None:
        self.exchanger = exchanger
        self.crons = exchanger.crons
        self._availability = availability or AvailabilityMonitor("exchange", what="exchange runs failed")
        self._failing: set[str] = set()
        self._scheduler: Any = None

    def run_frequency(self, frequency: Frequency) -> list[BatchResult]:
        results: list[BatchResult] = []
        names = [t.name for t in EXCHANGED if t.frequency is frequency]
        if not names:
            return results
        try:
            results = self.exchanger.run(names)
        except ExchangeBusy:
            return results
        except Exception as error:  # noqa: BLE001 - the scheduler must keep its next run
            if self._availability.refused(error) is None:
                log.error("exchange (%s) failed: %s: %s", frequency.value, type(error).__name__, str(error)[:300])
            return results
        self._availability.reachable()
        for result in results:
            if result.result == "failed":
                if result.table not in self._failing:
                    log.error("%s", result.summary())
                    self._failing.add(result.table)
            else:
                if result.table in self._failing:
                    log.info("%s: exchange works again", result.table)
                    self._failing.discard(result.table)
                if result.result == "ok":
                    log.info("%s", result.summary())
        return results

    def start(self) -> None:
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
        for frequency, cron in self.crons.items():
            scheduler.add_job(self.run_frequency, CronTrigger.from_crontab(cron, timezone="Asia/Shanghai"), args=[frequency],
                              id=f"exchange-{frequency.value}", name=f"ministry exchange ({frequency.value})",
                              coalesce=True, max_instances=1, misfire_grace_time=3600)
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None


def build_exchanger(ledger_engine: Engine, frontend_url: str, root: Path,
                    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                    crons: dict[Frequency, str] | None = None) -> Exchanger:
    """An exchanger from the settings' values (the front-end engine with the adapter's options)."""
    from adapters.frontend.database import FrontendDatabase

    database = FrontendDatabase(frontend_url)
    return Exchanger(ledger_engine, FrontendExchange(database.engine, CATALOGUE.tables), root, clock, crons=crons)
