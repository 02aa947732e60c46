/* Candlestick + volume charts drawn with the vendored TradingView lightweight-charts.
 * Any element with data-candles-chart (data-candles-url, data-symbol, data-interval, data-limit)
 * becomes a chart. The pages render every API URL with {% url %}: no path is written here.
 * TS.fetchJSON and TS.candleChart are shared by the other pages' scripts. */
(function () {
  "use strict";
  const LWC = window.LightweightCharts;
  const TS = (window.TS = window.TS || {});

  TS.csrfToken = function () {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  };

  TS.fetchJSON = async function (url, options) {
    const opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    opts.headers = Object.assign({ Accept: "application/json" }, opts.headers);
    if (opts.method && opts.method !== "GET") opts.headers["X-CSRFToken"] = TS.csrfToken();
    const res = await fetch(url, opts);
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      const err = new Error((body && (body.detail || JSON.stringify(body))) || res.statusText);
      err.status = res.status; err.body = body;
      throw err;
    }
    return body;
  };

  TS.chartOptions = function (el) {
    return {
      width: el.clientWidth,
      height: el.clientHeight || 360,
      // The library's own attribution logo injects an inline <style>, which the CSP forbids;
      // the attribution it asks for is in the page footer instead (templates/base.html).
      layout: { background: { color: "#ffffff" }, textColor: "#1f2937", attributionLogo: false },
      grid: { vertLines: { color: "#f1f5f9" }, horzLines: { color: "#f1f5f9" } },
      timeScale: { timeVisible: true, secondsVisible: false },
      rightPriceScale: { borderVisible: false },
    };
  };

  TS.toCandles = function (d) {
    const out = new Array(d.time_epoch_s.length);
    for (let i = 0; i < d.time_epoch_s.length; i++) {
      out[i] = { time: d.time_epoch_s[i], open: d.o[i], high: d.h[i], low: d.l[i], close: d.c[i] };
    }
    return out;
  };

  TS.toVolume = function (d) {
    const out = new Array(d.time_epoch_s.length);
    for (let i = 0; i < d.time_epoch_s.length; i++) {
      out[i] = { time: d.time_epoch_s[i], value: d.v[i], color: d.c[i] >= d.o[i] ? "rgba(22,163,74,0.45)" : "rgba(220,38,38,0.45)" };
    }
    return out;
  };

  TS.autoResize = function (chart, el) {
    if (!window.ResizeObserver) return;
    new ResizeObserver(function () { chart.applyOptions({ width: el.clientWidth }); }).observe(el);
  };

  /* Draw candles (and volume) for data already fetched; returns {chart, candles, volume}. */
  TS.candleChart = function (el, data, options) {
    const chart = LWC.createChart(el, TS.chartOptions(el));
    const candles = chart.addSeries(LWC.CandlestickSeries, {
      upColor: "#16a34a", downColor: "#dc2626", borderVisible: false,
      wickUpColor: "#16a34a", wickDownColor: "#dc2626",
    });
    candles.setData(TS.toCandles(data));
    let volume = null;
    if (!options || options.volume !== false) {
      volume = chart.addSeries(LWC.HistogramSeries, { priceFormat: { type: "volume" }, priceScaleId: "" });
      volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
      candles.priceScale().applyOptions({ scaleMargins: { top: 0.05, bottom: 0.25 } });
      volume.setData(TS.toVolume(data));
    }
    chart.timeScale().fitContent();
    TS.autoResize(chart, el);
    el.dataset.drawn = String(data.time_epoch_s.length);
    return { chart: chart, candles: candles, volume: volume };
  };

  TS.showError = function (el, message) {
    el.textContent = "";
    const p = document.createElement("p");
    p.className = "chart-error";
    p.textContent = message;
    el.appendChild(p);
  };

  async function drawFromApi(el) {
    const params = new URLSearchParams({ symbol: el.dataset.symbol, interval: el.dataset.interval, limit: el.dataset.limit || "1000" });
    try {
      const data = await TS.fetchJSON(el.dataset.candlesUrl + "?" + params.toString());
      if (!data.time_epoch_s.length) { TS.showError(el, "No candles for this symbol and interval."); return; }
      TS.candleChart(el, data);
    } catch (e) {
      TS.showError(el, "Could not load candles: " + e.message);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-candles-chart]").forEach(drawFromApi);
  });
})();
