"""The eventsourcing library's own recorder test cases, run against our persistence module.

`adapters.persistence.lean_recorder` replaces the library's hot paths, so the library's tests of
eventsourcing-sqlalchemy no longer cover what we run. Here its TestCase classes
(`eventsourcing.tests.persistence`) are subclassed, as eventsourcing-sqlalchemy's own tests do, and
pointed at what our `Factory` hands out, on PostgreSQL (one fresh database per class, its schema
emptied after each test) and on SQLite (a new file per test):

- the application recorder (`LeanApplicationRecorder`) with its ordinary write path, and on
  PostgreSQL also with every insert sent through `insert_events_single_trip`, the group
  committer's write path;
- the same as an aggregate recorder (our reads of one sequence, version 0 included), on
  PostgreSQL with either write path;
- the snapshot, tracking and process recorders (the library's classes, on our datastore);
- the factory itself.

Every test case of those library classes runs; none is skipped (all of them, the concurrency and
timing cases included, take about 15 s together). Two combinations do not exist, so they are not
written rather than skipped: subscribing (the library's optional `optional_test_insert_subscribe`,
run here as `test_insert_subscribe`) and the single-trip write path are PostgreSQL features of the
recorder, absent on SQLite.
"""

from __future__ import annotations

import shutil
import tempfile
import unittest
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ProcessRecorder,
    StoredEvent,
    TrackingRecorder,
)
from eventsourcing.tests import persistence as contract
from eventsourcing.utils import Environment
from eventsourcing_sqlalchemy.recorders import (
    SQLAlchemyAggregateRecorder,
    SQLAlchemyProcessRecorder,
    SQLAlchemyTrackingRecorder,
)
from sqlalchemy import create_engine, text

from adapters.persistence.lean_recorder import Factory, LeanApplicationRecorder
from tests.support.postgres import fresh_database

MODULE = "adapters.persistence.lean_recorder"
APP_NAME = "Contract"  # tables contract_events, contract_snapshots, contract_tracking


class SingleTripWrites(LeanApplicationRecorder):
    """Every insert through `insert_events_single_trip`, as the group committer sends them."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        assert not kwargs, kwargs  # the single trip takes no session, no tracking
        return self.insert_events_single_trip(stored_events)


class AsAggregateRecorder(LeanApplicationRecorder):
    """The application recorder seen as an aggregate recorder: the library's aggregate case expects
    `insert_events` to return None (an aggregate recorder has no notification ids)."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super().insert_events(stored_events, **kwargs)


class SingleTripAsAggregateRecorder(SingleTripWrites):
    """The single-trip write path seen as an aggregate recorder (see AsAggregateRecorder)."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:  # type: ignore[override]
        super().insert_events(stored_events, **kwargs)


# --- the two databases -------------------------------------------------------------------------


class OnSQLite(unittest.TestCase):
    """A new SQLite file per test, as the ledger runs by default."""

    def setUp(self) -> None:
        directory = tempfile.mkdtemp(prefix="ledger_contract_")
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        self.url = f"sqlite:///{directory}/events.db"
        super().setUp()


class OnPostgres(unittest.TestCase):
    """A fresh PostgreSQL database per class; the schema is emptied after each test, because the
    library's cases expect an empty event table (notification ids start at 1)."""

    url: str

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.url = cls.enterClassContext(fresh_database("ledger_contract"))

    def setUp(self) -> None:
        self.addCleanup(_empty_schema, self.url)  # runs after tearDown has closed the factory
        super().setUp()


def _empty_schema(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    finally:
        engine.dispose()


class WithFactory(unittest.TestCase):
    """Our Factory on the test's database; recorders come from it, and it is closed after."""

    url: str
    extra_env: dict[str, str] = {}

    def setUp(self) -> None:
        super().setUp()
        env = Environment(APP_NAME, {InfrastructureFactory.PERSISTENCE_MODULE: MODULE, "SQLALCHEMY_URL": self.url,
                                     **self.extra_env})
        self.factory = InfrastructureFactory.construct(env)
        assert isinstance(self.factory, Factory)
        self.addCleanup(self.factory.close)

    def lean_recorder(self, cls: type[LeanApplicationRecorder]) -> Any:
        """A recorder of `cls` on the factory's datastore and tables (the factory makes only its own
        application_recorder_class)."""
        recorder = cls(datastore=self.factory.datastore, events_table_name=f"{APP_NAME.lower()}_events")
        recorder.create_table()
        return self.as_bootstrap_does(recorder)

    def as_bootstrap_does(self, recorder: Any) -> Any:
        """A SQLite file in WAL mode before any thread uses it, as api/bootstrap.py sets it: the
        datastore's lazy switch on its first transaction can lose a race with other threads'
        connections ("database is locked"), which the concurrent cases would then report."""
        self.factory.datastore.init_sqlite_wal_mode()
        return recorder


# --- application recorder ----------------------------------------------------------------------


class ApplicationRecorderCases(WithFactory, contract.ApplicationRecorderTestCase):
    def create_recorder(self) -> ApplicationRecorder:
        recorder = self.factory.application_recorder()
        assert type(recorder) is LeanApplicationRecorder
        return self.as_bootstrap_does(recorder)


class TestApplicationRecorderOnSQLite(OnSQLite, ApplicationRecorderCases):
    pass


class TestApplicationRecorderOnPostgres(OnPostgres, ApplicationRecorderCases):
    def test_insert_subscribe(self) -> None:
        """Optional in the library (only PostgreSQL subscribes); our NOTIFY must wake it."""
        self.optional_test_insert_subscribe()


class TestSingleTripWritesOnPostgres(OnPostgres, ApplicationRecorderCases):
    def create_recorder(self) -> ApplicationRecorder:
        return self.lean_recorder(SingleTripWrites)

    def test_insert_subscribe(self) -> None:
        """The single trip's NOTIFY must wake a subscriber as the library's insert does."""
        self.optional_test_insert_subscribe()


# --- aggregate recorders -----------------------------------------------------------------------


class AggregateRecorderCases(WithFactory, contract.AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return self.lean_recorder(AsAggregateRecorder)


class TestAggregateRecorderOnSQLite(OnSQLite, AggregateRecorderCases):
    pass


class TestAggregateRecorderOnPostgres(OnPostgres, AggregateRecorderCases):
    pass


class TestSingleTripAggregateRecorderOnPostgres(OnPostgres, AggregateRecorderCases):
    def create_recorder(self) -> AggregateRecorder:
        return self.lean_recorder(SingleTripAsAggregateRecorder)


class SnapshotRecorderCases(WithFactory, contract.AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        recorder = self.factory.aggregate_recorder("snapshots")
        assert type(recorder) is SQLAlchemyAggregateRecorder
        return self.as_bootstrap_does(recorder)


class TestSnapshotRecorderOnSQLite(OnSQLite, SnapshotRecorderCases):
    pass


class TestSnapshotRecorderOnPostgres(OnPostgres, SnapshotRecorderCases):
    pass


# --- tracking and process recorders ------------------------------------------------------------


class TrackingRecorderCases(WithFactory, contract.TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        return self.as_bootstrap_does(self.factory.tracking_recorder())


class TestTrackingRecorderOnSQLite(OnSQLite, TrackingRecorderCases):
    pass


class TestTrackingRecorderOnPostgres(OnPostgres, TrackingRecorderCases):
    pass


class ProcessRecorderCases(WithFactory, contract.ProcessRecorderTestCase):
    def create_recorder(self) -> ProcessRecorder:
        return self.as_bootstrap_does(self.factory.process_recorder())


class TestProcessRecorderOnSQLite(OnSQLite, ProcessRecorderCases):
    pass


class TestProcessRecorderOnPostgres(OnPostgres, ProcessRecorderCases):
    pass


# --- notification ids of concurrent inserts do not interleave ----------------------------------


class NonInterleavingCases(WithFactory, contract.NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        return self.as_bootstrap_does(self.factory.application_recorder())


class TestNonInterleavingOnSQLite(OnSQLite, NonInterleavingCases):
    pass


class TestNonInterleavingOnPostgres(OnPostgres, NonInterleavingCases):
    pass


class TestNonInterleavingSingleTripOnPostgres(OnPostgres, NonInterleavingCases):
    def create_recorder(self) -> ApplicationRecorder:
        return self.lean_recorder(SingleTripWrites)


# --- the factory -------------------------------------------------------------------------------


class FactoryCases(contract.InfrastructureFactoryTestCase[Factory]):
    url: str
    extra_env: dict[str, str] = {}

    class TrackingRecorderSubclass(SQLAlchemyTrackingRecorder):
        pass

    def setUp(self) -> None:
        self.env = Environment(APP_NAME, {InfrastructureFactory.PERSISTENCE_MODULE: MODULE,
                                          "SQLALCHEMY_URL": self.url, **self.extra_env})
        super().setUp()

    def expected_factory_class(self) -> type[Factory]:
        return Factory

    def expected_aggregate_recorder_class(self) -> type[AggregateRecorder]:
        return SQLAlchemyAggregateRecorder

    def expected_application_recorder_class(self) -> type[ApplicationRecorder]:
        return LeanApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        return SQLAlchemyTrackingRecorder

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        return self.TrackingRecorderSubclass

    def expected_process_recorder_class(self) -> type[ProcessRecorder]:
        return SQLAlchemyProcessRecorder


class TestFactoryOnSQLite(OnSQLite, FactoryCases):
    pass


class TestFactoryOnPostgres(OnPostgres, FactoryCases):
    extra_env = {"SQLALCHEMY_POOL_SIZE": "3"}  # also our pool sizing branch


# The intermediate classes are TestCases too, and pytest collects every TestCase it finds in a module
# (as eventsourcing-sqlalchemy's own tests do with the library's base classes, delete them).
del (ApplicationRecorderCases, AggregateRecorderCases, SnapshotRecorderCases, TrackingRecorderCases,
     ProcessRecorderCases, NonInterleavingCases, FactoryCases, OnSQLite, OnPostgres, WithFactory)
