// Support Ops report kit: sortable and filterable tables. Written for this project; the only
// script the reports' Content-Security-Policy allows. Pages read fine without it.
(function () {
  "use strict";

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var key = cell.getAttribute("data-sort");
    return key !== null ? key : cell.textContent.trim();
  }

  function compare(a, b) {
    var x = parseFloat(a), y = parseFloat(b);
    var numeric = /^-?[\d.]+%?$/.test(a.replace(/,/g, "")) && /^-?[\d.]+%?$/.test(b.replace(/,/g, ""));
    if (numeric) {
      x = parseFloat(a.replace(/,/g, ""));
      y = parseFloat(b.replace(/,/g, ""));
      return x - y;
    }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, index) {
      th.setAttribute("tabindex", "0");
      th.setAttribute("title", "Sort by this column");
      function sort() {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        rows.sort(function (r1, r2) {
          var c = compare(cellValue(r1, index), cellValue(r2, index));
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sort(); }
      });
    });
  }

  function applyFilter(tableId) {
    var table = document.getElementById(tableId);
    if (!table) return;
    var box = document.querySelector("[data-filter='" + tableId + "']");
    var onlyNew = document.querySelector("[data-only-new='" + tableId + "']");
    var words = box ? box.value.toLowerCase().split(/\s+/).filter(Boolean) : [];
    var shown = 0, total = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      total += 1;
      var text = row.textContent.toLowerCase();
      var ok = words.every(function (w) { return text.indexOf(w) !== -1; });
      if (onlyNew && onlyNew.checked && !row.classList.contains("new")) ok = false;
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    var label = document.querySelector("[data-shown='" + tableId + "']");
    if (label) label.textContent = (words.length || (onlyNew && onlyNew.checked)) ? shown + " of " + total + " shown" : "";
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
    Array.prototype.forEach.call(document.querySelectorAll("[data-filter]"), function (box) {
      box.addEventListener("input", function () { applyFilter(box.getAttribute("data-filter")); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-only-new]"), function (box) {
      box.addEventListener("change", function () { applyFilter(box.getAttribute("data-only-new")); });
    });
    document.documentElement.setAttribute("data-kit", "ready");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
