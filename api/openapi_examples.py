"""A complete, valid request example for every command of the enterprise interfaces and the
enterprise register, shown in /docs ("Try it out" starts from it) and in /openapi.json.

The examples are kept per operation here rather than on the pydantic models: one model serves
several operations, and an example only makes sense in the order of a real flow (the level change
of the risk the first example added). tests/e2e/test_openapi_docs.py posts every example, in
that order, to the real app and expects 2xx, so an example cannot rot."""

from __future__ import annotations

from typing import Any

API = "/api/v1"

CONTROL_MEASURE = {"description": "安装有毒气体报警仪并与紧急切断阀联锁", "control_level": "company",
                   "department": "安全环保部", "responsible_person": "李强"}

# The six elements of a major hazard's rectification plan (治理方案, the 五定 and its emergency measures).
RECTIFICATION_PLAN = {
    "objectives": "一周内恢复 2 号罐区可燃气体报警系统的全部监测功能",
    "methods_and_measures": "更换失效探头, 校验全部报警点位, 恢复与 DCS 的联锁",
    "funds_and_materials": "安全生产费用列支 3.2 万元, 备品备件由设备部提供",
    "responsible_organisation": "设备部牵头, 仪表班实施, 安全环保部监督",
    "time_limit_and_requirements": "2026-11-17 18:00 前完成并经验收",
    "safety_and_emergency_measures": "整改期间罐区增设便携式报警仪, 每 2 小时巡检一次, 启用专项应急预案",
}

# (method, path) -> {example name: {"summary": ..., "value": body}}, in the order of a flow.
EXAMPLES: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("post", f"{API}/enterprises"): {"register": {"summary": "登记企业", "value": {
        "credit_code": "91410185MA00000012", "name": "登封市示范化工有限公司", "region_code": "410185",
        "industry": "hazardous_chemicals", "supervision_level": "county",
        "safety_officer": {"name": "张伟", "mobile": "13800138000"}, "registered_at": "2026-10-01T09:00:00+08:00",
    }}},
    ("patch", f"{API}/enterprises/{{credit_code}}"): {"change": {"summary": "变更名称和安全负责人", "value": {
        "name": "登封市示范化工股份有限公司", "safety_officer": {"name": "刘洋", "mobile": "13900139000"},
    }}},
    ("post", f"{API}/enterprises/{{credit_code}}/deregistration"): {"deregister": {
        "summary": "注销", "value": {"reason": "企业已依法注销营业执照"}}},
    ("post", f"{API}/risks"): {"identify": {"summary": "风险点新增 (LEC 评估)", "value": {
        "risk_code": "FX-2026-001", "name": "液氯储罐区", "location": "二号罐区",
        "hazard_factors": ["压力容器超压", "有毒气体泄漏"], "accident_types": ["17", "中毒和窒息"],
        "assessment": {"method": "lec", "score": 180}, "inherent_level": "significant", "current_level": "general",
        "control_measures": [CONTROL_MEASURE], "identified_at": "2026-11-02T10:00:00+08:00",
    }}},
    ("post", f"{API}/risks/{{risk_id}}/level-changes"): {"upgrade": {"summary": "风险升级", "value": {
        "level": "significant", "reason": "储量增加至设计上限", "changed_at": "2026-11-20T10:00:00+08:00",
    }}},
    ("post", f"{API}/risks/{{risk_id}}/measure-revisions"): {"revise": {"summary": "管控措施修订", "value": {
        "control_measures": [CONTROL_MEASURE, {"description": "每班巡检并记录罐区压力", "control_level": "team",
                                               "department": "储运车间", "responsible_person": "王磊"}],
        "reason": "升级后增加班组级巡检",
    }}},
    ("post", f"{API}/risks/{{risk_id}}/invalidation"): {"invalidate": {
        "summary": "风险点作废", "value": {"reason": "罐区已拆除"}}},
    ("post", f"{API}/hazards"): {"major": {"summary": "重大隐患 (限期整改, 含治理方案)", "value": {
        "hazard_code": "YH-2026-001", "name": "储罐区可燃气体报警器失效", "description": "2 号罐区 3 个报警探头无响应",
        "level": "major", "source": "self_inspection", "found_at": "2026-11-10T09:00:00+08:00",
        "rectification_deadline": "2026-11-17T18:00:00+08:00", "responsible_person": "王磊",
        "governance_type": "deadline", "rectification_plan": RECTIFICATION_PLAN,
    }}},
    ("post", f"{API}/hazards/{{hazard_id}}/rectification"): {"done": {"summary": "隐患整改完成", "value": {
        "measures": "更换 3 个探头并完成联锁校验", "completed_at": "2026-11-15T16:00:00+08:00",
        "responsible_person": "王磊", "cost": 32000,
    }}},
    ("post", f"{API}/hazards/{{hazard_id}}/acceptance"): {"passed": {"summary": "隐患验收通过", "value": {
        "passed": True, "accepted_by": "赵敏", "accepted_at": "2026-11-16T10:00:00+08:00",
        "opinion": "报警功能恢复, 联锁测试正常, 同意销号",
    }}},
    ("post", f"{API}/hazards/{{hazard_id}}/invalidation"): {"invalidate": {
        "summary": "隐患作废", "value": {"reason": "重复录入"}}},
    ("post", f"{API}/inspections"): {"record": {"summary": "隐患排查记录 (未发现隐患)", "value": {
        "inspection_code": "PC-2026-001", "performed_at": "2026-11-12T15:00:00+08:00", "scope": "罐区日常排查",
        "hazards_found": 0, "inspector": "赵敏",
    }}},
    ("post", f"{API}/subscriptions"): {"apply": {"summary": "申请订阅接口", "value": {
        "interfaces": ["risk.add", "risk.maintain", "hazard.add", "hazard.maintain", "inspection.record"],
        "purpose": "企业双重预防系统对接", "contact": {"name": "张伟", "mobile": "13800138000"},
    }}},
}


def example(method: str, path: str) -> dict[str, Any]:
    """The (first) example body of an operation, for tests and the integration guide's checks."""
    return next(iter(EXAMPLES[(method, path)].values()))["value"]


def add_examples(document: dict[str, Any]) -> None:
    """Put each example on its operation's JSON request body (as `Body(openapi_examples=...)` would)."""
    for (method, path), examples in EXAMPLES.items():
        operation = document["paths"][path][method]
        operation["requestBody"]["content"]["application/json"]["examples"] = examples
