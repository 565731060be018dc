"""The input fingerprint's scheme: a SHA-256 per document, summed, so that the documents'
order does not count; and a SHA-256 of the ids in order, which does.

A document's SHA-256 is over its id, its text and its metadata (as sorted JSON), each as its
UTF-8 length (8 bytes, little-endian) and bytes. The fingerprint is the SHA-256 of a scheme name,
the count of documents and the sum of the documents' SHA-256s, read as 256-bit little-endian
numbers, modulo 2**256. :class:`~reuse.ingest.store.DocumentStore` computes each document's
SHA-256 as it is written, so a read corpus is fingerprinted without being read again: from
the batch's frames (:func:`document_frames`), each the bytes its document's SHA-256 is over,
which a compiled pass writes where the package was built with its C extension
(:mod:`reuse.ingest.compiled_frames`, from ``compiled_frames.c``), with the same bytes.
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
    from .compiled_frames import frame_documents as compiled_frame_documents
except ImportError:  # built without a C compiler: the Python code runs
    compiled_frame_documents = None  # type: ignore[assignment]

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


def document_frames(ids: list[bytes], texts: list[str], metadata: list[bytes],
                    keep_texts: bool = False
                    ) -> tuple[bytes, np.ndarray, bytes | None, np.ndarray]:
    """The batch's documents as their SHA-256s are over them (:func:`document_digest`), end to
    end: ``(frames, frame_ends, texts_utf8, text_ends)``, where ``frame_ends`` (int64) is the
    end of each document's frame, ``texts_utf8`` the texts' UTF-8 end to end (lone surrogates
    kept) when ``keep_texts`` (else None) and ``text_ends`` (int64) the end of each there.
    ``ids`` and ``metadata`` are UTF-8 (the latter from :func:`metadata_json`)."""
    frame_ends = np.empty(len(texts), dtype=np.int64)
    text_ends = np.empty(len(texts), dtype=np.int64)
    if compiled_frame_documents is not None and compiled.ENABLED:
        frames, kept = compiled_frame_documents(ids, texts, metadata, frame_ends, text_ends,
                                                keep_texts)
        return frames, frame_ends, kept, text_ends
    encoded = [text.encode("utf-8", "surrogatepass") for text in texts]
    pieces = []
    for doc_id, text, fields in zip(ids, encoded, metadata, strict=True):
        pieces += (len(doc_id).to_bytes(8, "little"), doc_id, len(text).to_bytes(8, "little"),
                   text, len(fields).to_bytes(8, "little"), fields)
    frame_sizes = [24 + len(doc_id) + len(text) + len(fields)
                   for doc_id, text, fields in zip(ids, encoded, metadata, strict=True)]
    np.cumsum(frame_sizes, out=frame_ends)
    np.cumsum([len(text) for text in encoded], out=text_ends)
    return b"".join(pieces), frame_ends, b"".join(encoded) if keep_texts else None, text_ends


def frame_digests(frames: bytes, frame_ends: np.ndarray) -> bytes:
    """The SHA-256 of each frame of :func:`document_frames`, end to end: each document's
    :func:`document_digest`."""
    view = memoryview(frames)
    sha256 = hashlib.sha256
    ends = frame_ends.tolist()
    starts = [0, *ends][:len(ends)]
    return b"".join([sha256(view[start:end]).digest()
                     for start, end in zip(starts, ends, strict=True)])


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
