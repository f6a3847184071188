// Follows a release job on its console page (console/job.html): polls the job's
// status, shows its progress, and reloads the page once the job has finished
// (the server then leads to the release, or shows the error). Without
// JavaScript the page refreshes itself instead.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.dataset.state === "done" || box.dataset.state === "failed") {
    return;
  }
  var statusUrl = box.dataset.statusUrl;
  var pageUrl = box.dataset.pageUrl;
  var stateText = document.getElementById("job-state");
  var progressText = document.getElementById("job-progress-text");
  var bar = document.getElementById("job-progress");
  var delay = 1000;

  function show(job) {
    if (stateText) {
      stateText.textContent = job.state === "queued" ? "Waiting to start" : "Computing";
    }
    if (job.progress && progressText) {
      progressText.textContent = job.progress.done + " of " + job.progress.total + " done";
    }
    if (bar && job.percent !== null && job.percent !== undefined) {
      bar.value = job.percent;
      bar.textContent = job.percent + " %";
    }
  }

  function poll() {
    fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (job) {
        if (job.state === "done" || job.state === "failed") {
          window.location.replace(pageUrl);
          return;
        }
        show(job);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        window.setTimeout(poll, delay * 3);
      });
  }

  window.setTimeout(poll, delay);
})();
