// The console's live plan: when the form changes, POST it to /console/plan and show the
// returned plan where the form's buttons are. "Request" fetches the plan with its
// confirmation and moves focus to it; the confirmation's button submits the form, which
// spends only when the query is the one confirmed. Without this script the same happens
// by form submission (the page reloads at #plan).
(function () {
  "use strict";
  var form = document.getElementById("query-form");
  var section = document.getElementById("plan");
  if (!form || !section || !window.fetch) { return; }
  var url = form.getAttribute("data-plan-url");
  var timer = null;
  var latest = 0;
  var mode = "plan";  // "request" once the analyst asked to spend: keep the confirmation shown

  function refresh(action, focus) {
    var data = new FormData(form);
    data.set("action", action);
    var ticket = ++latest;
    return fetch(url, { method: "POST", body: data, credentials: "same-origin",
                        headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (plan) {
        if (ticket !== latest) { return; }
        var active = document.activeElement;
        var keep = active && section.contains(active) ? active.id : null;
        section.innerHTML = plan.html;
        if (keep && !focus && document.getElementById(keep)) {
          document.getElementById(keep).focus();
        }
        if (focus) {
          var target = document.getElementById("spend") || document.getElementById("plan-heading");
          if (target) { target.focus(); target.scrollIntoView({ block: "center" }); }
        }
      })
      .catch(function () { /* the buttons still work by submission */ });
  }

  function changed(event) {
    if (event.target && event.target.name === "confirm") { return; }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { refresh(mode, false); }, 400);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (!submitter || submitter.value === "spend") { return; }  // the confirmation spends
    event.preventDefault();
    window.clearTimeout(timer);
    mode = submitter.value === "request" ? "request" : "plan";
    refresh(mode, true);
  });
})();
