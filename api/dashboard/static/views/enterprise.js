// 企业页面: risks by level in the standard colours, open hazards, overdue rectifications,
// inspections, and the reminders with their trail. Supervisors can put the enterprise on the
// enforcement plan from here; auditors open any of its aggregates' history.

import { ApiError, gql } from "../api.js";
import { stackedBars } from "../chart.js";
import { CONTROL_LEVELS, KINDS, REMINDER_STATUS, RISK_LEVELS, industry, label } from "../labels.js";
import { badge, clear, dt, day, h, link, num, pagedArray, pagedConnection, section, table, tile } from "../ui.js";
import { planForm } from "./forms.js";

const QUERY = `query Enterprise($code: String!) {
  enterprise(creditCode: $code) {
    id creditCode name regionCode industry industryLabel supervisionLevel supervisionLevelLabel status
    registeredAt deregisteredAt asOfPosition firstRiskIdentifiedAt lastRiskReportAt lastHazardRegisteredAt lastInspectionAt
    validRisks { low general significant major }
    openGeneralHazards openMajorHazards overdueRectifications
    hazards(first: 500) { id hazardCode name level levelLabel status statusLabel overdue foundAt rectificationDeadline
      responsiblePerson source failedAcceptances }
    inspections(first: 100) { id inspectionCode scope hazardsFound inspector performedAt }
  }
}`;

const RISKS = `query EnterpriseRisks($code: String!, $first: Int!, $after: String) {
  risks(first: $first, after: $after, filter: { creditCode: $code, status: "valid" }) {
    edges { node { id riskCode name location level levelLabel assessmentMethod assessmentScore levelChangedAt lastReportedAt
      controlMeasures { controlLevel } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const OVERDUE = `query Overdue($code: String!, $first: Int!, $after: String) {
  hazards(first: $first, after: $after, filter: { creditCode: $code, overdue: true }) {
    edges { node { id hazardCode name levelLabel statusLabel rectificationDeadline responsiblePerson } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const REMINDERS = `query EnterpriseReminders($code: String!, $first: Int!, $after: String) {
  reminders(creditCode: $code, first: $first, after: $after) {
    edges { node { reminderId kind status escalationLevel deadline fact raisedAt ruleVersion } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const OPEN = new Set(["rectifying", "awaiting_acceptance"]);

export async function enterpriseView(main, { arg, session, stale }) {
  const code = arg;
  if (!/^[0-9A-Z]{18}$/.test(code)) throw new ApiError("统一社会信用代码格式不正确", { detail: code });
  const e = (await gql(QUERY, { code })).enterprise;
  if (stale()) return;
  if (!e) {
    clear(main, h("div", { class: "page-head" }, h("h1", {}, "企业详情")),
      h("div", { class: "error", role: "alert", "data-testid": "not-found" },
        h("strong", {}, "未找到该企业，或该企业不在您的管辖范围内。"),
        h("p", {}, `统一社会信用代码：${code}`),
        link("返回运行情况分析", "drilldown")));
    return;
  }
  const auditor = ["auditor", "admin"].includes(session.role);
  const history = (id) => (auditor ? link("历史", "audit", { id }, { class: "small-link" }) : null);
  const r = e.validRisks;
  const open = e.hazards.filter((x) => OPEN.has(x.status));

  const risksBox = h("div", { "data-testid": "risk-list" });
  const overdueBox = h("div");
  const remindersBox = h("div", { "data-testid": "reminder-list" });
  const hazardsBox = h("div");
  const inspectionsBox = h("div");

  clear(main,
    h("div", { class: "page-head" },
      h("h1", { "data-testid": "enterprise-name" }, e.name),
      h("p", { class: "meta" },
        `统一社会信用代码 ${e.creditCode} · 区划 ${e.regionCode} · ${industry(e.industry, e.industryLabel)} · ${e.supervisionLevelLabel || e.supervisionLevel}监管 · `,
        e.status === "active" ? badge("在营", "ok") : badge("已注销", "muted"),
        " · 注册于 ", dt(e.registeredAt), " · ",
        h("span", { class: "position" }, `数据截至账本位置 #${e.asOfPosition}`), " ", history(e.id))),
    h("div", { class: "tiles" },
      [4, 3, 2, 1].map((lv) => tile(RISK_LEVELS[lv].label, num(r[["", "low", "general", "significant", "major"][lv]]),
        { tone: RISK_LEVELS[lv].tone, testid: `risk-level-${lv}` })),
      tile("未整改隐患 一般/重大", `${e.openGeneralHazards} / ${e.openMajorHazards}`),
      tile("整改逾期", num(e.overdueRectifications), { tone: e.overdueRectifications ? "bad" : "" }),
      tile("最近排查", day(e.lastInspectionAt || e.lastHazardRegisteredAt))),
    section("安全风险（有效风险，按等级）",
      h("div", { class: "charts" }, h("figure", {}, stackedBars({
        title: "风险等级分布", width: 560,
        categories: [4, 3, 2, 1].map((lv) => RISK_LEVELS[lv].label),
        series: [4, 3, 2, 1].map((lv, i) => ({ name: RISK_LEVELS[lv].short, color: RISK_LEVELS[lv].color,
          values: [0, 0, 0, 0].map((_, j) => (j === i ? r[["", "low", "general", "significant", "major"][lv]] : 0)) })),
      }))),
      risksBox),
    section("未整改隐患", hazardsBox),
    section("整改逾期隐患", overdueBox),
    section("隐患排查记录", inspectionsBox),
    section("提醒与督办（点击查看全过程）", remindersBox),
    session.role === "supervisor" && e.status === "active"
      ? section("列入执法计划", planForm({ creditCode: e.creditCode })) : null);

  pagedConnection(risksBox, async (first, after) => (await gql(RISKS, { code, first, after })).risks, (nodes) => table([
    { label: "等级", value: (n) => riskBadge(n.level) },
    { label: "风险编码", value: (n) => n.riskCode, cls: "mono" },
    { label: "风险点名称", value: (n) => n.name },
    { label: "位置", value: (n) => n.location },
    { label: "评估方法", value: (n) => `${n.assessmentMethod.toUpperCase()} ${n.assessmentScore}` },
    { label: "管控层级", value: (n) => [...new Set(n.controlMeasures.map((m) => label(CONTROL_LEVELS, m.controlLevel)))].join("、") || "—" },
    { label: "等级变更", value: (n) => dt(n.levelChangedAt) },
    { label: "", value: (n) => history(n.id) },
  ], nodes, { empty: "暂无有效风险" }), { pageSize: 10, label: "项" });

  pagedArray(hazardsBox, open, (rows) => table([
    { label: "等级", value: (x) => badge(x.levelLabel, x.level === "major" ? "risk-major" : "risk-general") },
    { label: "隐患编码", value: (x) => x.hazardCode, cls: "mono" },
    { label: "隐患名称", value: (x) => x.name },
    { label: "状态", value: (x) => x.statusLabel },
    { label: "发现时间", value: (x) => dt(x.foundAt) },
    { label: "整改期限", value: (x) => h("span", { class: x.overdue ? "bad-text" : "" }, dt(x.rectificationDeadline)) },
    { label: "责任人", value: (x) => x.responsiblePerson },
    { label: "", value: (x) => history(x.id) },
  ], rows, { empty: "没有未整改的隐患" }), { pageSize: 10, label: "项" });

  pagedConnection(overdueBox, async (first, after) => (await gql(OVERDUE, { code, first, after })).hazards, (nodes) => table([
    { label: "隐患编码", value: (x) => x.hazardCode, cls: "mono" },
    { label: "隐患名称", value: (x) => x.name },
    { label: "等级", value: (x) => x.levelLabel },
    { label: "状态", value: (x) => x.statusLabel },
    { label: "整改期限", value: (x) => h("span", { class: "bad-text" }, dt(x.rectificationDeadline)) },
    { label: "责任人", value: (x) => x.responsiblePerson },
  ], nodes, { empty: "没有整改逾期的隐患" }), { pageSize: 10, label: "项" });

  pagedArray(inspectionsBox, e.inspections, (rows) => table([
    { label: "排查时间", value: (x) => dt(x.performedAt) },
    { label: "记录编号", value: (x) => x.inspectionCode, cls: "mono" },
    { label: "排查范围", value: (x) => x.scope },
    { label: "发现隐患", num: true, value: (x) => num(x.hazardsFound) },
    { label: "排查人", value: (x) => x.inspector },
  ], rows, { empty: "暂无排查记录" }), { pageSize: 8, label: "次" });

  pagedConnection(remindersBox, async (first, after) => (await gql(REMINDERS, { code, first, after })).reminders, (nodes) => table([
    { label: "发出时间", value: (x) => dt(x.raisedAt) },
    { label: "类型", value: (x) => label(KINDS, x.kind) },
    { label: "状态", value: (x) => reminderStatus(x) },
    { label: "期限", value: (x) => x.deadline },
    { label: "事实", value: (x) => x.fact, cls: "wrap" },
    { label: "", value: (x) => link("全过程", `reminder/${x.reminderId}`, {}, { "data-reminder": x.reminderId }) },
  ], nodes, { empty: "没有提醒" }), { pageSize: 10, label: "条" });
}

export function riskBadge(level) {
  const l = RISK_LEVELS[level] || { label: String(level), tone: "" };
  return badge(l.label, l.tone);
}

export function reminderStatus(x) {
  const text = label(REMINDER_STATUS, x.status) + (x.escalationLevel ? `（第${x.escalationLevel}级）` : "");
  return badge(text, x.status === "escalated" ? "warn" : x.status === "open" ? "info" : "ok");
}
