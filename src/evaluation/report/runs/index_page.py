"""The index page's département column, filter and sorting (report layer).

A batch of every EPCI of France gives an index of about 1,250 rows: each row names the
territory's département, a drop-down keeps the rows of one département, a text box those
whose name contains what is typed, and a click on a column header sorts the table (numbers
in French notation sorted as numbers, the rest in French alphabetical order). The script
is plain JavaScript embedded in the page, so the file stays self-contained.
"""

from __future__ import annotations

import html

__all__ = ["departement_cell", "departement_filter", "sort_and_filter_script"]


def _label(code: str | None, names: dict[str, str]) -> str:
    if not code:
        return "–"
    return f"{code} {names[code]}" if code in names else code


def departement_cell(code: str | None, names: dict[str, str]) -> str:
    """``<td data-dep="21">21 Côte-d'Or</td>`` (``–`` when the territory has no commune)."""
    return f'<td class="dep" data-dep="{html.escape(code or "")}">{html.escape(_label(code, names))}</td>'


def departement_filter(departements: dict[str, str | None], names: dict[str, str]) -> str:
    """The filter bar: a drop-down of the départements present (with their number of
    territories) and a text box on the territory's name.
    """
    counts: dict[str, int] = {}
    for code in departements.values():
        if code:
            counts[code] = counts.get(code, 0) + 1
    options = "".join(f'<option value="{html.escape(c)}">{html.escape(_label(c, names))} ({n})</option>'
                      for c, n in sorted(counts.items()))
    return ('<p class="filters"><label>Département : <select id="filtre-dep"><option value="">tous</option>'
            f'{options}</select></label> <label>Territoire : <input id="filtre-nom" type="search" '
            'placeholder="nom contient…"></label> <span id="filtre-compte"></span></p>')


_SCRIPT = """<script>
(function () {
  var table = document.getElementById("territoires");
  if (!table) return;
  var body = table.tBodies[0];
  var dep = document.getElementById("filtre-dep"), nom = document.getElementById("filtre-nom");
  var count = document.getElementById("filtre-compte");
  function key(cell) {
    var text = (cell ? cell.innerText || cell.textContent : "").split("\\n")[0].trim();
    var plain = text.replace(/[\\s\\u00a0\\u202f%]/g, "").replace(",", ".");
    var n = /^[-+]?[0-9.]+$/.test(plain) ? parseFloat(plain) : NaN;
    return {n: n, t: text};
  }
  function filter() {
    var d = dep ? dep.value : "", q = nom ? nom.value.toLowerCase() : "", shown = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var depCell = row.querySelector("td.dep");
      var ok = (!d || (depCell && depCell.getAttribute("data-dep") === d)) &&
               (!q || row.cells[0].textContent.toLowerCase().indexOf(q) >= 0);
      row.style.display = ok ? "" : "none";
      if (ok) shown += 1;
    });
    if (count) count.textContent = shown + " territoire(s) affiché(s)";
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    th.style.cursor = "pointer";
    th.title = "Trier";
    th.addEventListener("click", function () {
      var asc = th.getAttribute("data-order") !== "asc";
      th.setAttribute("data-order", asc ? "asc" : "desc");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a.cells[col]), y = key(b.cells[col]), r;
        if (!isNaN(x.n) && !isNaN(y.n)) r = x.n - y.n;
        else if (!isNaN(x.n)) r = -1;
        else if (!isNaN(y.n)) r = 1;
        else r = x.t.localeCompare(y.t, "fr");
        return asc ? r : -r;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  if (dep) dep.addEventListener("change", filter);
  if (nom) nom.addEventListener("input", filter);
  filter();
})();
</script>"""


def sort_and_filter_script() -> str:
    """The page's embedded script (sorting on header clicks; the filters when present)."""
    return _SCRIPT
