"""``reuse align``: the alignment of the document pairs a user lists."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import Config
from ..engine import resolve_workers
from ..ingest import DEFAULT_MAX_DOC_CHARS, Corpus, decode_text
from ..sketch.feed import batches
from ..text.tokenize import tokenize_batch
from .arguments import call_arguments
from .documents import align_documents
from .output import input_counts
from .passages import passage_clusters_for
from .results import RunResult
from .start import check_date_field, corpus_dates, load_corpus
from .timings import Timings


@dataclass
class PairList:
    """Document pairs to align, by position in the corpus, each pair once."""

    left: np.ndarray
    right: np.ndarray
    given: int  # entries in the pairs file, duplicates included
    duplicates: int  # entries dropped because the pair (in either order) came earlier
    fingerprint: str = ""  # "sha256:" and the SHA-256 of the file's bytes


def read_pairs(path: str | os.PathLike[str], corpus: Corpus) -> PairList:
    """Document pairs to align: 'a b' per line (whitespace-separated), or a CSV/TSV/JSONL/Parquet
    table with ``a_id`` and ``b_id`` columns.

    An unknown id, or a document paired with itself, is an error naming the line. A pair listed
    again (in either order) is aligned once, in the order of its first listing, and counted.
    """
    from ..errors import InputError

    source = Path(path)
    if not source.exists():
        raise InputError(f"{source}: no such pairs file")
    if not source.is_file():
        raise InputError(f"{source}: not a file; --pairs names a file of document pairs")
    try:
        return _read_pairs(source, corpus)
    except OSError as exc:
        raise InputError(f"{source}: cannot read the pairs file ({exc.strerror or exc})") from exc


def _read_pairs(source: Path, corpus: Corpus) -> PairList:
    import pandas as pd

    from ..errors import InputError

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
                    given=len(entries), duplicates=len(entries) - len(left),
                    fingerprint="sha256:" + file_sha256(source))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def align_pairs(
    source: str | os.PathLike[str] | Corpus,
    pairs: str | os.PathLike[str],
    *,
    config: Config | None = None,
    min_length: int | None = None,
    paraphrase: bool | None = None,
    ocr_tolerant: bool | None = None,
    strip_diacritics: bool | None = None,
    boilerplate_docs: int | None = None,
    boilerplate_share: float | None = None,
    id_field: str = "id",
    text_field: str = "text",
    on_error: str = "raise",
    quoting: str | None = None,
    max_doc_chars: int = DEFAULT_MAX_DOC_CHARS,
    encoding: str = "utf-8",
    metadata_file: str | os.PathLike[str] | None = None,
    date_field: str | None = None,
    workers: int | None = None,
    quiet: bool = True,
) -> RunResult:
    """Align only the given document pairs (pairs mode); no candidate search. ``ocr_tolerant``
    adds character n-gram seeds that survive OCR errors (:mod:`reuse.align.ocr_seeds`; slower, off by
    default). The aligner's settings are ``config.align`` (those left None take the values of
    aligning whole pairs, :data:`reuse.align.config.PAIRS_MODE`: ``paraphrase`` on). The other
    parameters are those of :func:`run`."""
    read, options, config = call_arguments(align_pairs, locals(), "align_pairs")
    import pandas as pd

    align_config = config.align
    workers = resolve_workers(workers, "align_pairs")
    timings = Timings(quiet=quiet)
    with timings.stage("ingest", own_bar=True):
        corpus = load_corpus(source, read, quiet, workers)
        check_date_field(corpus, config.date_field, "align_pairs")
        pair_list = read_pairs(pairs, corpus)
        left, right = pair_list.left, pair_list.right
    paraphrase_skipped: list[int] = []
    with timings.stage("align", own_bar=True):
        alignments = align_documents(corpus, left, right, align_config, config.tokenize, quiet,
                                     paraphrase_skipped, workers=workers)
    with timings.stage("passages"):
        passages = passage_clusters_for(corpus, alignments, config, workers)
    ids = np.array(corpus.ids, dtype=object)
    lengths = corpus.lengths
    n_tokens = _token_counts(corpus.texts, config.tokenize.strip_diacritics, workers)
    documents = pd.DataFrame({"doc_id": ids, "n_chars": lengths, "n_tokens": n_tokens,
                              "status": "compared"})
    counts = {
        "read": corpus.n_read, "compared": len(corpus), "too_short": 0,
        "skipped": len(corpus.skipped), "pairs_given": pair_list.given,
        "duplicate_pairs": pair_list.duplicates, "alignments": len(alignments),
        "passage_clusters": int(passages["passage_id"].nunique()) if len(passages) else 0,
        **input_counts(corpus, corpus_dates(corpus, config)),
    }
    if paraphrase_skipped:
        counts["paraphrase_skipped_pairs"] = len(paraphrase_skipped)
    empty_near = pd.DataFrame({"a_id": [], "b_id": [], "jaccard_estimate": [], "jaccard": []})
    clusters = pd.DataFrame({"doc_id": ids, "cluster_id": np.arange(len(ids)),
                             "representative_id": ids, "keep": True})
    result = RunResult(corpus, config, documents, empty_near, clusters, counts, timings, 0,
                       options, alignments, passages, align_config)
    result.pairs_file = {"path": os.path.abspath(pairs), "fingerprint": pair_list.fingerprint}
    return result


def _token_counts(texts: list[str], strip_diacritics: bool, workers: int) -> np.ndarray:
    """Each document's number of tokens, a batch of documents per task in ``workers``
    processes."""
    from ..engine import ordered_map

    tasks = ((texts[lo:hi], strip_diacritics) for lo, hi in batches(texts))
    return np.concatenate([*ordered_map(_batch_token_counts, tasks, workers),
                           np.empty(0, dtype=np.int64)])


def _batch_token_counts(task: tuple[list[str], bool]) -> np.ndarray:
    texts, strip_diacritics = task
    return tokenize_batch(texts, strip_diacritics).counts()
