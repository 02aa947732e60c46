/* The page formatting rules of apps/core/formatting.py for values drawn by scripts, so a
 * number updated in place reads like the same number rendered by the server:
 * TS.fmt.num(12345.678, 2) "12,345.68" · price(0.0891234, 5) "0.08912" · qty(1.239163223309)
 * "1.23916322" · pct(12.3456) "12.35%" · ratioPct(0.512) "51.2%" · when("2025-08-15T07:00:00Z")
 * "2025-08-15 07:00 UTC". A missing value reads "—". sign(x) is a value's colour class:
 * "pos" (>= 0), "neg", or "" when it is missing (no green for "—"). */
(function () {
  "use strict";
  const TS = (window.TS = window.TS || {});
  const DASH = "—";
  const missing = (x) => x === null || x === undefined || x === "" || !Number.isFinite(Number(x));

  function num(x, places, signed) {
    if (missing(x)) return DASH;
    const p = places === undefined ? 2 : places;
    let v = Number(x);
    if (Math.abs(v) < 0.5 * Math.pow(10, -p)) v = 0; // never "-0.00"
    const text = v.toLocaleString("en-US", { minimumFractionDigits: p, maximumFractionDigits: p });
    return signed && v > 0 ? "+" + text : text;
  }

  function qty(x, precision) {
    if (missing(x)) return DASH;
    const text = num(x, precision === undefined ? 8 : precision);
    return text.indexOf(".") >= 0 ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
  }

  function when(x) {
    if (x === null || x === undefined || x === "") return DASH;
    const d = typeof x === "number" ? new Date(x > 1e11 ? x : x * 1000) : new Date(x);
    if (isNaN(d.getTime())) return String(x);
    const iso = d.toISOString(); // 2025-08-15T07:00:05.000Z
    const seconds = iso.slice(17, 19) !== "00";
    return iso.slice(0, 10) + " " + iso.slice(11, seconds ? 19 : 16) + " UTC";
  }

  TS.fmt = {
    DASH: DASH,
    num: num,
    qty: qty,
    price: (x, precision) => num(x, precision === undefined || precision === null ? 2 : precision),
    pct: (x, places, signed) => (missing(x) ? DASH : num(x, places === undefined ? 2 : places, signed) + "%"),
    ratioPct: (x, places) => (missing(x) ? DASH : num(Number(x) * 100, places === undefined ? 1 : places) + "%"),
    when: when,
    sign: (x) => (missing(x) ? "" : Number(x) >= 0 ? "pos" : "neg"),
  };
})();
