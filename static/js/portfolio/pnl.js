/* Portfolio value over time (the start, a point per order, now) as a line chart. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    const el = document.getElementById("pnl-chart");
    const data = JSON.parse(document.getElementById("pnl-data").textContent);
    if (!el) return;
    if (!data.length) { TS.showError(el, "The chart starts with the first order."); el.dataset.drawn = "0"; return; }
    const chart = LightweightCharts.createChart(el, TS.chartOptions(el));
    const line = chart.addSeries(LightweightCharts.LineSeries, { color: "#2563eb", lineWidth: 2 });
    const seen = new Map();
    data.forEach(function (p) { seen.set(p.time_epoch_s, p.total); });
    line.setData(Array.from(seen, function (kv) { return { time: kv[0], value: kv[1] }; }));
    chart.timeScale().fitContent();
    TS.autoResize(chart, el);
    el.dataset.drawn = String(data.length);
  });
})();
