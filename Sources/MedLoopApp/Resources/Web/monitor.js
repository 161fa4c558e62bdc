// Keeps the supervision dashboard current: listens to the dashboard's event stream and, when it
// sends fresh figures, fetches the page again and swaps the live region, so every word stays the
// server's (in the page's language). Without EventSource it asks every few seconds instead.
(function () {
  "use strict";
  var region = document.getElementById("monitor-figures");
  if (!region || !window.fetch) { return; }
  var pending = false;
  function refresh() {
    if (pending) { return; }
    pending = true;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        pending = false;
        if (html === null) { return; }
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById(region.id);
        if (fresh && fresh.innerHTML !== region.innerHTML) { region.innerHTML = fresh.innerHTML; }
      })
      .catch(function () { pending = false; });
  }
  var path = region.getAttribute("data-stream");
  if (window.EventSource && path) {
    var source = new EventSource(path);
    var first = true;
    source.addEventListener("figures", function () {
      // The first figures are those the page was rendered with.
      if (first) { first = false; return; }
      refresh();
    });
  } else {
    setInterval(refresh, 5000);
  }
}());
