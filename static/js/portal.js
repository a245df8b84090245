// Focus follows what changed: after an action the page opens on the message beside what was
// acted on (or the confirmation it asks for); a link to a part of a page focuses that part.
(function () {
  "use strict";
  function focusOnLoad() {
    var target = document.querySelector("[data-focus]");
    if (!target && window.location.hash.length > 1) {
      target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    }
    if (!target) return;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: false });
    if (target.scrollIntoView) target.scrollIntoView({ block: "nearest" });
  }
  // After the browser's own move to the page's #fragment, which would take the focus back.
  function afterLoad() { window.setTimeout(focusOnLoad, 0); }
  if (document.readyState === "complete") {
    afterLoad();
  } else {
    window.addEventListener("load", afterLoad);
  }
})();
