/* The walk-forward page's stitched out-of-sample equity: each window's out-of-sample
 * curve, chained (a window starts from the balance the previous one ended with), with a
 * marker where each window begins. Chart options and resizing are charts.js's (TS). Data: the "walk-forward-data" json_script
 * ({points: [[epoch ms, equity], ...], windows: [{window, out_of_sample_window: [iso, iso]}]}). */
(function () {
  "use strict";

  function draw() {
    const holder = document.getElementById("walk-forward-data");
    const el = document.getElementById("walk-forward-equity");
    const LWC = window.LightweightCharts, TS = window.TS;
    if (!holder || !el || !LWC || !TS) return;
    const data = JSON.parse(holder.textContent);
    const points = [], seen = new Set();
    data.points.forEach(function (p) {
      const time = Math.floor(p[0] / 1000);
      if (p[1] === null || seen.has(time)) return;
      seen.add(time);
      points.push({ time: time, value: p[1] });
    });
    if (!points.length) {
      el.textContent = "No out-of-sample window produced an equity curve.";
      el.classList.add("chart-error");
      return;
    }
    const chart = LWC.createChart(el, TS.chartOptions(el));
    const line = chart.addSeries(LWC.LineSeries, { color: "#2563eb", lineWidth: 2, title: "out-of-sample equity" });
    line.setData(points);
    const markers = [];
    data.windows.forEach(function (w) {
      if (!w.out_of_sample_window) return;
      const t = Math.floor(Date.parse(w.out_of_sample_window[0]) / 1000);
      const at = points.find(function (p) { return p.time >= t; });
      if (at) markers.push({ time: at.time, position: "aboveBar", color: "#64748b", shape: "arrowDown", text: "W" + w.window });
    });
    if (markers.length && LWC.createSeriesMarkers) LWC.createSeriesMarkers(line, markers);
    chart.timeScale().fitContent();
    TS.autoResize(chart, el);
    el.dataset.drawn = String(points.length);
    el.dataset.windows = String(markers.length);
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
