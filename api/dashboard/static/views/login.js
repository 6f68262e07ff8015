// 登录: government users (admin, supervisor, auditor) log in with their username and password.

import { login } from "../api.js";
import { clear, errorBox, h, notice } from "../ui.js";

export async function loginView(main) {
  const said = sessionStorage.getItem("ledger.dashboard.notice");
  sessionStorage.removeItem("ledger.dashboard.notice");
  const message = h("div", { class: "login-message" }, said ? notice(said, "warn") : null);
  const username = h("input", { id: "username", name: "username", autocomplete: "username", required: true, maxlength: 64 });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true, maxlength: 256 });
  const submit = h("button", { type: "submit" }, "登录");
  const form = h("form", { class: "login-form", novalidate: true },
    h("h1", {}, "用户登录"),
    h("p", { class: "muted" }, "供系统管理员、监管人员、审计人员使用"),
    h("label", { for: "username" }, "用户名"), username,
    h("label", { for: "password" }, "密码"), password,
    message, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!username.value.trim() || !password.value) {
      clear(message, errorBox({ message: "请输入用户名和密码" }));
      return;
    }
    submit.disabled = true;
    submit.textContent = "登录中…";
    try {
      const s = await login(username.value.trim(), password.value);
      location.hash = s.role === "auditor" ? "#/audit" : "#/drilldown";
    } catch (e) {
      clear(message, errorBox(e));
      password.value = "";
      password.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = "登录";
    }
  });
  clear(main, h("div", { class: "login-page" }, form));
  username.focus();
}
