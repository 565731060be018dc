"""The documented schema of every table in a run folder.

Each table maps its columns, in order, to ``(arrow type, description)``. The README's table
reference is checked against this module by the tests, and ``manifest.json`` records
``SCHEMA_VERSION`` so that readers can tell which layout they hold.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "1"

TABLES: dict[str, dict[str, tuple[pa.DataType, str]]] = {
    "documents": {
        "doc_id": (pa.string(), "Document id: the relative path for .txt folders, else the id field."),
        "n_chars": (pa.int64(), "Length of the raw text in code points."),
        "n_tokens": (pa.int64(), "Number of tokens."),
        "status": (pa.string(), "'compared', or 'too_short' (fewer tokens than needed to compare)."),
    },
    "near_duplicates": {
        "a_id": (pa.string(), "First document of the pair (the earlier one in input order)."),
        "b_id": (pa.string(), "Second document of the pair."),
        "jaccard_estimate": (pa.float64(), "MinHash estimate of the shingle-set Jaccard similarity."),
        "jaccard": (pa.float64(), "Exact shingle-set Jaccard with --verify exact, else null."),
    },
    "clusters": {
        "doc_id": (pa.string(), "Document id; every compared or too-short document has one row."),
        "cluster_id": (pa.int64(), "Near-duplicate cluster; singletons have a cluster of their own."),
        "representative_id": (pa.string(), "The kept document of the cluster."),
        "keep": (pa.bool_(), "True for the representative, False for documents to drop."),
    },
    "signatures": {
        "doc_id": (pa.string(), "Document id, in the order of the documents table."),
        "signature": (pa.list_(pa.uint32()), "The document's MinHash signature: a fixed-size list "
                      "of num_perm uint32 (one-permutation MinHash, scheme and seed in the "
                      "manifest's signatures block). Always Parquet."),
    },
    "alignments": {
        "a_id": (pa.string(), "Document holding the first span."),
        "a_start": (pa.int64(), "Start of the span in a_id: half-open code-point offset into the raw text."),
        "a_end": (pa.int64(), "End of the span in a_id (exclusive); text[a_start:a_end] is the passage."),
        "b_id": (pa.string(), "Document holding the second span."),
        "b_start": (pa.int64(), "Start of the span in b_id."),
        "b_end": (pa.int64(), "End of the span in b_id (exclusive)."),
        "a_tokens": (pa.int64(), "Tokens inside the span in a_id."),
        "b_tokens": (pa.int64(), "Tokens inside the span in b_id."),
        "matched_tokens": (pa.int64(), "Tokens equal in both spans after normalization."),
        "similarity": (pa.float64(), "2 * matched_tokens / (a_tokens + b_tokens), in [0, 1]."),
        "method": (pa.string(), "'lexical' (shared shingles) or 'paraphrase' (sentence TF-IDF)."),
        "edits": (pa.string(), "JSON list of [op, a_start, a_end, b_start, b_end] raw-text edits "
                  "inside the passage; op is 'replace', 'insert' or 'delete'."),
    },
    "passages": {
        "passage_id": (pa.int64(), "Passage cluster: one reused passage across documents."),
        "doc_id": (pa.string(), "Document of this occurrence."),
        "start": (pa.int64(), "Start of the occurrence: half-open code-point offset."),
        "end": (pa.int64(), "End of the occurrence (exclusive)."),
        "n_docs": (pa.int64(), "Number of documents in which the passage occurs."),
        "boilerplate": (pa.bool_(), "True when the passage occurs in at least the boilerplate "
                        "number of unrelated documents (documents that share much else, such as "
                        "versions of one text, count once)."),
        "is_source": (pa.bool_(), "True for the earliest-dated occurrence (the likely source); "
                      "False for all occurrences when documents have no date."),
    },
    "skipped": {
        "origin": (pa.string(), "File and line or row of the record that was skipped."),
        "reason": (pa.string(), "Machine-readable reason, e.g. invalid_utf8, malformed_json."),
        "detail": (pa.string(), "Human-readable explanation."),
    },
    "pair_reuse": {
        "a_id": (pa.string(), "First document of the pair (earlier in the documents table)."),
        "b_id": (pa.string(), "Second document of the pair."),
        "n_alignments": (pa.int64(), "Alignments between the two documents."),
        "a_reused_chars": (pa.int64(), "Characters of a_id inside spans aligned with b_id "
                           "(overlapping spans counted once)."),
        "a_share": (pa.float64(), "a_reused_chars / len(text of a_id): matrix cell [a_id][b_id]."),
        "b_reused_chars": (pa.int64(), "Characters of b_id inside spans aligned with a_id."),
        "b_share": (pa.float64(), "b_reused_chars / len(text of b_id): matrix cell [b_id][a_id]."),
        "matched_tokens": (pa.int64(), "Sum of matched_tokens over the pair's alignments."),
        "similarity": (pa.float64(), "2 * matched_tokens / (a_tokens + b_tokens) summed over the "
                       "pair's alignments, in [0, 1]."),
    },
}


def arrow_schema(table: str) -> pa.Schema:
    return pa.schema([pa.field(name, dtype) for name, (dtype, _) in TABLES[table].items()])
