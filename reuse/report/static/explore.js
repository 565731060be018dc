(function () {
  "use strict";
  // Tables that search, filter, sort and page themselves from the JSON in their section (see
  // reuse/report/lists.py). A table's state lives in the URL fragment, prefixed by its name:
  // #pairs.q=council&pairs.similarity.min=0.8&pairs.m.source=wire&pairs.sort=-a_share
  var FSI = "\u2068", PDI = "\u2069";
  var NUMERIC = {int: 1, num: 1, pct: 1};

  // the text with its isolates balanced, so that the <bdi> around it contains it
  function balanced(text) {
    text = String(text);
    if (!/[\u2066-\u2069]/.test(text)) { return text; }
    var depth = 0, stray = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      if (c >= 0x2066 && c <= 0x2068) { depth++; } else if (c === 0x2069) {
        if (depth) { depth--; } else { stray++; }
      }
    }
    return FSI.repeat(stray) + text + PDI.repeat(depth);
  }
  function make(tag, css, text) {
    var el = document.createElement(tag);
    if (css) { el.className = css; }
    if (text !== undefined) { el.textContent = text; }
    return el;
  }
  function bdi(text) { return make("bdi", "", balanced(text)); }
  function share(x) {
    if (x > 0 && x < 0.0005) { return "<0.1%"; }
    if (x >= 0.9995 && x < 1) { return ">99.9%"; }
    return (100 * x).toFixed(1) + "%";
  }
  function shown(type, v) {
    if (type === "pct") { return share(v); }
    if (type === "num") { return v.toFixed(3); }
    return String(v);
  }
  // "12", "<12", ">12" → {value, strict}; null when empty, undefined when not a number
  function bound(text, scale) {
    text = text.trim();
    if (!text) { return null; }
    var strict = text[0] === "<" || text[0] === ">";
    var value = parseFloat(strict ? text.slice(1) : text);
    return isNaN(value) ? undefined : {value: value / scale, strict: strict};
  }
  // the first (or last) `limit` characters, cut at a space unless that loses a third of them
  function cut(text, limit, tail) {
    var piece, space;
    if (!tail) {
      piece = text.slice(0, limit + 1);
      space = piece.lastIndexOf(" ");
      return (space > Math.floor(limit * 2 / 3) ? piece.slice(0, space) : piece.slice(0, -1)).trimEnd();
    }
    piece = text.slice(Math.max(0, text.length - limit - 1));
    space = piece.indexOf(" ");
    return (space > -1 && space < Math.floor(limit / 3) ? piece.slice(space + 1) : piece.slice(1)).trimStart();
  }
  // a passage's text as the table shows it (reuse.report.lists.snippet does the same)
  function snippet(text, sizes) {
    if (text.length <= sizes[0]) { return text; }
    return cut(text, sizes[1], false) + " … " + cut(text, sizes[2], true);
  }
  function compare(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function Explorer(section) {
    var data = JSON.parse(section.querySelector('script[type="application/json"]').textContent);
    var self = this;
    this.section = section;
    this.data = data;
    this.name = data.name;
    this.rows = data.rows;
    this.index = Object.create(null);
    data.columns.forEach(function (c, k) { self.index[c.key] = k; });
    this.docCols = [];
    data.columns.forEach(function (c, k) { if (c.type === "doc") { self.docCols.push(k); } });
    // the documents whose fields and ids the filters look at: in a documents table its own
    this.filterCols = data.showFields ? this.docCols.slice(0, 1) : this.docCols;
    // what the table shows, in order: columns, and after the document the fields (documents)
    this.visible = [];
    data.columns.forEach(function (c, k) {
      if (c.hidden || c.type === "link") { return; }
      self.visible.push({key: c.key, col: k, type: c.type});
      if (data.showFields && k === self.docCols[0]) {
        data.fields.forEach(function (f, j) {
          self.visible.push({key: "m." + f.name, col: k, field: j, type: f.type});
        });
      }
    });
    this.docIndex = null;
    this.orders = Object.create(null);
    this.page = 1;
    this.sort = "";
    this.docs = [];
    this.controls = [];
    this.table = section.querySelector("table");
    this.status = section.querySelector(".status");
    this.pager = section.querySelector(".pager");
    this.build(section.querySelector(".controls"));
    this.table.tHead.rows[0].querySelectorAll("th").forEach(function (th, i) {
      th.addEventListener("click", function () { self.sortBy(self.visible[i]); });
    });
  }

  Explorer.prototype.control = function (box, param, label, kind, options) {
    var self = this, wrap = make("label", "ctl"), input;
    if (label !== null) { wrap.appendChild(label); }
    if (kind === "select") {
      input = make("select");
      input.appendChild(make("option", "", "any")).value = "";
      options.forEach(function (o) {
        var option = make("option", "", o[1]);
        option.value = o[0];
        input.appendChild(option);
      });
    } else {
      input = make("input");
      input.type = kind === "search" ? "search" : "text";
      input.placeholder = options;
      if (kind !== "search") { input.size = kind === "date" ? 10 : 5; }
    }
    input.setAttribute("data-param", param);
    input.addEventListener(kind === "select" ? "change" : "input", function () { self.changed(); });
    wrap.appendChild(input);
    box.appendChild(wrap);
    this.controls.push(input);
    return input;
  };

  Explorer.prototype.range = function (box, base, label, type) {
    var group = make("span", "range");
    group.appendChild(label);
    var unit = type === "pct" ? " %" : "";
    if (type === "date") {
      this.control(group, base + ".from", null, "date", "from");
      group.appendChild(document.createTextNode("–"));
      this.control(group, base + ".to", null, "date", "to");
    } else {
      this.control(group, base + ".min", null, "text", "min" + unit);
      group.appendChild(document.createTextNode("–"));
      this.control(group, base + ".max", null, "text", "max" + unit);
    }
    box.appendChild(group);
  };

  Explorer.prototype.build = function (box) {
    var self = this, data = this.data;
    this.search = this.control(box, "q", null, "search", data.search);
    this.search.className = "q";
    if (!data.compact) {
      data.columns.forEach(function (c, k) {
        if (c.hidden || c.filter === false) { return; }
        var label = make("span", "", c.label);
        if (NUMERIC[c.type] || c.type === "date") {
          self.range(box, c.key, label, c.type);
        } else if (c.type === "cat") {
          var seen = Object.create(null);
          self.rows.forEach(function (r) { if (r[k] !== null) { seen[r[k]] = 1; } });
          self.control(box, c.key, label, "select",
                       Object.keys(seen).sort().map(function (v) { return [v, v]; }));
        } else if (c.type === "flag") {
          self.control(box, c.key, label, "select", [["yes", "yes"], ["no", "no"]]);
        }
      });
      if (this.docCols.length) {
        data.fields.forEach(function (f) {
          var label = make("span", "");
          label.appendChild(bdi(f.name));
          var param = "m." + f.name;
          if (f.type === "date" || f.type === "num") {
            self.range(box, param, label, f.type);
          } else if (f.type === "cat") {
            self.control(box, param, label, "select",
                         f.values.map(function (v) { return [v, v]; }));
          } else {
            self.control(box, param, label, "text", "contains");
          }
        });
      }
    }
    this.docBox = box.appendChild(make("span", "docs"));
    var clear = box.appendChild(make("button", "clear", "Clear"));
    clear.type = "button";
    clear.addEventListener("click", function () {
      self.controls.forEach(function (c) { c.value = ""; });
      self.docs = [];
      self.sort = "";
      self.changed();
    });
    this.download = box.appendChild(make("button", "csv", "Download CSV"));
    this.download.type = "button";
    this.download.addEventListener("click", function () { self.csv(); });
  };

  Explorer.prototype.changed = function () {
    this.page = 1;
    this.apply();
    writeHash();
  };

  Explorer.prototype.sortBy = function (v) {
    var key = v.key;
    var text = v.type === "doc" || v.type === "snip" || v.type === "text" || v.type === "cat";
    if (this.sort === key) { this.sort = "-" + key; } else if (this.sort === "-" + key) {
      this.sort = key;
    } else { this.sort = text ? key : "-" + key; }
    this.page = 1;
    this.apply();
    writeHash();
  };

  Explorer.prototype.load = function (params) {
    var prefix = this.name + ".", values = Object.create(null);
    params.forEach(function (value, key) {
      if (key.indexOf(prefix) === 0) {
        var name = key.slice(prefix.length);
        values[name] = name === "doc" ? (values.doc || []).concat([value]) : value;
      }
    });
    this.controls.forEach(function (c) { c.value = values[c.getAttribute("data-param")] || ""; });
    this.docs = values.doc || [];
    this.sort = values.sort || "";
    this.page = Math.max(1, parseInt(values.page, 10) || 1);
    return Object.keys(values).length > 0;
  };

  Explorer.prototype.save = function (params) {
    var prefix = this.name + ".";
    this.controls.forEach(function (c) {
      if (c.value.trim()) { params.append(prefix + c.getAttribute("data-param"), c.value.trim()); }
    });
    this.docs.forEach(function (d) { params.append(prefix + "doc", d); });
    if (this.sort) { params.append(prefix + "sort", this.sort); }
    if (this.page > 1) { params.append(prefix + "page", String(this.page)); }
  };

  // the value a visible column sorts by
  Explorer.prototype.key = function (v) {
    var data = this.data, c = data.columns[v.col];
    if (v.field !== undefined) {
      return function (r) { return r[v.col] === null ? null : data.docs[r[v.col]][1 + v.field]; };
    }
    if (c.type === "doc") { return function (r) { return r[v.col] === null ? null : data.docs[r[v.col]][0]; }; }
    if (c.type === "snip") { return function (r) { return r[v.col] === null ? null : data.strings[r[v.col]]; }; }
    return function (r) { return r[v.col]; };
  };

  Explorer.prototype.order = function () {
    if (this.orders[this.sort]) { return this.orders[this.sort]; }
    var n = this.rows.length, order = new Array(n);
    for (var i = 0; i < n; i++) { order[i] = i; }
    var desc = this.sort[0] === "-", name = desc ? this.sort.slice(1) : this.sort;
    var v = this.visible.filter(function (x) { return x.key === name; })[0];
    if (v) {
      var get = this.key(v), rows = this.rows, values = new Array(n);
      for (i = 0; i < n; i++) {
        var x = get(rows[i]);
        values[i] = typeof x === "string" ? x.toLowerCase() : x;
      }
      order.sort(function (a, b) {
        var x = values[a], y = values[b];
        if (x === null || x === undefined) { return y === null || y === undefined ? a - b : 1; }
        if (y === null || y === undefined) { return -1; }
        return (desc ? compare(y, x) : compare(x, y)) || a - b;
      });
    }
    this.orders[this.sort] = order;
    return order;
  };

  // one test per active filter; each takes a row and says whether it stays
  Explorer.prototype.tests = function () {
    var self = this, data = this.data, tests = [], fieldTests = [];
    this.controls.forEach(function (input) {
      input.classList.remove("bad");
      var param = input.getAttribute("data-param"), value = input.value;
      if (!value.trim() || param === "q") { return; }
      var dot = param.lastIndexOf("."), base = param, end = "";
      if (/\.(min|max|from|to)$/.test(param)) { base = param.slice(0, dot); end = param.slice(dot + 1); }
      var isField = base.indexOf("m.") === 0, type, get;
      if (isField) {
        var j = -1;
        data.fields.forEach(function (f, k) { if ("m." + f.name === base) { j = k; } });
        if (j < 0) { return; }
        type = data.fields[j].type;
        get = function (doc) { return doc[1 + j]; };
      } else {
        var k = self.index[base];
        if (k === undefined) { return; }
        type = data.columns[k].type;
        get = function (r) { return r[k]; };
      }
      var test = self.test(type, end, value);
      if (test === undefined) { input.classList.add("bad"); return; }
      if (isField) {
        fieldTests.push(function (doc) { return test(get(doc)); });
      } else {
        tests.push(function (r) { return test(get(r)); });
      }
    });
    if (fieldTests.length) {
      var ok = new Uint8Array(data.docs.length);
      data.docs.forEach(function (doc, d) { ok[d] = fieldTests.every(function (t) { return t(doc); }) ? 1 : 0; });
      tests.push(function (r) {
        for (var i = 0; i < self.filterCols.length; i++) {
          var d = r[self.filterCols[i]];
          if (d !== null && ok[d]) { return true; }
        }
        return false;
      });
    }
    if (this.docs.length) {
      if (!this.docIndex) {
        this.docIndex = new Map();
        data.docs.forEach(function (doc, d) { self.docIndex.set(doc[0], d); });
      }
      this.docs.forEach(function (id) {
        var want = self.docIndex.has(id) ? self.docIndex.get(id) : -1;
        tests.push(function (r) {
          for (var i = 0; i < self.filterCols.length; i++) { if (r[self.filterCols[i]] === want) { return true; } }
          return false;
        });
      });
    }
    var q = this.search.value.trim().toLowerCase();
    if (q) { tests.push(this.textTest(q)); }
    return tests;
  };

  // the test of one control: a range end (min/max of numbers, from/to of dates), a menu
  // value or a text to contain; undefined when the value cannot be read
  Explorer.prototype.test = function (type, end, value) {
    if (end === "min" || end === "max") {
      var b = bound(value, type === "pct" ? 100 : 1);
      if (!b) { return b; }
      if (end === "min") {
        return function (v) { return v !== null && (b.strict ? v > b.value : v >= b.value); };
      }
      return function (v) { return v !== null && (b.strict ? v < b.value : v <= b.value); };
    }
    value = value.trim();
    if (end === "from") { return function (v) { return v !== null && String(v) >= value; }; }
    if (end === "to") {
      return function (v) { return v !== null && String(v).slice(0, value.length) <= value; };
    }
    if (type === "flag") { var yes = value === "yes"; return function (v) { return !!v === yes; }; }
    if (type === "cat") { return function (v) { return v !== null && String(v) === value; }; }
    var lower = value.toLowerCase();
    return function (v) { return v !== null && String(v).toLowerCase().indexOf(lower) >= 0; };
  };

  // the search box: a row stays when its ids or texts contain the words typed, in order
  Explorer.prototype.textTest = function (q) {
    var data = this.data;
    if (!this.lowerDocs) {
      this.lowerDocs = data.docs.map(function (d) { return d[0].toLowerCase(); });
      this.lowerStrings = data.strings.map(function (s) { return s.toLowerCase(); });
    }
    var docHit = new Uint8Array(data.docs.length), stringHit = new Uint8Array(data.strings.length);
    this.lowerDocs.forEach(function (s, i) { docHit[i] = s.indexOf(q) >= 0 ? 1 : 0; });
    this.lowerStrings.forEach(function (s, i) { stringHit[i] = s.indexOf(q) >= 0 ? 1 : 0; });
    var docs = [], strings = [], texts = [];
    data.columns.forEach(function (c, k) {
      if (c.type === "doc") { docs.push(k); } else if (c.type === "snip") { strings.push(k); } else if (
        c.type === "text" || c.type === "cat") { texts.push(k); }
    });
    return function (r) {
      var i, v;
      for (i = 0; i < docs.length; i++) { v = r[docs[i]]; if (v !== null && docHit[v]) { return true; } }
      for (i = 0; i < strings.length; i++) { v = r[strings[i]]; if (v !== null && stringHit[v]) { return true; } }
      for (i = 0; i < texts.length; i++) {
        v = r[texts[i]];
        if (v !== null && String(v).toLowerCase().indexOf(q) >= 0) { return true; }
      }
      return false;
    };
  };

  Explorer.prototype.matching = function () {
    var order = this.order(), tests = this.tests(), rows = this.rows;
    if (!tests.length) { return order; }
    var out = [], t = tests.length;
    for (var i = 0; i < order.length; i++) {
      var r = rows[order[i]], keep = true;
      for (var j = 0; j < t && keep; j++) { keep = tests[j](r); }
      if (keep) { out.push(order[i]); }
    }
    return out;
  };

  Explorer.prototype.href = function (c, r) {
    var data = this.data;
    if (c.link) {
      var target = r[this.index[c.link]];
      if (target === null || target === undefined) { return null; }
      return data.root + data.strings[target] + (c.anchor ? "#p" + r[this.index[c.anchor]] : "");
    }
    if (c.type === "doc" && data.docLink && (!data.docLinkIf || r[this.index[data.docLinkIf]])) {
      return data.root + data.docLink + encodeURIComponent(data.docs[r[this.index[c.key]]][0]);
    }
    return null;
  };

  Explorer.prototype.cell = function (v, r) {
    var data = this.data, c = data.columns[v.col], value = r[v.col];
    if (v.field !== undefined) {
      var field = value === null ? null : data.docs[value][1 + v.field];
      var td = make("td", v.type === "num" ? "num" : "");
      if (field !== null && field !== undefined) { td.appendChild(bdi(field)); }
      return td;
    }
    var numeric = NUMERIC[c.type];
    td = make("td", c.type === "doc" ? "id" : c.type === "snip" ? "snip" : numeric ? "num" : "");
    if (value === null || value === undefined) { return td; }
    var content;
    if (c.type === "doc") { content = bdi(data.docs[value][0]); } else if (numeric) {
      content = document.createTextNode(shown(c.type, value));
    } else if (c.type === "flag") {
      if (!value) { return td; }
      content = make("span", "flag " + c.key, c.label.toLowerCase());
    } else if (c.type === "snip") {
      content = this.marked(snippet(data.strings[value], data.snippet));
      var hit = this.hit(data.strings[value]);
      if (hit) { td.appendChild(content); content = hit; }
    } else { content = bdi(value); }
    var href = this.href(c, r);
    if (href !== null) {
      var a = make("a");
      a.href = href;
      a.appendChild(content);
      content = a;
    }
    td.appendChild(content);
    return td;
  };

  // a snippet with the first place the search found in it marked
  Explorer.prototype.marked = function (text) {
    text = balanced(text);
    var q = this.search.value.trim().toLowerCase(), at = q ? text.toLowerCase().indexOf(q) : -1;
    if (at < 0) { return bdi(text); }
    var box = make("bdi");
    box.appendChild(document.createTextNode(text.slice(0, at)));
    box.appendChild(make("mark", "", text.slice(at, at + q.length)));
    box.appendChild(document.createTextNode(text.slice(at + q.length)));
    return box;
  };

  // where the search found a passage, when the snippet shown does not hold it: "… x <mark>q</mark> y …"
  Explorer.prototype.hit = function (text) {
    var q = this.search.value.trim().toLowerCase();
    if (!q) { return null; }
    var lower = text.toLowerCase(), at = lower.indexOf(q);
    if (at < 0 || snippet(lower, this.data.snippet).indexOf(q) >= 0) { return null; }
    var from = Math.max(0, at - 40), to = Math.min(text.length, at + q.length + 40);
    var context = (from > 0 ? "…" : "") + text.slice(from, to) + (to < text.length ? "…" : "");
    var whole = balanced(context), start = whole.indexOf(context) + (from > 0 ? 1 : 0) + at - from;
    var box = make("span", "hit"), inner = box.appendChild(make("bdi"));
    inner.appendChild(document.createTextNode(whole.slice(0, start)));
    inner.appendChild(make("mark", "", whole.slice(start, start + q.length)));
    inner.appendChild(document.createTextNode(whole.slice(start + q.length)));
    return box;
  };

  Explorer.prototype.apply = function () {
    var self = this, data = this.data, size = data.pageRows;
    this.matched = this.matching();
    var pages = Math.max(1, Math.ceil(this.matched.length / size));
    this.page = Math.min(this.page, pages);
    var first = (this.page - 1) * size, shown = this.matched.slice(first, first + size);
    var body = document.createElement("tbody"), rows = this.rows;
    shown.forEach(function (i) {
      var tr = body.appendChild(make("tr"));
      self.visible.forEach(function (v) { tr.appendChild(self.cell(v, rows[i])); });
    });
    this.table.replaceChild(body, this.table.tBodies[0]);
    var desc = this.sort[0] === "-", key = desc ? this.sort.slice(1) : this.sort;
    this.table.tHead.rows[0].querySelectorAll("th").forEach(function (th, i) {
      th.classList.remove("asc", "desc");
      if (self.visible[i].key === key) { th.classList.add(desc ? "desc" : "asc"); }
    });
    var n = this.matched.length, all = this.rows.length;
    var what = n === all ? all.toLocaleString("en") + " rows" :
      n.toLocaleString("en") + " of " + all.toLocaleString("en") + " rows match";
    this.status.textContent = (n ? "Rows " + (first + 1).toLocaleString("en") + "–" +
      (first + shown.length).toLocaleString("en") + " shown; " : "No row shown; ") + what + "." +
      (data.total > all ? " This page holds rows " + data.first.toLocaleString("en") + "–" +
       (data.first + all - 1).toLocaleString("en") + " of the list's " +
       data.total.toLocaleString("en") + "; search and filters apply to them." : "");
    this.download.textContent = "Download CSV (" + n.toLocaleString("en") + (n === 1 ? " row)" : " rows)");
    this.docBox.textContent = "";
    this.docs.forEach(function (id) {
      var chip = self.docBox.appendChild(make("button", "chip"));
      chip.type = "button";
      chip.title = "Remove this filter";
      chip.appendChild(document.createTextNode("Document "));
      chip.appendChild(bdi(id));
      chip.appendChild(document.createTextNode(" ✕"));
      chip.addEventListener("click", function () {
        self.docs = self.docs.filter(function (d) { return d !== id; });
        self.changed();
      });
    });
    this.drawPager(pages);
  };

  Explorer.prototype.drawPager = function (pages) {
    var self = this;
    this.pager.textContent = "";
    if (pages < 2) { return; }
    [["«", 1], ["‹", this.page - 1], ["›", this.page + 1], ["»", pages]].forEach(function (b, k) {
      var button = make("button", "", b[0]);
      button.type = "button";
      button.disabled = b[1] < 1 || b[1] > pages || b[1] === self.page;
      button.addEventListener("click", function () {
        self.page = b[1];
        self.apply();
        writeHash();
      });
      self.pager.appendChild(button);
      if (k === 1) { self.pager.appendChild(make("span", "", " page " + self.page + " of " + pages + " ")); }
    });
  };

  Explorer.prototype.csv = function () {
    var data = this.data, header = [], getters = [], first = this.docCols[0];
    data.columns.forEach(function (c, k) {
      if (c.type === "link") { return; }
      header.push(c.key);
      if (c.type === "doc") {
        getters.push(function (r) { return r[k] === null ? null : data.docs[r[k]][0]; });
        if (data.showFields && k !== first) { return; }
        data.fields.forEach(function (f, j) {
          header.push(data.showFields ? f.name : c.key + "." + f.name);
          getters.push(function (r) { return r[k] === null ? null : data.docs[r[k]][1 + j]; });
        });
      } else if (c.type === "snip") {
        getters.push(function (r) { return r[k] === null ? null : data.strings[r[k]]; });
      } else { getters.push(function (r) { return r[k]; }); }
    });
    var rows = this.rows, out = this.matched.map(function (i) {
      return getters.map(function (g) { return g(rows[i]); });
    });
    var filtered = this.matched.length < rows.length;
    window.reuseCsv(data.name + (filtered ? "-filtered" : "") + ".csv", header, out);
  };

  var explorers = [];
  function writeHash() {
    var params = new URLSearchParams();
    explorers.forEach(function (e) { e.save(params); });
    var text = params.toString(), base = location.href.split("#")[0];
    if (("#" + text) !== location.hash && (text || location.hash)) {
      history.replaceState(null, "", text ? "#" + text : base);
    }
  }
  function readHash(scroll) {
    var params = new URLSearchParams(location.hash.slice(1)), target = null;
    explorers.forEach(function (e) {
      if (e.load(params) && !target) { target = e; }
      e.apply();
    });
    if (scroll && target) { target.section.scrollIntoView({block: "start"}); }
  }
  document.querySelectorAll("section.explorer").forEach(function (section) {
    explorers.push(new Explorer(section));
  });
  readHash(true);
  window.addEventListener("hashchange", function () { readHash(true); });
  window.reuseExplorers = explorers;
  performance.mark("reuse-ready");
}());
