/* The sweep page: colour the heatmap's cells from red (worst) to green (best) — the best is
 * the lowest when #heatmap has data-lower-better (a metric like max drawdown) — and make a
 * results row open its combination's full result when clicked (its "Open" form). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    const heatmap = document.getElementById("heatmap");
    const lowerBetter = heatmap !== null && heatmap.hasAttribute("data-lower-better");
    const cells = Array.from(document.querySelectorAll("#heatmap td[data-heat]")).filter(function (td) { return td.dataset.heat !== ""; });
    const values = cells.map(function (td) { return parseFloat(td.dataset.heat); });
    if (values.length) {
      const lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
      cells.forEach(function (td, i) {
        const up = hi > lo ? (values[i] - lo) / (hi - lo) : 0.5;
        const t = lowerBetter ? 1 - up : up;
        const hue = Math.round(t * 120);
        td.style.background = "hsl(" + hue + ", 70%, 85%)";
      });
    }
    document.querySelectorAll("#sweep-results tbody tr[data-combo]").forEach(function (tr) {
      const open = tr.querySelector("form[data-row-open]");
      if (!open) return;
      tr.classList.add("clickable");
      tr.addEventListener("click", function (e) {
        if (e.target.closest("button, a, form, input")) return;
        open.requestSubmit();
      });
    });
  });
})();
