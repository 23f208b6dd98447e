/* Adverse-event form (templates/adverse_events/ae_form.html): after a term is picked from the type-ahead
   results, htmx swaps in the term's grades; the picked button is gone, so move the keyboard focus to the
   grade choices instead of leaving it on the page body. */
"use strict";
document.addEventListener("htmx:afterSettle", (event) => {
  const target = event.detail && event.detail.target;
  if (!target || target.id !== "term-block") return;
  const block = document.getElementById("term-block");
  if (!block) return;
  const next =
    block.querySelector("input[name=grade]:checked") ||
    block.querySelector("input[name=grade]") ||
    block.querySelector("input[name=verbatim]");
  if (next) next.focus();
});
