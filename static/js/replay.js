/* A replay session's page: polls the live endpoint (only the equity points not drawn
 * yet), updates the clock, status, positions, fills and decisions, and moves the equity
 * curve; the control buttons post to the API without reloading the page. */
(function () {
  "use strict";
  const LIVE = ["ready", "running", "paused"];

  function cell(row, text, cls) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "-" : String(text);
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  function fixed(x, n) { return x === null || x === undefined ? "-" : Number(x).toFixed(n); }
  function when(iso) { return iso ? iso.replace("T", " ").replace(":00Z", "") : "-"; }

  function fill(tbody, items, render, empty, cols) {
    tbody.textContent = "";
    if (!items.length) {
      const tr = document.createElement("tr");
      cell(tr, empty, "muted").colSpan = cols;
      tbody.appendChild(tr);
      return;
    }
    items.forEach(function (item) {
      const tr = document.createElement("tr");
      render(tr, item);
      tbody.appendChild(tr);
    });
  }

  function reasons(list) {
    return (list || []).filter(function (r) { return r.condition; }).map(function (r) {
      return (r.fired ? "✓ " : "· ") + r.condition + (r.value === null ? "" : " (" + fixed(r.value, 2) + ")");
    }).join("; ");
  }

  document.addEventListener("DOMContentLoaded", function () {
    const box = document.getElementById("replay");
    if (!box) return;
    const url = box.dataset.liveUrl;
    const el = document.getElementById("equity-chart");
    const chart = LightweightCharts.createChart(el, TS.chartOptions(el));
    const line = chart.addSeries(LightweightCharts.LineSeries, { color: "#2563eb", lineWidth: 2 });
    TS.autoResize(chart, el);
    let lastSeq = -1;
    let lastTime = null;
    let timer = null;

    function draw(data) {
      document.getElementById("status").textContent = data.status;
      document.getElementById("clock").textContent = data.clock ? when(data.clock) : "not started";
      document.getElementById("progress").textContent = data.steps_done + " / " + data.times_total;
      document.getElementById("equity").textContent = fixed(data.equity, 2);
      document.getElementById("return").textContent = fixed(data.return_pct, 2) + "%";
      document.getElementById("note").textContent = data.note || "";
      data.curve.forEach(function (p) {
        const t = p.time_epoch_s;
        if (lastTime !== null && t <= lastTime) return;
        line.update({ time: t, value: p.equity });
        lastTime = t;
        lastSeq = p.seq;
      });
      if (data.curve.length) chart.timeScale().fitContent();
      el.dataset.drawn = String(lastSeq + 1);
      fill(document.querySelector("#positions tbody"), data.positions, function (tr, p) {
        cell(tr, p.symbol); cell(tr, p.agent); cell(tr, p.quantity, "num"); cell(tr, fixed(p.avg_price, 2), "num");
        cell(tr, fixed(p.mark, 2), "num");
        cell(tr, fixed(p.unrealized_pct, 2), "num " + (p.unrealized_pct >= 0 ? "pos" : "neg"));
        cell(tr, when(p.opened_at));
      }, "No open positions.", 7);
      fill(document.querySelector("#fills tbody"), data.fills, function (tr, f) {
        cell(tr, when(f.market_time)); cell(tr, when(f.decided_at)); cell(tr, f.agent); cell(tr, f.action);
        cell(tr, f.quantity, "num"); cell(tr, fixed(f.price, 2), "num"); cell(tr, fixed(f.fee, 4), "num");
      }, "No fills yet.", 7);
      fill(document.querySelector("#decisions tbody"), data.decisions, function (tr, d) {
        cell(tr, when(d.market_time)); cell(tr, d.agent); cell(tr, d.action);
        cell(tr, fixed(d.confidence, 3), "num"); cell(tr, fixed(d.win_rate, 3), "num");
        cell(tr, fixed(d.score, 3), "num"); cell(tr, d.rank || "-", "num");
        cell(tr, d.status, d.taken ? "pos" : "");
        cell(tr, d.fill_text ? d.fill_text + (d.fill_at ? " " + when(d.fill_at) : "") + (d.fill_note ? ": " + d.fill_note : "") : "-");
        cell(tr, reasons(d.reasons), "wrap");
      }, "No decisions yet: start or step the clock.", 10);
      document.querySelectorAll("#controls button[data-action]").forEach(function (b) {
        const a = b.dataset.action;
        const ok = (a === "start" || a === "resume") ? (data.status === "ready" || data.status === "paused")
          : a === "pause" ? data.status === "running" : LIVE.indexOf(data.status) >= 0;
        b.disabled = !ok;
      });
    }

    async function poll() {
      clearTimeout(timer);
      try {
        const data = await TS.fetchJSON(url + "?since=" + lastSeq);
        draw(data);
        if (LIVE.indexOf(data.status) >= 0) {
          timer = setTimeout(poll, Math.max(1000, Math.min(5000, data.step_seconds * 1000)));
        }
      } catch (e) {
        // Said beside the chart, never in its place: the chart keeps its drawn points
        // and goes on from them at the next poll.
        document.getElementById("note").textContent = "Could not refresh: " + e.message;
        timer = setTimeout(poll, 5000);
      }
    }

    document.querySelectorAll("#controls form[data-api]").forEach(function (form) {
      form.addEventListener("submit", async function (ev) {
        ev.preventDefault();
        try {
          await TS.fetchJSON(form.dataset.api, { method: "POST" });
        } catch (e) {
          document.getElementById("note").textContent = (e.body && e.body.action) ? e.body.action.join(" ") : e.message;
        }
        poll();
      });
    });

    draw(JSON.parse(document.getElementById("replay-data").textContent));
    poll();
  });
})();
