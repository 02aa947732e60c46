// The candle upload form with progress: a file over the stated cap is refused before it is
// sent; otherwise the upload runs in the background with a progress bar, then "importing"
// while the server stores it; a large file then shows its import progress (jobs.js, polling #import-progress).
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  const status = document.getElementById("upload-progress");
  const bar = status.querySelector("progress");
  const text = status.querySelector("span");
  const maxBytes = Number(form.dataset.maxBytes || 0);
  const mb = (n) => (n / 1048576).toFixed(1) + " MB";

  function show(message, value) {
    status.hidden = false;
    text.textContent = message;
    if (value === null) bar.removeAttribute("value");
    else bar.value = value;
  }

  form.addEventListener("submit", function (event) {
    const input = form.querySelector('input[type="file"]');
    const file = input && input.files && input.files[0];
    if (!file) return; // the server names the missing field
    event.preventDefault();
    if (maxBytes && file.size > maxBytes) {
      show("The file is " + mb(file.size) + "; the limit is " + mb(maxBytes) + ".", 0);
      return;
    }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return show("Uploading " + mb(e.loaded) + "…", null);
      show("Uploading " + mb(e.loaded) + " of " + mb(e.total) + "…", e.loaded / e.total);
    });
    xhr.upload.addEventListener("load", function () {
      show("Uploaded; importing " + mb(file.size) + " (checking and storing every row)…", null);
    });
    xhr.addEventListener("load", function () {
      // The page the server answered (the imported series after the redirect, or the form
      // with the report): shown as if the form had been posted, messages included.
      if (xhr.responseURL) window.history.replaceState(null, "", xhr.responseURL);
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      show("The upload failed (connection closed). Is the file over the limit?", 0);
    });
    show("Uploading…", 0);
    xhr.send(new FormData(form));
  });
})();
