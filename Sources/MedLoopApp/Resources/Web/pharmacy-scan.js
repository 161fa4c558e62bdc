// Dispensing with a barcode scanner: a scanner types the traceability code like a keyboard and
// ends with Enter. Enter in a package's code field moves to the next package's field instead of
// submitting the form; once every package has its code it moves to the dispense button, so the
// form is sent only when the pharmacist presses it (or Enter again there).
(function () {
  "use strict";
  var form = document.getElementById("dispense-form");
  if (!form) { return; }
  var fields = Array.prototype.slice.call(form.querySelectorAll("input[data-scan]"));
  var submit = document.getElementById("dispense");
  fields.forEach(function (field, index) {
    field.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.isComposing) { return; }
      event.preventDefault();
      field.value = field.value.trim();
      // The next package still without a code (after this one first); when every package has
      // one, the button.
      var empty = function (candidate) { return candidate !== field && candidate.value.trim() === ""; };
      var next = fields.slice(index + 1).find(empty) || fields.slice(0, index).find(empty);
      if (next) {
        next.focus();
      } else if (submit) {
        submit.focus();
      }
    });
  });
}());
