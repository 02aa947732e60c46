/* Small behaviours every page shares (no inline scripts: the pages run under a strict CSP). */
(function () {
  "use strict";
  document.addEventListener("change", function (ev) {
    if (ev.target.matches && ev.target.matches("[data-autosubmit]")) ev.target.form.submit();
  });
  document.addEventListener("submit", function (ev) {
    const form = ev.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) ev.preventDefault();
  });
})();
