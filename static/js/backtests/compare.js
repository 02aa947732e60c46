/* The comparison page: each run's equity in % from its start, overlaid on one chart by the
 * site's chart component (Charts.equity, static/js/charts.js), with the % / log toggle and
 * the crosshair readout. The data is the page's #compare-data json_script:
 * [{id, points: [[epoch seconds, pct], ...]}, ...]; colours match the legend's swatches. */
(function () {
  "use strict";
  const COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2"];

  function draw() {
    const holder = document.getElementById("compare-data");
    const el = document.getElementById("compare-chart");
    if (!holder || !el || !window.Charts) return;
    const runs = JSON.parse(holder.textContent);
    // Each run as an index from 100 at its start, so the component's % basis is exact.
    const series = runs.map(function (run, i) {
      return {
        name: "#" + run.id,
        color: COLOURS[i % COLOURS.length],
        time_epoch_s: run.points.map(function (p) { return p[0]; }),
        v: run.points.map(function (p) { return 100 + p[1]; }),
        base: 100,
        width: 2,
      };
    }).filter(function (s) { return s.time_epoch_s.length; });
    window.Charts.equity(el, series, { controls: document.getElementById("compare-modes") });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
