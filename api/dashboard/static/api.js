// The dashboard's only way to the ledger: POST /graphql and the REST doors, with the logged-in
// user's bearer token. The token lives in sessionStorage (gone when the tab closes), never in a URL.
// Every failure becomes an ApiError with a Chinese message for the page and the server's words as
// detail, so nothing ends as a blank screen.

const KEY = "ledger.dashboard.session";

export class ApiError extends Error {
  constructor(message, { status = 0, code = "", detail = "" } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

const BY_CODE = {
  FORBIDDEN: "无权访问：超出您的管辖范围",
  BAD_USER_INPUT: "查询条件有误",
  UNAVAILABLE: "数据库暂时不可用，请稍后重试",
  READ_MODEL_NOT_READY: "统计数据正在生成，请稍后刷新",
  QUERY_TOO_COMPLEX: "查询过于复杂，请缩小范围",
  QUERY_TOO_DEEP: "查询层级过深",
  INTERNAL_SERVER_ERROR: "服务器内部错误，已记录，请联系管理员",
};

const BY_STATUS = {
  400: "请求格式有误",
  401: "登录已失效，请重新登录",
  403: "无权执行此操作：超出您的角色或管辖范围",
  404: "未找到：不存在或不在您的管辖范围内",
  409: "操作被拒绝：当前状态不允许（例如提醒已办结，或已列入该月执法计划）",
  412: "数据已被他人修改，请刷新后重试",
  413: "提交内容过大",
  422: "输入有误，请检查各项内容",
  429: "请求过于频繁，请稍后再试",
  500: "服务器内部错误，已记录，请联系管理员",
  503: "数据库暂时不可用，请稍后重试",
};

export function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (s && s.exp && s.exp * 1000 < Date.now()) {
      sessionStorage.removeItem(KEY);
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

export function logout() {
  sessionStorage.removeItem(KEY);
}

function claims(token) {
  const part = token.split(".")[1] || "";
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** Log in; resolves to the session (username, role, home region) or throws an ApiError in Chinese. */
export async function login(username, password) {
  let response;
  try {
    response = await fetch("/api/v1/sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
  } catch (e) {
    throw new ApiError("无法连接服务器，请检查网络", { detail: String(e) });
  }
  const body = await readJson(response);
  if (response.status === 401) {
    const detail = (body && body.detail) || "";
    const message = /deactivated/.test(detail) ? "该用户已停用，请联系系统管理员" : "用户名或密码错误";
    throw new ApiError(message, { status: 401, detail });
  }
  if (!response.ok) throw problemError(response.status, body);
  const c = claims(body.access_token);
  const prefix = c.region || "";
  const s = {
    token: body.access_token,
    username: c.sub,
    role: c.role,
    region: prefix ? prefix.padEnd(6, "0") : "410000",
    scoped: Boolean(prefix),
    industries: c.industries || [],
    exp: c.exp,
  };
  sessionStorage.setItem(KEY, JSON.stringify(s));
  return s;
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

function problemError(status, body) {
  const detail = body ? body.detail || (body.errors || []).map((e) => e.message || e.msg).join("; ") : "";
  let message = BY_STATUS[status] || `请求失败（HTTP ${status}）`;
  if (status === 422 && body && Array.isArray(body.errors) && body.errors.length) {
    const fields = body.errors.map((e) => fieldName(e)).filter(Boolean);
    if (fields.length) message += `：${[...new Set(fields)].join("、")}`;
  }
  const kind = body && typeof body.type === "string" ? body.type.split("/").pop() : "";
  return new ApiError(message, { status, detail, code: kind });
}

const FIELDS = {
  measures: "处理措施", result: "处理结果", happened_at: "处理时间", period: "计划月份", reason: "列入原因",
  credit_code: "统一社会信用代码", reminder_id: "提醒编号", attachments: "附件",
};

function fieldName(error) {
  const loc = error.loc || error.field || [];
  const parts = Array.isArray(loc) ? loc : [loc];
  for (const p of parts) if (FIELDS[p]) return FIELDS[p];
  return "";
}

function expired(status) {
  if (status === 401) {
    logout();
    window.dispatchEvent(new CustomEvent("ledger:expired"));
  }
}

/** The highest log position this tab wrote; reads that reflect less are retried for a moment. */
let lastWrite = 0;
export function wrotePosition(position) {
  if (typeof position === "number" && position > lastWrite) lastWrite = position;
}
export function writtenPosition() {
  return lastWrite;
}

export async function gql(query, variables = {}) {
  const s = session();
  if (!s) {
    window.dispatchEvent(new CustomEvent("ledger:expired"));
    throw new ApiError("请先登录", { status: 401 });
  }
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.token}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch (e) {
    throw new ApiError("无法连接服务器，请检查网络", { detail: String(e) });
  }
  const body = await readJson(response);
  expired(response.status);
  const errors = (body && body.errors) || [];
  if (errors.length) {
    const first = errors[0];
    const code = (first.extensions && first.extensions.code) || "";
    const message = BY_CODE[code] || BY_STATUS[response.status] || "查询失败";
    throw new ApiError(message, { status: response.status, code, detail: errors.map((e) => e.message).join("; ") });
  }
  if (!response.ok || !body || !body.data) throw problemError(response.status, body);
  return body.data;
}

/** A query whose answer names its asOfPosition (picked by `position(data)`): retried a few times
 * while the read models have not yet caught up with this tab's own last write. */
export async function gqlFresh(query, variables, position, tries = 20) {
  let data = await gql(query, variables);
  for (let i = 0; i < tries && position(data) < lastWrite; i++) {
    await new Promise((r) => setTimeout(r, 300));
    data = await gql(query, variables);
  }
  return data;
}

export async function rest(method, path, body) {
  const s = session();
  if (!s) {
    window.dispatchEvent(new CustomEvent("ledger:expired"));
    throw new ApiError("请先登录", { status: 401 });
  }
  const headers = { authorization: `Bearer ${s.token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError("无法连接服务器，请检查网络", { detail: String(e) });
  }
  const data = await readJson(response);
  expired(response.status);
  if (!response.ok) throw problemError(response.status, data);
  if (data && typeof data.position === "number") wrotePosition(data.position);
  return data;
}
