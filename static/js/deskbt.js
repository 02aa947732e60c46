/* The desk backtest result page: the desk's equity beside each agent alone, the
 * equal-weight buy & hold and the random-selection baseline (mean, 5% and 95% lines), all
 * drawn by the site's equity chart (Charts.equity: % from each curve's start, one point
 * per second, the crosshair readout). Data: the "desk-curves" json_script
 * ({t: [epoch ms], desk, buy_and_hold, agents: [{name, equity}], random_mean, random_p5, random_p95}). */
(function () {
  "use strict";
  const AGENT_COLORS = ["#16a34a", "#d97706", "#9333ea", "#0891b2", "#db2777", "#65a30d", "#b45309"];

  function draw() {
    const holder = document.getElementById("desk-curves");
    const el = document.getElementById("desk-equity-chart");
    const LWC = window.LightweightCharts;
    if (!holder || !el || !LWC || !window.Charts) return;
    const c = JSON.parse(holder.textContent);
    if (!c || !c.t || !c.t.length) { TS.showError(el, "No equity points to draw."); return; }
    const times = c.t.map(function (t) { return Math.floor(t / 1000); });
    const curve = function (name, values, opts) {
      return Object.assign({ name: name, time_epoch_s: times, v: values, width: 1 }, opts);
    };
    // The desk first: data-drawn counts its points.
    const series = [curve("desk", c.desk, { color: "#2563eb", width: 2 })];
    c.agents.forEach(function (a, k) {
      series.push(curve(a.name + " alone", a.equity, { color: AGENT_COLORS[k % AGENT_COLORS.length] }));
    });
    series.push(curve("buy & hold", c.buy_and_hold, { color: "#94a3b8" }));
    if (c.random_p5 && c.random_p5.some(function (v) { return v !== null; })) {
      series.push(curve("random mean", c.random_mean, { color: "#64748b", lineStyle: LWC.LineStyle.Dotted }));
      series.push(curve("random 95%", c.random_p95, { color: "#cbd5e1", lineStyle: LWC.LineStyle.Dashed }));
      series.push(curve("random 5%", c.random_p5, { color: "#cbd5e1", lineStyle: LWC.LineStyle.Dashed }));
    }
    window.Charts.equity(el, series);
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
