/* The comparison page: each run's equity in % from its start, overlaid on one chart
 * (lightweight-charts, vendored). The data is the page's #compare-data json_script:
 * [{id, label, points: [[epoch seconds, pct], ...]}, ...]; colours match the legend's swatches. */
(function () {
  "use strict";
  const LWC = window.LightweightCharts;
  const COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2"];

  function draw() {
    const holder = document.getElementById("compare-data");
    const el = document.getElementById("compare-chart");
    if (!holder || !el || !LWC) return;
    const runs = JSON.parse(holder.textContent);
    const chart = LWC.createChart(el, {
      width: el.clientWidth,
      height: el.clientHeight || 420,
      // The library's attribution logo injects an inline style the CSP forbids; the
      // attribution is in the page footer (templates/base.html).
      layout: { background: { color: "#ffffff" }, textColor: "#1f2937", attributionLogo: false },
      grid: { vertLines: { color: "#f1f5f9" }, horzLines: { color: "#f1f5f9" } },
      // The whole of every run fits, however narrow the screen (the default minimum bar
      // spacing would show only the latest few hundred points on a phone).
      timeScale: { timeVisible: true, secondsVisible: false, minBarSpacing: 0.001 },
      rightPriceScale: { borderVisible: false },
      localization: { priceFormatter: function (v) { return v.toFixed(2) + "%"; } },
    });
    let lines = 0;
    runs.forEach(function (run, i) {
      const series = chart.addSeries(LWC.LineSeries, {
        color: COLOURS[i % COLOURS.length], lineWidth: 2, title: "#" + run.id,
        priceFormat: { type: "custom", formatter: function (v) { return v.toFixed(2) + "%"; }, minMove: 0.01 },
      });
      const seen = new Set(), data = [];
      run.points.forEach(function (p) {
        if (seen.has(p[0])) return;
        seen.add(p[0]);
        data.push({ time: p[0], value: p[1] });
      });
      series.setData(data);
      if (data.length) lines += 1;
    });
    chart.timeScale().fitContent();
    el.dataset.series = String(lines);
    if (window.ResizeObserver) {
      new ResizeObserver(function () { chart.applyOptions({ width: el.clientWidth }); }).observe(el);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
