(function () {
  "use strict";
  function parts(side, k) {
    return document.querySelectorAll('.text[data-side="' + side + '"] [data-p~="' + k + '"]');
  }
  function flash(k) {
    document.querySelectorAll('[data-p~="' + k + '"]').forEach(function (el) {
      el.classList.add("flash");
      window.setTimeout(function () { el.classList.remove("flash"); }, 1600);
    });
  }
  function show(side, k) {
    var targets = parts(side, k);
    if (targets.length) {
      targets[0].scrollIntoView({block: "center"});
      flash(k);
    }
  }
  document.querySelectorAll(".text").forEach(function (box) {
    box.addEventListener("click", function (event) {
      var mark = event.target.closest("[data-p]");
      if (!mark) { return; }
      var k = mark.getAttribute("data-p").split(" ")[0];
      show(box.getAttribute("data-side") === "a" ? "b" : "a", k);
    });
  });
  document.querySelectorAll("a[data-goto]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var k = link.getAttribute("data-goto");
      show("a", k);
      show("b", k);
    });
  });
}());
