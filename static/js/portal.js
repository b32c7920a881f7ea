/* Small page behaviours, kept out of the templates (the Content-Security-Policy forbids inline script):
   - a form's error summary takes the focus when the page loads, and its links move the focus to their field;
   - a table too wide for its box scrolls inside it: the box then joins the tab order, named after the table,
     so a keyboard user can scroll it too. */
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.querySelector(".error-summary");
    if (!summary) {
      return;
    }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) {
        return;
      }
      var field = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
      if (field) {
        event.preventDefault();
        field.focus();
        field.scrollIntoView({ block: "center" });
      }
    });
  }

  function tableName(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption && caption.textContent.trim()) {
      return caption.textContent.trim();
    }
    var table = wrap.querySelector("table");
    var label = table && (table.getAttribute("aria-label") || "");
    var by = table && table.getAttribute("aria-labelledby");
    if (!label && by && document.getElementById(by)) {
      label = document.getElementById(by).textContent.trim();
    }
    return label;
  }

  function markScrollable() {
    var wraps = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        if (!wrap.hasAttribute("tabindex")) {
          wrap.setAttribute("tabindex", "0");
          wrap.setAttribute("role", "region");
          wrap.setAttribute("aria-label", tableName(wrap) || document.title);
          wrap.dataset.scrollable = "1";
        }
      } else if (wrap.dataset.scrollable) {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
        delete wrap.dataset.scrollable;
      }
    }
  }

  function setup() {
    focusErrorSummary();
    markScrollable();
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(markScrollable, 100);
    });
    document.body.addEventListener("htmx:afterSettle", markScrollable);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
