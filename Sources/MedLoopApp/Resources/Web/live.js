// Keeps a list page current without a reload: every few seconds it asks the server for the same
// page and replaces the live region (the doctor's queue).
(function () {
  "use strict";
  var region = document.querySelector("[aria-live]");
  if (!region || !region.id || !window.fetch) { return; }
  function refresh() {
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById(region.id);
        if (fresh && fresh.innerHTML !== region.innerHTML) { region.innerHTML = fresh.innerHTML; }
      })
      .catch(function () {});
  }
  setInterval(refresh, 3000);
}());
