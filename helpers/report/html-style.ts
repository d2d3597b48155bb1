/** Styles of report.html (inline). Pass/fail use blue/orange plus ✓/✗, never colour alone. */
export const REPORT_CSS = `
:root { --fg:#1d2329; --muted:#5b6670; --line:#d9dee3; --bg:#fff; --alt:#f6f8fa; --ok:#d7e9f7; --ok-fg:#004b7a; --bad:#fde0c8; --bad-fg:#8a3200; --warn:#fff3bf; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 16px 24px; border-bottom: 4px solid var(--ok-fg); background: var(--alt); }
header.verdict-fail { border-bottom-color: #D55E00; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: var(--muted); }
.badge { display: inline-block; padding: 2px 10px; border-radius: 4px; background: var(--ok-fg); color: #fff; font-size: 16px; vertical-align: 2px; }
.verdict-fail .badge { background: #D55E00; }
nav { position: sticky; top: 0; z-index: 2; background: var(--bg); border-bottom: 1px solid var(--line); padding: 6px 24px; }
nav a { margin-right: 16px; color: var(--ok-fg); text-decoration: none; }
main { padding: 8px 24px 40px; max-width: 1600px; }
section { margin-top: 24px; }
h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { background: var(--alt); position: sticky; top: 0; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.skipped td, tr.skip td { color: var(--muted); }
tr.fail td:first-child { border-left: 4px solid #D55E00; }
td.warn { background: var(--warn); }
table.kv th { background: var(--alt); width: 140px; }
.scroll { overflow-x: auto; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 120px; color: var(--muted); }
.card .big { font-size: 24px; font-weight: 600; color: var(--fg); }
.card.bad { border-color: #D55E00; background: var(--bad); }
.callout { border-left: 4px solid var(--ok-fg); background: var(--ok); padding: 8px 12px; margin: 8px 0; }
.callout.fail { border-left-color: #D55E00; background: var(--bad); }
.callout pre { margin: 4px 0; white-space: pre-wrap; }
.grids { display: flex; flex-wrap: wrap; gap: 18px; }
figure.grid { margin: 0; }
figure.grid figcaption { font-weight: 600; margin-bottom: 4px; }
table.qos td, table.qos th { text-align: center; min-width: 64px; }
table.qos td.ok { background: var(--ok); color: var(--ok-fg); }
table.qos td.bad { background: var(--bad); color: var(--bad-fg); }
table.qos td.none { color: var(--muted); }
td.st-regressed { background: var(--bad); color: var(--bad-fg); }
td.st-improved { background: var(--ok); color: var(--ok-fg); }
td.st-untrusted { background: var(--warn); }
article.scenario { border-top: 1px solid var(--line); padding-top: 4px; }
table.mini td, table.mini th { padding: 2px 8px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 14px; }
.chart { position: relative; height: 300px; border: 1px solid var(--line); border-radius: 6px; padding: 6px; }
.chart.empty { display: flex; align-items: center; justify-content: center; color: var(--muted); }
details { margin: 4px 0; }
pre { white-space: pre-wrap; font-size: 12px; background: var(--alt); padding: 8px; }
footer { padding: 12px 24px; color: var(--muted); border-top: 1px solid var(--line); }
@media print { nav { display: none; } .chart { break-inside: avoid; } }
`;
