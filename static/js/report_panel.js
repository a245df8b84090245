// While a report version is being generated, the report panel asks for its page again every
// 2 s and, once the worker has finished, swaps in the new panel and the case's head (whose step
// and next action follow the report), and moves the focus to the panel: the download and send
// actions appear by themselves. Without JavaScript, the panel offers a Refresh button.
(function () {
  "use strict";
  var POLL_MS = 2000;

  function panelOf(doc) {
    return doc.querySelector("[data-report-panel]");
  }

  var panel = panelOf(document);
  if (!panel || !panel.hasAttribute("data-generating") || !window.fetch) return;

  function swap(fresh, doc) {
    var head = doc.querySelector(".case-head");
    var oldHead = document.querySelector(".case-head");
    if (head && oldHead) oldHead.replaceWith(document.importNode(head, true));
    var live = document.importNode(fresh, true);
    panelOf(document).replaceWith(live);
    var heading = live.querySelector("#report-heading");
    if (heading) heading.focus();
  }

  function poll() {
    fetch(window.location.pathname, {
      headers: { Accept: "text/html" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error("report panel " + response.status);
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = panelOf(doc);
        if (!fresh) return;
        if (fresh.hasAttribute("data-generating")) {
          window.setTimeout(poll, POLL_MS);
        } else {
          swap(fresh, doc);
        }
      })
      .catch(function () {
        window.setTimeout(poll, POLL_MS * 5);
      });
  }

  window.setTimeout(poll, POLL_MS);
})();
