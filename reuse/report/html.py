"""A run folder → the report people read: reuse matrix, heatmap and a self-contained HTML site.

:func:`render_report` reads a complete run folder and writes into it:

- ``matrix.csv``: the document × document reuse matrix (cell ``[i][j]`` is the share of
  document *i*'s characters reused in document *j*; empty on the diagonal). Up to
  ``max_csv_docs`` documents: all of them when there are that few, else the most reusing ones.
- ``pair_reuse.<format>``: the sparse long-format table of every pair with an alignment, in the
  run's table format, added to ``manifest.json``'s tables.
- ``heatmap.png``: the matrix of the (at most ``max_matrix_docs``) most reusing documents,
  ordered by hierarchical clustering so that blocks of mutual reuse sit together.
- With ``group_by``: ``group_matrix.csv`` and ``group_heatmap.png``, the matrix aggregated by
  that metadata field.
- ``html/``: ``index.html`` (counts; histograms of pair similarity and of the documents'
  reused shares, and with dates a timeline of first appearances (:mod:`.charts`); the group
  matrix, then the document matrix; a table of every document; the top pairs, near-duplicate
  clusters and passage clusters), ``html/pairs/*.html`` (one page per document pair with an
  alignment or a near-duplicate verdict, for the first ``max_pair_pages`` pairs, opening at
  its first passage; a document over 20,000 characters shows the ends of its passages with
  context, and the rest on demand from its whole text embedded compressed, so that a page
  opens at once), ``html/passages/*.html`` (one page per passage cluster) and
  ``html/lists/*.html``
  (every document pair, passage pair, passage cluster and near-duplicate cluster, in parts of
  at most ``max_list_rows`` rows). Every table searches, filters, sorts and downloads itself as
  CSV in the page, from its rows embedded as JSON (:mod:`.lists`, ``static/explore.js``). The
  site makes no network request: CSS and JavaScript are inline, and a Content-Security-Policy
  allows only our own scripts, by hash.

The document texts are not stored in a run folder: they are read again from the input named in
the manifest, and the input's fingerprint must match the one recorded by the run.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import hashlib
import html
import itertools
import json
import os
import re
import shutil
import time
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..common.progress import progress, ticking
from ..common.validation import Range, check_parameter
from ..engine import ordered_map, resolve_workers
from ..errors import ConfigError, RunFolderError, printable
from ..ingest import (
    Corpus,
    check_fingerprint_scheme,
    path_from_manifest,
    read_corpus,
    read_options,
)
from ..runfolder import folder as runfolder
from ..runfolder import tables
from ..text.tokenize import Tokens, tokenize
from . import charts, highlight
from .highlight import (
    FSI,
    PDI,
    RenderedText,
    SideMarks,
    bdi,
    bidi_padding,
    colour_index,
    document_diff,
    excerpt,
    isolate,
    mark_alignment,
    marks_payload,
    oriented_alignments,
    passage_colours,
    render_side,
    text_payload,
    too_long_to_diff,
)
from .lists import (
    SEARCH_CHARS,
    SNIPPET_CHARS,
    Column,
    Documents,
    Explorer,
    document_fields,
    iso_dates,
    passage_text,
    script_json,
    share_text,
    snippet,
)
from .matrix import NO_GROUP, cluster_order, document_reuse, most_reusing, pair_reuse, reuse_matrix
from .summary import count_rows

HERE = Path(__file__).resolve().parent
HTML_DIR = "html"
MAX_LIST_ROWS = 100_000  # rows of a list page (a longer list is split into parts)
# Pair pages written (the pairs with the largest shares first; every pair is in the lists). A
# page holds both whole texts, compressed, so a page costs about 0.4 x its two documents.
MAX_PAIR_PAGES = 50
MAX_OCCURRENCES_SHOWN = 1000
MAX_MEMBERS_SHOWN = 20
CONTEXT_CHARS = 25  # either side of an occurrence on a passage page
MAX_VALUE_CHARS = 2000  # of a metadata value on a page
PASSAGE_TEXT_CHARS = 2_000  # of a passage's text on its page: the beginning and the end

# Share thresholds of the heatmap colour levels h1..h8 (h0 is "no reuse").
LEVELS = np.array([0.05, 0.10, 0.20, 0.30, 0.45, 0.60, 0.80])
LEVEL_LABELS = ["<5%", "5%", "10%", "20%", "30%", "45%", "60%", "≥80%"]
HEATMAP_LABELS = 250  # rows of heatmap.png that can be labelled legibly
MIN_CELL = 6  # pixels of a matrix cell on the index ...
MATRIX_PIXELS = 880  # ... whose cells share this width, so that 100 documents fit a screen


def render_report(
    run_dir: str | os.PathLike[str],
    *,
    group_by: str | None = None,
    max_matrix_docs: int = 100,
    top_pairs: int = 200,
    max_csv_docs: int = 2000,
    max_list_rows: int = MAX_LIST_ROWS,
    date_field: str | None = None,
    max_pair_pages: int = MAX_PAIR_PAGES,
    workers: int | None = None,
    quiet: bool = True,
) -> Path:
    """Write the matrix, heatmap, pair table and HTML site of a run folder; returns index.html.

    ``group_by`` names a metadata field (e.g. ``source``) to aggregate the matrix by.
    ``max_matrix_docs`` caps the documents in the HTML matrix and heatmap (the most reusing are
    shown, and the page says so); ``top_pairs`` is the number of pairs, passages and clusters
    listed on the index (all of them are in the lists); ``max_csv_docs`` caps the rows
    and columns of ``matrix.csv`` (the ``pair_reuse`` table always covers every pair).
    ``max_list_rows`` bounds the rows embedded in one page (the documents table of the index,
    and each list page: a longer list is split into parts of that many rows, each searched and
    filtered on its own). ``date_field`` names the metadata field that dates the documents
    (default: the run's ``date_field`` in the manifest's config, else ``date``): it gives the
    timeline of first appearances and date-range filters. ``max_pair_pages`` caps the pair
    pages: the pairs first in the pair list (largest share first), then near-duplicate pairs
    without an alignment, get one; the others are in the lists without a page. ``workers``
    processes (default: every core) render the pair and passage pages; the files are the same
    for any number. ``quiet`` hides the progress bars (shown on a terminal only).

    The run folder is locked while the report is written (:func:`reuse.runfolder.folder.claim`). The
    old report is removed first and the manifest says ``"report": null`` until the new one is
    complete; a failure removes what was written of it, and an OSError is a RunFolderError.
    """
    started = time.perf_counter()
    workers = resolve_workers(workers, "render_report")
    for name, value, low in (("max_matrix_docs", max_matrix_docs, 2), ("top_pairs", top_pairs, 1),
                             ("max_csv_docs", max_csv_docs, 2),
                             ("max_list_rows", max_list_rows, 1),
                             ("max_pair_pages", max_pair_pages, 0)):
        check_parameter(name, value, Range(int, low), "render_report")
    # The folder stays locked until the report is complete, also against a `reuse run` into it.
    with runfolder.claim(run_dir, create=False) as owned:
        return _render_claimed(owned, started, group_by, max_matrix_docs, top_pairs,
                               max_csv_docs, max_list_rows, date_field, max_pair_pages, quiet,
                               workers)


def _render_claimed(owned: runfolder.RunFolder, started: float, group_by: str | None,
                    max_matrix_docs: int, top_pairs: int, max_csv_docs: int,
                    max_list_rows: int, date_field: str | None, max_pair_pages: int,
                    quiet: bool, workers: int) -> Path:
    folder = owned.path
    manifest = tables.read_manifest(folder)
    timings: dict[str, float] = {}
    with _timed(timings, "read"), ticking("report: read the input", quiet):
        corpus = reread_input(folder, manifest)
        run = RunData.load(folder, manifest, corpus)
        groups = run.group_series(group_by) if group_by is not None else None

    # Until the new report is complete, the manifest says that there is none, and the old one
    # (which may describe another input or options) is gone; a failure removes what was written.
    tables.write_manifest(folder, tables.manifest_without_report(manifest))
    with owned.writing_report():
        owned.remove_report()
        with _timed(timings, "matrix"), ticking("report: matrix", quiet):
            pairs, view, group_view, pair_table, heatmap_note = write_matrices(
                folder, run, groups, group_by, _table_format(manifest), max_csv_docs,
                max_matrix_docs)
        if date_field is None:
            configured = manifest.get("config", {}).get("date_field")
            date_field = configured if isinstance(configured, str) else "date"
        site = Site(folder, run, pairs, manifest, timings, date_field=date_field,
                    max_list_rows=max_list_rows, max_pair_pages=max_pair_pages, quiet=quiet,
                    workers=workers)
        site.write(view, group_view, group_by, len(run.documents), max_matrix_docs, top_pairs,
                   pair_table, csv_note(len(run.documents), max_csv_docs), heatmap_note)

        manifest = tables.manifest_without_report(manifest)
        manifest["tables"] = {**manifest["tables"], "pair_reuse": pair_table}
        manifest["report"] = {
            "index": f"{HTML_DIR}/index.html", "matrix": "matrix.csv", "heatmap": "heatmap.png",
            "group_by": group_by,
            "group_matrix": "group_matrix.csv" if groups is not None else None,
            "max_matrix_docs": max_matrix_docs, "max_list_rows": max_list_rows,
            "max_pair_pages": max_pair_pages,
            "heatmap_labels": heatmap_note is None,
            "date_field": date_field, "pair_pages": len(site.pair_pages),
            "passage_pages": site.n_passage_pages,
            "seconds": round(time.perf_counter() - started, 3),
            "timings": {k: round(v, 3) for k, v in timings.items()},
        }
        tables.write_manifest(folder, manifest)
    return folder / HTML_DIR / "index.html"


def write_matrices(
    folder: Path, run: RunData, groups: pd.Series | None, group_by: str | None, fmt: str,
    max_csv_docs: int, max_matrix_docs: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, str, str | None]:
    """Write the pair table, matrix.csv and the heatmaps; return what the site shows (and why
    heatmap.png has no labels, if it has none)."""
    pairs = pair_reuse(run.alignments, run.documents)
    pair_table = tables.write_table(folder, "pair_reuse", pairs, fmt)
    n_docs = len(run.documents)
    csv_labels = None if n_docs <= max_csv_docs else most_reusing(pairs, max_csv_docs)
    doc_matrix = reuse_matrix(run.alignments, run.documents, labels=csv_labels).dense
    _write_csv(folder / "matrix.csv", doc_matrix)
    view_labels = (run.documents["doc_id"].tolist() if n_docs <= max_matrix_docs
                   else most_reusing(pairs, max_matrix_docs))
    if csv_labels is None or set(view_labels) <= set(csv_labels):
        view = doc_matrix.loc[view_labels, view_labels]
    else:
        view = reuse_matrix(run.alignments, run.documents, labels=view_labels).dense
    order = cluster_order(view.to_numpy())
    view = view.iloc[order, order]
    heatmap_note = write_heatmap(view, folder / "heatmap.png", "Reuse between documents")
    group_view = None
    if groups is not None:
        group_view = reuse_matrix(run.alignments, run.documents, groups=groups).dense
        _write_csv(folder / "group_matrix.csv", group_view)
        write_heatmap(group_view, folder / "group_heatmap.png", f"Reuse by {group_by}")
    return pairs, view, group_view, pair_table, heatmap_note


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def csv_note(n_docs: int, max_csv_docs: int) -> str:
    if n_docs <= max_csv_docs:
        return ""
    return (f"the {max_csv_docs} most reusing of {n_docs} documents; every pair is in the "
            "pair_reuse table")


def _table_format(manifest: dict[str, Any]) -> str:
    name = manifest.get("tables", {}).get("documents", "documents.parquet")
    return name.rsplit(".", 1)[-1] if name.rsplit(".", 1)[-1] in tables.FORMATS else "parquet"


def reread_input(folder: Path, manifest: dict[str, Any]) -> Corpus:
    """Read the run's input again and check that it is the input the run saw."""
    spec = manifest.get("input") or {}
    path = path_from_manifest(spec)
    if not path:
        raise RunFolderError(
            f"{folder}: the manifest names no input path (the run was given an in-memory "
            "corpus), and the report needs the document texts. Run it on a file or folder."
        )
    if not Path(path).exists():
        raise RunFolderError(
            f"{folder}: the run's input {spec['path']} no longer exists (relative paths are read from "
            "the current directory). Run the report from where the run was started, or restore "
            "the input."
        )
    check_fingerprint_scheme(spec, folder)
    corpus = read_corpus(path, **read_options(spec, manifest.get("counts")))
    fingerprint = "sha256:" + corpus.fingerprint()
    if spec.get("fingerprint") and fingerprint != spec["fingerprint"]:
        raise RunFolderError(
            f"{folder}: the input {spec['path']} changed since the run (fingerprint {fingerprint}, the "
            f"run saw {spec['fingerprint']}). Run the pipeline again on the current input."
        )
    return corpus


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in tables.TABLES[name]})


_KEPT_TEXT_CHARS = 32_000_000


class TextsById(Mapping[str, str]):
    """The texts of a corpus by document id, each read from the corpus when asked for (a
    corpus read from a file keeps its texts on disk). The texts read last are kept, up to
    ``_KEPT_TEXT_CHARS`` characters, for pages that show one text many times."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.position = {doc_id: i for i, doc_id in enumerate(corpus.ids)}
        self.kept: OrderedDict[str, str] = OrderedDict()
        self.kept_chars = 0

    def __getitem__(self, doc_id: str) -> str:
        text = self.kept.get(doc_id)
        if text is not None:
            self.kept.move_to_end(doc_id)
            return text
        text = self.corpus.texts[self.position[doc_id]]
        self.kept[doc_id] = text
        self.kept_chars += len(text)
        while self.kept_chars > _KEPT_TEXT_CHARS and len(self.kept) > 1:
            self.kept_chars -= len(self.kept.popitem(last=False)[1])
        return text

    def __iter__(self) -> Iterator[str]:
        return iter(self.position)

    def __len__(self) -> int:
        return len(self.position)


@dataclass
class RunData:
    """The tables of a run folder and the texts and metadata of its documents."""

    documents: pd.DataFrame
    near_duplicates: pd.DataFrame
    clusters: pd.DataFrame
    alignments: pd.DataFrame
    passages: pd.DataFrame
    skipped: pd.DataFrame
    texts: Mapping[str, str]
    metadata: dict[str, dict[str, Any]]
    _tokens: dict[str, Tokens] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path, manifest: dict[str, Any], corpus: Corpus) -> RunData:
        listed = manifest.get("tables", {})
        if "documents" not in listed:
            raise RunFolderError(f"{folder}: the run has no documents table; it cannot be reported")
        frames = {name: tables.read_table(folder, name) if name in listed else _empty(name)
                  for name in ("documents", "near_duplicates", "clusters", "alignments",
                               "passages", "skipped")}
        texts = TextsById(corpus)
        missing = set(frames["documents"]["doc_id"]) - texts.keys()
        if missing:
            raise RunFolderError(
                f"{folder}: {len(missing)} documents of the run are not in its input "
                f"(e.g. {sorted(missing)[0]!r}). Run the pipeline again on the current input."
            )
        for name in ("alignments", "passages"):
            frame = frames[name]
            for column in [c for c in frame.columns if c.endswith(("start", "end", "tokens",
                                                                    "n_docs", "passage_id"))]:
                frame[column] = frame[column].astype(np.int64)
        metadata = dict(zip(corpus.ids, corpus.metadata, strict=True))
        return cls(**frames, texts=texts, metadata=metadata)

    def tokens(self, doc_id: str) -> Tokens:
        if doc_id not in self._tokens:
            self._tokens[doc_id] = tokenize(self.texts[doc_id])
        return self._tokens[doc_id]

    def group_series(self, group_by: str) -> pd.Series:
        values = {doc: meta.get(group_by) for doc, meta in self.metadata.items()}
        if all(v is None for v in values.values()):
            fields = sorted({k for meta in self.metadata.values() for k in meta})
            raise ConfigError(
                f"The 'group_by' field {group_by!r} is not in any document's metadata. "
                f"Fields present: {', '.join(fields) if fields else 'none'}."
            )
        return pd.Series({doc: NO_GROUP if v is None else str(v) for doc, v in values.items()},
                         dtype=object)


def _write_csv(path: Path, matrix: pd.DataFrame) -> None:
    """The labelled matrix as CSV: a ``doc_id`` column, then one column per label; shares
    rounded to 6 decimals, the (not applicable) diagonal left empty."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    values = np.round(matrix.to_numpy(np.float64), 6)
    labels = [str(x) for x in matrix.index]
    columns = [pa.array(labels, type=pa.string())] + [
        pa.array(values[:, j], type=pa.float64(), from_pandas=True) for j in range(len(labels))]
    table = pa.Table.from_arrays(columns, names=["doc_id", *labels])
    runfolder.write_atomically(path, lambda temporary: pa_csv.write_csv(
        table, temporary, pa_csv.WriteOptions(quoting_style="needed")))


def write_heatmap(matrix: pd.DataFrame, path: Path, title: str) -> str | None:
    """A PNG heatmap of ``matrix`` (already ordered), labelled with ids when they fit.

    Up to ``HEATMAP_LABELS`` rows every row and column is labelled (the figure grows with the
    matrix, so that a label has 7 points up to 100 rows and at least 5 beyond); above that the
    image says why it has no labels, and so does the returned note (None when labelled). The
    layout is computed, not measured (``tight_layout`` would draw every label once more).

    Ids, group values and the ``group_by`` field in the title are data: every text is drawn
    verbatim, never parsed as mathtext (``$x^2$``) or TeX; control and format characters, which
    have no glyph, are drawn as escapes (``\\x1b``, ``\\u202e``, see :func:`printable`).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    n = len(matrix)
    labelled = 0 < n <= HEATMAP_LABELS
    note = None if labelled or n == 0 else (
        f"no labels: {n} documents are too many to label legibly (at most {HEATMAP_LABELS}); "
        "matrix.csv has the labelled values")
    # Inches. A label takes three quarters of its row: 7 points up to 100 rows, then smaller
    # down to 5 points at HEATMAP_LABELS rows; the plot grows to fit them.
    font = 7.0 if n <= 100 else max(5.0, 7.0 - 2.0 * (n - 100) / (HEATMAP_LABELS - 100))
    labels = [_short(printable(str(label)), 28) for label in matrix.index] if labelled else []
    label_width = 0.1 + 0.6 * font / 72 * max(map(len, labels)) if labels else 0.2
    plot = max(4.0, n * font / 72 / 0.75) if labelled else 10.0
    left = bottom = label_width + 0.45
    top, right = 0.45, 1.3
    width, height = left + plot + right, bottom + plot + top
    with matplotlib.rc_context({"text.usetex": False}):
        figure = plt.figure(figsize=(width, height), dpi=100)
        try:
            axes = figure.add_axes((left / width, bottom / height, plot / width, plot / height))
            if n == 0:
                axes.text(0.5, 0.5, "no document reuses another", ha="center", va="center")
                axes.set_axis_off()
            colours = matplotlib.colormaps["OrRd"].with_extremes(bad="#d9d9d9")
            values = matrix.to_numpy(np.float64) if n else np.full((1, 1), np.nan)
            image = axes.imshow(np.ma.masked_invalid(values), aspect="auto",
                                cmap=colours, vmin=0.0, vmax=1.0, interpolation="nearest")
            if labelled:
                axes.set_xticks(range(n), labels, rotation=90, fontsize=font, parse_math=False)
                axes.set_yticks(range(n), labels, fontsize=font, parse_math=False)
            else:
                axes.set_xticks([])
                axes.set_yticks([])
            if note is not None:
                figure.text(0.01, 0.01, f"No labels: {note[len('no labels: '):]}.",
                            fontsize=9, parse_math=False)
            axes.set_xlabel("reused in (column)")
            axes.set_ylabel("share of (row)")
            axes.set_title(f"{printable(title)} ({n} × {n})", parse_math=False)
            bar = figure.add_axes(((left + plot + 0.15) / width, bottom / height, 0.2 / width,
                                   plot / height))
            figure.colorbar(image, cax=bar, label="share of the row's text")
            for text in figure.findobj(Text):
                text.set_parse_math(False)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Glyph .* missing from",
                                        category=UserWarning)
                runfolder.write_atomically(path, lambda temporary: figure.savefig(
                    temporary, format="png", metadata={"Software": None}))
        finally:
            plt.close(figure)
    return note


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --- file names ---------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def slug(text: str, width: int = 40) -> str:
    """A file-name-safe, readable fragment of an id: letters, digits, '_' and '-' only."""
    return _UNSAFE.sub("-", text).strip("-_")[:width].strip("-_") or "doc"


def pair_page_name(a_id: str, b_id: str) -> str:
    """File name of a pair's page: readable slugs plus a hash of both ids, so ids that slug alike
    (or contain '/', '..', or 300 characters) still get distinct names inside the site."""
    digest = hashlib.sha256(f"{a_id}\x00{b_id}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"{slug(a_id, 30)}__{slug(b_id, 30)}-{digest[:16]}.html"


# --- the site ------------------------------------------------------------------------------


@cache
def asset_text(name: str) -> str:
    """A file of ``static/`` as pages embed it: scripts without their comment lines and
    indentation (every page carries its scripts, and a report can have thousands of pages)."""
    text = (HERE / "static" / name).read_text(encoding="utf-8")
    if name.endswith(".js"):
        lines = (line.strip() for line in text.splitlines())
        text = "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"
    return text



def _script_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(scripts: list[str]) -> str:
    script_src = " ".join(_script_hash(s) for s in scripts) or "'none'"
    return ("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
            f"script-src {script_src}; base-uri 'none'; form-action 'none'")


@cache
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=False, keep_trailing_newline=True)
    # Ids, metadata and text are shown with `|bdi` in element content and `|isolated` in
    # attributes, so that right-to-left marks in one cannot reorder the text around it.
    env.filters["bdi"] = bdi
    env.filters["isolated"] = isolate
    return env


def _level(share: float) -> int:
    return int(np.searchsorted(LEVELS, share, side="right")) + 1


def _display(value: Any) -> str:
    """A metadata value as shown on a page: JSON for lists and objects, and at most
    ``MAX_VALUE_CHARS`` characters."""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    if len(text) > MAX_VALUE_CHARS:
        return f"{text[:MAX_VALUE_CHARS]}… ({len(text) - MAX_VALUE_CHARS:,} more characters)"
    return text


def _collapse_notes(letter: str, n_chars: int, rendered: RenderedText, side: SideMarks
                    ) -> list[str]:
    """What a pair page says about a side that it does not show whole."""
    notes = []
    if rendered.collapsed and not side.passages:
        notes.append(
            f"{letter} has {n_chars:,} characters, more than {highlight.LONG_TEXT_CHARS:,}: "
            f"this page shows its first {rendered.shown_chars:,}.")
    elif rendered.collapsed:
        notes.append(
            f"{letter} has {n_chars:,} characters, more than {highlight.LONG_TEXT_CHARS:,}: "
            f"this page shows {rendered.shown_chars:,} of them, up to {rendered.edge:,} characters either "
            "side of where each passage begins and ends. Each stretch in between is a marker "
            "“[… n characters not shown …]” whose tooltip gives its offsets: click it to show "
            "that stretch, or “Show the whole text” to show all of them.")
    if rendered.unwindowed:
        notes.append(
            f"Only the first {highlight.MAX_PASSAGES_SHOWN:,} passages are shown in {letter}; "
            f"the other {rendered.unwindowed:,} lie in the stretches not shown.")
    if rendered.cut_at is not None:
        hidden = sum(1 for _, start, _ in side.passages if start >= rendered.cut_at)
        notes.append(
            f"This page shows at most {highlight.MAX_SHOWN_CHARS:,} characters of each "
            f"document (and {highlight.MAX_SIDE_MARKUP:,} characters of markup): {letter} is "
            f"not shown from offset {rendered.cut_at:,} on"
            + (f", where {hidden:,} of its passages begin" if hidden else "")
            + ". Click the marker to show the rest.")
    return notes


def _context(before: str, inside: str, after: str) -> Markup:
    """An occurrence in its context as one isolated run: a right-to-left document reads on
    across the three pieces, and nothing in them reaches the rest of the table row."""
    stray, unclosed = bidi_padding(before + inside + after)
    return Markup(f"<bdi>{FSI * stray}{html.escape(before, quote=False)}"
                  f"<b>{html.escape(inside, quote=False)}</b>"
                  f"{html.escape(after, quote=False)}{PDI * unclosed}</bdi>")


def _pct(share: float) -> str:
    return share_text(share)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def cell_text(share: float) -> str:
    """A matrix cell's value in whole percent: "<1" for a share above zero that rounds to 0,
    ">99" for one below one that rounds to 100."""
    if 0 < share < 0.01:
        return "<1"
    if 0.99 < share < 1:
        return ">99"
    return f"{100 * share:.0f}"


def _remove(path: Path) -> None:
    """Remove a file, a symlink (not what it points to) or a folder tree, if it exists."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path)


def _swap_in(staging: Path, final: Path, old: Path) -> None:
    """Rename the finished ``staging`` folder to ``final``; a report already there is moved to
    ``old`` (removed by the caller), and put back if the new one cannot take its place."""
    moved = False
    if final.is_symlink() or final.exists():
        final.rename(old)
        moved = True
    try:
        staging.rename(final)
    except BaseException:
        if moved:
            with contextlib.suppress(OSError):
                old.rename(final)
        raise


def render_page(template: str, root: str, scripts: tuple[str, ...] = (), **context: Any
                ) -> str:
    """A page of the site: ``template`` rendered with ``context``, its style and its
    ``scripts`` inline, and the Content-Security-Policy allowing them."""
    bodies = [asset_text(s) for s in scripts]
    # Each page carries only the style it uses: the tables' and pictures' where there are
    # tables, the texts' and marks' on pair pages (thousands of passage pages need neither).
    css = Markup(asset_text("report.css"))
    if "explore.js" in scripts:
        css += Markup(asset_text("tables.css"))
    if "pair.js" in scripts:
        css += Markup(asset_text("pair.css"))
    return _environment().get_template(template).render(
        # Markup: the policy is our fixed text and base64 hashes, with no character that
        # needs escaping in a double-quoted attribute (its quotes stay one byte each)
        csp=Markup(content_security_policy(bodies)), css=css, root=root,
        scripts=[Markup(b) for b in bodies], **context)


def _write_page(target: Path, text: str) -> None:
    with runfolder.writing(target):
        target.write_text(text, encoding="utf-8")


def _passage_at(spans: tuple[list[int], list[int], list[tuple[int, ...]]] | None,
                start: int, end: int) -> int | None:
    """The passage cluster whose occurrence in a document (``spans``: its passage index, see
    :meth:`Site._passage_index`) overlaps ``[start, end)`` most (the first in the passages
    table on a tie)."""
    if spans is None:
        return None
    starts, reach, occurrences = spans
    best, best_key = None, (0, 0)
    i = bisect.bisect_left(starts, end) - 1
    while i >= 0 and reach[i] > start:
        s, e, pid, row = occurrences[i]
        key = (min(e, end) - max(s, start), -row)
        if key[0] > 0 and key > best_key:
            best, best_key = pid, key
        i -= 1
    return best


def _in_groups(items: Iterator[tuple[Path, dict[str, Any]]], size: int
               ) -> Iterator[tuple[list[Path], list[dict[str, Any]]]]:
    """Consecutive groups of at most ``size`` items, each as its targets and its contexts."""
    while group := list(itertools.islice(items, size)):
        yield [target for target, _ in group], [context for _, context in group]


def _rendered(function: Any, tasks: Iterator[tuple[list[Path], Any]], workers: int
              ) -> Iterator[tuple[list[Path], list[str]]]:
    """``function`` of each task's second part in ``workers`` processes, with the task's
    targets (which stay here) alongside, in task order."""
    targets: list[list[Path]] = []

    def payloads() -> Iterator[Any]:
        for task_targets, payload in tasks:
            targets.append(task_targets)
            yield payload

    for texts in ordered_map(function, payloads(), workers):
        yield targets.pop(0), texts


def _render_passage_pages(contexts: list[dict[str, Any]]) -> list[str]:
    return [render_page("passage.html", "../", ("csv.js", "sortable.js"), **context)
            for context in contexts]


@dataclass(frozen=True)
class _PairPage:
    """What a pair page shows: the pair, both texts, its alignments (table rows, with their
    row number as ``_row``), the pair's statistics and near-duplicate verdict, both documents'
    metadata, and the passage index of the first document."""

    name: str
    a_id: str
    b_id: str
    text_a: str
    text_b: str
    rows: list[dict[str, Any]]
    stats: dict[str, Any] | None
    near_duplicate: str | None
    metadata_a: dict[str, Any]
    metadata_b: dict[str, Any]
    passage_spans: tuple[list[int], list[int], list[tuple[int, ...]]] | None


# Documents whose tokens and compressed text a process keeps for the next pair pages (a
# document is often in several).
_PAGE_CACHE_DOCS = 8


@lru_cache(maxsize=_PAGE_CACHE_DOCS)
def _tokens_of(text: str) -> Tokens:
    return tokenize(text)


@lru_cache(maxsize=_PAGE_CACHE_DOCS)
def _payload_of(text: str) -> str:
    return text_payload(text)


def _forget_page_caches() -> None:
    _tokens_of.cache_clear()
    _payload_of.cache_clear()


def _render_pair_page(page: _PairPage) -> tuple[str, list[tuple[int, int, int | None]]]:
    """A pair page's HTML, and ``(row, k, passage_id)`` for each of its alignments: its
    number on the page and its passage cluster."""
    a_id, b_id, text_a, text_b = page.a_id, page.b_id, page.text_a, page.text_b
    side_a, side_b = SideMarks(), SideMarks()
    oriented = oriented_alignments(page.rows, a_id)
    notes = []
    if not oriented:
        n_a, n_b = len(_tokens_of(text_a)), len(_tokens_of(text_b))
        if too_long_to_diff(n_a, n_b):
            notes.append(
                "The run has no aligned passages for this near-duplicate pair, and the "
                f"documents are too long for a word diff on this page ({n_a:,} × {n_b:,} "
                f"tokens; at most {highlight.DIFF_MAX_CELLS:,} token pairs).")
        else:
            whole = document_diff(text_a, text_b, _tokens_of(text_a), _tokens_of(text_b))
            if whole is not None:
                oriented = [whole]
                notes.append("The run has no aligned passages for this near-duplicate pair; "
                             "the highlight is a word diff of the two documents made for "
                             "this page.")
    numbered = []
    for k, row in enumerate(oriented):
        exact = text_a[row["a_start"]:row["a_end"]] == text_b[row["b_start"]:row["b_end"]]
        tokens = None if exact else (_tokens_of(text_a), _tokens_of(text_b))
        mark_alignment(k, row, text_a, text_b, tokens, side_a, side_b)
        row["k"] = k
        row["colour"] = colour_index(k)
        if "passage_id" not in row:
            row["passage_id"] = _passage_at(page.passage_spans, row["a_start"], row["a_end"])
        if "_row" in row:
            numbered.append((row["_row"], k, row["passage_id"]))
    stats = page.stats or {}
    sides = []
    for doc, text, side, letter, metadata in (
            (a_id, text_a, side_a, "A", page.metadata_a),
            (b_id, text_b, side_b, "B", page.metadata_b)):
        rendered = render_side(text, side)
        notes += _collapse_notes(letter, len(text), rendered, side)
        hidden = rendered.collapsed or rendered.cut_at is not None
        sides.append({
            "id": doc, "n_chars": len(text), "html": rendered.html, "hidden": hidden,
            "packed_text": _payload_of(text) if hidden else None,
            "packed_marks": marks_payload(side) if hidden else None,
            "reused_chars": stats.get(f"{letter.lower()}_reused_chars", 0),
            "share_text": share_text(stats.get(f"{letter.lower()}_share", 0.0)),
            "metadata": [(k, _display(v)) for k, v in metadata.items()],
        })
    if len(oriented) > highlight.MAX_PASSAGES_SHOWN:
        notes.append(f"The list shows the first {highlight.MAX_PASSAGES_SHOWN:,} of the "
                     f"{len(oriented):,} aligned passages (by position in A); the "
                     "alignments table has all of them.")
    csv = {"file": Path(page.name).stem + ".csv",
           "header": ["passage", "a_id", "a_start", "a_end", "b_id", "b_start", "b_end",
                      "similarity", "method", "passage_id", "a_text", "b_text"],
           "rows": [[r["k"] + 1, a_id, r["a_start"], r["a_end"], b_id, r["b_start"],
                     r["b_end"], round(float(r["similarity"]), 6), r["method"],
                     r["passage_id"],
                     snippet(passage_text(text_a, r["a_start"], r["a_end"])),
                     snippet(passage_text(text_b, r["b_start"], r["b_end"]))]
                    for r in oriented[:highlight.MAX_PASSAGES_SHOWN]]}
    text = render_page(
        "pair.html", "../", ("csv.js", "pair.js"),
        title=f"{isolate(a_id)} ↔ {isolate(b_id)}",
        a=sides[0], b=sides[1], passages=oriented[:highlight.MAX_PASSAGES_SHOWN],
        n_passages=len(oriented), colours=passage_colours(len(oriented)),
        similarity=stats.get("similarity"), matched_tokens=stats.get("matched_tokens"),
        near_duplicate=page.near_duplicate, notes=notes, csv=script_json(csv),
    )
    return text, numbered


# Passage pages rendered per task (a pair page is a task of its own).
_PASSAGE_PAGES_PER_TASK = 32
# Pages per worker process, at least (seconds of one core's work): starting the workers takes
# a second or more, which a small report would not win back. Pair pages count their texts.
_PASSAGE_PAGES_PER_WORKER = 4_000
_PAIR_PAGE_CHARS_PER_WORKER = 5_000_000


class Site:
    """Renders the pages of the HTML site into ``RUN_DIR/html`` (built aside, swapped in)."""

    def __init__(self, folder: Path, run: RunData, pairs: pd.DataFrame,
                 manifest: dict[str, Any], timings: dict[str, float] | None = None, *,
                 date_field: str = "date", max_list_rows: int = MAX_LIST_ROWS,
                 max_pair_pages: int = MAX_PAIR_PAGES, quiet: bool = True,
                 workers: int = 1) -> None:
        self.timings = {} if timings is None else timings
        self.workers = workers
        self.max_pair_pages = max_pair_pages
        self.quiet = quiet
        self.date_field = date_field
        self.max_list_rows = max_list_rows
        self.folder = folder
        self.run = run
        self.pairs = pairs
        self.manifest = manifest
        self.pair_pages: dict[tuple[str, str], str] = {}
        self.n_passage_pages = 0
        self.position = {d: i for i, d in enumerate(run.documents["doc_id"].tolist())}
        self._passage_spans = self._passage_index()
        # the number of each alignment (by its row in the table) on its pair page
        self.alignment_k = np.full(len(run.alignments), -1, dtype=np.int64)
        self.alignment_passage: dict[int, int | None] = {}
        date_values = [meta.get(date_field) for meta in run.metadata.values()]
        self.iso_date = dict(zip(run.metadata, iso_dates(date_values), strict=True))
        self.documents = Documents(run.metadata, document_fields(run.metadata, date_field))

    # pages ---------------------------------------------------------------------------------

    def page(self, template: str, target: Path, root: str, scripts: tuple[str, ...] = (),
             **context: Any) -> None:
        _write_page(target, render_page(template, root, scripts, **context))

    def write(self, view: pd.DataFrame, group_view: pd.DataFrame | None, group_by: str | None,
              n_docs: int, max_matrix_docs: int, top_pairs: int, pair_table: str,
              matrix_csv_note: str, heatmap_note: str | None = None) -> None:
        final = self.folder / HTML_DIR
        # Both names carry our pid: the run folder's cleaner removes those of dead processes.
        staging = self.folder / f".{HTML_DIR}.tmp-{os.getpid()}"
        old = self.folder / f".{HTML_DIR}.old-{os.getpid()}"
        for leftover in (staging, old):  # of an earlier process that had our pid
            _remove(leftover)
        try:
            for sub in ("pairs", "passages", "lists"):
                (staging / sub).mkdir(parents=True)
            self._name_pair_pages()
            with _timed(self.timings, "pair_pages"):
                self._write_pair_pages(staging)
            with _timed(self.timings, "passage_pages"):
                passage_rows = self._write_passage_pages(staging)
            with _timed(self.timings, "index_and_lists"), \
                    ticking("report: index and lists", self.quiet):
                self._write_index(staging, passage_rows, view, group_view, group_by, n_docs,
                                  max_matrix_docs, top_pairs, pair_table, matrix_csv_note,
                                  heatmap_note)
            _swap_in(staging, final, old)
        except BaseException:
            for leftover in (staging, old):
                with contextlib.suppress(OSError):
                    _remove(leftover)
            raise
        _remove(old)

    def _write_index(self, staging: Path, passage_rows: list[dict[str, Any]],
                     view: pd.DataFrame, group_view: pd.DataFrame | None, group_by: str | None,
                     n_docs: int, max_matrix_docs: int, top_pairs: int, pair_table: str,
                     matrix_csv_note: str, heatmap_note: str | None = None) -> None:
        cluster_rows = self._cluster_rows()
        pair_rows = self._pair_records()
        alignment_rows = self._alignment_records()
        lists = {
            "pairs": self._write_list(
                staging, "pairs", "All document pairs", pair_rows, self._pairs_explorer,
                "Every pair of documents that share at least one aligned passage, largest "
                "share first. Click a document to open the pair."),
            "alignments": self._write_list(
                staging, "alignments", "All passage pairs", alignment_rows,
                self._alignments_explorer,
                "Every aligned passage: where it is in each document, the beginning and end of "
                "its text on each side, and how similar the two sides are. Grouped by pair "
                "(largest share first), then by position in A. Click a document to open the "
                "pair page at that passage. The search box looks in the ids and in the "
                f"passages' text (the first and last {SEARCH_CHARS // 2:,} characters of a "
                f"passage longer than {SEARCH_CHARS:,}); a passage longer than "
                f"{SNIPPET_CHARS} characters is shown as its beginning and end, and where the "
                "search found it."),
            "passages": self._write_list(
                staging, "passages", "All passage clusters", passage_rows,
                self._passages_explorer,
                "Every passage cluster: one reused passage and the documents it occurs in, "
                "found in most documents first. First seen: the earliest date among its "
                "documents."),
            "clusters": self._write_list(
                staging, "clusters", "All near-duplicate clusters", cluster_rows,
                self._clusters_explorer,
                "One row per dropped near-duplicate, with the kept representative of its "
                "cluster; largest clusters first. Click a document to compare it with the "
                "representative."),
        }
        group_note = ""
        if group_view is not None and len(group_view) > max_matrix_docs:
            values = group_view.fillna(0.0)
            score = (values.sum(axis=0) + values.sum(axis=1)).sort_values(ascending=False,
                                                                          kind="stable")
            keep = list(score.index[:max_matrix_docs])
            group_note = (f"There are {len(group_view)} groups; the matrix shows the "
                          f"{len(keep)} most reusing. group_matrix.csv has all of them.")
            group_view = group_view.loc[keep, keep]
        matrix_note = "" if n_docs <= max_matrix_docs or len(view) == 0 else (
            f"The corpus has {n_docs} documents; the matrix shows the {len(view)} most "
            "reusing (largest summed shares). Every pair is in the pair table and the lists.")
        documents, documents_note = self._documents_explorer()
        n_cluster_rows = len(cluster_rows)
        cluster_top = [r for r in cluster_rows if r["rank"] < top_pairs]
        self.page(
            "index.html", staging / "index.html", "", ("csv.js", "explore.js"),
            title="Reuse report", counts=self._counts(), input=self._input(),
            command=self.manifest.get("command", "run"),
            version=self.manifest.get("reuse_version", ""),
            skipped=self.run.skipped.head(50).to_dict("records"),
            skipped_more=len(self.run.skipped) > 50, skipped_total=len(self.run.skipped),
            matrix=self._grid(view, groups=False), matrix_note=matrix_note,
            matrix_csv_note=matrix_csv_note, pair_table=pair_table, heatmap_note=heatmap_note,
            legend=list(enumerate(["none", *LEVEL_LABELS])),
            group_matrix=self._grid(group_view, groups=True) if group_view is not None
            else None, group_by=group_by, group_csv="group_matrix.csv", group_note=group_note,
            charts=self._charts(passage_rows, lists),
            lists=lists, documents=documents, documents_note=documents_note,
            n_pairs=len(pair_rows), top_rows=min(top_pairs, len(pair_rows)),
            pairs=self._pairs_explorer(pair_rows[:top_pairs], "", compact=True),
            n_clusters=len({r["cluster_id"] for r in cluster_rows}),
            n_cluster_rows=n_cluster_rows, cluster_rows=len(cluster_top),
            clusters=self._clusters_explorer(cluster_top, "", compact=True),
            n_passages=len(passage_rows), passage_rows=min(top_pairs, len(passage_rows)),
            passages=self._passages_explorer(passage_rows[:top_pairs], "", compact=True),
        )

    def _counts(self) -> list[tuple[Markup, Any]]:
        """The run's counts under the names the command's summary gives them, each explained
        in a tooltip that also names its key in the manifest (:data:`reuse.report.summary.COUNTS`)."""
        rows = []
        for key, label, explanation, value in count_rows(self.manifest.get("counts", {})):
            label = label.strip()
            rows.append((Markup('<span title="{}">{}</span>').format(
                f"{explanation} Manifest: counts.{key}.".strip(), label[:1].upper() + label[1:]),
                value))
        return rows

    def _input(self) -> dict[str, Any]:
        spec = self.manifest.get("input") or {}
        return {"path": spec.get("path", ""), "format": spec.get("format", ""),
                "fingerprint": spec.get("fingerprint", "")}

    def _grid(self, matrix: pd.DataFrame, *, groups: bool) -> dict[str, Any]:
        labels = [str(x) for x in matrix.index]
        values = matrix.to_numpy(np.float64)
        rows = []
        for i, row_label in enumerate(labels):
            cells: list[dict[str, Any] | None] = []
            for j, col_label in enumerate(labels):
                share = values[i, j]
                if np.isnan(share) or (share <= 0 and not groups):
                    cells.append(None)
                    continue
                row, col = isolate(row_label), isolate(col_label)
                title = f"{row} → {col}: {_pct(share)} of {row} is reused in {col}"
                page = None if groups else self.pair_pages.get(self._key(row_label, col_label))
                cells.append({"level": _level(share) if share > 0 else 0, "title": title,
                              "page": f"pairs/{page}" if page else None,
                              "text": cell_text(share)})
            rows.append({"label": row_label, "cells": cells})
        # few documents get big cells with their value written in; many get small plain ones,
        # so that 100 documents fit a screen (the labels stay in view while it scrolls)
        cell = max(MIN_CELL, min(44, MATRIX_PIXELS // max(1, len(labels))))
        return {"labels": labels, "rows": rows, "groups": groups, "cell": cell,
                "font": max(8, min(11, cell + 1)), "show_values": cell >= 24}

    def _key(self, x: str, y: str) -> tuple[str, str]:
        return (x, y) if self.position.get(x, 0) <= self.position.get(y, 0) else (y, x)

    def _name_pair_pages(self) -> None:
        keys = list(zip(self.pairs["a_id"], self.pairs["b_id"], strict=True))
        nd = self.run.near_duplicates
        keys += [self._key(a, b) for a, b in zip(nd["a_id"], nd["b_id"], strict=True)]
        used: dict[str, tuple[str, str]] = {}
        for key in keys:
            if len(self.pair_pages) >= self.max_pair_pages:
                break
            if key in self.pair_pages:
                continue
            name = pair_page_name(*key)
            if name in used:  # a 64-bit hash collision: fall back to the whole hash
                digest = hashlib.sha256("\x00".join(key).encode("utf-8", "surrogatepass"))
                name = f"pair-{digest.hexdigest()}.html"
            used[name] = key
            self.pair_pages[key] = name

    def _passage_index(self) -> dict[str, tuple[list[int], list[int], list[tuple[int, ...]]]]:
        """Per document: its passage occurrences (start, end, passage_id, table row) sorted by
        start, their starts, and the furthest end reached so far (to stop a search early)."""
        spans: dict[str, list[tuple[int, ...]]] = defaultdict(list)
        p = self.run.passages
        for row, (doc, start, end, pid) in enumerate(zip(p["doc_id"], p["start"], p["end"],
                                                         p["passage_id"], strict=True)):
            spans[doc].append((int(start), int(end), int(pid), row))
        index = {}
        for doc, occurrences in spans.items():
            occurrences.sort()
            index[doc] = ([o[0] for o in occurrences],
                          list(itertools.accumulate((o[1] for o in occurrences), max)),
                          occurrences)
        return index

    def _passage_of(self, doc: str, start: int, end: int) -> int | None:
        return _passage_at(self._passage_spans.get(doc), start, end)

    def _write_pair_pages(self, staging: Path) -> None:
        """Number every alignment as on its pair's page (by position in A) and find its
        passage cluster, for the lists; write the pages of the pairs that have one, each
        rendered by a worker (:func:`_render_pair_page`) and written here in order."""
        al = self.run.alignments
        if len(al):
            first = np.where(
                al["a_id"].map(self.position).to_numpy() <= al["b_id"].map(self.position)
                .to_numpy(), al["a_id"], al["b_id"])
            second = np.where(first == al["a_id"].to_numpy(), al["b_id"], al["a_id"])
            groups = pd.DataFrame({"x": first, "y": second}).groupby(["x", "y"], sort=False).indices
        else:
            groups = {}
        pair_stats = {(r["a_id"], r["b_id"]): r for r in self.pairs.to_dict("records")}
        nd = self.run.near_duplicates
        jaccard = {}
        for a, b, est, exact in zip(nd["a_id"], nd["b_id"], nd["jaccard_estimate"], nd["jaccard"],
                                    strict=True):
            value = exact if exact is not None and not pd.isna(exact) else est
            jaccard[self._key(a, b)] = f"{float(value):.3f}"
        columns = ["a_id", "b_id", "a_start", "a_end", "b_start", "b_end"]
        spans = al[columns].to_dict("records") if len(al) else []
        for key, members in groups.items():
            if key in self.pair_pages:
                continue
            oriented = oriented_alignments(
                [{**spans[i], "_row": int(i)} for i in members], key[0], with_edits=False)
            for k, row in enumerate(oriented):
                self.alignment_k[row["_row"]] = k
                self.alignment_passage[row["_row"]] = self._passage_of(
                    key[0], row["a_start"], row["a_end"])

        def pages() -> Iterator[_PairPage]:
            for key, name in self.pair_pages.items():
                a_id, b_id = key
                members = groups.get(key, [])
                rows = [{**record, "_row": int(i)} for i, record in
                        zip(members, al.iloc[members].to_dict("records"), strict=True)]
                yield _PairPage(name, a_id, b_id, self.run.texts[a_id], self.run.texts[b_id],
                                rows, pair_stats.get(key), jaccard.get(key),
                                self.run.metadata[a_id], self.run.metadata[b_id],
                                self._passage_spans.get(a_id))

        chars = sum(len(self.run.texts[a]) + len(self.run.texts[b]) for a, b in self.pair_pages)
        workers = max(1, min(self.workers, len(self.pair_pages),
                             chars // _PAIR_PAGE_CHARS_PER_WORKER + 1))
        with progress(len(self.pair_pages), "report: pair pages", self.quiet,
                      unit="page") as bar:
            for name, (text, numbered) in zip(
                    self.pair_pages.values(),
                    ordered_map(_render_pair_page, pages(), workers,
                                initializer=_forget_page_caches), strict=True):
                _write_page(staging / "pairs" / name, text)
                for row, k, passage in numbered:
                    self.alignment_k[row] = k
                    self.alignment_passage[row] = passage
                bar.update()
        _forget_page_caches()

    def _write_passage_pages(self, staging: Path) -> list[dict[str, Any]]:
        """Write a page per passage cluster, rendered in workers (their contexts are made
        here, a group of pages per task); returns the clusters' rows for the lists."""
        p = self.run.passages
        if p.empty:
            return []
        by_passage: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for record in p.to_dict("records"):
            by_passage[int(record["passage_id"])].append(record)
        rows = []

        def pages() -> Iterator[tuple[Path, dict[str, Any]]]:
            for pid in sorted(by_passage):
                info, context = self._passage_page(pid, by_passage[pid])
                rows.append(info)
                yield staging / "passages" / f"{pid}.html", context

        workers = max(1, min(self.workers, -(-len(by_passage) // _PASSAGE_PAGES_PER_TASK),
                             len(by_passage) // _PASSAGE_PAGES_PER_WORKER + 1))
        with progress(len(by_passage), "report: passage pages", self.quiet,
                      unit="page") as bar:
            tasks = _in_groups(pages(), _PASSAGE_PAGES_PER_TASK)
            for targets, texts in _rendered(_render_passage_pages, tasks, workers):
                for target, text in zip(targets, texts, strict=True):
                    _write_page(target, text)
                bar.update(len(texts))
        self.n_passage_pages = len(rows)
        rows.sort(key=lambda r: (-r["n_docs"], -r["n_chars"], r["passage_id"]))
        return rows

    def _passage_page(self, pid: int, records: list[dict[str, Any]]
                      ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A passage cluster's row for the lists, and the context of its page."""
        records = sorted(records, key=lambda r: (self.position.get(r["doc_id"], 0), r["start"]))
        source = next((r["doc_id"] for r in records if r["is_source"]), None)
        text_rec = next((r for r in records if r["doc_id"] == source), records[0])
        text = self.run.texts[text_rec["doc_id"]][text_rec["start"]:text_rec["end"]]
        info = {
            "passage_id": int(pid), "n_docs": int(records[0]["n_docs"]),
            "boilerplate": bool(records[0]["boilerplate"]), "source": source,
            "text_doc": text_rec["doc_id"], "n_chars": len(text),
            "text": excerpt(text, PASSAGE_TEXT_CHARS, int(text_rec["start"])),
            "text_cut": len(text) > PASSAGE_TEXT_CHARS,
            "n_occurrences": len(records),
            "snippet": passage_text(text, 0, len(text)),
            "page": f"passages/{int(pid)}.html",
            "first": min((d for d in (self.iso_date.get(r["doc_id"]) for r in records)
                          if d is not None), default=None),
        }
        shown = []
        for r in records[:MAX_OCCURRENCES_SHOWN]:
            doc_text = self.run.texts[r["doc_id"]]
            start, end = int(r["start"]), int(r["end"])
            inside = doc_text[start:end]
            if len(inside) > 80:
                inside = inside[:50] + " … " + inside[-25:]
            page = None
            if r["doc_id"] != text_rec["doc_id"]:
                name = self.pair_pages.get(self._key(r["doc_id"], text_rec["doc_id"]))
                page = f"pairs/{name}" if name else None
            shown.append({
                "doc_id": r["doc_id"], "start": start, "end": end,
                "date": _display(self.run.metadata[r["doc_id"]].get(self.date_field, "")),
                "is_source": bool(r["is_source"]), "page": page,
                "context": _context(doc_text[max(0, start - CONTEXT_CHARS):start], inside,
                                    doc_text[end:end + CONTEXT_CHARS]),
            })
        csv = {"file": f"passage-{int(pid)}.csv",
               "header": ["passage_id", "doc_id", "start", "end", "date", "is_source"],
               "rows": [[int(pid), o["doc_id"], o["start"], o["end"], o["date"],
                         o["is_source"]] for o in shown]}
        context = {"title": f"Passage #{int(pid)}", "p": info, "occurrences": shown,
                   "more": len(records) > MAX_OCCURRENCES_SHOWN, "csv": script_json(csv)}
        return info, context

    # the tables: rows as plain records, then as explorers --------------------------------

    def _explorer(self, name: str, columns: list[Column], root: str, **options: Any
                  ) -> Explorer:
        return Explorer(name, columns, self.documents, root,
                        doc_link="lists/pairs-1.html#pairs.doc=", **options)

    def _pair_records(self) -> list[dict[str, Any]]:
        rows = self.pairs.to_dict("records")
        for row in rows:
            name = self.pair_pages.get((row["a_id"], row["b_id"]))
            row["page"] = f"pairs/{name}" if name else None
        return rows

    def _pairs_explorer(self, rows: list[dict[str, Any]], root: str, **options: Any
                        ) -> Explorer:
        e = self._explorer("pairs", [
            Column("a_id", "Document A", "doc", link="page"),
            Column("b_id", "Document B", "doc", link="page"),
            Column("a_share", "A reused in B", "pct",
                   title="Share of A's characters inside a passage aligned with B"),
            Column("b_share", "B reused in A", "pct",
                   title="Share of B's characters inside a passage aligned with A"),
            Column("a_reused_chars", "Reused chars A", "int"),
            Column("b_reused_chars", "Reused chars B", "int"),
            Column("n_alignments", "Passages", "int"),
            Column("similarity", "Similarity", "num",
                   title="2 × matched tokens / tokens of both sides, over the pair's passages"),
            Column("has_page", "Page", "flag",
                   title=f"Whether the pair has a page: the first {self.max_pair_pages:,} "
                         "pairs of this list do (--max-pair-pages)"),
            Column("page", "", "link"),
        ], root, search="Search document ids", **options)
        for r in rows:
            e.add([e.doc(r["a_id"]), e.doc(r["b_id"]), r["a_share"], r["b_share"],
                   r["a_reused_chars"], r["b_reused_chars"], r["n_alignments"],
                   r["similarity"], r["page"] is not None, e.string(r["page"])])
        return e

    def _alignment_records(self) -> list[tuple[Any, ...]]:
        """Every alignment as (A, B, spans, similarity, method, passage, k, page), A being the
        pair's first document as on its pair page; in pair order, then by position in A."""
        al = self.run.alignments
        if al.empty:
            return []
        rank = {key: i for i, key in enumerate(zip(self.pairs["a_id"], self.pairs["b_id"],
                                                    strict=True))}
        out = []
        for i, (a, b, a_s, a_e, b_s, b_e, sim, method) in enumerate(zip(
                al["a_id"], al["b_id"], al["a_start"], al["a_end"], al["b_start"], al["b_end"],
                al["similarity"], al["method"], strict=True)):
            key = self._key(a, b)
            if key[0] != a:
                a, b, a_s, a_e, b_s, b_e = b, a, b_s, b_e, a_s, a_e
            out.append((rank.get(key, len(rank)), int(self.alignment_k[i]), a, b, int(a_s),
                        int(a_e), int(b_s), int(b_e), float(sim), method,
                        self.alignment_passage.get(i), self.pair_pages.get(key)))
        out.sort(key=lambda r: (r[0], r[1]))
        return out

    def _alignments_explorer(self, rows: list[tuple[Any, ...]], root: str, **options: Any
                             ) -> Explorer:
        e = self._explorer("alignments", [
            Column("a_id", "Document A", "doc", link="page", anchor="k"),
            Column("a_text", "Passage in A", "snip"),
            Column("b_id", "Document B", "doc", link="page", anchor="k"),
            Column("b_text", "Passage in B", "snip"),
            Column("a_chars", "Chars A", "int"),
            Column("b_chars", "Chars B", "int"),
            Column("similarity", "Similarity", "num",
                   title="2 × matched tokens / tokens of both sides"),
            Column("method", "Method", "cat"),
            Column("passage_id", "Cluster", "int", link="passage_page",
                   title="The passage cluster of the passage in A"),
            Column("a_start", "", "int", hidden=True), Column("a_end", "", "int", hidden=True),
            Column("b_start", "", "int", hidden=True), Column("b_end", "", "int", hidden=True),
            Column("k", "", "int", hidden=True),
            Column("page", "", "link"), Column("passage_page", "", "link"),
        ], root, search="Search ids and passage text", **options)
        texts = self.run.texts
        for (_, k, a, b, a_s, a_e, b_s, b_e, sim, method, pid, page) in rows:
            e.add([e.doc(a), e.string(passage_text(texts[a], a_s, a_e)), e.doc(b),
                   e.string(passage_text(texts[b], b_s, b_e)), a_e - a_s, b_e - b_s, sim, method,
                   pid, a_s, a_e, b_s, b_e, k, e.string(f"pairs/{page}" if page else None),
                   e.string(f"passages/{pid}.html" if pid is not None else None)])
        return e

    def _passages_explorer(self, rows: list[dict[str, Any]], root: str, **options: Any
                           ) -> Explorer:
        e = self._explorer("passages", [
            Column("passage_id", "Passage", "int", link="page"),
            Column("n_docs", "Documents", "int"),
            Column("n_chars", "Characters", "int"),
            Column("boilerplate", "Boilerplate", "flag"),
            Column("source", "Likely source", "doc",
                   title="The document of the earliest dated occurrence"),
            Column("first", "First seen", "date",
                   title="The earliest date among the documents it occurs in"),
            Column("text", "Text", "snip"),
            Column("page", "", "link"),
        ], root, search="Search passage text", **options)
        for p in rows:
            e.add([p["passage_id"], p["n_docs"], p["n_chars"], p["boilerplate"],
                   e.doc(p["source"]), p["first"], e.string(p["snippet"]), e.string(p["page"])])
        return e

    def _cluster_rows(self) -> list[dict[str, Any]]:
        """One row per dropped near-duplicate; ``rank`` numbers the clusters, largest first."""
        c = self.run.clusters
        if c.empty:
            return []
        sizes = c.groupby("cluster_id")["doc_id"].transform("size")
        multi = c[sizes > 1]
        nd = self.run.near_duplicates
        jaccard = {}
        for a, b, est, exact in zip(nd["a_id"], nd["b_id"], nd["jaccard_estimate"],
                                    nd["jaccard"], strict=True):
            jaccard[self._key(a, b)] = float(exact if exact is not None and not pd.isna(exact)
                                             else est)
        clusters = []
        for cid, members in multi.groupby("cluster_id", sort=True):
            representative = str(members["representative_id"].iloc[0])
            clusters.append((len(members), int(cid), representative,
                             [d for d in members["doc_id"].tolist() if d != representative]))
        clusters.sort(key=lambda c: (-c[0], c[1]))
        rows = []
        for rank, (size, cid, representative, dropped) in enumerate(clusters):
            for doc in dropped:
                key = self._key(representative, doc)
                name = self.pair_pages.get(key)
                rows.append({"cluster_id": cid, "size": size, "representative": representative,
                             "doc_id": doc, "jaccard": jaccard.get(key), "rank": rank,
                             "page": f"pairs/{name}" if name else None})
        return rows

    def _clusters_explorer(self, rows: list[dict[str, Any]], root: str, **options: Any
                           ) -> Explorer:
        e = self._explorer("clusters", [
            Column("cluster_id", "Cluster", "int"),
            Column("size", "Size", "int"),
            Column("representative", "Kept representative", "doc"),
            Column("doc_id", "Dropped near-duplicate", "doc", link="page"),
            Column("jaccard", "Jaccard", "num",
                   title="Shingle-set Jaccard similarity with the representative"),
            Column("page", "", "link"),
        ], root, search="Search document ids", **options)
        for r in rows:
            e.add([r["cluster_id"], r["size"], e.doc(r["representative"]), e.doc(r["doc_id"]),
                   r["jaccard"], e.string(r["page"])])
        return e

    def _documents_explorer(self) -> tuple[Explorer, str]:
        """Every document (the ``max_list_rows`` most reused when there are more), most
        reused first, with its metadata fields, for the index."""
        docs = self.run.documents
        reuse = self.document_reuse
        p = self.run.passages
        holding = p.groupby("doc_id")["passage_id"].nunique() if not p.empty else pd.Series(
            dtype=np.int64)
        c = self.run.clusters
        representative = dict(zip(c["doc_id"], c["representative_id"], strict=True))
        frame = pd.DataFrame({
            "doc_id": docs["doc_id"].to_numpy(object), "n_chars": docs["n_chars"],
            "status": docs["status"], "share": reuse["share"],
            "reused_chars": reuse["reused_chars"], "partners": reuse["partners"],
            "position": np.arange(len(docs))})
        frame = frame.sort_values(["share", "partners", "position"],
                                  ascending=[False, False, True], kind="stable")
        note = ""
        if len(frame) > self.max_list_rows:
            note = (f"the {self.max_list_rows:,} most reused of {len(frame):,}; the documents "
                    "table of the run folder has all of them")
            frame = frame.head(self.max_list_rows)
        e = self._explorer("docs", [
            Column("doc_id", "Document", "doc"),
            Column("n_chars", "Characters", "int"),
            Column("share", "Reused", "pct",
                   title="Share of its characters inside a passage aligned with another document"),
            Column("reused_chars", "Reused chars", "int"),
            Column("partners", "Partners", "int",
                   title="Documents it shares at least one passage with"),
            Column("passages", "Passage clusters", "int"),
            Column("status", "Status", "cat"),
            Column("near_duplicate_of", "Near-duplicate of", "doc",
                   title="The kept representative, when this document is a dropped "
                         "near-duplicate"),
        ], "", search="Search document ids", fields=True, doc_link_if="partners")
        for doc, n_chars, status, share, reused, partners in zip(
                frame["doc_id"], frame["n_chars"], frame["status"], frame["share"],
                frame["reused_chars"], frame["partners"], strict=True):
            kept = representative.get(doc)
            e.add([e.doc(doc), n_chars, share, reused, partners, int(holding.get(doc, 0)),
                   status, e.doc(kept) if kept is not None and kept != doc else None])
        return e, note

    @cached_property
    def document_reuse(self) -> pd.DataFrame:
        """Each document's characters reused in any other, in the documents table's order."""
        return document_reuse(self.run.alignments, self.run.documents)

    def _charts(self, passage_rows: list[dict[str, Any]], lists: dict[str, str]
                ) -> list[dict[str, Any]]:
        """The index's pictures: pairs by similarity, documents by reused share and, with
        dates, passage clusters by first appearance. Each bar links to its rows."""
        out = []
        similarity = self.pairs["similarity"].to_numpy(np.float64)
        bars = charts.share_bars(similarity, percent=False, href=lambda lo, hi: (
            f"{lists['pairs']}#" + urlencode({"pairs.similarity.min": lo,
                                              "pairs.similarity.max": hi})))
        out.append({"svg": charts.bar_chart(
            bars, title="Document pairs by similarity", x_label="similarity",
            y_label="pairs", ticks=charts.share_ticks(False), css="similarity"),
            "caption": f"{len(similarity):,} document pairs by similarity (2 × matched tokens "
                       "/ tokens of both sides of their passages). Click a bar to list them."})
        shares = self.document_reuse["share"].to_numpy()
        reused = shares[shares > 0]
        bars = charts.share_bars(reused, percent=True, href=lambda lo, hi: "#" + urlencode(
            {"docs.share.min": lo, "docs.share.max": hi}))
        out.append({"svg": charts.bar_chart(
            bars, title="Documents by reused share", x_label="share of the document reused",
            y_label="documents", ticks=charts.share_ticks(True), css="shares"),
            "caption": f"{len(reused):,} documents by the share of their text found in "
                       f"another document ({_count(len(shares) - len(reused), 'document')} "
                       f"{'reuses' if len(shares) - len(reused) == 1 else 'reuse'} nothing). "
                       "Click a bar to list them."})
        firsts = [p["first"] for p in passage_rows if p["first"]]
        if firsts:
            bars = charts.timeline_bars(firsts, lambda lo, hi: f"{lists['passages']}#" + urlencode(
                {"passages.first.from": lo, "passages.first.to": hi}))
            out.append({"svg": charts.bar_chart(
                bars, title="Passage clusters by first appearance", x_label="first seen",
                y_label="passage clusters", ticks=charts.time_ticks(bars), css="timeline"),
                "caption": f"{len(firsts):,} passage clusters by the date of the earliest "
                           f"document they occur in ({self.date_field!r} field; "
                           f"{len(passage_rows) - len(firsts):,} without a date). Click a bar "
                           "to list them."})
        return out

    def _write_list(self, staging: Path, kind: str, title: str, rows: list[Any],
                    build: Any, intro: str) -> str:
        """The list's pages: parts of at most ``max_list_rows`` rows; returns the first."""
        size = self.max_list_rows
        parts = max(1, -(-len(rows) // size))
        for n in range(1, parts + 1):
            chunk = rows[(n - 1) * size:n * size]
            first = (n - 1) * size + 1
            table = build(chunk, "../", total=len(rows), first=first)
            self.page("list.html", staging / "lists" / f"{kind}-{n}.html", "../",
                      ("csv.js", "explore.js"), title=title, intro=intro, table=table,
                      parts=parts, current=n, prefix=f"{kind}-", total=len(rows),
                      part_rows=size, first=first if rows else 0,
                      last=first + len(chunk) - 1)
        return f"lists/{kind}-1.html"
