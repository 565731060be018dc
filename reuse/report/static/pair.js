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
  // scroll a text's own box (not the page) so that passage k begins a few lines from its top
  function inBox(side, k) {
    var targets = parts(side, k);
    if (!targets.length) { return false; }
    var box = document.getElementById("text-" + side);
    var top = targets[0].getBoundingClientRect().top - box.getBoundingClientRect().top;
    box.scrollTop += top - 48;
    return true;
  }
  // The page opens at the first passage (or at passage k of a link ending in #pk): both texts
  // scrolled to it, so that a long text does not open where nothing is highlighted.
  function open() {
    var m = /^#p(\d+)$/.exec(location.hash);
    var k = m ? m[1] : "0";
    var found = inBox("a", k);
    found = inBox("b", k) || found;
    if (m && found) {
      document.querySelector(".texts").scrollIntoView({block: "start"});
      flash(k);
    }
  }
  document.querySelectorAll(".text").forEach(function (box) {
    box.addEventListener("click", function (event) {
      // a passage's own text, or the marker of a stretch of it that the page does not show
      var mark = event.target.closest("[data-p],[data-in]");
      if (!mark) { return; }
      var k = (mark.getAttribute("data-p") || mark.getAttribute("data-in")).split(" ")[0];
      show(box.getAttribute("data-side") === "a" ? "b" : "a", k);
    });
  });
  // the offsets of a stretch that is not shown, as its tooltip (kept out of the page's size)
  document.addEventListener("mouseover", function (event) {
    var gap = event.target.closest ? event.target.closest(".gap") : null;
    if (gap && !gap.title) {
      gap.title = "characters [" + Number(gap.getAttribute("data-start")).toLocaleString("en") +
        ", " + Number(gap.getAttribute("data-end")).toLocaleString("en") + ") are not shown";
    }
  });
  document.querySelectorAll("a[data-goto]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var k = link.getAttribute("data-goto");
      history.replaceState(null, "", "#p" + k);  // the address of this passage, to share
      show("a", k);
      show("b", k);
    });
  });
  window.addEventListener("hashchange", open);
  open();
}());
