/* The site's chart component, on the vendored TradingView lightweight-charts (v5: panes,
 * series markers, primitives). The candle, backtest-result, comparison and walk-forward
 * charts and the desk backtest curves are drawn by it; the portfolio value (pnl.js) and
 * the live replay equity (replay.js) still call LightweightCharts directly with
 * TS.chartOptions/TS.autoResize. The component:
 *
 *   Charts.price(el, candles, {indicators, levels})  candlesticks + volume (+ the strategy's
 *       indicators: overlays on the price, each oscillator in a pane of its own below) with
 *       an OHLCV readout that follows the crosshair. `candles` is the candles API's payload:
 *       {time_epoch_s: [epoch seconds], o, h, l, c, v, precision}. Prices show `precision` decimals.
 *   Charts.result(el, chartPayload, {controls})  a backtest: Charts.price plus trade
 *       markers (small arrows, details in the readout), entry-exit segments coloured by
 *       result, and equity (vs buy & hold) and drawdown panes on the same time axis.
 *   Charts.equity(el, series, {mode, controls})  equity curves on one basis: each series
 *       {name, time_epoch_s: [epoch seconds], v: [money], base?, color?, width?, lineStyle?}
 *       (lineStyle: LightweightCharts.LineStyle, e.g. a dashed band) is drawn as % from its start
 *       (base: its first value unless given); mode "pct" (linear) or "log" (log scale).
 *       `controls`: an element holding buttons with data-equity-mode="pct|log".
 *   Each returns a handle {chart, ...} (also Charts.instances.get(el)); the element gets
 *   data-drawn (candles or points given). A price handle's zoom(fromSec, toSec) shows a
 *   time window; zoomed out, a long series is drawn at a coarse level (data-level = real
 *   bars per drawn bar) and zooming in brings the real bars back (see "Levels of detail").
 * Any element with data-candles-chart (data-candles-url, data-symbol, data-interval,
 * data-limit) is drawn from the candles API on load; pages render every URL with {% url %}.
 * TS.fetchJSON, TS.chartOptions, TS.autoResize and TS.showError serve the other pages.
 * Numbers and dates read as the server renders them: TS.fmt (format.js, which base.html
 * loads before any page's scripts). */
(function () {
  "use strict";
  const LWC = window.LightweightCharts;
  const TS = (window.TS = window.TS || {});
  const UP = "#16a34a", DOWN = "#dc2626", INK = "#1f2937";
  const F = TS.fmt; // format.js: the site's one way to write a number, a % or a date
  const num = F.num, when = F.when;
  const signedPct = function (x, places) { return F.pct(x, places, true); };
  const PALETTE = ["#2563eb", "#d97706", "#9333ea", "#0891b2", "#db2777", "#65a30d", "#b45309"];

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
      layout: { background: { color: "#ffffff" }, textColor: INK, attributionLogo: false,
        panes: { separatorColor: "#e2e8f0", enableResize: true } },
      grid: { vertLines: { color: "#f1f5f9" }, horzLines: { color: "#f1f5f9" } },
      // Zoomed all the way out, a long run's every bar still fits the width.
      timeScale: { timeVisible: true, secondsVisible: false, minBarSpacing: 0.001 },
      rightPriceScale: { borderVisible: false },
      localization: { timeFormatter: function (t) { return when(t).replace(" UTC", ""); } },
    };
  };

  TS.autoResize = function (chart, el) {
    if (!window.ResizeObserver) return;
    new ResizeObserver(function () { chart.applyOptions({ width: el.clientWidth }); }).observe(el);
  };

  TS.showError = function (el, message) {
    el.textContent = "";
    const p = document.createElement("p");
    p.className = "chart-error";
    p.textContent = message;
    el.appendChild(p);
  };

  /* ------------------------------------------------------------------ formats */

  function priceFormat(precision) {
    const p = Math.max(0, Math.min(precision === undefined || precision === null ? 2 : precision, 12));
    return { type: "price", precision: p, minMove: Number(Math.pow(10, -p).toFixed(p)) };
  }

  function compact(x) {
    if (x === null || x === undefined || !isFinite(x)) return F.DASH;
    const a = Math.abs(x);
    if (a >= 1e9) return num(x / 1e9, 2) + "B";
    if (a >= 1e6) return num(x / 1e6, 2) + "M";
    if (a >= 1e3) return num(x / 1e3, 2) + "K";
    return num(x, a >= 1 || a === 0 ? 2 : 4);
  }

  /* Enough significant digits for an indicator's value (MACD of ETHBTC is ~0.00001). */
  function sig(x) {
    if (x === null || x === undefined || !isFinite(x)) return F.DASH;
    const a = Math.abs(x);
    const digits = a === 0 ? 2 : Math.max(2, Math.min(10, 4 - Math.floor(Math.log10(a))));
    return num(x, digits);
  }

  const percentFormat = { type: "custom", minMove: 0.01, formatter: function (x) { return signedPct(x); } };
  // Equity is drawn indexed to 100 at its start (100 = the start, 150 = +50%), so the log
  // scale and the linear one share the data and the labels read as % either way.
  const indexedFormat = { type: "custom", minMove: 0.01, formatter: function (x) { return signedPct(x - 100, 1); } };

  /* Index of the last element of a sorted array <= x (-1 if none). */
  function floorIndex(arr, x) {
    let lo = 0, hi = arr.length - 1, ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid] <= x) { ans = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return ans;
  }

  function lineData(times, values) {
    const out = [];
    for (let i = 0; i < times.length; i++) {
      const v = values[i];
      if (v !== null && v !== undefined) out.push({ time: times[i], value: v });
    }
    return out;
  }

  /* ------------------------------------------------------------------ readout */

  function readoutBox(el) {
    let box = el.previousElementSibling;
    if (!box || !box.classList.contains("chart-readout")) {
      box = document.createElement("div");
      box.className = "chart-readout";
      el.parentNode.insertBefore(box, el);
    }
    return box;
  }

  /* The readout only ever grows: were it to shrink and grow with what a bar shows, the
   * chart below it would jump under the pointer. */
  function steady(box) {
    const height = box.offsetHeight;
    if (height > (parseFloat(box.style.minHeight) || 0)) box.style.minHeight = height + "px";
  }

  function item(box, label, value, cls) {
    const span = document.createElement("span");
    if (cls) span.className = cls;
    span.dataset.key = label || cls.split(" ")[0];
    if (label) {
      const b = document.createElement("b");
      b.textContent = label;
      span.appendChild(b);
      span.appendChild(document.createTextNode(" "));
    }
    if (value) {
      const v = document.createElement("span");
      v.className = "v";
      v.textContent = value;
      span.appendChild(v);
    }
    box.appendChild(span);
    return span;
  }

  /* ------------------------------------------------------------------ price */

  function seriesOptions(extra) {
    return Object.assign({ lineWidth: 1, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false }, extra);
  }

  /* Levels of detail. Drawing is the library's cost per bar in view: 100,000 bars in
   * view take it over a second a frame. So a long series also gets a coarse level, each
   * bar the OHLCV of `f` consecutive bars (indicator lines at the group's last bar), drawn
   * while more than ~4 bars share a pixel; zooming in past ~2 a pixel swaps the real bars
   * back in, keeping the same time window. The readout says how many bars a coarse one
   * holds. */
  function fullLevel(d, times, lines) {
    return { f: 1, times: times, last: times, o: d.o, h: d.h, l: d.l, c: d.c, v: d.v, lines: lines };
  }

  function coarseLevel(full, f) {
    const n = full.times.length, m = Math.ceil(n / f);
    const L = { f: f, times: new Array(m), last: new Array(m), o: new Array(m), h: new Array(m), l: new Array(m), c: new Array(m), v: new Array(m), lines: full.lines.map(function () { return new Array(m); }) };
    for (let g = 0; g < m; g++) {
      const a = g * f, b = Math.min(n, a + f) - 1;
      let hi = -Infinity, lo = Infinity, vol = 0;
      for (let i = a; i <= b; i++) {
        if (full.h[i] > hi) hi = full.h[i];
        if (full.l[i] < lo) lo = full.l[i];
        vol += full.v[i];
      }
      L.times[g] = full.times[a]; L.last[g] = full.times[b];
      L.o[g] = full.o[a]; L.h[g] = hi; L.l[g] = lo; L.c[g] = full.c[b]; L.v[g] = vol;
      full.lines.forEach(function (values, j) { L.lines[j][g] = values[b]; });
    }
    return L;
  }

  const ONE = { f: 1 }; // points drawn at their own times

  /* The bar of the current level holding time t (its open time). */
  function snap(L, t) { const i = floorIndex(L.times, t); return L.times[Math.max(i, 0)]; }

  /* Line data snapped to the level's bars, one point per bar (`pick` chooses among a bar's
   * points: the last by default). */
  function snapped(L, times, values, pick) {
    const out = [];
    for (let j = 0; j < times.length; j++) {
      const v = values[j];
      if (v === null || v === undefined) continue;
      const t = L.f === 1 ? times[j] : snap(L, times[j]);
      const prev = out[out.length - 1];
      if (prev && prev.time === t) prev.value = pick ? pick(prev.value, v) : v;
      else if (!prev || t > prev.time) out.push({ time: t, value: v });
    }
    return out;
  }

  function setLevel(h, L) {
    const n = L.times.length, candles = new Array(n), volume = new Array(n);
    for (let i = 0; i < n; i++) {
      candles[i] = { time: L.times[i], open: L.o[i], high: L.h[i], low: L.l[i], close: L.c[i] };
      volume[i] = { time: L.times[i], value: L.v[i], color: L.c[i] >= L.o[i] ? "rgba(22,163,74,0.45)" : "rgba(220,38,38,0.45)" };
    }
    h.level = L;
    h.index = new Map();
    for (let i = 0; i < n; i++) h.index.set(L.times[i], i);
    h.price.setData(candles);
    if (h.volume) h.volume.setData(volume);
    h.lines.forEach(function (line, j) { line.series.setData(lineData(L.times, L.lines[j])); });
    h.refresh.forEach(function (fn) { fn(L); });
    h.el.dataset.level = String(L.f);
  }

  function Charts_price(el, d, opts) {
    opts = opts || {};
    const n = d.time_epoch_s.length;
    const times = new Array(n);
    for (let i = 0; i < n; i++) times[i] = d.time_epoch_s[i];
    const chart = LWC.createChart(el, TS.chartOptions(el));
    const fmt = priceFormat(d.precision);
    const price = chart.addSeries(LWC.CandlestickSeries, {
      upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN, priceFormat: fmt,
    });
    let vol = null;
    if (opts.volume !== false) {
      vol = chart.addSeries(LWC.HistogramSeries, { priceFormat: { type: "volume" }, priceScaleId: "volume", lastValueVisible: false, priceLineVisible: false });
      vol.priceScale().applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
      price.priceScale().applyOptions({ scaleMargins: { top: 0.05, bottom: 0.22 } });
    }
    const h = { chart: chart, el: el, price: price, volume: vol, times: times, data: d, lines: [], groups: [], panes: {}, parts: [], refresh: [] };
    addIndicators(h, opts.indicators || [], opts.levels || []);
    h.full = fullLevel(d, times, h.lines.map(function (l) { return l.values; }));
    const width = Math.max(200, el.clientWidth - 80);
    h.coarse = n > 4 * width ? coarseLevel(h.full, Math.ceil(n / width)) : null;
    setLevel(h, h.coarse || h.full);
    h.box = readoutBox(el);
    h.parts.push(function (box, L, i) {
      const o = L.o[i], c = L.c[i], p = fmt.precision;
      item(box, "", when(L.times[i]), "when");
      if (L.f > 1) item(box, "", L.f + " bars", "bars");
      item(box, "O", num(o, p)); item(box, "H", num(L.h[i], p)); item(box, "L", num(L.l[i], p));
      item(box, "C", num(c, p), c >= o ? "pos" : "neg");
      item(box, "V", compact(L.v[i]));
      item(box, "", signedPct((c / o - 1) * 100), c >= o ? "change pos" : "change neg");
      // One entry per indicator: its main line's value, then its other lines by name.
      h.groups.forEach(function (g) {
        const fmtv = function (line) { const v = L.lines[line.k][i]; return line.overlay ? num(v, p) : sig(v); };
        const span = item(box, g.name, g.main ? fmtv(g.main) : "", "ind");
        span.style.setProperty("--swatch", g.color);
        g.others.forEach(function (line) {
          const sub = document.createElement("span");
          sub.className = "sub";
          sub.textContent = " " + line.line + " " + fmtv(line);
          span.appendChild(sub);
        });
      });
    });
    h.show = function (i) {
      const L = h.level;
      if (i === undefined || i < 0 || i >= L.times.length) return;
      h.box.textContent = "";
      h.box.dataset.time = String(L.times[i]);
      h.parts.forEach(function (part) { part(h.box, L, i); });
      steady(h.box);
    };
    /* Show the time window [from, to] (epoch seconds) at the level it calls for. */
    h.zoom = function (from, to) {
      const ts = chart.timeScale();
      const bars = floorIndex(times, to) - floorIndex(times, from);
      const L = h.coarse && bars > 2 * ts.width() ? h.coarse : h.full;
      if (L !== h.level) setLevel(h, L);
      ts.setVisibleRange({ from: snap(L, from), to: snap(L, to) });
    };
    // Listen once the first fit is on screen: the ranges the library passes through
    // before it are not the user's zoom.
    if (h.coarse) requestAnimationFrame(function () { requestAnimationFrame(function () {
      chart.timeScale().subscribeVisibleLogicalRangeChange(function (r) {
        if (!r) return;
        const ts = chart.timeScale(), inView = (r.to - r.from) * h.level.f;
        const want = h.level === h.full ? (inView > 4 * ts.width() ? h.coarse : null) : (inView < 2 * ts.width() ? h.full : null);
        if (!want) return;
        const range = ts.getVisibleRange();
        setLevel(h, want);
        if (range) ts.setVisibleRange({ from: snap(want, range.from), to: snap(want, range.to) });
      });
    }); });
    chart.subscribeCrosshairMove(function (param) {
      const L = h.level;
      h.show(param.time === undefined ? L.times.length - 1 : h.index.get(param.time));
    });
    chart.timeScale().fitContent();
    TS.autoResize(chart, el);
    el.dataset.drawn = String(n);
    if (n) el.dataset.firstTime = String(times[0]);
    Charts.instances.set(el, h);
    return h;
  }

  function addIndicators(h, indicators, levels) {
    if (!indicators.length) return;
    const chart = h.chart;
    let color = 0;
    const groupColor = {};
    indicators.forEach(function (ind, k) {
      if (!(ind.group in groupColor)) groupColor[ind.group] = PALETTE[color++ % PALETTE.length];
      let pane = 0;
      if (!ind.overlay) {
        if (!(ind.group in h.panes)) h.panes[ind.group] = chart.panes().length;
        pane = h.panes[ind.group];
      }
      const base = groupColor[ind.group];
      const shade = ind.line === "signal" || ind.line === "d" ? "#d97706" : base;
      let series;
      if (ind.line === "hist") {
        series = chart.addSeries(LWC.HistogramSeries, seriesOptions({ color: "rgba(100,116,139,0.45)", priceFormat: { type: "custom", minMove: 1e-10, formatter: sig } }), pane);
      } else {
        const band = ind.line === "upper" || ind.line === "lower";
        series = chart.addSeries(LWC.LineSeries, seriesOptions({
          color: shade, lineStyle: band ? LWC.LineStyle.Dashed : LWC.LineStyle.Solid,
          priceFormat: ind.overlay ? priceFormat(h.data.precision) : { type: "custom", minMove: 1e-10, formatter: sig },
        }), pane);
      }
      const line = { k: k, label: ind.label, group: ind.group, line: ind.line, overlay: ind.overlay, values: ind.values, color: shade, series: series };
      h.lines.push(line);
      let g = h.groups.find(function (x) { return x.name === ind.group; });
      if (!g) { g = { name: ind.group, color: base, main: null, others: [] }; h.groups.push(g); }
      if (ind.label === ind.group) g.main = line; else g.others.push(line);
    });
    levels.forEach(function (lv) {
      const line = h.lines.find(function (l) { return l.group === lv.group; });
      if (line) line.series.createPriceLine({ price: lv.value, color: "#94a3b8", lineWidth: 1, lineStyle: LWC.LineStyle.Dotted, axisLabelVisible: true, title: "" });
    });
    chart.panes().forEach(function (p, k) { if (k > 0) p.setStretchFactor(0.35); });
    h.el.dataset.indicators = String(h.lines.length);
  }

  /* ------------------------------------------------------------------ trades */

  /* Entry-to-exit segments on the price pane, green for a winning trade and red for a losing
   * one: a primitive drawing only the visible trades, so thousands cost nothing. */
  function TradeSegments(tr, h) { this.tr = tr; this.h = h; this.chart = null; this.series = null; }
  TradeSegments.prototype.attached = function (p) { this.chart = p.chart; this.series = p.series; };
  TradeSegments.prototype.detached = function () {};
  TradeSegments.prototype.updateAllViews = function () {};
  TradeSegments.prototype.paneViews = function () {
    const self = this;
    return [{ renderer: function () { return { draw: function (target) { self.draw(target); } }; } }];
  };
  TradeSegments.prototype.draw = function (target) {
    const tr = this.tr, ts = this.chart.timeScale(), series = this.series, L = this.h.level;
    const range = ts.getVisibleRange();
    if (!range) return;
    target.useBitmapCoordinateSpace(function (scope) {
      const ctx = scope.context, hr = scope.horizontalPixelRatio, vr = scope.verticalPixelRatio;
      ctx.lineWidth = Math.max(1, Math.round(2 * hr));
      for (let k = 0; k < tr.entry.length; k++) {
        if (tr.exit[k] < range.from || snap(L, tr.entry[k]) > range.to) continue;
        const x1 = ts.timeToCoordinate(snap(L, tr.entry[k])), x2 = ts.timeToCoordinate(snap(L, tr.exit[k]));
        const y1 = series.priceToCoordinate(tr.entry_price[k]), y2 = series.priceToCoordinate(tr.exit_price[k]);
        if (x1 === null || x2 === null || y1 === null || y2 === null) continue;
        ctx.strokeStyle = tr.pnl[k] >= 0 ? "rgba(22,163,74,0.85)" : "rgba(220,38,38,0.85)";
        ctx.beginPath();
        ctx.moveTo(Math.round(x1 * hr), Math.round(y1 * vr));
        ctx.lineTo(Math.round(x2 * hr), Math.round(y2 * vr));
        ctx.stroke();
      }
    });
  };

  function drawTrades(h, t) {
    const count = t.side.length;
    const tr = {
      entry: t.entry_time_epoch_s.slice(),
      exit: t.exit_time_epoch_s.slice(),
      entry_price: t.entry_price, exit_price: t.exit_price, pnl: t.pnl,
    };
    const plugin = LWC.createSeriesMarkers(h.price, []);
    function markers(L) {
      const out = [];
      for (let k = 0; k < count; k++) {
        const long = t.side[k] === 1;
        out.push({ time: snap(L, tr.entry[k]), position: long ? "belowBar" : "aboveBar", color: long ? UP : DOWN, shape: long ? "arrowUp" : "arrowDown", size: 0.6 });
        out.push({ time: snap(L, tr.exit[k]), position: long ? "aboveBar" : "belowBar", color: INK, shape: long ? "arrowDown" : "arrowUp", size: 0.6 });
      }
      out.sort(function (a, b) { return a.time - b.time; });
      plugin.setMarkers(out);
      h.el.dataset.markers = String(out.length);
    }
    markers(h.level);
    h.refresh.push(markers);
    h.price.attachPrimitive(new TradeSegments(tr, h));
    const p = priceFormat(h.data.precision).precision;
    h.parts.push(function (box, L, i) {
      const from = L.times[i], to = L.last[i];
      const k = floorIndex(tr.entry, to);
      if (k < 0 || tr.exit[k] < from) return;
      const at = tr.entry[k] >= from ? "entry" : tr.exit[k] <= to ? "exit" : "open";
      const span = item(box, "Trade " + (k + 1), (t.side[k] === 1 ? "long" : "short") + " · " + at, "trade " + (t.pnl[k] >= 0 ? "pos" : "neg"));
      span.dataset.trade = String(k + 1);
      item(box, "in", num(t.entry_price[k], p) + " " + when(tr.entry[k]).slice(0, 16), "trade");
      item(box, "out", num(t.exit_price[k], p) + " " + when(tr.exit[k]).slice(0, 16) + " · " + t.exit_reason[k].replace(/_/g, " "), "trade");
      item(box, "P&L", num(t.pnl[k], 2) + " (" + signedPct(t.return_pct[k]) + ")", "trade " + (t.pnl[k] >= 0 ? "pos" : "neg"));
    });
    return tr;
  }

  /* ------------------------------------------------------------------ equity */

  /* Adds equity series (indexed to 100 at each one's start) on a pane; returns the lines,
   * setMode and draw(level): redraws them on a chart's level of detail (none: as given). */
  function equityPane(chart, pane, series) {
    const drawn = series.map(function (s, k) {
      let base = s.base;
      if (!base) base = s.v.find(function (v) { return v !== null && v !== undefined && v > 0; });
      const line = chart.addSeries(LWC.LineSeries, seriesOptions(Object.assign({
        color: s.color || PALETTE[k % PALETTE.length], lineWidth: s.width || (k === 0 ? 2 : 1),
        title: s.name, lastValueVisible: true, priceFormat: indexedFormat,
      }, s.lineStyle === undefined ? {} : { lineStyle: s.lineStyle })), pane);
      // One point per second at most (the library's rule); the last one wins.
      const data = snapped(ONE, s.time_epoch_s,
        s.v.map(function (v) { return v === null || v === undefined || !(base > 0) ? null : v / base * 100; }));
      return { name: s.name, series: line, times: data.map(function (p) { return p.time; }), values: data.map(function (p) { return p.value; }) };
    });
    function draw(L) {
      drawn.forEach(function (l) { l.series.setData(snapped(L || ONE, l.times, l.values)); });
    }
    function setMode(mode) {
      drawn[0].series.priceScale().applyOptions({ mode: mode === "log" ? LWC.PriceScaleMode.Logarithmic : LWC.PriceScaleMode.Normal });
    }
    draw();
    return { lines: drawn, setMode: setMode, draw: draw };
  }

  function bindModes(controls, eq, el, mode) {
    function apply(m) {
      eq.setMode(m);
      el.dataset.mode = m;
      if (controls) controls.querySelectorAll("[data-equity-mode]").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.equityMode === m)); });
    }
    if (controls) controls.querySelectorAll("[data-equity-mode]").forEach(function (b) {
      b.addEventListener("click", function () { apply(b.dataset.equityMode); });
    });
    apply(mode || "pct");
  }

  function equityPart(lines) {
    return function (box, time) {
      lines.forEach(function (l) {
        const j = floorIndex(l.times, time);
        if (j >= 0) item(box, l.name, signedPct(l.values[j] - 100), "eq " + (l.values[j] >= 100 ? "pos" : "neg"));
      });
    };
  }

  function Charts_equity(el, series, opts) {
    opts = opts || {};
    const chart = LWC.createChart(el, TS.chartOptions(el));
    const eq = equityPane(chart, 0, series);
    bindModes(opts.controls, eq, el, opts.mode);
    const box = readoutBox(el);
    const part = equityPart(eq.lines);
    const all = Array.from(new Set([].concat.apply([], eq.lines.map(function (l) { return l.times; })))).sort(function (a, b) { return a - b; });
    function show(time) {
      if (time === undefined) return;
      box.textContent = "";
      box.dataset.time = String(time);
      item(box, "", when(time), "when");
      part(box, time);
      steady(box);
    }
    chart.subscribeCrosshairMove(function (param) { show(param.time === undefined ? all[all.length - 1] : param.time); });
    show(all[all.length - 1]);
    chart.timeScale().fitContent();
    TS.autoResize(chart, el);
    el.dataset.drawn = String(eq.lines.length ? eq.lines[0].times.length : 0);
    el.dataset.series = String(eq.lines.length);
    const h = { chart: chart, el: el, lines: eq.lines, setMode: eq.setMode };
    Charts.instances.set(el, h);
    return h;
  }

  /* ------------------------------------------------------------------ a backtest */

  function Charts_result(el, d, opts) {
    opts = opts || {};
    const h = Charts_price(el, d.candles, { indicators: d.indicators, levels: d.levels });
    const tr = drawTrades(h, d.trades);
    const chart = h.chart;
    const eqPane = chart.panes().length;
    const e = d.equity;
    const eq = equityPane(chart, eqPane, [
      { name: "strategy", time_epoch_s: e.time_epoch_s, v: e.equity, base: d.initial_balance, color: "#2563eb" },
      { name: "buy & hold", time_epoch_s: e.time_epoch_s, v: e.buy_and_hold, base: d.initial_balance, color: "#94a3b8" },
    ]);
    bindModes(opts.controls, eq, el, opts.mode);
    const ddPane = eqPane + 1;
    const dd = chart.addSeries(LWC.BaselineSeries, seriesOptions({
      baseValue: { type: "price", price: 0 },
      topLineColor: DOWN, bottomLineColor: DOWN, topFillColor1: "rgba(0,0,0,0)", topFillColor2: "rgba(0,0,0,0)",
      bottomFillColor1: "rgba(220,38,38,0.15)", bottomFillColor2: "rgba(220,38,38,0.45)",
      title: "drawdown", lastValueVisible: true, priceFormat: percentFormat,
      // A drawdown is never above 0: the axis stops there (no +2.50 above a flat line).
      autoscaleInfoProvider: function (original) {
        const r = original();
        if (r && r.priceRange) {
          r.priceRange.maxValue = 0;
          if (r.priceRange.minValue >= 0) r.priceRange.minValue = -1;
        }
        return r;
      },
    }), ddPane);
    const ddLine = snapped(ONE, e.time_epoch_s, e.drawdown_pct);
    const ddTimes = ddLine.map(function (p) { return p.time; }), ddValues = ddLine.map(function (p) { return p.value; });
    // A coarse bar keeps its deepest drawdown.
    function drawLevel(L) { eq.draw(L); dd.setData(snapped(L, ddTimes, ddValues, Math.min)); }
    drawLevel(h.level);
    h.refresh.push(drawLevel);
    dd.priceScale().applyOptions({ scaleMargins: { top: 0, bottom: 0.05 } });
    const panes = chart.panes();
    panes[eqPane].setStretchFactor(0.6);
    panes[ddPane].setStretchFactor(0.35);
    const equityAt = equityPart(eq.lines);
    h.parts.push(function (box, L, i) {
      // The equity and drawdown as of the bar's (last) close.
      const time = L.last[i];
      equityAt(box, time);
      const j = floorIndex(ddTimes, time);
      if (j >= 0) item(box, "drawdown", signedPct(ddValues[j]), "eq neg");
    });
    h.equity = eq; h.drawdown = dd; h.setMode = eq.setMode;
    el.dataset.equity = String(eq.lines[0].times.length);
    el.dataset.drawdown = String(ddTimes.length);
    el.dataset.panes = String(panes.length);
    // Size the readout for its longest content (a bar inside a trade) before showing the
    // last bar, so hovering never moves the chart under the pointer.
    if (tr.entry.length) h.show(h.index.get(snap(h.level, tr.entry[0])));
    h.show(h.level.times.length - 1);
    return h;
  }

  const Charts = (window.Charts = {
    instances: new WeakMap(),
    price: function (el, candles, opts) {
      const h = Charts_price(el, candles, opts);
      h.show(h.level.times.length - 1);
      return h;
    },
    result: Charts_result,
    equity: Charts_equity,
  });

  async function drawFromApi(el) {
    const params = new URLSearchParams({ symbol: el.dataset.symbol, interval: el.dataset.interval, limit: el.dataset.limit || "1000" });
    try {
      const data = await TS.fetchJSON(el.dataset.candlesUrl + "?" + params.toString());
      if (!data.time_epoch_s.length) { TS.showError(el, "No candles for this symbol and interval."); return; }
      Charts.price(el, data);
    } catch (e) {
      TS.showError(el, "Could not load candles: " + e.message);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-candles-chart]").forEach(drawFromApi);
  });
})();
