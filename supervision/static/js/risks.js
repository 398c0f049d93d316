// Risk point form: "Add measure" appends a blank measure row (the page works without it:
// it always offers a few blank rows).
(function () {
  "use strict";
  var button = document.getElementById("add-measure");
  var template = document.getElementById("measure-template");
  var list = document.getElementById("measures");
  if (!button || !template || !list) {
    return;
  }
  function nextIndex() {
    var max = -1;
    list.querySelectorAll(".measure-row").forEach(function (row) {
      var i = parseInt(row.getAttribute("data-index"), 10);
      if (!isNaN(i) && i > max) {
        max = i;
      }
    });
    return max + 1;
  }
  button.classList.remove("d-none");
  button.addEventListener("click", function () {
    var index = String(nextIndex());
    var html = template.innerHTML.replace(/__i__/g, index);
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    list.appendChild(row);
    var first = row.querySelector("textarea, input:not([type=hidden])");
    if (first) {
      first.focus();
    }
  });
})();
