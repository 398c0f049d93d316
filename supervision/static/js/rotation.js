// Rotation plan editor: the destination inputs look posts up as one types, filling the
// shared <datalist> from /rotation/posts.json (kept out of the page for the CSP).
(function () {
  "use strict";
  var list = document.getElementById("post-options");
  if (!list || !window.fetch) {
    return;
  }
  var url = list.getAttribute("data-lookup-url");
  var timer = null;
  var last = null;

  function fill(posts) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    posts.forEach(function (post) {
      var option = document.createElement("option");
      option.value = post.code;
      option.textContent = post.label;
      list.appendChild(option);
    });
  }

  function lookup(text) {
    if (text === last) {
      return;
    }
    last = text;
    fetch(url + "?q=" + encodeURIComponent(text), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(fill)
      .catch(function () { /* keep the options already shown */ });
  }

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (!el.hasAttribute || !el.hasAttribute("data-post-lookup")) {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { lookup(el.value.trim()); }, 250);
  });
})();
