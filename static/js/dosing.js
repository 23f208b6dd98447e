/* Dose recording form (templates/dosing/administration_record.html): the time, amount, route and
   rest-of-course reduction belong to a given dose only, so they are disabled (and not sent) while
   the dose is recorded as held or omitted. The server ignores them for those statuses anyway. */
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-dose-record]")) {
    const status = form.querySelector("select[name=status]");
    const given = form.querySelector("[data-given-only]");
    if (!status || !given) continue;
    const sync = () => {
      given.disabled = status.value !== "given";
      given.hidden = status.value !== "given";
    };
    status.addEventListener("change", sync);
    sync();
  }
});
