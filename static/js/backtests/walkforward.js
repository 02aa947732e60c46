/* The walk-forward page's stitched out-of-sample equity: each window's out-of-sample
 * curve, chained (a window starts from the balance the previous one ended with), drawn by
 * the site's equity chart (Charts.equity: % from the start, one point per second, the
 * crosshair readout) with a marker where each window begins. Data: the "walk-forward-data"
 * json_script ({points: [[epoch ms, equity], ...], windows: [{window, out_of_sample_window: [iso, iso]}]}). */
(function () {
  "use strict";

  function draw() {
    const holder = document.getElementById("walk-forward-data");
    const el = document.getElementById("walk-forward-equity");
    const LWC = window.LightweightCharts;
    if (!holder || !el || !LWC || !window.Charts) return;
    const data = JSON.parse(holder.textContent);
    const points = data.points.filter(function (p) { return p[1] !== null; });
    if (!points.length) {
      TS.showError(el, "No out-of-sample window produced an equity curve.");
      return;
    }
    const h = window.Charts.equity(el, [{
      name: "out-of-sample equity",
      color: "#2563eb",
      time_epoch_s: points.map(function (p) { return Math.floor(p[0] / 1000); }),
      v: points.map(function (p) { return p[1]; }),
    }]);
    const line = h.lines[0];
    const markers = [];
    data.windows.forEach(function (w) {
      if (!w.out_of_sample_window) return;
      const t = Math.floor(Date.parse(w.out_of_sample_window[0]) / 1000);
      const at = line.times.find(function (time) { return time >= t; });
      if (at !== undefined) markers.push({ time: at, position: "aboveBar", color: "#64748b", shape: "arrowDown", text: "W" + w.window });
    });
    if (markers.length && LWC.createSeriesMarkers) LWC.createSeriesMarkers(line.series, markers);
    el.dataset.windows = String(markers.length);
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
