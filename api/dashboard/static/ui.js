// Small DOM helpers: element creation, tables that page, figures, error boxes, dates in China time.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A link to a route of the page (hash routing: the server only ever sees /dashboard/). */
export function link(text, path, params = {}, attrs = {}) {
  return h("a", { href: href(path, params), ...attrs }, text);
}

export function href(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return `#/${path}${s ? `?${s}` : ""}`;
}

const CHINA_MS = 8 * 3600 * 1000;

/** Today's date in China (YYYY-MM-DD), shifted by `days`. */
export function chinaDay(days = 0) {
  return new Date(Date.now() + CHINA_MS + days * 86400000).toISOString().slice(0, 10);
}

export function chinaMonth(months = 0) {
  const d = new Date(Date.now() + CHINA_MS);
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 7);
}

/** An ISO time shown as China time, "2026-11-18 10:00". */
export function dt(iso) {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  return new Date(t + CHINA_MS).toISOString().slice(0, 16).replace("T", " ");
}

export function day(iso) {
  return iso ? String(iso).slice(0, 10) : "—";
}

export function num(n) {
  return n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN");
}

export function pct(part, whole) {
  return whole ? `${((100 * part) / whole).toFixed(1)}%` : "—";
}

export function errorBox(error, retry) {
  const detail = error && error.detail ? error.detail : error && !error.status && error.stack ? String(error) : "";
  return h("div", { class: "error", role: "alert" },
    h("strong", {}, (error && error.message) || "出错了"),
    detail ? h("details", {}, h("summary", {}, "技术详情"), h("code", {}, detail)) : null,
    retry ? h("button", { class: "secondary", onclick: retry }, "重试") : null);
}

export function notice(text, kind = "info") {
  return h("div", { class: `notice ${kind}`, role: "status" }, text);
}

export function loading(text = "加载中…") {
  return h("div", { class: "loading" }, text);
}

/** A figure tile: a label, a big number, optionally a link or a click (drill from a number down). */
export function tile(label, value, { tone = "", onclick, title, testid } = {}) {
  const body = [h("div", { class: "tile-label" }, label), h("div", { class: "tile-value" }, value)];
  if (onclick) {
    return h("button", { class: `tile clickable ${tone}`, onclick, title, "data-testid": testid }, ...body);
  }
  return h("div", { class: `tile ${tone}`, title, "data-testid": testid }, ...body);
}

/** A table in a horizontally scrolling frame. columns: [{label, value(row) -> node|text, num: bool}] */
export function table(columns, rows, { empty = "暂无数据", caption, testid, foot } = {}) {
  const head = h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : "", scope: "col" }, c.label)));
  const body = rows.length
    ? rows.map((r) => h("tr", {}, columns.map((c) => h("td", { class: c.num ? "num" : c.cls || "" }, c.value(r)))))
    : [h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, empty))];
  return h("div", { class: "table-wrap", "data-testid": testid },
    h("table", {}, caption ? h("caption", {}, caption) : null, h("thead", {}, head), h("tbody", {}, body),
      foot ? h("tfoot", {}, foot) : null));
}

/** A Relay connection shown page by page: `fetch(first, after)` -> {edges, pageInfo, totalCount?};
 * render(nodes) -> element. Keeps a stack of cursors for 上一页. */
export function pagedConnection(container, fetch, render, { pageSize = 20, label = "条" } = {}) {
  const cursors = [null];
  let page = 0;
  async function show() {
    clear(container, loading());
    try {
      const conn = await fetch(pageSize, cursors[page]);
      const nodes = conn.edges.map((e) => e.node);
      const info = conn.pageInfo;
      if (info.hasNextPage) cursors[page + 1] = info.endCursor;
      const total = typeof conn.totalCount === "number" ? `，共 ${num(conn.totalCount)} ${label}` : "";
      const first = page * pageSize + (nodes.length ? 1 : 0);
      const single = page === 0 && !info.hasNextPage;
      const count = typeof conn.totalCount === "number"
        ? h("div", { class: "pager" }, h("span", { class: "pager-info" }, `共 ${num(conn.totalCount)} ${label}`)) : null;
      clear(container, render(nodes), single ? count :
        h("div", { class: "pager" },
          h("button", { class: "secondary", disabled: page === 0, onclick: () => { page -= 1; show(); } }, "上一页"),
          h("span", { class: "pager-info" }, `第 ${page + 1} 页（第 ${first}–${page * pageSize + nodes.length} ${label}${total}）`),
          h("button", { class: "secondary", disabled: !info.hasNextPage, onclick: () => { page += 1; show(); } }, "下一页")));
    } catch (e) {
      clear(container, errorBox(e, show));
    }
  }
  show();
}

export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

export function badge(text, tone) {
  return h("span", { class: `badge ${tone || ""}` }, text);
}

/** A list already in hand shown page by page (lists the API returns whole, e.g. an enterprise's risks). */
export function pagedArray(container, items, render, { pageSize = 15, label = "条" } = {}) {
  let page = 0;
  const pages = Math.max(1, Math.ceil(items.length / pageSize));
  function show() {
    const slice = items.slice(page * pageSize, (page + 1) * pageSize);
    clear(container, render(slice), items.length > pageSize
      ? h("div", { class: "pager" },
        h("button", { class: "secondary", disabled: page === 0, onclick: () => { page -= 1; show(); } }, "上一页"),
        h("span", { class: "pager-info" }, `第 ${page + 1} / ${pages} 页，共 ${items.length} ${label}`),
        h("button", { class: "secondary", disabled: page >= pages - 1, onclick: () => { page += 1; show(); } }, "下一页"))
      : null);
  }
  show();
  return container;
}
