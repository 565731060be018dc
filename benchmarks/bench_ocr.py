"""Passage recall under real and heavier OCR noise, by character error rate (CER).

    .venv/bin/python benchmarks/bench_ocr.py            # both parts, writes results_ocr.md
    .venv/bin/python benchmarks/bench_ocr.py --cases 200 --no-write

Data: ``../shared/data/icdar2017-ocr`` (ICDAR 2017 post-OCR competition; see its README).

1. **Real OCR** (``icdar2017-ocr/pan``): PlagDet of ``reuse eval pan`` on the PAN-layout corpus
   (a clean passage in one document, its OCR in the other, each padded with unrelated text of
   the same kind), and the recall of each planted passage by the CER of its OCR side. A case's
   CER is computed from the corpus: Levenshtein distance between its OCR passage and its clean
   passage, divided by the clean passage's length.
2. **Heavier OCR** (built from ``icdar2017-ocr/raw``): OCR of the same text twice is not
   available, so a second, noisier copy is simulated by adding character errors to the OCR side
   (seeded RNG) until the passage's CER against the gold reaches a level between 10% and 20%:
   OCR-like substitutions (``e``/``c``, ``rn``/``m``, ``li``/``h``, long ``s``/``f``, ...),
   insertions (stray marks, doubled letters, split words) and deletions (lost letters, merged
   words). The passage is embedded like ``pan/`` does it: clean gold passage padded with clean
   text of other files, noisy OCR passage padded with equally noisy OCR of other files, plus
   negative pairs that share no file. Recall by CER band is measured again, CER computed the
   same way from the built documents.

Each part runs the default aligner and the OCR-tolerant one (``AlignConfig(ocr_tolerant=True)``,
see :mod:`reuse.align.ocr_seeds`). Recall of a case is PAN's character recall of that one case (share
of its characters, in both documents, inside a detection of its pair).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz.distance import Levenshtein

from reuse.align.config import AlignConfig
from reuse.align.ocr_seeds import CHAR_NGRAM, character_stream
from reuse.evaluate import (
    PanSpan,
    evaluate_pan,
    find_categories,
    pair_xml_name,
    plagdet,
    read_pairs,
    read_pan_xml,
    read_text,
)
from reuse.text.shingle import shingle
from reuse.text.tokenize import tokenize

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "icdar2017-ocr"
REAL_BANDS = (0.0, 0.02, 0.05, 0.10)
HARD_BANDS = (0.0, 0.02, 0.05, 0.10, 0.15, 0.20)
HARD_LEVELS = (0.10, 0.125, 0.15, 0.175, 0.20)
CATEGORY = "02-ocr-noisier"
# Substitution models of the simulated noise: OCR confusions, or any letter for a letter.
NOISE_MODELS = {"OCR confusions": True, "random letters": False}


# ------------------------------------------------------------------------- per-case measures


def case_cers(corpus: Path, category: str) -> pd.DataFrame:
    """Every gold case of a category with the CER of its suspicious (OCR) side against its
    source (gold) side."""
    rows = []
    texts: dict[str, str] = {}

    def text(name: str) -> str:
        if name not in texts:
            texts[name] = read_text(corpus / name)
        return texts[name]

    for susp, src in read_pairs(corpus / category):
        for case in read_pan_xml(corpus / category / pair_xml_name(susp, src)):
            ocr = text(f"susp/{susp}")[case.this_offset:case.this_end]
            gold = text(f"src/{src}")[case.source_offset:case.source_end]
            rows.append({"case": case, "cer": Levenshtein.distance(ocr, gold) / len(gold),
                         "word 3-grams kept": seeds_kept(gold, ocr, word_ngrams),
                         "char 7-grams kept": seeds_kept(gold, ocr, char_ngrams)})
    return pd.DataFrame(rows)


def word_ngrams(text: str) -> set[int]:
    """The aligner's default seeds: shingles of 3 normalized words."""
    return set(shingle(tokenize(text).hashes, 3).tolist())


def char_ngrams(text: str) -> set[int]:
    """The OCR-tolerant seeds: 7-grams of folded letters (reuse.align.ocr_seeds)."""
    codes = character_stream(text)[0].astype(np.uint64)
    return set(shingle(codes, CHAR_NGRAM).tolist())


def seeds_kept(gold: str, ocr: str, seeds: Callable[[str], set[int]]) -> float:
    """Share of the gold passage's distinct seeds that its OCR copy still holds."""
    mine = seeds(gold)
    return len(mine & seeds(ocr)) / len(mine) if mine else 0.0


def case_recalls(cases: Sequence[PanSpan], detections_dir: Path, category: str) -> list[float]:
    """PAN character recall of each case alone, from the detections written by evaluate_pan."""
    found: dict[tuple[str, str], list[PanSpan]] = {}
    recalls = []
    for case in cases:
        pair = (case.susp, case.src)
        if pair not in found:
            found[pair] = read_pan_xml(detections_dir / category / pair_xml_name(*pair),
                                       "detected-plagiarism")
        recalls.append(plagdet([case], found[pair])["recall"])
    return recalls


def band_table(cers: np.ndarray, recalls_by_config: dict[str, list[float]],
               edges: Sequence[float], kept: dict[str, list[float]]) -> pd.DataFrame:
    """Mean passage recall, and the share of passages detected at all, per CER band, with the
    mean share of seeds kept (``kept``: per case, by kind of seed)."""
    labels = [f"{lo:.0%}–{hi:.0%}" for lo, hi in itertools.pairwise(edges)]
    labels.append(f"≥ {edges[-1]:.0%}")
    band = np.searchsorted(np.asarray(edges), cers, side="right") - 1
    rows = []
    for k, label in [*enumerate(labels), (None, "all")]:
        mask = np.ones(len(cers), bool) if k is None else band == k
        if not mask.any():
            continue
        row: dict[str, object] = {"CER band": label, "cases": int(mask.sum()),
                                  "median CER": float(np.median(cers[mask]))}
        for column, values in kept.items():
            row[column] = float(np.asarray(values)[mask].mean())
        for name, recalls in recalls_by_config.items():
            values = np.asarray(recalls)[mask]
            row[f"recall ({name})"] = float(values.mean())
            row[f"detected ({name})"] = float((values > 0).mean())
        rows.append(row)
    return pd.DataFrame(rows)


def evaluate(corpus: Path, configs: dict[str, AlignConfig], category: str,
             edges: Sequence[float], jobs: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PlagDet per config, and recall per CER band."""
    cases = case_cers(corpus, category)
    recalls, scores = {}, []
    for name, config in configs.items():
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            table = evaluate_pan(corpus, out, config, n_jobs=jobs)
            seconds = time.perf_counter() - start
            recalls[name] = case_recalls(list(cases["case"]), Path(out), category)
        for category_name, row in table.iterrows():
            # Without cases these scores mean nothing (see reuse.evaluate.format_scores).
            shown = {c: row[c] if row.cases else "n/a"
                     for c in ("plagdet", "recall", "precision", "granularity")}
            scores.append({"aligner": name, "category": category_name, **shown,
                           "cases": int(row.cases),
                           "false_positive_chars": int(row.false_positive_chars),
                           "pairs": int(row.pairs),
                           "seconds": seconds if category_name == "overall" else np.nan})
    kept = {c: list(cases[c]) for c in ("word 3-grams kept", "char 7-grams kept")}
    bands = band_table(cases["cer"].to_numpy(), recalls, edges, kept)
    return pd.DataFrame(scores), bands


# ------------------------------------------------------------------ simulated heavier OCR noise

# OCR confusions: a character read as another, or as two (and two as one is a deletion plus a
# substitution in the model below). Each is used both ways where it makes sense.
_CONFUSIONS = {
    "a": "oeuns", "b": ["h", "li", "6"], "c": "eoa", "d": ["cl", "a"], "e": "coa",
    "f": "stl", "g": "qy9", "h": ["b", "li", "n"], "i": "l1j!", "j": "i", "k": ["lc", "x"],
    "l": "1iI|t", "m": ["rn", "in", "nn"], "n": ["u", "ri", "h"], "o": "0ecau", "p": "qb",
    "q": "g", "r": "tn", "s": "fa5", "t": "fl", "u": ["n", "ii", "v"], "v": "yu",
    "w": ["vv", "v"], "x": "k", "y": "v", "z": "s", "é": "eè", "è": "eé", "à": "a", "ç": "c",
    "ê": "eé", "I": "l1", "S": "5s", "O": "0", "B": "8", "E": "F", "C": "G", ",": ".", ".": ",",
    ";": ":", ":": ";", "'": "’", "-": "—", "0": "o", "1": "l",
}
_STRAY = list(".,'-:;^`~*il ")


def add_ocr_noise(text: str, rate: float, rng: np.random.Generator,
                  confusions: bool = True) -> str:
    """``text`` with about ``rate`` errors per character: 60% substitutions (OCR confusions,
    or with ``confusions=False`` any letter for a letter), 20% deletions (a space deleted
    merges two words), 20% insertions (a stray mark, a doubled letter or a space splitting a
    word)."""
    if not text or rate <= 0:
        return text
    chars = np.array(list(text), dtype=object)
    draw = rng.random(len(chars))
    substituted = draw < 0.6 * rate
    deleted = (draw >= 0.6 * rate) & (draw < 0.8 * rate)
    inserted = (draw >= 0.8 * rate) & (draw < rate)
    out = chars.copy()
    for char in np.unique(chars[substituted]).tolist():
        at = np.flatnonzero(substituted & (chars == char))
        options = (_CONFUSIONS.get(char) or _CONFUSIONS.get(char.lower())) if confusions else None
        if options is None:
            options = list("etaoinshrdlu") if char.isalpha() else _STRAY
        out[at] = np.asarray(list(options), dtype=object)[rng.integers(0, len(options), len(at))]
    out[deleted] = ""
    at = np.flatnonzero(inserted)
    kind = rng.integers(0, 3, len(at))
    stray = np.asarray(_STRAY, dtype=object)[rng.integers(0, len(_STRAY), len(at))]
    extra = np.where(kind == 0, stray, np.where(kind == 1, chars[at], " "))
    out[at] = out[at] + extra
    return "".join(out.tolist())


@dataclass
class Unit:
    """A stretch of one raw file covered by gold: its gold and OCR words, aligned word for word
    (word ``k`` of ``gold`` was read as ``ocr[k]``, which may be empty or hold spaces)."""

    file: str
    gold: list[str]
    ocr: list[str]


def read_units(raw: Path, max_words: int = 300) -> list[Unit]:
    """The raw files cut at gold word boundaries into units of at most ``max_words`` words,
    leaving out the parts of a file without gold (``#``)."""
    units = []
    for path in sorted(raw.glob("*/*.txt")):
        lines = path.read_text(encoding="utf-8").split("\n")
        ocr_aligned = next(line[14:] for line in lines if line.startswith("[OCR_aligned]"))
        gold_aligned = next(line[14:] for line in lines if line.startswith("[ GS_aligned]"))
        name = f"{path.parent.name}/{path.name}"
        # Cut the aligned strings where the gold has a space; a piece holding '#' has no gold.
        cuts = [0, *[m.end() for m in re.finditer(" ", gold_aligned)], len(gold_aligned)]
        stretches: list[list[tuple[str, str]]] = [[]]
        for lo, hi in itertools.pairwise(cuts):
            gold = gold_aligned[lo:hi].replace("@", "").strip()
            if "#" in gold_aligned[lo:hi] or not gold:
                stretches.append([])
                continue
            stretches[-1].append((gold, ocr_aligned[lo:hi].replace("@", "").strip()))
        for words in stretches:
            for lo in range(0, len(words), max_words):
                piece = words[lo:lo + max_words]
                if len(piece) >= 40:
                    units.append(Unit(name, [g for g, _ in piece], [o for _, o in piece]))
    return units


def _padding(units: list[Unit], words: int, used: set[str], rng: np.random.Generator,
             side: str) -> list[str]:
    """About ``words`` words of gold or OCR text from units of files not in ``used``."""
    out: list[str] = []
    while len(out) < words:
        unit = units[int(rng.integers(len(units)))]
        if unit.file in used:
            continue
        used.add(unit.file)
        out += getattr(unit, side)[: words - len(out)]
    return out


def _join(words: list[str]) -> str:
    return " ".join(word for word in words if word)


def build_noisier_corpus(root: Path, units: list[Unit], cases: int, negatives: int,
                         seed: int, confusions: bool = True) -> None:
    """A PAN-layout corpus under ``root``: ``cases`` planted passages in ``CATEGORY``, their OCR
    side made noisier to one of ``HARD_LEVELS`` (:func:`add_ocr_noise` with ``confusions``),
    and ``negatives`` pairs in 01-no-plagiarism."""
    rng = np.random.default_rng(seed)
    for folder in ("src", "susp", CATEGORY, "01-no-plagiarism"):
        (root / folder).mkdir(parents=True)
    for number in range(cases + negatives):
        used: set[str] = set()
        level = HARD_LEVELS[number % len(HARD_LEVELS)]
        susp_name = f"suspicious-document{number:05d}.txt"
        src_name = f"source-document{number:05d}.txt"
        padding = [int(rng.integers(50, 601)) for _ in range(4)]
        if number < cases:
            unit = units[int(rng.integers(len(units)))]
            used.add(unit.file)
            length = int(rng.integers(40, len(unit.gold) + 1))
            first = int(rng.integers(0, len(unit.gold) - length + 1))
            gold = _join(unit.gold[first:first + length])
            ocr = _join(unit.ocr[first:first + length])
            # Errors to add so that the CER against the gold reaches the level.
            already = Levenshtein.distance(ocr, gold) / len(gold)
            ocr = add_ocr_noise(ocr, max(level - already, 0.0), rng, confusions)
        src_before = _join(_padding(units, padding[0], used, rng, "gold"))
        src_after = _join(_padding(units, padding[1], used, rng, "gold"))
        susp_before = add_ocr_noise(_join(_padding(units, padding[2], used, rng, "ocr")), level,
                                    rng, confusions)
        susp_after = add_ocr_noise(_join(_padding(units, padding[3], used, rng, "ocr")), level,
                                   rng, confusions)
        if number < cases:
            src_text = f"{src_before}\n\n{gold}\n\n{src_after}"
            susp_text = f"{susp_before}\n\n{ocr}\n\n{susp_after}"
            category = CATEGORY
            feature = (
                f'<feature name="plagiarism" obfuscation="ocr-simulated" '
                f'this_offset="{len(susp_before) + 2}" this_length="{len(ocr)}" '
                f'source_reference="{src_name}" source_offset="{len(src_before) + 2}" '
                f'source_length="{len(gold)}"/>\n')
        else:
            src_text, susp_text = f"{src_before}\n\n{src_after}", f"{susp_before}\n\n{susp_after}"
            category, feature = "01-no-plagiarism", ""
        for folder, name, text in (("src", src_name, src_text), ("susp", susp_name, susp_text)):
            with open(root / folder / name, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        with open(root / category / "pairs", "a", encoding="utf-8") as handle:
            handle.write(f"{susp_name} {src_name}\n")
        (root / category / pair_xml_name(susp_name, src_name)).write_text(
            f'<document reference="{susp_name}">\n{feature}</document>\n', encoding="utf-8")


# --------------------------------------------------------------------------------- reporting


def _markdown(frame: pd.DataFrame) -> list[str]:
    def cell(value: object) -> str:
        if isinstance(value, float):
            return "" if np.isnan(value) else f"{value:.4f}"
        return str(value)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in frame.itertuples(index=False)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cases", type=int, default=500, help="heavier-noise cases to build")
    parser.add_argument("--negatives", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="do not write results_ocr.md")
    args = parser.parse_args()
    configs = {"default": AlignConfig(), "ocr_tolerant": AlignConfig(ocr_tolerant=True)}

    real_corpus = args.data / "pan"
    real_category = next(c for c in find_categories(real_corpus) if c != "01-no-plagiarism")
    real_scores, real_bands = evaluate(real_corpus, configs, real_category, REAL_BANDS,
                                          args.jobs)
    units = read_units(args.data / "raw")
    hard = {}
    for model, confusions in NOISE_MODELS.items():
        with tempfile.TemporaryDirectory() as tmp:
            hard_corpus = Path(tmp) / "pan-noisier"
            build_noisier_corpus(hard_corpus, units, args.cases, args.negatives, args.seed,
                                 confusions)
            hard[model] = evaluate(hard_corpus, configs, CATEGORY, HARD_BANDS, args.jobs)
    shown = [("real OCR: PlagDet", real_scores), ("real OCR: recall by CER", real_bands)]
    for model, (scores, bands) in hard.items():
        shown += [(f"heavier OCR, {model}: PlagDet", scores),
                  (f"heavier OCR, {model}: recall by CER", bands)]
    for title, frame in shown:
        print(f"\n{title}\n{frame.round(4).to_string(index=False)}")
    if args.no_write:
        return
    command = "python benchmarks/bench_ocr.py"
    extra = [f"--{k} {v}" for k, v in (("cases", args.cases), ("negatives", args.negatives),
                                       ("seed", args.seed), ("jobs", args.jobs))
             if v != parser.get_default(k)]
    lines = [
        "# Passage recall under OCR noise, by character error rate",
        "",
        f"Command: `.venv/bin/{' '.join([command, *extra])}`",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"{args.jobs} process(es). Data: `icdar2017-ocr` (ICDAR 2017 post-OCR competition).",
        "A case's CER is the Levenshtein distance between its OCR passage and its gold passage, "
        "divided by the gold passage's length, computed from the documents. Recall is PAN's "
        "character recall of the case; *detected* is the share of cases with any recall. "
        "*Kept* columns: mean share of a gold passage's distinct seeds that its OCR copy still "
        "holds, for the default word 3-grams and for the OCR-tolerant folded character 7-grams. "
        "Seconds: reading, aligning and writing all pairs, one process. Categories without "
        "cases show n/a for the scores; `false_positive_chars` counts what was detected there.",
        "",
        f"## Real OCR: `icdar2017-ocr/pan` ({real_category}, 01-no-plagiarism)",
        "",
        *_markdown(real_scores),
        "",
        *_markdown(real_bands),
        "",
        "## Heavier OCR: simulated second noisy copy, built from `icdar2017-ocr/raw`",
        "",
        f"{args.cases} planted passages (40–300 words) whose OCR side gets further character "
        f"errors (seed {args.seed}) until its CER reaches "
        f"{', '.join(f'{level:.1%}' for level in HARD_LEVELS)} (in turn), padded like `pan/` "
        f"(clean gold padding in the source, equally noisy OCR padding in the suspicious "
        f"document), and {args.negatives} negative pairs. Errors: 60% substitutions, 20% "
        "deletions (a lost space merges two words), 20% insertions (stray mark, doubled letter, "
        "space splitting a word). Two substitution models: *OCR confusions* (`e`/`c`, `rn`/`m`, "
        "`li`/`h`, long `s`/`f`, ...; some of them are folded by the OCR-tolerant seeds) and "
        "*random letters* (any letter for a letter: nothing folded away).",
        "",
    ]
    for model, (scores, bands) in hard.items():
        lines += [f"### {model}", "", *_markdown(scores), "", *_markdown(bands), ""]
    (ROOT / "benchmarks" / "results_ocr.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    from reuse.engine.allocator import reusable_heap

    with reusable_heap():  # as the reuse command runs; the API leaves malloc alone
        main()
