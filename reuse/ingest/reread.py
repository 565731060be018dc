"""Texts read back from the input file, for a corpus whose store was written without them.

``reuse dedup`` sketches a JSONL file's texts as its parts are read and does not keep them
(``keep_texts=False`` of :func:`reuse.ingest.read_corpus`); the store keeps the line of each
document instead. A stage that needs some texts again (exact verification tokenizes the
documents of the candidate pairs; the fingerprint of a corpus whose metadata a metadata file
replaced) reads those lines again with :class:`TextsFromInput`: parsed with the same checks as
the first time, and each record compared with the SHA-256 computed when it was first read, so
that a file changed during the run is an error naming the record, never a wrong text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .fingerprint import document_digest, metadata_json
from .jsonl import JsonlRecords
from .store import DocumentStore


@dataclass(frozen=True)
class TextsFromInput:
    """The texts of a store without them, read from its input file (picklable: a worker
    process reads the file itself)."""

    store: DocumentStore
    records: JsonlRecords

    def read(self, positions: np.ndarray) -> list[str]:
        """The texts of documents ``positions`` (increasing)."""
        positions = np.asarray(positions, dtype=np.int64)
        found = self.records.read(self.store.spans_at(positions))
        texts = []
        for position, record, digest in zip(positions.tolist(), found,
                                            self.store.digests_at(positions), strict=True):
            if record is None or self._digest(*record) != digest:
                raise InputError(
                    f"{self.store.origins[position]}: the input file changed after it was read "
                    "(this line no longer holds the record read then); run again on a file "
                    "that stays as it is during the run")
            texts.append(record[1])
        return texts

    @staticmethod
    def _digest(doc_id: str, text: str, metadata: dict) -> bytes:
        return document_digest(doc_id.encode("utf-8", "surrogatepass"),
                               text.encode("utf-8", "surrogatepass"),
                               metadata_json(doc_id, metadata))
