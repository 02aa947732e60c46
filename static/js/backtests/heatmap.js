/* Colour the sweep heatmap's cells from red (worst) to green (best). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    const cells = Array.from(document.querySelectorAll("#heatmap td[data-heat]")).filter(function (td) { return td.dataset.heat !== ""; });
    const values = cells.map(function (td) { return parseFloat(td.dataset.heat); });
    if (!values.length) return;
    const lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    cells.forEach(function (td, i) {
      const t = hi > lo ? (values[i] - lo) / (hi - lo) : 0.5;
      const hue = Math.round(t * 120);
      td.style.background = "hsl(" + hue + ", 70%, 85%)";
    });
  });
})();
