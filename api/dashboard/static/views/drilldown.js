// 运行情况分析 (seed 1.4.2.4): province -> city -> county -> enterprise, by industry and period,
// a table and a chart per level, and the ledger position the figures reflect.

import { gql } from "../api.js";
import { stackedBars } from "../chart.js";
import { REGION_LEVELS, industry } from "../labels.js";
import { chinaDay, clear, h, href, link, num, pagedConnection, pct, section, table, tile } from "../ui.js";
import { ancestors, filterBar, rememberRegions } from "./common.js";

const TOTALS = "enterprises riskIdentified riskNotIdentified hazardRegistered hazardNotRegistered";

const QUERY = `query Drilldown($region: String!, $from: Date!, $to: Date!, $industry: String) {
  drilldown(regionCode: $region, from: $from, to: $to, industry: $industry) {
    asOfPosition industry period { from to }
    region { code name level }
    totals { ${TOTALS} }
    children { region { code name level } totals { ${TOTALS} } }
    byIndustry { industry industryLabel totals { ${TOTALS} } }
  }
}`;

const ENTERPRISES = `query DrilldownEnterprises($region: String!, $from: Date!, $to: Date!, $industry: String,
    $first: Int!, $after: String, $filter: EnterpriseStatusFilter) {
  drilldown(regionCode: $region, from: $from, to: $to, industry: $industry) {
    enterprises(first: $first, after: $after, filter: $filter) {
      edges { node { creditCode name regionCode industry riskIdentified hazardRegistered overdueRectifications
        enterprise { industryLabel supervisionLevelLabel validRisks { major significant general low } } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

const FILTERS = {
  "": "全部企业", RISK_NOT_IDENTIFIED: "未辨识风险", RISK_IDENTIFIED: "已辨识风险",
  HAZARD_NOT_REGISTERED: "未排查隐患", HAZARD_REGISTERED: "已排查隐患",
};

const GREEN = "#3b8f5a";
const BLUE = "#2f7ebc";
const GREY = "#c9ced6";

export function periodOf(params) {
  return { from: params.from || chinaDay(-29), to: params.to || chinaDay(0) };
}

export async function drilldownView(main, { params, session, stale }) {
  const region = params.region || session.region;
  const { from, to } = periodOf(params);
  const ind = params.industry || null;
  const variables = { region, from, to, industry: ind };
  const data = (await gql(QUERY, variables)).drilldown;
  if (stale()) return;
  rememberRegions([data.region, ...data.children.map((c) => c.region)]);
  const crumbs = await ancestors(region, session);
  const go = (changes) => { location.hash = href("drilldown", { ...params, region, from, to, industry: ind, ...changes }); };
  const t = data.totals;

  const levelName = REGION_LEVELS[data.region.level] || "";
  const chartCard = data.children.length ? childrenCard(data, go) : null;
  const entBox = h("div", { "data-testid": "enterprise-list" });
  const filter = h("select", { "aria-label": "企业筛选", onchange: () => showEnterprises(filter.value) },
    Object.entries(FILTERS).map(([v, l]) => h("option", { value: v, selected: (params.filter || "") === v }, l)));
  function showEnterprises(f) {
    pagedConnection(entBox, async (first, after) => (await gql(ENTERPRISES, { ...variables, first, after, filter: f || null })).drilldown.enterprises,
      (nodes) => enterpriseTable(nodes), { pageSize: 15, label: "家" });
  }

  clear(main,
    h("div", { class: "page-head" },
      h("h1", {}, "运行情况分析"),
      h("nav", { class: "crumbs", "aria-label": "区划" }, crumbs.map((c, i) => [
        i ? h("span", { class: "sep" }, "›") : null,
        c.code === region ? h("strong", {}, c.name) : link(c.name, "drilldown", { ...params, region: c.code }),
      ]))),
    filterBar({ from, to, industry: ind, onApply: (f) => go(f) }),
    h("p", { class: "meta", "data-testid": "as-of" },
      `${data.region.name}（${levelName}） · ${data.period.from} 至 ${data.period.to} · ${ind ? industry(ind) : "全部行业"} · `,
      h("span", { class: "position" }, `数据截至账本位置 #${data.asOfPosition}`)),
    h("div", { class: "tiles" },
      tile("企业总数", num(t.enterprises), { testid: "total-enterprises" }),
      tile("已辨识风险", num(t.riskIdentified), { tone: "good" }),
      tile("未辨识风险", num(t.riskNotIdentified), { tone: t.riskNotIdentified ? "bad" : "", onclick: () => { filter.value = "RISK_NOT_IDENTIFIED"; showEnterprises(filter.value); entBox.scrollIntoView(); } }),
      tile("辨识率", pct(t.riskIdentified, t.enterprises)),
      tile("已排查隐患", num(t.hazardRegistered), { tone: "good" }),
      tile("未排查隐患", num(t.hazardNotRegistered), { tone: t.hazardNotRegistered ? "bad" : "", onclick: () => { filter.value = "HAZARD_NOT_REGISTERED"; showEnterprises(filter.value); entBox.scrollIntoView(); } }),
      tile("排查率", pct(t.hazardRegistered, t.enterprises))),
    chartCard,
    industryCard(data, ind, go),
    section(`企业名单（${data.region.name}）`, h("div", { class: "toolbar" }, h("label", {}, "显示 ", filter)), entBox));
  showEnterprises(params.filter || "");
}

function totalsColumns() {
  return [
    { label: "企业总数", num: true, value: (r) => num(r.totals.enterprises) },
    { label: "已辨识", num: true, value: (r) => num(r.totals.riskIdentified) },
    { label: "未辨识", num: true, value: (r) => h("span", { class: r.totals.riskNotIdentified ? "bad-text" : "" }, num(r.totals.riskNotIdentified)) },
    { label: "辨识率", num: true, value: (r) => pct(r.totals.riskIdentified, r.totals.enterprises) },
    { label: "已排查", num: true, value: (r) => num(r.totals.hazardRegistered) },
    { label: "未排查", num: true, value: (r) => h("span", { class: r.totals.hazardNotRegistered ? "bad-text" : "" }, num(r.totals.hazardNotRegistered)) },
    { label: "排查率", num: true, value: (r) => pct(r.totals.hazardRegistered, r.totals.enterprises) },
  ];
}

function childrenCard(data, go) {
  const rows = data.children;
  const names = rows.map((c) => c.region.name);
  const drill = (i) => go({ region: rows[i].region.code, filter: "" });
  const level = REGION_LEVELS[rows[0].region.level] || "下级区划";
  return section(`按${level}统计`,
    h("div", { class: "charts" },
      h("figure", {}, h("figcaption", {}, "风险辨识情况（企业数）"), stackedBars({
        title: "风险辨识", categories: names, onClick: drill, width: 560,
        series: [{ name: "已辨识", color: GREEN, values: rows.map((c) => c.totals.riskIdentified) },
          { name: "未辨识", color: GREY, values: rows.map((c) => c.totals.riskNotIdentified) }],
      })),
      h("figure", {}, h("figcaption", {}, "隐患排查情况（企业数）"), stackedBars({
        title: "隐患排查", categories: names, onClick: drill, width: 560,
        series: [{ name: "已排查", color: BLUE, values: rows.map((c) => c.totals.hazardRegistered) },
          { name: "未排查", color: GREY, values: rows.map((c) => c.totals.hazardNotRegistered) }],
      }))),
    table([{ label: "区划", value: (r) => link(r.region.name, "drilldown", { region: r.region.code, from: data.period.from, to: data.period.to, industry: data.industry || "" }, { "data-region": r.region.code }) },
      { label: "代码", value: (r) => r.region.code, cls: "mono" }, ...totalsColumns()], rows, { testid: "children-table" }));
}

function industryCard(data, ind, go) {
  const rows = data.byIndustry.filter((r) => r.totals.enterprises > 0);
  return section("按行业统计",
    h("p", { class: "muted" }, ind ? "已按行业筛选；" : "点击行业名称按该行业筛选。",
      ind ? h("a", { href: "#", onclick: (e) => { e.preventDefault(); go({ industry: "" }); } }, "显示全部行业") : null),
    table([{ label: "行业", value: (r) => h("a", { href: "#", onclick: (e) => { e.preventDefault(); go({ industry: r.industry }); } }, industry(r.industry, r.industryLabel)) },
      ...totalsColumns()], rows, { testid: "industry-table" }));
}

function enterpriseTable(nodes) {
  return table([
    { label: "企业名称", value: (n) => link(n.name, `enterprise/${n.creditCode}`, {}, { "data-enterprise": n.creditCode }) },
    { label: "统一社会信用代码", value: (n) => n.creditCode, cls: "mono" },
    { label: "区划", value: (n) => n.regionCode, cls: "mono" },
    { label: "行业", value: (n) => industry(n.industry, n.enterprise && n.enterprise.industryLabel) },
    { label: "监管层级", value: (n) => (n.enterprise && n.enterprise.supervisionLevelLabel) || "—" },
    { label: "风险辨识", value: (n) => n.riskIdentified ? h("span", { class: "ok" }, "已辨识") : h("span", { class: "bad-text" }, "未辨识") },
    { label: "隐患排查", value: (n) => n.hazardRegistered ? h("span", { class: "ok" }, "已排查") : h("span", { class: "bad-text" }, "未排查") },
    { label: "重大/较大风险", num: true, value: (n) => n.enterprise ? `${n.enterprise.validRisks.major} / ${n.enterprise.validRisks.significant}` : "—" },
    { label: "整改逾期", num: true, value: (n) => h("span", { class: n.overdueRectifications ? "bad-text" : "" }, num(n.overdueRectifications)) },
  ], nodes, { empty: "没有符合条件的企业" });
}

