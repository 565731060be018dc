"""Lexical and paraphrase passages of a pair → one alignment per reused passage."""

from __future__ import annotations

import numpy as np

from ..text.tokenize import Tokens
from .alignment import Alignment
from .config import AlignConfig
from .edits import make_alignment
from .paraphrase import (
    SentenceModel,
    boxes_overlap,
    paraphrase_passage_boxes,
)
from .reference import merge_overlapping

# A near-verbatim lexical passage (similarity _VERBATIM_SIMILARITY and up) covering this share
# of a paraphrase passage in a stands for it.
_VERBATIM_COVER = 0.4


_VERBATIM_SIMILARITY = 0.9


# Lexical passages at least this similar are verbatim copies for _near_copies: edited copies
# (0.9 and up) come from reworded reuse as well.
_COPY_SIMILARITY = 0.95


def _combine(
    lexical: dict[tuple[int, int, int, int], Alignment],
    paraphrased: list[tuple[int, int, int, int]],
) -> tuple[list[tuple[int, int, int, int]], list[tuple[int, int, int, int]]]:
    """Decide between lexical and paraphrase passages that overlap.

    Near-verbatim lexical passages stand for a paraphrase passage when they cover a good part
    of it: their boundaries are exact, and the sentences around a verbatim copy often look
    alike without being reused. Otherwise the paraphrase passage absorbs the lexical fragments
    inside it, so that one reused passage gives one alignment: an edited copy (similarity
    below 0.9) is a rewording whose exact matches stop short of its edited ends, where the
    sentences still match.
    """
    remaining = list(lexical)
    kept: list[tuple[int, int, int, int]] = []
    for box in paraphrased:
        inside = [lex for lex in remaining if boxes_overlap(box, lex)]
        if not inside:
            kept.append(box)
            continue
        covered = sum(min(lex[1], box[1]) - max(lex[0], box[0]) for lex in inside)
        length = box[1] - box[0]
        verbatim = min(lexical[lex].similarity for lex in inside) >= _VERBATIM_SIMILARITY
        if verbatim and covered >= _VERBATIM_COVER * length:
            continue
        remaining = [lex for lex in remaining if lex not in inside]
        kept.append((min(box[0], *(lex[0] for lex in inside)),
                     max(box[1], *(lex[1] for lex in inside)),
                     min(box[2], *(lex[2] for lex in inside)),
                     max(box[3], *(lex[3] for lex in inside))))
    return remaining, merge_overlapping(kept)


def _near_copies(
    paraphrased: list[tuple[int, int, int, int]], copies: list[tuple[int, int, int, int]],
    reach: int,
) -> list[tuple[int, int, int, int]]:
    """The paraphrase passages that lie within ``reach`` tokens in a of a verbatim copy, when
    the pair has copies; all of them when it has none.

    A document that copies text word for word has no need to reword it: once a pair shows
    verbatim copies, a paraphrase passage far from them is far more often two texts on one
    topic (or shared boilerplate) than reworded reuse, while one next to a copy continues it
    (a summary quoting a sentence, a copy whose edges were reworded)."""
    if not copies:
        return paraphrased
    return [p for p in paraphrased
            if any(p[0] < c[1] + reach and c[0] < p[1] + reach for c in copies)]


def _merge_adjacent(
    lexical: list[tuple[int, int, int, int]], paraphrased: list[tuple[int, int, int, int]],
    gap: int,
) -> tuple[list[tuple[int, int, int, int]], list[tuple[int, int, int, int]]]:
    """Passages at most ``gap`` tokens apart in a, at least one of them a paraphrase passage,
    made one paraphrase passage spanning both (in b too): a stretch of a that rewrites text
    continues across a sentence whose words changed too much to seed, so its pieces are one
    reuse, however far apart their sources lie in b (a summary gathers sentences from all
    over its source). Two lexical passages stay apart: exact matches bound them."""
    boxes = sorted([(box, True) for box in lexical] + [(box, False) for box in paraphrased])
    merged: list[tuple[tuple[int, int, int, int], bool]] = []
    for box, is_lexical in boxes:
        if (gap >= 0 and merged and box[0] - merged[-1][0][1] <= gap
                and not (is_lexical and merged[-1][1])):
            last = merged[-1][0]
            merged[-1] = ((min(last[0], box[0]), max(last[1], box[1]),
                           min(last[2], box[2]), max(last[3], box[3])), False)
        else:
            merged.append((box, is_lexical))
    return ([box for box, is_lexical in merged if is_lexical],
            [box for box, is_lexical in merged if not is_lexical])


def position_of(al: Alignment) -> tuple[int, int, int, int]:
    """Sort key of a pair's alignments: by position in a, then in b."""
    return al.a_start, al.b_start, al.a_end, al.b_end


def paraphrase_combined(
    a_tokens: Tokens, b_tokens: Tokens, config: AlignConfig,
    found: dict[tuple[int, int, int, int], Alignment], model: SentenceModel | None,
) -> list[Alignment]:
    """Lexical alignments ``found`` (keyed by token box) combined with the paraphrase passages
    of the pair's sentence ``model``."""
    verbatim = [box for box, al in found.items() if al.similarity >= _VERBATIM_SIMILARITY]
    paraphrase_boxes = _near_copies(
        paraphrase_passage_boxes(model, a_tokens.hashes, b_tokens.hashes, config, verbatim),
        [box for box, al in found.items() if al.similarity >= _COPY_SIMILARITY],
        config.copy_reach,
    )
    if not paraphrase_boxes:
        return sorted(found.values(), key=position_of)
    a_list = a_tokens.hashes.tolist()
    b_list = b_tokens.hashes.tolist()
    lexical, paraphrased = _merge_adjacent(*_combine(found, paraphrase_boxes), config.merge_gap)
    alignments = [found[box] for box in lexical] + [
        make_alignment(box, a_tokens, b_tokens, "paraphrase", a_list, b_list)
        for box in paraphrased
    ]
    alignments.sort(key=position_of)
    return alignments


def merged_boxes(boxes: np.ndarray) -> np.ndarray:
    """Rows ``pair, a0, a1, b0, b1`` (sorted by pair) with each pair's overlapping boxes
    united (:func:`merge_overlapping`)."""
    pair = boxes[:, 0]
    repeated = pair[1:] == pair[:-1]
    crowded = np.r_[False, repeated] | np.r_[repeated, False]
    if not crowded.any():
        return boxes
    rows = [boxes[~crowded]]
    for k in np.unique(pair[crowded]).tolist():
        mine = boxes[pair == k, 1:]
        merged = merge_overlapping([tuple(r) for r in mine.tolist()])  # type: ignore[misc]
        rows.append(np.array([(k, *box) for box in merged], dtype=np.int64).reshape(-1, 5))
    out = np.concatenate(rows)
    return out[np.argsort(out[:, 0], kind="stable")]
