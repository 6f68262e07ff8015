"""The standard conversion of the tables the ledger fills, and the code lists it goes through.

Our codes are those of domain/shared/codes.py (Industry, SupervisionLevel) and the register's
status (projections/schema.py rm_enterprises). The standard's code lists for these fields were not
found (reference §5.2, §5.4, §8): the codes below are our reading, marked as such in
docs/ministry-exchange.md, and replacing them is a change of this file only.

The source rows are the ministry projection's own (projections/ministry/projection.py): its copy
of the enterprise register (`mx_enterprises`, the columns of rm_enterprises plus the safety
officer), and the rows it builds from user, reminder and enforcement-plan events (`mx_sources`,
fields named in `SOURCE_FIELDS`).
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

# Fields the enterprise mappings read that rm_enterprises does not carry: the enterprise aggregate
# has them (domain/enterprises/aggregate.py), and the ministry projection's copy of the register
# (mx_enterprises) keeps them from the Registered and DetailsChanged events.
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
        FieldMap("safety_principal", "safety_officer_name", note="kept by mx_enterprises (not in rm_enterprises)"),
        FieldMap("safety_principal_tel", "safety_officer_mobile", note="kept by mx_enterprises (not in rm_enterprises)"),
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

USER_STATUS = CodeList(
    "user_status", "发布状态",
    "a supervisor's account -> ISSUE_STATUS 1 已发布 (active), 2 已撤销 (deactivated); recovered codes "
    "(reference §4.4), their use for our account states inferred",
    {"active": ("1", "已发布"), "deactivated": ("2", "已撤销")},
)

PLAN_ENTRY_STATUS = CodeList(
    "plan_entry_status", "状态（列入/撤出）",
    "an enforcement-plan entry's status -> the column's own wording (derived)",
    {"planned": ("1", "列入"), "withdrawn": ("2", "撤出")},
)

CODE_LISTS = (INDUSTRY, SUPERVISION_LEVEL, ENTERPRISE_STATUS, USER_STATUS, PLAN_ENTRY_STATUS)

# Supervisors (users with the supervisor role) as enforcement personnel. The ledger keeps a
# username, a placement and a mobile number: no real name, ID number or certificate, so
# `id_number` and `cert_number` are always reported missing (the table's policy sends them empty).
PERSONNEL = TableMapping(
    "jg_zfk_user_info", "mx_sources (user)", key="user_id",
    fields=(
        FieldMap("rowguid", "user_id", note="the user's id (uuid5 of the username)"),
        FieldMap("name", "username", note="the ledger keeps a username, not a person's name"),
        FieldMap("subject_name", "dept_name", note="derived: the region's emergency-management bureau"),
        FieldMap("dept_name", "dept_name", note="derived: the region's emergency-management bureau"),
        FieldMap("id_number", "id_number", note="never in the ledger: reported missing"),
        FieldMap("contact_tel", "mobile"),
        FieldMap("cert_number", "cert_number", note="never in the ledger: reported missing"),
        FieldMap("law_area", "region_name"),
        FieldMap("law_category", "industries_label", note="the scope's industries, 、-separated; empty = all"),
        FieldMap("province", "province_code"),
        FieldMap("city", "city_code"),
        FieldMap("issue_status", "status", Format.CODE, USER_STATUS),
        FieldMap("issue_date", "registered_at", Format.CST),
    ),
)

# A supervisor's answer to a reminder whose measures include an on-site inspection (现场检查)
# is one check action; CD_ID = record_unique_identity = <reminder id>/<answer's version>.
CHECK_ACTION = TableMapping(
    "jg_jgxw_check_action", "mx_sources (on-site response)", key="record_id",
    fields=(
        FieldMap("record_unique_identity", "record_id"),
        FieldMap("check_action_name", "action_name", note="现场检查：<enterprise>（<reminder kind>提醒）"),
        FieldMap("check_action_code", "record_id"),
        FieldMap("implement_institution", "dept_name", note="derived: the supervisor's bureau"),
        FieldMap("supervise_object", "enterprise_name"),
        FieldMap("administrative_cp", "enterprise_name"),
        FieldMap("administrative_cp_ui_code", "credit_code"),
        FieldMap("area_number", "region_code"),
        FieldMap("check_type", "kind_label", note="the reminder's kind (风险辨识, 隐患排查, 隐患整改逾期)"),
        FieldMap("check_mode", "measures_label", note="the answer's measures, 、-separated"),
        FieldMap("check_result", "result"),
        FieldMap("check_date", "happened_at", Format.CST),
        FieldMap("check_personnel", "supervisor"),
        FieldMap("submitted_date", "answered_at", Format.CST),
        FieldMap("submitted_personnel", "supervisor"),
        FieldMap("plan_id", "plan_id", note="the special plan of the period when the enterprise is on it"),
    ),
)

# The enforcement plan (执法计划) as the double-random special plan (专项计划): one plan per
# period, one object row per entry; a withdrawn entry is a `d` row.
SPECIAL_PLAN = TableMapping(
    "jg_ztk_jgxn_ssjygk_zxjhsj", "mx_sources (plan period)", key="plan_id",
    fields=(
        FieldMap("plan_id", "plan_id", note="ZXJH-410000-<period>"),
        FieldMap("plan_name", "plan_name"),
        FieldMap("plan_period", "period"),
        FieldMap("implement_institution", "institution", note="derived: 河南省应急管理厅"),
        FieldMap("area_number", "region_code"),
        FieldMap("object_count", "planned", Format.INTEGER, note="entries planned (not withdrawn)"),
        FieldMap("publish_date", "first_added_at", Format.CST, note="when the period's first entry was added"),
    ),
)

SPECIAL_PLAN_OBJECT = TableMapping(
    "jg_ztk_jgxn_ssjygk_zxjhcc", "mx_sources (plan entry)", key="object_id",
    fields=(
        FieldMap("plan_id", "plan_id"),
        FieldMap("administrative_cp", "enterprise_name"),
        FieldMap("administrative_cp_ui_code", "credit_code"),
        FieldMap("area_number", "region_code"),
        FieldMap("supervise_industry", "industry", Format.LABEL, INDUSTRY),
        FieldMap("check_reason", "reason"),
        FieldMap("origin", "origin"),
        FieldMap("add_date", "added_at", Format.CST),
        FieldMap("status", "status", Format.LABEL, PLAN_ENTRY_STATUS),
    ),
)

# Fields of the rows the ministry projection builds (mx_sources), per kind.
SOURCE_FIELDS = {
    "user": ("user_id", "username", "dept_name", "id_number", "mobile", "cert_number", "region_name",
             "industries_label", "province_code", "city_code", "status", "registered_at"),
    "action": ("record_id", "action_name", "dept_name", "enterprise_name", "credit_code", "region_code", "kind_label",
               "measures_label", "result", "happened_at", "supervisor", "answered_at", "plan_id"),
    "period": ("plan_id", "plan_name", "period", "institution", "region_code", "planned", "first_added_at"),
    "entry": ("object_id", "plan_id", "enterprise_name", "credit_code", "region_code", "industry", "reason", "origin",
              "added_at", "status"),
}
SOURCE_OF = {PERSONNEL.table: "user", CHECK_ACTION.table: "action", SPECIAL_PLAN.table: "period",
             SPECIAL_PLAN_OBJECT.table: "entry"}

MAPPINGS = (ENTERPRISE, MINE, DANGEROUS_CHEMICAL, PERSONNEL, CHECK_ACTION, SPECIAL_PLAN, SPECIAL_PLAN_OBJECT)
MAPPING_BY_TABLE = {m.table: m for m in MAPPINGS}
