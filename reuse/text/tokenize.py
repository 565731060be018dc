"""Raw text → token hashes with half-open code-point offsets into the raw text.

The text is never rewritten. A token is a maximal run of word characters (letters, digits and
combining marks, with an apostrophe allowed between two of them), or a single character of a
script written without spaces (CJK, kana, Thai, Lao, Khmer, Myanmar). Everything else —
whitespace, punctuation, dashes, symbols, emoji — separates tokens, so ``a -- b``, ``a — b`` and
``a – b`` tokenize alike.

Each token is normalized before hashing: NFKC, then casefold, then one form for the apostrophes
(``’`` and ``'`` hash alike), optionally with diacritics stripped. The hash is a function of the
normalized code points only (see :func:`token_hash_reference`), stable across processes and
machines; Python's salted ``hash()`` is never used. The code points are packed into 64-bit words
(eight to a word when they all fit a byte, else four or two), so the fast path reads a token's
hash input with one unaligned 8-byte load per word instead of arithmetic per character.

The fast path classifies and normalizes code points with lookup tables and hashes all tokens of a
whole batch of documents with a handful of numpy passes. Tokens that hold a character whose
normalization depends on its neighbours (combining marks, Hangul jamo) or expands to several code
points (ligatures, ``ß``) are normalized one by one with :mod:`unicodedata`; the differential
tests check that both paths agree. Where the package was built with its C extension, the ASCII
and narrow paths run as one compiled pass over the str's own characters instead
(:mod:`reuse.text.compiled_narrow`, from ``compiled_narrow.c``), with the same results.
"""

from __future__ import annotations

import functools
import itertools
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..common import compiled

try:
    from . import compiled_narrow
except ImportError:  # built without a C compiler: the numpy code runs
    compiled_narrow = None  # type: ignore[assignment]

SEPARATOR, WORD, CHARACTER_TOKEN, CONNECTOR = 0, 1, 2, 3

_BMP = 0x10000
_POW_MASK = 1023
_MULTIPLIER = np.uint64(0x100000001B3)
_LENGTH_SALT = np.uint64(0x9E3779B97F4A7C15)
_MASK64 = (1 << 64) - 1

_NO_SPACE_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),
    (0xFF66, 0xFF9F),  # halfwidth katakana
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)
_APOSTROPHES = "'\u2019\u02bc\u2018\uff07"
_APOSTROPHE = ord("'") + 1  # the value v of every apostrophe
_QUOTE_FORMS = {ord(c): "'" for c in _APOSTROPHES} | {
    ord(c): '"' for c in "\u201c\u201d\u201e\u201f\u00ab\u00bb\uff02"
}
_DASH_FORMS = {ord(c): "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"}
_UNIFY = _QUOTE_FORMS | _DASH_FORMS


def char_class(ch: str) -> int:
    """The tokenizer's class of one character (reference definition, used to build tables)."""
    cp = ord(ch)
    if any(lo <= cp <= hi for lo, hi in _NO_SPACE_RANGES):
        category = unicodedata.category(ch)
        return CHARACTER_TOKEN if category[0] in "LMN" else SEPARATOR
    if ch in _APOSTROPHES:
        return CONNECTOR
    if ch.isalnum() or unicodedata.category(ch)[0] == "M":
        return WORD
    return SEPARATOR


def normalize_token(token: str, strip_diacritics: bool = False) -> str:
    """NFKC, casefold, one form for quotes and dashes, and optionally no diacritics."""
    text = unicodedata.normalize("NFKC", token).casefold()
    text = unicodedata.normalize("NFKC", text).translate(_UNIFY)
    if strip_diacritics:
        decomposed = unicodedata.normalize("NFD", text)
        text = unicodedata.normalize(
            "NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
        )
    return text


@functools.cache
def _power_table() -> np.ndarray:
    powers = np.empty(_POW_MASK + 1, dtype=np.uint64)
    value = 1
    for k in range(_POW_MASK + 1):
        powers[k] = value
        value = (value * int(_MULTIPLIER)) & _MASK64
    return powers


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer, vectorized (uint64 arithmetic wraps modulo 2**64); a new array,
    ``x`` is left as it is."""
    # In place in two arrays: the arrays are as long as a batch's tokens or shingles.
    out = x >> np.uint64(30)
    out ^= x
    out *= np.uint64(0xBF58476D1CE4E5B9)
    shifted = out >> np.uint64(27)
    out ^= shifted
    out *= np.uint64(0x94D049BB133111EB)
    np.right_shift(out, np.uint64(31), out=shifted)
    out ^= shifted
    return out


def mix64_int(x: int) -> int:
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _MASK64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def token_hash_reference(normalized: str) -> int:
    """The token hash of an already normalized token, in plain Python: the definition.

    The values ``v_k = cp_k + 1`` of the code points are packed little-endian into 64-bit words,
    with the fewest bits that hold every value of the token: eight 8-bit values per word if
    every ``v_k < 2**8``, else four 16-bit values if every ``v_k < 2**16``, else two 32-bit
    values. The hash is ``mix64(sum(w_j * M**(j mod 1024)) XOR length * salt)`` over
    the words ``w_j``, with all arithmetic modulo 2**64.
    """
    values = [ord(ch) + 1 for ch in normalized]
    bits = next(b for b in (8, 16, 32) if all(v < (1 << b) for v in values))
    per_word = 64 // bits
    powers = _power_table()
    total = 0
    for j in range(0, len(values), per_word):
        word = 0
        for i, v in enumerate(values[j : j + per_word]):
            word |= v << (bits * i)
        total = (total + word * int(powers[(j // per_word) & _POW_MASK])) & _MASK64
    total ^= (len(values) * int(_LENGTH_SALT)) & _MASK64
    return mix64_int(total)


@functools.lru_cache(maxsize=1 << 16)
def _complex_token_hash(token: str, strip_diacritics: bool) -> int:
    """The hash of a token that the vectorized path cannot normalize (see the module doc).
    Cached: such tokens are few distinct words (say with ``ß``) repeated throughout a corpus."""
    return token_hash_reference(normalize_token(token, strip_diacritics))


@dataclass(frozen=True)
class _Tables:
    char_class: np.ndarray  # uint8 per BMP code point
    normalized: np.ndarray  # uint32 per BMP code point, valid where not complex
    complex: np.ndarray  # bool per BMP code point: needs the per-token slow path
    # The three in one uint32 per BMP code point, so that a batch needs one gather, not three:
    # the normalized code point in bits 0-20, complex in bit 21, the class in bits 24-31.
    packed: np.ndarray
    # One uint8 per BMP code point for the narrow path (see _narrow_value).
    narrow: np.ndarray


_PACKED_COMPLEX = 1 << 21
_PACKED_CLASS_SHIFT = 24
_PACKED_NORMALIZED = (1 << 21) - 1


def _is_jamo(cp: int) -> bool:
    return 0x1100 <= cp <= 0x11FF or 0xA960 <= cp <= 0xA97F or 0xD7B0 <= cp <= 0xD7FF


def _describe(cp: int, strip_diacritics: bool) -> tuple[int, int, bool]:
    ch = chr(cp)
    cls = char_class(ch)
    if cls == SEPARATOR:
        return cls, 0, False
    nfkc = unicodedata.normalize("NFKC", ch)
    complex_ = (
        unicodedata.category(ch)[0] == "M"
        or len(nfkc) != 1
        or any(_is_jamo(ord(c)) or unicodedata.category(c)[0] == "M" for c in nfkc)
    )
    norm = normalize_token(ch, strip_diacritics)
    if len(norm) != 1:
        complex_ = True
    return cls, (ord(norm[0]) if len(norm) == 1 else 0), complex_


_UNDESCRIBED = 255  # class of a code point not looked up yet


@functools.cache
def _tables(strip_diacritics: bool) -> _Tables:
    """Lookup tables over the BMP, filled lazily: describing all 65,536 code points with
    :mod:`unicodedata` takes most of a second, and a corpus uses a few hundred of them."""
    classes = np.full(_BMP, _UNDESCRIBED, dtype=np.uint8)
    normalized = np.zeros(_BMP, dtype=np.uint32)
    complex_ = np.zeros(_BMP, dtype=bool)
    packed = np.full(_BMP, _UNDESCRIBED << _PACKED_CLASS_SHIFT, dtype=np.uint32)
    narrow = np.full(_BMP, _NOT_NARROW, dtype=np.uint8)
    return _Tables(classes, normalized, complex_, packed, narrow)


# The narrow path's values: like the ASCII table's (0 a separator, _APOSTROPHE the connector,
# above it a word character's v), with two more. _COMPLEX_WORD: a word character whose token
# is hashed by the slow path, so its own v does not count. _NOT_NARROW: a character the narrow
# path cannot take (a character token, a v of 255 or more, not described yet); a batch holding
# one goes the general way. No word character has a v at or below _APOSTROPHE (see
# _narrow_value), so the value alone tells the class.
_NOT_NARROW = 1
_COMPLEX_WORD = 255


def _narrow_value(cls: int, normalized: int, complex_: bool) -> int:
    """The narrow table's entry of a code point described as (class, normalized, complex)."""
    value = normalized + 1
    if cls == SEPARATOR:
        return 0
    if cls == CONNECTOR and not complex_ and value == _APOSTROPHE:
        return _APOSTROPHE
    if cls == WORD:
        if complex_:
            return _COMPLEX_WORD
        if _APOSTROPHE < value < _COMPLEX_WORD:
            return value
    return _NOT_NARROW


def _describe_into(tables: _Tables, codepoints: np.ndarray, strip_diacritics: bool) -> None:
    """Fill the table entries of ``codepoints`` (BMP) that are not described yet."""
    todo = np.unique(codepoints)
    for cp in todo[tables.char_class[todo] == _UNDESCRIBED].tolist():
        if 0xD800 <= cp <= 0xDFFF:  # lone surrogates separate tokens
            cls, normalized, complex_ = SEPARATOR, 0, False
        else:
            cls, normalized, complex_ = _describe(cp, strip_diacritics)
        # The class goes last: once it is set, another thread may read the other two. The
        # packed entry is one store.
        tables.normalized[cp], tables.complex[cp] = normalized, complex_
        tables.char_class[cp] = cls
        tables.packed[cp] = (normalized | (_PACKED_COMPLEX if complex_ else 0)
                             | (cls << _PACKED_CLASS_SHIFT))
        # A surrogate stays _NOT_NARROW: in UTF-16 it is half of an astral character, whose
        # offsets the narrow path's one value per unit would shift (or a lone surrogate).
        if not 0xD800 <= cp <= 0xDFFF:
            tables.narrow[cp] = _narrow_value(cls, normalized, complex_)


def _bmp_classes(tables: _Tables, index: np.ndarray, strip_diacritics: bool) -> np.ndarray:
    classes = tables.char_class[index]
    undescribed = classes == _UNDESCRIBED
    if undescribed.any():
        _describe_into(tables, index[undescribed], strip_diacritics)
        classes = tables.char_class[index]
    return classes


@functools.cache
def _ascii_table(strip_diacritics: bool) -> bytes | None:
    """A ``bytes.translate`` table giving each ASCII code its value ``v`` (normalized code point
    + 1), or 0 for a separator. The value alone tells the class: 0 is a separator, ``_APOSTROPHE``
    the connector, and anything above it a word character. None if some ASCII character breaks
    that (none does today)."""
    tables = _tables(strip_diacritics)
    _describe_into(tables, np.arange(128), strip_diacritics)
    classes = tables.char_class[:128]
    values = np.where(classes == SEPARATOR, 0, tables.normalized[:128].astype(np.int64) + 1)
    expected = np.select(
        [values == 0, values == _APOSTROPHE, values > _APOSTROPHE], [SEPARATOR, CONNECTOR, WORD], -1
    )
    if tables.complex[:128].any() or values.max() > 255 or (expected != classes).any():
        return None
    return values.astype(np.uint8).tobytes() + bytes(128)


@dataclass(frozen=True)
class Tokens:
    """Tokens of one document.

    ``hashes[i]`` is the 64-bit hash of token ``i``; ``text[starts[i]:ends[i]]`` is the token in
    the raw text: half-open code-point offsets.
    """

    hashes: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    def __len__(self) -> int:
        return len(self.hashes)

    def copy(self) -> Tokens:
        """The same tokens in arrays of their own (not views into a batch's)."""
        return Tokens(self.hashes.copy(), self.starts.copy(), self.ends.copy())


@dataclass(frozen=True)
class TokenHashes:
    """The token hashes of many documents, concatenated, without their offsets. Document ``d``
    owns hashes ``bounds[d]:bounds[d + 1]``."""

    hashes: np.ndarray
    bounds: np.ndarray

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def counts(self) -> np.ndarray:
        return np.diff(self.bounds)


@dataclass(frozen=True)
class TokenBatch:
    """Tokens of many documents, concatenated. Document ``d`` owns tokens
    ``bounds[d]:bounds[d + 1]``; its offsets are relative to its own text."""

    hashes: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    bounds: np.ndarray

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def doc(self, d: int) -> Tokens:
        lo, hi = self.bounds[d], self.bounds[d + 1]
        return Tokens(self.hashes[lo:hi], self.starts[lo:hi], self.ends[lo:hi])

    def counts(self) -> np.ndarray:
        return np.diff(self.bounds)

    def search(self, docs: np.ndarray, offsets: np.ndarray, side: str = "starts") -> np.ndarray:
        """``np.searchsorted(self.doc(docs[i]).starts, offsets[i], "left")`` for every ``i``
        (``.ends`` with ``side="ends"``), in one search over the batch: the first token of
        each document whose start (end) is at or after the offset, counted in the document.
        Offsets are non-negative."""
        docs = np.asarray(docs, dtype=np.int64)
        base, spans, moved_starts, moved_ends = self._search_keys
        queries = base[docs] + np.minimum(np.asarray(offsets, dtype=np.int64), spans[docs])
        moved = moved_ends if side == "ends" else moved_starts
        return np.searchsorted(moved, queries, "left") - self.bounds[docs]

    @functools.cached_property
    def _search_keys(self) -> tuple[np.ndarray, ...]:
        """The offsets of :meth:`search`: each document's moved past those of the documents
        before it (by their characters up to their last token's end), so that the batch is one
        sorted array, document d's values in ``[base[d], base[d + 1])``; and each document's
        span of values."""
        counts = np.diff(self.bounds)
        spans = np.zeros(len(counts), dtype=np.int64)
        filled = counts > 0
        spans[filled] = self.ends[self.bounds[1:][filled] - 1] + 1
        base = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(spans, out=base[1:])
        shift = np.repeat(base[:-1], counts)
        return base, spans, self.starts + shift, self.ends + shift


def _classify(codepoints: np.ndarray, strip_diacritics: bool) -> tuple[np.ndarray, ...]:
    tables = _tables(strip_diacritics)
    if len(codepoints) and int(codepoints.max()) < _BMP:
        # All in the tables: one lookup per character in the packed table, no astral fix-up.
        packed = tables.packed[codepoints]
        classes = (packed >> _PACKED_CLASS_SHIFT).astype(np.uint8)
        if (classes == _UNDESCRIBED).any():
            _describe_into(tables, codepoints[classes == _UNDESCRIBED], strip_diacritics)
            packed = tables.packed[codepoints]
            classes = (packed >> _PACKED_CLASS_SHIFT).astype(np.uint8)
        complex_ = (packed & _PACKED_COMPLEX).astype(bool)
        packed &= _PACKED_NORMALIZED
        return classes, packed, complex_
    in_bmp = codepoints < _BMP
    index = np.where(in_bmp, codepoints, 0)
    classes = _bmp_classes(tables, index, strip_diacritics)
    normalized = tables.normalized[index]
    complex_ = tables.complex[index]
    if not in_bmp.all():
        astral = np.flatnonzero(~in_bmp)
        values, inverse = np.unique(codepoints[astral], return_inverse=True)
        described = np.array(
            [_describe(int(v), strip_diacritics) for v in values], dtype=np.int64
        ).reshape(-1, 3)
        classes[astral] = described[inverse, 0]
        normalized[astral] = described[inverse, 1]
        complex_[astral] = described[inverse, 2].astype(bool)
    return classes, normalized, complex_


def _narrow_values(joined: str, strip_diacritics: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """Each character's value (uint8, see ``_NOT_NARROW``) with one lookup per character, and
    where the complex word characters are; None when some character is not for the narrow
    path. Most text in Latin scripts takes this path: its letters and punctuation are narrow,
    and a dash or a quote beyond Latin-1 is a separator."""
    units = np.frombuffer(joined.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    # A surrogate unit (an astral character's half, or a lone surrogate) is _NOT_NARROW.
    values = _tables(strip_diacritics).narrow.take(units)
    if (values == _NOT_NARROW).any():
        return None
    return values, np.flatnonzero(values == _COMPLEX_WORD)


def _token_layout(classes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start and end (global code-point offsets) of every token, and which characters are in one."""
    return _layout(classes == WORD, classes == CONNECTOR, classes == CHARACTER_TOKEN)


def _layout(
    word: np.ndarray, connector: np.ndarray | None, char_token: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_token_layout` from the masks of word, connector and character-token characters
    (None: there are none). ``word`` is updated in place."""
    n = len(word)
    # An apostrophe joins two word characters, and is a separator anywhere else.
    if n > 2 and connector is not None and connector.any():
        word[1:-1] |= connector[1:-1] & word[:-2] & word[2:]
    if char_token is None or not char_token.any():
        # Word runs open and close alternately: the changes are start, end, start, ... (found on
        # a bool array: numpy's nonzero is several times faster on bool than on int8).
        padded = np.zeros(n + 2, dtype=bool)
        padded[1:-1] = word
        steps = np.flatnonzero(padded[1:] != padded[:-1])
        return steps[0::2], steps[1::2], word
    word_prev = np.zeros(n, dtype=bool)
    word_next = np.zeros(n, dtype=bool)
    word_prev[1:] = word[:-1]
    word_next[:-1] = word[1:]
    starts = np.flatnonzero(char_token | (word & ~word_prev))
    ends = np.flatnonzero(char_token | (word & ~word_next)) + 1
    return starts, ends, word | char_token


def _token_spans(classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (global code-point offsets) of every token, from the character classes."""
    starts, ends, _ = _token_layout(classes)
    return starts, ends


# Bits per value of the three packings: a token's values all fit 8 bits, else 16, else 32.
_WIDTHS = ((8, np.uint8), (16, np.uint16), (32, np.uint32))
_WIDTH_MASKS = tuple(
    np.array([(1 << (bits * k)) - 1 for k in range(64 // bits)] + [_MASK64], dtype=np.uint64)
    for bits, _ in _WIDTHS
)
# Tokens with more words than this are summed by _word_sums_by_character.
_MAX_WORD_ROUNDS = 8


def _packed_word_sums(
    view: np.ndarray, width: int, starts: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``sum(w_j * M**j)`` of tokens ``[starts, starts + lengths)`` packed with ``_WIDTHS[width]``,
    read from ``view``: an unaligned little-endian 8-byte load at every character, so ``view[p]``
    is the word of the values starting at character ``p``. Returns the sums and the tokens
    (indices) that have more than ``_MAX_WORD_ROUNDS`` words, whose sums are left incomplete."""
    per_word = 64 // _WIDTHS[width][0]
    masks = _WIDTH_MASKS[width]
    powers = _power_table()
    sums = view[starts] & masks[np.minimum(lengths, per_word)]
    longer = np.flatnonzero(lengths > per_word)
    for j in range(1, _MAX_WORD_ROUNDS):
        if len(longer) == 0:
            break
        remaining = lengths[longer] - per_word * j
        words = view[starts[longer] + per_word * j] & masks[np.minimum(remaining, per_word)]
        sums[longer] += words * powers[j]
        longer = longer[remaining > per_word]
    return sums, longer


def _word_sums_by_character(
    values: np.ndarray, starts: np.ndarray, lengths: np.ndarray, widths: np.ndarray
) -> np.ndarray:
    """The same sums built character by character (``values`` holds ``v = cp + 1`` per
    character, ``widths`` each token's packing): for tokens of any length."""
    first = np.zeros(len(starts), dtype=np.int64)
    np.cumsum(lengths[:-1], out=first[1:])
    offset = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(first, lengths)
    chars = values[np.repeat(starts, lengths) + offset].astype(np.uint64)
    width = np.repeat(widths, lengths)
    per_word_log2 = 3 - width  # 8, 4 or 2 values per word
    word = offset >> per_word_log2
    shift = ((offset & ((1 << per_word_log2) - 1)) << (3 + width)).astype(np.uint64)
    word_starts = np.flatnonzero((offset == 0) | (word != np.roll(word, 1)))
    words = np.bitwise_or.reduceat(chars << shift, word_starts)
    terms = words * _power_table()[word[word_starts] & _POW_MASK]
    return np.add.reduceat(terms, np.flatnonzero(offset[word_starts] == 0))


def _strided_words(values: np.ndarray) -> np.ndarray:
    """A view with one unaligned little-endian 8-byte word starting at every element of
    ``values`` (uint8, uint16 or uint32), over a padded copy so the last words stay in bounds."""
    padded = np.zeros(len(values) + 8 // values.itemsize, dtype=values.dtype.newbyteorder("<"))
    padded[: len(values)] = values
    return np.ndarray(
        shape=(len(values),), dtype="<u8", buffer=padded, strides=(values.itemsize,)
    )


def _word_sums(
    values: np.ndarray, starts: np.ndarray, lengths: np.ndarray, widths: np.ndarray | None
) -> np.ndarray:
    """Per-token ``sum(w_j * M**(j mod 1024))`` (see :func:`token_hash_reference`).

    ``values`` holds ``v = cp + 1`` of every character (uint8 when every token is 8-bit);
    ``widths`` holds each token's packing, an index into ``_WIDTHS`` (None: all are 8-bit).
    """
    if widths is None:
        sums, longer = _packed_word_sums(_strided_words(values.astype(np.uint8, copy=False)), 0,
                                         starts, lengths)
        if len(longer):
            sums[longer] = _word_sums_by_character(
                values, starts[longer], lengths[longer], np.zeros(len(longer), dtype=np.int64))
        return sums
    sums = np.zeros(len(starts), dtype=np.uint64)
    long_tokens = []
    for width, (_, dtype) in enumerate(_WIDTHS):
        tokens = np.flatnonzero(widths == width)
        if len(tokens) == 0:
            continue
        view = _strided_words(values.astype(dtype, copy=False))
        part, longer = _packed_word_sums(view, width, starts[tokens], lengths[tokens])
        sums[tokens] = part
        long_tokens.append(tokens[longer])
    long_ = np.concatenate(long_tokens)
    if len(long_):
        sums[long_] = _word_sums_by_character(values, starts[long_], lengths[long_], widths[long_])
    return sums


_MAX_PIECE = 1 << 22


def _pieces(text: str, limit: int) -> list[int]:
    """Cut points that split ``text`` into pieces of at most ``limit`` characters at whitespace
    (always a token separator); a stretch with no whitespace in its second half stays whole."""
    cuts = [0]
    while len(text) - cuts[-1] > limit:
        lo = cuts[-1]
        cut = max(text.rfind(c, lo + limit // 2, lo + limit) for c in " \n\t\r")
        if cut <= lo:
            cut = min((i for i in (text.find(c, lo + limit) for c in " \n\t\r") if i > 0),
                      default=len(text))
        if cut >= len(text):
            break
        cuts.append(cut)
    return [*cuts, len(text)]


def tokenize_batch(texts: Sequence[str], strip_diacritics: bool = False) -> TokenBatch:
    """Tokenize many documents with one set of vectorized passes over their code points.

    The per-character working arrays take up to about 30 bytes per character (text that is not
    ASCII), so documents longer than ``_MAX_PIECE`` characters are tokenized piece by piece, cut
    at whitespace.
    """
    if all(len(t) <= _MAX_PIECE for t in texts):
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        # A NUL between documents is a separator, so no token crosses a document boundary.
        return _tokenize_joined("\x00".join(texts), lengths, strip_diacritics)
    hashes, starts, ends, counts = [], [], [], []
    for text in texts:
        cuts = _pieces(text, _MAX_PIECE)
        n = 0
        for lo, hi in itertools.pairwise(cuts):
            part = _tokenize_joined(text[lo:hi], np.array([hi - lo]), strip_diacritics)
            hashes.append(part.hashes)
            starts.append(part.starts + lo)
            ends.append(part.ends + lo)
            n += len(part.hashes)
        counts.append(n)
    bounds = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    return TokenBatch(np.concatenate(hashes), np.concatenate(starts), np.concatenate(ends), bounds)


def tokenize_joined(joined: str, lengths: np.ndarray, strip_diacritics: bool = False
                    ) -> TokenBatch:
    """:func:`tokenize_batch` of texts given end to end with a NUL between each two (the
    ``lengths`` of the texts in characters): what a batch read as one piece of UTF-8 decodes
    to, tokenized without cutting it into texts first."""
    if len(lengths) == 0 or int(lengths.max()) <= _MAX_PIECE:
        return _tokenize_joined(joined, lengths, strip_diacritics)
    ends = np.cumsum(lengths + 1).tolist()
    return tokenize_batch([joined[end - length - 1:end - 1] for end, length
                           in zip(ends, lengths.tolist(), strict=True)], strip_diacritics)


def token_hashes_joined(joined: str, lengths: np.ndarray, strip_diacritics: bool = False
                        ) -> TokenHashes:
    """The hashes and bounds of :func:`tokenize_joined`, without the tokens' offsets (what
    sketching needs): the compiled pass then writes no offsets, and none is copied."""
    if len(lengths) == 0 or int(lengths.max()) <= _MAX_PIECE:
        found = _tokenize_joined(joined, lengths, strip_diacritics, positions=False)
    else:
        found = tokenize_joined(joined, lengths, strip_diacritics)
    return found if isinstance(found, TokenHashes) else TokenHashes(found.hashes, found.bounds)


def _token_widths(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray | None:
    """Each token's packing (index into ``_WIDTHS``): the narrowest that holds all its values.
    None when every token is 8-bit. Separators have value 1, so only token characters count."""
    widths = None
    for width, limit in ((1, 1 << 8), (2, 1 << 16)):
        over = values >= limit
        if not over.any():
            break
        count_type = np.int32 if len(over) < 2**31 else np.int64
        over_before = np.zeros(len(over) + 1, dtype=count_type)
        np.cumsum(over, out=over_before[1:])
        if widths is None:
            widths = np.zeros(len(starts), dtype=np.int64)
        widths[over_before[ends] > over_before[starts]] = width
    return widths


def _tokenize_joined(joined: str, lengths: np.ndarray, strip_diacritics: bool,
                     positions: bool = True) -> TokenBatch | TokenHashes:
    """:func:`tokenize_joined` of texts no longer than ``_MAX_PIECE``; without ``positions``,
    the compiled pass may give :class:`TokenHashes` (no offsets) instead."""
    n_texts = len(lengths)
    doc_starts = np.zeros(n_texts + 1, dtype=np.int64)
    np.cumsum(lengths, out=doc_starts[1:])
    # Document d starts at doc_starts[d] + d in the joined string (one NUL per earlier document).
    joined_starts = doc_starts[:-1] + np.arange(n_texts, dtype=np.int64)
    ascii_table = _ascii_table(strip_diacritics) if joined.isascii() else None
    # The characters (global offsets) that make their tokens go the slow way.
    complex_inside = None
    kernel = compiled_narrow if compiled.ENABLED else None
    if kernel is not None:
        found = _tokenize_compiled(joined, ascii_table, joined_starts, strip_diacritics,
                                   positions)
        if found is not None:
            return found
    if kernel is None and ascii_table is not None:
        # bytes.translate is a table lookup per byte in C, faster than a numpy gather.
        values = np.frombuffer(joined.encode("ascii").translate(ascii_table), dtype=np.uint8)
        connector = values == _APOSTROPHE if "'" in joined else None
        g_starts, g_ends, _ = _layout(values > _APOSTROPHE, connector, None)
        widths = None
    elif kernel is None and (narrow := _narrow_values(joined, strip_diacritics)) is not None:
        values, complex_inside = narrow  # a word character is always inside a token
        g_starts, g_ends, _ = _layout(values > _APOSTROPHE, values == _APOSTROPHE, None)
        widths = None
    else:
        # Describes the code points not seen before, so that the next batch may be narrow.
        codepoints = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        classes, normalized, complex_ = _classify(codepoints, strip_diacritics)
        g_starts, g_ends, in_token = _token_layout(classes)
        if complex_.any():
            complex_inside = np.flatnonzero(complex_ & in_token)
        values = normalized + np.uint32(1)
        widths = _token_widths(values, g_starts, g_ends)
        if widths is None:
            values = values.astype(np.uint8)

    token_lengths = g_ends - g_starts
    hashes = np.empty(len(g_starts), dtype=np.uint64)
    if len(g_starts):
        sums = _word_sums(values, g_starts, token_lengths, widths)
        sums ^= token_lengths.astype(np.uint64) * _LENGTH_SALT
        hashes = mix64(sums)
        if complex_inside is not None and len(complex_inside):
            slow = np.unique(np.searchsorted(g_starts, complex_inside, side="right") - 1)
            hashes[slow] = [
                _complex_token_hash(joined[start:end], strip_diacritics)
                for start, end in zip(g_starts[slow].tolist(), g_ends[slow].tolist(), strict=True)
            ]

    bounds = np.empty(n_texts + 1, dtype=np.int64)
    bounds[:-1] = np.searchsorted(g_starts, joined_starts, side="left")
    bounds[-1] = len(g_starts)
    shift = np.repeat(joined_starts, np.diff(bounds))
    return TokenBatch(hashes, g_starts - shift, g_ends - shift, bounds)


# Scratch space of the compiled pass, per thread, kept for calls of up to this many characters
# (about 17 bytes each): a new array's pages cost a fault each on first touch.
_MAX_KEPT_SCRATCH = 1 << 22
_kept_scratch = threading.local()


def _scratch(characters: int) -> tuple[np.ndarray, ...]:
    """The compiled pass's room for the tokens of a batch of ``characters`` (hashes, starts,
    ends, slow tokens) and its scratch space (values, masks), reused across calls."""
    blocks = (characters + 63) // 64
    tokens, values, masks = characters // 2 + 1, 64 * blocks + 16, 2 * blocks + 2
    kept = getattr(_kept_scratch, "arrays", None)
    if (kept is not None and len(kept[0]) >= tokens and len(kept[4]) >= values
            and len(kept[5]) >= masks):
        return kept
    arrays = (np.empty(tokens, dtype=np.uint64), np.empty(tokens, dtype=np.int64),
              np.empty(tokens, dtype=np.int64), np.empty(tokens, dtype=np.int64),
              np.empty(values, dtype=np.uint8), np.empty(masks, dtype=np.uint64))
    if characters <= _MAX_KEPT_SCRATCH:
        _kept_scratch.arrays = arrays
    return arrays


def _tokenize_compiled(joined: str, ascii_table: bytes | None, joined_starts: np.ndarray,
                       strip_diacritics: bool, positions: bool = True
                       ) -> TokenBatch | TokenHashes | None:
    """The ASCII or the narrow path of :func:`_tokenize_joined` in one compiled pass
    (:func:`reuse.text.compiled_narrow.tokenize_narrow`), without the tokens' offsets unless
    ``positions``; None when some character is not narrow."""
    table = (np.frombuffer(ascii_table, dtype=np.uint8) if ascii_table is not None
             else _tables(strip_diacritics).narrow)
    hashes, starts, ends, slow, values, masks = _scratch(len(joined))
    bounds = np.empty(len(joined_starts) + 1, dtype=np.int64)
    found = compiled_narrow.tokenize_narrow(
        joined, table, _power_table(), int(_LENGTH_SALT), joined_starts, _APOSTROPHE,
        _COMPLEX_WORD, _NOT_NARROW, hashes, starts, ends, bounds, slow, values, masks,
        positions)
    if found is None:
        return None
    tokens, slow_tokens = found
    hashes = hashes[:tokens].copy()
    if positions:
        starts, ends = starts[:tokens].copy(), ends[:tokens].copy()
    if slow_tokens:
        slow = slow[:slow_tokens]
        if positions:
            shift = joined_starts[np.searchsorted(bounds, slow, side="right") - 1]
            slow_starts, slow_ends = starts[slow] + shift, ends[slow] + shift
        else:  # the pass gave the slow tokens' own, in the joined text
            slow_starts, slow_ends = starts[:slow_tokens], ends[:slow_tokens]
        hashes[slow] = [
            _complex_token_hash(joined[start:end], strip_diacritics)
            for start, end in zip(slow_starts.tolist(), slow_ends.tolist(), strict=True)
        ]
    return TokenBatch(hashes, starts, ends, bounds) if positions else TokenHashes(hashes, bounds)


def prefix_hashes(text: str, tokens: Tokens, length: int, strip_diacritics: bool = False
                  ) -> np.ndarray:
    """A 64-bit hash of the first ``length`` code points of each token of ``text`` after the
    tokens' own normalization (:func:`normalize_token`: NFKC, casefold, one apostrophe, and no
    diacritics with ``strip_diacritics``), as :func:`prefix_hash_reference` defines it: a crude
    stemmer that agrees with the token hashes ("Über" and "über", "STRASSE" and "Straße" have
    one stem). ``tokens`` are those of ``text`` (from :func:`tokenize` with the same
    ``strip_diacritics``).

    Code points are normalized with the tokenizer's lookup tables; a token holding a character
    whose normalization depends on its neighbours or expands (``ß``, ``İ``, combining marks) is
    normalized whole with :mod:`unicodedata`, as the tokenizer does.
    """
    if not len(tokens):
        return np.empty(0, dtype=np.uint64)
    starts, ends = tokens.starts, tokens.ends
    slow = np.empty(0, dtype=np.int64)
    ascii_table = _ascii_table(strip_diacritics) if text.isascii() else None
    if ascii_table is not None:
        values = np.frombuffer(text.encode("ascii").translate(ascii_table), dtype=np.uint8)
    else:
        codepoints = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        _, normalized, complex_ = _classify(codepoints, strip_diacritics)
        values = normalized.astype(np.uint64) + np.uint64(1)
        complex_before = np.zeros(len(complex_) + 1, dtype=np.int64)
        np.cumsum(complex_, out=complex_before[1:])
        slow = np.flatnonzero(complex_before[ends] > complex_before[starts])
    lengths = np.minimum(ends - starts, length)
    hashes = np.zeros(len(tokens), dtype=np.uint64)
    for k in range(length):
        has = k < lengths
        value = values[np.where(has, starts + k, 0)].astype(np.uint64)
        hashes = np.where(has, hashes * _MULTIPLIER + value, hashes)
    for i, start, end in zip(slow.tolist(), starts[slow].tolist(), ends[slow].tolist(),
                             strict=True):
        hashes[i] = prefix_hash_reference(normalize_token(text[start:end], strip_diacritics),
                                          length)
    return hashes


def prefix_hash_reference(normalized: str, length: int) -> int:
    """The prefix hash of an already normalized token, in plain Python: the definition.
    ``h = h * M + (cp + 1)`` modulo 2**64 over its first ``length`` code points, from 0."""
    total = 0
    for ch in normalized[:length]:
        total = (total * int(_MULTIPLIER) + ord(ch) + 1) & _MASK64
    return total


def tokenize(text: str, strip_diacritics: bool = False) -> Tokens:
    """Tokenize one document. See the module docstring for what a token is."""
    return tokenize_batch([text], strip_diacritics).doc(0)


def tokenize_reference(text: str, strip_diacritics: bool = False) -> Tokens:
    """A plain-Python tokenizer with the same definition, for differential tests."""
    classes = [char_class(c) for c in text]
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)

    def is_word(k: int) -> bool:
        if classes[k] == WORD:
            return True
        return (
            classes[k] == CONNECTOR
            and 0 < k < n - 1
            and classes[k - 1] == WORD
            and classes[k + 1] == WORD
        )

    while i < n:
        if classes[i] == CHARACTER_TOKEN:
            spans.append((i, i + 1))
            i += 1
        elif is_word(i):
            j = i
            while j < n and is_word(j):
                j += 1
            spans.append((i, j))
            i = j
        else:
            i += 1
    hashes = [token_hash_reference(normalize_token(text[s:e], strip_diacritics)) for s, e in spans]
    return Tokens(
        np.array(hashes, dtype=np.uint64),
        np.array([s for s, _ in spans], dtype=np.int64),
        np.array([e for _, e in spans], dtype=np.int64),
    )
