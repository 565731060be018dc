"""The map stages on Spark: functions over Arrow record batches for ``mapInArrow``, each a thin
wrapper of the local stage function (:func:`reuse.sketch.minhash.sketch_batch`,
:func:`reuse.sketch.minhash.estimated_jaccard`, :func:`reuse.verify.group_jaccard`,
:func:`reuse.verify.accepted_pairs`), so that a batch gives the numbers the local engine
gives for the same documents.

Each factory returns the function Spark ships to its Python workers and the DDL schema of
what it yields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..config import PassageConfig
from ..sketch.feed import char_batches
from ..sketch.minhash import SketchTask, estimated_jaccard, sketch_batch
from ..verify import PAIRS_PER_CHUNK, accepted_pairs, group_jaccard
from .arrays import as_signed, binary_column, binary_values, fixed_rows, list_column, texts_of
from .timing import timed

# Characters of text sketched at once inside one Arrow batch (the local engine's batch size).
SKETCH_CHARS = 1_000_000

ArrowMap = Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]


@dataclass(frozen=True)
class SketchSettings:
    """What :func:`sketcher` needs of the run's configuration."""

    strip_diacritics: bool
    ngram: int
    num_perm: int
    seed: int
    bands: int
    rows: int
    keep_shingles: bool
    passage_config: PassageConfig | None


SKETCH_SCHEMA = ("doc long, n_tokens long, signature binary, bands array<long>, "
                 "shingles binary, fp_hashes array<long>, fp_positions array<long>")


def sketcher(settings: SketchSettings) -> ArrowMap:
    """Tokenize, shingle and sketch documents (columns ``doc``, ``text``): one row per document
    with its token count, signature, LSH band keys, and when asked its shingle hashes (exact
    verification) and passage-window fingerprints (hash and token position)."""

    def sketch(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            docs = batch.column("doc").to_numpy()
            texts = texts_of(batch.column("text"))
            lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
            for lo, hi in char_batches(lengths, SKETCH_CHARS):
                yield _sketched(settings, docs[lo:hi], texts[lo:hi])

    return timed("sketch", sketch)


def _sketched(settings: SketchSettings, docs: np.ndarray, texts: list[str]) -> pa.RecordBatch:
    task = SketchTask(texts, None, 0, settings.strip_diacritics, settings.ngram,
                      settings.num_perm, settings.seed, settings.bands, settings.rows,
                      settings.passage_config, return_shingles=settings.keep_shingles)
    sketch = sketch_batch(task)
    n = len(docs)
    signature_bounds = np.arange(n + 1, dtype=np.int64) * settings.num_perm
    band_bounds = np.arange(n + 1, dtype=np.int64) * settings.bands
    columns = {
        "doc": pa.array(docs, type=pa.int64()),
        "n_tokens": pa.array(sketch.n_tokens, type=pa.int64()),
        "signature": binary_column(sketch.signatures.ravel(), signature_bounds),
        "bands": list_column(as_signed(sketch.band_keys.T.ravel()), band_bounds),
        "shingles": (binary_column(*sketch.shingle_hashes) if sketch.shingle_hashes is not None
                     else pa.nulls(n, pa.binary())),
    }
    if sketch.fingerprints is not None:
        found = sketch.fingerprints  # ordered by document (0..n-1 here), then position
        bounds = np.searchsorted(found.docs, np.arange(n + 1))
        columns["fp_hashes"] = list_column(as_signed(found.hashes), bounds)
        columns["fp_positions"] = list_column(found.positions.astype(np.int64), bounds)
    else:
        columns["fp_hashes"] = pa.nulls(n, pa.list_(pa.int64()))
        columns["fp_positions"] = pa.nulls(n, pa.list_(pa.int64()))
    return pa.RecordBatch.from_pydict(columns)


VERIFY_SCHEMA = "left long, right long, jaccard_estimate double, jaccard double"


def verifier(num_perm: int, threshold: float, exact: bool) -> ArrowMap:
    """Verify candidate pairs (columns ``left``, ``right``, ``left_signature``,
    ``right_signature`` and with ``exact`` ``left_shingles``, ``right_shingles``): the
    accepted pairs with their MinHash estimate and exact Jaccard (null unless ``exact``)."""

    def verify(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for lo in range(0, batch.num_rows, PAIRS_PER_CHUNK):
                yield _verified(batch.slice(lo, PAIRS_PER_CHUNK), num_perm, threshold, exact)

    return timed("verify", verify)


def _verified(batch: pa.RecordBatch, num_perm: int, threshold: float, exact: bool
              ) -> pa.RecordBatch:
    n = batch.num_rows
    left = batch.column("left").to_numpy()
    right = batch.column("right").to_numpy()
    signatures = np.concatenate((fixed_rows(batch.column("left_signature"), np.uint32, num_perm),
                                 fixed_rows(batch.column("right_signature"), np.uint32,
                                            num_perm)))
    first, second = np.arange(n), np.arange(n, 2 * n)
    estimate = estimated_jaccard(signatures, first, second)
    jaccard = None
    if exact:
        left_values, left_bounds = binary_values(batch.column("left_shingles"), np.uint64)
        right_values, right_bounds = binary_values(batch.column("right_shingles"), np.uint64)
        values = np.concatenate((left_values, right_values))
        bounds = np.concatenate((left_bounds, right_bounds[1:] + left_bounds[-1]))
        jaccard = group_jaccard(values, bounds, first, second)
    kept = accepted_pairs(left, right, estimate, jaccard, threshold)
    return pa.RecordBatch.from_pydict({
        "left": pa.array(kept.left, type=pa.int64()),
        "right": pa.array(kept.right, type=pa.int64()),
        "jaccard_estimate": pa.array(kept.estimate, type=pa.float64()),
        "jaccard": pa.array(kept.exact, type=pa.float64(), from_pandas=True),
    })
