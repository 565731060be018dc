"""How passages are found: :class:`AlignConfig`, every parameter of the aligner."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import check_range
from ..errors import ConfigError


@dataclass(frozen=True)
class AlignConfig:
    """How passages are found. Lengths and gaps are in tokens unless named after sentences.

    ``ngram``: tokens per lexical seed. ``min_length``: shortest passage reported, in tokens on
    both sides (default 25, about 140 characters of English; chosen on PAN 2013, see
    ``benchmarks/results_pan.md``). ``max_gap``: the widest stretch of unmatched tokens inside a
    lexical passage. ``min_density``: least share of a passage's tokens (on its shorter side)
    that lexical seeds cover. ``max_occurrences``: n-grams occurring more often than this in
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
    """

    ngram: int = 3
    min_length: int = 25
    max_gap: int = 20
    min_density: float = 0.3
    max_occurrences: int = 20
    extend_drop: int = 3
    paraphrase: bool = True
    sentence_cosine: float = 0.33
    sentence_dice: float = 0.33
    sentence_gap: int = 4
    min_paraphrase_similarity: float = 0.34
    grow_similarity: float = 0.2
    summary_similarity: float = 0.25
    summary_ratio: float = 3.0
    summary_gap: int = 24
    summary_whole_source: bool = True
    copy_reach: int = 40
    merge_gap: int = 30
    ocr_tolerant: bool = False

    def validate(self) -> AlignConfig:
        owner = "AlignConfig"
        check_range("ngram", self.ngram, int, 1, 64, owner)
        check_range("min_length", self.min_length, int, 1, 10**9, owner)
        check_range("max_gap", self.max_gap, int, 0, 10**6, owner)
        check_range("min_density", self.min_density, float, 0.0, 1.0, owner)
        check_range("max_occurrences", self.max_occurrences, int, 1, 10**9, owner)
        check_range("extend_drop", self.extend_drop, int, 0, 1000, owner)
        if not isinstance(self.paraphrase, bool):
            raise ConfigError(
                "The 'paraphrase' parameter of AlignConfig must be a bool. "
                f"Got {self.paraphrase!r} instead."
            )
        if not isinstance(self.ocr_tolerant, bool):
            raise ConfigError(
                "The 'ocr_tolerant' parameter of AlignConfig must be a bool. "
                f"Got {self.ocr_tolerant!r} instead."
            )
        check_range("sentence_cosine", self.sentence_cosine, float, 0.0, 1.0, owner)
        check_range("sentence_dice", self.sentence_dice, float, 0.0, 1.0, owner)
        check_range("sentence_gap", self.sentence_gap, int, 0, 10**6, owner)
        check_range(
            "min_paraphrase_similarity", self.min_paraphrase_similarity, float, 0.0, 1.0, owner
        )
        check_range("grow_similarity", self.grow_similarity, float, 0.0, 1.0, owner)
        check_range("summary_similarity", self.summary_similarity, float, 0.0, 1.0, owner)
        check_range("summary_ratio", self.summary_ratio, float, 1.0, 1e9, owner)
        check_range("summary_gap", self.summary_gap, int, 0, 10**6, owner)
        if not isinstance(self.summary_whole_source, bool):
            raise ConfigError(
                "The 'summary_whole_source' parameter of AlignConfig must be a bool. "
                f"Got {self.summary_whole_source!r} instead."
            )
        check_range("copy_reach", self.copy_reach, int, 0, 10**9, owner)
        check_range("merge_gap", self.merge_gap, int, -1, 10**9, owner)
        return self
