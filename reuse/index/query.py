"""A query batch against an index: the stages of ``reuse run``, on the documents that matter.

The query documents are sketched as ``reuse run`` sketches a corpus. Their LSH band keys and
passage-window fingerprints are joined (DuckDB) with every segment's tables, which gives every
indexed document that shares a bucket with a query document: so each bucket that holds a query
document is whole, as it would be in ``reuse run`` on the index's documents and the query's
together (A ∪ B), and the documents are numbered as there (the indexed ones by key, then the
query's in input order). Candidate pairs, verification, passage candidates and alignment then
run the pipeline's own stage functions on those documents only, keeping the pairs with a query
document in them.

What equals ``reuse run`` on A ∪ B restricted to the pairs with a query document, and what not:

* LSH buckets and passage-window buckets are whole, so the very-common caps (the passages'
  and the LSH buckets' ``max_bucket``) and their anchors are those of the run; the anchor of an
  LSH bucket over its cap is chosen by length and position (the run also looks at dates
  first).
* ``max_pairs_per_doc`` ranks a document's partners among the pairs this query sees: an indexed
  document's partners are the query documents only (the run also counts its partners inside
  the index), so where that cap binds in the run the query can keep more pairs, never fewer.
  Where no document has more than ``max_pairs_per_doc`` partners, the pairs are the same.
* Each pair is aligned from the same seeds as in the run, so the spans of every alignment are
  the same. Passage clusters and boilerplate are computed over the query's alignments (the
  run clusters the index's alignments among themselves too).
* An indexed document with the id of a query document (a document queried again) is named
  ``ID [indexed]`` in the answer.
* Keep/drop: an indexed document always wins: a query document with a near-duplicate in the
  index is dropped, its representative the first such indexed document (by key); with
  ``among_queries``, the remaining query documents are clustered among themselves as ``reuse
  run`` clusters (earliest date, longest, first).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..candidates.lsh import bucket_pairs
from ..cluster.documents import representative_priority, star_clusters
from ..config import Config
from ..ingest import Corpus
from ..pipeline import RunResult, Timings, align_documents, exact_jaccard, input_counts
from ..sketch.minhash import estimated_jaccard
from ..sketch.windows import Fingerprints, passage_candidates
from .folder import Manifest
from .segments import (
    BANDS,
    DOCS,
    FINGERPRINTS,
    BatchRows,
    Segments,
    batch_rows,
    duckdb_connection,
    parquet_list,
    sketches,
)

# An indexed document whose id is also a query document's is named so in the answer's tables
# (a run folder's ids are unique).
INDEXED_SUFFIX = " [indexed]"


@dataclass
class QuerySketch:
    """The query documents sketched: token counts, signatures, and their band and fingerprint
    rows (documents by query ordinal)."""

    n_tokens: np.ndarray
    signatures: np.ndarray
    rows: BatchRows


def sketch_query(corpus: Corpus, config: Config, workers: int) -> QuerySketch:
    min_tokens = config.dedup.effective_min_tokens
    counts, signatures, rows = [], [], []
    for batch in sketches(corpus.texts, config, workers):
        counts.append(batch.n_tokens)
        signatures.append(batch.signatures)
        rows.append(batch_rows(batch, min_tokens, 0))

    def joined(name: str, dtype: Any) -> np.ndarray:
        return np.concatenate([getattr(r, name) for r in rows] or [np.empty(0, dtype)])

    return QuerySketch(
        np.concatenate(counts or [np.empty(0, np.int64)]),
        np.concatenate(signatures or [np.empty((0, config.dedup.num_perm), np.uint32)]),
        BatchRows(joined("band", np.int16), joined("band_key", np.int64),
                  joined("band_doc", np.int64), joined("hashes", np.int64),
                  joined("fingerprint_doc", np.int64), joined("positions", np.int32)))


def lookup(segments: Segments, sketch: QuerySketch, removed: np.ndarray) -> BatchRows:
    """Join the query's band keys and fingerprints with the segments' Parquet tables (DuckDB
    reads them from disk; only the matching rows come back): the rows of the index that share
    a band key or fingerprint with the query, tombstoned documents left out, documents by
    index key."""
    import pyarrow as pa

    connection = duckdb_connection()
    try:
        query_bands = pa.table({"band": sketch.rows.band, "key": sketch.rows.band_key})
        query_hashes = pa.table({"hash": np.unique(sketch.rows.hashes)})
        connection.register("query_bands", query_bands)
        connection.register("query_hashes", query_hashes)
        if segments.readers:
            bands = connection.sql(
                f"SELECT i.band, i.key, i.doc FROM read_parquet({parquet_list(segments.files(BANDS))}) i "
                "JOIN (SELECT DISTINCT band, key FROM query_bands) q "
                "ON i.band = q.band AND i.key = q.key").to_arrow_table()
            found = connection.sql(
                f"SELECT i.hash, i.doc, i.position FROM "
                f"read_parquet({parquet_list(segments.files(FINGERPRINTS))}) i "
                "JOIN query_hashes q ON i.hash = q.hash").to_arrow_table()
        else:
            bands = pa.table({"band": pa.array([], pa.int16()), "key": pa.array([], pa.int64()),
                              "doc": pa.array([], pa.int64())})
            found = pa.table({"hash": pa.array([], pa.int64()), "doc": pa.array([], pa.int64()),
                              "position": pa.array([], pa.int32())})
    finally:
        connection.close()

    def column(table: Any, name: str, dtype: Any) -> np.ndarray:
        return table.column(name).to_numpy().astype(dtype, copy=False)

    band_doc = column(bands, "doc", np.int64)
    live_bands = ~np.isin(band_doc, removed)
    fingerprint_doc = column(found, "doc", np.int64)
    live_fingerprints = ~np.isin(fingerprint_doc, removed)
    return BatchRows(column(bands, "band", np.int16)[live_bands],
                   column(bands, "key", np.int64)[live_bands], band_doc[live_bands],
                   column(found, "hash", np.int64)[live_fingerprints],
                   fingerprint_doc[live_fingerprints],
                   column(found, "position", np.int32)[live_fingerprints])


def lsh_pairs(band: np.ndarray, key: np.ndarray, doc: np.ndarray, rank: np.ndarray,
              max_bucket: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Unique pairs ``left < right`` of documents sharing a ``(band, key)`` bucket, as
    :meth:`reuse.candidates.lsh.SpilledBuckets.pairs` makes them (members in ``rank`` order,
    an oversized bucket paired with its anchor); and the number of oversized buckets."""
    if len(doc) < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, 0
    order = np.lexsort((rank[doc], key, band))
    band, key, doc = band[order], key[order], doc[order]
    new = np.ones(len(doc), dtype=bool)
    new[1:] = (band[1:] != band[:-1]) | (key[1:] != key[:-1])
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, len(doc)))
    left, right, big = bucket_pairs(doc, sizes, max_bucket)
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    n = np.int64(max(len(rank), 1))
    codes = np.unique(lo * n + hi)
    return codes // n, codes % n, int(big.sum())


def run_query(index: Path, manifest: Manifest, config: Config, corpus: Corpus, *,
              among_queries: bool, removed: np.ndarray, workers: int, timings: Timings,
              quiet: bool, options: dict[str, Any]) -> RunResult:
    """The result of querying ``corpus`` against the index version ``manifest`` (see the
    module doc)."""
    num_perm = config.dedup.num_perm
    segments = Segments(index, manifest.segments, num_perm)
    try:
        with timings.stage("sketch"):
            sketch = sketch_query(corpus, config, workers)
        with timings.stage("lookup"):
            matches = lookup(segments, sketch, removed)
        return _answer(segments, config, corpus, sketch, matches, among_queries, workers,
                       timings, quiet, options)
    finally:
        segments.close()


def _answer(segments: Segments, config: Config, corpus: Corpus, sketch: QuerySketch,
            matches: BatchRows, among_queries: bool, workers: int, timings: Timings, quiet: bool,
            options: dict[str, Any]) -> RunResult:
    n_query = len(corpus)
    gathered = np.unique(np.concatenate((matches.band_doc, matches.fingerprint_doc)))
    g = len(gathered)
    compared = sketch.n_tokens >= config.dedup.effective_min_tokens

    with timings.stage("candidates"):
        lengths = np.concatenate((segments.lengths(gathered), corpus.lengths))
        rank = representative_priority(lengths)
        left, right, capped_buckets = lsh_pairs(
            np.concatenate((matches.band, sketch.rows.band)),
            np.concatenate((matches.band_key, sketch.rows.band_key)),
            np.concatenate((np.searchsorted(gathered, matches.band_doc), g + sketch.rows.band_doc)),
            rank, config.dedup.max_bucket)
        wanted = (right >= g) & ((left < g) | among_queries)
        left, right = left[wanted], right[wanted]
    with timings.stage("verify"):
        signatures = np.concatenate((segments.signatures(gathered, config.dedup.num_perm),
                                     sketch.signatures))
        estimate = estimated_jaccard(signatures, left, right)
        del signatures
        if config.dedup.verify == "exact":
            texts = _Texts(segments, gathered, corpus)
            exact = exact_jaccard(texts, left, right, config.tokenize,  # type: ignore[arg-type]
                                  config.dedup.ngram)
            accepted = exact >= config.dedup.threshold
        else:
            exact = np.full(len(left), np.nan)
            accepted = estimate >= config.dedup.threshold
        candidate_pairs = len(left)
        left, right = left[accepted], right[accepted]
        estimate, exact = estimate[accepted], exact[accepted]

    with timings.stage("passage_candidates"):
        order = np.lexsort((matches.positions, matches.fingerprint_doc))
        fingerprints = Fingerprints(
            np.concatenate((matches.hashes[order], sketch.rows.hashes)).view(np.uint64),
            np.concatenate((np.searchsorted(gathered, matches.fingerprint_doc[order]),
                            g + sketch.rows.fingerprint_doc)),
            np.concatenate((matches.positions[order], sketch.rows.positions)).astype(np.int64))
        groups = np.zeros(g + n_query, dtype=np.int64)
        groups[g:] = 1 + np.arange(n_query) if among_queries else 1
        candidates = passage_candidates(fingerprints, config.passages, groups)

    # The documents the answer involves: every query document, and the indexed documents of
    # the pairs (renumbered in the same order).
    involved = np.unique(np.concatenate((left, right, candidates.a, candidates.b,
                                         g + np.arange(n_query))))
    index_part = involved[involved < g]
    ids, texts, metadata = segments.documents(gathered[index_part])
    query_ids = set(corpus.ids)
    ids = [f"{doc}{INDEXED_SUFFIX}" if doc in query_ids else doc for doc in ids]
    both = Corpus(ids=[*ids, *corpus.ids], texts=[*texts, *corpus.texts],
                  metadata=[*metadata, *corpus.metadata], skipped=corpus.skipped,
                  input_format="jsonl", encoding="utf-8", on_error=corpus.on_error)
    left, right = np.searchsorted(involved, left), np.searchsorted(involved, right)
    candidates = dataclasses.replace(candidates, a=np.searchsorted(involved, candidates.a),
                                     b=np.searchsorted(involved, candidates.b))
    n_index = len(index_part)

    paraphrase_skipped: list[int] = []
    with timings.stage("align", own_bar=True):
        alignments = align_documents(both, candidates.a, candidates.b, config.align,
                                     config.tokenize, quiet, paraphrase_skipped,
                                     candidates=candidates, seed_length=config.passages.ngram,
                                     band_config=config.bands, workers=workers)
    dates = _dates(both, config)
    with timings.stage("passages"):
        from ..cluster.passages import passage_clusters

        passages = passage_clusters(
            alignments, both.ids, dates=dates,
            boilerplate_docs=config.passages.boilerplate_docs,
            boilerplate_share=config.passages.boilerplate_share, texts=both.texts)
    with timings.stage("cluster"):
        # Indexed documents first (by key), so that each is a representative and takes its
        # query near-duplicates; then the query documents in the run's priority.
        query_priority = representative_priority(corpus.lengths, _dates(corpus, config))
        priority = np.concatenate((np.arange(n_index), n_index + query_priority))
        clusters = star_clusters(len(both), left, right, priority)

    id_array = np.array(both.ids, dtype=object)
    order = np.lexsort((right, left))
    near_duplicates = pd.DataFrame({
        "a_id": id_array[left[order]], "b_id": id_array[right[order]],
        "jaccard_estimate": estimate[order], "jaccard": exact[order]})
    index_tokens = _index_tokens(segments, gathered[index_part])
    status = np.array(["too_short", "compared"], dtype=object)
    documents = pd.DataFrame({
        "doc_id": id_array, "n_chars": both.lengths,
        "n_tokens": np.concatenate((index_tokens, sketch.n_tokens)),
        "status": np.concatenate((np.full(n_index, "compared", dtype=object),
                                  status[compared.astype(np.intp)]))})
    cluster_frame = pd.DataFrame({
        "doc_id": id_array, "cluster_id": clusters.cluster,
        "representative_id": id_array[clusters.representative], "keep": clusters.keep})
    counts = {
        "read": corpus.n_read, "compared": int(compared.sum()),
        "too_short": int((~compared).sum()), "skipped": len(corpus.skipped),
        "index_documents": n_index,
        "candidate_pairs": candidate_pairs, "capped_buckets": capped_buckets,
        "near_duplicate_pairs": len(near_duplicates),
        "clusters": int(clusters.cluster.max() + 1) if len(both) else 0,
        "dropped": int((~clusters.keep).sum()),
        **input_counts(corpus, _dates(corpus, config)),
        "passage_candidate_pairs": len(candidates),
        "capped_fingerprints": candidates.capped_fingerprints,
        "docs_in_capped_buckets": len(candidates.capped_docs),
        "alignments": len(alignments),
        "passage_clusters": int(passages["passage_id"].nunique()) if len(passages) else 0,
        "boilerplate_passages": int(passages.loc[passages["boilerplate"], "passage_id"]
                                    .nunique()) if len(passages) else 0,
    }
    if paraphrase_skipped:
        counts["paraphrase_skipped_pairs"] = len(paraphrase_skipped)
    return RunResult(both, config, documents, near_duplicates, cluster_frame, counts, timings,
                     candidate_pairs, options, alignments, passages, config.align)


def _dates(corpus: Corpus, config: Config) -> list[object] | None:
    name = config.dates_from
    if not corpus.has_field(name):
        return None
    return [m.get(name) for m in corpus.metadata]


def _index_tokens(segments: Segments, keys: np.ndarray) -> np.ndarray:
    """The token counts of indexed documents ``keys`` (sorted), from the segments' docs
    tables."""
    if not len(keys):
        return np.empty(0, dtype=np.int64)
    import pyarrow as pa

    connection = duckdb_connection()
    try:
        connection.register("wanted", pa.table({"key": keys}))
        found = connection.sql(
            f"SELECT d.key, d.n_tokens FROM read_parquet({parquet_list(segments.files(DOCS))}) d "
            "JOIN wanted w ON d.key = w.key ORDER BY d.key").to_arrow_table()
    finally:
        connection.close()
    return found.column("n_tokens").to_numpy().astype(np.int64)


class _Texts:
    """The texts of the gathered indexed documents (read when asked) and of the query, by
    the query's document numbers."""

    def __init__(self, segments: Segments, gathered: np.ndarray, corpus: Corpus) -> None:
        self.segments, self.gathered, self.corpus = segments, gathered, corpus

    def __getitem__(self, doc: int) -> str:
        g = len(self.gathered)
        if doc >= g:
            return self.corpus.texts[doc - g]
        return self.segments.documents(self.gathered[doc:doc + 1])[1][0]

    def __len__(self) -> int:
        return len(self.gathered) + len(self.corpus)
