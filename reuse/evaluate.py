"""PAN text-alignment evaluation: gold and detection XML, and the PlagDet measure.

PlagDet follows its published definition (Potthast, Stein, Barrón-Cedeño, Rosso: "An Evaluation
Framework for Plagiarism Detection", COLING 2010). A case ``s`` and a detection ``r`` are each a
set of characters in *both* documents of a pair: a span of the suspicious document plus a span of
the source document. ``r`` detects ``s`` when both belong to the same pair and their spans overlap
in the suspicious *and* in the source document; then ``s ⊓ r = s ∩ r``, else it is empty.

* recall    = mean over cases of ``|∪_r (s ⊓ r)| / |s|``
* precision = mean over detections of ``|∪_s (s ⊓ r)| / |r|``
* granularity = mean, over the cases detected at all, of the number of detections detecting them
* PlagDet = F1(precision, recall) / log2(1 + granularity)

With no cases and no detections, recall and precision are both 1 (nothing to find, nothing
wrongly found); with cases but no detections, or detections but no cases, both are 0.
Granularity is 1 when no case is detected. Where there are no cases (``01-no-plagiarism``),
these conventions say little, and :func:`format_scores` shows them as ``n/a``; what tells there
is ``false_positive_chars``: the characters detected outside every case, in both documents of
each pair (0 is perfect).

PAN credits a suspicious passage to one source passage, while :func:`reuse.align.aligner.align_pair`
reports every copy (a source that holds a paragraph twice gives two alignments). The PAN
detections therefore keep, of alignments overlapping in the suspicious document, the one with
the most matched tokens (:func:`one_source_per_passage`).

Offsets in PAN files are code-point offsets into the raw file: every text is read with
``newline=''`` so that ``\\r\\n`` stays two characters.
"""

from __future__ import annotations

import math
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from .align.aligner import align_token_batch
from .align.alignment import Alignment
from .align.config import AlignConfig
from .common.validation import Range, check_parameter
from .config import PassageConfig
from .errors import InputError
from .text.tokenize import tokenize_batch

_DEFAULT_CONFIG = AlignConfig()


@dataclass(frozen=True)
class PanSpan:
    """One case or detection: ``susp[this_offset:this_offset + this_length]`` reuses
    ``src[source_offset:source_offset + source_length]`` (code-point offsets)."""

    susp: str
    src: str
    this_offset: int
    this_length: int
    source_offset: int
    source_length: int

    @property
    def this_end(self) -> int:
        return self.this_offset + self.this_length

    @property
    def source_end(self) -> int:
        return self.source_offset + self.source_length


def read_text(path: Path) -> str:
    """A PAN document as PAN counts its characters: UTF-8, line breaks untouched."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read the PAN document {path}: {exc}.") from exc


def read_pan_xml(path: Path, feature: str = "plagiarism") -> list[PanSpan]:
    """The ``<feature name=feature>`` elements of one PAN XML file, as spans.

    ``feature`` is ``"plagiarism"`` for gold files and ``"detected-plagiarism"`` for detections.
    """
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise InputError(
            f"Cannot read the PAN XML file {path}: {exc}. Check that it is well-formed XML."
        ) from exc
    susp = root.get("reference")
    if susp is None:
        raise InputError(
            f"The PAN XML file {path} has no 'reference' attribute on its <document> element; "
            "it should name the suspicious document."
        )
    spans = []
    for element in root.iter("feature"):
        if element.get("name") != feature:
            continue
        try:
            spans.append(
                PanSpan(
                    susp=susp,
                    src=element.attrib["source_reference"],
                    this_offset=int(element.attrib["this_offset"]),
                    this_length=int(element.attrib["this_length"]),
                    source_offset=int(element.attrib["source_offset"]),
                    source_length=int(element.attrib["source_length"]),
                )
            )
        except (KeyError, ValueError) as exc:
            raise InputError(
                f"A <feature name={feature!r}> in {path} lacks a valid attribute ({exc}); it "
                "needs integer this_offset, this_length, source_offset, source_length and a "
                "source_reference."
            ) from exc
    return spans


def write_pan_xml(path: Path, susp: str, detections: Iterable[PanSpan]) -> None:
    """Write detections of one pair in the PAN format (``<feature name="detected-plagiarism">``)."""
    lines = [f"<document reference={quoteattr(susp)}>"]
    for d in detections:
        lines.append(
            '<feature name="detected-plagiarism"'
            f" this_offset=\"{d.this_offset}\" this_length=\"{d.this_length}\""
            f" source_reference={quoteattr(d.src)}"
            f" source_offset=\"{d.source_offset}\" source_length=\"{d.source_length}\" />"
        )
    lines.append("</document>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _union_length(intervals: list[tuple[int, int]]) -> int:
    total, reach = 0, -1
    for start, end in sorted(intervals):
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return total


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> tuple[int, int] | None:
    start, end = max(a_start, b_start), min(a_end, b_end)
    return (start, end) if start < end else None


def plagdet(cases: Sequence[PanSpan], detections: Sequence[PanSpan]) -> dict[str, float]:
    """Macro recall, precision, granularity and PlagDet of detections against gold cases."""
    by_pair: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r_index, r in enumerate(detections):
        by_pair[(r.susp, r.src)].append(r_index)
    case_hits: list[list[tuple[tuple[int, int], tuple[int, int]]]] = [[] for _ in cases]
    detection_hits: list[list[tuple[tuple[int, int], tuple[int, int]]]] = [
        [] for _ in detections
    ]
    detected_by = [0] * len(cases)
    for s_index, s in enumerate(cases):
        for r_index in by_pair.get((s.susp, s.src), ()):
            r = detections[r_index]
            in_susp = _overlap(s.this_offset, s.this_end, r.this_offset, r.this_end)
            in_src = _overlap(s.source_offset, s.source_end, r.source_offset, r.source_end)
            if in_susp is None or in_src is None:
                continue
            detected_by[s_index] += 1
            case_hits[s_index].append((in_susp, in_src))
            detection_hits[r_index].append((in_susp, in_src))

    def covered(hits: list[tuple[tuple[int, int], tuple[int, int]]]) -> int:
        return _union_length([h[0] for h in hits]) + _union_length([h[1] for h in hits])

    def share(hits: list[Any], span: PanSpan) -> float:
        size = span.this_length + span.source_length
        return covered(hits) / size if size else 0.0

    if not cases and not detections:
        recall = precision = 1.0
    elif not cases or not detections:
        recall = precision = 0.0
    else:
        recall = sum(share(h, s) for h, s in zip(case_hits, cases, strict=True)) / len(cases)
        precision = sum(
            share(h, r) for h, r in zip(detection_hits, detections, strict=True)
        ) / len(detections)
    detected = [n for n in detected_by if n]
    granularity = sum(detected) / len(detected) if detected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "recall": recall,
        "precision": precision,
        "granularity": granularity,
        "plagdet": f1 / math.log2(1 + granularity),
        "cases": len(cases),
        "detections": len(detections),
        "false_positive_chars": false_positive_chars(cases, detections),
    }


def false_positive_chars(cases: Sequence[PanSpan], detections: Sequence[PanSpan]) -> int:
    """Characters inside some detection and inside no case of its pair, counted in the
    suspicious and in the source document."""
    spans: dict[tuple[str, str], tuple[list[Any], list[Any], list[Any], list[Any]]] = (
        defaultdict(lambda: ([], [], [], [])))
    for r in detections:
        found = spans[(r.susp, r.src)]
        found[0].append((r.this_offset, r.this_end))
        found[1].append((r.source_offset, r.source_end))
    for s in cases:
        if (s.susp, s.src) in spans:
            found = spans[(s.susp, s.src)]
            found[2].append((s.this_offset, s.this_end))
            found[3].append((s.source_offset, s.source_end))
    # Detected but not in a case: |detections ∪ cases| - |cases|, in each document.
    return sum(
        _union_length(susp + susp_cases) - _union_length(susp_cases)
        + _union_length(src + src_cases) - _union_length(src_cases)
        for susp, src, susp_cases, src_cases in spans.values()
    )


def read_pairs(category_dir: Path) -> list[tuple[str, str]]:
    """The ``(suspicious, source)`` file names listed in a category's ``pairs`` file."""
    path = category_dir / "pairs"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(
            f"Cannot read {path}: {exc}. A PAN category folder needs a 'pairs' file with one "
            "'suspicious source' pair per line."
        ) from exc
    pairs = []
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise InputError(
                f"{path}, line {number}: expected 'suspicious-file source-file', got {line!r}."
            )
        pairs.append((fields[0], fields[1]))
    return pairs


def find_categories(corpus_dir: str | Path) -> list[str]:
    """The category folders of a PAN corpus: every folder of ``corpus_dir`` that holds a
    ``pairs`` file, in name order, whatever it is called."""
    corpus = Path(corpus_dir)
    try:
        folders = sorted((entry for entry in corpus.iterdir() if entry.is_dir()),
                         key=lambda entry: entry.name)
    except OSError as exc:
        raise InputError(f"Cannot list the PAN corpus {corpus}: {exc}.") from exc
    categories = [folder.name for folder in folders if (folder / "pairs").is_file()]
    if not categories:
        raise InputError(
            f"{corpus} has no category folder: no folder in it holds a 'pairs' file. A PAN "
            "text-alignment corpus has one folder per category (such as 02-no-obfuscation) "
            "with a 'pairs' file listing 'suspicious source' pairs and a gold XML per pair."
        )
    return categories


def pair_xml_name(susp: str, src: str) -> str:
    """``suspicious-document00005.txt`` + ``source-document01090.txt`` →
    ``suspicious-document00005-source-document01090.xml`` (the PAN naming)."""
    return f"{Path(susp).stem}-{Path(src).stem}.xml"


def _spans(susp: str, src: str, alignments: Sequence[Alignment]) -> list[PanSpan]:
    """The detections of one pair from its alignments (``a`` is the suspicious document)."""
    return [
        PanSpan(susp, src, al.a_start, al.a_end - al.a_start, al.b_start, al.b_end - al.b_start)
        for al in one_source_per_passage(alignments)
    ]


def one_source_per_passage(alignments: Sequence[Alignment]) -> list[Alignment]:
    """PAN's convention: a suspicious passage has one source. When a source holds a passage
    twice, the aligner reports both copies; keep the one with the most matched tokens."""
    kept: list[Alignment] = []
    for al in sorted(alignments, key=lambda al: (-al.matched_tokens, al.a_start, al.b_start)):
        if not any(al.a_start < k.a_end and k.a_start < al.a_end for k in kept):
            kept.append(al)
    return sorted(kept, key=lambda al: (al.a_start, al.b_start))


# Pairs aligned together. Each document of a batch is read, tokenized and split into sentences
# once however many of its pairs the batch holds (discover mode pairs a document with dozens of
# others), and the lexical seeds and sentence similarities of the batch share numpy passes.
_BATCH_PAIRS = 100_000


def _detect_many(
    corpus_dir: Path, pairs: list[tuple[str, str]], config: AlignConfig
) -> list[list[PanSpan]]:
    """Detections for each ``(susp, src)`` pair, aligning up to ``_BATCH_PAIRS`` pairs at a
    time."""
    out = []
    for lo in range(0, len(pairs), _BATCH_PAIRS):
        chunk = pairs[lo : lo + _BATCH_PAIRS]
        names = sorted({f"susp/{susp}" for susp, _ in chunk}) + sorted(
            {f"src/{src}" for _, src in chunk}
        )
        index = {name: k for k, name in enumerate(names)}
        texts = [read_text(corpus_dir / name) for name in names]
        left = np.array([index[f"susp/{susp}"] for susp, _ in chunk], dtype=np.int64)
        right = np.array([index[f"src/{src}"] for _, src in chunk], dtype=np.int64)
        found = align_token_batch(tokenize_batch(texts), left, right, config, texts)
        out += [_spans(susp, src, al) for (susp, src), al in zip(chunk, found, strict=True)]
    return out


def _check_jobs(n_jobs: Any, owner: str) -> None:
    check_parameter("n_jobs", n_jobs, Range(int, 1), owner)


def _detect_all(
    corpus_dir: Path, pairs: list[tuple[str, str]], config: AlignConfig, n_jobs: int
) -> list[list[PanSpan]]:
    """Detections for every pair, in order, in ``n_jobs`` processes."""
    if n_jobs == 1:
        return _detect_many(corpus_dir, pairs, config)
    from .engine import ordered_map

    # A chunk reads, tokenizes and splits each of its documents once, so chunks are few and
    # large.
    chunk = max(1, -(-len(pairs) // (n_jobs * 4)))
    chunks = [(corpus_dir, pairs[i : i + chunk], config) for i in range(0, len(pairs), chunk)]
    return [found for part in ordered_map(_detect_chunk, chunks, n_jobs) for found in part]


def _detect_chunk(task: tuple[Path, list[tuple[str, str]], AlignConfig]) -> list[list[PanSpan]]:
    return _detect_many(*task)


def evaluate_pan(
    corpus_dir: str | Path,
    out_dir: str | Path | None = None,
    config: AlignConfig = _DEFAULT_CONFIG,
    categories: Sequence[str] | None = None,
    *,
    n_jobs: int = 1,
    sample: int | None = None,
    skip: int = 0,
) -> pd.DataFrame:
    """Align every pair of a PAN text-alignment corpus and score it with PlagDet.

    ``corpus_dir`` holds ``src/``, ``susp/`` and one folder per category with a ``pairs`` file
    and a gold XML per pair; ``categories`` defaults to every folder with a ``pairs`` file, in
    name order (:func:`find_categories`). Detections are written to
    ``out_dir/<category>/<pair>.xml`` (named like the gold) when ``out_dir`` is given.
    ``sample`` keeps only the first ``sample`` pairs of each category, after skipping the first
    ``skip`` (to tune on one part and check on the rest); ``n_jobs`` > 1 aligns in that many
    processes.

    Returns one row per category plus an ``overall`` row, with columns ``recall``,
    ``precision``, ``granularity``, ``plagdet``, ``cases``, ``detections`` and ``pairs``; the
    overall row's ``seconds`` is the wall clock of reading and aligning all pairs.
    """
    corpus = Path(corpus_dir)
    config.validate()
    if not (corpus / "src").is_dir() or not (corpus / "susp").is_dir():
        raise InputError(
            f"{corpus} is not a PAN text-alignment corpus: it needs 'src' and 'susp' folders."
        )
    if categories is None:
        categories = find_categories(corpus)
    _check_jobs(n_jobs, "evaluate_pan")
    selected = {}
    for category in categories:
        pairs = read_pairs(corpus / category)[skip:]
        selected[category] = pairs if sample is None else pairs[:sample]
    everything = [pair for pairs in selected.values() for pair in pairs]
    start = time.perf_counter()
    found_all = _detect_all(corpus, everything, config, n_jobs)
    seconds = time.perf_counter() - start

    rows = []
    all_cases: list[PanSpan] = []
    all_detections: list[PanSpan] = []
    offset = 0
    for category, pairs in selected.items():
        per_pair = found_all[offset : offset + len(pairs)]
        offset += len(pairs)
        cases = [
            case
            for susp, src in pairs
            for case in read_pan_xml(corpus / category / pair_xml_name(susp, src))
        ]
        if out_dir is not None:
            target = Path(out_dir) / category
            target.mkdir(parents=True, exist_ok=True)
            for (susp, src), found in zip(pairs, per_pair, strict=True):
                write_pan_xml(target / pair_xml_name(susp, src), susp, found)
        detections = [d for found in per_pair for d in found]
        rows.append({"category": category, **plagdet(cases, detections), "pairs": len(pairs)})
        all_cases += cases
        all_detections += detections
    overall = plagdet(all_cases, all_detections)
    rows.append({"category": "overall", **overall, "pairs": len(everything), "seconds": seconds})
    return pd.DataFrame(rows).set_index("category")


# Obfuscated reuse (shuffled, replaced or translated words) keeps few exact 4-word windows, so
# discovery on PAN uses word pairs in dense windows and keeps more partners per document:
# measured on pan13-train, these find 100% of the no-obfuscation pairs and about 95% of the
# random and translation pairs (the defaults find 58% and 55%).
DISCOVER_PASSAGES = PassageConfig(ngram=2, window=4, min_shared=2, max_pairs_per_doc=20)


def discover_pan(
    corpus_dir: str | Path,
    out_dir: str | Path | None = None,
    config: AlignConfig | None = None,
    categories: Sequence[str] | None = None,
    *,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Run the corpus-wide pipeline over every document of a PAN corpus, with no pairs given.

    Passage candidates come from the passage-window stage (:mod:`reuse.sketch.windows`) over all
    ``src/`` and ``susp/`` documents; each candidate that pairs a suspicious with a source document
    is aligned exactly as in pairs mode. Per category, the result has the pairs-mode scores
    (``pairs_*``), the discover-mode scores, and ``recall_kept`` = discover recall / pairs recall.
    Detections on candidate pairs that no category lists are counted in ``unlisted_detections``.
    ``categories`` defaults to every folder with a ``pairs`` file (:func:`find_categories`).
    """
    from .config import DedupConfig, TokenizeConfig
    from .ingest import Corpus
    from .pipeline import sketch_corpus
    from .sketch.windows import passage_candidates

    config = config or _DEFAULT_CONFIG
    config.validate()
    _check_jobs(n_jobs, "discover_pan")
    corpus_path = Path(corpus_dir)
    if not (corpus_path / "src").is_dir() or not (corpus_path / "susp").is_dir():
        raise InputError(
            f"{corpus_path} is not a PAN text-alignment corpus: it needs 'src' and 'susp' folders."
        )
    if categories is None:
        categories = find_categories(corpus_path)
    start = time.perf_counter()
    # Read every document the way pairs mode reads it, so that offsets agree.
    corpus = Corpus()
    for folder in ("src", "susp"):
        for path in sorted((corpus_path / folder).glob("*.txt")):
            corpus.ids.append(f"{folder}/{path.name}")
            corpus.texts.append(read_text(path))
    passage_config = DISCOVER_PASSAGES
    sketches = sketch_corpus(corpus.texts, TokenizeConfig(), DedupConfig(), passage_config)
    try:
        is_source = np.array([doc.startswith("src/") for doc in corpus.ids])
        candidates = passage_candidates(sketches.fingerprints, passage_config, groups=is_source)
    finally:
        sketches.close()  # its files: the signatures, band keys and fingerprints
    discovered: set[tuple[str, str]] = set()
    for a, b in zip(candidates.a.tolist(), candidates.b.tolist(), strict=True):
        first, second = corpus.ids[a], corpus.ids[b]
        if first.startswith("susp/") and second.startswith("src/"):
            discovered.add((first[5:], second[4:]))
        elif first.startswith("src/") and second.startswith("susp/"):
            discovered.add((second[5:], first[4:]))
    gold_pairs = {c: read_pairs(corpus_path / c) for c in categories}
    listed = {pair for pairs in gold_pairs.values() for pair in pairs}
    to_align = sorted(listed | discovered)
    found = dict(zip(to_align, _detect_all(corpus_path, to_align, config, n_jobs), strict=True))
    seconds = time.perf_counter() - start

    rows = []
    all_cases: list[PanSpan] = []
    pairs_detections: list[PanSpan] = []
    discover_detections: list[PanSpan] = []
    for category in categories:
        pairs = gold_pairs[category]
        cases = [
            case
            for susp, src in pairs
            for case in read_pan_xml(corpus_path / category / pair_xml_name(susp, src))
        ]
        in_pairs_mode = [d for pair in pairs for d in found[pair]]
        in_discover = [d for pair in pairs if pair in discovered for d in found[pair]]
        if out_dir is not None:
            target = Path(out_dir) / category
            target.mkdir(parents=True, exist_ok=True)
            for pair in pairs:
                write_pan_xml(target / pair_xml_name(*pair), pair[0],
                              found[pair] if pair in discovered else [])
        rows.append(_discover_row(category, cases, in_pairs_mode, in_discover, pairs, discovered))
        all_cases += cases
        pairs_detections += in_pairs_mode
        discover_detections += in_discover
    overall = _discover_row("overall", all_cases, pairs_detections, discover_detections,
                            sorted(listed), discovered)
    overall["unlisted_detections"] = sum(len(found[p]) for p in discovered - listed)
    overall["candidate_pairs"] = len(candidates)
    overall["seconds"] = seconds
    rows.append(overall)
    return pd.DataFrame(rows).set_index("category")


def _discover_row(
    category: str,
    cases: list[PanSpan],
    in_pairs_mode: list[PanSpan],
    in_discover: list[PanSpan],
    pairs: Sequence[tuple[str, str]],
    discovered: set[tuple[str, str]],
) -> dict[str, Any]:
    pairs_scores = plagdet(cases, in_pairs_mode)
    scores = plagdet(cases, in_discover)
    kept = scores["recall"] / pairs_scores["recall"] if pairs_scores["recall"] else float("nan")
    return {
        "category": category,
        **scores,
        "pairs_recall": pairs_scores["recall"],
        "pairs_plagdet": pairs_scores["plagdet"],
        "recall_kept": kept,
        "pairs": len(pairs),
        "pairs_discovered": sum(pair in discovered for pair in pairs),
    }


# Scores that have no meaning in a category without cases (every detection is a false positive).
_CASE_SCORES = ("recall", "precision", "granularity", "plagdet", "pairs_recall",
                "pairs_plagdet", "recall_kept")


def format_scores(scores: pd.DataFrame) -> str:
    """The scores table as fixed-width text for the terminal. A category without cases shows
    ``n/a`` for the scores that need cases, and a note says to read its false-positive
    characters instead."""
    shown = scores.drop(columns=[c for c in ("cases", "detections") if c in scores.columns])
    shown = shown.astype({c: object for c in _CASE_SCORES if c in shown.columns})
    no_cases = scores["cases"] == 0 if "cases" in scores.columns else None
    for column in _CASE_SCORES:
        if column not in shown.columns:
            continue
        shown[column] = [
            "n/a" if (no_cases is not None and no_cases[name]) or pd.isna(value)
            else f"{value:.4f}"
            for name, value in shown[column].items()]
    text = shown.to_string(float_format=lambda x: f"{x:.4f}", na_rep="")
    if no_cases is not None and no_cases.any():
        names = ", ".join(str(name) for name in scores.index[no_cases])
        text += (f"\n\n{names}: no plagiarism cases, so recall, precision and PlagDet do not "
                 "apply (n/a); false_positive_chars counts the characters detected there "
                 "(0 is perfect).")
    return text
