"""Standard conversion (标准转换) of the enterprise register: data in, standard rows and findings out."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.shared.codes import Industry, SupervisionLevel
from projections import schema
from projections.ministry.conversion import Format, convert
from projections.ministry.mappings import (
    DANGEROUS_CHEMICAL,
    ENTERPRISE,
    INDUSTRY,
    MAPPINGS,
    MINE,
    NOT_IN_READ_MODEL,
    SOURCE_FIELDS,
    SOURCE_OF,
    SUPERVISION_LEVEL,
)


def register_row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "enterprise_id": "8f7c3a52-0000-4000-8000-000000000001", "credit_code": "91410185MA4400008T",
        "name": " 登封市示例化工有限公司 ", "region_code": "410185", "province_code": "410000",
        "city_code": "410100", "county_code": "410185", "industry": "hazardous_chemicals",
        "supervision_level": "county", "status": "active",
        "registered_at": datetime(2026, 11, 23, 16, 30, 5, 123456, tzinfo=UTC), "deregistered_at": None,
        "first_risk_identified_at": None, "last_risk_report_at": datetime(2026, 11, 30, 1, 0, tzinfo=UTC),
        "last_hazard_registered_at": None, "last_inspection_at": None,
        "risks_low": 2, "risks_general": 1, "risks_significant": 0, "risks_major": 1,
        "hazards_open_general": 3, "hazards_open_major": 0, "version": 4, "position": 1234,
    }
    return row | changes


def test_a_register_row_becomes_a_standard_enterprise_row() -> None:
    converted = convert(ENTERPRISE, register_row(safety_officer_name="张三", safety_officer_mobile="13800138000"))
    assert converted.complete, converted.findings
    assert converted.row == {
        "cd_id": "91410185MA4400008T", "uniscid": "91410185MA4400008T", "entname": "登封市示例化工有限公司",
        "area_number": "410185", "industryco": "C26", "supervise_industry": "危险化学品",
        "supervise_level": "3", "supervise_level_name": "县级", "safety_principal": "张三",
        "safety_principal_tel": "13800138000", "regstate": "1",
        "register_time": datetime(2026, 11, 24, 0, 30, 5),  # China Standard Time, no offset, whole seconds
        "deregister_time": None,
    }


def test_a_deregistered_enterprise_carries_its_state_and_time() -> None:
    converted = convert(ENTERPRISE, register_row(status="deregistered",
                                                 deregistered_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC)))
    assert converted.row["regstate"] == "2" and converted.row["deregister_time"] == datetime(2026, 12, 1, 10, 0)


def test_findings_name_the_table_field_kind_and_key() -> None:
    converted = convert(ENTERPRISE, register_row(industry="coal", supervision_level=None, name="长" * 201))
    found = {(f.column, f.kind) for f in converted.findings}
    assert found == {("industryco", "not_in_code_list"), ("supervise_industry", "not_in_code_list"),
                     ("supervise_level", "missing"), ("entname", "too_long")}
    assert all(f.table == "jg_jgdx_qyjbxx" and f.key == "91410185MA4400008T" for f in converted.findings)
    assert "jg_jgdx_qyjbxx.industryco (91410185MA4400008T): value outside the code list: 'coal'" in \
        [str(f) for f in converted.findings]
    assert converted.row["industryco"] is None


def test_a_naive_time_is_a_finding_not_a_guess() -> None:
    converted = convert(ENTERPRISE, register_row(registered_at=datetime(2026, 11, 23, 9, 0)))
    assert [(f.column, f.kind) for f in converted.findings] == [("register_time", "bad_value")]


def test_the_code_lists_cover_every_code_of_ours() -> None:
    assert set(INDUSTRY.entries) == {i.value for i in Industry}
    assert set(SUPERVISION_LEVEL.entries) == {s.value for s in SupervisionLevel}
    assert all(label for _, label in INDUSTRY.entries.values())


def test_mappings_read_existing_fields_and_fill_declared_columns_including_the_required_ones() -> None:
    register = {c.name for c in schema.enterprises.columns}
    for mapping in MAPPINGS:
        declared = {c.name for c in mapping.target.columns}
        targets = [f.column for f in mapping.fields]
        assert len(targets) == len(set(targets)) and set(targets) <= declared, mapping.table
        assert {c.name for c in mapping.target.columns if c.required} <= set(targets), mapping.table
        # the enterprise tables read the register's fields (mx_enterprises adds the safety officer);
        # the others the fields the ministry projection builds for their kind of source
        source = set(SOURCE_FIELDS[SOURCE_OF[mapping.table]]) if mapping.table in SOURCE_OF else register | NOT_IN_READ_MODEL
        assert mapping.key in source, mapping.table
        assert all(f.source in source for f in mapping.fields), mapping.table
        assert all(f.code_list is not None for f in mapping.fields if f.format in (Format.CODE, Format.LABEL))


def test_extension_tables_take_their_industries_only() -> None:
    chemical, mine = register_row(), register_row(industry="metallurgy")
    assert DANGEROUS_CHEMICAL.applies_to(chemical) and not DANGEROUS_CHEMICAL.applies_to(mine)
    assert MINE.applies_to(mine) and not MINE.applies_to(chemical)
    assert not MINE.applies_to(register_row(industry="fireworks"))
    row = convert(DANGEROUS_CHEMICAL, chemical).row
    assert row["risk_major_count"] == 1 and row["hazard_open_general_count"] == 3
    assert row["last_risk_report_time"] == datetime(2026, 11, 30, 9, 0)
