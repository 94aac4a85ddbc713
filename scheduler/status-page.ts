import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtAssetsDir } from '../lib/index.js';

let script: string | undefined;

/** The page's script: scheduler/browser/ bundled by `npm run build` (dist/scheduler/assets/status-page.js). */
export function statusPageScript(): string {
  script ??= readFileSync(
    join(builtAssetsDir(import.meta.url, 'status-page.js', "The status page's script"), 'status-page.js'),
    'utf8',
  );
  return script;
}

/**
 * The status page: one HTML document (inline CSS; its script, scheduler/browser/, bundled at build time
 * and served from the same origin; no CDN) that reads the JSON API and renders every value with
 * textContent, so that nothing from the database becomes markup. The chart is the one exception: an SVG
 * the server builds with its text escaped.
 */
export function renderStatusPage(options: { csrfToken: string; nonce: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escapeAttribute(options.csrfToken)}">
<title>Bambuzled · scheduler</title>
<style nonce="${escapeAttribute(options.nonce)}">${STYLE}</style>
</head>
<body>
<header><h1>Bambuzled scheduler</h1><span id="sensor-badge" class="badge">…</span><span id="updated" class="muted"></span></header>
<p id="message" role="status" class="message" hidden></p>
<p id="writes-warning" role="alert" class="message error" hidden></p>
<main>
<section class="card" id="sensor">
  <h2>Sensor</h2>
  <dl id="sensor-facts"></dl>
  <div class="control">
    <div class="row"><button type="button" id="toggle-sensor">Stop sensor</button><span id="toggle-note" class="muted"></span></div>
  </div>
  <form class="control" id="reset-form">
    <div class="row"><label for="reset-to">Reset cursor to</label>
    <input id="reset-to" type="number" min="0" value="0" size="6" aria-describedby="reset-note">
    <button type="submit" id="reset-sensor">Reset cursor</button></div>
    <p id="reset-note" class="muted">The cursor is the last change the sensor has handled. Moving it back makes the next tick run again for every job that ended after it (0: the whole history).</p>
  </form>
</section>
<section class="card" id="run-now">
  <h2>Run now</h2>
  <form id="run-form">
    <label>Tags <input name="tags" placeholder="bronze, silver"></label>
    <label>Actions <input name="actions" placeholder="jobs_brz"></label>
    <label><input type="checkbox" name="includeDeps"> include dependencies</label>
    <label><input type="checkbox" name="includeDependents"> include dependents</label>
    <label><input type="checkbox" name="fullRefresh"> full refresh</label>
    <button type="submit" id="run-button">Run now</button>
  </form>
  <p class="muted">Nothing selected runs the whole graph. A manual run does not move the sensor's cursor.</p>
  <div class="control row" id="cancel-control" hidden><button type="button" id="cancel-run">Cancel run</button>
  <span class="muted">Stops the run in flight: its statement is stopped and rolled back, what finished before stays. A cancelled sensor run keeps the cursor, so the next tick runs again.</span></div>
</section>
<section class="card" id="printers-card"><h2>Printers</h2>
  <table id="printers"><thead><tr><th>Printer</th><th>Last report</th><th>Now</th></tr></thead><tbody></tbody></table>
</section>
<section class="card wide" id="runs-card"><h2>Recent runs</h2>
  <table id="runs"><thead><tr><th>Run</th><th>Trigger</th><th>Selection</th><th>Status</th><th>Started</th><th>Duration</th><th>Actions</th></tr></thead><tbody></tbody></table>
  <p class="muted">Click a run to see its actions.</p>
  <div id="run-detail" hidden><h3 id="run-title"></h3>
  <table id="run-actions"><thead><tr><th>Action</th><th>Kind</th><th>Status</th><th>Duration</th><th>Rows</th><th>Error / failing rows</th></tr></thead><tbody></tbody></table></div>
</section>
<section class="card wide" id="history"><h2>Print history <span class="muted">jobs finished per day, last 30 days</span></h2><div id="chart"></div></section>
<section class="card wide" id="owners"><h2>What the printers used <span class="muted">filament from each job's .3mf, time from its states (jobs_slv and the gold tables)</span></h2>
  <p id="owners-note" class="muted" hidden></p>
  <div class="charts">
    <figure><figcaption>Filament by material and colour (g)</figcaption><div class="chart-box"><canvas id="chart-filament" role="img" aria-label="Grams of filament by material and colour"></canvas></div></figure>
    <figure><figcaption>Hours per week: printing, paused, preparing</figcaption><div class="chart-box"><canvas id="chart-hours" role="img" aria-label="Printing, paused and preparing hours per week"></canvas></div></figure>
    <figure><figcaption>Success rate per printer (% finished)</figcaption><div class="chart-box"><canvas id="chart-success" role="img" aria-label="Share of finished jobs per printer"></canvas></div></figure>
  </div>
  <h3>Recent jobs: filament and time</h3>
  <table id="job-figures"><thead><tr><th>Job</th><th>Printer</th><th>Outcome</th><th>Filament</th><th>Printing</th><th>Paused</th><th>Preparing</th><th>Estimate</th></tr></thead><tbody></tbody></table>
</section>
<section class="card wide" id="jobs-card"><h2>Recent jobs <span id="jobs-source" class="muted"></span></h2>
  <table id="jobs"><thead><tr><th>Job</th><th>Printer</th><th>Started</th><th>Duration</th><th>Outcome</th></tr></thead><tbody></tbody></table>
</section>
<section class="card wide"><h2>Assertions</h2>
  <table id="assertions"><thead><tr><th>Assertion</th><th>Status</th><th>Failing rows</th><th>When</th><th>Error</th></tr></thead><tbody></tbody></table>
</section>
<section class="card wide"><h2>Recent ticks</h2>
  <table id="ticks"><thead><tr><th>Tick</th><th>When</th><th>Woken by</th><th>Decision</th><th>Cursor</th><th>Run</th><th>Reason</th></tr></thead><tbody></tbody></table>
</section>
</main>
<script src="/assets/chart.umd.min.js"></script>
<script src="/assets/status-page.js"></script>
</body>
</html>
`;
}

function escapeAttribute(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1f2328}
header{display:flex;gap:12px;align-items:center;padding:12px 20px;background:#1f2937;color:#fff}
header h1{font-size:18px;margin:0}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:14px;padding:14px 20px}
.card{background:#fff;border:1px solid #d8dee4;border-radius:6px;padding:10px 14px;overflow:auto;min-width:0}
.wide{grid-column:1/-1}
h2{font-size:15px;margin:4px 0 8px}h2 .muted{font-weight:400;margin-left:6px}
h3{font-size:14px;margin:4px 0 6px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 8px}
dt{color:#57606a}dd{margin:0;word-break:break-word}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
tbody tr.clickable{cursor:pointer}tbody tr.clickable:hover{background:#f0f6ff}
tr.clickable td:first-child::before{content:"\\25B8";display:inline-block;width:1em;color:#57606a}
tr.clickable.selected td:first-child::before{content:"\\25BE"}
tr.selected{background:#ddf4ff}tr.selected:hover{background:#ddf4ff}
tr.detail-row>td{background:#f6f8fa;border-left:3px solid #0969da;padding:8px 12px}
tr.detail-row.flash>td{animation:flash 1.2s ease-out}
@keyframes flash{from{background:#fff8c5}to{background:#f6f8fa}}
.badge{padding:2px 8px;border-radius:10px;font-size:12px;background:#6b7280}
.chip{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;border:1px solid;white-space:nowrap}
.chip.sensor{color:#6639ba;border-color:#c297ff;background:#fbefff}
.chip.manual{color:#9a6700;border-color:#d4a72c;background:#fff8c5}
.chip.full-refresh{color:#b42318;border-color:#ff8182;background:#ffebe9;margin-left:6px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:1px 4px;border-radius:4px}
code.flags span{white-space:nowrap}
#reset-to{width:7em}code.serial{font-size:11px;color:#57606a}th{white-space:nowrap}
.SUCCESSFUL,.REQUESTED,.RUNNING,.finished{color:#116329;font-weight:600}
.FAILED,.failed{color:#b42318;font-weight:600}.CANCELLED,.INTERRUPTED{color:#9a6700;font-weight:600}
#cancel-run{color:#b42318;border-color:#ff8182}[hidden]{display:none !important}.SKIPPED,.DISABLED,.STOPPED,.cancelled,.ended_while_disconnected{color:#6b7280}
.badge.RUNNING{background:#116329;color:#fff}.badge.STOPPED{background:#6b7280;color:#fff}
.muted{color:#6e7781;font-size:12px}
.row,#run-form{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.control{border-top:1px solid #eaeef2;padding:8px 0 2px;margin:0}
.control p{margin:4px 0 0}
.message{margin:10px 20px;padding:8px 12px;border-radius:6px;background:#fff8c5;border:1px solid #d4a72c}
.message.error{background:#ffebe9;border-color:#ff8182}
#chart svg{display:block;width:100%;height:auto}
pre{margin:0;white-space:pre-wrap;font-size:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:14px;margin-bottom:10px}
figure{margin:0;min-width:0}figcaption{font-size:13px;color:#57606a;margin-bottom:4px}
.chart-box{position:relative;height:220px}
.cut{display:inline-block;max-width:22em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;vertical-align:bottom}
#printers .cut{max-width:12em}
`;
