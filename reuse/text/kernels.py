"""Compiled kernels of the tokenizer (:mod:`reuse.text.tokenize`), with numba (the ``fast``
extra): the ASCII and the narrow path of a batch in one pass over its characters. Each
character's value comes from the path's lookup table; a token's characters are packed into its
64-bit words as they are read, and the token is hashed when it ends. The numpy code makes a
handful of passes over per-character arrays instead; the results are the same, bit for bit (the
differential tests compare them).

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


@njit(cache=True, nogil=True)
def tokenize_narrow(units, table, powers, salt, joined_starts, apostrophe, complex_word,
                    not_narrow, hashes, starts, ends, slow):
    """The tokens of a batch whose characters all have values below 256 in ``table``. ``units``
    holds one code unit per character (ASCII bytes or UTF-16 units); ``table`` maps a unit to
    its value: 0 a separator, ``apostrophe`` the connector, above it a word character's
    ``cp + 1``, ``complex_word`` a word character whose token the slow path hashes, and
    ``not_narrow`` a character this path cannot take. ``joined_starts[d]`` is document ``d``'s
    first character; ``powers`` is the tokenizer's power table and ``salt`` its length salt.
    ``hashes``, ``starts``, ``ends`` and ``slow`` are scratch space for ``len(units) // 2 + 1``
    tokens (what they hold before and after is of no meaning).

    Returns ``(hashes, starts, ends, bounds, complex_tokens, narrow)``, new arrays: offsets
    relative to each token's document, the document bounds over the tokens, and the tokens
    holding a ``complex_word`` character (their hashes are to be replaced); ``narrow`` is False
    (and the rest of no meaning) when some unit is ``not_narrow``.
    """
    n = len(units)
    n_docs = len(joined_starts)
    t = 0
    i = 0
    narrow = True
    while i < n:
        value = table[units[i]]
        if value <= apostrophe:  # an apostrophe after a separator is one too
            if value == not_narrow:
                narrow = False
                break
            i += 1
            continue
        start = i
        total = np.uint64(0)
        is_complex = False
        j = 0
        ended = False
        # A word of eight characters at a time: v_0 | v_1 << 8 | ... | v_7 << 56.
        while not ended:
            word = np.uint64(0)
            for shift in range(0, 64, 8):
                value = table[units[i]] if i < n else np.uint8(0)
                # The word characters go on; so does an apostrophe between two of them.
                if value <= apostrophe and not (value == apostrophe and i + 1 < n
                                                and table[units[i + 1]] > apostrophe):
                    ended = True
                    break
                is_complex |= value == complex_word
                word |= np.uint64(value) << np.uint64(shift)
                i += 1
            total += word * powers[j & _POW_MASK]
            j += 1
        length = i - start
        x = total ^ (np.uint64(length) * salt)
        x ^= x >> np.uint64(30)
        x *= _MIX_1
        x ^= x >> np.uint64(27)
        x *= _MIX_2
        hashes[t] = x ^ (x >> np.uint64(31))
        starts[t] = start
        ends[t] = i
        slow[t] = is_complex
        t += 1
    if not narrow:
        t = 0
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
    if n_slow:
        n_slow = 0
        for k in range(t):
            if slow[k]:
                complex_tokens[n_slow] = k
                n_slow += 1
    return out_hashes, out_starts, out_ends, bounds, complex_tokens, narrow
