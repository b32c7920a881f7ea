/* The navigation collapses behind a menu button on narrow screens (under 768 px). */
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 767.98px)");

  function setup() {
    var nav = document.getElementById("site-nav");
    var button = document.querySelector(".nav-toggle");
    if (!nav || !button) {
      return;
    }

    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("nav-open", open);
    }

    function apply() {
      if (narrow.matches) {
        nav.classList.add("nav-collapsible");
        button.hidden = false;
        show(false);
      } else {
        nav.classList.remove("nav-collapsible");
        button.hidden = true;
        show(true);
      }
    }

    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
      if (button.getAttribute("aria-expanded") === "true") {
        var first = nav.querySelector("a");
        if (first) {
          first.focus();
        }
      }
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("nav-collapsible")) {
        show(false);
        button.focus();
      }
    });
    if (narrow.addEventListener) {
      narrow.addEventListener("change", apply);
    } else if (narrow.addListener) {
      narrow.addListener(apply);
    }
    apply();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
