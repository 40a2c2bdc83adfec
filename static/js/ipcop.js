// Every page: a table that scrolls sideways (on a phone) becomes a named, keyboard-focusable
// region, so keyboard users can scroll it too (WCAG 2.1.1; axe scrollable-region-focusable).
// Tables that fit keep no extra tab stop.
(function () {
  "use strict";

  function regionName(wrapper) {
    var caption = wrapper.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var section = wrapper.closest("section, [aria-labelledby]");
    var heading = section && section.querySelector("h2, h3, h4");
    if (heading && heading.textContent.trim()) return heading.textContent.trim();
    var h1 = document.querySelector("h1");
    return h1 ? h1.textContent.trim() : "Table";
  }

  function markScrollingTables() {
    document.querySelectorAll(".table-responsive").forEach(function (wrapper) {
      if (wrapper.dataset.ipcopStatic === undefined) {
        // Remember whether the template already made it a region: then leave it alone.
        wrapper.dataset.ipcopStatic = wrapper.hasAttribute("tabindex") ? "1" : "0";
      }
      if (wrapper.dataset.ipcopStatic === "1") return;
      if (wrapper.scrollWidth > wrapper.clientWidth + 1) {
        wrapper.setAttribute("tabindex", "0");
        wrapper.setAttribute("role", "region");
        if (!wrapper.hasAttribute("aria-label") && !wrapper.hasAttribute("aria-labelledby")) {
          wrapper.setAttribute("aria-label", regionName(wrapper));
        }
      } else {
        wrapper.removeAttribute("tabindex");
        wrapper.removeAttribute("role");
      }
    });
  }

  var pending = null;
  function onResize() {
    if (pending) window.cancelAnimationFrame(pending);
    pending = window.requestAnimationFrame(markScrollingTables);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", markScrollingTables);
  } else {
    markScrollingTables();
  }
  window.addEventListener("resize", onResize);
})();

// Forms: after a failed submit, the error summary at the top of the form takes focus, so
// a screen reader reads the problems first and a keyboard user starts from their links
// (GOV.UK's error summary). A link moves focus to its field and shows the field's label.
(function () {
  "use strict";

  function focusField(event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var field = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!field) return;
    event.preventDefault();
    var label = document.querySelector("label[for='" + field.id + "']");
    var legend = field.closest("fieldset") && field.closest("fieldset").querySelector("legend");
    (legend || label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  }

  function focusSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.addEventListener("click", focusField);
    summary.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();

// A list's filters on a phone: folded while none is in use, so the rows come first; the
// summary ("Filters") opens them. Without JavaScript, or on a wider screen, they stay open.
(function () {
  "use strict";
  function fold() {
    if (!window.matchMedia("(max-width: 767.98px)").matches) return;
    document.querySelectorAll("details[data-fold-on-phone]").forEach(function (details) {
      details.removeAttribute("open");
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fold);
  } else {
    fold();
  }
})();
