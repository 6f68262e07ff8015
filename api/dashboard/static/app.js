// The page's shell: who is logged in, the navigation for their role, and the hash router that
// renders one view at a time. A view that fails shows a Chinese error box, never a blank page.

import { ApiError, gql, logout, session } from "./api.js";
import { ROLES } from "./labels.js";
import { clear, errorBox, h, href, loading } from "./ui.js";
import { loginView } from "./views/login.js";
import { drilldownView } from "./views/drilldown.js";
import { enterpriseView } from "./views/enterprise.js";
import { closedLoopView } from "./views/closedloop.js";
import { reminderView } from "./views/reminder.js";
import { workbenchView } from "./views/workbench.js";
import { auditView } from "./views/audit.js";

const GOVERNMENT = ["admin", "supervisor", "auditor"];

const ROUTES = {
  login: { view: loginView, public: true },
  drilldown: { view: drilldownView, nav: "运行情况分析" },
  closedloop: { view: closedLoopView, nav: "闭环分析" },
  workbench: { view: workbenchView, nav: "监管工作台", roles: ["supervisor"] },
  audit: { view: auditView, nav: "审计查询", roles: ["auditor", "admin"] },
  enterprise: { view: enterpriseView },
  reminder: { view: reminderView },
};

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, query] = raw.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || "", arg: parts[1] || "", params: Object.fromEntries(new URLSearchParams(query || "")) };
}

function home(s) {
  return s && s.role === "auditor" ? "audit" : "drilldown";
}

let unread = null;

export function setUnread(n) {
  unread = n;
  renderShell(parseHash().name);
}

function renderShell(current) {
  const s = session();
  const nav = document.getElementById("nav");
  const user = document.getElementById("user");
  if (!s) {
    clear(nav);
    clear(user);
    return;
  }
  clear(nav, Object.entries(ROUTES)
    .filter(([, r]) => r.nav && (!r.roles || r.roles.includes(s.role)))
    .map(([name, r]) => h("a", { href: href(name), class: name === current ? "active" : "", "data-nav": name },
      r.nav, name === "workbench" && unread ? h("span", { class: "count", title: "未读消息" }, String(unread)) : null)));
  clear(user,
    h("span", { class: "who" }, `${s.username}（${ROLES[s.role] || s.role}${s.scoped ? ` · ${s.region}` : ""}）`),
    h("button", { class: "link", onclick: () => { logout(); unread = null; location.hash = "#/login"; } }, "退出"));
}

async function refreshUnread() {
  const s = session();
  if (!s || s.role !== "supervisor") return;
  try {
    const data = await gql("query Unread { inbox(first: 1) { unread } }");
    setUnread(data.inbox.unread);
  } catch {
    /* the workbench shows the error itself */
  }
}

let generation = 0;

async function route() {
  const main = document.getElementById("main");
  const { name, arg, params } = parseHash();
  const s = session();
  const mine = ++generation;
  if (!s && name !== "login") {
    location.replace("#/login");
    return;
  }
  if (s && (!name || name === "login")) {
    location.replace(`#/${home(s)}`);
    return;
  }
  const r = ROUTES[name];
  renderShell(name);
  if (!r) {
    clear(main, errorBox(new ApiError("页面不存在"), () => { location.hash = `#/${home(s)}`; }));
    return;
  }
  if (s && !GOVERNMENT.includes(s.role)) {
    clear(main, errorBox(new ApiError("本平台供政府用户（系统管理员、监管人员、审计人员）使用；企业用户请使用企业接口。")));
    return;
  }
  if (s && r.roles && !r.roles.includes(s.role)) {
    clear(main, errorBox(new ApiError("无权访问：此页面不属于您的角色")));
    return;
  }
  clear(main, loading());
  try {
    await r.view(main, { arg, params, session: s, stale: () => mine !== generation, refreshUnread });
  } catch (e) {
    if (mine !== generation) return;
    const refused = e && (e.status === 403 || e.code === "FORBIDDEN");
    clear(main, refused
      ? h("div", {}, errorBox(e), h("p", {}, h("a", { href: href(name === "closedloop" ? "closedloop" : home(s)) }, "返回我的管辖区域")))
      : errorBox(e, route));
  }
  document.title = `${r.nav ? `${r.nav} - ` : ""}双重预防监管平台`;
  if (unread === null) refreshUnread();
}

window.addEventListener("hashchange", route);
window.addEventListener("ledger:expired", () => {
  if (parseHash().name !== "login") {
    sessionStorage.setItem("ledger.dashboard.notice", "登录已失效，请重新登录");
    location.hash = "#/login";
  }
});
// Anything that escapes a view still ends on the page, in Chinese.
window.addEventListener("unhandledrejection", (event) => {
  const main = document.getElementById("main");
  main.prepend(errorBox(event.reason instanceof ApiError ? event.reason : new ApiError("页面出错，请刷新重试", { detail: String(event.reason) })));
});
window.addEventListener("error", (event) => {
  const main = document.getElementById("main");
  if (main) main.prepend(errorBox(new ApiError("页面出错，请刷新重试", { detail: String(event.message) })));
});

route();
