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
  // --- the stretches a long text does not show, drawn on demand from its whole text --------
  // The page embeds each collapsed side's whole text and everything highlighted in it
  // (gzip + base64, see highlight.py packed): a marker "[… n characters not shown …]" is
  // replaced by its stretch, marked exactly as the page marks the rest. Offsets are in code
  // points, as in the tables; JavaScript strings count UTF-16 units, hence `unit`.
  var wholes = {};
  function unpack(id) {
    var binary = atob(document.getElementById(id).textContent);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }
  function whole(side) {
    if (!wholes[side]) {
      wholes[side] = Promise.all([unpack("whole-text-" + side), unpack("whole-marks-" + side)])
        .then(function (both) {
          var t = both[0], m = both[1], astral = t.astral, at = 0, marks = [], points = [];
          m.ms.forEach(function (delta, i) {
            at += delta;
            if (m.ml[i] > 0) { marks.push([at, at + m.ml[i], m.mc[i], m.mt[i]]); }
          });
          at = 0;
          m.ts.forEach(function (delta, i) { at += delta; points.push([at, m.tt[i]]); });
          return {
            text: t.text, n: t.text.length - astral.length, points: points, marks: marks,
            passages: m.p.filter(function (p) { return p[2] > p[1]; }),
            unit: function (at) {  // code-point offset -> UTF-16 offset
              var lo = 0, hi = astral.length;
              while (lo < hi) {
                var mid = (lo + hi) >> 1;
                if (astral[mid] < at) { lo = mid + 1; } else { hi = mid; }
              }
              return at + lo;
            }
          };
        });
    }
    return wholes[side];
  }
  // The text [from, to) as highlight.py render_side draws it: cut at every passage and mark
  // boundary; a run inside passages is a <mark> naming them all, styled by the last mark
  // opened; a point where the other side has text is a span, inside passages only.
  function render(d, from, to) {
    var out = document.createDocumentFragment(), cuts = {}, opens = {}, closes = {};
    var points = {}, activeP = [], activeM = [];
    function at(table, where, item) { (table[where] = table[where] || []).push(item); }
    function span(item, start, end, active) {
      if (start >= to || end <= from) { return; }
      if (start <= from) { active.push(item); } else { at(opens, start, item); cuts[start] = 1; }
      if (end < to) { at(closes, end, item); cuts[end] = 1; }
    }
    d.passages.forEach(function (p) { span(p[0], p[1], p[2], activeP); });
    var startMarks = [];
    d.marks.forEach(function (x) { span(x, x[0], x[1], startMarks); });
    // open at `from`: in the order they were opened, by start then as listed
    activeM = startMarks.map(function (x, i) { return [x, i]; }).sort(function (u, v) {
      return u[0][0] - v[0][0] || u[1] - v[1];
    }).map(function (u) { return u[0]; });
    d.points.forEach(function (p) {
      // a point at either end was drawn next to this stretch, except at the text's own ends
      if ((p[0] > from || from === 0) && (p[0] < to || to === d.n) && p[0] >= from &&
          p[0] <= to) {
        at(points, p[0], p[1]);
        cuts[p[0]] = 1;
      }
    });
    cuts[to] = 1;
    var order = Object.keys(cuts).map(Number).sort(function (u, v) { return u - v; });
    function remove(list, item) { var i = list.indexOf(item); if (i >= 0) { list.splice(i, 1); } }
    function drawPoints(where) {
      if (!points[where] || !activeP.length) { return; }
      points[where].forEach(function (title) {
        var el = document.createElement("span");
        el.className = "at";
        el.title = title;
        out.appendChild(el);
      });
    }
    drawPoints(from);
    var previous = from;
    order.forEach(function (cut) {
      if (cut > previous) {
        var body = d.text.slice(d.unit(previous), d.unit(cut));
        if (!activeP.length) {
          out.appendChild(document.createTextNode(body));
        } else {
          var ks = activeP.slice().sort(function (u, v) { return u - v; });
          var el = document.createElement("mark");
          el.className = "p c" + (ks[0] % 64);
          if (activeM.length) {
            var last = activeM[activeM.length - 1];
            el.className += " " + last[2];
            el.title = last[3];
          }
          el.setAttribute("data-p", ks.join(" "));
          el.textContent = body;
          out.appendChild(el);
        }
      }
      (closes[cut] || []).forEach(function (item) {
        remove(typeof item === "number" ? activeP : activeM, item);
      });
      (opens[cut] || []).forEach(function (item) {
        (typeof item === "number" ? activeP : activeM).push(item);
      });
      if (cut > from) { drawPoints(cut); }
      previous = cut;
    });
    return out;
  }
  function openGap(box, gap) {
    if (gap.classList.contains("opening") || !window.DecompressionStream) { return; }
    gap.classList.add("opening");
    whole(box.getAttribute("data-side")).then(function (d) {
      gap.replaceWith(render(d, Number(gap.getAttribute("data-start")),
                             Number(gap.getAttribute("data-end"))));
    });
  }
  document.querySelectorAll("button.whole").forEach(function (button) {
    var side = button.getAttribute("data-side");
    var box = document.getElementById("text-" + side);
    if (!window.DecompressionStream) {
      button.disabled = true;
      button.title = "This browser cannot unpack the text (it has no DecompressionStream)";
      return;
    }
    button.addEventListener("click", function () {
      button.disabled = true;
      whole(side).then(function (d) {
        box.replaceChildren(render(d, 0, d.n));
        box.setAttribute("data-whole", "");
        button.remove();
        var m = /^#p(\d+)$/.exec(location.hash);
        inBox(side, m ? m[1] : "0");
      });
    });
  });
  document.querySelectorAll(".text").forEach(function (box) {
    box.addEventListener("click", function (event) {
      var gap = event.target.closest(".gap");
      if (gap && document.getElementById("whole-text-" + box.getAttribute("data-side"))) {
        openGap(box, gap);
      }
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
        ", " + Number(gap.getAttribute("data-end")).toLocaleString("en") + ") are not shown" +
        (document.getElementById("whole-text-" + gap.closest(".text").getAttribute("data-side"))
          ? "; click to show them" : "");
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
