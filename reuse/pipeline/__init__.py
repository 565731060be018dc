"""Composes the stages: ingest → tokenize → shingle → sketch → candidates → cluster → report.

This is the Python API behind the CLI: :func:`dedup` returns pandas DataFrames, and
``reuse dedup`` only parses arguments, calls it, and writes the run folder. One module per
entry point (``near_duplicates``: :func:`dedup`; ``passages``: :func:`run`; ``pairs``:
:func:`align_pairs`; ``rerun``), over the stages they share (``start``: reading and sketching;
``documents``: aligning document pairs; ``output``: the run folder).
"""

from ..common.progress import progress
from ..sketch.feed import batches
from .documents import align_documents
from .near_duplicates import dedup
from .output import input_counts, input_for_manifest, write_run
from .pairs import PairList, align_pairs, read_pairs
from .passages import run
from .rerun import rerun
from .results import DedupResult, RunResult
from .sketching import exact_jaccard, lsh_bands, sketch_corpus
from .timings import Timings

__all__ = ["DedupResult", "PairList", "RunResult", "Timings", "align_documents", "align_pairs",
           "batches", "dedup", "exact_jaccard", "input_counts", "input_for_manifest",
           "lsh_bands", "progress", "read_pairs", "rerun", "run", "sketch_corpus", "write_run"]
