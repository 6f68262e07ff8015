"""The dashboard (issue 14) in a real browser: Debian's Chromium driven by Playwright against the
ledger served by `ledger serve` on 127.0.0.1, over a small demo province (`ledger demo seed`: the
same `seed_demo` a newcomer runs). One server and one seeded SQLite ledger for the module; each
test gets a fresh browser context (its own sessionStorage, so its own login).

Every main screen is saved under docs/screenshots/ (shown in docs/dashboard.md).

Chromium and a CJK font are installed by scripts/test.sh when missing; here they are required.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo-password"
VIEWPORT = {"width": 1360, "height": 900}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(db: Path, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(LEDGER_DATABASE_URL=f"sqlite:///{db}", LEDGER_SMS_GATEWAY=f"file:{tmp / 'sms.jsonl'}",
               LEDGER_REMINDERS="off",  # no scan changes the figures while a test reads them
               LEDGER_LOG_LEVEL="WARNING")
    return env


def _get(url: str, token: str | None = None, body: dict | None = None) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"content-type": "application/json",
                                              **({"authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


class Served:
    def __init__(self, base: str) -> None:
        self.base = base
        self.dashboard = f"{base}/dashboard/"

    def token(self, username: str) -> str:
        return _get(f"{self.base}/api/v1/sessions", body={"username": username, "password": PASSWORD})["access_token"]

    def graphql(self, username: str, query: str) -> dict:
        answer = _get(f"{self.base}/graphql", self.token(username), {"query": query})
        assert "errors" not in answer, answer
        return answer["data"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`ledger demo seed` (40 enterprises, 60 days) into a SQLite file, then `ledger serve` on a free
    port, ready once every read model has caught up with the log."""
    tmp = tmp_path_factory.mktemp("dashboard")
    env = _env(tmp / "ledger.db", tmp)
    cli = [sys.executable, "-m", "api.cli"]
    seeded = subprocess.run([*cli, "demo", "seed", "--enterprises", "40", "--days", "60"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=180)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    port = _free_port()
    log = (tmp / "serve.log").open("w")
    server = subprocess.Popen([*cli, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, (tmp / "serve.log").read_text()
            try:
                health = _get(f"{base}/healthz")
                if health["read_models"] and all(m["lag"] == 0 for m in health["read_models"].values()):
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert time.monotonic() < deadline, "the server did not come up: " + (tmp / "serve.log").read_text()
            time.sleep(0.3)
        yield Served(base)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium package"
    with sync_playwright() as p:
        # zh-CN for the browser's own controls (date pickers) too: Debian's chromium-l10n reads LANGUAGE
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--lang=zh-CN"],
                                     env={**os.environ, "LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN:zh"})
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1:", "data:")) else outside.append(r.url))
    yield opened
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not outside, f"the page fetched from outside the ledger (an intranet has no internet): {outside}"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(150)  # the last paint
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, served: Served, username: str) -> None:
    page.goto(served.dashboard)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#user")).to_contain_text(username)
    assert "eyJ" not in page.url  # the token (a JWT) is kept in sessionStorage, never in a URL
    assert page.evaluate("localStorage.length") == 0


def figure(page: Page, testid: str) -> int:
    return int(page.get_by_test_id(testid).locator(".tile-value").inner_text().replace(",", ""))


def test_a_wrong_password_is_refused_in_chinese(page: Page, served: Served) -> None:
    page.goto(served.dashboard)
    expect(page.get_by_role("heading", name="用户登录")).to_be_visible()
    shot(page, "login")
    page.fill("#username", "demo-admin")
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    assert "token" not in page.url and "password" not in page.url
    assert page.evaluate("sessionStorage.length") == 0
    shot(page, "login-error")


def test_an_admin_drills_from_the_province_to_an_enterprise_and_its_reminder(page: Page, served: Served) -> None:
    log_in(page, served, "demo-admin")
    expect(page.locator("h1")).to_have_text("运行情况分析")
    expect(page.get_by_test_id("as-of")).to_contain_text(re.compile(r"数据截至账本位置 #\d+"))
    expect(page.locator(".crumbs")).to_have_text("河南省")
    assert figure(page, "total-enterprises") > 0
    shot(page, "drilldown-province")

    page.click("[data-testid=children-table] a[data-region='410100']")  # 郑州市
    expect(page.locator(".crumbs strong")).to_have_text("郑州市")
    expect(page.locator("[data-testid=enterprise-list] a[data-enterprise]").first).to_be_visible()
    code, county = _an_enterprise_worth_showing(page)
    shot(page, "drilldown-city")

    page.click(f"[data-testid=children-table] a[data-region='{county}']")
    expect(page.locator(".crumbs")).to_contain_text("河南省›郑州市›")
    expect(page.get_by_test_id("children-table")).to_have_count(0)  # a county has no level below
    row = page.locator(f"[data-testid=enterprise-list] a[data-enterprise='{code}']")
    name = row.inner_text()
    row.click()

    expect(page.get_by_test_id("enterprise-name")).to_have_text(name)
    expect(page.locator(".meta .position")).to_contain_text("数据截至账本位置")
    # the risk levels in the standard colours: 重大 red, 较大 orange, 一般 yellow, 低 blue
    colours = {level: page.get_by_test_id(f"risk-level-{level}").evaluate("e => getComputedStyle(e).borderTopColor")
               for level in (4, 3, 2, 1)}
    assert colours == {4: "rgb(215, 25, 28)", 3: "rgb(242, 142, 28)", 2: "rgb(242, 210, 28)", 1: "rgb(42, 111, 219)"}
    shot(page, "enterprise")


def _an_enterprise_worth_showing(page: Page) -> tuple[str, str]:
    """From the city's enterprise list: one with overdue rectifications if any (the fullest page),
    else the first; its credit code and county."""
    rows = page.eval_on_selector_all(
        "[data-testid=enterprise-list] tbody tr",
        "rows => rows.map(r => [r.querySelector('a').dataset.enterprise, r.cells[2].textContent, Number(r.cells[8].textContent)])")
    rows.sort(key=lambda r: -r[2])
    return rows[0][0], rows[0][1]


def test_a_supervisor_answers_an_escalation_and_the_closed_loop_counts_it(page: Page, served: Served) -> None:
    log_in(page, served, "demo-supervisor")
    page.click("#nav a[data-nav=closedloop]")
    expect(page.locator("h1")).to_have_text("闭环分析")
    expect(page.get_by_test_id("as-of")).to_contain_text("郑州市")
    answered = figure(page, "cl-in-time") + figure(page, "cl-late")
    expect(page.get_by_test_id("inaction-list").locator("tbody tr").first).to_be_visible()
    shot(page, "closed-loop")

    page.click("#nav a[data-nav=workbench]")
    expect(page.locator("h1")).to_have_text("监管工作台")
    expect(page.locator("#nav .count")).to_have_text(re.compile(r"\d+"))  # unread messages
    expect(page.get_by_test_id("inbox").locator("tbody tr").first).to_be_visible()
    shot(page, "workbench")

    page.get_by_test_id("escalated-list").locator("a[data-reminder]").first.click()
    expect(page.locator("h1")).to_contain_text("提醒：")
    form = page.get_by_test_id("response-form")
    form.get_by_label("电话督促").check()
    form.get_by_label("现场检查").check()
    form.get_by_label("处理结果").fill("已电话督促企业负责人并现场检查，企业承诺三日内完成隐患排查并登记。")
    form.get_by_role("button", name="登记处理措施和结果").click()
    expect(form.locator(".notice")).to_contain_text("已登记")
    expect(page.get_by_test_id("responses")).to_contain_text("电话督促、现场检查")  # the page reloads the trail
    expect(page.get_by_test_id("trail")).to_contain_text("登记处理措施和结果")
    shot(page, "reminder")

    page.click("#nav a[data-nav=closedloop]")
    expect(page.locator("h1")).to_have_text("闭环分析")
    expect(page.get_by_test_id("cl-in-time")).to_be_visible()
    assert figure(page, "cl-in-time") + figure(page, "cl-late") == answered + 1


def test_a_zhengzhou_supervisor_cannot_reach_luoyang(page: Page, served: Served) -> None:
    luoyang = served.graphql("demo-admin", '{ drilldown(regionCode: "410300", from: "2020-01-01", to: "2030-01-01") '
                                           "{ enterprises(first: 1) { edges { node { creditCode } } } } }")
    code = luoyang["drilldown"]["enterprises"]["edges"][0]["node"]["creditCode"]
    log_in(page, served, "demo-supervisor")
    expect(page.locator(".crumbs")).to_have_text("郑州市")  # no province above to click up to
    expect(page.get_by_test_id("enterprise-list").locator("tbody tr").first).to_be_visible()
    links = page.eval_on_selector_all("main a", "links => links.map(a => a.getAttribute('href'))")
    assert links and not [h for h in links if "4103" in h], links
    assert not page.eval_on_selector_all("[data-testid=children-table] a[data-region]",
                                         "as => as.filter(a => !a.dataset.region.startsWith('4101')).length")

    page.goto(f"{served.dashboard}#/enterprise/{code}")  # typed into the address bar
    expect(page.get_by_test_id("not-found")).to_contain_text("未找到该企业，或该企业不在您的管辖范围内")
    assert "洛阳" not in page.inner_text("main")
    shot(page, "scope-enterprise")

    page.goto(f"{served.dashboard}#/drilldown?region=410300")
    expect(page.get_by_role("alert")).to_contain_text("无权访问")
    page.goto(f"{served.dashboard}#/closedloop?region=410000")
    expect(page.get_by_role("alert")).to_contain_text("无权访问")
    shot(page, "scope-region")


def test_an_auditor_reads_an_aggregates_history(page: Page, served: Served) -> None:
    enterprise = served.graphql("demo-admin", '{ drilldown(regionCode: "410100", from: "2020-01-01", to: "2030-01-01") '
                                              "{ enterprises(first: 1) { edges { node { enterprise { id name } } } } } }")
    node = enterprise["drilldown"]["enterprises"]["edges"][0]["node"]["enterprise"]
    log_in(page, served, "demo-auditor")
    expect(page.locator("h1")).to_have_text("审计查询")
    expect(page.get_by_test_id("seal")).not_to_contain_text("加载中")
    page.get_by_label("聚合编号").fill(node["id"])
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("history-table")).to_contain_text("企业注册")
    expect(page.get_by_test_id("history-table")).to_contain_text(node["name"])
    shot(page, "audit")
    page.get_by_label("聚合编号").fill("not-a-uuid")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("history").get_by_role("alert")).to_contain_text("编号格式不正确")
