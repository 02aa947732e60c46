/* Live job progress, without reloading the page while the job runs.
 *
 * An element with data-job-url polls that status endpoint (about once a second, slower
 * after a failed read) and updates in place: its <progress data-job-progress>, its
 * [data-job-status] text ("running 42%") and any [data-job-field="name"] with that field
 * of the job (e.g. a sweep's completed combinations).
 * When the job has finished:
 *   - on a job's own page (the element is not a table row) the page is loaded again once,
 *     to show the result with its charts;
 *   - in a list (the element is a <tr> with an id) only that row is replaced by the same
 *     row of a fresh copy of the page, so the rest of the page stays as it is; when the
 *     fresh page no longer has that row (a filtered list, or beyond its first rows) the row
 *     keeps the final status shown and stops polling.
 * Also sizes [data-width] bars (no inline styles: CSP). */
(function () {
  "use strict";
  const ACTIVE = ["queued", "running"];

  function statusText(job) {
    return ACTIVE.includes(job.status)
      ? job.status + " " + Math.round(job.progress || 0) + "%"
      : job.status;
  }

  function show(box, job) {
    const bar = box.querySelector("[data-job-progress]");
    if (bar && job.progress != null) bar.value = job.progress;
    box.querySelectorAll("[data-job-status]").forEach(function (el) {
      el.textContent = statusText(job);
      el.className = el.className.replace(/\bstatus-\w+/g, "").trim() + " status-" + job.status;
    });
    box.querySelectorAll("[data-job-field]").forEach(function (el) {
      const value = job[el.dataset.jobField];
      if (value != null) el.textContent = typeof value === "number" ? value.toLocaleString("en-US") : value;
    });
  }

  async function rowReplace(row) {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const fresh = new DOMParser()
      .parseFromString(await response.text(), "text/html")
      .getElementById(row.id);
    // Not on the fresh page (filtered out, or past its first rows): the final status that
    // show() has put in the row stays, and nothing polls the finished job any more.
    if (!fresh) row.removeAttribute("data-job-url");
    else row.replaceWith(document.importNode(fresh, true));
  }

  function watch(box) {
    let delay = 1000;
    async function poll() {
      try {
        const job = await TS.fetchJSON(box.dataset.jobUrl);
        delay = 1000;
        show(box, job);
        if (!ACTIVE.includes(job.status)) {
          if (box.tagName === "TR" && box.id) await rowReplace(box);
          else window.location.reload();
          return;
        }
      } catch (e) {
        delay = Math.min(delay * 2, 15000);
        const text = box.querySelector("[data-job-status]");
        if (text) text.textContent = "could not read the status: " + e.message;
      }
      setTimeout(poll, delay);
    }
    setTimeout(poll, 500);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-width]").forEach(function (el) { el.style.width = el.dataset.width + "%"; });
    document.querySelectorAll("[data-job-url]").forEach(watch);
  });
})();
