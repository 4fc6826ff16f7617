/* EdCoop progressive enhancement. Every page works without it. See docs/ui.md.
   1. Move focus to a form's error summary, so keyboard and screen-reader users hear it.
   2. Open confirmation steps in a <dialog> instead of a separate page
      (links marked data-confirm-dialog="<id of a <dialog> on the page>"; the link's href
      is the no-JS confirmation page).
   3. Close open <details> menus with Escape.
   4. Follow a background job's progress.
   5. Make sideways-scrolling tables named regions, tab stops only while they scroll. */
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

  // 4. A running background job's page follows its progress, then shows the result.
  function followJob() {
    var box = document.querySelector("[data-job-poll]");
    if (!box || typeof fetch !== "function") {
      return; // without script, the page offers a Refresh link
    }
    var bar = box.querySelector("progress");
    var status = box.querySelector("[data-job-status]");
    function poll() {
      fetch(box.getAttribute("data-job-poll"), { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (job) {
          if (job.finished) {
            window.location.reload();
            return;
          }
          bar.value = job.percent;
          bar.textContent = job.percent + "%";
          status.textContent = job.total ? job.done + " of " + job.total + " done." : job.status_label + ".";
          window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 500);
  }

  // 5. Tables that scroll sideways: each wrapper is a named region (its table's caption),
  //    and a tab stop only while it actually scrolls, so keyboard users can scroll it and
  //    are not stopped at wrappers that have nothing to scroll. Without this script every
  //    wrapper keeps tabindex="0" from the server, which is the safe side.
  function wireScrollRegions() {
    var regions = document.querySelectorAll(".table-scroll");
    if (!regions.length) {
      return;
    }
    regions.forEach(function (region, i) {
      var caption = region.querySelector("caption");
      if (caption && caption.textContent.trim()) {
        if (!caption.id) {
          caption.id = "table-caption-" + (i + 1);
        }
        region.setAttribute("aria-labelledby", caption.id);
        region.removeAttribute("aria-label");
      }
      region.setAttribute("role", "region");
    });
    function update() {
      regions.forEach(function (region) {
        if (region.scrollWidth > region.clientWidth + 1) {
          region.setAttribute("tabindex", "0");
        } else {
          region.removeAttribute("tabindex");
        }
      });
    }
    var pending = false;
    window.addEventListener("resize", function () {
      if (!pending) {
        pending = true;
        window.requestAnimationFrame(function () { pending = false; update(); });
      }
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireScrollRegions();
    followJob();
    focusErrorSummary();
    wireDialogs();
    wireMenus();
  });
})();
