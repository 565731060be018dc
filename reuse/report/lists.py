"""The report's tables as data: what its pages search, filter, sort and download as CSV.

An explorer table is one JSON object embedded in its page in a ``<script
type="application/json">`` element, which the browser does not run (so the page's
Content-Security-Policy needs no hash for it): the columns, the rows as arrays, and the
documents and strings that the rows refer to by number (a pair list names each document and
each snippet once). ``static/explore.js`` draws the table from it, a page of ``PAGE_ROWS`` rows
at a time; the page also carries those first rows as plain HTML, which is what a reader without
JavaScript sees. The JSON is escaped so that it cannot end its ``<script>`` element or reorder
the text around it (:func:`script_json`).

Column types: ``doc`` (a number into the page's documents: shown as the id, searched by the
search box, filtered by the documents' metadata fields), ``snip`` (a number into the page's
strings: a passage's text, searched), ``text``, ``int``, ``num`` (3 decimals), ``pct`` (a share
in [0, 1], shown and filtered in percent), ``date`` (ISO text, filtered by prefix ranges),
``cat`` (a few distinct values: a menu), ``flag`` (true/false) and ``link`` (a number into the
strings: a page path relative to the site's root, used by the column that names it in ``link``).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd
from markupsafe import Markup

from ..cluster.documents import parse_dates
from .highlight import bdi

PAGE_ROWS = 50  # rows a table shows at a time (more make each redraw slower)
MAX_FIELDS = 12  # metadata fields offered as columns and filters
FIELD_CHARS = 200  # of a metadata value in a table
CATEGORY_VALUES = 40  # a field with at most this many distinct values gets a menu
# of a passage's text that a list holds and searches (its two ends): 500 keeps the list of
# the 23,000 passage pairs of five Bible versions at about 20 MB (1000 made it 30 MB). Each
# end must be longer than the snippet's (SNIPPET_HEAD), or a snippet would show two " … ".
SEARCH_CHARS = 500
SNIPPET_CHARS = 240  # a passage up to this long is shown whole in a list ...
SNIPPET_HEAD, SNIPPET_TAIL = 160, 60  # ... a longer one as its beginning and end

# Inside <script>: "<" could end the element, U+2028/2029 end a line in older JavaScript, and
# bidi controls in raw text could reorder what a reader of the source sees. Lone surrogates
# cannot be written as UTF-8.
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                            "\ud800-\udfff]")


def script_json(value: Any) -> Markup:
    """``value`` as JSON that is safe as the content of a ``<script type="application/json">``
    element: ``<``, ``>``, ``&``, U+2028/2029, bidi controls and lone surrogates are written as
    ``\\uXXXX`` escapes; NaN and infinities are not allowed (write None)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return Markup(_SCRIPT_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def _cut(text: str, limit: int, *, tail: bool) -> str:
    """The first (or last) ``limit`` characters of whitespace-collapsed ``text``, cut at a
    space unless that would lose more than a third of them."""
    if not tail:
        piece = text[:limit + 1]
        space = piece.rfind(" ")
        return (piece[:space] if space > limit * 2 // 3 else piece[:-1]).rstrip()
    piece = text[len(text) - limit - 1:]
    space = piece.find(" ")
    return (piece[space + 1:] if -1 < space < limit // 3 else piece[1:]).lstrip()


def passage_text(text: str, start: int, end: int) -> str:
    """What a list holds of the passage ``text[start:end]``, whitespace collapsed: all of it up
    to ``SEARCH_CHARS`` characters, else about its first and last ``SEARCH_CHARS // 2``
    around " … " (read from bounded slices, so a huge passage costs no more than a small
    one). The search box looks in this text; the table shows its :func:`snippet`."""
    half = SEARCH_CHARS // 2
    reach = 4 * SEARCH_CHARS
    if end - start <= reach:
        whole = " ".join(text[start:end].split())
        if len(whole) <= SEARCH_CHARS:
            return whole
        head = tail = whole
    else:
        head = " ".join(text[start:start + reach].split())
        tail = " ".join(text[end - reach:end].split())
    return _cut(head, half, tail=False) + " … " + _cut(tail, half, tail=True)


def snippet(text: str) -> str:
    """A passage's text as a table shows it: whole up to ``SNIPPET_CHARS`` characters, else
    its first ``SNIPPET_HEAD`` and last ``SNIPPET_TAIL`` around " … " (explore.js cuts
    alike)."""
    if len(text) <= SNIPPET_CHARS:
        return text
    return _cut(text, SNIPPET_HEAD, tail=False) + " … " + _cut(text, SNIPPET_TAIL, tail=True)


def share_text(share: float) -> str:
    """A share in percent with one decimal; never "0.0%" for a share above zero nor "100.0%"
    for one below one."""
    if 0 < share < 0.0005:
        return "<0.1%"
    if 0.9995 <= share < 1:
        return ">99.9%"
    return f"{100 * share:.1f}%"


# --- metadata fields -------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A metadata field offered as a column and a filter: ``type`` is ``date`` (ISO dates,
    ranges), ``num``, ``cat`` (a menu of ``values``) or ``text``."""

    name: str
    type: str
    values: tuple[str, ...] = ()


def _field_text(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return text if len(text) <= FIELD_CHARS else text[:FIELD_CHARS - 1] + "…"


def _is_number(value: Any) -> bool:
    """A value the page can filter as a number: a finite float, or an integer a JavaScript
    number holds exactly (ingest keeps larger integers exact; they are shown as text)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= 2**53
    return isinstance(value, float) and math.isfinite(value)


def iso_dates(values: Sequence[Any]) -> list[str | None]:
    """Each value as an ISO date (``YYYY-MM-DD``, UTC), or None where it does not parse."""
    stamps = parse_dates(list(values))
    return [None if pd.isna(s) else s.strftime("%Y-%m-%d") for s in stamps]


def document_fields(metadata: Mapping[str, Mapping[str, Any]], date_field: str | None
                    ) -> list[Field]:
    """The metadata fields worth a column and a filter: the ``MAX_FIELDS`` most frequent (the
    date field first), each with the kind of filter its values allow."""
    counts: Counter[str] = Counter()
    for meta in metadata.values():
        counts.update(k for k, v in meta.items() if v is not None)
    names = sorted(counts, key=lambda k: (k != date_field, -counts[k], k))[:MAX_FIELDS]
    fields = []
    for name in names:
        values = [meta[name] for meta in metadata.values() if meta.get(name) is not None]
        if name == date_field and any(d is not None for d in iso_dates(values[:1000])):
            fields.append(Field(name, "date"))
        elif all(_is_number(v) for v in values):
            fields.append(Field(name, "num"))
        else:
            distinct = {_field_text(v) for v in values}
            if len(distinct) <= CATEGORY_VALUES:
                fields.append(Field(name, "cat", tuple(sorted(distinct))))
            else:
                fields.append(Field(name, "text"))
    return fields


class Documents:
    """The documents that the tables of a site refer to, with their field values."""

    def __init__(self, metadata: Mapping[str, Mapping[str, Any]], fields: Sequence[Field]
                 ) -> None:
        self.fields = list(fields)
        self.values: dict[str, list[Any]] = {}
        ids = list(metadata)
        columns = []
        for f in self.fields:
            raw = [metadata[d].get(f.name) for d in ids]
            if f.type == "date":
                parsed = iso_dates(raw)
                columns.append([p if p is not None or r is None else _field_text(r)
                                for p, r in zip(parsed, raw, strict=True)])
            elif f.type == "num":
                columns.append([v if _is_number(v) else None for v in raw])
            else:
                columns.append([None if v is None else _field_text(v) for v in raw])
        for k, doc in enumerate(ids):
            self.values[doc] = [column[k] for column in columns]

    def spec(self) -> list[dict[str, Any]]:
        return [{"name": f.name, "type": f.type, **({"values": list(f.values)} if f.values
                                                   else {})} for f in self.fields]


# --- explorer tables -------------------------------------------------------------------------


@dataclass
class Column:
    """One column: ``key`` names it in the CSV and the URL, ``label`` heads it on the page."""

    key: str
    label: str
    type: str
    link: str | None = None  # key of the link column this column's cells point to
    anchor: str | None = None  # key of the column whose value is appended as "#p<value>"
    hidden: bool = False  # in the CSV only
    title: str = ""  # the heading's tooltip: what the column means
    filter: bool = True  # a range or menu control (numbers, dates, menus)

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "label": self.label, "type": self.type}
        for name in ("link", "anchor", "title"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.hidden:
            out["hidden"] = True
        if not self.filter:
            out["filter"] = False
        return out


@dataclass
class Explorer:
    """A table of a page: its columns and rows, and the documents and strings they refer to.

    ``name`` prefixes the table's state in the page's URL fragment (``#pairs.q=...``) and names
    its CSV. ``fields`` shows the documents' metadata as columns (the documents table); every
    table with a ``doc`` column filters on them. ``compact`` offers only the search box.
    """

    name: str
    columns: list[Column]
    documents: Documents
    root: str  # from the page to the site's root ("", "../")
    search: str = "Search ids"
    fields: bool = False
    compact: bool = False
    total: int | None = None  # rows in all parts of a list split over several pages
    first: int = 1  # number of this part's first row in the whole list
    doc_link: str | None = None  # the documents' link: root + doc_link + the encoded id ...
    doc_link_if: str | None = None  # ... in the rows where this column is not 0
    rows: list[list[Any]] = field(default_factory=list)
    _docs: dict[str, int] = field(default_factory=dict)
    _doc_ids: list[str] = field(default_factory=list)
    _strings: dict[str, int] = field(default_factory=dict)

    def doc(self, doc_id: str | None) -> int | None:
        if doc_id is None:
            return None
        if doc_id not in self._docs:
            self._docs[doc_id] = len(self._doc_ids)
            self._doc_ids.append(doc_id)
        return self._docs[doc_id]

    def string(self, text: str | None) -> int | None:
        if text is None:
            return None
        if text not in self._strings:
            self._strings[text] = len(self._strings)
        return self._strings[text]

    def add(self, row: Iterable[Any]) -> None:
        self.rows.append([_plain(v) for v in row])

    def payload(self) -> dict[str, Any]:
        return {
            "name": self.name, "root": self.root, "search": self.search,
            "columns": [c.spec() for c in self.columns], "rows": self.rows,
            "docs": [[d, *self.documents.values.get(d, [])] for d in self._doc_ids],
            "fields": self.documents.spec(), "showFields": self.fields,
            "strings": list(self._strings), "compact": self.compact,
            "total": len(self.rows) if self.total is None else self.total, "first": self.first,
            "docLink": self.doc_link, "docLinkIf": self.doc_link_if, "pageRows": PAGE_ROWS,
            "snippet": [SNIPPET_CHARS, SNIPPET_HEAD, SNIPPET_TAIL],
        }

    def data(self) -> Markup:
        return script_json(self.payload())

    # what a reader without JavaScript sees: the first page of rows as HTML -----------------

    def headings(self) -> list[dict[str, Any]]:
        heads = []
        for c in self.columns:
            if c.hidden or c.type == "link":
                continue
            heads.append({"label": c.label, "title": c.title, "field": False,
                          "num": c.type in ("int", "num", "pct")})
            if self._shows_fields(c):
                heads += [{"label": f.name, "title": "", "num": f.type == "num",
                           "field": True} for f in self.documents.fields]
        return heads

    def static_rows(self) -> list[list[Markup]]:
        strings = list(self._strings)
        keys = {c.key: k for k, c in enumerate(self.columns)}
        out = []
        for row in self.rows[:PAGE_ROWS]:
            cells = []
            for k, c in enumerate(self.columns):
                if c.hidden or c.type == "link":
                    continue
                cells.append(self._cell(c, row[k], row, keys, strings))
                if self._shows_fields(c):
                    values = self.documents.values.get(self._doc_ids[row[k]], []) \
                        if row[k] is not None else []
                    for f, v in zip(self.documents.fields, values, strict=True):
                        cells.append(Markup('<td class="num">{}</td>').format(_number(v))
                                     if f.type == "num" else
                                     Markup("<td>{}</td>").format(bdi("" if v is None else v)))
            out.append(cells)
        return out

    def _shows_fields(self, c: Column) -> bool:
        """The documents' fields follow the first document column of a documents table."""
        return self.fields and c is next(x for x in self.columns if x.type == "doc")

    def _cell(self, c: Column, value: Any, row: list[Any], keys: dict[str, int],
              strings: list[str]) -> Markup:
        if value is None:
            return Markup('<td class="num"></td>' if c.type in ("int", "num", "pct")
                          else "<td></td>")
        if c.type == "doc":
            doc_id = self._doc_ids[value]
            inner = bdi(doc_id)
            href = None
            if c.link is not None and row[keys[c.link]] is not None:
                href = self.root + strings[row[keys[c.link]]]
                if c.anchor is not None:
                    href += f"#p{row[keys[c.anchor]]}"
            elif self.doc_link is not None and c.link is None and (
                    self.doc_link_if is None or row[keys[self.doc_link_if]]):
                href = self.root + self.doc_link + quote(doc_id, safe="")
            if href is not None:
                inner = Markup('<a href="{}">{}</a>').format(href, inner)
            return Markup('<td class="id">{}</td>').format(inner)
        if c.type in ("int", "num", "pct"):
            shown = share_text(value) if c.type == "pct" else (
                f"{value:.3f}" if c.type == "num" else str(value))
            if c.link is not None and row[keys[c.link]] is not None:
                return Markup('<td class="num"><a href="{}">{}</a></td>').format(
                    self.root + strings[row[keys[c.link]]], shown)
            return Markup('<td class="num">{}</td>').format(shown)
        if c.type == "flag":
            return Markup("<td>{}</td>").format(Markup('<span class="flag {}">{}</span>').format(
                c.key, c.label.lower()) if value else "")
        if c.type == "snip":
            return Markup('<td class="snip">{}</td>').format(bdi(snippet(strings[value])))
        return Markup("<td>{}</td>").format(bdi(str(value)))


def _plain(value: Any) -> Any:
    """A value as JSON can hold it: numpy scalars as Python numbers, NaN as None, shares
    rounded to 6 decimals."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(value) else round(float(value), 6)
    if value is pd.NaT or value is pd.NA:
        return None
    return value


def _number(value: Any) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
