// Live preview on the template change page: renders the unsaved subject and
// body against the sample context as you type.
(function () {
  "use strict";
  function field(name) { return document.getElementById("id_" + name); }
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function show(target, text, isError) {
    var pre = document.createElement("pre");
    pre.textContent = text;
    if (isError) { pre.style.color = "#ba2121"; }
    target.replaceChildren(pre);
  }
  function refresh(target) {
    var context;
    try {
      context = JSON.parse(field("sample_context").value || "{}");
    } catch (error) {
      show(target, "Sample context is not valid JSON: " + error.message, true);
      return;
    }
    var subject = field("subject");
    fetch(target.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify({
        subject: subject ? subject.value : null,
        body: field("body") ? field("body").value : "",
        context: context
      })
    }).then(function (response) {
      return response.json().then(function (data) { return [response.ok, data]; });
    }).then(function (result) {
      var data = result[1];
      if (!result[0]) { show(target, data.detail, true); return; }
      show(target, (data.subject ? "Subject: " + data.subject + "\n\n" : "") + data.body, false);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var target = document.getElementById("template-preview");
    if (!target) { return; }
    var timer = null;
    ["subject", "body", "sample_context"].forEach(function (name) {
      var input = field(name);
      if (!input) { return; }
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { refresh(target); }, 250);
      });
    });
    refresh(target);
  });
})();
