// The page of a report job (SPEC §9: a report that takes more than a few seconds shows that
// it is being generated). While the job is queued or running, its status is polled (every
// second, then less often) and the progress bar, the stage and the state follow it; when it
// is done the download is offered and, since the user is waiting on this page, started.
// Without JavaScript the page shows the state it was rendered with and a link to refresh.
(function () {
  "use strict";

  var box = document.getElementById("report-job");
  if (!box) { return; }
  var bar = document.getElementById("report-progress-bar");
  var progress = document.getElementById("report-progress");
  var stage = document.getElementById("report-stage");
  var polls = 0;

  function show(percent) {
    var value = Math.max(0, Math.min(100, percent || 0));
    if (bar) {
      bar.style.width = value + "%";
      bar.textContent = value + "%";
    }
    if (progress) { progress.setAttribute("aria-valuenow", String(value)); }
  }

  function badge(status) {
    var el = document.querySelector("#report-status .badge");
    var labels = { queued: "bg-secondary", running: "bg-info text-dark", done: "bg-success",
      failed: "bg-danger", expired: "bg-light text-dark" };
    if (el && box.getAttribute("data-status") !== status) {
      el.className = "badge " + (labels[status] || "bg-secondary");
      el.textContent = box.getAttribute("data-label-" + status) || el.textContent;
    }
  }

  function finish(job) {
    if (progress) { progress.hidden = true; }
    if (job.status === "done") {
      var ready = document.getElementById("report-ready");
      var link = document.getElementById("report-download");
      var name = document.getElementById("report-filename");
      if (job.file_url && link) { link.href = job.file_url; }
      if (name && job.filename) { name.textContent = job.filename; }
      var size = document.getElementById("report-size");
      if (size && job.size_label) { size.textContent = job.size_label; }
      var kept = document.getElementById("report-kept");
      if (kept && job.kept_until) { kept.textContent = job.kept_until; }
      if (ready) { ready.hidden = false; }
      if (link) {
        link.focus();
        window.location.assign(link.href);  // an attachment: the page stays
      }
    } else if (job.status === "failed") {
      var failed = document.getElementById("report-failed");
      if (failed) {
        failed.textContent = job.message || "";
        failed.hidden = false;
      }
    }
  }

  function poll() {
    polls += 1;
    fetch(box.getAttribute("data-status-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (job) {
        show(job.progress);
        if (stage && job.stage) { stage.textContent = job.stage; }
        badge(job.status);
        box.setAttribute("data-status", job.status);
        var hint = document.getElementById("report-waiting-hint");
        if (hint) { hint.hidden = !(job.status === "queued" && polls > 60); }
        if (job.status === "queued" || job.status === "running") {
          window.setTimeout(poll, polls < 30 ? 1000 : 3000);
        } else {
          finish(job);
        }
      })
      .catch(function () {
        // The server is restarting or the network blinked: try again a little later.
        window.setTimeout(poll, 5000);
      });
  }

  show(parseInt(bar ? bar.getAttribute("data-progress") : "0", 10));
  var status = box.getAttribute("data-status");
  if (status === "queued" || status === "running") {
    window.setTimeout(poll, 500);
  }
})();
