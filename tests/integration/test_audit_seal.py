"""The seal against real databases (PostgreSQL and SQLite): rows are tampered with directly in the
event store and the checkpoints table, and verify must name the exact first position.

The ledger holds 60 generated events (the demo province's fast path), position 25 missing (as a
rolled-back transaction leaves it), sealed in checkpoints of 10 events: (0,10], (10,20],
(20,31], (31,41], (41,51], (51,61] (61 is the last position). Each test changes something, runs
verify, and puts it back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from typer.testing import CliRunner

from adapters.audit.keys import SealKey
from adapters.audit.seal_format import (canonical, checkpoint_message, key_id_of, raw_public,
                                        verify_proof)
from adapters.audit.sealer import Sealer
from api.bootstrap import Services, bootstrap
from api.cli import app
from api.demo.fast_path import FastPath, fill
from api.demo.plan import CST, Province
from api.settings import Settings
from tests.support.clock import FakeClock

EVENTS = 60


@pytest.fixture
def sealed(database: str, tmp_path: Path) -> Iterator[Services]:
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    settings = Settings(database_url=database, projections="off", reminders="off", seal="off",
                        seal_checkpoint_events=10, seal_sign_seconds=3600)
    services = bootstrap(settings, clock=clock)
    fill(services.ledger, Province(7, datetime(2026, 1, 1, tzinfo=CST), 365), events=EVENTS, fast=FastPath())
    _sql(services, "DELETE FROM ledger_events WHERE id = 25")  # a gap, as a rolled-back transaction leaves one
    _append_copy(services, 24, EVENTS + 1)  # so the log is 1..61 without 25: 60 events
    assert services.seal is not None
    report = services.seal.sealer().seal()
    assert (report.checkpoints, report.position, report.pending) == (6, 61, 0)
    yield services
    services.close()


def _sql(services: Services, statement: str, **params: Any) -> Any:
    with services.engine.begin() as conn:
        return conn.execute(text(statement), params)


def _append_copy(services: Services, source: int, position: int, version: int = 99) -> None:
    _sql(services, "INSERT INTO ledger_events (id, originator_id, originator_version, topic, state) "
                   "SELECT :position, originator_id, :version, topic, state FROM ledger_events WHERE id = :source",
         position=position, source=source, version=version)


def _verify(services: Services, *args: Any, **kwargs: Any) -> tuple[int | None, str]:
    assert services.seal is not None
    result = services.seal.verifier(*args).verify(**kwargs)
    return (result.finding.position if result.finding else None), result.summary()


def _state(services: Services, position: int) -> bytes:
    with services.engine.connect() as conn:
        return bytes(conn.execute(text("SELECT state FROM ledger_events WHERE id = :p"), {"p": position}).scalar_one())


def _set_state(services: Services, position: int, state: bytes) -> None:
    with services.engine.begin() as conn:
        conn.execute(text("UPDATE ledger_events SET state = :s WHERE id = :p"), {"s": state, "p": position})


def test_an_untouched_log_is_intact_over_any_range(sealed: Services) -> None:
    assert _verify(sealed) == (None, "intact: positions 1..61, 60 events in 6 signed checkpoints (keys "
                                     f"{sealed.seal.key().key_id})")  # type: ignore[union-attr]
    position, summary = _verify(sealed, from_position=15, to_position=35)
    assert position is None and summary.startswith("intact: positions 11..41, 30 events in 3 ")
    assert sealed.seal.verifier().verify(deep=True).intact  # type: ignore[union-attr]


def test_a_changed_state_byte_is_named(sealed: Services) -> None:
    original = _state(sealed, 33)
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0x01
    _set_state(sealed, 33, bytes(changed))
    try:
        position, summary = _verify(sealed)
        assert position == 33 and "was changed" in summary
        assert _verify(sealed, from_position=45)[0] is None  # later segments alone are intact
        assert _verify(sealed, to_position=20)[0] is None
    finally:
        _set_state(sealed, 33, original)
    assert _verify(sealed)[0] is None


def test_a_deleted_row_is_named(sealed: Services) -> None:
    _sql(sealed, "CREATE TABLE kept AS SELECT * FROM ledger_events WHERE id = 47")
    _sql(sealed, "DELETE FROM ledger_events WHERE id = 47")
    try:
        position, summary = _verify(sealed)
        assert position == 47 and "missing (deleted)" in summary
    finally:
        _sql(sealed, "INSERT INTO ledger_events SELECT * FROM kept")
        _sql(sealed, "DROP TABLE kept")
    assert _verify(sealed)[0] is None


def test_deleting_the_tail_is_named(sealed: Services) -> None:
    _sql(sealed, "CREATE TABLE kept AS SELECT * FROM ledger_events WHERE id >= 55")
    _sql(sealed, "DELETE FROM ledger_events WHERE id >= 55")
    try:
        assert _verify(sealed)[0] == 55
    finally:
        _sql(sealed, "INSERT INTO ledger_events SELECT * FROM kept")
        _sql(sealed, "DROP TABLE kept")


def test_a_row_inserted_into_a_gap_is_named(sealed: Services) -> None:
    _append_copy(sealed, 24, 25, version=98)
    try:
        position, summary = _verify(sealed)
        assert position == 25 and "never sealed (inserted" in summary
    finally:
        _sql(sealed, "DELETE FROM ledger_events WHERE id = 25")
    assert _verify(sealed)[0] is None


def test_two_rows_with_swapped_ids_are_named_as_reordered(sealed: Services) -> None:
    def swap() -> None:
        _sql(sealed, "UPDATE ledger_events SET id = 100000 WHERE id = 12")
        _sql(sealed, "UPDATE ledger_events SET id = 12 WHERE id = 17")
        _sql(sealed, "UPDATE ledger_events SET id = 17 WHERE id = 100000")

    swap()
    try:
        position, summary = _verify(sealed)
        assert position == 12 and "holds the event sealed at position 17 (events were reordered)" in summary
    finally:
        swap()
    assert _verify(sealed)[0] is None


def test_a_rewritten_checkpoint_hash_fails_its_signature(sealed: Services) -> None:
    _sql(sealed, "UPDATE ledger_seal_checkpoints SET chain_hash = :h WHERE position = 41", h=b"\x00" * 32)
    position, summary = _verify(sealed)
    assert position == 41 and "signature does not match its content" in summary


def test_a_deleted_checkpoint_is_named(sealed: Services) -> None:
    _sql(sealed, "DELETE FROM ledger_seal_checkpoints WHERE position = 31")
    position, summary = _verify(sealed)
    assert position == 21 and "a checkpoint is missing" in summary


def _resign(services: Services, position: int, private: Ed25519PrivateKey, **changes: Any) -> str:
    """Re-sign checkpoint `position` (with `changes`) with another key; returns that key's PEM file path."""
    assert services.seal is not None
    cp = next(c for c in services.seal.store.checkpoints() if c.position == position)
    key_id = key_id_of(raw_public(private.public_key()))
    fields = {"position": cp.position, "after": cp.after, "count": cp.count, "chain_hash": cp.chain_hash,
              "merkle_root": cp.merkle_root, "leaves_sha256": cp.leaves_sha256, "sealed_at": cp.sealed_at,
              "key_id": key_id, **changes}
    signature = private.sign(checkpoint_message(**fields))
    _sql(services, "UPDATE ledger_seal_checkpoints SET key_id = :k, signature = :s, chain_hash = :c "
                   "WHERE position = :p", k=key_id, s=signature, c=fields["chain_hash"], p=position)
    return SealKey(private, "test").public_pem()


def test_a_checkpoint_signed_with_another_key_is_named_unless_that_key_is_trusted(sealed: Services, tmp_path: Path) -> None:
    other = Ed25519PrivateKey.generate()
    pem = tmp_path / "other.pem"
    pem.write_text(_resign(sealed, 51, other))
    position, summary = _verify(sealed)
    assert position == 51 and f"signed with unknown key {key_id_of(raw_public(other.public_key()))}" in summary
    assert _verify(sealed, [str(pem)])[0] is None  # a retired key given as trusted: intact


def test_a_forged_chain_signed_with_another_key_still_fails(sealed: Services, tmp_path: Path) -> None:
    """An attacker with a key of their own cannot make verify accept a changed chain hash."""
    other = Ed25519PrivateKey.generate()
    _resign(sealed, 41, other, chain_hash=b"\x07" * 32)
    assert _verify(sealed)[0] == 41


def test_the_log_is_checked_against_a_published_digest_with_only_the_public_key(sealed: Services, tmp_path: Path) -> None:
    assert sealed.seal is not None
    digest = sealed.seal.digest(at=45)
    assert digest is not None and digest["position"] == 41
    public = tmp_path / "seal.pem"
    public.write_text(sealed.seal.key().public_pem())
    only_public = sealed.seal.verifier([str(public)], only_given=True)
    assert only_public.verify_digest(digest).intact
    original = _state(sealed, 8)
    _set_state(sealed, 8, original.replace(b'"', b"'", 1))
    try:
        result = only_public.verify_digest(digest)
        assert not result.intact and result.finding is not None and result.finding.position == 8
    finally:
        _set_state(sealed, 8, original)
    forged = dict(digest, chain_hash="00" * 32)
    result = only_public.verify_digest(forged)
    assert result.finding is not None and "the digest itself does not hold" in result.finding.message
    stranger = tmp_path / "stranger.pem"
    stranger.write_text(SealKey(Ed25519PrivateKey.generate(), "test").public_pem())
    result = sealed.seal.verifier([str(stranger)], only_given=True).verify_digest(digest)
    assert result.finding is not None and "unknown key" in result.finding.message


@pytest.mark.parametrize(("copy_from", "psql"), [(0, True), (0, False), (1_000_000, True)],
                         ids=["copy-psql", "copy-python-child", "select"])
def test_postgresql_builds_the_same_canonical_bytes_as_the_format(sealed: Services, copy_from: int, psql: bool,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Every PostgreSQL read path (a binary COPY through psql or a Python child for long ranges,
    SELECTs for short ones) gives exactly `seal_format.canonical` of the stored columns."""
    monkeypatch.setattr("adapters.audit.store.COPY_FROM_EVENTS", copy_from)
    if not psql:
        monkeypatch.setattr("adapters.audit.store.shutil.which", lambda name: None)
    assert sealed.seal is not None
    store = sealed.seal.store
    built = [bytes(r) for chunk in store.canonical_chunks(0, None, chunk=7) for r in chunk]
    expected = [canonical(r[0], r[1], r[2], r[3], bytes(r[4])) for chunk in store.row_chunks(0, None) for r in chunk]
    assert built == expected and len(built) == EVENTS
    assert [bytes(r) for chunk in store.canonical_chunks(20, 41) for r in chunk] == expected[20:40]
    reader = store.canonical_chunks(0, None, chunk=1)
    next(reader)
    reader.close()  # a reader left early stops its COPY
    original = _state(sealed, 52)
    _set_state(sealed, 52, original + b" ")
    try:
        assert _verify(sealed)[0] == 52
    finally:
        _set_state(sealed, 52, original)


def test_a_restarted_sealer_resumes_from_its_last_checkpoint_and_signs_the_tail_within_the_hour(database: str) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    services = bootstrap(Settings(database_url=database, projections="off", reminders="off", seal="off",
                                  seal_checkpoint_events=10), clock=clock)
    try:
        seal = services.seal
        assert seal is not None
        fill(services.ledger, Province(7, datetime(2026, 1, 1, tzinfo=CST), 365), events=38, fast=FastPath())
        _sql(services, "CREATE TABLE later AS SELECT * FROM ledger_events WHERE id > 25")
        _sql(services, "DELETE FROM ledger_events WHERE id > 25")  # they arrive after the crash
        first = seal.sealer()
        report = first.seal()
        assert (report.checkpoints, report.position, report.pending) == (2, 20, 5)  # 5 wait, in memory only
        _sql(services, "INSERT INTO ledger_events SELECT * FROM later")
        _sql(services, "DROP TABLE later")
        second = Sealer(seal.store, seal.key(), clock, checkpoint_events=10, sign_seconds=3600)  # "after a crash"
        report = second.seal()
        assert (report.checkpoints, report.position, report.pending) == (1, 30, 8)
        clock.advance(hours=1)
        report = second.seal()
        assert (report.checkpoints, report.position, report.pending) == (1, 38, 0)
        assert [c.count for c in seal.store.checkpoints()] == [10, 10, 10, 8]
        assert seal.verifier().verify(deep=True).intact
    finally:
        services.close()


def test_an_odd_record_is_sealed_as_stored_not_skipped(database: str) -> None:
    """Whatever bytes are stored are sealed: a state no decoder reads, on SQLite even a text value."""
    services = bootstrap(Settings(database_url=database, projections="off", reminders="off", seal="off",
                                  seal_checkpoint_events=5), clock=FakeClock())
    try:
        fill(services.ledger, Province(7, datetime(2026, 1, 1, tzinfo=CST), 365), events=10, fast=FastPath())
        _set_state(services, 3, b"\xff\x00 not json")
        if services.engine.dialect.name == "sqlite":
            _sql(services, "UPDATE ledger_events SET state = 'plain text' WHERE id = 7")
        assert services.seal is not None
        assert services.seal.sealer().seal().checkpoints == 2
        assert services.seal.verifier().verify().intact
        _set_state(services, 3, b"\xff\x01 not json")
        assert _verify(services)[0] == 3
    finally:
        services.close()


def test_the_seal_runs_as_a_background_part_of_serve(database: str) -> None:
    services = bootstrap(Settings(database_url=database, projections="off", reminders="off", seal="background",
                                  seal_poll_seconds=0.05, seal_checkpoint_events=4), clock=FakeClock())
    try:
        fill(services.ledger, Province(7, datetime(2026, 1, 1, tzinfo=CST), 365), events=9, fast=FastPath())
        services.start()
        assert "seal" in services.runtime.running
        import time

        deadline = time.monotonic() + 20
        assert services.seal is not None
        while (last := services.seal.store.last_checkpoint()) is None or last.position < 8:
            assert time.monotonic() < deadline, "the background seal did not catch up"
            time.sleep(0.05)
        assert last.position == 8  # 4 + 4; the 9th waits for the next checkpoint
    finally:
        services.close()
    assert services.runtime.running == []


# --- the CLI ------------------------------------------------------------------------------------

def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_the_cli_seals_verifies_exports_a_digest_and_checks_it_with_the_public_key(database: str, tmp_path: Path,
                                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_SEAL_CHECKPOINT_EVENTS", "10")
    monkeypatch.setenv("LEDGER_SEAL_KEY", uuid.uuid4().hex + uuid.uuid4().hex)  # a 32-byte seed in hex
    services = bootstrap(Settings(database_url=database, projections="off", reminders="off", seal="off"))
    fill(services.ledger, Province(7, datetime(2026, 1, 1, tzinfo=CST), 365), events=30, fast=FastPath())
    code, out = run("audit", "seal", "run", "--once")
    assert code == 0 and "sealed to 30: 3 new checkpoint(s), 30 events" in out, out
    code, out = run("audit", "verify")
    assert code == 0 and out.startswith("intact: positions 1..30"), out
    code, pem = run("audit", "public-key")
    (tmp_path / "seal.pem").write_text(pem.split("key id")[0])
    code, out = run("audit", "digest", "--out", str(tmp_path / "digest.json"))
    assert code == 0 and json.loads((tmp_path / "digest.json").read_text())["position"] == 30
    code, out = run("audit", "verify", "--digest", str(tmp_path / "digest.json"), "--public-key", str(tmp_path / "seal.pem"))
    assert code == 0, out
    with services.engine.begin() as conn:
        conn.execute(text("UPDATE ledger_events SET topic = topic || 'x' WHERE id = 14"))
    code, out = run("audit", "verify")
    assert code == 1 and "first difference at position 14" in out, out
    code, out = run("audit", "verify", "--digest", str(tmp_path / "digest.json"), "--public-key", str(tmp_path / "seal.pem"))
    assert code == 1 and "first difference at position 14" in out, out
    code, out = run("audit", "verify", "--digest", str(tmp_path / "digest.json"))
    assert code == 2
    services.close()


def test_a_proof_file_is_checked_with_the_public_key_alone(sealed: Services, tmp_path: Path) -> None:
    assert sealed.seal is not None
    code = _an_enterprise_with_events(sealed)
    document = sealed.seal.proof(code, at=None)
    assert document["sealed_to"] == 61 and len(document["events"]) >= 2
    pem = sealed.seal.key().public_pem().encode()
    assert verify_proof(document, pem) == []
    (tmp_path / "proof.json").write_text(json.dumps(document))
    (tmp_path / "seal.pem").write_bytes(pem)
    code_, out = run("audit", "verify-proof", str(tmp_path / "proof.json"), "--public-key", str(tmp_path / "seal.pem"))
    assert code_ == 0 and out.startswith(f"valid: {len(document['events'])} event(s) of {code}"), out


def _an_enterprise_with_events(services: Services) -> str:
    """The credit code of the enterprise with the most aggregates in the sealed log."""
    with services.engine.connect() as conn:
        rows = conn.execute(text("SELECT aggregate_id, credit_code, enterprise_id FROM ledger_seal_members")).all()
    codes = {r.aggregate_id: r.credit_code for r in rows if r.credit_code}
    children: dict[str, int] = {}
    for r in rows:
        if r.enterprise_id in codes:
            children[r.enterprise_id] = children.get(r.enterprise_id, 0) + 1
    return codes[max(children, key=lambda k: children[k])]


def test_the_binary_copy_stream_splits_alike_however_it_is_cut() -> None:
    """PostgreSQL's COPY stream (events packed 1,024 positions to a row) reaches the verifier in
    pieces of any size: split into records, or hashed by signed counts, it must give what plain
    SELECTs give, wherever a piece ends (inside a header, a length, an event)."""
    import random

    import adapters.audit.store as store_module
    from adapters.audit.store import _chain_records, _copy_records

    from tests.support.postgres import fresh_database

    with fresh_database() as url:
        _split_alike(url, random, store_module, _chain_records, _copy_records)


def _split_alike(url: str, random: Any, store_module: Any, _chain_records: Any, _copy_records: Any) -> None:
    services = bootstrap(Settings(database_url=url, projections="off", reminders="off", seal="off"))
    try:
        fill(services.ledger, Province(9, datetime(2026, 1, 1, tzinfo=CST), 365), events=3000, fast=FastPath())
        store = services.seal.store  # type: ignore[union-attr]
        head = store.head()
        after = head - 2500
        whole = b"".join(store._pg_copy_pieces(after, head))
        expected = [bytes(r) for rows in store._pg_select_chunks(after, head, 1000) for r in rows]
        assert len(expected) == 2500
        rng = random.Random(6962)
        for trial in range(20):
            cuts = sorted(rng.sample(range(1, len(whole)), rng.choice([1, 7, 100, 2000])))
            pieces = [whole[a:b] for a, b in zip([0, *cuts], [*cuts, len(whole)])]
            assert [bytes(r) for rows in _copy_records(iter(pieces)) for r in rows] == expected, trial
            store._pg_copy_pieces = lambda a, u, pieces=pieces: iter(pieces)  # type: ignore[method-assign]
            store_module.COPY_FROM_EVENTS, saved = 0, store_module.COPY_FROM_EVENTS
            try:
                for counts in ([1000, 1000, 500], [999, 1000, 501], [2500, 10], [10]):
                    assert list(store.chain_segments(after, head, b"\0" * 32, counts)) == list(
                        _chain_records(iter(expected), b"\0" * 32, counts)), (trial, counts)
            finally:
                store_module.COPY_FROM_EVENTS = saved
                del store._pg_copy_pieces
    finally:
        services.close()


def test_a_one_off_run_seals_the_tail_short_of_a_checkpoint(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`seal run --once` keeps nothing in memory afterwards, so it signs what waits (a small demo
    ledger is sealed and verifiable at once)."""
    monkeypatch.setenv("LEDGER_SEAL_CHECKPOINT_EVENTS", "1000")
    monkeypatch.setenv("LEDGER_SEAL_KEY", uuid.uuid4().hex + uuid.uuid4().hex)
    services = bootstrap(Settings(database_url=database, projections="off", reminders="off", seal="off"))
    fill(services.ledger, Province(7, datetime(2026, 1, 1, tzinfo=CST), 365), events=30, fast=FastPath())
    services.close()
    code, out = run("audit", "seal", "run", "--once")
    assert code == 0 and "sealed to 30: 1 new checkpoint(s), 30 events; 0 event(s) wait" in out, out
    code, out = run("audit", "verify")
    assert code == 0 and out.startswith("intact: positions 1..30"), out
