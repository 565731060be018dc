"""Composes the stages: ingest → tokenize → shingle → sketch → candidates → cluster → report.

This is the Python API behind the CLI: :func:`dedup` returns pandas DataFrames, and
``reuse dedup`` only parses arguments, calls it, and writes the run folder.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from . import __version__, runfolder
from .allocator import reusable_heap
from .candidates import candidate_pairs
from .cluster import representative_priority, star_clusters
from .config import Config, DedupConfig, PassageConfig, TokenizeConfig
from .ingest import (
    DEFAULT_MAX_DOC_CHARS,
    Corpus,
    decode_text,
    path_for_manifest,
    read_corpus,
    write_corpus,
)
from .passages import passage_clusters
from .report import tables
from .shingle import shingle_batch
from .sketch import MinHasher, estimated_jaccard
from .tokenize import tokenize_batch
from .windows import Fingerprints, passage_candidates, window_fingerprints

_BATCH_CHARS = 1_000_000


class Timings(dict):
    """Seconds spent per stage, in the order the stages ran."""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self[name] = round(self.get(name, 0.0) + time.perf_counter() - start, 4)


def progress(total: int, desc: str, quiet: bool, unit: str = "doc") -> tqdm:
    """A progress bar on stderr, shown only on a terminal and when not quiet."""
    return tqdm(
        total=total, desc=desc, unit=unit, unit_scale=True, file=sys.stderr, leave=False,
        disable=quiet or not sys.stderr.isatty(),
    )


def batches(texts: list[str], budget: int = _BATCH_CHARS) -> Iterator[tuple[int, int]]:
    """Consecutive ``[start, stop)`` document ranges of about ``budget`` characters each."""
    start, size = 0, 0
    for i, text in enumerate(texts):
        size += len(text)
        if size >= budget:
            yield start, i + 1
            start, size = i + 1, 0
    if start < len(texts):
        yield start, len(texts)


@dataclass
class Sketches:
    """Per-document token counts and MinHash signatures, and passage fingerprints."""

    n_tokens: np.ndarray
    signatures: np.ndarray
    compared: np.ndarray  # bool: has at least min_tokens tokens
    fingerprints: Fingerprints | None = None


def sketch_corpus(
    texts: list[str],
    tokenize_config: TokenizeConfig,
    config: DedupConfig,
    passage_config: PassageConfig | None = None,
    quiet: bool = True,
) -> Sketches:
    """Tokenize, shingle and sketch every document, batch by batch, in one pass.

    With a ``passage_config``, the same pass also computes the passage-window fingerprints.
    """
    hasher = MinHasher(config.num_perm, config.seed)
    n_tokens = np.zeros(len(texts), dtype=np.int64)
    signatures = np.empty((len(texts), config.num_perm), dtype=np.uint32)
    parts: list[Fingerprints] = []
    with progress(len(texts), "sketch", quiet) as bar:
        for lo, hi in batches(texts):
            tokens = tokenize_batch(texts[lo:hi], tokenize_config.strip_diacritics)
            n_tokens[lo:hi] = tokens.counts()
            shingles, bounds = shingle_batch(tokens, config.ngram)
            signatures[lo:hi] = hasher.signatures(shingles, bounds)
            if passage_config is not None:
                if passage_config.ngram != config.ngram:
                    shingles, bounds = shingle_batch(tokens, passage_config.ngram)
                parts.append(window_fingerprints(
                    shingles, bounds, passage_config.window, passage_config.seed, lo))
            bar.update(hi - lo)
    compared = n_tokens >= config.effective_min_tokens
    fingerprints = Fingerprints.concat(parts) if passage_config is not None else None
    if fingerprints is not None:
        usable = compared[fingerprints.docs]
        fingerprints = Fingerprints(
            fingerprints.hashes[usable], fingerprints.docs[usable], fingerprints.positions[usable]
        )
    return Sketches(n_tokens, signatures, compared, fingerprints)


def exact_jaccard(
    texts: list[str], left: np.ndarray, right: np.ndarray, tokenize_config: TokenizeConfig,
    ngram: int,
) -> np.ndarray:
    """Exact Jaccard of the shingle sets of each pair; only the documents in pairs are read.

    The shingle sets become rows of a sparse 0/1 matrix over the distinct shingles, so the
    intersections of all pairs are one sparse element-wise product.
    """
    from scipy.sparse import csr_matrix

    involved = np.unique(np.concatenate((left, right)))
    involved_texts = [texts[i] for i in involved]
    parts, counts = [], []
    for lo, hi in batches(involved_texts):
        tokens = tokenize_batch(involved_texts[lo:hi], tokenize_config.strip_diacritics)
        shingles, bounds = shingle_batch(tokens, ngram)
        parts.append(shingles)
        counts.append(np.diff(bounds))
    shingles = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
    indptr = np.zeros(len(involved) + 1, dtype=np.int64)
    if counts:
        np.cumsum(np.concatenate(counts), out=indptr[1:])
    # factorize numbers the distinct shingles with a hash table, without sorting them all.
    columns, distinct = pd.factorize(shingles)
    sets = csr_matrix(
        (np.ones(len(shingles), dtype=np.int32), columns, indptr),
        shape=(len(involved), len(distinct)),
    )
    sets.sum_duplicates()
    sets.data[:] = 1
    sizes = np.diff(sets.indptr)
    a, b = np.searchsorted(involved, left), np.searchsorted(involved, right)
    shared = np.asarray(sets[a].multiply(sets[b]).sum(axis=1)).ravel()
    union = sizes[a] + sizes[b] - shared
    return np.where(union > 0, shared / np.maximum(union, 1), 1.0)


@dataclass
class DedupResult:
    """The near-duplicate tables of a corpus, as pandas DataFrames, and the run's bookkeeping."""

    corpus: Corpus
    config: Config
    documents: pd.DataFrame
    near_duplicates: pd.DataFrame
    clusters: pd.DataFrame
    counts: dict[str, int]
    timings: Timings = field(default_factory=Timings)
    candidate_pairs: int = 0

    @property
    def skipped(self) -> pd.DataFrame:
        return self.corpus.skipped_frame()

    def keep_mask(self) -> list[bool]:
        return self.clusters["keep"].tolist()


def _load(
    source: str | os.PathLike[str] | Corpus, id_field: str, text_field: str, on_error: str,
    quoting: str | None = None, max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
) -> Corpus:
    if isinstance(source, Corpus):
        return source
    return read_corpus(source, id_field=id_field, text_field=text_field, on_error=on_error,
                       quoting=quoting, max_doc_chars=max_doc_chars)


@reusable_heap()
def dedup(
    source: str | os.PathLike[str] | Corpus,
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    ngram: int = 5,
    seed: int = 1,
    verify: str = "estimate",
    min_tokens: int = 0,
    strip_diacritics: bool = False,
    id_field: str = "id",
    text_field: str = "text",
    on_error: str = "raise",
    quoting: str | None = None,
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
    quiet: bool = True,
) -> DedupResult:
    """Find near-duplicate documents, cluster them, and decide which to keep.

    ``source`` is a path (folder of .txt, JSONL, CSV/TSV, Parquet) or a :class:`Corpus`.
    Pairs whose MinHash estimate (or exact Jaccard, with ``verify="exact"``) reaches
    ``threshold`` are near-duplicates.
    """
    config = Config(
        tokenize=TokenizeConfig(strip_diacritics=strip_diacritics),
        dedup=DedupConfig(
            threshold=threshold, num_perm=num_perm, ngram=ngram, seed=seed, verify=verify,
            min_tokens=min_tokens,
        ),
    ).validate()
    timings = Timings()
    with timings.stage("ingest"):
        corpus = _load(source, id_field, text_field, on_error, quoting, max_doc_chars)
    with timings.stage("sketch"):
        sketches = sketch_corpus(corpus.texts, config.tokenize, config.dedup, quiet=quiet)
    return _near_duplicates(corpus, config, sketches, timings)


def _near_duplicates(
    corpus: Corpus, config: Config, sketches: Sketches, timings: Timings
) -> DedupResult:
    threshold, verify, ngram = config.dedup.threshold, config.dedup.verify, config.dedup.ngram
    lengths = np.fromiter((len(t) for t in corpus.texts), dtype=np.int64, count=len(corpus))
    priority = representative_priority(lengths, _dates(corpus))
    compared_idx = np.flatnonzero(sketches.compared)
    with timings.stage("candidates"):
        collisions = candidate_pairs(
            sketches.signatures[compared_idx], threshold,
            false_positive_weight=config.dedup.false_positive_weight,
            false_negative_weight=config.dedup.false_negative_weight,
            order=priority[compared_idx],
            recall_first=verify == "exact",
        )
        left, right = compared_idx[collisions.left], compared_idx[collisions.right]
    with timings.stage("verify"):
        estimate = estimated_jaccard(sketches.signatures, left, right)
        if verify == "exact":
            exact = exact_jaccard(corpus.texts, left, right, config.tokenize, ngram)
            accepted = exact >= threshold
        else:
            exact = np.full(len(left), np.nan)
            accepted = estimate >= threshold
        left, right = left[accepted], right[accepted]
        estimate, exact = estimate[accepted], exact[accepted]
    with timings.stage("cluster"):
        clusters = star_clusters(len(corpus), left, right, priority)

    ids = np.array(corpus.ids, dtype=object)
    order = np.lexsort((right, left))
    near_duplicates = pd.DataFrame({
        "a_id": ids[left[order]], "b_id": ids[right[order]],
        "jaccard_estimate": estimate[order], "jaccard": exact[order],
    })
    cluster_frame = pd.DataFrame({
        "doc_id": ids, "cluster_id": clusters.cluster,
        "representative_id": ids[clusters.representative], "keep": clusters.keep,
    })
    documents = pd.DataFrame({
        "doc_id": ids, "n_chars": lengths, "n_tokens": sketches.n_tokens,
        "status": np.where(sketches.compared, "compared", "too_short"),
    })
    counts = {
        "read": corpus.n_read,
        "compared": int(sketches.compared.sum()),
        "too_short": int((~sketches.compared).sum()),
        "skipped": len(corpus.skipped),
        "candidate_pairs": len(collisions.left),
        "capped_buckets": collisions.oversized_buckets,
        "near_duplicate_pairs": len(near_duplicates),
        "clusters": int(clusters.cluster.max() + 1) if len(corpus) else 0,
        "dropped": int((~clusters.keep).sum()),
    }
    return DedupResult(
        corpus, config, documents, near_duplicates, cluster_frame, counts, timings,
        len(collisions.left),
    )


def write_run(
    result: DedupResult,
    out: str | os.PathLike[str],
    *,
    fmt: str = "parquet",
    source: str | os.PathLike[str] | None = None,
    write_kept: str | os.PathLike[str] | None = None,
    command: str = "dedup",
) -> Path:
    """Write a result as a run folder (tables first, ``manifest.json`` last).

    ``out`` must be a new or empty folder or a run folder of reuse's (see :mod:`reuse.runfolder`);
    its earlier run's outputs are removed first, and no other file in it is touched. An error
    while writing leaves the folder without a manifest, and an OSError (a full disk) is a
    RunFolderError naming the file.
    """
    tables.check_format(fmt)
    runfolder.check_output_paths(source, out, write_kept)
    with runfolder.claim(out) as folder:
        folder.clear()
        written = {}
        try:
            with result.timings.stage("write"):
                frames = {
                    "documents": result.documents,
                    "near_duplicates": result.near_duplicates,
                    "clusters": result.clusters,
                    # record batches: millions of skipped records are never one frame
                    "skipped": result.corpus.skipped.batches(),
                }
                if isinstance(result, RunResult):
                    frames["alignments"] = result.alignments
                    frames["passages"] = result.passages
                for name, frame in frames.items():
                    written[name] = tables.write_table(folder.path, name, frame, fmt)
                if write_kept is not None:
                    result.counts["kept_written"] = write_corpus(
                        result.corpus, result.keep_mask(), write_kept
                    )
            body = manifest_body(result, source, written, command, write_kept=write_kept)
            tables.write_manifest(folder.path, body)
        except OSError as exc:
            where = exc.filename or folder.path
            raise runfolder.write_error(where, exc) from exc
    return folder.path


def manifest_body(
    result: DedupResult, source: Any, written: dict[str, str], command: str, *,
    write_kept: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """The manifest of a run. ``report`` is null until a report is written into the folder;
    ``write_kept`` is the real path the kept documents were written to, so that the next run
    into the same folder may replace them."""
    corpus = result.corpus
    return {
        "reuse_version": __version__,
        "command": command,
        "config": {
            **result.config.to_dict(),
            **({"align": dataclasses.asdict(result.align_config)}
               if getattr(result, "align_config", None) is not None else {}),
        },
        "input": {
            **({"path": None} if source is None else path_for_manifest(source)),
            "format": corpus.input_format,
            "id_field": corpus.id_field,
            "text_field": corpus.text_field,
            "quoting": corpus.quoting,
            "max_doc_chars": corpus.max_doc_chars,
            "fingerprint": "sha256:" + corpus.fingerprint(),
        },
        "counts": result.counts,
        "timings": dict(result.timings),
        "tables": written,
        **_kept_for_manifest(write_kept),
        "report": None,
    }


def _kept_for_manifest(write_kept: str | os.PathLike[str] | None) -> dict[str, str | None]:
    """``write_kept``: the real path of the kept documents, spelt as the input path is (see
    :func:`reuse.ingest.path_for_manifest`), with ``write_kept_bytes`` when that spelling is not
    the name's bytes."""
    if write_kept is None:
        return {"write_kept": None}
    fields = path_for_manifest(os.path.realpath(write_kept))
    kept = {"write_kept": fields["path"]}
    if "path_bytes" in fields:
        kept["write_kept_bytes"] = fields["path_bytes"]
    return kept


@dataclass
class RunResult(DedupResult):
    """Near-duplicates plus passage reuse: alignments and passage clusters."""

    alignments: pd.DataFrame = field(default_factory=pd.DataFrame)
    passages: pd.DataFrame = field(default_factory=pd.DataFrame)
    align_config: Any = None


def _dates(corpus: Corpus) -> list[object] | None:
    if not any("date" in m for m in corpus.metadata):
        return None
    return [m.get("date") for m in corpus.metadata]


def align_documents(
    corpus: Corpus,
    left: np.ndarray,
    right: np.ndarray,
    align_config: Any,
    tokenize_config: TokenizeConfig,
    quiet: bool = True,
) -> pd.DataFrame:
    """Align each document pair ``(left[k], right[k])``; returns the ``alignments`` table."""
    from .align import align_token_batch, alignments_frame

    rows = []
    with progress(len(left), "align", quiet, unit="pair") as bar:
        for lo in range(0, len(left), 4000):
            chunk_left, chunk_right = left[lo : lo + 4000], right[lo : lo + 4000]
            involved = np.unique(np.concatenate((chunk_left, chunk_right)))
            texts = [corpus.texts[i] for i in involved]
            batch = tokenize_batch(texts, tokenize_config.strip_diacritics)
            found = align_token_batch(
                batch, np.searchsorted(involved, chunk_left), np.searchsorted(involved, chunk_right),
                align_config, texts,
            )
            for a, b, alignments in zip(chunk_left.tolist(), chunk_right.tolist(), found, strict=True):
                rows.extend((corpus.ids[a], corpus.ids[b], alignment) for alignment in alignments)
            bar.update(len(chunk_left))
    return alignments_frame(rows)


def _align_config(align_config_type: Any, min_length: int | None, paraphrase: bool) -> Any:
    overrides: dict[str, Any] = {"paraphrase": paraphrase}
    if min_length is not None:
        overrides["min_length"] = min_length
    return align_config_type(**overrides).validate()


def _passages_for(corpus: Corpus, alignments: pd.DataFrame, config: PassageConfig) -> pd.DataFrame:
    return passage_clusters(
        alignments, corpus.ids, dates=_dates(corpus),
        boilerplate_docs=config.boilerplate_docs, boilerplate_share=config.boilerplate_share,
        texts=corpus.texts,
    )


@reusable_heap()
def run(
    source: str | os.PathLike[str] | Corpus,
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    ngram: int = 5,
    seed: int = 1,
    verify: str = "estimate",
    min_tokens: int = 0,
    min_length: int | None = None,
    paraphrase: bool = False,
    window: int = PassageConfig.window,
    passage_ngram: int = PassageConfig.ngram,
    max_bucket: int = PassageConfig.max_bucket,
    max_pairs_per_doc: int = PassageConfig.max_pairs_per_doc,
    boilerplate_docs: int = PassageConfig.boilerplate_docs,
    boilerplate_share: float = PassageConfig.boilerplate_share,
    strip_diacritics: bool = False,
    id_field: str = "id",
    text_field: str = "text",
    on_error: str = "raise",
    quoting: str | None = None,
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
    quiet: bool = True,
) -> RunResult:
    """Near-duplicates and passage reuse in one pass over the corpus.

    Passage candidates come from passage-window MinHash fingerprints (see :mod:`reuse.windows`);
    each candidate pair is aligned (:func:`reuse.align.align_pair`), and the alignments are
    clustered into passages (:func:`reuse.passages.passage_clusters`). ``paraphrase`` adds
    sentence TF-IDF seeds to the alignment (about four times slower; off by default here, on in
    pairs mode).
    """
    from .align import AlignConfig

    passage_config = PassageConfig(
        ngram=passage_ngram, window=window, max_bucket=max_bucket,
        max_pairs_per_doc=max_pairs_per_doc, seed=seed, boilerplate_docs=boilerplate_docs,
        boilerplate_share=boilerplate_share,
    )
    align_config = _align_config(AlignConfig, min_length, paraphrase)
    # Validate every parameter before reading the corpus, which may take minutes.
    config = Config(
        tokenize=TokenizeConfig(strip_diacritics=strip_diacritics),
        dedup=DedupConfig(threshold=threshold, num_perm=num_perm, ngram=ngram, seed=seed,
                          verify=verify, min_tokens=min_tokens),
        passages=passage_config,
    ).validate()
    timings = Timings()
    with timings.stage("ingest"):
        corpus = _load(source, id_field, text_field, on_error, quoting, max_doc_chars)
    with timings.stage("sketch"):
        sketches = sketch_corpus(corpus.texts, config.tokenize, config.dedup, passage_config, quiet)
    result = _near_duplicates(corpus, config, sketches, timings)
    with timings.stage("passage_candidates"):
        candidates = passage_candidates(sketches.fingerprints, passage_config)
    with timings.stage("align"):
        alignments = align_documents(corpus, candidates.a, candidates.b, align_config,
                                     config.tokenize, quiet)
    with timings.stage("passages"):
        passages = _passages_for(corpus, alignments, passage_config)
    counts = dict(result.counts)
    counts.update({
        "passage_candidate_pairs": len(candidates),
        "capped_fingerprints": candidates.capped_fingerprints,
        "docs_in_capped_buckets": len(candidates.capped_docs),
        "alignments": len(alignments),
        "passage_clusters": int(passages["passage_id"].nunique()) if len(passages) else 0,
        "boilerplate_passages": int(passages.loc[passages["boilerplate"], "passage_id"].nunique())
        if len(passages) else 0,
    })
    return RunResult(
        corpus, config, result.documents, result.near_duplicates, result.clusters, counts,
        timings, result.candidate_pairs, alignments, passages, align_config,
    )


@dataclass
class PairList:
    """Document pairs to align, by position in the corpus, each pair once."""

    left: np.ndarray
    right: np.ndarray
    given: int  # entries in the pairs file, duplicates included
    duplicates: int  # entries dropped because the pair (in either order) came earlier


def read_pairs(path: str | os.PathLike[str], corpus: Corpus) -> PairList:
    """Document pairs to align: 'a b' per line (whitespace-separated), or a CSV/TSV/JSONL/Parquet
    table with ``a_id`` and ``b_id`` columns.

    An unknown id, or a document paired with itself, is an error naming the line. A pair listed
    again (in either order) is aligned once, in the order of its first listing, and counted.
    """
    from .errors import InputError

    source = Path(path)
    if not source.exists():
        raise InputError(f"{source}: no such pairs file")
    position = {doc: i for i, doc in enumerate(corpus.ids)}
    name = source.name.lower()
    if name.endswith((".csv", ".tsv", ".parquet", ".jsonl")):
        try:
            if name.endswith(".parquet"):
                frame = pd.read_parquet(source)
            elif name.endswith(".jsonl"):
                frame = pd.read_json(source, lines=True, dtype=False)
            else:
                frame = pd.read_csv(source, sep="\t" if name.endswith(".tsv") else ",", dtype=str,
                                    keep_default_na=False)
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{source}: cannot read the pairs table ({exc})") from exc
        if not {"a_id", "b_id"} <= set(frame.columns):
            raise InputError(f"{source}: a pairs table needs columns 'a_id' and 'b_id'")
        entries = [(f"row {i}", str(a), str(b)) for i, (a, b) in
                   enumerate(zip(frame["a_id"], frame["b_id"], strict=True))]
    else:
        entries = []
        for number, line in enumerate(decode_text(source.read_bytes(), str(source)).splitlines(),
                                      start=1):
            fields = line.split()
            if not fields or line.lstrip().startswith("#"):
                continue
            if len(fields) != 2:
                raise InputError(
                    f"{source}: line {number}: expected two document ids, found {len(fields)}")
            entries.append((f"line {number}", fields[0], fields[1]))
    left, right = [], []
    seen: set[tuple[int, int]] = set()
    for where, a, b in entries:
        for doc in (a, b):
            if doc not in position:
                raise InputError(f"{source}: {where}: unknown document id {doc!r}")
        if a == b:
            raise InputError(
                f"{source}: {where}: document {a!r} is paired with itself; list pairs of two "
                "different documents")
        key = (min(position[a], position[b]), max(position[a], position[b]))
        if key in seen:
            continue
        seen.add(key)
        left.append(position[a])
        right.append(position[b])
    return PairList(np.array(left, dtype=np.int64), np.array(right, dtype=np.int64),
                    given=len(entries), duplicates=len(entries) - len(left))


@reusable_heap()
def align_pairs(
    source: str | os.PathLike[str] | Corpus,
    pairs: str | os.PathLike[str],
    *,
    min_length: int | None = None,
    paraphrase: bool = True,
    strip_diacritics: bool = False,
    boilerplate_docs: int = PassageConfig.boilerplate_docs,
    boilerplate_share: float = PassageConfig.boilerplate_share,
    id_field: str = "id",
    text_field: str = "text",
    on_error: str = "raise",
    quoting: str | None = None,
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
    quiet: bool = True,
) -> RunResult:
    """Align only the given document pairs (pairs mode); no candidate search."""
    from .align import AlignConfig

    align_config = _align_config(AlignConfig, min_length, paraphrase)
    passage_config = PassageConfig(boilerplate_docs=boilerplate_docs,
                                   boilerplate_share=boilerplate_share)
    config = Config(tokenize=TokenizeConfig(strip_diacritics=strip_diacritics),
                    passages=passage_config).validate()
    timings = Timings()
    with timings.stage("ingest"):
        corpus = _load(source, id_field, text_field, on_error, quoting, max_doc_chars)
        pair_list = read_pairs(pairs, corpus)
        left, right = pair_list.left, pair_list.right
    with timings.stage("align"):
        alignments = align_documents(corpus, left, right, align_config, config.tokenize, quiet)
    with timings.stage("passages"):
        passages = _passages_for(corpus, alignments, passage_config)
    ids = np.array(corpus.ids, dtype=object)
    lengths = [len(t) for t in corpus.texts]
    n_tokens = np.concatenate([
        tokenize_batch(corpus.texts[lo:hi], strip_diacritics).counts()
        for lo, hi in batches(corpus.texts)
    ] or [np.empty(0, dtype=np.int64)])
    documents = pd.DataFrame({"doc_id": ids, "n_chars": lengths, "n_tokens": n_tokens,
                              "status": "compared"})
    counts = {
        "read": corpus.n_read, "compared": len(corpus), "too_short": 0,
        "skipped": len(corpus.skipped), "pairs_given": pair_list.given,
        "duplicate_pairs": pair_list.duplicates, "alignments": len(alignments),
        "passage_clusters": int(passages["passage_id"].nunique()) if len(passages) else 0,
    }
    empty_near = pd.DataFrame({"a_id": [], "b_id": [], "jaccard_estimate": [], "jaccard": []})
    clusters = pd.DataFrame({"doc_id": ids, "cluster_id": np.arange(len(ids)),
                             "representative_id": ids, "keep": True})
    return RunResult(corpus, config, documents, empty_near, clusters, counts, timings, 0,
                     alignments, passages, align_config)

