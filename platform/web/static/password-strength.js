// The live password strength meter: asks the server (the same check as on submit)
// while someone types. Without JavaScript the form shows the reading after a submit.
(function () {
  "use strict";
  document.querySelectorAll("[data-strength-for]").forEach(function (box) {
    var input = document.getElementById(box.dataset.strengthFor);
    var form = input && input.form;
    if (!form) { return; }
    var meter = box.querySelector("meter");
    var label = box.querySelector(".strength-label");
    var list = box.querySelector(".strength-feedback");
    var timer = null;
    function field(name) {
      var element = form.elements.namedItem(name);
      return element ? element.value : "";
    }
    function show(reading) {
      meter.value = reading.score;
      meter.textContent = reading.label;
      label.textContent = reading.label;
      list.replaceChildren();
      reading.problems.concat(reading.suggestions).forEach(function (text) {
          var item = document.createElement("li");
          item.textContent = text;
          list.appendChild(item);
        });
    }
    function measure() {
      var body = new URLSearchParams();
      body.set("password", input.value);
      body.set("email", field("email"));
      body.set("name", field("name"));
      fetch(box.dataset.strengthUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": field("csrf_token") }
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (reading) {
        if (reading) { show(reading); }
      }).catch(function () { /* the meter is a help; submitting still checks */ });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(measure, 250);
    });
  });
})();
