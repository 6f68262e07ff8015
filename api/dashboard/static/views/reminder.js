// 提醒全过程: one reminder from GET /api/v1/reminders/{id}: why it was raised (rule version, fact,
// deadline), each escalation and whom it reached, every message and its delivery, and every event
// with its log position. A supervisor records measures and result or plans the enterprise here.

import { rest } from "../api.js";
import { CHANNELS, DELIVERY, EVENT_TYPES, KINDS, MEASURES, REMINDER_STATUS, TIERS, industry, label } from "../labels.js";
import { badge, clear, dt, h, link, section, table } from "../ui.js";
import { planForm, responseForm } from "./forms.js";

export async function reminderView(main, { arg, session, stale }) {
  const r = await rest("GET", `/api/v1/reminders/${encodeURIComponent(arg)}`);
  if (stale()) return;
  const messages = [];
  const responses = [];
  for (const e of r.trail) {
    for (const m of (e.data && e.data.messages) || []) messages.push({ ...m, at: e.business_time, position: e.position });
    if (e.type === "Reminder.Responded") responses.push(e);
  }
  const live = r.status === "open" || r.status === "escalated";
  const actions = session.role === "supervisor" && live
    ? section("处理督办",
      h("div", { class: "two" },
        h("div", {}, h("h3", {}, "登记处理措施和结果"), responseForm({ reminderId: r.reminder_id, onDone: () => reload() })),
        h("div", {}, h("h3", {}, "列入执法计划"), planForm({ creditCode: r.credit_code, reminderId: r.reminder_id, onDone: () => reload() }))))
    : null;
  function reload() {
    setTimeout(() => { if (!stale()) reminderView(main, { arg, session, stale }).catch(() => {}); }, 1500);
  }

  clear(main,
    h("div", { class: "page-head" },
      h("h1", {}, `提醒：${label(KINDS, r.kind)}`),
      h("p", { class: "meta" }, link(r.enterprise_name, `enterprise/${r.credit_code}`), ` · ${r.credit_code} · 区划 ${r.region_code} · ${industry(r.industry)} · `,
        badge(label(REMINDER_STATUS, r.status) + (r.escalation_level ? `（第${r.escalation_level}级）` : ""), r.status === "escalated" ? "warn" : "ok"))),
    section("提醒依据",
      h("dl", { class: "facts" },
        h("dt", {}, "事实"), h("dd", {}, r.fact),
        h("dt", {}, "期限"), h("dd", {}, r.deadline),
        h("dt", {}, "发出时间"), h("dd", {}, dt(r.raised_at)),
        h("dt", {}, "监管规则版本"), h("dd", {}, `第 ${r.rule_version} 版${r.rule_version === 0 ? "（默认规则）" : ""}`),
        h("dt", {}, "计日方式"), h("dd", {}, r.counting && r.counting.day_kind === "working" ? "工作日" : "自然日"),
        h("dt", {}, "办结"), h("dd", {}, r.resolution ? `企业于 ${dt(r.resolution.complied_at)} 完成（账本位置 #${r.resolution.position}）` : "未办结"))),
    section("升级督办",
      table([
        { label: "级别", value: (x) => `第${x.level}级` },
        { label: "层级", value: (x) => label(TIERS, x.tier) },
        { label: "升级时间", value: (x) => dt(x.at) },
        { label: "处理期限", value: (x) => x.respond_by },
        { label: "通知的监管人员", value: (x) => (x.recipients || []).map((p) => p.username).join("、") || "（该层级无对应监管人员）" },
      ], r.escalations, { empty: "未升级", testid: "escalations" })),
    actions,
    section("处理记录",
      table([
        { label: "登记时间", value: (e) => dt(e.recorded_at) },
        { label: "监管人员", value: (e) => e.data.supervisor || (e.metadata && e.metadata.actor) || "—" },
        { label: "措施", value: (e) => (responseOf(e).measures || []).map((m) => label(MEASURES, m)).join("、") },
        { label: "结果", value: (e) => responseOf(e).result || "—", cls: "wrap" },
        { label: "处理时间", value: (e) => dt(responseOf(e).happened_at) },
        { label: "是否按时", value: (e) => (e.data.in_time === true ? badge("按时", "ok") : e.data.in_time === false ? badge("逾期", "warn") : "—") },
      ], responses, { empty: "尚无处理记录", testid: "responses" })),
    section("发送的消息（短信、站内消息）",
      table([
        { label: "时间", value: (m) => dt(m.at) },
        { label: "渠道", value: (m) => label(CHANNELS, m.channel) },
        { label: "接收人", value: (m) => recipient(m.recipient) },
        { label: "内容", value: (m) => m.text, cls: "wrap" },
        { label: "送达", value: (m) => label(DELIVERY, r.deliveries[m.message_id]) },
      ], messages, { empty: "没有消息" })),
    section("事件轨迹（审计）",
      table([
        { label: "账本位置", num: true, value: (e) => `#${e.position}` },
        { label: "版本", num: true, value: (e) => e.version },
        { label: "事件", value: (e) => label(EVENT_TYPES, e.type) },
        { label: "业务时间", value: (e) => dt(e.business_time) },
        { label: "记录时间", value: (e) => dt(e.recorded_at) },
        { label: "操作者", value: (e) => (e.metadata && e.metadata.actor) || "—", cls: "mono" },
        { label: "渠道", value: (e) => (e.metadata && e.metadata.channel) || "—" },
      ], r.trail, { testid: "trail" })));
}

function responseOf(e) {
  const d = e.data || {};
  return d.response || d.spec || d;
}

function recipient(text) {
  if (!text) return "—";
  if (text.startsWith("enterprise:")) return `企业 ${text.slice(11)}`;
  if (text.startsWith("user:")) return `监管人员 ${text.slice(5)}`;
  return text;
}
