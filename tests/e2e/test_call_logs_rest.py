"""The call-log admin door: search with filters and pages, statistics, the Excel export, and who
may use it. The PostgreSQL database is shared by the session, so every test logs calls of its own
enterprise and interface codes and filters on them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from io import BytesIO

import openpyxl
import pytest
from fastapi.testclient import TestClient

from adapters.persistence.call_log import CallLogEntry
from api.bootstrap import Services
from tests.conftest import add_user, login
from tests.e2e.helpers import assert_problem, enterprise_login

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
URL = "/api/v1/call-logs"


def seed(services: Services, enterprise: str, interface: str, statuses: list[int], *, start: datetime = T0) -> None:
    for i, status in enumerate(statuses):
        services.call_log.record(CallLogEntry(
            at=start + timedelta(minutes=i), enterprise=enterprise, subscription_id="sub-9", interface_code=interface,
            method="POST", path="/api/v1/hazards", status=status, latency_ms=float(i + 1),
            request_id=uuid.uuid4().hex, client_ip="10.1.2.3", error_title="=HYPERLINK(\"x\")" if status >= 400 else None,
        ))
    assert services.call_log.flush(timeout=30)


def unique() -> str:
    return uuid.uuid4().hex[:12].upper()


@pytest.fixture
def admin(client: TestClient, services: Services) -> dict[str, str]:
    return login(client, add_user(services, "admin"))


def test_admin_searches_with_filters_and_keyset_pages(client: TestClient, services: Services, admin: dict[str, str]) -> None:
    ent, iface = unique(), unique()
    seed(services, ent, iface, [200] * 5 + [404] * 3 + [500] * 2)
    seed(services, ent, unique(), [200] * 4)

    body = client.get(URL, params={"enterprise": ent}, headers=admin).json()
    assert body["total"] == 14 and len(body["items"]) == 14 and body["next_after"] is None
    item = body["items"][0]
    assert set(item) == {"id", "at", "enterprise", "subscription_id", "interface_code", "method", "path", "status",
                         "latency_ms", "request_id", "client_ip", "error_title"}
    assert datetime.fromisoformat(item["at"]).tzinfo is not None

    errors = client.get(URL, params={"enterprise": ent, "interface": iface, "status_class": 4}, headers=admin).json()
    assert errors["total"] == 3 and {i["status"] for i in errors["items"]} == {404}

    window = {"enterprise": ent, "interface": iface, "since": (T0 + timedelta(minutes=2)).isoformat(),
              "until": "2026-11-23T09:07:00+08:00"}  # = T0 + 7 min
    assert client.get(URL, params=window, headers=admin).json()["total"] == 5

    seen, after = [], None
    while True:
        params = {"enterprise": ent, "limit": 4} | ({"after": after} if after else {})
        page = client.get(URL, params=params, headers=admin).json()
        seen += [i["id"] for i in page["items"]]
        if (after := page["next_after"]) is None:
            break
    assert len(seen) == 14 == len(set(seen)) and seen == sorted(seen, reverse=True)


def test_stats_per_interface_and_enterprise(client: TestClient, services: Services, admin: dict[str, str]) -> None:
    ent, iface = unique(), unique()
    start = T0 + timedelta(days=30)
    seed(services, ent, iface, [200, 200, 200, 503], start=start)
    window = {"since": start.isoformat(), "until": (start + timedelta(hours=1)).isoformat()}
    rows = client.get(URL + "/stats", params=window, headers=admin).json()
    mine = next(r for r in rows if r["key"] == iface)
    assert (mine["count"], mine["errors"], mine["error_rate"]) == (4, 1, 0.25)
    assert mine["p95_latency_ms"] == pytest.approx(4.0, abs=0.2)
    by_ent = client.get(URL + "/stats", params=window | {"group_by": "enterprise"}, headers=admin).json()
    assert next(r for r in by_ent if r["key"] == ent)["count"] == 4


def test_export_is_an_xlsx_with_chinese_headers_and_one_row_per_call(client: TestClient, services: Services,
                                                                        admin: dict[str, str]) -> None:
    ent = unique()
    seed(services, ent, unique(), [200] * 20 + [404] * 5)
    response = client.get(URL + "/export.xlsx", params={"enterprise": ent}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="call-log.xlsx"' in response.headers["content-disposition"]
    rows = list(openpyxl.load_workbook(BytesIO(response.content), read_only=True).active.iter_rows(values_only=True))
    assert rows[0] == ("时间", "企业(统一社会信用代码)", "订阅ID", "接口编码", "请求方法", "路径", "HTTP状态",
                       "耗时(毫秒)", "请求ID", "客户端IP", "错误")
    assert len(rows) == 26
    first, last = rows[1], rows[-1]
    assert first[0] == datetime(2026, 11, 23, 9, 0)  # China time
    assert first[1] == ent and first[6] == 200 and first[7] == 1.0
    assert last[6] == 404 and last[10] == '=HYPERLINK("x")'  # text, never a formula


def test_only_admins_may_read_the_call_log(client: TestClient, services: Services) -> None:
    _, _, enterprise = enterprise_login(client, services)
    auditor = login(client, add_user(services, "auditor"))
    for path in ("", "/export.xlsx", "/stats"):
        assert_problem(client.get(URL + path, headers=enterprise), 403)
        assert_problem(client.get(URL + path, headers=auditor), 403)
        assert_problem(client.get(URL + path), 401)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("", {"status_class": 6}, "status_class"),
        ("", {"status_class": 1}, "status_class"),
        ("", {"limit": 0}, "limit"),
        ("", {"limit": 1001}, "limit"),
        ("", {"after": "x"}, "after"),
        ("", {"after": 2**63}, "after"),  # beyond a BIGINT id: was a 500 from the driver
        ("", {"since": "2026-11-23T10:00:00Z", "until": "2026-11-23T09:00:00Z"}, "until"),
        ("", {"since": "2026-11-23T10:00:00"}, "since"),
        ("/export.xlsx", {"status_class": 9}, "status_class"),
        ("/export.xlsx", {"since": "2026-11-23T10:00:00Z", "until": "2026-11-23T10:00:00Z"}, "until"),
        ("/stats", {"group_by": "region"}, "group_by"),
        ("/stats", {"since": "yesterday"}, "since"),
    ],
)
def test_bad_parameters_are_422(client: TestClient, services: Services, admin: dict[str, str],
                                path: str, params: dict[str, object], field: str) -> None:
    body = assert_problem(client.get(URL + path, params=params, headers=admin), 422)
    assert ["query", field] in [e["loc"] for e in body["errors"]]
