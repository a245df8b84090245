// A page whose state is changing on a worker (a send under way) shows the new state by itself.
(function () {
  "use strict";
  var marked = document.querySelector("[data-refresh-seconds]");
  if (!marked) return;
  var seconds = parseFloat(marked.getAttribute("data-refresh-seconds")) || 2;
  window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
})();
