"""Every table of the two ministry standards the seed lists (2.3.2.1 政务服务, 2.3.2.2 监管数据),
declared once. `ledger frontend init` creates them, docs/ministry-exchange.md is generated from
them, and the exchange fills the ones marked `Fill.LEDGER`.

Column lists: only jg_jgxw_check_action was recovered complete (reference §4.2); the punish, force
and other actions have English names only (§4.3), the enforcement personnel Chinese names (§4.4),
the enterprise table two confirmed columns (§4.5). Where the list was not found, a table the
ledger fills gets the columns our data supports (`Origin.DERIVED`), and a table fed by other
systems carries the exchange columns only until the standard's own list is obtained: guessing
business columns nobody writes would only have to be undone.
"""

from __future__ import annotations

from projections.ministry.tables import Catalogue, Column, Fill, Frequency, Kind, Origin, Table

R, I, D = Origin.RECOVERED, Origin.INFERRED, Origin.DERIVED
HOURLY, DAILY = Frequency.HOURLY, Frequency.DAILY


def v(name: str, zh: str, length: int, origin: Origin = R, required: bool = False) -> Column:
    return Column(name, zh, Kind.VARCHAR, length, required=required, origin=origin)


def t(name: str, zh: str, origin: Origin = R) -> Column:
    return Column(name, zh, Kind.TEXT, origin=origin)


def dt(name: str, zh: str, origin: Origin = R, required: bool = False) -> Column:
    return Column(name, zh, Kind.DATETIME, required=required, origin=origin)


def d(name: str, zh: str, origin: Origin = R) -> Column:
    return Column(name, zh, Kind.DATE, origin=origin)


def n(name: str, zh: str, origin: Origin = D) -> Column:
    return Column(name, zh, Kind.INTEGER, origin=origin)


def money(name: str, zh: str, origin: Origin = I) -> Column:
    return Column(name, zh, Kind.DECIMAL, 18, 2, origin=origin)


NOT_FOUND = "column list not found (reference §8): exchange columns only until the standard is obtained"

# --- 政务服务数据对接标准（第一批）: fed by the government-service systems, never by the ledger ------

_UP = [  # (name, 中文, frequency) in the seed's order (2.3.2.1; frequencies 2.3.4.2)
    ("up_task_directory", "政务服务事项基本目录", HOURLY),
    ("up_task_general_basic", "许可、给付、奖励、确认、裁决、其他类事项 基本信息", HOURLY),
    ("up_task_general_extend", "许可、给付、奖励、确认、裁决、其他类事项 扩展信息", HOURLY),
    ("up_task_general_material", "许可、给付、奖励、确认、裁决、其他类事项 材料目录信息", HOURLY),
    ("up_task_general_fee_project", "许可、给付、奖励、确认、裁决、其他类事项 收费项目信息", HOURLY),
    ("up_task_general_questions", "许可、给付、奖励、确认、裁决、其他类事项 常见问题解答", HOURLY),
    ("up_task_punish_basic", "处罚类事项 基本信息", HOURLY),
    ("up_task_punish_questions", "处罚类事项 常见问题解答", HOURLY),
    ("up_task_handle_basic", "征收类事项 基本信息", HOURLY),
    ("up_task_handle_material", "征收类事项 材料目录信息", HOURLY),
    ("up_task_handle_questions", "征收类事项 常见问题解答", HOURLY),
    ("up_task_check_basic", "强制、检查类事项 基本信息", HOURLY),
    ("up_task_check_questions", "强制、检查类事项 常见问题解答", HOURLY),
    ("up_task_public_basic", "公共服务类事项 基本信息", HOURLY),
    ("up_task_public_extend", "公共服务类事项 扩展信息", HOURLY),
    ("up_task_public_material", "公共服务类事项 材料目录信息", HOURLY),
    ("up_task_public_fee_project", "公共服务类事项 收费项目信息", HOURLY),
    ("up_task_public_questions", "公共服务类事项 常见问题解答", HOURLY),
    ("up_zone_organization", "区划内实施主体信息", HOURLY),
    ("up_pro_accept", "办件受理信息", DAILY),
    ("up_pro_process", "办件过程信息", DAILY),
    ("up_pro_result", "办件结果信息", DAILY),
    ("up_pro_specialprocedure", "特别程序信息", DAILY),
    ("up_pro_material", "办件材料目录信息", DAILY),
    ("up_lic_data", "证照目录信息", HOURLY),
]


def _up_group(name: str) -> str:
    if name.startswith("up_pro_"):
        return "政务服务事项办件信息"
    if name == "up_lic_data":
        return "国家电子证照共享"
    return "政务服务事项基本目录及实施清单"


GOVERNMENT_SERVICE = tuple(
    Table(name, zh, _up_group(name), (), frequency, Fill.OTHER_SYSTEMS, NOT_FOUND,
          note="政务服务数据对接标准（第一批）; attachments go to the task_attr_up / pro_attr_up folders")
    for name, zh, frequency in _UP
)

# --- 监管数据汇聚标准（第一批） ---------------------------------------------------------------------

_ENTERPRISE_KEY = (
    v("uniscid", "统一社会信用代码", 18, R, required=True),
    v("entname", "企业名称", 200, R, required=True),
)

ENTERPRISE = Table(
    "jg_jgdx_qyjbxx", "企业基本信息", "监管对象基础信息",
    _ENTERPRISE_KEY + (
        v("area_number", "行政区划代码", 6, I, required=True),
        v("industryco", "行业代码（GB/T 4754-2017）", 10, I),
        v("supervise_industry", "监管行业", 50, D, required=True),
        v("supervise_level", "监管层级代码", 2, D, required=True),
        v("supervise_level_name", "监管层级", 10, D),
        v("safety_principal", "安全负责人", 50, D),
        v("safety_principal_tel", "安全负责人联系电话", 20, D),
        v("regstate", "状态", 2, I, required=True),
        dt("register_time", "纳入监管时间", D, required=True),
        dt("deregister_time", "注销时间", D),
    ),
    DAILY, Fill.LEDGER,
    "entname and uniscid confirmed (reference §4.5); area_number named as in jg_jgxw_check_action; "
    "industryco and regstate are the SAMR-style names §4.5 suggests; the rest derived from the enterprise register",
    note="CD_ID is the credit code. Filled from the register (rm_enterprises) by the mapping in "
         "projections/ministry/mappings.py; a deregistration is sent as a `d` row",
)

_DUAL_PREVENTION_FACTS = (  # what the ledger knows about an enterprise's dual-prevention work
    v("area_number", "行政区划代码", 6, I, required=True),
    n("risk_major_count", "重大风险数"),
    n("risk_significant_count", "较大风险数"),
    n("risk_general_count", "一般风险数"),
    n("risk_low_count", "低风险数"),
    n("hazard_open_major_count", "未销号重大隐患数"),
    n("hazard_open_general_count", "未销号一般隐患数"),
    dt("last_risk_report_time", "最近风险清单报送时间", D),
    dt("last_hazard_time", "最近隐患登记时间", D),
    dt("last_inspection_time", "最近隐患排查时间", D),
)

_EXTENSIONS = [  # (suffix, 中文, filled by the ledger?, which of our industries it holds)
    ("colliery", "煤矿信息", None),
    ("mine", "工矿商贸信息", "non-coal mines and the eight 工贸 industries (冶金、有色、建材、机械、轻工、纺织、烟草、商贸)"),
    ("dangerous_chemical", "危化品信息", "hazardous-chemicals enterprises"),
    ("fire_controlunit", "重点消防单位信息", None),
    ("safety_production", "安全生产评价和监测检验机构信息", None),
    ("dangerous_source", "危险化学品重大危险源信息", None),
]

EXTENSIONS = tuple(
    Table(
        f"jg_jgdx_qykzxx_{suffix}", zh, "监管对象基础信息",
        _ENTERPRISE_KEY + (_DUAL_PREVENTION_FACTS if holds else ()),
        DAILY, Fill.LEDGER if holds else Fill.OTHER_SYSTEMS,
        ("column list not found (reference §8); the enterprise key as in jg_jgdx_qyjbxx, and the "
         "dual-prevention facts of the enterprise register (derived)") if holds else
        ("column list not found (reference §8): the enterprise key (inferred: an extension of "
         "jg_jgdx_qyjbxx) and the exchange columns"),
        note=(f"CD_ID is the credit code; rows for {holds}" if holds else
              "not ours: coal mines, fire units, assessment bodies and major hazard sources are registered elsewhere"),
    )
    for suffix, zh, holds in _EXTENSIONS
)

PLACE = Table("jg_jgdx_cdcs_place", "场地场所（如建筑工地、水库）信息", "监管对象基础信息", (), DAILY,
              Fill.OTHER_SYSTEMS, NOT_FOUND)

# 监管行为: the check action recovered complete (reference §4.2, types of one implementation).
_ACTION_PARTY = (
    v("implement_institution", "实施机构", 100),
    v("implement_institution_code", "实施机构编码（统一社会信用代码）", 20),
    v("entrust_dept", "受委托部门", 100),
    v("entrust_dept_code", "受委托部门编码", 20),
    v("supervise_object", "监管对象", 200),
    v("administrative_cp", "行政相对人（单位/个人）名称", 200),
    v("administrative_cp_na", "行政相对人性质", 100),
    v("administrative_cp_ce_type", "行政相对人证件类型", 10),
    v("administrative_cp_ui_code", "行政相对人（单位/个人）编码", 20),
    v("address_registered", "注册地址", 400),
    v("address_operating", "经营地址", 400),
    v("area_number", "行政区划代码", 6),
)
_SUBMITTED = (dt("submitted_date", "报送时间"), v("submitted_personnel", "报送人员", 50))


def _inferred(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """The same columns, their names recovered for this table but Chinese names and types inferred."""
    return tuple(Column(c.name, c.zh, c.kind, c.length, c.scale, c.required, I) for c in columns)


CHECK_ACTION = Table(
    "jg_jgxw_check_action", "行政检查行为信息", "监管行为信息",
    (
        v("record_unique_identity", "记录唯一标识", 100, required=True),
        v("supervise_item_implement_code", "监管事项目录编码", 300),
        v("supervise_item_check_icode", "监管事项检查实施清单编码", 800),
        v("check_action_name", "检查行为名称", 2000),
        v("check_action_code", "检查行为编号", 50),
        *_ACTION_PARTY,
        v("check_form", "检查形式", 100),
        v("check_type", "检查类别", 100),
        v("check_mode", "检查方式", 20),
        t("check_result", "检查结果"),
        dt("check_date", "检查时间"),
        t("check_personnel", "检查人员"),
        t("check_personnel_code", "执法证号"),
        *_SUBMITTED,
        v("plan_id", "双随机一公开计划id", 50),
    ),
    DAILY, Fill.LEDGER,
    "recovered complete with types (reference §4.2)",
    note="filled from supervisors' answers to reminders with an on-site inspection (现场检查); "
         "CD_ID = record_unique_identity = <reminder id>/<answer's version>. "
         "Code lists for check_form / check_type / check_mode not found",
)

PUNISH_ACTION = Table(
    "jg_jgxw_punish_action", "行政处罚行为信息", "监管行为信息",
    (
        v("record_unique_identity", "记录唯一标识", 100, I, required=True),
        v("supervise_item_code", "监管事项编码", 300, I),
        v("punish_action_name", "处罚行为名称", 500, I),
        v("punish_action_code", "处罚行为编号（案件编号）", 50, I),
        v("check_action_code", "检查行为编号（检查案件编号）", 50, I),
        *_inferred(_ACTION_PARTY),
        t("illegal_fact", "违法事实", I),
        t("punish_accord", "处罚依据", I),
        v("punish_procedure", "案件程序类别", 50, I),
        v("punish_document_code", "处罚决定书文号", 100, I),
        v("punish_type", "处罚种类", 100, I),
        t("penalty_result", "处罚结果", I),
        money("fine", "罚款金额（元）"),
        dt("set_date", "立案日期", I),
        dt("filing_date", "结案日期", I),
        v("case_source", "案件来源", 100, I),
        v("major_case", "是否重大案件", 10, I),
        v("legal_review", "是否法制审核", 10, I),
        dt("legal_review_date", "法制审核日期", I),
        t("legal_review_opinions", "法制审核意见", I),
        v("discuss_collectively", "是否集体讨论", 10, I),
        dt("group_discussion_date", "集体讨论日期", I),
        t("group_discussion_conclusion", "集体讨论结论", I),
        v("if_hearing_witnesses", "是否听证", 10, I),
        v("administrative_reconsider", "是否行政复议", 10, I),
        v("administrative_penalties", "是否行政诉讼", 10, I),
        v("administrative_action", "行政行为", 100, I),
        t("other_disposals", "其他处置", I),
        dt("deportation_date", "送达日期", I),
        v("cases_closed_execution", "结案执行情况", 100, I),
        v("cases_closed_execution_way", "执行方式", 100, I),
        t("cases_closed_execution_result", "执行结果", I),
        money("cases_closed_fine", "实际缴纳罚款（元）"),
        v("case_involving_punishment", "是否移送司法机关", 10, I),
        *_inferred(_SUBMITTED),
    ),
    DAILY, Fill.OTHER_SYSTEMS,
    "English names recovered (reference §4.3); Chinese names and types inferred",
    note="fed by the enforcement case system (行政执法), not the ledger",
)

FORCE_ACTION = Table(
    "jg_jgxw_force_action", "行政强制行为信息", "监管行为信息",
    (
        v("record_unique_identity", "记录唯一标识", 100, I, required=True),
        v("supervise_item_code", "监管事项编码", 300, I),
        v("force_action_name", "强制行为名称", 500, I),
        v("force_action_code", "强制行为编号", 50, I),
        v("force_type", "强制类型", 100, I),
        v("force_execution_type", "强制执行类型", 100, I),
        v("coercive_measure_type", "强制措施种类", 100, I),
        t("mandatory_basis", "强制依据", I),
        v("mandatory_decision_number", "强制决定书文号", 100, I),
        dt("mandatory_decision_patify", "强制决定送达日期", I),
        dt("mandatory_decision_sev_date", "强制决定生效日期", I),
        dt("force_extend_date", "强制延期日期", I),
        dt("end_date", "强制结束日期", I),
        v("check_action_code", "检查行为编号", 50, I),
        t("illegal_fact", "违法事实", I),
        *_inferred(_ACTION_PARTY),
        *_inferred(_SUBMITTED),
    ),
    DAILY, Fill.OTHER_SYSTEMS,
    "English names recovered (reference §4.3); Chinese names and types inferred",
    note="fed by the enforcement case system (行政执法), not the ledger",
)

OTHER_ACTION = Table(
    "jg_jgxw_other_action", "其他行为信息", "监管行为信息",
    (
        v("record_unique_identity", "记录唯一标识", 100, I, required=True),
        v("supervise_item_code", "监管事项编码", 300, I),
        v("other_action_name", "其他行为名称", 500, I),
        v("other_action_code", "其他行为编号", 50, I),
        v("check_action_code", "检查行为编号", 50, I),
        t("action_result", "行为结果", I),
        dt("action_date", "行为日期", I),
        *_inferred(_ACTION_PARTY),
        *_inferred(_SUBMITTED),
    ),
    DAILY, Fill.OTHER_SYSTEMS,
    "not found; inferred from the columns the check, punish and force actions share (reference §4.2-4.3)",
    note="fed by the enforcement case system (行政执法), not the ledger",
)

PERSONNEL = Table(
    "jg_zfk_user_info", "执法人员信息", "执法人员信息",
    (
        v("rowguid", "记录唯一标识", 100, R, required=True),
        v("name", "姓名", 64, I, required=True),
        v("subject_name", "所属主体（受委托组织）全称", 200, I),
        v("dept_name", "单位", 200, I, required=True),
        v("id_number", "身份证号", 18, I, required=True),
        v("sex", "性别（1 男 2 女）", 1, I),
        d("birthday", "出生日期", I),
        v("zzmm", "政治面貌", 20, R),
        v("job_level", "职级", 50, I),
        v("nation_code", "民族", 10, R),
        v("education", "最高学历", 50, I),
        v("education_major", "学历专业", 100, I),
        v("is_supervisor", "是否监督人员（1 是 2 否）", 1, I),
        v("is_legal_qualified", "是否具有法律职业资格（1 是 2 否）", 1, I),
        v("contact_tel", "联系电话", 11, I),
        v("personnel_nature", "执法人员性质", 50, I),
        v("cert_number", "执法证号", 100, I, required=True),
        v("cert_issuer", "发证机关", 200, I),
        v("law_area", "执法区域", 200, I),
        v("law_category", "执法类别", 200, I),
        d("cert_valid_date", "证件有效期", I),
        v("province", "省", 6, I),
        v("city", "市（区）", 6, I),
        v("issue_status", "发布状态（0 未发布 1 已发布 2 已撤销）", 1, R),
        dt("issue_date", "发布日期", R),
    ),
    DAILY, Fill.LEDGER,
    "Chinese names and lengths recovered (reference §4.4); column names other than rowguid, zzmm, "
    "nation_code, issue_status, issue_date follow the camel-to-snake default (inferred)",
    note="filled from supervisors (users with the supervisor role); CD_ID = rowguid = the user's id; a "
         "deactivated supervisor is a `d` row. ID numbers and certificate numbers are not in the ledger",
)

_COMPLAINTS = [
    ("tsjb_user_info", "投诉举报用户信息", "各地方投诉举报信息"),
    ("tsjb_complaint_info", "投诉信息", "各地方投诉举报信息"),
    ("tsjb_report_info", "举报信息", "各地方投诉举报信息"),
    ("tsjb_handle_info", "事件经办信息", "各地方投诉举报信息"),
    ("tsjb_mediate_info", "调解信息", "各地方投诉举报信息"),
    ("jg_tsjb_handle_info", "监管经办信息", "监管平台投诉举报信息"),
    ("jg_tsjb_accessory", "附件表", "监管平台投诉举报信息"),
    ("jg_tsjb_mediate_info", "监管调解信息", "监管平台投诉举报信息"),
]
COMPLAINTS = tuple(
    Table(name, zh, f"监管事项投诉举报信息 / {sub}", (), DAILY, Fill.OTHER_SYSTEMS, NOT_FOUND,
          note="fed by the complaints and reports (投诉举报) platform; attachments go to tsjb_attr_up")
    for name, zh, sub in _COMPLAINTS
)

KNOWLEDGE = tuple(
    Table(name, zh, "知识库信息", (), DAILY, Fill.OTHER_SYSTEMS, NOT_FOUND, note="fed by the knowledge base")
    for name, zh in (("jg_zsk_law", "法律法规库"), ("jg_zsk_case", "案例库信息"), ("jg_zsk_plan", "预案库信息"))
)

# 双随机一公开: column lists not found (reference §4.6). The special plans are ours to fill from
# the enforcement plan (closed loop); the annual plans come from the double-random system and get
# the same shape by analogy. A plan's object list is keyed by (plan, object): CD_ID = plan_id + "/"
# + the object's credit code.
_PLAN = (
    v("plan_id", "计划id", 50, D, required=True),
    v("plan_name", "计划名称", 200, D, required=True),
    v("plan_period", "计划期间", 20, D),
    v("implement_institution", "实施机构", 100, I),
    v("implement_institution_code", "实施机构编码（统一社会信用代码）", 20, I),
    v("area_number", "行政区划代码", 6, I),
    v("supervise_industry", "监管行业", 50, D),
    n("object_count", "抽查对象数"),
    dt("publish_date", "发布日期", D),
)
_PLAN_OBJECT = (
    v("plan_id", "计划id", 50, D, required=True),
    v("administrative_cp", "监管对象名称", 200, I, required=True),
    v("administrative_cp_ui_code", "监管对象统一社会信用代码", 20, I, required=True),
    v("area_number", "行政区划代码", 6, I),
    v("supervise_industry", "监管行业", 50, D),
    t("check_reason", "列入原因", D),
    v("origin", "来源（提醒升级/人工）", 20, D),
    dt("add_date", "列入时间", D),
    v("status", "状态（列入/撤出）", 10, D),
)
_DERIVED_PLAN = "column list not found (reference §4.6); derived from the enforcement plan (closed loop)"
_ANALOGY = "column list not found (reference §4.6); the shape of the special-plan table, by analogy (inferred)"
DOUBLE_RANDOM = (
    Table("jg_ztk_jgxn_ssjygk_ndjhsj", "双随机一公开数据的年度计划数据", "双随机一公开计划信息", _PLAN, DAILY,
          Fill.OTHER_SYSTEMS, _ANALOGY, note="annual plans come from the double-random (双随机) system"),
    Table("jg_ztk_jgxn_ssjygk_spot_check", "双随机一公开数据的年度计划抽查的监管对象信息", "双随机一公开计划信息",
          _PLAN_OBJECT, DAILY, Fill.OTHER_SYSTEMS, _ANALOGY,
          note="annual plans come from the double-random (双随机) system; CD_ID = plan_id/credit code"),
    Table("jg_ztk_jgxn_ssjygk_zxjhsj", "双随机一公开数据的专项计划数据", "双随机一公开计划信息", _PLAN, DAILY,
          Fill.LEDGER, _DERIVED_PLAN, note="one plan per enforcement-plan period; CD_ID = plan_id"),
    Table("jg_ztk_jgxn_ssjygk_zxjhcc", "双随机一公开数据的专项计划抽查的监管对象信息", "双随机一公开计划信息",
          _PLAN_OBJECT, DAILY, Fill.LEDGER, _DERIVED_PLAN,
          note="one row per enforcement-plan entry; CD_ID = plan_id/credit code; a withdrawn entry is a `d` row"),
)

CATALOGUE = Catalogue(
    GOVERNMENT_SERVICE
    + (ENTERPRISE, *EXTENSIONS, PLACE, CHECK_ACTION, PUNISH_ACTION, FORCE_ACTION, OTHER_ACTION, PERSONNEL)
    + COMPLAINTS + KNOWLEDGE + DOUBLE_RANDOM
)

# Attachment folders under LEDGER_FRONTEND_ROOT (seed 2.3.1.3).
ATTACHMENT_FOLDERS = {
    "task_attr_up": "事项附件文件夹",
    "pro_attr_up": "办件附件文件夹",
    "tsjb_attr_up": "投诉举报附件文件夹",
}
