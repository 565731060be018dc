(function () {
  "use strict";
  // A cell as CSV: quoted when it holds a comma, a quote or a line break; a text that a
  // spreadsheet would run as a formula (= + - @ tab CR first) gets a leading apostrophe.
  function cell(value) {
    if (value === null || value === undefined) { return ""; }
    var text = String(value);
    if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) { text = "'" + text; }
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }
  // Builds the file in the page and hands it to the browser as a download: nothing is fetched.
  window.reuseCsv = function (name, header, rows) {
    var lines = [header.map(cell).join(",")];
    for (var i = 0; i < rows.length; i++) { lines.push(rows[i].map(cell).join(",")); }
    var blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], {type: "text/csv;charset=utf-8"});
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () { URL.revokeObjectURL(link.href); }, 60000);
  };
  // <button data-csv="ID">: the JSON {file, header, rows} in the element with that id
  document.querySelectorAll("button[data-csv]").forEach(function (button) {
    button.addEventListener("click", function () {
      var data = JSON.parse(document.getElementById(button.getAttribute("data-csv")).textContent);
      window.reuseCsv(data.file, data.header, data.rows);
    });
  });
}());
