/* The sweep form: list the chosen strategy's parameters with suggested values, and keep
 * the grid on the strategy's default grid until the user edits it. "Use" puts one
 * parameter's values into the grid. Data: the "sweep-offers" json_script
 * ({strategy id: {params: [{key, value, values}], grid: {key: values}}}). */
(function () {
  "use strict";

  function setup() {
    const holder = document.getElementById("sweep-offers");
    const select = document.getElementById("id_strategy");
    const grid = document.getElementById("id_grid");
    const table = document.getElementById("sweep-param-table");
    if (!holder || !select || !grid || !table) return;
    const offers = JSON.parse(holder.textContent);
    const empty = document.querySelector("[data-params-empty]");
    // The grid follows the strategy until the user types in it (or it came back with errors).
    let edited = grid.value.trim() !== "" && !Object.values(offers).some(function (o) {
      return sameGrid(o.grid, grid.value);
    });
    grid.addEventListener("input", function () { edited = true; });

    function sameGrid(a, text) {
      try { return JSON.stringify(a) === JSON.stringify(JSON.parse(text)); } catch (e) { return false; }
    }

    function useParam(p) {
      let current = {};
      try { current = JSON.parse(grid.value || "{}"); } catch (e) { current = {}; }
      if (!current || typeof current !== "object" || Array.isArray(current)) current = {};
      current[p.key] = p.values;
      grid.value = JSON.stringify(current);
      edited = true;
    }

    function render() {
      const offer = offers[select.value] || { params: [], grid: {} };
      const body = table.tBodies[0];
      body.replaceChildren();
      offer.params.forEach(function (p) {
        const tr = document.createElement("tr");
        const key = document.createElement("td");
        const code = document.createElement("code");
        code.textContent = p.key;
        key.appendChild(code);
        const value = document.createElement("td");
        value.className = "num";
        value.textContent = String(p.value);
        const values = document.createElement("td");
        values.textContent = p.values.join(", ");
        const act = document.createElement("td");
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = "Use";
        button.dataset.param = p.key;
        button.addEventListener("click", function () { useParam(p); });
        act.appendChild(button);
        tr.append(key, value, values, act);
        body.appendChild(tr);
      });
      if (empty) empty.hidden = offer.params.length > 0;
      table.hidden = offer.params.length === 0;
      if (!edited) grid.value = Object.keys(offer.grid).length ? JSON.stringify(offer.grid) : "";
    }

    select.addEventListener("change", render);
    render();
  }
  document.addEventListener("DOMContentLoaded", setup);
})();
