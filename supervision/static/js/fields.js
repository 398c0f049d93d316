// Form fields, as progressive enhancement (the forms work without this file):
// - character counters under inputs with data-maxlength (the server refuses longer text;
//   nothing is cut here);
// - people suggestions: inputs with data-people-search="<url>" and list="<datalist id>"
//   ask the JSON search (?q=) as the user types and fill the datalist with 姓名（警号）.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "zh-CN";
  var zh = lang.indexOf("zh") === 0;

  function counterText(count, max) {
    if (count > max) {
      return zh ? "已输入 " + count + " 字，超出上限 " + max + " 字 " + (count - max) + " 字"
                : count + " characters: " + (count - max) + " over the limit of " + max;
    }
    return zh ? "已输入 " + count + " / " + max + " 字" : count + " / " + max + " characters";
  }

  function attachCounter(input) {
    var max = parseInt(input.getAttribute("data-maxlength"), 10);
    if (!max) { return; }
    var counter = document.createElement("div");
    counter.className = "form-text char-counter";
    counter.id = (input.id || input.name) + "-counter";
    counter.setAttribute("aria-live", "polite");
    var anchor = input;
    while (anchor.nextElementSibling && anchor.nextElementSibling.classList.contains("invalid-feedback")) {
      anchor = anchor.nextElementSibling;
    }
    anchor.insertAdjacentElement("afterend", counter);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", described ? described + " " + counter.id : counter.id);
    function update() {
      var count = Array.from(input.value).length;  // characters, as the server counts them
      counter.textContent = counterText(count, max);
      counter.classList.toggle("text-danger", count > max);
      counter.classList.toggle("over-limit", count > max);
    }
    input.addEventListener("input", update);
    update();
  }

  function attachSearch(input) {
    var url = input.getAttribute("data-people-search");
    var list = input.list;
    if (!url || !list) { return; }
    var timer = null;
    var last = null;
    function fill(people) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      people.forEach(function (p) {
        var option = document.createElement("option");
        option.value = p.label;
        option.textContent = p.unit + (p.is_active ? "" : (zh ? "（已离职）" : " (inactive)"));
        list.appendChild(option);
      });
    }
    function search() {
      var q = input.value.trim();
      if (!q || q === last) { return; }
      last = q;
      fetch(url + "?q=" + encodeURIComponent(q), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (r) { return r.ok ? r.json() : { people: [] }; })
        .then(function (data) { if (input.value.trim() === q) { fill(data.people || []); } })
        .catch(function () { /* suggestions are a convenience: typing still works */ });
    }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 200);
    });
    input.addEventListener("focus", function () { last = null; });
  }

  document.querySelectorAll("[data-maxlength]").forEach(attachCounter);
  document.querySelectorAll("input[data-people-search]").forEach(attachSearch);
})();
