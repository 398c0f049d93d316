// Downloads that may take seconds (SPEC §9: a report being generated says so). A GET form or a
// link marked data-generating="正在生成…" fetches the file itself: its button is disabled and
// shows the label with a spinner until the file arrives, then the file is saved under the
// name the server gave (Content-Disposition filename*). When the answer is not a file (a form
// error, a 404), the browser goes to the address so the page shows why. A link that queues a
// report job (supervision.reports) is redirected to the job's page, which the browser then
// shows. Without JavaScript the same form or link downloads the file (or opens the job page).
(function () {
  "use strict";

  function fileName(header) {
    var utf8 = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (utf8) {
      try { return decodeURIComponent(utf8[1]); } catch (e) { /* fall through */ }
    }
    var plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : "download";
  }

  function save(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    window.setTimeout(function () {
      URL.revokeObjectURL(link.href);
      link.remove();
    }, 10000);
  }

  function setBusy(control, label) {
    var before = control.innerHTML;
    control.setAttribute("aria-busy", "true");
    control.classList.add("disabled", "is-generating");
    if (control.tagName === "BUTTON") { control.disabled = true; }
    control.textContent = " " + label;
    var spinner = document.createElement("span");
    spinner.className = "spinner-border spinner-border-sm";
    spinner.setAttribute("aria-hidden", "true");
    control.prepend(spinner);
    return function restore() {
      control.innerHTML = before;
      control.removeAttribute("aria-busy");
      control.classList.remove("disabled", "is-generating");
      if (control.tagName === "BUTTON") { control.disabled = false; }
    };
  }

  function download(url, control, label) {
    if (control.getAttribute("aria-busy") === "true") { return; }
    var restore = setBusy(control, label);
    var status = document.getElementById("download-status");
    if (status) { status.textContent = label; }
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        var disposition = response.headers.get("Content-Disposition") || "";
        if (response.redirected) {
          // The address queued a report job and sent us to its page: go there (asking the
          // address again would queue a second job).
          window.location.assign(response.url);
          return null;
        }
        if (!response.ok || disposition.indexOf("attachment") !== 0) {
          window.location.assign(url);
          return null;
        }
        return response.blob().then(function (blob) { save(blob, fileName(disposition)); });
      })
      .catch(function () { window.location.assign(url); })
      .then(function () {
        restore();
        if (status) { status.textContent = ""; }
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute || !form.hasAttribute("data-generating")) {
      return;
    }
    if ((form.getAttribute("method") || "get").toLowerCase() !== "get") { return; }
    event.preventDefault();
    var query = new URLSearchParams(new FormData(form)).toString();
    var url = form.action + (form.action.indexOf("?") < 0 ? "?" : "&") + query;
    var button = event.submitter || form.querySelector("[type=submit]");
    download(url, button, form.getAttribute("data-generating"));
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-generating]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    download(link.href, link, link.getAttribute("data-generating"));
  });
})();
