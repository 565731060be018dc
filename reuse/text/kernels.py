"""Compiled kernels of the tokenizer (:mod:`reuse.text.tokenize`), with numba (the ``fast``
extra): the ASCII and the narrow path of a batch, where the numpy code makes a handful of passes
over per-character arrays. The results are the same, bit for bit (the differential tests
compare them).

:func:`tokenize_narrow` reads the characters once, 64 at a time: each one's value from the
path's lookup table, packed eight to a 64-bit word (the token hash's own packing), and a bit
mask of the block's word characters. Token boundaries are the changes in that mask, found a set
bit at a time (no branch per character), and each token's hash reads its packed words with two
aligned loads each.

This module imports numba: :mod:`reuse.text.tokenize` imports it through
:func:`reuse.common.compiled.load`, only for a large batch or once numba is loaded, and runs
its numpy code when numba is missing. ``cache=True`` keeps the machine code beside this module.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros

__all__ = ["scratch_sizes", "tokenize_narrow"]

_POW_MASK = 1023
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)
_BYTES_1 = np.uint64(0x0101010101010101)
_BYTES_80 = np.uint64(0x8080808080808080)
_1 = np.uint64(1)
_63 = np.uint64(63)


def scratch_sizes(characters: int) -> tuple[int, int, int]:
    """The lengths of :func:`tokenize_narrow`'s scratch arrays for a batch of ``characters``:
    tokens (``hashes``, ``starts``, ``ends``, ``slow``), ``packed`` words, ``masks``."""
    return characters // 2 + 1, characters // 8 + 2, 2 * ((characters + 63) // 64) + 2


@njit(cache=True, nogil=True, inline="always")
def _block_values(units, table, first, count, apostrophe, not_narrow, packed, masks, block):
    """Values of ``units[first : first + count]`` (at most 64) into ``packed`` (eight to a
    word, from ``packed[first // 8]``), the masks of word characters and apostrophes into
    ``masks[2 * block]`` and ``masks[2 * block + 1]``; True when one is ``not_narrow``."""
    words = np.uint64(0)
    apostrophes = np.uint64(0)
    wrong = False
    for q in range(0, count, 8):
        word = np.uint64(0)
        for r in range(min(8, count - q)):
            value = table[units[first + q + r]]
            word |= np.uint64(value) << np.uint64(8 * r)
            words |= np.uint64(value > apostrophe) << np.uint64(q + r)
            apostrophes |= np.uint64(value == apostrophe) << np.uint64(q + r)
            wrong |= value == not_narrow
        packed[(first + q) >> 3] = word
    masks[2 * block] = words
    masks[2 * block + 1] = apostrophes
    return wrong


@njit(cache=True, nogil=True, inline="always")
def _full_block_values(units, table, first, apostrophe, not_narrow, packed, masks, block):
    """:func:`_block_values` of 64 units, with loops of constant length that unroll."""
    words = np.uint64(0)
    apostrophes = np.uint64(0)
    wrong = False
    for q in range(8):
        word = np.uint64(0)
        for r in range(8):
            value = table[units[first + 8 * q + r]]
            word |= np.uint64(value) << np.uint64(8 * r)
            words |= np.uint64(value > apostrophe) << np.uint64(8 * q + r)
            apostrophes |= np.uint64(value == apostrophe) << np.uint64(8 * q + r)
            wrong |= value == not_narrow
        packed[(first >> 3) + q] = word
    masks[2 * block] = words
    masks[2 * block + 1] = apostrophes
    return wrong


@njit(cache=True, nogil=True, inline="always")
def _token(packed, powers, salt, start, end, complex_word, hashes, starts, ends, slow, t):
    """Hash the token ``[start, end)`` into slot ``t``: its words read from ``packed``."""
    length = end - start
    total = np.uint64(0)
    marked = np.uint64(0)
    complex_bytes = np.uint64(complex_word) * _BYTES_1
    for j in range(0, length, 8):
        p = start + j
        q = p >> 3
        shift = np.uint64((p & 7) * 8)
        # The eight values from p on, from the two words that hold them ("<< 1 << 63 - shift"
        # is "<< 64 - shift", which is 0 for a shift of 0).
        word = (packed[q] >> shift) | ((packed[q + 1] << _1) << (_63 - shift))
        word &= _ONES >> np.uint64(64 - 8 * min(8, length - j))
        # A byte equal to complex_word: a zero byte of the xor (word's padding bytes are 0).
        y = word ^ complex_bytes
        marked |= (y - _BYTES_1) & ~y & _BYTES_80
        total += word * powers[(j >> 3) & _POW_MASK]
    x = total ^ (np.uint64(length) * salt)
    x ^= x >> np.uint64(30)
    x *= _MIX_1
    x ^= x >> np.uint64(27)
    x *= _MIX_2
    hashes[t] = x ^ (x >> np.uint64(31))
    starts[t] = start
    ends[t] = end
    slow[t] = marked != 0
    return t + 1


@njit(cache=True, nogil=True)
def tokenize_narrow(units, table, powers, salt, joined_starts, apostrophe, complex_word,
                    not_narrow, hashes, starts, ends, slow, packed, masks):
    """The tokens of a batch whose characters all have values below 256 in ``table``. ``units``
    holds one code unit per character (ASCII bytes or UTF-16 units); ``table`` maps a unit to
    its value: 0 a separator, ``apostrophe`` the connector, above it a word character's
    ``cp + 1``, ``complex_word`` (255) a word character whose token the slow path hashes, and
    ``not_narrow`` a character this path cannot take. ``joined_starts[d]`` is document ``d``'s
    first character; ``powers`` is the tokenizer's power table and ``salt`` its length salt.
    The other arrays are scratch space of :func:`scratch_sizes` (what they hold before and
    after is of no meaning).

    Returns ``(hashes, starts, ends, bounds, complex_tokens, narrow)``, new arrays: offsets
    relative to each token's document, the document bounds over the tokens, and the tokens
    holding a ``complex_word`` character (their hashes are to be replaced); ``narrow`` is False
    (and the rest of no meaning) when some unit is ``not_narrow``.
    """
    n = len(units)
    n_docs = len(joined_starts)
    n_blocks = (n + 63) // 64
    ap = np.uint8(apostrophe)
    wrong = False
    for b in range(n // 64):
        wrong |= _full_block_values(units, table, 64 * b, ap, not_narrow, packed, masks, b)
    for b in range(n // 64, n_blocks):
        wrong |= _block_values(units, table, 64 * b, n - 64 * b, ap, not_narrow, packed, masks,
                               b)
    packed[(n + 7) >> 3] = np.uint64(0)  # the word after the last, read by the last token
    t = 0
    in_token = np.uint64(0)  # the previous block's last character is in a token
    previous = np.uint64(0)  # the previous block's word characters
    start = 0
    for b in range(n_blocks if not wrong else 0):
        words = masks[2 * b]
        following = masks[2 * b + 2] if b + 1 < n_blocks else np.uint64(0)
        # An apostrophe between two word characters is one too.
        joined = (masks[2 * b + 1] & ((words << _1) | (previous >> _63))
                  & ((words >> _1) | (following << _63)))
        previous = words
        words |= joined
        # Bit k: character k is in a token and k - 1 is not (a start), or the other way round.
        edges = words ^ ((words << _1) | in_token)
        in_token = words >> _63
        while edges:
            k = trailing_zeros(edges)
            edges &= edges - _1
            if (words >> np.uint64(k)) & _1:
                start = 64 * b + k
            else:
                t = _token(packed, powers, salt, start, 64 * b + k, complex_word, hashes, starts,
                           ends, slow, t)
    if in_token and not wrong:
        t = _token(packed, powers, salt, start, n, complex_word, hashes, starts, ends, slow, t)
    # Each token to its document, its offsets made relative to the document's first character.
    out_hashes = hashes[:t].copy()
    out_starts = np.empty(t, dtype=np.int64)
    out_ends = np.empty(t, dtype=np.int64)
    bounds = np.empty(n_docs + 1, dtype=np.int64)
    d = 0
    doc_start = 0
    n_slow = 0
    for k in range(t):
        while d < n_docs and joined_starts[d] <= starts[k]:
            bounds[d] = k
            doc_start = joined_starts[d]
            d += 1
        out_starts[k] = starts[k] - doc_start
        out_ends[k] = ends[k] - doc_start
        n_slow += slow[k]
    while d < n_docs:
        bounds[d] = t
        d += 1
    bounds[n_docs] = t
    complex_tokens = np.empty(n_slow, dtype=np.int64)
    n_slow = 0
    for k in range(t if len(complex_tokens) else 0):
        if slow[k]:
            complex_tokens[n_slow] = k
            n_slow += 1
    return out_hashes, out_starts, out_ends, bounds, complex_tokens, not wrong
