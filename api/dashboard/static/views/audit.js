// 审计查询: the whole event history of one aggregate (enterprise, risk, hazard, reminder, plan
// entry...) from GET /api/v1/audit/aggregates/{id}/events, and the ledger seal's status when the
// server offers it.

import { ApiError, rest } from "../api.js";
import { EVENT_TYPES, label } from "../labels.js";
import { clear, dt, errorBox, h, href, loading, notice, pagedArray, section, table } from "../ui.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function auditView(main, { params, stale }) {
  const id = (params.id || "").trim();
  const input = h("input", { name: "aggregate", value: id, placeholder: "聚合编号（UUID），如企业、风险、隐患、提醒的编号", size: 44, "aria-label": "聚合编号" });
  const historyBox = h("div", { "data-testid": "history" });
  const sealBox = h("div", { "data-testid": "seal" }, loading());
  clear(main,
    h("div", { class: "page-head" }, h("h1", {}, "审计查询"),
      h("p", { class: "meta" }, "账本只追加、不修改：每个业务对象的全部事件按版本排列，附账本位置与操作元数据。")),
    section("账本封存状态", sealBox),
    section("聚合历史",
      h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); location.hash = href("audit", { id: input.value.trim() }); } },
        h("label", {}, "编号 ", input), h("button", { type: "submit" }, "查询")),
      h("p", { class: "muted" }, "提示：在企业页面点击“历史”可直接打开该企业、风险或隐患的历史。"),
      historyBox));

  showSeal(sealBox);
  if (!id) return;
  if (!UUID.test(id)) {
    clear(historyBox, errorBox(new ApiError("编号格式不正确：应为 UUID，例如 16a3945b-8b0b-59cc-9662-462cfc48fb79")));
    return;
  }
  clear(historyBox, loading());
  try {
    const events = await rest("GET", `/api/v1/audit/aggregates/${id}/events`);
    if (stale()) return;
    const first = events[0] || {};
    clear(historyBox,
      h("p", { class: "meta" }, `共 ${events.length} 个事件 · 类型 ${(first.topic || "").split(":")[0]} · 首个事件位于账本位置 #${first.position}`),
      h("div", {}));
    pagedArray(historyBox.lastChild, events, (rows) => table([
      { label: "版本", num: true, value: (e) => e.version },
      { label: "账本位置", num: true, value: (e) => `#${e.position}` },
      { label: "事件", value: (e) => h("span", { title: e.topic }, label(EVENT_TYPES, e.type)) },
      { label: "业务时间", value: (e) => dt(e.business_time) },
      { label: "记录时间", value: (e) => dt(e.recorded_at) },
      { label: "操作者", value: (e) => (e.metadata && e.metadata.actor) || "—", cls: "mono" },
      { label: "渠道", value: (e) => (e.metadata && e.metadata.channel) || "—" },
      { label: "数据", value: (e) => h("details", {}, h("summary", {}, "展开"), h("pre", {}, JSON.stringify(e.data, null, 1))), cls: "wrap" },
    ], rows, { testid: "history-table" }), { pageSize: 20, label: "个事件" });
  } catch (e) {
    clear(historyBox, errorBox(e));
  }
}

/** The seal (issue 13): the newest signed checkpoint, GET /api/v1/audit/seal/digest. Shown when the
 * server has that door; otherwise said plainly, and the history above still works. */
async function showSeal(box) {
  try {
    const d = await rest("GET", "/api/v1/audit/seal/digest");
    clear(box,
      h("p", {}, "已封存至账本位置 ", h("strong", { class: "position", "data-testid": "sealed-to" }, `#${d.position}`),
        `（最近检查点覆盖 #${d.after + 1}–#${d.position}，共 ${d.count} 个事件，签名于 ${dt(d.sealed_at)}）`),
      h("dl", { class: "facts" },
        h("dt", {}, "签名密钥编号"), h("dd", { class: "mono" }, d.key_id),
        h("dt", {}, "链哈希"), h("dd", { class: "mono wrap-any" }, d.chain_hash),
        h("dt", {}, "Merkle 根"), h("dd", { class: "mono wrap-any" }, d.merkle_root)),
      h("p", { class: "muted" }, "独立校验：用公钥（GET /api/v1/audit/seal/public-key）和命令 ledger audit verify --digest 核对此摘要。"));
  } catch (e) {
    if (e.status === 404 && e.code === "not-found") {
      clear(box, notice("账本尚未封存：还没有签名的检查点。", "warn"));
    } else if (e.status === 404 || e.status === 405) {
      clear(box, notice("封存状态暂不可用：本服务尚未提供账本封存（哈希链校验）接口。下方的聚合历史查询不受影响。", "info"));
    } else {
      clear(box, errorBox(e));
    }
  }
}
