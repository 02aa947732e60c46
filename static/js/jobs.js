/* Live job progress: an element with data-job-url polls that status endpoint about once a
 * second, updates its <progress data-job-progress> and [data-job-status], and reloads the
 * page when the job has finished. Also sizes [data-width] bars (no inline styles: CSP). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-width]").forEach(function (el) { el.style.width = el.dataset.width + "%"; });
    document.querySelectorAll("[data-job-url]").forEach(function (box) {
      const bar = box.querySelector("[data-job-progress]");
      const text = box.querySelector("[data-job-status]");
      async function poll() {
        try {
          const job = await TS.fetchJSON(box.dataset.jobUrl);
          if (bar) bar.value = job.progress;
          if (text) text.textContent = job.status + " " + Math.round(job.progress) + "%";
          if (job.status !== "queued" && job.status !== "running") { window.location.reload(); return; }
        } catch (e) {
          if (text) text.textContent = "could not read the status: " + e.message;
        }
        setTimeout(poll, 1000);
      }
      setTimeout(poll, 500);
    });
  });
})();
