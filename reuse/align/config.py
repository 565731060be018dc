"""The aligner's parameters: :class:`AlignConfig` (how passages are found) and
:class:`BandConfig` (which slices of a long candidate pair the corpus run aligns). Only the
standard library is imported, so that :class:`reuse.Config` is cheap to build."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from ..common.validation import BOOL, COUNT, FRACTION, POSITIVE, OrNone, Range, Rule, Validated

__all__ = ["CORPUS_RUN_MODE", "PAIRS_MODE", "AlignConfig", "BandConfig"]

# The aligner's settings whose default depends on the command: aligning whole given pairs
# (reuse align, align_pair, the PAN evaluation), or the slices of seed bands in the corpus
# run (reuse run). None in an AlignConfig stands for the command's value.
PAIRS_MODE = {"paraphrase": True, "summary_whole_source": True, "merge_gap": 30}
# The corpus run aligns the slices of seed bands (reuse.align.bands), not whole documents, so "the
# whole source document" of a summary would be an arbitrary slice; and passages of one band
# are joined along it (BandConfig.merge_gap), where merge_gap would join neighbours whatever
# their sources (on the Bible versions it took verse precision with paraphrase from 0.96 to
# 0.85). Paraphrase seeds cost about four times the time, so the corpus run leaves them off.
CORPUS_RUN_MODE = {"paraphrase": False, "summary_whole_source": False, "merge_gap": -1}


@dataclass(frozen=True)
class AlignConfig(Validated):
    """How passages are found. Lengths and gaps are in tokens unless named after sentences.

    ``ngram``: tokens per lexical seed. ``min_length``: shortest passage reported, in tokens on
    both sides (default 25, about 140 characters of English; chosen on PAN 2013, see
    ``benchmarks/results_pan.md``); a paraphrase passage needs it on average over its two
    sides, and 60% of it on the shorter (rewording that drops words shortens one side).
    ``max_gap``: the widest stretch of unmatched tokens inside a lexical passage.
    ``min_density``: least share of a passage's tokens (on its shorter side) that lexical seeds
    cover. ``max_occurrences``: n-grams occurring more often than this in
    either document are too common to seed. ``extend_drop``: how far below its best score a
    boundary extension may fall before it stops.

    ``paraphrase``: also use sentence TF-IDF seeds. ``sentence_cosine``/``sentence_dice``:
    thresholds for a sentence pair to seed. ``sentence_gap``: most unmatched sentences inside a
    paraphrased passage. ``min_paraphrase_similarity``: least TF-IDF cosine of a whole
    paraphrased passage. ``grow_similarity``: cosine and Dice above which the sentence pair
    next to a paraphrased passage joins it. ``summary_similarity``: cosine and Dice thresholds
    of summary seeds.
    ``summary_ratio``: a summary spans at least this many times fewer tokens than its source
    passage. ``summary_gap``: the sentence gap allowed in the source of a summary.
    ``summary_whole_source``: a summary's source passage is the whole of b (see
    :func:`reuse.align.paraphrase._summaries`).
    ``copy_reach``: in a pair with verbatim copies (lexical passages of similarity 0.95 and
    up), a paraphrase passage is kept only within this many tokens (in a) of one (a value
    past the documents' length keeps them all).
    ``merge_gap``: a paraphrase passage and another passage at most this many tokens apart in a
    become one (-1: never).
    ``ocr_tolerant``: also seed from character 7-grams of letters folded for OCR confusions
    (:mod:`reuse.align.ocr_seeds`), which finds OCR'd copies whose word 3-grams rarely survive (off by
    default: it costs time on clean text, where word seeds suffice).

    ``paraphrase``, ``summary_whole_source`` and ``merge_gap`` default to None: the command's
    value (:data:`PAIRS_MODE` when whole pairs are aligned, :data:`CORPUS_RUN_MODE` in
    ``reuse run``); :meth:`resolved` fills them in.
    """

    ngram: int = 3
    min_length: int = 25
    max_gap: int = 20
    min_density: float = 0.3
    max_occurrences: int = 20
    extend_drop: int = 3
    paraphrase: bool | None = None
    sentence_cosine: float = 0.33
    sentence_dice: float = 0.33
    sentence_gap: int = 4
    min_paraphrase_similarity: float = 0.34
    grow_similarity: float = 0.2
    summary_similarity: float = 0.25
    summary_ratio: float = 3.0
    summary_gap: int = 24
    summary_whole_source: bool | None = None
    copy_reach: int = 40
    merge_gap: int | None = None
    ocr_tolerant: bool = False

    RULES: ClassVar[dict[str, Rule]] = {
        "ngram": Range(int, 1, 64), "min_length": POSITIVE, "max_gap": Range(int, 0, 10**6),
        "min_density": FRACTION, "max_occurrences": POSITIVE,
        "extend_drop": Range(int, 0, 1000),
        "paraphrase": OrNone(BOOL, "the command's default"),
        "sentence_cosine": FRACTION, "sentence_dice": FRACTION,
        "sentence_gap": Range(int, 0, 10**6), "min_paraphrase_similarity": FRACTION,
        "grow_similarity": FRACTION, "summary_similarity": FRACTION,
        "summary_ratio": Range(float, 1.0, 1e9), "summary_gap": Range(int, 0, 10**6),
        "summary_whole_source": OrNone(BOOL, "the command's default"),
        "copy_reach": COUNT,
        "merge_gap": OrNone(Range(int, -1, 10**9), "the command's default"),
        "ocr_tolerant": BOOL,
    }

    def resolved(self, corpus_run: bool = False) -> AlignConfig:
        """This config with its None fields set to the command's values: the corpus run's
        (``corpus_run``), else those of aligning whole pairs."""
        mode = CORPUS_RUN_MODE if corpus_run else PAIRS_MODE
        unset = {name: value for name, value in mode.items() if getattr(self, name) is None}
        return dataclasses.replace(self, **unset) if unset else self


@dataclass(frozen=True)
class BandConfig(Validated):
    """How seeds become bands and bands become boxes (all lengths in tokens), in the corpus
    run (see :mod:`reuse.align.bands`).

    ``max_gap``: the longest step between two seeds of one band, in either document.
    ``slack``/``drift``: two consecutive seeds of a band may step ``step_a`` and ``step_b``
    tokens with ``|step_a - step_b| <= slack + drift * max(step_a, step_b)``. ``lookahead``:
    how many following seeds (in first-document order) each seed may link to, so that a
    stray seed in between does not break a band. ``min_seeds``: seeds a band needs.
    ``margin``: tokens added on each side of a band's seeds, for the passage's ends beyond
    its first and last seed. ``merge_gap``: two consecutive passages of a pair whose gap is at
    most this long in both documents, and as consistent as two seeds of a band, are one
    passage (see :func:`reuse.align.bands.merge_along_bands`; -1: never).
    """

    max_gap: int = 250
    slack: int = 12
    drift: float = 0.5
    lookahead: int = 24
    min_seeds: int = 2
    margin: int = 100
    merge_gap: int = 100

    RULES: ClassVar[dict[str, Rule]] = {
        "max_gap": POSITIVE, "slack": COUNT, "drift": Range(float, 0.0, 1000.0),
        "lookahead": Range(int, 1, 10_000), "min_seeds": Range(int, 1, 10**6),
        "margin": COUNT, "merge_gap": Range(int, -1, 10**9),
    }
