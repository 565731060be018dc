"""Batches of documents to sketch while the corpus is still being read.

:func:`reuse.ingest.read_corpus` writes the documents to its store a batch at a time and calls
its ``on_flush`` after each one; a :class:`BatchFeed` passed as that callback cuts the documents
written so far into sketching batches and hands them, as ``(texts, lo, hi)``, to a consumer that
iterates the feed in another thread (the sketching stage, whose worker processes read each batch
from the store themselves). Reading then overlaps sketching instead of preceding it.

The batches are exactly those of :func:`batches` over the whole corpus (a batch ends at the
first document that brings it to ``budget`` characters), so the sketches, and every table
after them, do not depend on whether the corpus was fed or read first.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

# Characters of text per sketching batch: enough work per task to outweigh sending it to a
# worker, and a few tens of MB of working arrays.
BATCH_CHARS = 1_000_000
# Without a better guess (see expected_documents), assume this many documents.
_DEFAULT_EXPECTED = 1_000_000
# Bytes of input per document assumed by expected_documents: a low guess (JSONL documents of
# a few KB are common), so that the guess errs towards more documents.
_BYTES_PER_DOCUMENT = 256


def batches(texts: Sequence[str], budget: int = BATCH_CHARS) -> Iterator[tuple[int, int]]:
    """:func:`char_batches` of ``texts``. The texts of a corpus read from disk are not read:
    their ``lengths`` are known."""
    lengths = getattr(texts, "lengths", None)
    if lengths is None:
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    return char_batches(lengths, budget)


def char_batches(lengths: np.ndarray, budget: int = BATCH_CHARS) -> Iterator[tuple[int, int]]:
    """Consecutive ``[start, stop)`` ranges of the documents of ``lengths`` characters, of
    about ``budget`` characters each: a range ends at the first document that brings it to
    ``budget`` (so each holds at least one document)."""
    ends = np.cumsum(lengths)
    start, base = 0, 0
    while start < len(ends):
        stop = min(int(np.searchsorted(ends, base + budget, side="left")) + 1, len(ends))
        yield start, stop
        start, base = stop, int(ends[stop - 1])


class FeedAbandoned(Exception):
    """Raised to the consumer of a feed whose reading failed: it stops and cleans up."""


class BatchFeed:
    """A thread-safe feed of sketching batches: the reading thread calls :meth:`flushed` (as
    ``read_corpus``'s ``on_flush``) and :meth:`close`; the sketching thread iterates it.

    Memory: the lengths of the documents of the batch not yet complete."""

    _END = None

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._ready: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._start = 0  # first document of the batch not yet complete
        self._count = 0  # documents written so far
        self._open = np.empty(0, dtype=np.int64)  # lengths of documents _start.._count
        self._texts: Any = None
        self.error: BaseException | None = None  # the consumer's, stops the reading

    def flushed(self, store: Any) -> None:
        """The store (a :class:`~reuse.ingest.store.DocumentStore`) holds new documents: queue
        the batches they complete. Raises the consumer's error, if it failed, to stop reading."""
        if self.error is not None:
            raise self.error
        count = len(store)
        if count == self._count:
            return
        self._texts = store.texts
        self._open = np.concatenate((self._open, store.lengths_of(self._count, count)))
        self._count = count
        ends = np.cumsum(self._open)
        done = 0
        while True:
            stop = int(np.searchsorted(ends, ends[done - 1] + self.budget if done else
                                       self.budget, side="left")) + 1
            if stop > len(ends):
                break
            self._ready.put((self._texts, self._start + done, self._start + stop))
            done = stop
        self._start += done
        self._open = self._open[done:]

    def close(self, abandon: bool = False) -> None:
        """The reading is over: queue the last batch and the end (or, with ``abandon``, make
        the consumer stop)."""
        if abandon:
            self._ready.put(FeedAbandoned("the reading of the corpus failed"))
            return
        if len(self._open):
            self._ready.put((self._texts, self._start, self._count))
        self._ready.put(self._END)

    def __iter__(self) -> Iterator[tuple[Any, int, int]]:
        while True:
            item = self._ready.get()
            if item is self._END:
                return
            if isinstance(item, FeedAbandoned):
                raise item
            yield item


def expected_documents(source: Any) -> int:
    """A guess, erring high, at the number of documents of ``source`` before reading it: the
    grouping stages size their spill partitions with it (a guess changes only how many
    partitions, never a result)."""
    length = getattr(source, "__len__", None)
    if length is not None and not isinstance(source, str | bytes | os.PathLike):
        try:
            return max(1, int(length()))
        except TypeError:
            return _DEFAULT_EXPECTED
    if isinstance(source, str | os.PathLike):
        try:
            if os.path.isdir(source):
                return max(1, sum(len(files) for _, _, files in os.walk(source)))
            return max(1, os.path.getsize(source) // _BYTES_PER_DOCUMENT)
        except OSError:
            return _DEFAULT_EXPECTED
    return _DEFAULT_EXPECTED
