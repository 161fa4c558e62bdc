// The live part of the prescription editor: the clinical-check findings follow the item rows as
// the doctor types, and adding, removing and searching happen in place. Without this script every
// button posts the whole form and the page comes back with the rows and the findings.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form || !window.fetch || !window.FormData || !window.URLSearchParams) { return; }
  var csrf = document.getElementById("main").dataset.csrf;
  var strings = document.getElementById("prescribe-strings").dataset;
  var status = document.getElementById("check-status");
  var timer = null;
  var latest = 0;
  // Not `form.action`: the buttons named "action" shadow it.
  var target = form.getAttribute("action");

  function say(text) { if (status) { status.textContent = text; } }

  function body(submitter) {
    var data = new URLSearchParams(new FormData(form));
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    return data;
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: data,
      headers: { "X-CSRF-Token": csrf, "Accept": "text/html" }
    });
  }

  // The findings of the rows as they stand; an older answer never replaces a newer one.
  function check() {
    var mine = ++latest;
    var findings = document.getElementById("findings");
    findings.setAttribute("aria-busy", "true");
    say(strings.checking);
    post(form.dataset.checks, body(null))
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        if (mine !== latest) { return; }
        findings.innerHTML = html;
        findings.removeAttribute("aria-busy");
        findings.dataset.checks = String(mine);
        say(strings.checked);
      })
      .catch(function () { findings.removeAttribute("aria-busy"); say(strings.offline); });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  }

  form.addEventListener("input", function (event) { if (event.target.closest(".item")) { later(); } });
  form.addEventListener("change", function (event) { if (event.target.closest(".item")) { later(); } });

  // Search, add and remove post the form as without scripts, and the search, the rows and the
  // findings are replaced in place; what the doctor typed elsewhere stays as it is.
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (!submitter) { return; }
    var inPlace = submitter.name === "add" || submitter.name === "remove"
      || (submitter.name === "action" && submitter.value === "search");
    if (!inPlace) { return; }
    event.preventDefault();
    // The answer brings the findings of this very form; a check still waiting would be older.
    clearTimeout(timer);
    var mine = ++latest;
    post(target, body(submitter))
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("editor");
        if (!fresh) { location.reload(); return; }
        ["drug-search", "items"].forEach(function (id) {
          var here = document.getElementById(id);
          var there = page.getElementById(id);
          if (here && there) { here.innerHTML = there.innerHTML; }
        });
        if (mine === latest) {
          document.getElementById("findings").innerHTML = page.getElementById("findings").innerHTML;
          document.getElementById("findings").dataset.checks = String(mine);
        } else {
          // The doctor typed meanwhile, and that check saw the rows before this answer: check again.
          check();
        }
        var focus = fresh.dataset.focus ? document.getElementById(fresh.dataset.focus) : null;
        if (submitter.name === "action") { focus = form.querySelector("#results .add") || document.getElementById("q"); }
        if (focus) { focus.focus(); }
      })
      .catch(function () { form.submit(); });
  });

  if (form.dataset.focus) {
    var first = document.getElementById(form.dataset.focus);
    if (first) { first.focus(); }
  }
}());
