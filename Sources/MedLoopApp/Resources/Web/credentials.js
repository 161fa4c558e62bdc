// Certificate images for a credential: each chosen image is uploaded at once, and the form
// names the uploaded files when it is submitted (the page works without this script, but then
// cannot attach images).
(function () {
  "use strict";
  var chooser = document.getElementById("certificate-images");
  var names = document.getElementById("certificate-files");
  var status = document.getElementById("certificate-status");
  var main = document.getElementById("main");
  if (!chooser || !names || !status || !main || !window.fetch) { return; }
  chooser.addEventListener("change", function () {
    var files = Array.prototype.slice.call(chooser.files || []);
    files.forEach(function (file) {
      fetch("/credentials/files", {
        method: "POST", credentials: "same-origin", body: file,
        headers: { "Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": main.dataset.csrf }
      })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (answer) {
          if (answer.ok) {
            var ids = names.value ? names.value.split(",") : [];
            ids.push(answer.body.id);
            names.value = ids.join(",");
            status.textContent = status.dataset.uploaded + " " + ids.length;
          } else {
            status.textContent = answer.body.error.message;
          }
        })
        .catch(function () { status.textContent = status.dataset.failed; });
    });
    chooser.value = "";
  });
})();
