"""The catch-up reader and the set-based writes on SQLite and PostgreSQL: the log read the fast way
gives the library's events, and the staged updates/upserts write what they say."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bench.catchup import fill
from domain.ledger import Ledger
from projections import decoding, schema
from projections.base import ENVELOPE
from projections.reading import LogReader
from projections.runner import projection_engine
from projections.sql import insert_ignore, insert_new, update_existing, upsert


def test_the_log_reader_gives_the_librarys_events(ledger: Ledger) -> None:
    fill(ledger, 300)
    engine = projection_engine(ledger)
    try:
        reader = LogReader(ledger.recorder, ledger.mapper, engine)
        head = reader.head()
        assert head == ledger.recorder.max_notification_id()
        topics = ["domain.risks.aggregate:Risk.Identified", "domain.inspections.aggregate:Inspection.Recorded"]
        for chosen in ([], topics):
            got = reader.read(10, head - 5, 1000, chosen)
            notes = ledger.recorder.select_notifications(start=10, limit=1000, stop=head - 5, topics=chosen,
                                                         inclusive_of_start=False)
            assert [(p, t) for p, t, _ in got] == [(n.id, n.topic) for n in notes] and got
            for (_, _, event), note in zip(got, notes, strict=True):
                want = ledger.mapper.to_domain_event(note)
                assert type(event) is type(want) and event.__dict__ == want.__dict__
        assert len(reader.read(0, head, 7, [])) == 7
        slim = reader.read(0, head, 50, [], ENVELOPE)
        left_out = decoding.orjson is not None  # without orjson the mapper's whole events are used
        assert all(bool(ENVELOPE & set(vars(e))) is not left_out for _, _, e in slim)
    finally:
        if engine is not ledger.recorder.datastore.engine:
            engine.dispose()


def test_staged_writes(ledger: Ledger) -> None:
    engine = projection_engine(ledger)
    activity, owners = schema.generation_tables((schema.daily_activity, schema.activity_risk_owners), 90).values()
    try:
        activity.create(engine)
        owners.create(engine)

        def row(enterprise: str, day: int, *counts: int) -> dict:
            return {"enterprise_id": enterprise, "day": date(2026, 3, day), **dict(zip(
                ("risks_identified", "risks_changed", "hazards_registered", "inspections_recorded"), counts, strict=True))}

        counters = ("risks_identified", "risks_changed", "hazards_registered", "inspections_recorded")
        with engine.begin() as conn:
            insert_new(conn, activity, [row("a", 1, 1, 0, 0, 0)])
            upsert(conn, activity, [row("a", 1, 1, 1, 0, 0), row("b", 2, 0, 0, 1, 0)], add=counters)
            update_existing(conn, activity, [row("b", 2, 0, 0, 0, 5)], add=counters)
            upsert(conn, activity, [row("c", 3, 9, 9, 9, 9)])
            upsert(conn, activity, [row("c", 3, 1, 2, 3, 4)])  # replace
            insert_ignore(conn, owners, [{"risk_id": "r1", "enterprise_id": "a"}])
            insert_ignore(conn, owners, [{"risk_id": "r1", "enterprise_id": "zzz"}, {"risk_id": "r2", "enterprise_id": "b"}])
            update_existing(conn, owners, [{"risk_id": "r2", "enterprise_id": "c"}])
        with engine.connect() as conn:
            got = {(r.enterprise_id, r.day.day): tuple(r)[2:] for r in conn.execute(select(activity))}
            assert got == {("a", 1): (2, 1, 0, 0), ("b", 2): (0, 0, 1, 5), ("c", 3): (1, 2, 3, 4)}
            assert dict(conn.execute(select(owners.c.risk_id, owners.c.enterprise_id)).all()) == {"r1": "a", "r2": "c"}
    finally:
        activity.drop(engine, checkfirst=True)
        owners.drop(engine, checkfirst=True)
        if engine is not ledger.recorder.datastore.engine:
            engine.dispose()
