// Django admin: give every form control an accessible name and keep lists well formed
// (WCAG 2.2 AA, axe-core rules label, select-name, aria-input-field-name, list,
// aria-prohibited-attr). The admin's own templates and widgets leave these gaps:
// tabular inlines and list_editable cells have no <label>, a split date/time field labels
// only its first input, select2 widgets do not name their combobox, and the horizontal
// filter puts aria-label on a plain <span>. Runs on load and whenever the admin's scripts
// add rows or widgets.
(function () {
  "use strict";

  function clean(text) {
    return (text || "").replace(/\s+/g, " ").replace(/[:?]\s*$/, "").trim();
  }

  function hasName(el) {
    if (el.getAttribute("aria-label") || el.getAttribute("aria-labelledby")) return true;
    if (el.closest("label")) return true;
    return Boolean(el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]'));
  }

  function columnHeader(cell) {
    var table = cell.closest("table");
    var head = table && table.tHead;
    if (!head || !head.rows.length) return "";
    var header = head.rows[head.rows.length - 1].cells[cell.cellIndex];
    return header ? clean(header.textContent) : "";
  }

  function rowName(row) {
    var original = row.querySelector("td.original p");
    if (original && clean(original.textContent)) return clean(original.textContent);
    var th = row.querySelector("th");
    if (th && clean(th.textContent)) return clean(th.textContent);
    var index = Array.prototype.indexOf.call(row.parentNode.children, row);
    return "row " + (index + 1);
  }

  function fieldLabel(control) {
    // The text that names a control: its <label>, else its column header and row.
    if (control.id) {
      var label = document.querySelector('label[for="' + CSS.escape(control.id) + '"]');
      if (label) return clean(label.textContent);
    }
    var cell = control.closest("td");
    if (cell) return clean(columnHeader(cell) + ", " + rowName(cell.parentNode));
    var row = control.closest(".form-row");
    var rowLabel = row && row.querySelector("label");
    return rowLabel ? clean(rowLabel.textContent) : "";
  }

  function nameTableControls() {
    var selector = "td input:not([type=hidden]), td select, td textarea";
    document.querySelectorAll(selector).forEach(function (control) {
      if (control.closest(".select2-container") || hasName(control)) return;
      var cell = control.closest("td");
      var header = columnHeader(cell);
      if (!header) return;
      control.setAttribute("aria-label", header + ", " + rowName(cell.parentNode));
    });
  }

  function nameSplitDateTimes() {
    document.querySelectorAll("p.datetime").forEach(function (paragraph) {
      var inputs = paragraph.querySelectorAll("input.vDateField, input.vTimeField");
      var base = fieldLabel(inputs[0] || paragraph);
      var row = paragraph.closest(".form-row");
      if (!base && row) base = clean((row.querySelector("label") || {}).textContent);
      inputs.forEach(function (input) {
        if (input.getAttribute("aria-label")) return;
        var part = input.classList.contains("vDateField") ? "date" : "time";
        input.setAttribute("aria-label", clean(base + " " + part));
      });
    });
  }

  function nameSelect2Widgets() {
    document.querySelectorAll(".select2-container").forEach(function (container) {
      var select = container.previousElementSibling;
      if (!select || select.tagName !== "SELECT") return;
      var label = fieldLabel(select) || clean(select.name);
      var combobox = container.querySelector('.select2-selection[role="combobox"]');
      if (combobox && !combobox.dataset.ipcopNamed) {
        combobox.dataset.ipcopNamed = "1";
        combobox.setAttribute("aria-label", label);
        // The single select names itself by its current value; an empty value leaves it
        // nameless, so name it by the field instead (the value is still announced).
        combobox.removeAttribute("aria-labelledby");
      }
      // Its read-only value box is a textbox too: name it by the field, its text is the value.
      var rendered = container.querySelector('.select2-selection__rendered[role="textbox"]');
      if (rendered && !rendered.getAttribute("aria-label")) rendered.setAttribute("aria-label", label);
      var search = container.querySelector(".select2-search__field");
      if (search && !search.getAttribute("aria-label")) search.setAttribute("aria-label", label);
      container.querySelectorAll("ul.select2-selection__rendered").forEach(function (list) {
        Array.prototype.slice.call(list.children).forEach(function (child) {
          if (child.tagName === "LI") return;
          var item = document.createElement("li");
          item.className = "ipcop-a11y-wrap";
          list.insertBefore(item, child);
          item.appendChild(child);
        });
      });
    });
  }

  function fixTooltips() {
    // aria-label is not allowed on a <span> without a role; the icon is an image.
    document.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  function fixAll() {
    nameTableControls();
    nameSplitDateTimes();
    nameSelect2Widgets();
    fixTooltips();
  }

  document.addEventListener("DOMContentLoaded", function () {
    fixAll();
    // select2 and the horizontal filter build their widgets after the page loads, and
    // "Add another" adds rows: name what they add as they add it.
    new MutationObserver(fixAll).observe(document.body, { childList: true, subtree: true });
  });
  window.addEventListener("load", fixAll);
})();
