// The page of a background import (templates/placements/import_job.html): while the
// worker checks or imports the file, follow its progress from the job's status
// endpoint, and reload the page when its status changes (the preview to confirm, or
// the outcome). Without JavaScript the page's Refresh link does the same.
(function () {
  "use strict";
  var root = document.querySelector("[data-import-status-url]");
  if (!root || root.dataset.importWorking !== "true") {
    return;
  }
  var url = root.dataset.importStatusUrl;
  var status = root.dataset.importStatus;
  var progress = root.querySelector("progress");
  var count = root.querySelector("[data-import-count]");

  function show(data) {
    if (!data.rows_total || status !== "checking") {
      return;
    }
    if (progress) {
      progress.max = data.rows_total;
      progress.value = data.rows_done;
      progress.textContent = data.percent + "%";
    }
    if (count) {
      count.textContent = data.rows_done.toLocaleString() + " of " +
        data.rows_total.toLocaleString() + " rows checked";
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (data.status !== status) {
          window.location.reload();
          return;
        }
        show(data);
        window.setTimeout(poll, 2000);
      })
      .catch(function () {
        // Offline or logged out: try again later, more slowly.
        window.setTimeout(poll, 10000);
      });
  }

  window.setTimeout(poll, 1000);
})();
