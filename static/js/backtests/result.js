/* The backtest result page: the run's whole window in one chart (Charts.result): price with
 * the strategy's indicators and trades, equity vs buy & hold, drawdown, on one time axis.
 * The chart API's URL is #price-chart's data-chart-url; the % / log buttons sit in
 * #equity-mode. A performance mark "chart-drawn" times the first chart. */
(function () {
  "use strict";

  async function draw() {
    const el = document.getElementById("price-chart");
    if (!el) return;
    try {
      const data = await TS.fetchJSON(el.dataset.chartUrl);
      if (!data.candles.time_epoch_s.length) { TS.showError(el, "The candles of this run are no longer stored."); return; }
      Charts.result(el, data, { controls: document.getElementById("equity-mode") });
      performance.mark("chart-drawn");
      // The first frame painted with the chart in it.
      requestAnimationFrame(function () { performance.mark("chart-painted"); el.dataset.painted = "1"; });
    } catch (e) {
      TS.showError(el, "Could not draw the chart: " + e.message);
    }
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
