"""Compiled kernels of the tokenizer (:mod:`reuse.text.tokenize`), with numba (the ``fast``
extra): the ASCII and narrow paths of a batch in one pass over its characters. Each character's
value comes from the path's lookup table, token boundaries (with the apostrophe rule) and each
token's packed-word sum follow as the characters go by, and each token is hashed and filed
under its document as it ends. The numpy code makes a handful of passes over per-character
arrays instead; the results are the same, bit for bit (the differential tests compare them).

This module imports numba: :mod:`reuse.text.tokenize` imports it through
:func:`reuse.common.compiled.load`, only for a large batch or once numba is loaded, and runs
its numpy code when numba is missing. ``cache=True`` keeps the machine code beside this module.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["tokenize_narrow"]

_POW_MASK = 1023
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True, nogil=True, inline="always")
def _mix64(x):
    """splitmix64's finalizer (as :func:`reuse.text.tokenize.mix64`)."""
    x ^= x >> np.uint64(30)
    x *= _MIX_1
    x ^= x >> np.uint64(27)
    x *= _MIX_2
    return x ^ (x >> np.uint64(31))


@njit(cache=True, nogil=True)
def tokenize_narrow(units, table, powers, salt, joined_starts, apostrophe, complex_word,
                    not_narrow):
    """Tokens of a batch whose every character has a value below 256 in ``table``: ``units``
    holds the code units (ASCII bytes or UTF-16 units, one per character), ``table`` maps a unit
    to its value (0 a separator, ``apostrophe`` the connector, above it a word character's
    ``cp + 1``, ``complex_word`` a word character whose token the slow path hashes,
    ``not_narrow`` a character this path cannot take). ``joined_starts[d]`` is document ``d``'s
    first character.

    Returns ``(hashes, starts, ends, bounds, complex_tokens, ok)``: offsets relative to each
    token's document, the tokens holding a ``complex_word`` character (their hashes are to be
    replaced), and ``ok`` False (the rest empty) when some unit is ``not_narrow``.
    """
    n = len(units)
    n_docs = len(joined_starts)
    capacity = n // 2 + 1  # a token and a separator at least, but the last one
    hashes = np.empty(capacity, dtype=np.uint64)
    starts = np.empty(capacity, dtype=np.int64)
    ends = np.empty(capacity, dtype=np.int64)
    bounds = np.empty(n_docs + 1, dtype=np.int64)
    complex_tokens = np.empty(16, dtype=np.int64)
    n_complex = 0
    t = 0
    d = 0
    doc_start = 0
    # The open token: its start (-1: none), its complete words' sum, the word being packed.
    start = -1
    total = np.uint64(0)
    word = np.uint64(0)
    is_complex = False
    prev = np.uint8(0)
    value = np.uint8(table[units[0]]) if n else np.uint8(0)
    # Character n, past the end, is a separator that closes the last token.
    for i in range(n + 1):
        following = np.uint8(table[units[i + 1]]) if i + 1 < n else np.uint8(0)
        if value == not_narrow:
            return (hashes[:0].copy(), starts[:0].copy(), ends[:0].copy(), bounds[:0].copy(),
                    complex_tokens[:0].copy(), False)
        in_word = value > apostrophe or (value == apostrophe and prev > apostrophe
                                         and following > apostrophe)
        if in_word:
            if start < 0:
                start = i
                total = np.uint64(0)
                word = np.uint64(0)
                is_complex = False
            k = i - start
            word |= np.uint64(value) << np.uint64((k & 7) << 3)
            if (k & 7) == 7:
                total += word * powers[(k >> 3) & _POW_MASK]
                word = np.uint64(0)
            if value == complex_word:
                is_complex = True
        elif start >= 0:
            length = i - start
            if length & 7:
                total += word * powers[(length >> 3) & _POW_MASK]
            hashes[t] = _mix64(total ^ (np.uint64(length) * salt))
            while d < n_docs and joined_starts[d] <= start:
                bounds[d] = t
                doc_start = joined_starts[d]
                d += 1
            starts[t] = start - doc_start
            ends[t] = i - doc_start
            if is_complex:
                if n_complex == len(complex_tokens):
                    grown = np.empty(2 * n_complex, dtype=np.int64)
                    grown[:n_complex] = complex_tokens
                    complex_tokens = grown
                complex_tokens[n_complex] = t
                n_complex += 1
            t += 1
            start = -1
        prev = value
        value = following
    while d < n_docs:
        bounds[d] = t
        d += 1
    bounds[n_docs] = t
    return (hashes[:t].copy(), starts[:t].copy(), ends[:t].copy(), bounds,
            complex_tokens[:n_complex].copy(), True)
