// 闭环分析 (seed 1.4.2.5): escalations answered / unanswered per region and per supervisor, the
// inaction list, and from any number down to the single reminder. Figures as defined in
// docs/supervision.md ("Closed-loop report").

import { gqlFresh, gql } from "../api.js";
import { stackedBars } from "../chart.js";
import { KINDS, REGION_LEVELS, TIERS, WHY, industry, label } from "../labels.js";
import { clear, dt, h, href, link, num, pagedConnection, pct, section, table, tile } from "../ui.js";
import { ancestors, filterBar, rememberRegions } from "./common.js";
import { periodOf } from "./drilldown.js";

const F = `raised enterprisesNotified enterprisesCompliedBeforeEscalation escalations answeredInTime answeredLate
  unanswered pending endedBeforeDeadline enterprisesOnPlan responseDaysMedian responseDaysP90`;

const QUERY = `query ClosedLoop($region: String!, $from: Date!, $to: Date!, $industry: String, $kind: String) {
  closedLoop(regionCode: $region, from: $from, to: $to, industry: $industry, kind: $kind) {
    asOfPosition judgedOn period { from to } region { code name level }
    totals { ${F} raisedByKind { kind reminders } }
    children { region { code name level } figures { ${F} } }
    byIndustry { industry figures { ${F} } }
    bySupervisor(first: 100) { username received answeredInTime answeredLate answeredByOthers unanswered pending
      endedBeforeDeadline answeredUnasked planEntries responseDaysMedian }
  }
}`;

const INACTION = `query Inaction($region: String!, $from: Date!, $to: Date!, $industry: String, $kind: String,
    $position: Int, $judged: Date, $first: Int!, $after: String) {
  closedLoop(regionCode: $region, from: $from, to: $to, industry: $industry, kind: $kind, asOfPosition: $position, judgedOn: $judged) {
    inaction(first: $first, after: $after) {
      totalCount
      edges { node { reminderId level tier creditCode enterpriseName regionCode industry kind raisedDay escalatedAt
        respondBy why supervisors } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

const ENTERPRISES = `query ClosedLoopEnterprises($region: String!, $from: Date!, $to: Date!, $industry: String, $kind: String,
    $position: Int, $judged: Date, $first: Int!, $after: String) {
  closedLoop(regionCode: $region, from: $from, to: $to, industry: $industry, kind: $kind, asOfPosition: $position, judgedOn: $judged) {
    enterprises(first: $first, after: $after) {
      edges { node { creditCode enterpriseName regionCode industry raised compliedBeforeEscalation escalations
        answeredInTime answeredLate unanswered pending onPlan } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

const COLORS = { inTime: "#3b8f5a", late: "#e39b2d", unanswered: "#c8372d", pending: "#9aa3af", ended: "#d5dae1" };

export async function closedLoopView(main, { params, session, stale }) {
  const region = params.region || session.region;
  const { from, to } = periodOf(params);
  const ind = params.industry || null;
  const kind = params.kind || null;
  const variables = { region, from, to, industry: ind, kind };
  const data = (await gqlFresh(QUERY, variables, (d) => d.closedLoop.asOfPosition)).closedLoop;
  if (stale()) return;
  rememberRegions([data.region, ...data.children.map((c) => c.region)]);
  const crumbs = await ancestors(region, session);
  const go = (changes) => { location.hash = href("closedloop", { ...params, region, from, to, industry: ind, kind, focus: "", ...changes }); };
  // The lists below are pinned to the position and the judging day of the figures above, so the
  // rows add up to the numbers even while the ledger moves on.
  const pinned = { ...variables, position: data.asOfPosition, judged: data.judgedOn };
  const t = data.totals;
  const inactionBox = h("div", { id: "inaction", "data-testid": "inaction-list" });
  const entBox = h("div");
  const toInaction = () => inactionBox.scrollIntoView({ behavior: "smooth" });

  clear(main,
    h("div", { class: "page-head" },
      h("h1", {}, "闭环分析"),
      h("nav", { class: "crumbs", "aria-label": "区划" }, crumbs.map((c, i) => [
        i ? h("span", { class: "sep" }, "›") : null,
        c.code === region ? h("strong", {}, c.name) : link(c.name, "closedloop", { ...params, region: c.code, focus: "" }),
      ]))),
    filterBar({ from, to, industry: ind, kind, withKind: true, onApply: (f) => go(f) }),
    h("p", { class: "meta", "data-testid": "as-of" },
      `${data.region.name} · 提醒发出日期 ${data.period.from} 至 ${data.period.to} · ${ind ? industry(ind) : "全部行业"} · ${kind ? label(KINDS, kind) : "全部类型"} · 判定日 ${data.judgedOn} · `,
      h("span", { class: "position" }, `数据截至账本位置 #${data.asOfPosition}`)),
    h("div", { class: "tiles" },
      tile("发出提醒", num(t.raised), { title: t.raisedByKind.map((k) => `${label(KINDS, k.kind)} ${k.reminders}`).join("，") }),
      tile("被提醒企业", num(t.enterprisesNotified)),
      tile("升级前已整改企业", num(t.enterprisesCompliedBeforeEscalation), { tone: "good" }),
      tile("升级督办", num(t.escalations), { testid: "cl-escalations" }),
      tile("按时处理", num(t.answeredInTime), { tone: "good", testid: "cl-in-time" }),
      tile("逾期处理", num(t.answeredLate), { tone: t.answeredLate ? "warn" : "", testid: "cl-late" }),
      tile("未处理（不作为）", num(t.unanswered), { tone: t.unanswered ? "bad" : "", onclick: toInaction, testid: "cl-unanswered", title: "查看不作为清单" }),
      tile("处理期限内待处理", num(t.pending), { testid: "cl-pending" }),
      tile("列入执法计划企业", num(t.enterprisesOnPlan)),
      tile("响应用时 中位数/P90", `${days(t.responseDaysMedian)} / ${days(t.responseDaysP90)}`)),
    data.children.length ? childrenCard(data, params, go) : null,
    section("按监管人员统计", supervisorTable(data.bySupervisor)),
    section("按行业统计", figuresTable([{ label: "行业", value: (r) => h("a", { href: "#", onclick: (e) => { e.preventDefault(); go({ industry: r.industry }); } }, industry(r.industry)) }],
      data.byIndustry.filter((r) => r.figures.raised > 0), () => null)),
    section("不作为清单（升级督办后未在期限内处理）", inactionBox),
    section("被提醒企业", entBox));

  pagedConnection(inactionBox, async (first, after) => (await gql(INACTION, { ...pinned, first, after })).closedLoop.inaction,
    (nodes) => table([
      { label: "企业", value: (n) => link(n.enterpriseName, `enterprise/${n.creditCode}`) },
      { label: "区划", value: (n) => n.regionCode, cls: "mono" },
      { label: "类型", value: (n) => label(KINDS, n.kind) },
      { label: "督办层级", value: (n) => `${label(TIERS, n.tier)}（第${n.level}级）` },
      { label: "升级时间", value: (n) => dt(n.escalatedAt) },
      { label: "处理期限", value: (n) => n.respondBy },
      { label: "情形", value: (n) => h("span", { class: "bad-text" }, label(WHY, n.why)) },
      { label: "通知的监管人员", value: (n) => n.supervisors.join("、") || "（无）" },
      { label: "", value: (n) => link("查看提醒", `reminder/${n.reminderId}`, {}, { "data-reminder": n.reminderId }) },
    ], nodes, { empty: "没有不作为的督办" }), { pageSize: 10, label: "条" });

  pagedConnection(entBox, async (first, after) => (await gql(ENTERPRISES, { ...pinned, first, after })).closedLoop.enterprises,
    (nodes) => table([
      { label: "企业", value: (n) => link(n.enterpriseName, `enterprise/${n.creditCode}`) },
      { label: "区划", value: (n) => n.regionCode, cls: "mono" },
      { label: "行业", value: (n) => industry(n.industry) },
      { label: "提醒", num: true, value: (n) => num(n.raised) },
      { label: "升级督办", num: true, value: (n) => num(n.escalations) },
      { label: "按时", num: true, value: (n) => num(n.answeredInTime) },
      { label: "逾期", num: true, value: (n) => num(n.answeredLate) },
      { label: "未处理", num: true, value: (n) => h("span", { class: n.unanswered ? "bad-text" : "" }, num(n.unanswered)) },
      { label: "待处理", num: true, value: (n) => num(n.pending) },
      { label: "执法计划", value: (n) => (n.onPlan ? "已列入" : "—") },
    ], nodes, { empty: "期间内没有被提醒的企业" }), { pageSize: 10, label: "家" });

  if (params.focus === "inaction") setTimeout(toInaction, 50);
}

function days(v) {
  return v === null || v === undefined ? "—" : `${Number(v).toFixed(1)} 天`;
}

function answeredRate(f) {
  return pct(f.answeredInTime + f.answeredLate, f.answeredInTime + f.answeredLate + f.unanswered);
}

function figuresTable(first, rows, unansweredLink) {
  return table([...first,
    { label: "发出提醒", num: true, value: (r) => num(r.figures.raised) },
    { label: "升级督办", num: true, value: (r) => num(r.figures.escalations) },
    { label: "按时处理", num: true, value: (r) => num(r.figures.answeredInTime) },
    { label: "逾期处理", num: true, value: (r) => num(r.figures.answeredLate) },
    { label: "未处理", num: true, value: (r) => {
      const n = h("span", { class: r.figures.unanswered ? "bad-text" : "" }, num(r.figures.unanswered));
      const target = r.figures.unanswered ? unansweredLink(r) : null;
      return target ? h("a", { href: target, class: "bad-text", "data-unanswered": r.region ? r.region.code : "" }, num(r.figures.unanswered)) : n;
    } },
    { label: "待处理", num: true, value: (r) => num(r.figures.pending) },
    { label: "处理率", num: true, value: (r) => answeredRate(r.figures) },
    { label: "列入执法计划", num: true, value: (r) => num(r.figures.enterprisesOnPlan) },
    { label: "响应中位数", num: true, value: (r) => days(r.figures.responseDaysMedian) },
  ], rows);
}

function childrenCard(data, params, go) {
  const rows = data.children;
  const level = REGION_LEVELS[rows[0].region.level] || "下级区划";
  const at = (r, extra = {}) => href("closedloop", { ...params, region: r.region.code, from: data.period.from, to: data.period.to, ...extra });
  return section(`按${level}统计升级督办处理情况（每段为一次升级督办）`,
    h("figure", {}, stackedBars({
      title: "升级督办处理情况", categories: rows.map((c) => c.region.name), width: 760,
      onClick: (i) => go({ region: rows[i].region.code }),
      series: [
        { name: "按时处理", color: COLORS.inTime, values: rows.map((c) => c.figures.answeredInTime) },
        { name: "逾期处理", color: COLORS.late, values: rows.map((c) => c.figures.answeredLate) },
        { name: "未处理（不作为）", color: COLORS.unanswered, values: rows.map((c) => c.figures.unanswered) },
        { name: "期限内待处理", color: COLORS.pending, values: rows.map((c) => c.figures.pending) },
        { name: "期限前已结束", color: COLORS.ended, values: rows.map((c) => c.figures.endedBeforeDeadline) },
      ],
    })),
    figuresTable([{ label: "区划", value: (r) => h("a", { href: at(r), "data-region": r.region.code }, r.region.name) }],
      rows, (r) => at(r, { focus: "inaction" })));
}

function supervisorTable(rows) {
  return table([
    { label: "监管人员", value: (r) => r.username, cls: "mono" },
    { label: "收到督办", num: true, value: (r) => num(r.received) },
    { label: "按时处理", num: true, value: (r) => num(r.answeredInTime) },
    { label: "逾期处理", num: true, value: (r) => num(r.answeredLate) },
    { label: "他人已处理", num: true, value: (r) => num(r.answeredByOthers) },
    { label: "未处理", num: true, value: (r) => h("span", { class: r.unanswered ? "bad-text" : "" }, num(r.unanswered)) },
    { label: "待处理", num: true, value: (r) => num(r.pending) },
    { label: "主动处理", num: true, value: (r) => num(r.answeredUnasked) },
    { label: "列入执法计划", num: true, value: (r) => num(r.planEntries) },
    { label: "响应中位数", num: true, value: (r) => days(r.responseDaysMedian) },
  ], rows, { empty: "期间内没有督办到监管人员", testid: "supervisor-table" });
}
