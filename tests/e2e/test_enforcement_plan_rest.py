"""The enforcement plan (执法计划) over HTTP, on SQLite and PostgreSQL: add, list, answer a reminder
with an entry, withdraw (never deleted), reinstate, the Excel export, scopes, roles, and the
system's automatic entries (which answer nothing)."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.bootstrap import Services
from tests.conftest import add_user, login
from tests.e2e.helpers import assert_problem, client_token, error_fields, portal_login, register_enterprise
from tests.e2e.test_supervision_rest import scan
from tests.support.clock import FakeClock

PLAN = "/api/v1/enforcement-plan"
ENTRIES = f"{PLAN}/entries"


def catch_up(services: Services) -> None:
    runner = services.new_projection_runner()
    try:
        runner.ensure_current()
        runner.catch_up()
    finally:
        runner.close()


def listed(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get(PLAN, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def workbook_rows(client: TestClient, headers: dict[str, str], **params: Any) -> tuple[list[str], list[list[Any]], list[str]]:
    """(title lines, header row, data rows) of the export."""
    response = client.get(f"{PLAN}/export.xlsx", params=params, headers=headers)
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    return [v[0] for v in values[:3]], values[3], values[4:]


def test_a_supervisor_plans_lists_withdraws_and_reinstates(own_ledger: tuple[TestClient, Services]) -> None:
    client, services = own_ledger
    catch_up(services)
    zhengzhou = register_enterprise(services, region_code="410185")
    other = register_enterprise(services, region_code="410102")
    luoyang = register_enterprise(services, region_code="410302")
    city = add_user(services, "supervisor", region_code="410100")
    headers = login(client, city)
    added = client.post(ENTRIES, json={"credit_code": zhengzhou, "period": "2026-12", "reason": "多次督促未整改，\n列入执法检查。"},
                        headers=headers)
    assert added.status_code == 201, added.text
    entry_id, position = added.json()["entry_id"], added.json()["position"]
    assert position > 0
    assert client.post(ENTRIES, json={"credit_code": other, "period": "2026-12", "reason": "专项检查"},
                       headers=headers).status_code == 201
    assert client.post(ENTRIES, json={"credit_code": zhengzhou, "period": "2027-01", "reason": "下月复查"},
                       headers=headers).status_code == 201
    again = assert_problem(client.post(ENTRIES, json={"credit_code": zhengzhou, "period": "2026-12", "reason": "再次"},
                                       headers=headers), 409)
    assert "already on the 2026-12 plan" in again["detail"]

    luoyang_sup = login(client, add_user(services, "supervisor", region_code="410300"))
    assert client.post(ENTRIES, json={"credit_code": luoyang, "period": "2026-12", "reason": "洛阳"},
                       headers=luoyang_sup).status_code == 201
    catch_up(services)
    page = listed(client, headers, period="2026-12")
    assert [i["credit_code"] for i in page["items"]] == sorted([zhengzhou, other], key=lambda c: c != other)  # by region
    assert page["as_of_position"] >= position and page["next_after"] is None
    first = next(i for i in page["items"] if i["entry_id"] == entry_id)
    assert first["status"] == "planned" and first["origin"] == "supervisor" and first["added_by"] == city
    assert first["reason"] == "多次督促未整改，\n列入执法检查。" and first["region_code"] == "410185"
    paged = listed(client, headers, limit=2)
    assert [i["period"] for i in paged["items"]] == ["2027-01", "2026-12"] and paged["next_after"]
    rest = listed(client, headers, limit=2, after=paged["next_after"])
    assert len(rest["items"]) == 1 and rest["next_after"] is None
    assert len(listed(client, headers, region_code="410185")["items"]) == 2

    # scope: Zhengzhou's city supervisor neither plans nor sees Luoyang
    assert_problem(client.post(ENTRIES, json={"credit_code": luoyang, "period": "2026-12", "reason": "越权"}, headers=headers), 403)
    assert luoyang not in {i["credit_code"] for i in listed(client, headers)["items"]}
    assert_problem(client.get(PLAN, params={"region_code": "410300"}, headers=headers), 403)
    luoyang_entry = listed(client, luoyang_sup)["items"][0]["entry_id"]
    assert_problem(client.get(f"{ENTRIES}/{luoyang_entry}", headers=headers), 404)
    assert_problem(client.post(f"{ENTRIES}/{luoyang_entry}/withdrawal", json={"reason": "越权"}, headers=headers), 404)
    admin = login(client, add_user(services, "admin"))
    assert len(listed(client, admin)["items"]) == 4

    # withdrawn, never deleted; a second withdrawal is 409; a new add reinstates
    withdrawn = client.post(f"{ENTRIES}/{entry_id}/withdrawal", json={"reason": "企业已完成整改"}, headers=headers)
    assert withdrawn.status_code == 200, withdrawn.text
    assert_problem(client.post(f"{ENTRIES}/{entry_id}/withdrawal", json={"reason": "再撤"}, headers=headers), 409)
    catch_up(services)
    row = next(i for i in listed(client, headers, period="2026-12")["items"] if i["entry_id"] == entry_id)
    assert row["status"] == "withdrawn" and row["withdrawn_by"] == city and row["withdrawn_reason"] == "企业已完成整改"
    assert [i["entry_id"] for i in listed(client, headers, status="withdrawn")["items"]] == [entry_id]
    reinstated = client.post(ENTRIES, json={"credit_code": zhengzhou, "period": "2026-12", "reason": "复查未整改"}, headers=headers)
    assert reinstated.status_code == 200 and reinstated.json()["entry_id"] == entry_id
    detail = client.get(f"{ENTRIES}/{entry_id}", headers=headers).json()
    assert detail["status"] == "planned" and detail["reason"] == "复查未整改"
    assert [e["type"] for e in detail["trail"]] == ["EnforcementPlanEntry.Added", "EnforcementPlanEntry.Withdrawn",
                                                   "EnforcementPlanEntry.Reinstated"]
    assert detail["trail"][1]["metadata"]["actor"] == f"user:{city}"
    assert client.post(f"{ENTRIES}/{entry_id}/withdrawal", json={"reason": "管理员撤回"}, headers=admin).status_code == 200

    # the export: the same rows as the list, Chinese headers, the position and time on top
    catch_up(services)
    listed_rows = listed(client, headers, period="2026-12")
    title, header, rows = workbook_rows(client, headers, period="2026-12")
    assert header[:3] == ["计划月份", "统一社会信用代码", "企业名称"] and "撤回原因" in header and "来源" in header
    assert title[0].startswith("执法计划 2026-12") and str(listed_rows["as_of_position"]) in title[1]
    assert title[2].startswith("生成时间: 2026-11-23 17:00:00")
    assert len(rows) == len(listed_rows["items"]) == 2
    assert {r[1] for r in rows} == {zhengzhou, other} and {r[6] for r in rows} == {"已列入", "已撤回"}
    _, _, everything = workbook_rows(client, admin)
    assert len(everything) == 4


def test_roles_enterprises_and_auditors_do_not_write(client: TestClient, services: Services) -> None:
    code = register_enterprise(services)
    body = {"credit_code": code, "period": "2026-12", "reason": "测试"}
    auditor = login(client, add_user(services, "auditor"))
    assert_problem(client.post(ENTRIES, json=body, headers=auditor), 403)
    assert_problem(client.post(ENTRIES, json=body, headers=login(client, add_user(services, "admin"))), 403)
    assert_problem(client.post(ENTRIES, json=body, headers=portal_login(client, services, code)), 403)
    _, system = client_token(client, services, code)
    assert_problem(client.post(ENTRIES, json=body, headers=system), 403)
    assert_problem(client.get(PLAN, headers=system), 403)
    assert_problem(client.get(PLAN, headers=portal_login(client, services, code)), 403)
    catch_up(services)
    assert client.get(PLAN, headers=auditor).status_code == 200
    county = login(client, add_user(services, "supervisor", region_code="410185"))
    entry = client.post(ENTRIES, json=body, headers=county).json()["entry_id"]
    assert_problem(client.post(f"{ENTRIES}/{entry}/withdrawal", json={"reason": "x"}, headers=auditor), 403)
    assert client.get(f"{ENTRIES}/{entry}", headers=auditor).status_code == 200


def test_an_entry_answers_the_reminder_it_names(client: TestClient, services: Services, clock: FakeClock) -> None:
    code = register_enterprise(services, region_code="410185")
    clock.advance(days=12)
    scan(services)
    city = login(client, add_user(services, "supervisor", region_code="410100"))
    reminders = client.get("/api/v1/reminders", params={"credit_code": code}, headers=city).json()["items"]
    reminder_id = reminders[0]["reminder_id"]
    body = {"credit_code": code, "period": "2026-12", "reason": "列入执法计划，现场检查。", "reminder_id": reminder_id}
    added = client.post(ENTRIES, json=body, headers=city)
    assert added.status_code == 201, added.text
    entry_id = added.json()["entry_id"]
    trail = client.get(f"/api/v1/reminders/{reminder_id}", headers=city).json()["trail"]
    [answer] = [e for e in trail if e["type"] == "Reminder.Responded"]
    assert answer["data"]["measures"] == ["enforcement_plan"] and answer["data"]["attachments"] == [f"enforcement-plan:{entry_id}"]
    assert answer["data"]["result"] == "列入执法计划，现场检查。"
    second = reminders[1]["reminder_id"]
    linked = client.post(ENTRIES, json=body | {"reminder_id": second}, headers=city)
    assert linked.status_code == 200 and linked.json()["entry_id"] == entry_id
    catch_up(services)
    [row] = [i for i in listed(client, city, period="2026-12")["items"] if i["credit_code"] == code]
    assert set(row["reminder_ids"]) == {reminder_id, second}
    stranger = register_enterprise(services, region_code="410185")
    wrong = assert_problem(client.post(ENTRIES, json=body | {"credit_code": stranger}, headers=city), 422)
    assert "reminder_id" in error_fields(wrong)


def test_an_unanswered_escalation_is_planned_by_the_system_and_stays_unanswered(own_ledger: tuple[TestClient, Services],
                                                                               clock: FakeClock) -> None:
    client, services = own_ledger
    admin = login(client, add_user(services, "admin"))
    rules = {"risk_identification_days": 10, "investigation_interval_days": 30, "rectification_overdue": False,
             "escalation_delay_days": 3, "supervisor_response_days": 5, "day_kind": "calendar",
             "enforcement_plan_after_days": 2}
    assert client.put("/api/v1/supervision-rules", json=rules, headers=admin).status_code == 200
    code = register_enterprise(services, region_code="410185")
    clock.advance(days=12)  # 12-05: raised
    scan(services)
    clock.advance(days=4)  # 12-09: escalated
    scan(services)
    clock.advance(days=3)  # 12-12: unanswered for more than 2 days
    scan(services)
    scan(services)  # once only
    admin = login(client, add_user(services, "admin"))  # the clock moved past the first token's lifetime
    page = listed(client, admin, period="2027-01")
    [entry] = page["items"]
    assert entry["credit_code"] == code and entry["origin"] == "system" and entry["added_by"] == "system"
    assert "unanswered for more than 2 days" in entry["reason"] and len(entry["reminder_ids"]) == 1
    reminder = client.get(f"/api/v1/reminders/{entry['reminder_ids'][0]}", headers=admin).json()
    assert "Reminder.Responded" not in [e["type"] for e in reminder["trail"]]  # the inaction stays visible
    detail = client.get(f"{ENTRIES}/{entry['entry_id']}", headers=admin).json()
    assert detail["trail"][0]["metadata"]["actor"] == "system:reminder-scan"
