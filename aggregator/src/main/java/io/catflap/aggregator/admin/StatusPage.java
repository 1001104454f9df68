package io.catflap.aggregator.admin;

/**
 * The live status page: one self-contained HTML document (no external assets, so it works on an air-gapped host)
 * whose script polls {@code status} every second and renders it. Every value cell carries the raw number in
 * {@code data-v} next to its human-readable text, for tooltips and for tests.
 */
final class StatusPage {

    private StatusPage() {
    }

    static final String HTML = """
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>catflap aggregator</title>
<style>
  :root { --bg:#f6f7f9; --card:#fff; --fg:#1d2430; --muted:#6b7380; --line:#e2e5ea; --ok:#1f9d55; --bad:#d64545;
          --warn:#c98a00; --accent:#3b6fd8; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg);
         color:var(--fg); }
  header { display:flex; align-items:center; gap:12px; padding:12px 20px; background:#1d2430; color:#fff; }
  header h1 { font-size:17px; margin:0; font-weight:600; }
  header .meta { margin-left:auto; color:#c4cad4; font-size:13px; }
  .dot { width:10px; height:10px; border-radius:50%; background:var(--muted); display:inline-block; }
  .dot.ok { background:var(--ok); } .dot.bad { background:var(--bad); }
  main { padding:16px 20px; max-width:1280px; }
  #banner { display:none; margin-bottom:12px; padding:8px 12px; border-radius:6px; background:#fdecec;
            color:var(--bad); border:1px solid #f3c1c1; }
  .cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(220px, 1fr)); gap:12px; margin-bottom:16px; }
  .card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
  .card h2, section h2 { font-size:12px; text-transform:uppercase; letter-spacing:.05em; color:var(--muted);
                         margin:0 0 8px; font-weight:600; }
  .kv { display:grid; grid-template-columns:auto auto; gap:2px 12px; }
  .kv span:nth-child(odd) { color:var(--muted); }
  .kv span:nth-child(even) { text-align:right; font-variant-numeric:tabular-nums; font-weight:600; }
  .bar { height:6px; background:var(--line); border-radius:3px; margin-top:8px; overflow:hidden; }
  .bar div { height:100%; width:0; background:var(--accent); transition:width .3s; }
  section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px;
            margin-bottom:16px; }
  table { width:100%; border-collapse:collapse; }
  th { text-align:left; font-weight:600; color:var(--muted); font-size:12px; border-bottom:1px solid var(--line);
       padding:4px 8px; }
  td { padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
  td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
  td.err { color:var(--bad); max-width:420px; overflow-wrap:anywhere; }
  td.err div { display:-webkit-box; -webkit-box-orient:vertical; -webkit-line-clamp:3; overflow:hidden; }
  .empty { color:var(--muted); font-style:italic; }
  canvas { width:100%; height:70px; display:block; }
</style>
</head>
<body>
<header>
  <span id="health" class="dot" title="health"></span>
  <h1>catflap aggregator</h1>
  <span class="meta">up <span id="uptime">–</span> · updated <span id="updated">never</span></span>
</header>
<main>
  <div id="banner"></div>
  <div class="cards">
    <div class="card"><h2>Connections</h2><div class="kv">
      <span>open</span><span data-k="connections.open">–</span>
      <span>reading</span><span data-k="connections.reading">–</span>
      <span>waiting for a reader</span><span data-k="connections.waiting">–</span>
      <span>idle</span><span data-k="connections.idle">–</span>
      <span>max readers</span><span data-k="connections.maxReaders">–</span>
    </div></div>
    <div class="card"><h2>Held in batches</h2><div class="kv">
      <span>bytes</span><span data-k="bytesHeld" data-fmt="bytes">–</span>
      <span>limit</span><span data-k="bytesHeldLimit" data-fmt="bytes">–</span>
    </div><div class="bar"><div id="heldBar"></div></div></div>
    <div class="card"><h2>Upstream inserts</h2><div class="kv">
      <span>in flight</span><span data-k="upstream.inserts.inFlight">–</span>
      <span>queued</span><span data-k="upstream.inserts.queued">–</span>
      <span>max</span><span data-k="upstream.inserts.max">–</span>
    </div></div>
    <div class="card"><h2>Upstream selects</h2><div class="kv">
      <span>in flight</span><span data-k="upstream.selects.inFlight">–</span>
      <span>queued</span><span data-k="upstream.selects.queued">–</span>
      <span>max</span><span data-k="upstream.selects.max">–</span>
    </div></div>
  </div>
  <section><h2>Ingest, rows/s (all tables, last 2 minutes)</h2><canvas id="spark" width="1200" height="70"></canvas>
  </section>
  <section><h2>Tables</h2>
    <table><thead><tr><th>table</th><th class="n">rows/s</th><th class="n">bytes/s</th><th class="n">rows in</th>
      <th class="n">requests</th><th class="n">inserts</th><th class="n">open batch</th><th class="n">batch age</th>
      <th class="n">sealed</th><th class="n">flush gap</th><th>last error</th></tr></thead>
      <tbody id="tables"><tr><td colspan="11" class="empty">no data yet</td></tr></tbody></table>
  </section>
  <section><h2>Recent errors</h2>
    <table><thead><tr><th>time</th><th>table</th><th class="n">code</th><th>message</th></tr></thead>
      <tbody id="errors"><tr><td colspan="4" class="empty">none</td></tr></tbody></table>
  </section>
</main>
<script>
"use strict";
const history = [];
const HISTORY = 120;

function get(obj, path) {
  return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
}
function num(v, digits) {
  if (typeof v !== "number") return "–";
  return v.toLocaleString("en-US", { maximumFractionDigits: digits || 0 });
}
function bytes(v) {
  if (typeof v !== "number") return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i === 0 ? v.toFixed(0) : v.toFixed(1)) + " " + units[i];
}
function duration(ms) {
  if (typeof ms !== "number") return "–";
  if (ms < 1000) return ms.toFixed(0) + " ms";
  const s = ms / 1000;
  if (s < 60) return s.toFixed(1) + " s";
  if (s < 3600) return Math.floor(s / 60) + " m " + Math.floor(s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.floor(s % 3600 / 60) + " m";
}
function cell(row, value, text, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  if (value !== undefined && value !== null) td.dataset.v = String(value);
  if (cls === "err") {
    // Long ClickHouse messages are cut to three lines; the whole text is in the tooltip.
    const div = document.createElement("div");
    div.textContent = text;
    td.title = text;
    td.appendChild(div);
  } else {
    td.textContent = text;
  }
  row.appendChild(td);
  return td;
}
function errorText(e) {
  if (!e) return "";
  const message = e.message || "";
  // ClickHouse's own texts start with their code; others get it in front.
  return e.code != null && !message.startsWith("Code: " + e.code) ? "Code: " + e.code + ". " + message : message;
}

// Empties a table body; true when there are rows to add, else it shows emptyText instead.
function clearRows(id, items, emptyText) {
  const body = document.getElementById(id);
  body.replaceChildren();
  if (!items || items.length === 0) {
    const columns = body.closest("table").tHead.rows[0].cells.length;
    cell(body.insertRow(), null, emptyText, "empty").colSpan = columns;
    return false;
  }
  return true;
}

function renderTables(tables) {
  if (!clearRows("tables", tables, "no tables yet")) return;
  const body = document.getElementById("tables");
  for (const t of tables) {
    const tr = body.insertRow();
    tr.dataset.table = t.table;
    cell(tr, t.table, t.table);
    cell(tr, t.rowsPerSecond, num(t.rowsPerSecond, 1), "n").dataset.k = "rowsPerSecond";
    cell(tr, t.bytesPerSecond, bytes(t.bytesPerSecond) + "/s", "n").dataset.k = "bytesPerSecond";
    cell(tr, t.rowsIn, num(t.rowsIn), "n").dataset.k = "rowsIn";
    cell(tr, t.requestsIn, num(t.requestsIn), "n").dataset.k = "requestsIn";
    cell(tr, t.insertsDone, num(t.insertsDone), "n").dataset.k = "insertsDone";
    cell(tr, t.openBatchBytes, bytes(t.openBatchBytes), "n").dataset.k = "openBatchBytes";
    cell(tr, t.openBatchAgeMillis, duration(t.openBatchAgeMillis), "n").dataset.k = "openBatchAgeMillis";
    cell(tr, t.sealedBatches, num(t.sealedBatches), "n").dataset.k = "sealedBatches";
    cell(tr, t.flushGapMillis, duration(t.flushGapMillis), "n").dataset.k = "flushGapMillis";
    const err = cell(tr, null, errorText(t.lastError), "err");
    err.dataset.k = "lastError";
  }
}

function renderErrors(errors) {
  if (!clearRows("errors", errors, "none")) return;
  const body = document.getElementById("errors");
  for (const e of errors) {
    const tr = body.insertRow();
    cell(tr, e.at, e.at ? new Date(e.at).toLocaleTimeString() : "");
    cell(tr, e.table, e.table || "");
    cell(tr, e.code, e.code != null ? String(e.code) : "", "n");
    cell(tr, null, e.message || "", "err");
  }
}

function renderSpark() {
  const canvas = document.getElementById("spark");
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const max = Math.max(1, ...history);
  ctx.fillStyle = "rgba(59,111,216,.15)";
  ctx.strokeStyle = "#3b6fd8";
  ctx.lineWidth = 2;
  // Newest point at the right edge, one step per refresh.
  const x = i => w - (history.length - 1 - i) * w / (HISTORY - 1);
  const y = v => h - 4 - (h - 8) * v / max;
  ctx.beginPath();
  ctx.moveTo(x(0), h);
  history.forEach((v, i) => ctx.lineTo(x(i), y(v)));
  ctx.lineTo(w, h);
  ctx.closePath();
  ctx.fill();
  ctx.beginPath();
  history.forEach((v, i) => (i === 0 ? ctx.moveTo(x(i), y(v)) : ctx.lineTo(x(i), y(v))));
  ctx.stroke();
  ctx.fillStyle = "#6b7380";
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillText("max " + num(max, 0) + " rows/s", 6, 14);
}

function render(s, healthy) {
  for (const el of document.querySelectorAll("[data-k]:not(td)")) {
    const v = get(s, el.dataset.k);
    el.dataset.v = v === undefined || v === null ? "" : String(v);
    el.textContent = el.dataset.fmt === "bytes" ? bytes(v) : num(v);
  }
  const limit = s.bytesHeldLimit, held = s.bytesHeld;
  document.getElementById("heldBar").style.width =
      typeof limit === "number" && limit > 0 ? Math.min(100, 100 * held / limit) + "%" : "0";
  renderTables(s.tables);
  renderErrors(s.recentErrors);
  const total = (s.tables || []).reduce((a, t) => a + (t.rowsPerSecond || 0), 0);
  history.push(total);
  if (history.length > HISTORY) history.shift();
  renderSpark();
  const started = s.startedAt ? Date.parse(s.startedAt) : NaN;
  document.getElementById("uptime").textContent = isNaN(started) ? "–" : duration(Date.now() - started);
  document.getElementById("updated").textContent = new Date().toLocaleTimeString();
  const dot = document.getElementById("health");
  dot.className = "dot " + (healthy ? "ok" : "bad");
  dot.title = healthy ? "healthy" : "unhealthy";
}

// With --admin-token-file, open the page as /#token=...: the fragment never leaves the browser.
const token = new URLSearchParams(location.hash.slice(1)).get("token");
const headers = token ? { Authorization: "Bearer " + token } : {};

async function refresh() {
  const banner = document.getElementById("banner");
  try {
    const [status, health] = await Promise.all([
      fetch("status", { cache: "no-store", headers }),
      fetch("health", { cache: "no-store" })]);
    if (!status.ok) throw new Error("/status answered " + status.status);
    render(await status.json(), health.ok);
    banner.style.display = "none";
    document.body.dataset.loaded = "true";
  } catch (e) {
    banner.textContent = "status unavailable: " + e.message + " (showing the last data received)";
    banner.style.display = "block";
    document.getElementById("health").className = "dot bad";
  } finally {
    setTimeout(refresh, 1000);
  }
}
refresh();
</script>
</body>
</html>
""";
}
