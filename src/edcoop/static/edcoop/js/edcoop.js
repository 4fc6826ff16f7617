/* EdCoop progressive enhancement. Every page works without it. See docs/ui.md.
   1. Move focus to a form's error summary, so keyboard and screen-reader users hear it.
   2. Open confirmation steps in a <dialog> instead of a separate page
      (links marked data-confirm-dialog="<id of a <dialog> on the page>"; the link's href
      is the no-JS confirmation page).
   3. Close open <details> menus with Escape. */
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  function wireDialogs() {
    if (typeof HTMLDialogElement !== "function") {
      return; // old browser: the links go to the confirmation page
    }
    document.querySelectorAll("[data-confirm-dialog]").forEach(function (link) {
      var dialog = document.getElementById(link.getAttribute("data-confirm-dialog"));
      if (!dialog) {
        return;
      }
      link.addEventListener("click", function (event) {
        event.preventDefault();
        dialog.showModal();
        var first = dialog.querySelector("textarea, input:not([type=hidden]), select, button");
        if (first) {
          first.focus();
        }
      });
      dialog.querySelectorAll("[data-dialog-close]").forEach(function (button) {
        button.addEventListener("click", function () {
          dialog.close();
          link.focus();
        });
      });
    });
  }

  function wireMenus() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") {
        return;
      }
      document.querySelectorAll("details.menu[open]").forEach(function (menu) {
        menu.removeAttribute("open");
        var summary = menu.querySelector("summary");
        if (summary && menu.contains(document.activeElement)) {
          summary.focus();
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    wireDialogs();
    wireMenus();
  });
})();
