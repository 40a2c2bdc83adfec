// The placements list: "select all on this page" ticks every row's box, and shows
// whether some or all rows are ticked. Without JavaScript the form still works: the
// server reads the ticked "all" box as every row of the page.
(function () {
  "use strict";

  function setUp(form) {
    var all = form.querySelector("[data-select-all]");
    var rows = Array.prototype.slice.call(form.querySelectorAll("[data-select-row]"));
    if (!all || !rows.length) return;

    function sync() {
      var ticked = rows.filter(function (box) { return box.checked; }).length;
      all.checked = ticked === rows.length;
      all.indeterminate = ticked > 0 && ticked < rows.length;
    }

    all.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = all.checked; });
      all.indeterminate = false;
    });
    rows.forEach(function (box) { box.addEventListener("change", sync); });
    sync();
  }

  function init() {
    document.querySelectorAll("form.placement-bulk").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
