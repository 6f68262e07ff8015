"""Value objects of the data standard: credit code, regions, industries, levels, mobiles, accident types."""

from __future__ import annotations

import pytest

from domain.shared.codes import (
    ACCIDENT_TYPES,
    HazardLevel,
    Industry,
    MobileNumber,
    RiskLevel,
    SupervisionLevel,
    parse_accident_type,
)
from domain.shared.credit_code import CreditCode, credit_code_with_check_digit
from domain.shared.errors import InvalidValue
from domain.shared.regions import RegionLevel, henan_regions

# --- 统一社会信用代码 (GB 32100-2015) ---------------------------------------------------------------

VALID_CREDIT_CODES = [
    "91350100M000100Y43",  # the standard's worked example
    "91410185MA4400008T",
    "914101857000000286",
    "91410185MA40001350",  # S mod 31 == 0 -> check "0"
    "91410100MA4000194Y",
    "91410100MA400008XM",
    "Y1410100MA00000018",  # starts with a letter (python-stdnum would reject it)
]


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_credit_code_valid_vectors(code: str) -> None:
    parsed = CreditCode.parse(code)
    assert parsed.value == code
    assert str(parsed) == code


def test_credit_code_is_stripped_and_uppercased() -> None:
    assert CreditCode.parse("  91410185ma4400008t \n").value == "91410185MA4400008T"


def test_credit_code_wrong_check_digit_names_expected_character() -> None:
    with pytest.raises(InvalidValue) as error:
        CreditCode.parse("91350100M000100Y4Z")
    assert error.value.field == "credit_code"
    assert "'3'" in error.value.message and "check" in error.value.message


def test_credit_code_custom_field_name() -> None:
    with pytest.raises(InvalidValue) as error:
        CreditCode.parse("91350100M000100Y4Z", "enterprise.credit_code")
    assert error.value.field == "enterprise.credit_code"


@pytest.mark.parametrize("code", ["", "   ", "91350100M000100Y4", "91350100M000100Y433", "9135"])
def test_credit_code_wrong_length(code: str) -> None:
    with pytest.raises(InvalidValue) as error:
        CreditCode.parse(code)
    assert "18 characters" in error.value.message


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_credit_code_forbidden_letters(letter: str) -> None:
    code = "91410185MA4400008T"
    bad = code[:10] + letter + code[11:]
    with pytest.raises(InvalidValue) as error:
        CreditCode.parse(bad)
    assert repr(letter) in error.value.message
    assert "position 11" in error.value.message


def test_credit_code_rejects_punctuation() -> None:
    with pytest.raises(InvalidValue):
        CreditCode.parse("91410185MA440000-T")


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_credit_code_with_check_digit_reproduces_vectors(code: str) -> None:
    assert credit_code_with_check_digit(code[:17]) == code


def test_credit_code_with_check_digit_needs_17_valid_characters() -> None:
    with pytest.raises(InvalidValue):
        credit_code_with_check_digit("9141018")
    with pytest.raises(InvalidValue):
        credit_code_with_check_digit("91410185MA440000I")


def test_credit_code_is_frozen_value() -> None:
    a, b = CreditCode.parse(VALID_CREDIT_CODES[0]), CreditCode.parse(VALID_CREDIT_CODES[0])
    assert a == b and hash(a) == hash(b)
    with pytest.raises(AttributeError):
        a.value = "x"  # type: ignore[misc]


# --- Regions (GB/T 2260, Henan) ---------------------------------------------------------------------


def test_region_table_row_count() -> None:
    regions = henan_regions().all()
    assert len(regions) == 205  # 200 rows of Appendix A + 5 retired codes
    assert sum(r.retired for r in regions) == 5
    assert [r.code for r in regions] == sorted(r.code for r in regions)


def test_region_table_is_cached() -> None:
    assert henan_regions() is henan_regions()


def test_province() -> None:
    henan = henan_regions().parse("410000")
    assert (henan.name, henan.level, henan.parent_code) == ("河南省", RegionLevel.PROVINCE, None)
    assert henan.province_code == "410000"
    assert henan.city_code is None and henan.county_code is None
    assert henan.label == "河南省"


def test_city() -> None:
    zhengzhou = henan_regions().parse("410100")
    assert (zhengzhou.name, zhengzhou.level, zhengzhou.parent_code) == ("郑州市", RegionLevel.CITY, "410000")
    assert (zhengzhou.province_code, zhengzhou.city_code, zhengzhou.county_code) == ("410000", "410100", None)
    assert zhengzhou.label == "河南省 / 郑州市"


def test_county() -> None:
    dengfeng = henan_regions().parse(" 410185 ")
    assert (dengfeng.name, dengfeng.level, dengfeng.parent_code) == ("登封市", RegionLevel.COUNTY, "410100")
    assert (dengfeng.province_code, dengfeng.city_code, dengfeng.county_code) == ("410000", "410100", "410185")
    assert dengfeng.label == "河南省 / 郑州市 / 登封市"
    assert not dengfeng.retired and not dengfeng.nbs_only


def test_jiyuan_is_a_county_directly_under_the_province() -> None:
    jiyuan = henan_regions().parse("419001")
    assert (jiyuan.name, jiyuan.level, jiyuan.parent_code) == ("济源市", RegionLevel.COUNTY, "410000")
    assert (jiyuan.province_code, jiyuan.city_code, jiyuan.county_code) == ("410000", None, "419001")
    assert jiyuan.label == "河南省 / 济源市"
    assert [r.code for r in henan_regions().ancestors("419001")] == ["410000"]


def test_nbs_grouping_row_is_known_but_refused() -> None:
    assert henan_regions().get("419000") is not None
    with pytest.raises(InvalidValue) as error:
        henan_regions().parse("419000")
    assert "419001" in error.value.message


def test_children_and_ancestors() -> None:
    table = henan_regions()
    children = table.children("410100")
    codes = [r.code for r in children]
    assert "410185" in codes and "410173" in codes
    assert codes == sorted(codes)
    assert all(r.parent_code == "410100" for r in children)
    assert [r.code for r in table.ancestors("410185")] == ["410000", "410100"]
    assert table.ancestors("410000") == []
    cities = [r for r in table.children("410000") if r.level is RegionLevel.CITY]
    assert len(cities) == 17
    assert "419001" in [r.code for r in table.children("410000")]
    assert "419000" not in [r.code for r in table.children("410000")]


def test_children_leave_out_retired_unless_asked() -> None:
    table = henan_regions()
    assert "410322" not in [r.code for r in table.children("410300")]
    assert "410322" in [r.code for r in table.children("410300", include_retired=True)]


@pytest.mark.parametrize(
    ("code", "successor"),
    [("410306", "410308"), ("410322", "410308"), ("410381", "410307"), ("410728", "410783"), ("411626", "411603")],
)
def test_retired_code_refused_with_successor(code: str, successor: str) -> None:
    assert henan_regions().get(code).retired  # still resolvable for history
    with pytest.raises(InvalidValue) as error:
        henan_regions().parse(code, "region")
    assert error.value.field == "region"
    assert "retired" in error.value.message and successor in error.value.message


def test_nbs_only_development_zone_accepted_and_flagged() -> None:
    zone = henan_regions().parse("410173")
    assert zone.name == "郑州航空港经济综合实验区"
    assert zone.nbs_only and not zone.retired
    assert zone.city_code == "410100" and zone.county_code == "410173"


@pytest.mark.parametrize("text", ["", "41018", "4101850", "41018X", "410185000000", "４１０１８５"])
def test_region_code_must_be_six_digits(text: str) -> None:
    with pytest.raises(InvalidValue) as error:
        henan_regions().parse(text)
    assert error.value.field == "region_code"
    assert "6 digits" in error.value.message


@pytest.mark.parametrize("code", ["110101", "410199", "419002"])
def test_unknown_region_code(code: str) -> None:
    with pytest.raises(InvalidValue) as error:
        henan_regions().parse(code)
    assert "not a known Henan GB/T 2260 code" in error.value.message


def test_get_unknown_is_none() -> None:
    assert henan_regions().get("999999") is None


# --- Industry, supervision level --------------------------------------------------------------------


def test_industry_parse_by_code_and_label() -> None:
    assert Industry.parse("hazardous_chemicals") is Industry.HAZARDOUS_CHEMICALS
    assert Industry.parse("危险化学品") is Industry.HAZARDOUS_CHEMICALS
    assert Industry.parse(" 非煤矿山 ") is Industry.NON_COAL_MINE
    assert Industry.parse("COMMERCE_TRADE") is Industry.COMMERCE_TRADE
    assert Industry.OTHER.label_zh == "其他"
    assert len(Industry) == 16
    assert all(member.label_zh for member in Industry)


def test_industry_error_lists_valid_codes() -> None:
    with pytest.raises(InvalidValue) as error:
        Industry.parse("coal_mine")
    assert error.value.field == "industry"
    assert "non_coal_mine" in error.value.message and "construction" in error.value.message


def test_supervision_level() -> None:
    assert SupervisionLevel.parse("city") is SupervisionLevel.CITY
    assert SupervisionLevel.parse("县级") is SupervisionLevel.COUNTY
    assert SupervisionLevel.PROVINCE.label_zh == "省级"
    with pytest.raises(InvalidValue):
        SupervisionLevel.parse("township")


# --- Risk and hazard levels -------------------------------------------------------------------------


def test_risk_level_order() -> None:
    assert RiskLevel.LOW < RiskLevel.GENERAL < RiskLevel.SIGNIFICANT < RiskLevel.MAJOR
    assert max(RiskLevel) is RiskLevel.MAJOR


@pytest.mark.parametrize(
    ("level", "code", "label", "colour"),
    [
        (RiskLevel.LOW, "low", "低风险", "blue"),
        (RiskLevel.GENERAL, "general", "一般风险", "yellow"),
        (RiskLevel.SIGNIFICANT, "significant", "较大风险", "orange"),
        (RiskLevel.MAJOR, "major", "重大风险", "red"),
    ],
)
def test_risk_level_parse_by_code_colour_label(level: RiskLevel, code: str, label: str, colour: str) -> None:
    assert (level.code, level.label_zh, level.colour) == (code, label, colour)
    assert RiskLevel.parse(code) is level
    assert RiskLevel.parse(colour.upper()) is level
    assert RiskLevel.parse(label) is level


@pytest.mark.parametrize(
    ("national", "level"),
    [(0, RiskLevel.MAJOR), (1, RiskLevel.SIGNIFICANT), (2, RiskLevel.GENERAL), (3, RiskLevel.LOW), ("0", RiskLevel.MAJOR)],
)
def test_risk_level_from_national_code(national: int | str, level: RiskLevel) -> None:
    assert RiskLevel.from_national_code(national) is level


def test_risk_level_invalid() -> None:
    with pytest.raises(InvalidValue) as error:
        RiskLevel.parse("purple", "current_level")
    assert error.value.field == "current_level" and "blue" in error.value.message
    with pytest.raises(InvalidValue):
        RiskLevel.from_national_code(4)
    with pytest.raises(InvalidValue):
        RiskLevel.from_national_code(True)  # type: ignore[arg-type]


def test_hazard_level() -> None:
    assert HazardLevel.parse("major") is HazardLevel.MAJOR
    assert HazardLevel.parse("一般隐患") is HazardLevel.GENERAL
    assert HazardLevel.MAJOR.label_zh == "重大隐患"
    assert HazardLevel.from_national_code(0) is HazardLevel.GENERAL
    assert HazardLevel.from_national_code("1") is HazardLevel.MAJOR
    with pytest.raises(InvalidValue):
        HazardLevel.parse("severe")
    with pytest.raises(InvalidValue):
        HazardLevel.from_national_code(2)


# --- Mobile numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("199-1234-5678", "19912345678"),
        ("+8615012345678", "15012345678"),
    ],
)
def test_mobile_valid(text: str, value: str) -> None:
    mobile = MobileNumber.parse(text)
    assert mobile.value == value and str(mobile) == value


@pytest.mark.parametrize(
    "text", ["", "12812345678", "1381234567", "138123456789", "0371-12345678", "1381234567a", "+1 13812345678"]
)
def test_mobile_invalid(text: str) -> None:
    with pytest.raises(InvalidValue) as error:
        MobileNumber.parse(text, "safety_officer.mobile")
    assert error.value.field == "safety_officer.mobile" and "11 digits" in error.value.message


# --- Accident types (GB 6441-1986) ------------------------------------------------------------------


def test_accident_types_table() -> None:
    assert list(ACCIDENT_TYPES) == [f"{n:02d}" for n in range(1, 21)]
    assert ACCIDENT_TYPES["09"] == "高处坠落" and ACCIDENT_TYPES["19"] == "中毒和窒息"


def test_parse_accident_type() -> None:
    assert parse_accident_type("09") == "09"
    assert parse_accident_type("高处坠落") == "09"
    assert parse_accident_type(" 中毒和窒息 ") == "19"
    assert parse_accident_type("其他爆炸") == "18"
    assert parse_accident_type("其它伤害") == "20"


@pytest.mark.parametrize("text", ["", "00", "21", "9", "地震"])
def test_parse_accident_type_invalid(text: str) -> None:
    with pytest.raises(InvalidValue) as error:
        parse_accident_type(text, "accident_types.0")
    assert error.value.field == "accident_types.0" and "GB 6441" in error.value.message
