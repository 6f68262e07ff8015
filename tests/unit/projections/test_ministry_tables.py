"""The standard tables as declared data: consistent, complete against the seed, and named within
every database's limits (seed 2.3.1.3; reference §4)."""

from __future__ import annotations

from datetime import date

import pytest

from projections.ministry.catalogue import ATTACHMENT_FOLDERS, CATALOGUE
from projections.ministry.tables import (
    IDENTIFIER_LIMITS,
    TECHNICAL_NAMES,
    Fill,
    Frequency,
    Kind,
    Origin,
    batch_number,
    index_name,
    parse_batch_number,
)

# The seed's lists, 2.3.2.1 (政务服务) and 2.3.2.2 (监管数据), in order.
SEED_UP = """up_task_directory up_task_general_basic up_task_general_extend up_task_general_material
up_task_general_fee_project up_task_general_questions up_task_punish_basic up_task_punish_questions
up_task_handle_basic up_task_handle_material up_task_handle_questions up_task_check_basic
up_task_check_questions up_task_public_basic up_task_public_extend up_task_public_material
up_task_public_fee_project up_task_public_questions up_zone_organization up_pro_accept up_pro_process
up_pro_result up_pro_specialprocedure up_pro_material up_lic_data""".split()
SEED_JG = """jg_jgdx_qyjbxx jg_jgdx_qykzxx_colliery jg_jgdx_qykzxx_mine jg_jgdx_qykzxx_dangerous_chemical
jg_jgdx_qykzxx_fire_controlunit jg_jgdx_qykzxx_safety_production jg_jgdx_qykzxx_dangerous_source
jg_jgdx_cdcs_place jg_jgxw_check_action jg_jgxw_punish_action jg_jgxw_force_action jg_jgxw_other_action
jg_zfk_user_info tsjb_user_info tsjb_complaint_info tsjb_report_info tsjb_handle_info tsjb_mediate_info
jg_tsjb_handle_info jg_tsjb_accessory jg_tsjb_mediate_info jg_zsk_law jg_zsk_case jg_zsk_plan
jg_ztk_jgxn_ssjygk_ndjhsj jg_ztk_jgxn_ssjygk_spot_check jg_ztk_jgxn_ssjygk_zxjhsj
jg_ztk_jgxn_ssjygk_zxjhcc""".split()


def test_every_table_the_seed_lists_is_declared_once_in_its_order() -> None:
    assert [t.name for t in CATALOGUE] == SEED_UP + SEED_JG
    assert all(t.zh and t.group and t.sources for t in CATALOGUE)


@pytest.mark.parametrize("table", CATALOGUE.tables, ids=lambda t: t.name)
def test_a_table_has_its_technical_columns_a_key_that_exists_and_no_duplicate_names(table) -> None:
    names = [c.name for c in table.all_columns]
    assert len(names) == len(set(names)), "duplicate column"
    assert names[-len(TECHNICAL_NAMES):] == list(TECHNICAL_NAMES)
    assert {"cd_id", "cd_time", "cd_source", "cd_batch", "cd_operation",
            "data_up_uuid", "data_up_time", "data_up_status"} <= set(names)
    assert table.primary_key and all(table.column(k).required for k in table.primary_key)
    for column in table.all_columns:
        assert column.name == column.name.lower() and column.name.isidentifier() and len(column.name) <= 30
        assert column.zh
        assert (column.length is not None) == (column.kind in (Kind.VARCHAR, Kind.DECIMAL))
        assert (column.origin is Origin.TECHNICAL) == (column.name in TECHNICAL_NAMES)


@pytest.mark.parametrize("table", CATALOGUE.tables, ids=lambda t: t.name)
def test_a_row_fits_mysqls_65535_byte_row_limit_in_utf8mb4(table) -> None:
    varchar_bytes = sum(4 * c.length + 2 for c in table.all_columns if c.kind is Kind.VARCHAR)
    assert varchar_bytes < 65_535 - 1000  # room for the fixed-size columns and text pointers


def test_frequencies_follow_the_seed_hourly_catalogues_daily_case_files_and_supervision() -> None:
    for table in CATALOGUE:
        hourly = table.name.startswith("up_task_") or table.name in ("up_zone_organization", "up_lic_data")
        assert table.frequency is (Frequency.HOURLY if hourly else Frequency.DAILY), table.name


def test_what_the_ledger_fills_and_what_other_systems_feed() -> None:
    ours = {t.name for t in CATALOGUE if t.fill is Fill.LEDGER}
    later = {t.name for t in CATALOGUE if t.fill is Fill.LEDGER_LATER}
    assert ours == {"jg_jgdx_qyjbxx", "jg_jgdx_qykzxx_mine", "jg_jgdx_qykzxx_dangerous_chemical",
                    "jg_jgxw_check_action", "jg_zfk_user_info", "jg_ztk_jgxn_ssjygk_zxjhsj", "jg_ztk_jgxn_ssjygk_zxjhcc"}
    assert later == set()  # every table of ours is filled by the ministry projection now
    assert all(t.fill is Fill.OTHER_SYSTEMS for t in CATALOGUE if t.name.startswith(("up_", "tsjb_", "jg_zsk_")))
    # a table the ledger fills says where its columns come from, column by column
    assert all(c.origin is not Origin.TECHNICAL for t in CATALOGUE if t.fill is not Fill.OTHER_SYSTEMS for c in t.columns)


def test_the_check_action_is_the_recovered_list_with_its_types() -> None:
    table = CATALOGUE["jg_jgxw_check_action"]
    assert all(c.origin is Origin.RECOVERED for c in table.columns)
    assert table.column("check_action_name").length == 2000
    assert table.column("check_result").kind is Kind.TEXT
    assert table.column("area_number").length == 6


@pytest.mark.parametrize("database, limit", sorted(IDENTIFIER_LIMITS.items()))
def test_index_names_fit_every_database_and_stay_distinct(database: str, limit: int) -> None:
    names = [t.index_name(limit) for t in CATALOGUE]
    assert all(len(n) <= limit for n in names)
    assert len(set(names)) == len(names)


def test_index_name_rule_and_its_fallbacks() -> None:
    # the seed's form when it fits
    assert index_name("jg_jgdx_qyjbxx", ("cd_id",), 64) == "I_jg_jgdx_qyjbxx_cd_id"
    assert index_name("jg_jgdx_qyjbxx", ("cd_id",), 30) == "I_jg_jgdx_qyjbxx_cd_id"
    # Oracle's 30: the seed's fallback <table>_<pk> ...
    assert index_name("up_task_general_material", ("cd_id",), 30) == "up_task_general_material_cd_id"
    assert len("I_up_task_general_material_cd_id") == 32
    # ... and ours when even that is too long: cut short plus 6 hex digits of the full name's SHA-1
    long_name = index_name("jg_jgdx_qykzxx_dangerous_chemical", ("cd_id",), 30)
    assert long_name.startswith("jg_jgdx_qykzxx_dangerou_") and len(long_name) == 30
    assert long_name != index_name("jg_jgdx_qykzxx_dangerous_source", ("cd_id",), 30)
    # MySQL's 64 with a composite key: I_ form 65 characters, fallback 63
    assert index_name("jg_ztk_jgxn_ssjygk_spot_check", ("plan_id", "administrative_cp_ui_code"), 64) == \
        "jg_ztk_jgxn_ssjygk_spot_check_plan_id_administrative_cp_ui_code"


def test_batch_numbers_are_the_date_and_a_five_digit_sequence() -> None:
    assert batch_number(date(2026, 12, 2), 2) == "2026120200002"
    assert parse_batch_number("2019041100002") == (date(2019, 4, 11), 2)
    with pytest.raises(ValueError):
        batch_number(date(2026, 12, 2), 100_000)
    with pytest.raises(ValueError):
        parse_batch_number("20261202002")


def test_attachment_folders_are_the_seeds() -> None:
    assert list(ATTACHMENT_FOLDERS) == ["task_attr_up", "pro_attr_up", "tsjb_attr_up"]
