/* A replay session's page: polls the live endpoint (only the equity points not drawn
 * yet), updates the clock, status, positions, fills and decisions, and moves the equity
 * curve; the control buttons post to the API without reloading the page. */
(function () {
  "use strict";
  const LIVE = ["ready", "running", "paused"];

  const F = TS.fmt;

  function cell(row, text, cls) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined || text === "" ? F.DASH : String(text);
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  const when = F.when;
  // Each symbol's price decimals, from the page (the server reads them from the candles).
  const precisionEl = document.getElementById("replay-precision");
  const PRECISION = precisionEl ? JSON.parse(precisionEl.textContent) : {};
  const price = (x, symbol) => F.price(x, PRECISION[symbol]);

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
      return (r.fired ? "✓ " : "· ") + r.condition + (r.value === null ? "" : " (" + F.num(r.value, 2) + ")");
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
      document.getElementById("progress").textContent = F.num(data.steps_done, 0) + " / " + F.num(data.times_total, 0);
      document.getElementById("equity").textContent = F.num(data.equity, 2);
      document.getElementById("return").textContent = F.pct(data.return_pct, 2, true);
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
        cell(tr, p.symbol); cell(tr, p.agent); cell(tr, F.qty(p.quantity), "num"); cell(tr, price(p.avg_price, p.symbol), "num");
        cell(tr, price(p.mark, p.symbol), "num");
        cell(tr, F.pct(p.unrealized_pct, 2, true), "num " + F.sign(p.unrealized_pct));
        cell(tr, when(p.opened_at));
      }, "No open positions.", 7);
      fill(document.querySelector("#fills tbody"), data.fills, function (tr, f) {
        cell(tr, when(f.market_time)); cell(tr, when(f.decided_at)); cell(tr, f.agent); cell(tr, f.action);
        cell(tr, F.qty(f.quantity), "num"); cell(tr, price(f.price, f.symbol), "num"); cell(tr, F.num(f.fee, 2), "num");
      }, "No fills yet.", 7);
      fill(document.querySelector("#decisions tbody"), data.decisions, function (tr, d) {
        cell(tr, when(d.market_time)); cell(tr, d.agent); cell(tr, d.action);
        cell(tr, F.ratioPct(d.confidence), "num"); cell(tr, F.ratioPct(d.win_rate), "num");
        cell(tr, F.num(d.score, 3), "num"); cell(tr, d.rank || F.DASH, "num");
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
