// The supervisor's two actions, as forms over the REST doors:
// POST /api/v1/reminders/{id}/responses (处理措施和结果) and POST /api/v1/enforcement-plan/entries.

import { rest } from "../api.js";
import { MEASURES } from "../labels.js";
import { chinaMonth, clear, errorBox, h, notice } from "../ui.js";

/** "2026-12-03T10:15" typed in China time -> an aware ISO time. */
function chinaLocal(value) {
  return `${value}:00+08:00`;
}

function nowChinaLocal() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 16);
}

export function responseForm({ reminderId, onDone }) {
  // the measures a supervisor may record (api/schemas/supervision.py `Measure`); MEASURES also labels
  // "enforcement_plan", which only a plan entry records
  const boxes = ["phone_call", "on_site_inspection", "written_order", "interview", "enforcement", "other"].map((v) => [v, MEASURES[v]]).map(([v, l]) =>
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "measures", value: v }), l));
  const result = h("textarea", { name: "result", rows: 3, maxlength: 2000, placeholder: "例如：已电话督促企业负责人，企业承诺三日内完成隐患排查并登记。" });
  const when = h("input", { type: "datetime-local", name: "happened_at", value: nowChinaLocal(), max: nowChinaLocal() });
  const attachment = h("input", { name: "attachment", maxlength: 500, placeholder: "可选：文书编号或存档位置" });
  const out = h("div", { class: "form-result" });
  const submit = h("button", { type: "submit" }, "登记处理措施和结果");
  const form = h("form", { class: "action-form", "data-testid": "response-form" },
    h("fieldset", {}, h("legend", {}, "处理措施（可多选）"), h("div", { class: "checks" }, boxes)),
    h("label", {}, "处理结果", result),
    h("div", { class: "row" }, h("label", {}, "处理时间（北京时间）", when), h("label", { class: "grow" }, "附件（可选）", attachment)),
    submit, out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const measures = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
    const problems = [];
    if (!measures.length) problems.push("请至少选择一项处理措施");
    if (!result.value.trim()) problems.push("请填写处理结果");
    if (!when.value) problems.push("请填写处理时间");
    if (problems.length) {
      clear(out, errorBox({ message: problems.join("；") }));
      return;
    }
    submit.disabled = true;
    try {
      const body = { measures, result: result.value.trim(), happened_at: chinaLocal(when.value),
        attachments: attachment.value.trim() ? [attachment.value.trim()] : [] };
      const receipt = await rest("POST", `/api/v1/reminders/${reminderId}/responses`, body);
      clear(out, notice(`已登记（账本位置 #${receipt.position ?? "未变"}）。闭环分析将计入本次处理。`, "ok"));
      form.reset();
      when.value = nowChinaLocal();
      if (onDone) onDone(receipt);
    } catch (e) {
      clear(out, errorBox(e));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export function planForm({ creditCode, reminderId, onDone }) {
  const period = h("input", { type: "month", name: "period", value: chinaMonth(1), required: true });
  const reason = h("textarea", { name: "reason", rows: 2, maxlength: 1000,
    placeholder: reminderId ? "例如：升级督办后仍未整改，列入下月执法检查。" : "列入原因" });
  const out = h("div", { class: "form-result" });
  const submit = h("button", { type: "submit", class: "warn-button" }, "列入执法计划");
  const form = h("form", { class: "action-form", "data-testid": "plan-form" },
    h("div", { class: "row" }, h("label", {}, "计划月份", period), h("label", { class: "grow" }, "列入原因", reason)),
    reminderId ? h("p", { class: "muted" }, "列入后，本提醒计为已处理。") : null,
    submit, out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!/^\d{4}-\d{2}$/.test(period.value) || !reason.value.trim()) {
      clear(out, errorBox({ message: "请填写计划月份和列入原因" }));
      return;
    }
    submit.disabled = true;
    try {
      const body = { credit_code: creditCode, period: period.value, reason: reason.value.trim(),
        ...(reminderId ? { reminder_id: reminderId } : {}) };
      const receipt = await rest("POST", "/api/v1/enforcement-plan/entries", body);
      clear(out, notice(`已列入 ${period.value} 执法计划（账本位置 #${receipt.position ?? "未变"}）。`, "ok"));
      if (onDone) onDone(receipt);
    } catch (e) {
      clear(out, errorBox(e));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

