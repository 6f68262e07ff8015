"""The rules of a staging row: operations judged event by event (so batching never changes them),
the completeness policy, the batch checksum."""

from __future__ import annotations

from projections.ministry.catalogue import CATALOGUE
from projections.ministry.mappings import ENTERPRISE, PERSONNEL
from projections.ministry.policy import FindingSummary, Policy, outgoing, policy_of
from projections.ministry.staging import Transitions, checksum, fingerprint, row_hash

A = {"credit_code": "91410185MA4400008T", "name": "甲", "status": "active"}


def state(source: dict, alive: bool = True):  # noqa: ANN201
    return (fingerprint(ENTERPRISE, source) if alive else None), alive


def test_operations_follow_the_record_event_by_event() -> None:
    t = Transitions()
    t.note("e", ENTERPRISE, None, state(A), 10)
    assert t.changes[(ENTERPRISE.table, "e")][1:] == ("i", 10)
    t.note("e", ENTERPRISE, state(A), state(A), 11)  # nothing the standard carries changed
    assert t.changes[(ENTERPRISE.table, "e")][1:] == ("i", 10)
    renamed = A | {"name": "乙"}
    t.note("e", ENTERPRISE, state(A), state(renamed), 12)
    assert t.changes[(ENTERPRISE.table, "e")][1:] == ("u", 12)
    t.note("e", ENTERPRISE, state(renamed), state(renamed, False), 13)
    assert t.changes[(ENTERPRISE.table, "e")][1:] == ("d", 13)
    t.note("e", ENTERPRISE, state(renamed, False), state(renamed | {"name": "丙"}, False), 14)
    assert t.changes[(ENTERPRISE.table, "e")][1:] == ("d", 13)  # a deleted record's later changes are not staged
    t.note("e", ENTERPRISE, state(renamed, False), state(renamed), 15)
    assert t.changes[(ENTERPRISE.table, "e")][1:] == ("i", 15)  # back: i


def test_a_record_never_alive_is_not_staged() -> None:
    t = Transitions()
    t.note("new", ENTERPRISE, None, state(A, False), 5)
    t.note("old", ENTERPRISE, state(A, False), state(A | {"name": "乙"}, False), 6)
    assert not t.changes


def test_a_fingerprint_of_a_source_missing_fields_has_them_empty() -> None:
    assert fingerprint(ENTERPRISE, {"credit_code": "x"})[:3] == ("x", "x", None)


def test_the_policy_holds_back_or_sends_with_empty_required_text() -> None:
    personnel = CATALOGUE[PERSONNEL.table]
    row = {"rowguid": "u1", "name": "sup", "dept_name": "登封市应急管理局", "id_number": None, "cert_number": None}
    findings = [["id_number", "missing", None], ["cert_number", "missing", None]]
    assert policy_of(PERSONNEL.table).policy is Policy.SEND
    sent = outgoing(personnel, row, findings, Policy.SEND)
    assert sent is not None and sent["id_number"] == "" and sent["cert_number"] == ""
    assert outgoing(personnel, row, findings, Policy.HOLD) is None
    enterprise = CATALOGUE[ENTERPRISE.table]
    assert policy_of(ENTERPRISE.table).policy is Policy.HOLD
    no_time = {"uniscid": "x", "entname": "x", "area_number": "410185", "supervise_industry": "机械",
               "supervise_level": "3", "regstate": "1", "register_time": None}
    assert outgoing(enterprise, no_time, [], Policy.SEND) is None  # a required time cannot be sent empty


def test_findings_are_counted_per_field_with_a_few_examples() -> None:
    summary = FindingSummary()
    for n in range(5):
        summary.add(f"k{n}", [["industryco", "not_in_code_list", "coal"], ["area_number", "missing", None]])
    summary.add("k9", [])
    found = summary.as_json()
    assert found["rows_with_findings"] == 5
    assert [(f["field"], f["kind"], f["rows"], len(f["examples"])) for f in found["by_field"]] == [
        ("area_number", "missing", 5, 3), ("industryco", "not_in_code_list", 5, 3)]
    assert summary.lines("t")[1].startswith("t.industryco: not_in_code_list in 5 rows, e.g. k0 ('coal')")


def test_the_checksum_is_independent_of_row_order_and_sensitive_to_content() -> None:
    rows = [("a", row_hash({"x": 1}, "i")), ("b", row_hash({"x": 2}, "u"))]
    assert checksum(rows) == checksum(list(reversed(rows)))
    assert checksum(rows) != checksum([rows[0], ("b", row_hash({"x": 2}, "d"))])
