"""A query's answer as an ordinary run folder, which ``reuse report`` renders.

A run folder does not hold texts: the report reads them again from the input the manifest
names. A query's documents are the query's and the indexed documents it found, so the folder
gets them as a JSONL file of its own (:data:`QUERY_DOCUMENTS`: ``id``, ``text`` and the
metadata fields of each), and the manifest's input block names that file with its
fingerprint, as for any input.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..pipeline import RunResult, input_for_manifest, write_run
from ..runfolder import tables

QUERY_DOCUMENTS = "query_documents.jsonl"
COMMAND = "index query"


def write_query_run(result: RunResult, out: str | os.PathLike[str], *, fmt: str = "parquet",
                    report: bool = False) -> Path:
    """Write ``result`` (of :meth:`reuse.Index.query`) as a run folder in ``out``, with the
    documents it involves; ``report`` also renders the HTML report."""
    folder = write_run(result, out, fmt=fmt, source=None, command=COMMAND)
    corpus = result.corpus
    documents = folder / QUERY_DOCUMENTS
    temporary = folder / f".{QUERY_DOCUMENTS}.tmp-{os.getpid()}"
    with open(temporary, "w", encoding="utf-8", errors="surrogatepass") as handle:
        for doc_id, text, metadata in zip(corpus.ids, corpus.texts, corpus.metadata,
                                          strict=True):
            record = {**metadata, "id": doc_id, "text": text}
            handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    os.replace(temporary, documents)
    manifest = tables.read_manifest(folder)
    manifest["input"] = input_for_manifest(result, documents)
    tables.write_manifest(folder, manifest)
    if report:
        from ..report.html import render_report

        render_report(folder, quiet=True)
    return folder
