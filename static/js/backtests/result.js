/* The backtest result page: candles with entry/exit markers, equity vs buy & hold, drawdown.
 * The API URLs come from #price-chart's data-candles-url, data-trades-url, data-equity-url. */
(function () {
  "use strict";
  const LWC = window.LightweightCharts;

  async function allTrades(first) {
    let url = first + "?page_size=500", out = [];
    while (url && out.length < 5000) {
      const page = await TS.fetchJSON(url);
      out = out.concat(page.results);
      url = page.next;
    }
    return out;
  }

  async function draw() {
    const holder = document.getElementById("run-data");
    if (!holder) return;
    const info = JSON.parse(holder.textContent);
    const priceEl = document.getElementById("price-chart");
    const params = new URLSearchParams({ symbol: info.symbol, interval: info.interval, limit: "5000" });
    if (info.start) params.set("start", info.start);
    if (info.end) params.set("end", info.end);
    try {
      const [candles, trades, equity] = await Promise.all([
        TS.fetchJSON(priceEl.dataset.candlesUrl + "?" + params.toString()),
        allTrades(priceEl.dataset.tradesUrl),
        TS.fetchJSON(priceEl.dataset.equityUrl),
      ]);
      const price = TS.candleChart(priceEl, candles);
      const first = candles.time_epoch_s.length ? candles.time_epoch_s[0] : 0;
      const markers = [];
      trades.forEach(function (t) {
        const entry = Date.parse(t.entry_time) / 1000, exit = Date.parse(t.exit_time) / 1000;
        const long = t.side === "long";
        if (entry >= first) markers.push({ time: entry, position: long ? "belowBar" : "aboveBar", color: long ? "#16a34a" : "#dc2626", shape: long ? "arrowUp" : "arrowDown", text: long ? "buy" : "short" });
        if (exit >= first) markers.push({ time: exit, position: long ? "aboveBar" : "belowBar", color: "#1f2937", shape: long ? "arrowDown" : "arrowUp", text: t.exit_reason === "signal" ? "exit" : t.exit_reason.replace("_", " ") });
      });
      markers.sort(function (a, b) { return a.time - b.time; });
      LWC.createSeriesMarkers(price.candles, markers);
      priceEl.dataset.markers = String(markers.length);

      const eqEl = document.getElementById("equity-chart");
      const eqChart = LWC.createChart(eqEl, TS.chartOptions(eqEl));
      const eq = eqChart.addSeries(LWC.LineSeries, { color: "#2563eb", lineWidth: 2, title: "strategy" });
      const bh = eqChart.addSeries(LWC.LineSeries, { color: "#94a3b8", lineWidth: 1, title: "buy & hold" });
      const seen = new Set(), eqData = [], bhData = [], ddData = [];
      let peak = -Infinity;
      equity.points.forEach(function (p) {
        const t = p[0];  // epoch seconds
        if (seen.has(t)) return;
        seen.add(t);
        eqData.push({ time: t, value: p[1] });
        if (p[2] !== null) bhData.push({ time: t, value: p[2] });
        peak = Math.max(peak, p[1]);
        ddData.push({ time: t, value: (p[1] / peak - 1) * 100 });
      });
      eq.setData(eqData); bh.setData(bhData);
      eqChart.timeScale().fitContent(); TS.autoResize(eqChart, eqEl);
      eqEl.dataset.drawn = String(eqData.length);

      const ddEl = document.getElementById("drawdown-chart");
      const ddChart = LWC.createChart(ddEl, TS.chartOptions(ddEl));
      const dd = ddChart.addSeries(LWC.AreaSeries, { lineColor: "#dc2626", topColor: "rgba(220,38,38,0.05)", bottomColor: "rgba(220,38,38,0.4)", lineWidth: 1 });
      dd.setData(ddData);
      ddChart.timeScale().fitContent(); TS.autoResize(ddChart, ddEl);
      ddEl.dataset.drawn = String(ddData.length);
    } catch (e) {
      TS.showError(priceEl, "Could not draw the charts: " + e.message);
    }
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
