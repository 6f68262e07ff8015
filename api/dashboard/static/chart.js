// Bar charts as SVG, drawn by this small module (no chart library): one horizontal bar per
// category, its series stacked, a legend above, the value at the end of each bar.

const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Width of a label in px at 13 px (CJK characters are square, others about half). */
function textWidth(text) {
  let w = 0;
  for (const ch of String(text)) w += ch.charCodeAt(0) > 0x2e80 ? 13 : 7.5;
  return w;
}

/**
 * categories: [label]; series: [{name, color, values: [n]}], stacked left to right.
 * onClick(index) makes each row a link (drill down). Returns an <svg>.
 */
export function stackedBars({ title, categories, series, onClick, width = 720 }) {
  const rowH = 24;
  const gap = 6;
  const labelW = Math.min(220, Math.max(60, ...categories.map(textWidth)) + 12);
  const legendH = 28;
  const totals = categories.map((_, i) => series.reduce((a, sr) => a + (sr.values[i] || 0), 0));
  const max = Math.max(1, ...totals);
  const valueW = 12 + textWidth(String(max));
  const plotW = width - labelW - valueW - 8;
  const height = legendH + categories.length * (rowH + gap) + 8;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", class: "chart" });
  svg.style.maxWidth = `${width}px`;
  if (title) svg.append(s("title", {}, title));

  let x = labelW;
  for (const sr of series) {
    svg.append(s("rect", { x, y: 6, width: 12, height: 12, fill: sr.color, rx: 2 }));
    svg.append(s("text", { x: x + 16, y: 16, class: "legend" }, sr.name));
    x += 16 + textWidth(sr.name) + 18;
  }
  // grid: quarters of the largest bar
  for (let q = 0; q <= 4; q++) {
    const gx = labelW + (plotW * q) / 4;
    svg.append(s("line", { x1: gx, x2: gx, y1: legendH - 2, y2: height - 4, class: "grid" }));
  }
  categories.forEach((cat, i) => {
    const y = legendH + i * (rowH + gap);
    const row = s("g", { class: onClick ? "bar-row clickable" : "bar-row" });
    row.append(s("text", { x: labelW - 8, y: y + rowH / 2 + 5, "text-anchor": "end", class: "axis" }, cat));
    let bx = labelW;
    series.forEach((sr) => {
      const v = sr.values[i] || 0;
      if (!v) return;
      const w = (plotW * v) / max;
      const rect = s("rect", { x: bx, y, width: Math.max(w, 1), height: rowH, fill: sr.color });
      rect.append(s("title", {}, `${cat} · ${sr.name}：${v}`));
      row.append(rect);
      bx += w;
    });
    row.append(s("text", { x: bx + 6, y: y + rowH / 2 + 5, class: "value" }, String(totals[i])));
    if (onClick) {
      row.setAttribute("tabindex", "0");
      row.addEventListener("click", () => onClick(i));
      row.addEventListener("keydown", (e) => { if (e.key === "Enter") onClick(i); });
    }
    svg.append(row);
  });
  return svg;
}

/** Two bars per category side by side would need more room; a pair of stacked charts reads better. */
export function ratioBar(parts) {
  // parts: [{value, color, label}] -> a single thin bar (used in tables)
  const total = parts.reduce((a, p) => a + p.value, 0) || 1;
  const svg = s("svg", { viewBox: "0 0 100 8", width: "100", height: "8", class: "ratio", preserveAspectRatio: "none" });
  let x = 0;
  for (const p of parts) {
    const w = (100 * p.value) / total;
    if (w > 0) svg.append(s("rect", { x, y: 0, width: w, height: 8, fill: p.color }));
    x += w;
  }
  return svg;
}
