// A "Print" button (data-print) opens the browser's print dialog; print.css keeps the
// content and leaves out the navigation and controls. Without JavaScript the browser's
// own Print command does the same.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
