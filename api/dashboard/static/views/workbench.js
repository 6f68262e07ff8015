// 监管工作台: my escalated reminders (answer them on the reminder's page: measures and result, or
// the enforcement plan), my inbox with its unread count, and the enforcement plan in my scope.

import { gql, rest } from "../api.js";
import { KINDS, PLAN_STATUS, label } from "../labels.js";
import { badge, clear, dt, errorBox, h, link, loading, num, pagedConnection, section, table, tile } from "../ui.js";
import { reminderStatus } from "./enterprise.js";

const ESCALATED = `query MyEscalated($first: Int!, $after: String) {
  reminders(status: "escalated", first: $first, after: $after) {
    edges { node { reminderId creditCode enterpriseName regionCode kind status escalationLevel deadline raisedAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const INBOX = `query MyInbox($first: Int!) {
  inbox(first: $first) { unread asOfPosition items { messageId reminderId title text createdAt readAt } }
}`;

export async function workbenchView(main, { session, stale, refreshUnread }) {
  const first = await gql(INBOX, { first: 10 });
  if (stale()) return;
  const escalatedBox = h("div", { "data-testid": "escalated-list" });
  const inboxBox = h("div", { "data-testid": "inbox" });
  const planBox = h("div");
  const unreadTile = tile("未读消息", num(first.inbox.unread), { tone: first.inbox.unread ? "warn" : "", testid: "unread" });
  clear(main,
    h("div", { class: "page-head" }, h("h1", {}, "监管工作台"),
      h("p", { class: "meta" }, `${session.username} · 管辖区划 ${session.region}${session.industries.length ? ` · 行业 ${session.industries.join("、")}` : ""}`)),
    h("div", { class: "tiles" }, unreadTile),
    section("待处理的升级督办（在您的管辖范围内）",
      h("p", { class: "muted" }, "点击“处理”登记处理措施和结果，或将企业列入执法计划。"), escalatedBox),
    section("我的消息", inboxBox),
    section("执法计划（管辖范围内）", planBox));

  pagedConnection(escalatedBox, async (n, after) => (await gql(ESCALATED, { first: n, after })).reminders, (nodes) => table([
    { label: "企业", value: (x) => link(x.enterpriseName, `enterprise/${x.creditCode}`) },
    { label: "区划", value: (x) => x.regionCode, cls: "mono" },
    { label: "类型", value: (x) => label(KINDS, x.kind) },
    { label: "状态", value: (x) => reminderStatus(x) },
    { label: "期限", value: (x) => x.deadline },
    { label: "发出时间", value: (x) => dt(x.raisedAt) },
    { label: "", value: (x) => h("a", { href: `#/reminder/${x.reminderId}`, class: "button small", "data-reminder": x.reminderId }, "处理") },
  ], nodes, { empty: "没有待处理的升级督办" }), { pageSize: 10, label: "条" });

  let shown = 10;
  function renderInbox(inbox) {
    clear(unreadTile.querySelector(".tile-value"), num(inbox.unread));
    unreadTile.classList.toggle("warn", inbox.unread > 0);
    clear(inboxBox, table([
      { label: "时间", value: (m) => dt(m.createdAt) },
      { label: "标题", value: (m) => (m.readAt ? m.title : h("strong", {}, m.title)) },
      { label: "内容", value: (m) => m.text, cls: "wrap" },
      { label: "状态", value: (m) => (m.readAt ? badge("已读", "muted") : badge("未读", "warn")) },
      { label: "", value: (m) => h("span", { class: "actions" },
        link("查看提醒", `reminder/${m.reminderId}`),
        m.readAt ? null : h("button", { class: "link", onclick: () => markRead(m) }, "标为已读")) },
    ], inbox.items, { empty: "没有消息" }),
    inbox.items.length >= shown && shown < 500
      ? h("div", { class: "pager" }, h("button", { class: "secondary", onclick: () => { shown += 20; loadInbox(); } }, "显示更多"))
      : null);
  }
  async function loadInbox() {
    clear(inboxBox, loading());
    try {
      renderInbox((await gql(INBOX, { first: Math.min(shown, 500) })).inbox);
    } catch (e) {
      clear(inboxBox, errorBox(e, loadInbox));
    }
  }
  async function markRead(m) {
    try {
      await rest("POST", `/api/v1/inbox/${m.messageId}/read`);
      setTimeout(() => { loadInbox(); refreshUnread(); }, 700);
    } catch (e) {
      inboxBox.prepend(errorBox(e));
    }
  }
  renderInbox(first.inbox);

  const plan = [];
  let next = null;
  async function loadPlan(more) {
    try {
      const page = await rest("GET", `/api/v1/enforcement-plan?limit=10${more && next ? `&after=${encodeURIComponent(next)}` : ""}`);
      plan.push(...page.items);
      next = page.next_after;
      clear(planBox, table([
        { label: "计划月份", value: (p) => p.period },
        { label: "企业", value: (p) => link(p.enterprise_name, `enterprise/${p.credit_code}`) },
        { label: "状态", value: (p) => label(PLAN_STATUS, p.status) },
        { label: "来源", value: (p) => (p.origin === "system" ? "系统自动" : "监管人员") },
        { label: "列入人", value: (p) => p.added_by, cls: "mono" },
        { label: "列入原因", value: (p) => p.reason, cls: "wrap" },
        { label: "列入时间", value: (p) => dt(p.added_at) },
      ], plan, { empty: "执法计划为空" }),
      next ? h("div", { class: "pager" }, h("button", { class: "secondary", onclick: () => loadPlan(true) }, "显示更多")) : null);
    } catch (e) {
      clear(planBox, errorBox(e, () => loadPlan(more)));
    }
  }
  loadPlan(false);
}
