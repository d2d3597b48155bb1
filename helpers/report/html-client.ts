/**
 * The script report.html runs (inline, after Chart.js): reads the embedded chart data and draws,
 * per scenario, the latency percentile curve, throughput over time, and the side-by-side bars.
 * Plain ES2017 without template literals, kept as a string so the CLI bundle carries it.
 * Every chart it draws is registered in `window.mtbCharts` (the browser test checks them).
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('mtb-data').textContent);
  var charts = [];
  window.mtbCharts = charts;
  if (typeof Chart === 'undefined') { throw new Error('Chart.js did not load'); }
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
  Chart.defaults.maintainAspectRatio = false;

  function byId(list, id) { for (var i = 0; i < list.length; i++) { if (list[i].id === id) return list[i]; } return null; }
  function fmtMs(v) { if (v === null || v === undefined) return '–'; if (v >= 100) return Math.round(v).toLocaleString('en-US'); if (v >= 10) return v.toFixed(1); if (v >= 1) return v.toFixed(2); return v.toFixed(3); }
  // x = 1/(1-p): 1 → 0 %, 2 → 50 %, 10 → 90 %, 100 → 99 %, ...
  function percentileLabel(x) {
    if (x <= 1) return '0%';
    var p = 100 * (1 - 1 / x);
    var digits = Math.max(0, Math.round(Math.log10(x)) - 2);
    return p.toFixed(digits) + '%';
  }
  function title(text) { return { display: true, text: text, font: { weight: 'bold' } }; }

  function percentileChart(canvas, scenario) {
    var maxX = 1;
    var datasets = scenario.subjects.filter(function (s) { return s.curve.length > 0; }).map(function (s) {
      s.curve.forEach(function (p) { if (p[0] > maxX) maxX = p[0]; });
      return { label: s.label, data: s.curve.map(function (p) { return { x: p[0], y: p[1] }; }), borderColor: s.color, backgroundColor: s.color, pointRadius: 0, borderWidth: 2, stepped: false, tension: 0 };
    });
    var ticks = [1, 2];
    for (var t = 10; t <= maxX * 1.0001; t *= 10) ticks.push(t);
    return new Chart(canvas, {
      type: 'line',
      data: { datasets: datasets },
      options: {
        parsing: false,
        plugins: { title: title('Latency by percentile (ms)'), tooltip: { callbacks: { title: function (items) { return items.length ? 'p' + percentileLabel(items[0].parsed.x) : ''; }, label: function (item) { return item.dataset.label + ': ' + fmtMs(item.parsed.y) + ' ms'; } } } },
        scales: {
          x: { type: 'logarithmic', min: 1, max: Math.max(10, maxX), title: { display: true, text: 'percentile' },
               afterBuildTicks: function (axis) { axis.ticks = ticks.filter(function (v) { return v <= axis.max; }).map(function (v) { return { value: v }; }); },
               ticks: { callback: function (value) { return percentileLabel(value); } } },
          y: { beginAtZero: true, title: { display: true, text: 'latency (ms)' } }
        }
      }
    });
  }

  function throughputChart(canvas, scenario) {
    var datasets = [];
    scenario.subjects.forEach(function (s) {
      if (!s.periods.length) return;
      datasets.push({ label: s.label + ' received', data: s.periods.map(function (p) { return { x: p[0], y: p[2] }; }), borderColor: s.color, backgroundColor: s.color, pointRadius: 0, borderWidth: 2 });
      datasets.push({ label: s.label + ' published', data: s.periods.map(function (p) { return { x: p[0], y: p[1] }; }), borderColor: s.color, backgroundColor: s.color, pointRadius: 0, borderWidth: 1, borderDash: [6, 4] });
    });
    return new Chart(canvas, {
      type: 'line',
      data: { datasets: datasets },
      options: {
        parsing: false,
        plugins: { title: title('Throughput over time (msg/s)') },
        scales: { x: { type: 'linear', title: { display: true, text: 'seconds' } }, y: { beginAtZero: true, title: { display: true, text: 'messages / s' } } }
      }
    });
  }

  // Bar labels: a topology name splits before " via " onto a second line.
  function barLabel(label) { var at = label.indexOf(' via '); return at > 0 ? [label.slice(0, at), label.slice(at + 1)] : label; }

  function compareLatencyChart(canvas, scenario) {
    var labels = scenario.subjects.map(function (s) { return barLabel(s.label); });
    // Greys for the percentiles, so they are not mistaken for the subjects' colours.
    var series = [['p50', 'p50Ms', '#BDBDBD'], ['p99', 'p99Ms', '#757575'], ['p99.9', 'p999Ms', '#303030']];
    return new Chart(canvas, {
      type: 'bar',
      data: { labels: labels, datasets: series.map(function (s) { return { label: s[0], backgroundColor: s[2], data: scenario.subjects.map(function (x) { return x[s[1]]; }) }; }) },
      options: { plugins: { title: title('Latency side by side (ms)') }, scales: { y: { beginAtZero: true, title: { display: true, text: 'ms' } } } }
    });
  }

  function compareThroughputChart(canvas, scenario) {
    return new Chart(canvas, {
      type: 'bar',
      data: { labels: scenario.subjects.map(function (s) { return barLabel(s.label); }), datasets: [{ label: 'received msg/s', backgroundColor: scenario.subjects.map(function (s) { return s.color; }), data: scenario.subjects.map(function (s) { return s.receivePerSec; }) }] },
      options: { plugins: { title: title('Throughput side by side (msg/s)'), legend: { display: false } }, scales: { y: { beginAtZero: true, title: { display: true, text: 'messages / s' } } } }
    });
  }

  var builders = { 'percentile': percentileChart, 'throughput': throughputChart, 'compare-latency': compareLatencyChart, 'compare-throughput': compareThroughputChart };
  var canvases = document.querySelectorAll('canvas[data-kind]');
  for (var i = 0; i < canvases.length; i++) {
    var canvas = canvases[i];
    var scenario = byId(data.scenarios, canvas.getAttribute('data-scenario'));
    var build = builders[canvas.getAttribute('data-kind')];
    if (!scenario || !build) throw new Error('no data for chart ' + canvas.id);
    charts.push({ id: canvas.id, kind: canvas.getAttribute('data-kind'), chart: build(canvas, scenario) });
  }
})();
`;
