"""The standard conversion of the tables the ledger fills today, and the code lists it goes through.

Our codes are those of domain/shared/codes.py (Industry, SupervisionLevel) and the register's
status (projections/schema.py rm_enterprises). The standard's code lists for these fields were not
found (reference §5.2, §5.4, §8): the codes below are our reading, marked as such in
docs/ministry-exchange.md, and replacing them is a change of this file only.
"""

from __future__ import annotations

from domain.shared.codes import Industry, SupervisionLevel
from projections.ministry.conversion import CodeList, FieldMap, Format, TableMapping

# GB/T 4754-2017 国民经济行业分类 at the finest level one of our 监管行业 determines: a 门类 letter,
# or 门类 + 大类 (+ 小类 for fireworks). Machinery and light industry span many 大类 of C.
_GB4754 = {
    Industry.NON_COAL_MINE: "B",  # 采矿业 (the coal 大类 06 is not ours)
    Industry.HAZARDOUS_CHEMICALS: "C26",  # 化学原料和化学制品制造业
    Industry.FIREWORKS: "C2672",  # 焰火、鞭炮产品制造
    Industry.METALLURGY: "C31",  # 黑色金属冶炼和压延加工业
    Industry.NONFERROUS: "C32",  # 有色金属冶炼和压延加工业
    Industry.BUILDING_MATERIALS: "C30",  # 非金属矿物制品业
    Industry.MACHINERY: "C",
    Industry.LIGHT_INDUSTRY: "C",
    Industry.TEXTILES: "C17",  # 纺织业
    Industry.TOBACCO: "C16",  # 烟草制品业
    Industry.COMMERCE_TRADE: "F",  # 批发和零售业
    Industry.POWER: "D44",  # 电力、热力生产和供应业
    Industry.TRANSPORT: "G",  # 交通运输、仓储和邮政业
    Industry.WATER: "N76",  # 水利管理业
    Industry.CONSTRUCTION: "E",  # 建筑业
    Industry.OTHER: None,
}

INDUSTRY = CodeList(
    "industry", "监管行业",
    "our 监管行业 (seed 1.2.1, 应急管理部令第13号) -> GB/T 4754-2017 code (inferred, from memory of the "
    "standard; reference §5.2) and the seed's Chinese name",
    {member.value: (_GB4754[member], member.label_zh) for member in Industry},
)

SUPERVISION_LEVEL = CodeList(
    "supervision_level", "监管层级",
    "our supervision level -> 1 省级, 2 市级, 3 县级 (inferred: the order of administrative tiers; "
    "the standard's list was not found, reference §5.4)",
    {SupervisionLevel.PROVINCE.value: ("1", "省级"), SupervisionLevel.CITY.value: ("2", "市级"),
     SupervisionLevel.COUNTY.value: ("3", "县级")},
)

ENTERPRISE_STATUS = CodeList(
    "enterprise_status", "状态",
    "the register's status -> 1 存续, 2 注销 (inferred, after the SAMR 登记状态 wording)",
    {"active": ("1", "存续"), "deregistered": ("2", "注销")},
)

CODE_LISTS = (INDUSTRY, SUPERVISION_LEVEL, ENTERPRISE_STATUS)

# Fields the mappings read that rm_enterprises does not carry yet: the enterprise aggregate has
# them (domain/enterprises/aggregate.py), the register projection does not store them. Until it
# does (or the exchange reads a staging model that has them), they arrive empty.
NOT_IN_READ_MODEL = frozenset({"safety_officer_name", "safety_officer_mobile"})

ENTERPRISE = TableMapping(
    "jg_jgdx_qyjbxx", "rm_enterprises", key="credit_code",
    fields=(
        FieldMap("uniscid", "credit_code"),
        FieldMap("entname", "name"),
        FieldMap("area_number", "region_code"),
        FieldMap("industryco", "industry", Format.CODE, INDUSTRY),
        FieldMap("supervise_industry", "industry", Format.LABEL, INDUSTRY),
        FieldMap("supervise_level", "supervision_level", Format.CODE, SUPERVISION_LEVEL),
        FieldMap("supervise_level_name", "supervision_level", Format.LABEL, SUPERVISION_LEVEL),
        FieldMap("safety_principal", "safety_officer_name", note="not in rm_enterprises yet"),
        FieldMap("safety_principal_tel", "safety_officer_mobile", note="not in rm_enterprises yet"),
        FieldMap("regstate", "status", Format.CODE, ENTERPRISE_STATUS),
        FieldMap("register_time", "registered_at", Format.CST),
        FieldMap("deregister_time", "deregistered_at", Format.CST),
    ),
)

_FACTS = (
    FieldMap("uniscid", "credit_code"),
    FieldMap("entname", "name"),
    FieldMap("area_number", "region_code"),
    FieldMap("risk_major_count", "risks_major", Format.INTEGER),
    FieldMap("risk_significant_count", "risks_significant", Format.INTEGER),
    FieldMap("risk_general_count", "risks_general", Format.INTEGER),
    FieldMap("risk_low_count", "risks_low", Format.INTEGER),
    FieldMap("hazard_open_major_count", "hazards_open_major", Format.INTEGER),
    FieldMap("hazard_open_general_count", "hazards_open_general", Format.INTEGER),
    FieldMap("last_risk_report_time", "last_risk_report_at", Format.CST),
    FieldMap("last_hazard_time", "last_hazard_registered_at", Format.CST),
    FieldMap("last_inspection_time", "last_inspection_at", Format.CST),
)

# 工矿商贸: non-coal mines and the eight 工贸 industries of 应急管理部令第13号 (reference §5.2).
MINE_INDUSTRIES = frozenset({
    Industry.NON_COAL_MINE, Industry.METALLURGY, Industry.NONFERROUS, Industry.BUILDING_MATERIALS,
    Industry.MACHINERY, Industry.LIGHT_INDUSTRY, Industry.TEXTILES, Industry.TOBACCO, Industry.COMMERCE_TRADE,
})

MINE = TableMapping("jg_jgdx_qykzxx_mine", "rm_enterprises", key="credit_code", fields=_FACTS,
                    only=("industry", frozenset(i.value for i in MINE_INDUSTRIES)))
DANGEROUS_CHEMICAL = TableMapping("jg_jgdx_qykzxx_dangerous_chemical", "rm_enterprises", key="credit_code",
                                  fields=_FACTS, only=("industry", frozenset({Industry.HAZARDOUS_CHEMICALS.value})))

MAPPINGS = (ENTERPRISE, MINE, DANGEROUS_CHEMICAL)
MAPPING_BY_TABLE = {m.table: m for m in MAPPINGS}
