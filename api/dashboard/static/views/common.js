// Pieces the analysis views share: the period/industry bar, region names for the breadcrumb.

import { gql } from "../api.js";
import { INDUSTRIES, KINDS } from "../labels.js";
import { chinaDay, h } from "../ui.js";

const NAMES = "ledger.dashboard.regions";

export function rememberRegions(regions) {
  const known = JSON.parse(sessionStorage.getItem(NAMES) || "{}");
  for (const r of regions) known[r.code] = r.name;
  sessionStorage.setItem(NAMES, JSON.stringify(known));
}

function known() {
  return JSON.parse(sessionStorage.getItem(NAMES) || "{}");
}

/** "410100" -> "4101": the code's significant digits (a region covers the codes starting with them). */
export function regionPrefix(code) {
  let c = String(code || "");
  while (c.length > 2 && c.endsWith("00")) c = c.slice(0, -2);
  return c;
}

/** The breadcrumb from the user's own region down to `code`: [{code, name}]. Regions above the
 * user's scope are not shown (the API would refuse them anyway). */
export async function ancestors(code, session) {
  const home = regionPrefix(session.region);
  const chain = [...new Set([`${code.slice(0, 2)}0000`, `${code.slice(0, 4)}00`, code])]
    .filter((c) => regionPrefix(c).startsWith(home));
  const names = known();
  const out = [];
  for (const c of chain) {
    let name = names[c];
    if (name === null) continue; // known not to be a region of its own
    if (!name) {
      try {
        const d = await gql(`query Name($r: String!, $d: Date!) { drilldown(regionCode: $r, from: $d, to: $d) { region { code name } } }`,
          { r: c, d: chinaDay(0) });
        name = d.drilldown.region.name;
        rememberRegions([d.drilldown.region]);
      } catch (e) {
        // not a region the API knows: remember that; any other failure: just leave the crumb out
        if (e.code === "BAD_USER_INPUT") rememberRegions([{ code: c, name: null }]);
        continue;
      }
    }
    out.push({ code: c, name });
  }
  return out;
}

/** 统计期间 and 行业 (and optionally 提醒类型), applied together. */
export function filterBar({ from, to, industry, kind, withKind = false, onApply }) {
  const fromIn = h("input", { type: "date", value: from, "aria-label": "开始日期", max: chinaDay(0) });
  const toIn = h("input", { type: "date", value: to, "aria-label": "结束日期", max: chinaDay(0) });
  const ind = h("select", { "aria-label": "行业" }, h("option", { value: "" }, "全部行业"),
    Object.entries(INDUSTRIES).map(([v, l]) => h("option", { value: v, selected: v === industry }, l)));
  const kindSel = withKind ? h("select", { "aria-label": "提醒类型" }, h("option", { value: "" }, "全部类型"),
    Object.entries(KINDS).map(([v, l]) => h("option", { value: v, selected: v === kind }, l))) : null;
  const preset = (days) => h("button", { type: "button", class: "secondary small", onclick: () => {
    fromIn.value = chinaDay(-(days - 1));
    toIn.value = chinaDay(0);
    apply();
  } }, `近${days}天`);
  const error = h("span", { class: "bad-text", role: "alert" });
  function apply() {
    if (!fromIn.value || !toIn.value || fromIn.value > toIn.value) {
      error.textContent = "请选择有效的起止日期（开始日期不晚于结束日期）";
      return;
    }
    error.textContent = "";
    onApply({ from: fromIn.value, to: toIn.value, industry: ind.value, ...(withKind ? { kind: kindSel.value } : {}) });
  }
  return h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); apply(); } },
    h("label", {}, "统计期间 ", fromIn, " 至 ", toIn),
    preset(7), preset(30), preset(90),
    h("label", {}, "行业 ", ind),
    kindSel ? h("label", {}, "类型 ", kindSel) : null,
    h("button", { type: "submit" }, "查询"), error);
}
