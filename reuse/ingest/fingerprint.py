"""The input fingerprint's scheme: a SHA-256 per document, summed, so that the documents'
order does not count; and a SHA-256 of the ids in order, which does.

A document's SHA-256 is over its id, its text and its metadata (as sorted JSON), each as its
UTF-8 length (8 bytes, little-endian) and bytes. The fingerprint is the SHA-256 of a scheme name,
the count of documents and the sum of the documents' SHA-256s, read as 256-bit little-endian
numbers, modulo 2**256. :class:`~reuse.ingest.store.DocumentStore` computes each document's
SHA-256 as it is written, so a read corpus is fingerprinted without being read again
(:func:`document_digests`), in one compiled pass over the batch where the package was built
with its C extension (:mod:`reuse.ingest.compiled_digests`, from ``compiled_digests.c``), with
the same digests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..common import compiled
from ..errors import InputError

try:
    from .compiled_digests import digest_documents as compiled_digest_documents
except ImportError:  # built without a C compiler or OpenSSL's headers: the Python code runs
    compiled_digest_documents = None  # type: ignore[assignment]

# Names the scheme: a change of scheme changes every fingerprint.
SCHEME = b"reuse corpus fingerprint 2: sum of per-document SHA-256\n"
DIGEST_SIZE = 32
_MODULUS = 1 << 256
_EMPTY_JSON = b"{}"
# Bytes gathered before each update of a digest: one update per block instead of two per
# string (the digest is the same).
_DIGEST_BLOCK = 1 << 20


def metadata_json(doc_id: str, metadata: dict[str, Any]) -> bytes:
    """The metadata as the fingerprint covers it: sorted JSON, UTF-8 (lone surrogates kept)."""
    if type(metadata) is dict and not metadata:
        return _EMPTY_JSON  # what json.dumps gives, without its cost per document
    try:
        text = json.dumps(metadata, sort_keys=True, ensure_ascii=False, default=str)
    except RecursionError:
        # read_corpus refuses such records (too_deep); a corpus built in Python may not.
        raise InputError(
            f"document {doc_id!r}: its metadata is nested too deeply to be fingerprinted; "
            "flatten it"
        ) from None
    return text.encode("utf-8", "surrogatepass")


def document_digest(doc_id: bytes, text: bytes | memoryview, metadata: bytes) -> bytes:
    """One document's SHA-256, from the UTF-8 bytes of its id, text and metadata JSON."""
    digest = hashlib.sha256(len(doc_id).to_bytes(8, "little"))
    digest.update(doc_id)
    digest.update(len(text).to_bytes(8, "little"))
    digest.update(text)
    digest.update(len(metadata).to_bytes(8, "little"))
    digest.update(metadata)
    return digest.digest()


def document_digests(ids: list[bytes], texts: list[str], metadata: list[bytes],
                     keep_texts: bool = False) -> tuple[bytes, bytes | None, np.ndarray]:
    """Each document's :func:`document_digest`, end to end: ``(digests, texts_utf8,
    text_ends)``, where ``texts_utf8`` is the texts' UTF-8 end to end (lone surrogates kept)
    when ``keep_texts`` (else None) and ``text_ends`` (int64) the end of each there. ``ids``
    and ``metadata`` are UTF-8 (the latter from :func:`metadata_json`)."""
    text_ends = np.empty(len(texts), dtype=np.int64)
    if compiled_digest_documents is not None and compiled.ENABLED:
        digests, kept = compiled_digest_documents(ids, texts, metadata, text_ends, keep_texts)
        return digests, kept, text_ends
    encoded = [text.encode("utf-8", "surrogatepass") for text in texts]
    np.cumsum([len(text) for text in encoded], out=text_ends)
    digests = b"".join(map(document_digest, ids, encoded, metadata))
    return digests, b"".join(encoded) if keep_texts else None, text_ends


def digest_sum(digests: bytes | bytearray | memoryview) -> int:
    """The sum of concatenated 32-byte digests read as little-endian numbers (not reduced):
    summed as eight 32-bit lanes in numpy, then carried."""
    lanes = np.frombuffer(digests, dtype="<u4").reshape(-1, DIGEST_SIZE // 4)
    # Each lane's sum stays below 2**64 for fewer than 2**32 digests per call.
    sums = lanes.sum(axis=0, dtype=np.uint64).tolist()
    return sum(lane << (32 * k) for k, lane in enumerate(sums))


def as_number(digest: bytes) -> int:
    return int.from_bytes(digest, "little")


def fingerprint(count: int, total: int) -> str:
    """The fingerprint of ``count`` documents whose digests sum to ``total``."""
    digest = hashlib.sha256(SCHEME)
    digest.update(count.to_bytes(8, "little"))
    digest.update((total % _MODULUS).to_bytes(32, "little"))
    return digest.hexdigest()


def update_in_order(digest: Any, encoded: Iterable[bytes]) -> None:
    """Feed ``digest`` each string (given as UTF-8 bytes) as its length (8 bytes,
    little-endian) and its bytes, in blocks of about ``_DIGEST_BLOCK`` bytes."""
    pieces: list[bytes] = []
    size = 0
    for data in encoded:
        pieces.append(len(data).to_bytes(8, "little"))
        pieces.append(data)
        size += len(data) + 8
        if size >= _DIGEST_BLOCK:
            digest.update(b"".join(pieces))
            pieces.clear()
            size = 0
    digest.update(b"".join(pieces))
