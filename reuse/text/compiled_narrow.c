/* The tokenizer's ASCII and narrow paths in one compiled pass over a str's own characters
 * (reuse.text.tokenize): the same tokens and hashes as its numpy code, bit for bit (the
 * differential tests compare them). Built with the package when a C compiler is at hand; the
 * numpy code runs without it.
 *
 * The characters are read where CPython keeps them (one or two bytes each): the text is not
 * encoded first. Each one's value comes from the path's lookup table (0 a separator, the
 * apostrophe's value the connector, above it a word character's normalized code point + 1,
 * COMPLEX_WORD a word character whose token the numpy code hashes again, NOT_NARROW a character
 * this path cannot take). A token is a run of word characters, an apostrophe joining two of
 * them; its hash packs its values eight to a 64-bit word, sums the words times the tokenizer's
 * powers, salts the sum with the length and mixes it (splitmix64's finalizer). */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define POWERS 1024
#define POW_MASK (POWERS - 1)

typedef struct {
    const uint8_t *table;
    const uint64_t *powers;
    uint64_t salt;
    uint8_t apostrophe, complex_word, not_narrow;
    uint64_t *hashes;
    int64_t *starts, *ends, *slow;
    Py_ssize_t tokens, slow_tokens;
    /* Without positions, starts and ends hold only the slow tokens' (at their index in slow),
     * counted in the joined text. */
    int positions;
    /* The documents (starting at joined_starts), the one the last token is in (doc - 1,
     * starting at doc_start), and each one's first token (bounds). */
    const int64_t *joined_starts;
    Py_ssize_t n_docs, doc;
    int64_t doc_start;
    int64_t *bounds;
    /* Scratch: each character's value (zeros after the last, to the end of its block of 64
     * and SLACK more), and for each block the mask of its word characters and of its
     * apostrophes. */
    uint8_t *values;
    uint64_t *masks;
} Scan;

#define SLACK 16
#define ONES UINT64_C(0xFFFFFFFFFFFFFFFF)
#define BYTES_1 UINT64_C(0x0101010101010101)
#define BYTES_80 UINT64_C(0x8080808080808080)

/* Eight values from p, as the token hash packs them: the first in the lowest byte. */
static inline uint64_t load_word(const uint8_t *p)
{
    uint64_t word;
    memcpy(&word, p, sizeof word);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap64(word);
#endif
    return word;
}

#define FILL_VALUES(CHAR)                                                                    \
    {                                                                                        \
        const CHAR *chars = (const CHAR *)units;                                             \
        for (Py_ssize_t i = 0; i < n; i++)                                                   \
            s->values[i] = s->table[chars[i]];                                               \
    }

/* The masks of block b (64 values) into s->masks; nonzero when a value is NOT_NARROW. */
static inline int block_masks(Scan *s, Py_ssize_t b)
{
    const uint8_t *block = s->values + 64 * b;
    uint64_t words = 0, apostrophes = 0;
    int wrong = 0;
#if defined(__SSE2__)
    __m128i apostrophe = _mm_set1_epi8((char)s->apostrophe);
    __m128i above = _mm_set1_epi8((char)(s->apostrophe + 1));
    __m128i not_narrow = _mm_set1_epi8((char)s->not_narrow);
    for (int c = 0; c < 4; c++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(block + 16 * c));
        /* x > apostrophe, unsigned: max(x, apostrophe + 1) == x. */
        uint64_t word = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(x, above), x));
        uint64_t joining = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, apostrophe));
        words |= word << (16 * c);
        apostrophes |= joining << (16 * c);
        wrong |= _mm_movemask_epi8(_mm_cmpeq_epi8(x, not_narrow));
    }
#else
    for (int r = 0; r < 64; r++) {
        uint8_t value = block[r];
        words |= (uint64_t)(value > s->apostrophe) << r;
        apostrophes |= (uint64_t)(value == s->apostrophe) << r;
        wrong |= value == s->not_narrow;
    }
#endif
    s->masks[2 * b] = words;
    s->masks[2 * b + 1] = apostrophes;
    return wrong;
}

/* Hash the token [start, end) from its values; its document is the last to start at or before
 * it (a token never holds a NUL, which separates the documents). */
static inline void add_token(Scan *s, Py_ssize_t start, Py_ssize_t end)
{
    while (s->doc < s->n_docs && s->joined_starts[s->doc] <= start) {
        s->bounds[s->doc] = s->tokens;
        s->doc_start = s->joined_starts[s->doc];
        s->doc++;
    }
    Py_ssize_t length = end - start;
    const uint8_t *values = s->values + start;
    uint64_t total = 0, marked = 0, complex_bytes = (uint64_t)s->complex_word * BYTES_1;
    for (Py_ssize_t j = 0; j < length; j += 8) {
        Py_ssize_t left = length - j;
        uint64_t word = load_word(values + j) & (ONES >> (64 - 8 * (left < 8 ? left : 8)));
        /* A byte equal to complex_word: a zero byte of the xor (the masked bytes are 0). */
        uint64_t y = word ^ complex_bytes;
        marked |= (y - BYTES_1) & ~y & BYTES_80;
        total += word * s->powers[(j >> 3) & POW_MASK];
    }
    uint64_t x = total ^ ((uint64_t)length * s->salt);
    x ^= x >> 30;
    x *= UINT64_C(0xBF58476D1CE4E5B9);
    x ^= x >> 27;
    x *= UINT64_C(0x94D049BB133111EB);
    if (marked) {
        if (!s->positions) {
            s->starts[s->slow_tokens] = start;
            s->ends[s->slow_tokens] = end;
        }
        s->slow[s->slow_tokens++] = s->tokens;
    }
    s->hashes[s->tokens] = x ^ (x >> 31);
    if (s->positions) {
        s->starts[s->tokens] = start - s->doc_start;
        s->ends[s->tokens] = end - s->doc_start;
    }
    s->tokens++;
}

/* The tokens of n characters: -1 when one is NOT_NARROW. Token boundaries are the changes in
 * the blocks' masks, found a set bit at a time. */
static int scan(Scan *s, int kind, const void *units, Py_ssize_t n)
{
    Py_ssize_t n_blocks = (n + 63) / 64;
    if (kind == PyUnicode_1BYTE_KIND)
        FILL_VALUES(uint8_t)
    else
        FILL_VALUES(uint16_t)
    memset(s->values + n, 0, (size_t)(64 * n_blocks - n + SLACK));
    for (Py_ssize_t b = 0; b < n_blocks; b++) {
        if (block_masks(s, b))
            return -1;
    }
    uint64_t in_token = 0, previous = 0;
    Py_ssize_t start = 0;
    for (Py_ssize_t b = 0; b < n_blocks; b++) {
        uint64_t words = s->masks[2 * b];
        uint64_t following = b + 1 < n_blocks ? s->masks[2 * b + 2] : 0;
        /* An apostrophe between two word characters is one too. */
        uint64_t joined = s->masks[2 * b + 1] & ((words << 1) | (previous >> 63))
                          & ((words >> 1) | (following << 63));
        previous = words;
        words |= joined;
        /* Bit k: character k is in a token and k - 1 is not (a start), or the other way. */
        uint64_t edges = words ^ ((words << 1) | in_token);
        in_token = words >> 63;
        while (edges) {
            int k = __builtin_ctzll(edges);
            edges &= edges - 1;
            if ((words >> k) & 1)
                start = 64 * b + k;
            else
                add_token(s, start, 64 * b + k);
        }
    }
    if (in_token)
        add_token(s, start, n);
    return 0;
}

/* The first token of each document that has none after the last token's: the count. */
static void close_bounds(Scan *s)
{
    for (; s->doc <= s->n_docs; s->doc++)
        s->bounds[s->doc] = s->tokens;
}

static int check_size(Py_buffer *buffer, Py_ssize_t bytes, const char *name)
{
    if (buffer->len < bytes) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes, fewer than the %zd needed", name,
                     buffer->len, bytes);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(tokenize_narrow_doc,
"tokenize_narrow(text, table, powers, salt, joined_starts, apostrophe, complex_word,\n"
"                not_narrow, hashes, starts, ends, bounds, slow, values, masks, positions)\n"
"--\n\n"
"The tokens of ``text`` (documents joined by NULs, document d from ``joined_starts[d]``)\n"
"into ``hashes`` (uint64), ``starts`` and ``ends`` (int64, relative to each token's\n"
"document), ``bounds`` (int64, each document's first token, then the count) and ``slow``\n"
"(int64, the tokens holding a ``complex_word`` character), each with room for\n"
"``len(text) // 2 + 1`` tokens. Without ``positions``, ``starts`` and ``ends`` hold the\n"
"slow tokens' only, in the order of ``slow``, counted from the start of ``text``. ``values`` (uint8) and ``masks`` (uint64) are scratch space\n"
"of ``64 * ceil(len(text) / 64) + 16`` bytes and ``2 * ceil(len(text) / 64) + 2`` words.\n"
"``table`` maps a character (uint8 for a 1-byte str, uint16 for a 2-byte one) to its value\n"
"(0: a separator); ``powers`` holds 1024 uint64.\n\n"
"Returns ``(tokens, slow tokens)``, or None when some character is ``not_narrow`` (a str of\n"
"4-byte characters always is: its astral characters are two UTF-16 units).");

static PyObject *tokenize_narrow(PyObject *self, PyObject *args)
{
    PyObject *text;
    Py_buffer table, powers, joined_starts, hashes, starts, ends, bounds, slow, values,
        masks;
    unsigned long long salt;
    int apostrophe, complex_word, not_narrow, positions;
    if (!PyArg_ParseTuple(args, "Uy*y*Ky*iiiw*w*w*w*w*w*w*p:tokenize_narrow", &text,
                          &table, &powers, &salt, &joined_starts, &apostrophe,
                          &complex_word, &not_narrow, &hashes, &starts, &ends, &bounds, &slow,
                          &values, &masks, &positions))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    Py_ssize_t n_docs = joined_starts.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t capacity = (n / 2 + 1) * (Py_ssize_t)sizeof(int64_t);
    if (check_size(&table, kind == PyUnicode_1BYTE_KIND ? 256 : 65536, "table") < 0
        || check_size(&powers, POWERS * sizeof(uint64_t), "powers") < 0
        || check_size(&hashes, capacity, "hashes") < 0
        || check_size(&starts, capacity, "starts") < 0
        || check_size(&ends, capacity, "ends") < 0
        || check_size(&slow, capacity, "slow") < 0
        || check_size(&bounds, (n_docs + 1) * (Py_ssize_t)sizeof(int64_t), "bounds") < 0
        || check_size(&values, 64 * ((n + 63) / 64) + SLACK, "values") < 0
        || check_size(&masks, (2 * ((n + 63) / 64) + 2) * (Py_ssize_t)sizeof(uint64_t),
                      "masks") < 0)
        goto done;
    if (kind == PyUnicode_4BYTE_KIND) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    Scan s = {table.buf, powers.buf, (uint64_t)salt, (uint8_t)apostrophe,
              (uint8_t)complex_word, (uint8_t)not_narrow, hashes.buf, starts.buf, ends.buf,
              slow.buf, 0, 0, positions, joined_starts.buf, n_docs, 0, 0, bounds.buf,
              values.buf, masks.buf};
    const void *data = PyUnicode_DATA(text);
    int found;
    Py_BEGIN_ALLOW_THREADS
    found = scan(&s, kind, data, n);
    if (found == 0)
        close_bounds(&s);
    Py_END_ALLOW_THREADS
    result = found == 0 ? Py_BuildValue("nn", s.tokens, s.slow_tokens) : Py_NewRef(Py_None);
done:
    PyBuffer_Release(&table);
    PyBuffer_Release(&powers);
    PyBuffer_Release(&joined_starts);
    PyBuffer_Release(&hashes);
    PyBuffer_Release(&starts);
    PyBuffer_Release(&ends);
    PyBuffer_Release(&bounds);
    PyBuffer_Release(&slow);
    PyBuffer_Release(&values);
    PyBuffer_Release(&masks);
    return result;
}

static PyMethodDef methods[] = {
    {"tokenize_narrow", tokenize_narrow, METH_VARARGS, tokenize_narrow_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "reuse.text.compiled_narrow",
    "The tokenizer's ASCII and narrow paths, compiled (see reuse.text.tokenize).", -1, methods,
};

PyMODINIT_FUNC PyInit_compiled_narrow(void)
{
    return PyModule_Create(&module);
}
