/* The strategy JSON editor: line numbers, and the engine's field-path errors shown next to
 * the lines they name, checked as you type by a POST to the editor's data-validate-url.
 * The server validates again on save; this only makes the errors visible sooner. */
(function () {
  "use strict";

  /* Map every JSON path ("entry_conditions[1].condition") to the line where it starts. */
  function pathLines(text) {
    const lines = {};
    let i = 0, line = 1;
    function ws() {
      while (i < text.length && /\s/.test(text[i])) { if (text[i] === "\n") line++; i++; }
    }
    function str() {
      let out = ""; i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\") { out += text[i + 1] || ""; i += 2; continue; }
        if (text[i] === "\n") line++;
        out += text[i++];
      }
      i++; return out;
    }
    function value(path) {
      ws();
      if (path && !(path in lines)) lines[path] = line;
      const c = text[i];
      if (c === "{") {
        i++; ws();
        while (i < text.length && text[i] !== "}") {
          ws(); if (text[i] !== '"') return;
          const keyLine = line; const key = str(); ws();
          if (text[i] !== ":") return; i++;
          const p = path ? path + "." + key : key;
          lines[p] = keyLine;
          value(p); ws();
          if (text[i] === ",") i++; ws();
        }
        i++;
      } else if (c === "[") {
        i++; ws(); let n = 0;
        while (i < text.length && text[i] !== "]") {
          value(path + "[" + n + "]"); n++; ws();
          if (text[i] === ",") i++; ws();
        }
        i++;
      } else if (c === '"') { str(); }
      else { while (i < text.length && !/[,\]}\s]/.test(text[i])) i++; }
    }
    try { value(""); } catch (e) { /* a partial map is still useful */ }
    return lines;
  }

  function lineOf(map, path) {
    let p = path;
    while (p) {
      if (p in map) return map[p];
      const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
      if (cut <= 0) break;
      p = p.slice(0, cut);
    }
    return null;
  }

  document.addEventListener("DOMContentLoaded", function () {
    const box = document.querySelector("[data-strategy-editor]");
    if (!box) return;
    const area = box.querySelector("textarea");
    const gutter = box.querySelector(".gutter");
    const errors = document.getElementById("strategy-errors");
    const ok = document.getElementById("strategy-ok");
    const timeframe = document.getElementById("id_timeframe");
    let bad = new Set(), timer = null, seq = 0;

    function drawGutter() {
      const n = area.value.split("\n").length;
      const parts = [];
      for (let k = 1; k <= n; k++) parts.push(bad.has(k) ? '<span class="bad">' + k + "</span>" : String(k));
      gutter.innerHTML = parts.join("\n");
      gutter.scrollTop = area.scrollTop;
    }

    function show(list) {
      const ul = errors.querySelector("ul");
      ul.textContent = "";
      list.forEach(function (item) {
        const li = document.createElement("li");
        li.className = "field-error";
        li.textContent = (item.line ? "line " + item.line + " · " : "") + item.text;
        ul.appendChild(li);
      });
      errors.classList.toggle("hidden", list.length === 0);
    }

    async function validate() {
      const mine = ++seq;
      let parsed;
      try { parsed = JSON.parse(area.value); }
      catch (e) { bad = new Set(); drawGutter(); ok.classList.add("hidden"); show([{ text: "not valid JSON: " + e.message }]); return; }
      const body = { strategy_json: parsed };
      if (timeframe && timeframe.value) body.timeframe = timeframe.value;
      try {
        const res = await TS.fetchJSON(box.dataset.validateUrl, {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
        });
        if (mine !== seq) return;
        bad = new Set(); drawGutter(); show([]);
        ok.textContent = "Valid. Indicators: " + (res.indicators_used.join(", ") || "none");
        ok.classList.remove("hidden");
      } catch (e) {
        if (mine !== seq) return;
        ok.classList.add("hidden");
        const map = pathLines(area.value);
        const items = [];
        bad = new Set();
        const fields = (e.body && typeof e.body === "object") ? e.body : { strategy_json: [e.message] };
        Object.keys(fields).forEach(function (field) {
          [].concat(fields[field]).forEach(function (msg) {
            const m = /^([A-Za-z0-9_.\[\]]+): (.*)$/.exec(String(msg));
            const path = m ? m[1] : (field === "strategy_json" ? "" : field);
            const line = path ? lineOf(map, path) : null;
            if (line) bad.add(line);
            items.push({ line: line, text: m ? m[1] + ": " + m[2] : (field === "strategy_json" ? msg : field + ": " + msg) });
          });
        });
        drawGutter(); show(items);
      }
    }

    area.addEventListener("input", function () { drawGutter(); clearTimeout(timer); timer = setTimeout(validate, 350); });
    area.addEventListener("scroll", function () { gutter.scrollTop = area.scrollTop; });
    if (timeframe) timeframe.addEventListener("change", validate);
    drawGutter();
    if (errors.classList.contains("hidden")) validate();
    else {
      // Server-side errors after a submit: mark their lines too.
      const map = pathLines(area.value);
      errors.querySelectorAll("li").forEach(function (li) {
        const m = /^([A-Za-z0-9_.\[\]]+): /.exec(li.textContent);
        const line = m ? lineOf(map, m[1]) : null;
        if (line) { bad.add(line); li.textContent = "line " + line + " · " + li.textContent; }
      });
      drawGutter();
    }
  });
})();
