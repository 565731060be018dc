"""Alignment of candidate document pairs: the pairs' texts read back from the store chunk by
chunk, aligned in worker processes, and every passage's exact character spans in both texts."""

from __future__ import annotations

import dataclasses
import itertools
import operator
import os
import pickle
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..common.progress import progress
from ..common.sequences import values_at
from ..config import PassageConfig, TokenizeConfig
from ..engine import ordered_map
from ..ingest import Corpus
from ..ingest.store import TextColumn
from ..runfolder.checkpoints import StageLedger
from ..sketch.feed import char_batches
from ..sketch.windows import PassageCandidates
from ..text.tokenize import TokenBatch, Tokens, tokenize_joined

if TYPE_CHECKING:  # reuse.align.bands imports scipy.sparse.csgraph and the aligner: not for dedup
    import pandas as pd

    from ..align.bands import BandConfig, Boxes


def align_documents(
    corpus: Corpus,
    left: np.ndarray,
    right: np.ndarray,
    align_config: Any,
    tokenize_config: TokenizeConfig,
    quiet: bool = True,
    paraphrase_skipped: list[int] | None = None,
    candidates: PassageCandidates | None = None,
    seed_length: int = PassageConfig.ngram,
    band_config: BandConfig | None = None,
    workers: int = 1,
    parts: AlignParts | None = None,
) -> pd.DataFrame:
    """Align each document pair ``(left[k], right[k])``; returns the ``alignments`` table.
    The pairs ``k`` left without paraphrase seeds (see :func:`reuse.align.aligner.align_token_batch`)
    are appended to ``paraphrase_skipped``, when given.

    With ``candidates`` (whose pairs are ``left``/``right``), only the seed bands are aligned
    (see :mod:`reuse.align.bands`): each band's token box is cut out of both documents, aligned, and
    the alignments' offsets are shifted back. A passage that reaches the edge of its box may
    go on beyond it, so its box is widened on that side and aligned again, until the passage
    ends inside the box or the box reaches the document's end. Consecutive passages of a box
    that continue each other across a rewritten gap are joined (see
    :func:`reuse.align.bands.merge_along_bands`). Pairs whose seeds form no band are not aligned.
    Without ``candidates`` (pairs mode), each pair is aligned whole, and nothing is joined.

    The boxes are aligned in chunks of about ``_ALIGN_BATCH_TOKENS`` tokens, each chunk (with
    its widenings) a task of :func:`reuse.engine.ordered_map` in ``workers`` processes carrying
    the texts of its documents only; the chunks' alignments are merged in the order the boxes
    would be aligned one round of widening at a time, so the table is the same for any number
    of workers. The progress bar counts tokens aligned and moves after every chunk. With
    ``parts`` (a run's checkpoints), the chunks aligned by a killed run are read back instead
    of aligned again, and each chunk aligned now is handed to ``parts`` to keep.
    """
    from ..align.alignment import alignments_frame
    from ..align.bands import BandConfig, Boxes, band_windows, seed_bands

    def _position(al: Any) -> tuple[int, int, int, int]:
        return al.a_start, al.b_start, al.a_end, al.b_end

    # What the caller left unset takes the values of its mode (bands: the corpus run's).
    align_config = align_config.resolved(corpus_run=candidates is not None)
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    if candidates is None:
        whole = np.full(len(left), _WHOLE, dtype=np.int64)
        zero = np.zeros(len(left), dtype=np.int64)
        boxes = Boxes(np.arange(len(left), dtype=np.int64), zero, whole, zero, whole)
    else:
        band_config = band_config or BandConfig()
        bands = seed_bands(candidates.seed_pair, candidates.seed_a, candidates.seed_b,
                           seed_length, band_config, workers=workers)
        boxes = band_windows(bands, np.full(len(left), _WHOLE, dtype=np.int64),
                             np.full(len(left), _WHOLE, dtype=np.int64), band_config.margin)
    doc_chars = corpus.lengths
    a_docs, b_docs = left[boxes.pair], right[boxes.pair]
    costs = _box_costs(boxes, a_docs, b_docs, doc_chars)
    settings = _AlignSettings(align_config, tokenize_config.strip_diacritics, band_config)

    chunks = list(_align_batches(costs))
    workers = _useful_workers(workers, costs, chunks)
    # Worker processes read their chunks' documents from disk: a chunk of boxes may touch
    # hundreds of documents, and a pipe would carry them for every chunk. A corpus read from
    # files is in its document store already; one built in Python is written to a text file.
    stored = isinstance(corpus.texts, TextColumn)
    text_file = _TextFile(corpus.texts) if workers > 1 and not stored else None

    earlier = parts.resume(len(chunks)) if parts is not None else []

    def tasks() -> Iterator[_AlignChunk]:
        for lo, hi in chunks[len(earlier):]:
            index = np.arange(lo, hi)
            a_part, b_part = a_docs[lo:hi], b_docs[lo:hi]
            texts = _chunk_texts(corpus.texts, doc_chars, np.concatenate((a_part, b_part)),
                                 text_file)
            yield _AlignChunk(boxes.take(index), a_part, b_part, index, texts, settings)

    entries: list[tuple[int, int, int, list[Any]]] = []
    skipped: set[int] = set()
    widened: set[int] = set()
    try:
        with progress(int(costs.sum()), "align", quiet, unit="token") as bar:
            aligned = ordered_map(_align_chunk, tasks(), workers, initializer=_start_token_cache)
            for number, done in enumerate(itertools.chain(earlier, aligned)):
                entries.extend(done.entries)
                skipped.update(done.skipped)
                widened.update(done.widened)
                bar.total += done.widened_cost
                bar.update(done.cost)
                if parts is not None and number >= len(earlier):
                    parts.add(done)
    finally:
        if text_file is not None:
            text_file.remove()
    _start_token_cache()  # with one worker the cache was this process's: free it
    # As if every box were aligned one round of widening at a time, in the boxes' order.
    entries.sort(key=lambda entry: entry[:2])
    found: dict[int, list[Any]] = {}
    for _, _, pair, pair_alignments in entries:
        found.setdefault(pair, []).extend(pair_alignments)
    if paraphrase_skipped is not None:
        paraphrase_skipped.extend(sorted(skipped))
    rows = []
    pairs = np.array(sorted(found), dtype=np.int64)
    ids = values_at(corpus.ids, np.concatenate((left[pairs], right[pairs])))
    for pair, a_id, b_id in zip(pairs.tolist(), ids[:len(pairs)], ids[len(pairs):], strict=True):
        pair_alignments = found[pair]
        if pair in widened:
            pair_alignments = _outermost(pair_alignments)
        pair_alignments = sorted(pair_alignments, key=_position)
        rows.extend((a_id, b_id, alignment) for alignment in pair_alignments)
    return alignments_frame(rows)


class AlignParts:
    """The chunks of a run's align stage aligned so far, kept in its checkpoints
    (:meth:`reuse.runfolder.checkpoints.StageLedger.add_part`) every ``_ALIGN_PART_SECONDS``, so
    that a run killed in the middle of the stage resumes after the last chunks kept. A chunk's
    result depends only on its boxes, which the ``passage_candidates`` checkpoint fixes."""

    def __init__(self, ledger: StageLedger) -> None:
        self.ledger = ledger
        self.pending: list[_AlignedChunk] = []
        self.kept = 0
        self.chunks = 0
        self.flushed = time.monotonic()

    def resume(self, chunks: int) -> list[_AlignedChunk]:
        """The chunks aligned by the killed run (none if it cut the stage into other chunks)."""
        self.chunks = chunks
        earlier: list[_AlignedChunk] = []
        for part in self.ledger.parts("align", chunks):
            earlier.extend(pickle.loads(part.read_bytes()))
        self.kept = len(earlier)
        return earlier

    def add(self, chunk: _AlignedChunk) -> None:
        self.pending.append(chunk)
        if time.monotonic() - self.flushed >= _ALIGN_PART_SECONDS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        data = pickle.dumps(self.pending, protocol=pickle.HIGHEST_PROTOCOL)
        self.kept += len(self.pending)
        self.ledger.add_part("align", data, self.kept, self.chunks)
        self.pending = []
        self.flushed = time.monotonic()


# Seconds of alignment between two parts kept by a checkpointed run (a killed run loses at most
# about this much of its align stage).
_ALIGN_PART_SECONDS = float(os.environ.get("REUSE_TEST_ALIGN_PART_SECONDS", 10.0))


# A box's end meaning "to the end of the document".
_WHOLE = np.iinfo(np.int64).max // 4


# Token boxes aligned together, at most, and their tokens: small enough that the progress bar
# moves every second or so, large enough that a batch's numpy passes are shared by many boxes.
_ALIGN_BATCH_PAIRS = 256


_ALIGN_BATCH_TOKENS = 400_000


# How often a box whose passage reaches its edge is widened and aligned again; the last time,
# the box reaches the documents' ends on that side.
_MAX_WIDENINGS = 4


# A passage ending this close (in tokens) to a box's inner edge may go on beyond it.
_EDGE_TOKENS = 8


# A box reaches a document's end when it is nearer than this share of the box's length.
_SNAP_SHARE = 8


# Tokens to align per worker process, at least (about two seconds of one core's work).
_TOKENS_PER_WORKER = 4_000_000


# Tokenized documents kept for the next boxes, in tokens (24 bytes each), per process.
_CACHED_TOKENS = 8_000_000


def _useful_workers(workers: int, costs: np.ndarray, chunks: list[tuple[int, int]]) -> int:
    """At most ``workers``, no more than the chunks, and one per ``_TOKENS_PER_WORKER``
    tokens to align: starting the worker processes takes a second or more (a fork server that
    imports the stages), which a small alignment would not win back."""
    return max(1, min(workers, len(chunks), int(costs.sum()) // _TOKENS_PER_WORKER + 1))


class _TextFile:
    """The corpus's texts one after another in a temporary file (UTF-8, lone surrogates
    kept), and where each begins, for worker processes to read their chunks' documents from."""

    def __init__(self, texts: list[str]) -> None:
        import tempfile

        self.bounds = np.zeros(len(texts) + 1, dtype=np.int64)
        with tempfile.NamedTemporaryFile("wb", prefix="reuse-texts-", delete=False) as handle:
            self.path = handle.name
            for k, text in enumerate(texts):
                self.bounds[k + 1] = self.bounds[k] + handle.write(
                    text.encode("utf-8", "surrogatepass"))

    def remove(self) -> None:
        Path(self.path).unlink(missing_ok=True)


@dataclass(frozen=True)
class _ChunkTexts:
    """The texts of a chunk's documents (by corpus position): ``chars`` of each, and the
    texts themselves (``given``), the corpus's stored texts (``column``, which a worker
    process receives as a handle to the document store), or their byte ranges in a
    :class:`_TextFile`."""

    chars: dict[int, int]
    given: dict[int, str] | None = None
    column: TextColumn | None = None
    path: str = ""
    spans: dict[int, tuple[int, int]] | None = None

    def __getitem__(self, doc: int) -> str:
        if self.given is not None:
            return self.given[doc]
        if self.column is not None:
            return self.column[doc]
        assert self.spans is not None
        start, end = self.spans[doc]
        return _mapped(self.path)[start:end].decode("utf-8", "surrogatepass")

    def joined(self, docs: list[int]) -> str:
        """The texts of ``docs`` end to end with a NUL between each two (as
        :func:`reuse.text.tokenize.tokenize_joined` takes them): from the store, nearby ones in
        one read, and decoded as one piece."""
        if self.column is not None:
            return self.column.utf8_at(np.array(docs, dtype=np.int64), b"\x00").decode(
                "utf-8", "surrogatepass")
        return "\x00".join([self[doc] for doc in docs])


_MAPPED: dict[str, Any] = {}


def _mapped(path: str) -> Any:
    """The text file at ``path``, mapped into memory once per process."""
    if path not in _MAPPED:
        import mmap

        with open(path, "rb") as handle:
            _MAPPED[path] = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if (
                os.fstat(handle.fileno()).st_size) else b""
    return _MAPPED[path]


def _chunk_texts(texts: Sequence[str], lengths: np.ndarray, docs: np.ndarray,
                 text_file: _TextFile | None) -> _ChunkTexts:
    """The texts of the documents ``docs`` (corpus positions) that a chunk of boxes reads:
    the stored texts themselves (read where the chunk is aligned), the texts, or with a
    ``text_file``, where they are in it. ``lengths``: every text's length in characters."""
    unique = list(dict.fromkeys(docs.tolist()))
    chars = {d: int(lengths[d]) for d in unique}
    if isinstance(texts, TextColumn):
        return _ChunkTexts(chars, column=texts)
    if text_file is None:
        return _ChunkTexts(chars, given={d: texts[d] for d in unique})
    bounds = text_file.bounds
    return _ChunkTexts(chars, path=text_file.path,
                       spans={d: (int(bounds[d]), int(bounds[d + 1])) for d in unique})


@dataclass(frozen=True)
class _AlignSettings:
    align_config: Any
    strip_diacritics: bool
    band_config: BandConfig | None


@dataclass(frozen=True)
class _AlignChunk:
    """One task of :func:`align_documents`: consecutive boxes, each box's documents, each
    box's position among all boxes (its order), and the texts of those documents only."""

    boxes: Boxes
    a_docs: np.ndarray
    b_docs: np.ndarray
    order: np.ndarray
    texts: _ChunkTexts
    settings: _AlignSettings


@dataclass
class _AlignedChunk:
    """What a chunk found: ``(round, order, pair, alignment rows)`` per box that was not widened
    again, the pairs left without paraphrase seeds, the pairs with a widened box, and the
    tokens aligned (``cost``, of which ``widened_cost`` in widened boxes)."""

    entries: list[tuple[int, int, int, list[Any]]] = field(default_factory=list)
    skipped: set[int] = field(default_factory=set)
    widened: set[int] = field(default_factory=set)
    cost: int = 0
    widened_cost: int = 0


def _align_chunk(chunk: _AlignChunk) -> _AlignedChunk:
    """Align a chunk's boxes, widen those whose passages reach an inner edge and align them
    again (in batches of ``_ALIGN_BATCH_TOKENS``), up to ``_MAX_WIDENINGS`` times."""
    from ..align.alignment import alignment_row
    from ..align.bands import Boxes

    settings = chunk.settings
    cache = _token_cache(settings.strip_diacritics)
    done = _AlignedChunk()
    boxes, a_docs, b_docs, order = chunk.boxes, chunk.a_docs, chunk.b_docs, chunk.order
    chars = np.vectorize(chunk.texts.chars.__getitem__, otypes=[np.int64])
    for round_number in range(_MAX_WIDENINGS + 1):
        if not len(boxes):
            break
        costs = _box_costs(boxes, a_docs, b_docs, chars)
        done.cost += int(costs.sum())
        if round_number:
            done.widened.update(boxes.pair.tolist())
            done.widened_cost += int(costs.sum())
        retry: list[np.ndarray] = []
        wider: list[Boxes] = []
        for lo, hi in _align_batches(costs):
            index = np.arange(lo, hi)
            found, cut, again, part_skipped = _align_boxes(
                cache, boxes.take(index), a_docs[lo:hi], b_docs[lo:hi], settings.align_config,
                chunk.texts, round_number, settings.band_config)
            done.entries.extend((round_number, int(order[lo + k]), pair,
                                 [alignment_row(al) for al in alignments])
                                for k, pair, alignments in found)
            done.skipped.update(part_skipped)
            retry.append(lo + cut)
            wider.append(again)
        again_index = np.concatenate(retry)
        boxes = Boxes.concat(wider)
        a_docs, b_docs, order = a_docs[again_index], b_docs[again_index], order[again_index]
    return done


_TOKEN_CACHE: dict[str, _DocumentTokens] = {}


def _start_token_cache() -> None:
    """An empty token cache for this process (a worker's, or this one's with one worker), and
    no text file mapped."""
    _TOKEN_CACHE.clear()
    _MAPPED.clear()


def _token_cache(strip_diacritics: bool) -> _DocumentTokens:
    key = f"strip_diacritics={strip_diacritics}"
    if key not in _TOKEN_CACHE:
        _TOKEN_CACHE.clear()
        _TOKEN_CACHE[key] = _DocumentTokens(strip_diacritics)
    return _TOKEN_CACHE[key]


class _DocumentTokens:
    """The tokens of documents (by corpus position), tokenized when first needed, a batch of
    documents at a time, and kept while they fit ``_CACHED_TOKENS`` (the oldest are dropped
    first). A document's tokens are views into its batch's arrays, so a batch counts whole
    while any of its documents is kept; a batch whose kept documents hold less than half of
    its tokens gives them copies of their own and is freed, so the cache never holds more than
    twice the tokens of the documents it keeps."""

    def __init__(self, strip_diacritics: bool) -> None:
        self.strip_diacritics = strip_diacritics
        self.kept: dict[int, tuple[Tokens, int]] = {}  # document: its tokens, its batch's number
        # batch number: [its documents kept, its tokens, the tokens of its documents kept]
        self.batches: dict[int, list[int]] = {}
        self.numbers = itertools.count()
        self.size = 0  # the tokens of the batches held

    def get(self, docs: list[int], texts: _ChunkTexts) -> dict[int, Tokens]:
        missing = [d for d in dict.fromkeys(docs) if d not in self.kept]
        lengths = np.array([texts.chars[d] for d in missing], dtype=np.int64)
        for lo, hi in char_batches(lengths):
            batch = tokenize_joined(texts.joined(missing[lo:hi]), lengths[lo:hi],
                                    self.strip_diacritics)
            self._hold([(d, batch.doc(k)) for k, d in enumerate(missing[lo:hi])],
                       len(batch.hashes))
        wanted = {d: self.kept[d][0] for d in docs}
        for d in list(self.kept):
            if self.size <= _CACHED_TOKENS:
                break
            if d not in wanted:
                self._drop(d)
        if self.size > _CACHED_TOKENS:
            self._compact()
        return wanted

    def _hold(self, documents: list[tuple[int, Tokens]], tokens: int) -> None:
        """Keep ``documents`` (``(document, tokens)``), views into one batch of ``tokens``."""
        number = next(self.numbers)
        self.batches[number] = [len(documents), tokens, sum(len(t) for _, t in documents)]
        self.size += tokens
        for d, document_tokens in documents:
            self.kept[d] = (document_tokens, number)

    def _drop(self, d: int) -> None:
        document_tokens, number = self.kept.pop(d)
        held = self.batches[number]
        held[0] -= 1
        held[2] -= len(document_tokens)
        if not held[0]:
            del self.batches[number]
            self.size -= held[1]

    def _compact(self) -> None:
        """Copy out the documents kept of each batch they fill less than half of, and free it."""
        sparse = {number for number, (_, tokens, kept) in self.batches.items()
                  if 2 * kept < tokens}
        for d, (document_tokens, number) in list(self.kept.items()):
            if number in sparse:
                self._drop(d)
                copy = document_tokens.copy()
                self._hold([(d, copy)], len(copy))


def _box_costs(boxes: Boxes, a_docs: np.ndarray, b_docs: np.ndarray,
               doc_chars: Callable[[np.ndarray], np.ndarray] | np.ndarray) -> np.ndarray:
    """About how many tokens each box holds: its token ranges, or for a box that reaches a
    document's end, a guess from the document's characters (its tokens are not known yet).
    ``doc_chars`` gives the characters of documents: an array by corpus position, or a
    function of an array of positions."""
    def side(lo: np.ndarray, hi: np.ndarray, docs: np.ndarray) -> np.ndarray:
        if not len(docs):
            return np.zeros(0, dtype=np.int64)
        chars = doc_chars[docs] if isinstance(doc_chars, np.ndarray) else doc_chars(docs)
        return np.minimum(hi, lo + chars // 4 + 1) - lo

    return side(boxes.a_lo, boxes.a_hi, a_docs) + side(boxes.b_lo, boxes.b_hi, b_docs) + 1


def _align_batches(costs: np.ndarray) -> Iterator[tuple[int, int]]:
    """Consecutive ``[lo, hi)`` ranges of the boxes: at most ``_ALIGN_BATCH_PAIRS`` boxes, and
    no more once their ``costs`` (tokens) add up to ``_ALIGN_BATCH_TOKENS`` (each box is
    aligned on its own, so the batches change the speed, never the result)."""
    if not len(costs):
        return
    lo, total = 0, 0
    for k, cost in enumerate(costs.tolist()):
        if k > lo and (k - lo >= _ALIGN_BATCH_PAIRS or total + cost > _ALIGN_BATCH_TOKENS):
            yield lo, k
            lo, total = k, 0
        total += cost
    yield lo, len(costs)


def _align_boxes(
    cache: _DocumentTokens, boxes: Boxes, a_docs: np.ndarray, b_docs: np.ndarray,
    align_config: Any, texts: _ChunkTexts, round_number: int, band_config: BandConfig | None,
) -> tuple[list[tuple[int, int, list[Any]]], np.ndarray, Boxes, set[int]]:
    """Align the token boxes of one batch (box ``k`` of documents ``a_docs[k]``,
    ``b_docs[k]``). Returns each finished box's index, pair and alignments (offsets in the
    documents); the indexes of the boxes to align again wider (a passage reached an inner
    edge: each round doubles the box on that side, the last but one widens it to the
    document's end, and the last round keeps what it finds) and those wider boxes; and the
    pairs left without paraphrase seeds. With a ``band_config``, consecutive passages of a box
    that continue each other are joined (:func:`reuse.align.bands.merge_along_bands`)."""
    from ..align.aligner import align_token_batch
    from ..align.bands import Boxes, merged_along_bands

    tokens = cache.get([*a_docs.tolist(), *b_docs.tolist()], texts)
    a_count = np.fromiter((len(tokens[d]) for d in a_docs.tolist()), np.int64, len(boxes))
    b_count = np.fromiter((len(tokens[d]) for d in b_docs.tolist()), np.int64, len(boxes))
    boxes = Boxes(boxes.pair, *_snapped(boxes.a_lo, boxes.a_hi, a_count),
                  *_snapped(boxes.b_lo, boxes.b_hi, b_count))
    sides = [(tokens[d], lo, hi) for d, lo, hi in zip(
        [*a_docs.tolist(), *b_docs.tolist()],
        [*boxes.a_lo.tolist(), *boxes.b_lo.tolist()],
        [*boxes.a_hi.tolist(), *boxes.b_hi.tolist()], strict=True)]
    lengths = np.fromiter((hi - lo for _, lo, hi in sides), np.int64, len(sides))
    bounds = np.zeros(len(sides) + 1, dtype=np.int64)
    np.cumsum(lengths, out=bounds[1:])
    char_start = np.fromiter((t.starts[lo] if hi > lo else 0 for t, lo, hi in sides),
                             np.int64, len(sides))
    char_end = np.fromiter((t.ends[hi - 1] if hi > lo else 0 for t, lo, hi in sides),
                           np.int64, len(sides))
    # Sentence and OCR seeds read the raw text, so they get each slice's text and offsets
    # relative to it (shifted back below); lexical seeds need no text, so their offsets stay
    # the documents' and nothing is shifted.
    with_texts = align_config.paraphrase or align_config.ocr_tolerant
    if not with_texts:
        char_start = np.zeros_like(char_start)
    shift = np.repeat(char_start, lengths)
    empty = np.empty(0, dtype=np.int64)
    batch = TokenBatch(
        np.concatenate([t.hashes[lo:hi] for t, lo, hi in sides] or [empty.astype(np.uint64)]),
        np.concatenate([t.starts[lo:hi] for t, lo, hi in sides] or [empty]) - shift,
        np.concatenate([t.ends[lo:hi] for t, lo, hi in sides] or [empty]) - shift,
        bounds,
    )
    slices = None
    if with_texts:
        docs = [*a_docs.tolist(), *b_docs.tolist()]
        slices = [texts[d][s:e] for d, s, e in zip(docs, char_start.tolist(), char_end.tolist(),
                                                   strict=True)]
    n = len(boxes)
    box_skipped: list[int] = []
    found = align_token_batch(batch, np.arange(n), np.arange(n, 2 * n), align_config, slices,
                              paraphrase_skipped=box_skipped,
                              strip_diacritics=cache.strip_diacritics)
    # Each box's first and last-plus-one token under its passages, on each side.
    per_box = np.fromiter(map(len, found), dtype=np.int64, count=n)
    has = per_box > 0
    a0, a1, b0, b1 = _token_spans(batch, found, per_box, n)
    # A cut on a side: the passages reach an inner edge of the box (not a document's end).
    if round_number >= _MAX_WIDENINGS:
        cut_low_a = cut_high_a = cut_low_b = cut_high_b = np.zeros(n, dtype=bool)
    else:
        cut_low_a = has & (boxes.a_lo > 0) & (a0 < _EDGE_TOKENS)
        cut_high_a = has & (boxes.a_hi < a_count) & (a1 > lengths[:n] - _EDGE_TOKENS)
        cut_low_b = has & (boxes.b_lo > 0) & (b0 < _EDGE_TOKENS)
        cut_high_b = has & (boxes.b_hi < b_count) & (b1 > lengths[n:] - _EDGE_TOKENS)
    cut = cut_low_a | cut_high_a | cut_low_b | cut_high_b
    kept = np.flatnonzero(has & ~cut).tolist()
    out = []
    for k, alignments in zip(kept, [found[k] for k in kept] if band_config is None
                             else merged_along_bands(found, kept, batch, n, band_config),
                             strict=True):
        if with_texts:
            a_shift, b_shift = int(char_start[k]), int(char_start[n + k])
            alignments = [_shifted(al, a_shift, b_shift) for al in alignments]
        out.append((k, int(boxes.pair[k]), alignments))
    # A box whose passages reach an inner edge is aligned again, wider on that side (to the
    # document's end the last time); what it found this time is dropped.
    grow_a = np.maximum(boxes.a_hi - boxes.a_lo, _EDGE_TOKENS * 8)
    grow_b = np.maximum(boxes.b_hi - boxes.b_lo, _EDGE_TOKENS * 8)
    if round_number >= _MAX_WIDENINGS - 1:
        grow_a = grow_b = np.full(n, _WHOLE, dtype=np.int64)
    wider = Boxes(
        boxes.pair,
        np.where(cut_low_a, np.maximum(boxes.a_lo - grow_a, 0), boxes.a_lo),
        np.where(cut_high_a, np.minimum(boxes.a_hi + grow_a, _WHOLE), boxes.a_hi),
        np.where(cut_low_b, np.maximum(boxes.b_lo - grow_b, 0), boxes.b_lo),
        np.where(cut_high_b, np.minimum(boxes.b_hi + grow_b, _WHOLE), boxes.b_hi),
    )
    again = np.flatnonzero(cut)
    return out, again, wider.take(again), {int(boxes.pair[k]) for k in box_skipped}


def _snapped(lo: np.ndarray, hi: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Box ranges clipped to the documents' ``count`` tokens, and reaching a document's end
    when it is nearer than an eighth of the box: a long band (two versions of a book) is
    aligned to the ends at once instead of being widened and aligned again."""
    hi = np.minimum(hi, count)
    lo = np.minimum(lo, hi)
    reach = (hi - lo) // _SNAP_SHARE
    return np.where(lo <= reach, 0, lo), np.where(count - hi <= reach, count, hi)


def _token_spans(batch: TokenBatch, found: list[list[Any]], per_box: np.ndarray, n: int
                 ) -> tuple[np.ndarray, ...]:
    """For each box ``k`` of the batch (its sides the batch's documents ``k`` and ``n + k``),
    the first and last-plus-one token of its alignments ``found[k]`` on side a, then on side b
    (zeros for a box without any). The offsets are those of the batch's tokens."""
    spans = np.zeros((4, n), dtype=np.int64)
    if not per_box.any():
        return spans[0], spans[1], spans[2], spans[3]
    chain = itertools.chain.from_iterable
    rows = np.fromiter(chain(map(_SPAN_FIELDS, chain(found))), dtype=np.int64,
                       count=4 * int(per_box.sum())).reshape(-1, 4)
    boxes = np.flatnonzero(per_box)
    firsts = np.concatenate(([0], np.cumsum(per_box[boxes])[:-1]))
    lowest = np.minimum.reduceat(rows, firsts, axis=0)
    highest = np.maximum.reduceat(rows, firsts, axis=0)
    for side in (0, 1):
        docs = boxes + side * n
        spans[2 * side, boxes] = batch.search(docs, lowest[:, 2 * side])  # the earliest start
        spans[2 * side + 1, boxes] = batch.search(docs, highest[:, 2 * side + 1], "ends") + 1
    return spans[0], spans[1], spans[2], spans[3]


# An alignment's offsets, as _token_spans reads them.
_SPAN_FIELDS = operator.attrgetter("a_start", "a_end", "b_start", "b_end")


def _shifted(alignment: Any, a_shift: int, b_shift: int) -> Any:
    """The alignment with its offsets (and its edits') moved by ``a_shift``/``b_shift``."""
    if not a_shift and not b_shift:
        return alignment
    return dataclasses.replace(
        alignment,
        a_start=alignment.a_start + a_shift, a_end=alignment.a_end + a_shift,
        b_start=alignment.b_start + b_shift, b_end=alignment.b_end + b_shift,
        edits=[(op, s + a_shift, e + a_shift, t + b_shift, f + b_shift)
               for op, s, e, t, f in alignment.edits],
    )


def _outermost(alignments: list[Any]) -> list[Any]:
    """A pair's alignments from boxes that overlap (a box widened into another): the same
    passage once, and none inside another one in both documents.

    In order of start, a passage found twice lies inside one of the last passages kept or
    inside the one reaching furthest so far, so only those are compared (never all pairs of
    a pair's passages, which grow with the length of the documents)."""
    unique = sorted({(al.a_start, al.b_start, al.a_end, al.b_end): al
                     for al in alignments}.values(),
                    key=lambda al: (al.a_start, al.b_start, -al.a_end, -al.b_end))
    kept: list[Any] = []
    furthest: Any = None
    for al in unique:
        if any(k.a_start <= al.a_start and al.a_end <= k.a_end and k.b_start <= al.b_start
               and al.b_end <= k.b_end for k in [*kept[-_RECENT:], furthest] if k is not None):
            continue
        kept.append(al)
        if furthest is None or al.a_end > furthest.a_end:
            furthest = al
    return kept


# Passages kept last that a passage is compared with, in _outermost.
_RECENT = 64
