// A large upload is imported as a job: poll its API row while it reads and stores the rows,
// show the progress, then load the page again for the outcome (the imported series, or the
// report of a rejected or failed import).
(function () {
  "use strict";
  const box = document.getElementById("import-progress");
  if (!box || !window.fetch) return;
  const bar = box.querySelector("progress");
  const text = box.querySelector("span");
  const ACTIVE = ["queued", "running"];

  function poll() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (job) {
        bar.value = job.progress;
        text.textContent =
          job.status + (job.stage ? ", " + job.stage : "") + " (" + Math.round(job.progress) + "%)";
        if (ACTIVE.indexOf(job.status) >= 0) window.setTimeout(poll, 500);
        else window.location.assign(box.dataset.page);
      })
      .catch(function (err) {
        text.textContent = "Could not read the import's progress (" + err.message + "); retrying…";
        window.setTimeout(poll, 2000);
      });
  }
  window.setTimeout(poll, 300);
})();
