/* Site-specific behaviour, loaded after static/vendor/htmx/htmx.min.js and
   static/vendor/bootstrap/bootstrap.bundle.min.js. Served from this origin only
   (CSP script-src 'self'): no inline scripts, no CDN. */
"use strict";

/* The error summary at the top of a refused form (templates/includes/form_errors.html): focused when the page
   loads, so a screen reader reads it and the keyboard starts there; each of its links moves the focus to its
   field (the first input of a group of radios or checkboxes). */
(function () {
  function fieldOf(id) {
    var target = document.getElementById(id);
    if (target && !target.matches("input, select, textarea, button")) {
      target = target.querySelector("input:not([type=hidden]), select, textarea") || target;
    }
    return target;
  }

  function setUp() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) {
      return;
    }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-field]");
      if (!link) {
        return;
      }
      var field = fieldOf(link.getAttribute("data-field"));
      if (!field) {
        return;
      }
      event.preventDefault();
      var label = document.querySelector('label[for="' + field.id + '"]');
      (label || field).scrollIntoView({ block: "center" });
      field.focus({ preventScroll: true });
      if (history.replaceState) {
        history.replaceState(null, "", "#" + link.getAttribute("data-field"));
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
