/* The desk backtest result page: the desk's equity beside each agent alone, the
 * equal-weight buy & hold and the random-selection baseline (mean, 5% and 95% lines). */
(function () {
  "use strict";
  const LWC = window.LightweightCharts;
  const AGENT_COLORS = ["#16a34a", "#d97706", "#9333ea", "#0891b2", "#db2777", "#65a30d", "#b45309"];

  function points(t, values) {
    const out = [], seen = new Set();
    for (let i = 0; i < t.length; i++) {
      const time = Math.floor(t[i] / 1000);
      if (seen.has(time) || values[i] === null || values[i] === undefined) continue;
      seen.add(time);
      out.push({ time: time, value: values[i] });
    }
    return out;
  }

  function draw() {
    const holder = document.getElementById("desk-curves");
    const el = document.getElementById("desk-equity-chart");
    if (!holder || !el) return;
    const c = JSON.parse(holder.textContent);
    if (!c || !c.t || !c.t.length) { TS.showError(el, "No equity points to draw."); return; }
    const chart = LWC.createChart(el, TS.chartOptions(el));
    let series = 0;
    function line(values, opts) {
      series += 1;
      const s = chart.addSeries(LWC.LineSeries, Object.assign({ lineWidth: 1, priceLineVisible: false, lastValueVisible: false }, opts));
      s.setData(points(c.t, values));
      return s;
    }
    const band = { color: "#cbd5e1", lineStyle: LWC.LineStyle.Dashed };
    if (c.random_p5 && c.random_p5.some(function (v) { return v !== null; })) {
      line(c.random_p95, Object.assign({ title: "random 95%" }, band));
      line(c.random_p5, Object.assign({ title: "random 5%" }, band));
      line(c.random_mean, { color: "#64748b", lineStyle: LWC.LineStyle.Dotted, title: "random mean" });
    }
    line(c.buy_and_hold, { color: "#94a3b8", title: "buy & hold" });
    c.agents.forEach(function (a, k) {
      line(a.equity, { color: AGENT_COLORS[k % AGENT_COLORS.length], title: a.name + " alone" });
    });
    const desk = line(c.desk, { color: "#2563eb", lineWidth: 2, title: "desk", lastValueVisible: true });
    chart.timeScale().fitContent();
    TS.autoResize(chart, el);
    el.dataset.series = String(series);
    el.dataset.drawn = String(desk.data().length);
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
