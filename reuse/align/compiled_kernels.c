/* The batch aligner's kernels in compiled code (reuse.align.kernels gives them their Python
 * face; reuse.align.batch and reuse.align.edits run their numpy code where this module was not
 * built): the shingles, hash join and diagonal runs of each pair (join_runs); chaining,
 * trimming and the passage filters (passages); the word counts per document
 * (count_in_document); the boundary extension (extend); the common affixes of the edit scripts
 * (common_affixes); and the seed bands' components (seed_components). Each is a loop over one
 * pair (or document, boundary, box) at a time, where the numpy code sorts rows and steps every
 * pair in lockstep. The results are the numpy code's, row for row: equal shingles are found on
 * their full 64 bits, passages come in the numpy code's order, and the extension does the
 * reference's float arithmetic in the reference's order.
 *
 * Every index that a function reads at is checked against its arrays before the loops (a bad
 * argument raises ValueError, never reads outside a buffer); the loops run without the GIL. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define FIBONACCI 0x9E3779B97F4A7C15ULL /* the product's high bits index the hash table */

static inline int64_t max64(int64_t x, int64_t y) { return x > y ? x : y; }
static inline int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }

/* Python's floor division (the band of a diagonal may be negative). */
static inline int64_t floor_div(int64_t x, int64_t y)
{
    int64_t q = x / y;
    return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
}

/* A buffer of ``count`` values of ``size`` bytes, or the error set. */
static int get_array(PyObject *object, Py_buffer *view, Py_ssize_t size, int writable,
                     const char *name, Py_ssize_t *count)
{
    if (PyObject_GetBuffer(object, view, writable ? PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS
                                                  : PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    if (view->len % size != 0) {
        PyErr_Format(PyExc_ValueError, "%s: not an array of %zd-byte values", name, size);
        PyBuffer_Release(view);
        return -1;
    }
    *count = view->len / size;
    return 0;
}

/* The buffers of n arrays, objects[k] as kinds[k] says: '8' or '4' for values of that many
 * bytes, read only; 'W' or 'w' for writable ones of 8 or 4 bytes. Returns n, or -1 with the
 * error set and no buffer held. */
static int get_arrays(PyObject *const *objects, int n, const char *const *names,
                      const char *kinds, Py_buffer *views, Py_ssize_t *counts)
{
    for (int k = 0; k < n; k++) {
        char kind = kinds[k];
        Py_ssize_t size = kind == '4' || kind == 'w' ? 4 : 8;
        if (get_array(objects[k], &views[k], size, kind == 'W' || kind == 'w', names[k],
                      &counts[k]) < 0) {
            while (k-- > 0)
                PyBuffer_Release(&views[k]);
            return -1;
        }
    }
    return n;
}

static void release_arrays(Py_buffer *views, int held)
{
    for (int k = 0; k < held; k++)
        PyBuffer_Release(&views[k]);
}

/* Bits of a hash table index with room for ``entries`` keys at most half full. */
static int table_bits(int64_t entries)
{
    int bits = 4;
    while (((int64_t)1 << bits) < 2 * entries)
        bits++;
    return bits;
}

/* Put keys[0..n) into the open-addressing table (table_used all 0 in its first 1 << bits
 * slots) and write each key's slot into slot_of: equal keys get equal slots. */
static void put_slots(const uint64_t *keys, int64_t n, int bits, uint64_t *table_key,
                      uint8_t *table_used, int64_t *slot_of)
{
    int64_t mask = ((int64_t)1 << bits) - 1;
    int shift = 64 - bits;
    for (int64_t t = 0; t < n; t++) {
        uint64_t key = keys[t];
        int64_t s = (int64_t)((key * FIBONACCI) >> shift);
        while (table_used[s] && table_key[s] != key)
            s = (s + 1) & mask;
        if (!table_used[s]) {
            table_used[s] = 1;
            table_key[s] = key;
        }
        slot_of[t] = s;
    }
}

static inline int seeding(int64_t in_a, int64_t in_b, int64_t max_occurrences)
{
    return (in_a == 1 && in_b == 1) || (in_a >= 1 && in_b >= 1 && in_a <= max_occurrences
                                        && in_b <= max_occurrences);
}

/* The n shingles starting at hashes[first], as reuse.text.shingle.shingle_unmixed makes them. */
static void make_shingles(const uint64_t *hashes, int64_t first, int64_t n, int64_t ngram,
                          uint64_t multiplier, uint64_t *out)
{
    for (int64_t t = 0; t < n; t++) {
        uint64_t acc = hashes[first + t];
        for (int64_t k = 1; k < ngram; k++)
            acc = acc * multiplier + hashes[first + t + k];
        out[t] = acc;
    }
}

/* Rows of int64 that grow as they are appended. */
typedef struct {
    int64_t *data;
    int64_t rows, room, width;
} Rows;

static int64_t *next_row(Rows *rows)
{
    if (rows->rows == rows->room) {
        int64_t room = rows->room ? 2 * rows->room : 1024;
        int64_t *grown = PyMem_RawRealloc(rows->data, (size_t)(room * rows->width) * sizeof(int64_t));
        if (grown == NULL)
            return NULL;
        rows->data = grown;
        rows->room = room;
    }
    return rows->data + rows->width * rows->rows++;
}

PyDoc_STRVAR(join_runs_doc,
"join_runs(hashes, a_first, n_a, b_first, n_b, max_occurrences, ngram, multiplier) -> bytearray\n\n"
"The runs of reuse.align.kernels.join_runs, as int64 rows of five values end to end.");

static PyObject *join_runs(PyObject *self, PyObject *args)
{
    PyObject *objects[5];
    Py_buffer views[5];
    long long max_occurrences, ngram;
    unsigned long long multiplier;
    if (!PyArg_ParseTuple(args, "OOOOOLLK", &objects[0], &objects[1], &objects[2], &objects[3],
                          &objects[4], &max_occurrences, &ngram, &multiplier))
        return NULL;
    static const char *names[5] = {"hashes", "a_first", "n_a", "b_first", "n_b"};
    Py_ssize_t counts[5];
    int held = 0;
    PyObject *result = NULL;
    Rows out = {NULL, 0, 0, 5};
    uint64_t *table_key = NULL, *a_shingles = NULL, *b_shingles = NULL;
    uint8_t *table_used = NULL;
    int64_t *in_a = NULL, *in_b = NULL, *head = NULL, *next_a = NULL, *slot_a = NULL,
            *slot_b = NULL;
    if ((held = get_arrays(objects, 5, names, "88888", views, counts)) < 0)
        return NULL;
    const uint64_t *hashes = views[0].buf;
    const int64_t *a_first = views[1].buf, *n_a = views[2].buf, *b_first = views[3].buf,
                  *n_b = views[4].buf;
    int64_t n_pairs = counts[1];
    if (counts[2] != n_pairs || counts[3] != n_pairs || counts[4] != n_pairs) {
        PyErr_SetString(PyExc_ValueError, "a_first, n_a, b_first and n_b: one value per pair");
        goto done;
    }
    if (ngram < 1) {
        PyErr_Format(PyExc_ValueError, "ngram: %lld, not a positive count", (long long)ngram);
        goto done;
    }
    int64_t longest_a = 1, longest_b = 1;
    for (int64_t p = 0; p < n_pairs; p++) {
        if (n_a[p] < 0 || n_b[p] < 0 || (n_a[p] && (a_first[p] < 0
                || a_first[p] + n_a[p] + ngram - 1 > counts[0])) || (n_b[p] && (b_first[p] < 0
                || b_first[p] + n_b[p] + ngram - 1 > counts[0]))) {
            PyErr_Format(PyExc_ValueError, "pair %lld: its shingles reach beyond the hashes",
                         (long long)p);
            goto done;
        }
        longest_a = max64(longest_a, n_a[p]);
        longest_b = max64(longest_b, n_b[p]);
    }
    int64_t size = (int64_t)1 << table_bits(longest_a);
    table_key = PyMem_RawMalloc((size_t)size * sizeof *table_key);
    table_used = PyMem_RawCalloc((size_t)size, 1);
    in_a = PyMem_RawCalloc((size_t)size, sizeof *in_a);
    in_b = PyMem_RawCalloc((size_t)size, sizeof *in_b);
    head = PyMem_RawMalloc((size_t)size * sizeof *head);
    next_a = PyMem_RawMalloc((size_t)longest_a * sizeof *next_a);
    slot_a = PyMem_RawMalloc((size_t)longest_a * sizeof *slot_a);
    slot_b = PyMem_RawMalloc((size_t)longest_b * sizeof *slot_b);
    a_shingles = PyMem_RawMalloc((size_t)longest_a * sizeof *a_shingles);
    b_shingles = PyMem_RawMalloc((size_t)longest_b * sizeof *b_shingles);
    if (!table_key || !table_used || !in_a || !in_b || !head || !next_a || !slot_a || !slot_b
            || !a_shingles || !b_shingles) {
        PyErr_NoMemory();
        goto done;
    }
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    for (int64_t p = 0; p < n_pairs && !failed; p++) {
        int64_t na = n_a[p], nb = n_b[p];
        if (na == 0 || nb == 0)
            continue;
        int bits = table_bits(na);
        make_shingles(hashes, a_first[p], na, ngram, multiplier, a_shingles);
        make_shingles(hashes, b_first[p], nb, ngram, multiplier, b_shingles);
        put_slots(a_shingles, na, bits, table_key, table_used, slot_a);
        for (int64_t i = 0; i < na; i++) {
            int64_t s = slot_a[i];
            next_a[i] = in_a[s] ? head[s] : -1;
            head[s] = i;
            in_a[s]++;
        }
        /* The b-side shingles looked up; along a diagonal of equal shingles (a copied passage)
         * the next a-side shingle is compared first, which spares most look-ups. */
        int64_t mask = ((int64_t)1 << bits) - 1;
        int shift = 64 - bits;
        int64_t along = -1; /* an a-position whose shingle equals the last b-side shingle */
        for (int64_t j = 0; j < nb; j++) {
            uint64_t key = b_shingles[j];
            int64_t s;
            if (0 <= along && along < na - 1 && a_shingles[along + 1] == key) {
                along++;
                s = slot_a[along];
            }
            else {
                s = (int64_t)((key * FIBONACCI) >> shift);
                while (table_used[s] && table_key[s] != key)
                    s = (s + 1) & mask;
                if (table_used[s])
                    along = head[s];
                else {
                    s = -1;
                    along = -1;
                }
            }
            slot_b[j] = s;
            if (s >= 0)
                in_b[s]++;
        }
        for (int64_t j = 0; j < nb && !failed; j++) {
            int64_t s = slot_b[j];
            if (s < 0 || !seeding(in_a[s], in_b[s], max_occurrences))
                continue;
            for (int64_t i = head[s]; i >= 0; i = next_a[i]) {
                if (i == 0 || j == 0 || slot_a[i - 1] != slot_b[j - 1]
                        || !seeding(in_a[slot_a[i - 1]], in_b[slot_a[i - 1]], max_occurrences)) {
                    int64_t length = 1;
                    while (i + length < na && j + length < nb
                           && slot_a[i + length] == slot_b[j + length]
                           && seeding(in_a[slot_a[i + length]], in_b[slot_a[i + length]],
                                      max_occurrences))
                        length++;
                    int64_t *row = next_row(&out);
                    if (row == NULL) {
                        failed = 1;
                        break;
                    }
                    row[0] = p;
                    row[1] = i;
                    row[2] = i + length - 1 + ngram;
                    row[3] = j;
                    row[4] = j + length - 1 + ngram;
                }
            }
        }
        for (int64_t i = 0; i < na; i++) {
            int64_t s = slot_a[i];
            table_used[s] = 0;
            in_a[s] = 0;
            in_b[s] = 0;
        }
    }
    Py_END_ALLOW_THREADS
    if (failed)
        PyErr_NoMemory();
    else
        result = PyByteArray_FromStringAndSize((const char *)out.data,
                                               (Py_ssize_t)(out.rows * 5 * sizeof(int64_t)));
done:
    release_arrays(views, held);
    PyMem_RawFree(out.data);
    PyMem_RawFree(table_key);
    PyMem_RawFree(table_used);
    PyMem_RawFree(in_a);
    PyMem_RawFree(in_b);
    PyMem_RawFree(head);
    PyMem_RawFree(next_a);
    PyMem_RawFree(slot_a);
    PyMem_RawFree(slot_b);
    PyMem_RawFree(a_shingles);
    PyMem_RawFree(b_shingles);
    return result;
}

PyDoc_STRVAR(count_in_document_doc,
"count_in_document(hashes, firsts, counts, occurrences) -> None\n\n"
"reuse.align.kernels.count_in_document: writes into occurrences (int32).");

static PyObject *count_in_document(PyObject *self, PyObject *args)
{
    PyObject *objects[4];
    Py_buffer views[4];
    if (!PyArg_ParseTuple(args, "OOOO", &objects[0], &objects[1], &objects[2], &objects[3]))
        return NULL;
    static const char *names[4] = {"hashes", "firsts", "counts", "occurrences"};
    Py_ssize_t counts_of[4];
    int held = 0;
    PyObject *result = NULL;
    uint64_t *table_key = NULL;
    uint8_t *table_used = NULL;
    int32_t *tally = NULL;
    int64_t *slot_of = NULL;
    if ((held = get_arrays(objects, 4, names, "888w", views, counts_of)) < 0)
        return NULL;
    const uint64_t *hashes = views[0].buf;
    const int64_t *firsts = views[1].buf, *counts = views[2].buf;
    int32_t *occurrences = views[3].buf;
    int64_t n_docs = counts_of[1];
    if (counts_of[2] != n_docs) {
        PyErr_SetString(PyExc_ValueError, "firsts and counts: one value per document");
        goto done;
    }
    int64_t longest = 1;
    for (int64_t d = 0; d < n_docs; d++) {
        if (counts[d] < 0 || (counts[d] && (firsts[d] < 0 || firsts[d] + counts[d] > counts_of[0]
                                            || firsts[d] + counts[d] > counts_of[3]))) {
            PyErr_Format(PyExc_ValueError, "document %lld: its tokens reach beyond the arrays",
                         (long long)d);
            goto done;
        }
        longest = max64(longest, counts[d]);
    }
    int64_t size = (int64_t)1 << table_bits(longest);
    table_key = PyMem_RawMalloc((size_t)size * sizeof *table_key);
    table_used = PyMem_RawCalloc((size_t)size, 1);
    tally = PyMem_RawCalloc((size_t)size, sizeof *tally);
    slot_of = PyMem_RawMalloc((size_t)longest * sizeof *slot_of);
    if (!table_key || !table_used || !tally || !slot_of) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    for (int64_t d = 0; d < n_docs; d++) {
        int64_t first = firsts[d], n = counts[d];
        if (n == 0)
            continue;
        put_slots(hashes + first, n, table_bits(n), table_key, table_used, slot_of);
        for (int64_t t = 0; t < n; t++)
            tally[slot_of[t]]++;
        for (int64_t t = 0; t < n; t++)
            occurrences[first + t] = tally[slot_of[t]];
        for (int64_t t = 0; t < n; t++) {
            table_used[slot_of[t]] = 0;
            tally[slot_of[t]] = 0;
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    release_arrays(views, held);
    PyMem_RawFree(table_key);
    PyMem_RawFree(table_used);
    PyMem_RawFree(tally);
    PyMem_RawFree(slot_of);
    return result;
}

/* The extension's view of one boundary's two documents. */
typedef struct {
    const uint64_t *hashes;
    const int32_t *occurrences;
    int64_t ab, al, bb, bl;
} Sides;

static inline int match(const Sides *x, int64_t p, int64_t q)
{
    return 0 <= p && p < x->al && 0 <= q && q < x->bl
           && x->hashes[x->ab + p] == x->hashes[x->bb + q];
}

static inline double chance(const Sides *x, int64_t p)
{
    if (0 <= p && p < x->al)
        return (double)x->occurrences[x->ab + p] / (double)x->al;
    return 1.0;
}

/* reuse.align.batch._matches_beyond_chance at (ci, cj). */
static int beyond_chance(const Sides *x, int64_t off, int64_t s, int64_t ci, int64_t cj,
                         double chance_bound, int64_t lookahead)
{
    double product = 1.0;
    for (int64_t t = 0; t < lookahead; t++) {
        int64_t p = ci + t * s + off, q = cj + t * s + off;
        if (!match(x, p, q))
            return 0;
        product = product * chance(x, p);
        if (product < chance_bound)
            return 1;
    }
    return 0;
}

PyDoc_STRVAR(extend_doc,
"extend(hashes, occurrences, a_base, a_len, b_base, b_len, i, j, step, drop, chance_bound,\n"
"       lookahead, out_i, out_j) -> None\n\n"
"reuse.align.kernels.extend: writes the new i and j into out_i and out_j.");

static PyObject *extend(PyObject *self, PyObject *args)
{
    PyObject *objects[11];
    Py_buffer views[11];
    long long drop, lookahead;
    double chance_bound;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOLdLOO", &objects[0], &objects[1], &objects[2],
                          &objects[3], &objects[4], &objects[5], &objects[6], &objects[7],
                          &objects[8], &drop, &chance_bound, &lookahead, &objects[9],
                          &objects[10]))
        return NULL;
    static const char *names[11] = {"hashes", "occurrences", "a_base", "a_len", "b_base",
                                    "b_len", "i", "j", "step", "out_i", "out_j"};
    Py_ssize_t counts[11];
    int held = get_arrays(objects, 11, names, "848888888WW", views, counts);
    PyObject *result = NULL;
    if (held < 0)
        return NULL;
    Sides x = {views[0].buf, views[1].buf, 0, 0, 0, 0};
    const int64_t *a_base = views[2].buf, *a_len = views[3].buf, *b_base = views[4].buf,
                  *b_len = views[5].buf, *i = views[6].buf, *j = views[7].buf,
                  *step = views[8].buf;
    int64_t *out_i = views[9].buf, *out_j = views[10].buf;
    int64_t n = counts[2];
    for (int k = 3; k < 11; k++) {
        if (counts[k] != n) {
            PyErr_SetString(PyExc_ValueError,
                            "a_base, a_len, b_base, b_len, i, j, step, out_i and out_j: one "
                            "value per boundary");
            goto done;
        }
    }
    for (int64_t k = 0; k < n; k++) {
        if (a_base[k] < 0 || a_len[k] < 0 || b_base[k] < 0 || b_len[k] < 0
                || a_base[k] + a_len[k] > counts[0] || b_base[k] + b_len[k] > counts[0]
                || a_base[k] + a_len[k] > counts[1]) {
            PyErr_Format(PyExc_ValueError, "boundary %lld: its documents reach beyond the arrays",
                         (long long)k);
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    for (int64_t k = 0; k < n; k++) {
        int64_t s = step[k], off = s < 0 ? -1 : 0;
        x.ab = a_base[k];
        x.al = a_len[k];
        x.bb = b_base[k];
        x.bl = b_len[k];
        int64_t ci = i[k], cj = j[k], score = 0, best = 0, best_i = ci, best_j = cj;
        while (best - score <= drop) {
            if (match(&x, ci + off, cj + off)) {
                score += chance(&x, ci + off) < chance_bound ? 2 : 1;
                ci += s;
                cj += s;
                if (score > best) {
                    best = score;
                    best_i = ci;
                    best_j = cj;
                }
                continue;
            }
            int moved = 0;
            for (int option = 0; option < 3; option++) {
                int64_t di = option < 2 ? s : 0, dj = option == 1 ? 0 : s;
                if (beyond_chance(&x, off, s, ci + di, cj + dj, chance_bound, lookahead)) {
                    ci += di;
                    cj += dj;
                    moved = 1;
                    break;
                }
            }
            if (!moved)
                break;
            score -= 1;
        }
        out_i[k] = best_i;
        out_j[k] = best_j;
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    release_arrays(views, held);
    return result;
}

PyDoc_STRVAR(common_affixes_doc,
"common_affixes(hashes, a_lo, a_hi, b_lo, b_hi, prefix, suffix) -> None\n\n"
"reuse.align.kernels.common_affixes: writes into prefix and suffix.");

static PyObject *common_affixes(PyObject *self, PyObject *args)
{
    PyObject *objects[7];
    Py_buffer views[7];
    if (!PyArg_ParseTuple(args, "OOOOOOO", &objects[0], &objects[1], &objects[2], &objects[3],
                          &objects[4], &objects[5], &objects[6]))
        return NULL;
    static const char *names[7] = {"hashes", "a_lo", "a_hi", "b_lo", "b_hi", "prefix",
                                   "suffix"};
    Py_ssize_t counts[7];
    int held = get_arrays(objects, 7, names, "88888WW", views, counts);
    PyObject *result = NULL;
    if (held < 0)
        return NULL;
    const uint64_t *hashes = views[0].buf;
    const int64_t *a_lo = views[1].buf, *a_hi = views[2].buf, *b_lo = views[3].buf,
                  *b_hi = views[4].buf;
    int64_t *prefix = views[5].buf, *suffix = views[6].buf;
    int64_t n = counts[1];
    for (int k = 2; k < 7; k++) {
        if (counts[k] != n) {
            PyErr_SetString(PyExc_ValueError, "a_lo, a_hi, b_lo, b_hi, prefix and suffix: one "
                            "value per box");
            goto done;
        }
    }
    for (int64_t k = 0; k < n; k++) {
        if (a_lo[k] < 0 || b_lo[k] < 0 || a_hi[k] > counts[0] || b_hi[k] > counts[0]) {
            PyErr_Format(PyExc_ValueError, "box %lld: it reaches beyond the hashes",
                         (long long)k);
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    for (int64_t k = 0; k < n; k++) {
        int64_t shorter = min64(a_hi[k] - a_lo[k], b_hi[k] - b_lo[k]), t = 0;
        while (t < shorter && hashes[a_lo[k] + t] == hashes[b_lo[k] + t])
            t++;
        prefix[k] = t;
        int64_t rest = shorter - t;
        t = 0;
        while (t < rest && hashes[a_hi[k] - 1 - t] == hashes[b_hi[k] - 1 - t])
            t++;
        suffix[k] = t;
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    release_arrays(views, held);
    return result;
}

/* ------------------------------------------------------------------------------- passages */

static int64_t root_of(int64_t *parent, int64_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* The permutation that sorts key[0..n), equal keys in their order, into order (spare: room
 * for n): a merge sort of insertion-sorted runs of 16. */
static void stable_order(const int64_t *key, int64_t n, int64_t *order, int64_t *spare)
{
    const int64_t run = 16;
    for (int64_t k = 0; k < n; k++)
        order[k] = k;
    for (int64_t lo = 0; lo < n; lo += run) {
        int64_t hi = min64(lo + run, n);
        for (int64_t x = lo + 1; x < hi; x++) {
            int64_t v = order[x], y = x;
            while (y > lo && key[order[y - 1]] > key[v]) {
                order[y] = order[y - 1];
                y--;
            }
            order[y] = v;
        }
    }
    int64_t *from = order, *to = spare;
    for (int64_t width = run; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = min64(lo + width, n), hi = min64(lo + 2 * width, n);
            int64_t x = lo, y = mid, k = lo;
            while (x < mid && y < hi)
                to[k++] = key[from[y]] < key[from[x]] ? from[y++] : from[x++];
            while (x < mid)
                to[k++] = from[x++];
            while (y < hi)
                to[k++] = from[y++];
        }
        int64_t *swap = from;
        from = to;
        to = swap;
    }
    if (from != order)
        memcpy(order, from, (size_t)n * sizeof *order);
}

/* The working arrays of one pair's passages, grown to the largest pair. */
typedef struct {
    int64_t room;
    int64_t *key, *order, *spare, *a0, *a1, *b0, *b1, *copy_band, *copies, *parent, *size,
            *members, *filled, *by_b, *lo, *hi, *after_y0, *after_y1, *before_x1,
            *before_y1, *before_y0;
    uint8_t *inside_a, *inside_b, *stays;
} Work;

#define WORK_ARRAYS 21

static void free_work(Work *w)
{
    int64_t **arrays[WORK_ARRAYS] = {&w->key, &w->order, &w->spare, &w->a0, &w->a1, &w->b0,
        &w->b1, &w->copy_band, &w->copies, &w->parent, &w->size, &w->members, &w->filled,
        &w->by_b, &w->lo, &w->hi, &w->after_y0, &w->after_y1, &w->before_x1, &w->before_y1,
        &w->before_y0};
    for (int k = 0; k < WORK_ARRAYS; k++) {
        PyMem_RawFree(*arrays[k]);
        *arrays[k] = NULL;
    }
    PyMem_RawFree(w->inside_a);
    PyMem_RawFree(w->inside_b);
    PyMem_RawFree(w->stays);
    w->inside_a = w->inside_b = w->stays = NULL;
    w->room = 0;
}

/* Room for a pair of m runs (2m for the bands' copies, m + 1 for the prefix sums). */
static int make_room(Work *w, int64_t m)
{
    if (m <= w->room)
        return 0;
    free_work(w);
    size_t values = (size_t)(2 * m + 1);
    int64_t **arrays[WORK_ARRAYS] = {&w->key, &w->order, &w->spare, &w->a0, &w->a1, &w->b0,
        &w->b1, &w->copy_band, &w->copies, &w->parent, &w->size, &w->members, &w->filled,
        &w->by_b, &w->lo, &w->hi, &w->after_y0, &w->after_y1, &w->before_x1, &w->before_y1,
        &w->before_y0};
    for (int k = 0; k < WORK_ARRAYS; k++)
        if ((*arrays[k] = PyMem_RawMalloc(values * sizeof(int64_t))) == NULL)
            return -1;
    w->inside_a = PyMem_RawMalloc(values);
    w->inside_b = PyMem_RawMalloc(values);
    w->stays = PyMem_RawCalloc(values, 1);
    if (!w->inside_a || !w->inside_b || !w->stays)
        return -1;
    w->room = m;
    return 0;
}

/* reuse.align.batch._inside_another of one group (indices into lo_of, hi_of): whether each
 * range lies inside a larger one of the group, or equals another and is not of the group's
 * longest; into inside. */
static void inside_another(const int64_t *group, int64_t g, const int64_t *lo_of,
                           const int64_t *hi_of, Work *w, uint8_t *inside)
{
    int64_t *lo = w->lo, *hi = w->hi, highest = 0, longest = 0;
    for (int64_t x = 0; x < g; x++) {
        lo[x] = lo_of[group[x]];
        hi[x] = hi_of[group[x]];
        highest = max64(highest, hi[x]);
        longest = max64(longest, hi[x] - lo[x]);
    }
    for (int64_t x = 0; x < g; x++)
        w->key[x] = lo[x] * (highest + 1) + (highest - hi[x]); /* by start, longest first */
    stable_order(w->key, g, w->order, w->spare);
    const int64_t *order = w->order;
    if (g > 0)
        memset(inside, 0, (size_t)g);
    int64_t reach = INT64_MIN, block_reach = INT64_MIN, block_hi = 0;
    for (int64_t y = 0; y < g; y++) {
        int64_t x = order[y];
        int new_block = y == 0 || lo[x] != lo[order[y - 1]];
        if (new_block) {
            reach = block_reach;
            block_hi = hi[x];
        }
        inside[x] = reach >= hi[x] || block_hi > hi[x];
        block_reach = max64(block_reach, hi[x]);
        int same_as_previous = !new_block && hi[x] == hi[order[y - 1]];
        if (same_as_previous && hi[x] - lo[x] < longest) {
            inside[x] = 1;
            inside[order[y - 1]] = 1;
        }
    }
}

/* The reference _trim_in_a_order of runs[0..n) (indices, in order of x0, y0): drop runs at
 * either end, in this order, shorter than their gap to the rest. The runs kept are
 * runs[*first .. *last]. */
static void trim_in_order(const int64_t *runs, int64_t n, const int64_t *x0, const int64_t *x1,
                          const int64_t *y0, const int64_t *y1, Work *w, int64_t *first_kept,
                          int64_t *last_kept)
{
    int64_t *after_y0 = w->after_y0, *after_y1 = w->after_y1;
    after_y0[n] = INT64_MAX;
    after_y1[n] = INT64_MIN;
    for (int64_t s = n - 1; s >= 0; s--) {
        after_y0[s] = min64(after_y0[s + 1], y0[runs[s]]);
        after_y1[s] = max64(after_y1[s + 1], y1[runs[s]]);
    }
    int64_t first = 0;
    while (n - first > 1) {
        int64_t r = runs[first];
        int64_t gap = max64(max64(x0[runs[first + 1]] - x1[r], after_y0[first + 1] - y1[r]),
                            y0[r] - after_y1[first + 1]);
        if (x1[r] - x0[r] >= gap)
            break;
        first++;
    }
    int64_t last = n - 1;
    if (last > first) {
        int64_t *before_x1 = w->before_x1, *before_y1 = w->before_y1, *before_y0 = w->before_y0;
        int64_t r = runs[first];
        before_x1[first] = x1[r];
        before_y1[first] = y1[r];
        before_y0[first] = y0[r];
        for (int64_t s = first + 1; s < n; s++) {
            r = runs[s];
            before_x1[s] = max64(before_x1[s - 1], x1[r]);
            before_y1[s] = max64(before_y1[s - 1], y1[r]);
            before_y0[s] = min64(before_y0[s - 1], y0[r]);
        }
        while (last > first) {
            r = runs[last];
            int64_t gap = max64(max64(x0[r] - before_x1[last - 1], y0[r] - before_y1[last - 1]),
                                before_y0[last - 1] - y1[r]);
            if (x1[r] - x0[r] >= gap)
                break;
            last--;
        }
    }
    *first_kept = first;
    *last_kept = last;
}

/* The reference _trim: trim in a, then in b, in a, ... until a trim drops nothing. kept
 * (indices in order of a0, b0, n of them) is trimmed in place and stays in that order;
 * returns how many are kept (from kept[0] on). */
static int64_t trim_both_orders(int64_t *kept, int64_t n, const int64_t *a0, const int64_t *a1,
                                const int64_t *b0, const int64_t *b1, Work *w)
{
    int64_t first, last;
    trim_in_order(kept, n, a0, a1, b0, b1, w, &first, &last);
    n = last - first + 1;
    memmove(kept, kept + first, (size_t)n * sizeof *kept);
    int in_b = 1;
    for (;;) {
        if (in_b) {
            int64_t widest = 0;
            for (int64_t x = 0; x < n; x++)
                widest = max64(widest, a0[kept[x]]);
            for (int64_t x = 0; x < n; x++)
                w->key[x] = b0[kept[x]] * (widest + 1) + a0[kept[x]];
            stable_order(w->key, n, w->order, w->spare);
            for (int64_t x = 0; x < n; x++)
                w->by_b[x] = kept[w->order[x]];
            trim_in_order(w->by_b, n, b0, b1, a0, a1, w, &first, &last);
            if (last - first + 1 == n)
                return n;
            for (int64_t x = first; x <= last; x++)
                w->stays[w->by_b[x]] = 1;
            int64_t count = 0;
            for (int64_t x = 0; x < n; x++)
                if (w->stays[kept[x]])
                    kept[count++] = kept[x];
            for (int64_t x = first; x <= last; x++)
                w->stays[w->by_b[x]] = 0;
            n = count;
        }
        else {
            trim_in_order(kept, n, a0, a1, b0, b1, w, &first, &last);
            if (last - first + 1 == n)
                return n;
            n = last - first + 1;
            memmove(kept, kept + first, (size_t)n * sizeof *kept);
        }
        in_b = !in_b;
    }
}

/* Positions in the union of the ranges [lo_of[k], hi_of[k]) of kept[0..n). */
static int64_t covered(const int64_t *kept, int64_t n, const int64_t *lo_of,
                       const int64_t *hi_of, Work *w)
{
    for (int64_t x = 0; x < n; x++)
        w->key[x] = lo_of[kept[x]];
    stable_order(w->key, n, w->order, w->spare);
    int64_t total = 0, reach = INT64_MIN;
    for (int64_t y = 0; y < n; y++) {
        int64_t k = kept[w->order[y]];
        total += max64(hi_of[k] - max64(lo_of[k], reach), 0);
        reach = max64(reach, hi_of[k]);
    }
    return total;
}

/* One chained group of runs (indices in order of a0, b0): drop repeats, trim, box and filter;
 * appends the box to out. Returns 0, or -1 without memory. */
static int group_passage(int64_t *group, int64_t g, Work *w, int64_t pair, int64_t min_length,
                         double min_density, Rows *out)
{
    const int64_t *a0 = w->a0, *a1 = w->a1, *b0 = w->b0, *b1 = w->b1;
    inside_another(group, g, a0, a1, w, w->inside_a);
    inside_another(group, g, b0, b1, w, w->inside_b);
    int64_t count = 0;
    for (int64_t x = 0; x < g; x++)
        if (!(w->inside_a[x] || w->inside_b[x]))
            group[count++] = group[x];
    if (count == 0)  /* never: the longest run of a group is inside no other */
        return 0;
    count = trim_both_orders(group, count, a0, a1, b0, b1, w);
    int64_t box_a0 = a0[group[0]], box_a1 = a1[group[0]];
    int64_t box_b0 = b0[group[0]], box_b1 = b1[group[0]];
    for (int64_t x = 0; x < count; x++) {
        int64_t k = group[x];
        box_a0 = min64(box_a0, a0[k]);
        box_a1 = max64(box_a1, a1[k]);
        box_b0 = min64(box_b0, b0[k]);
        box_b1 = max64(box_b1, b1[k]);
    }
    int64_t length = min64(covered(group, count, a0, a1, w), covered(group, count, b0, b1, w));
    int64_t shorter = min64(box_a1 - box_a0, box_b1 - box_b0);
    if (length >= min_length && (double)length >= min_density * (double)shorter) {
        int64_t *row = next_row(out);
        if (row == NULL)
            return -1;
        row[0] = pair;
        row[1] = box_a0;
        row[2] = box_a1;
        row[3] = box_b0;
        row[4] = box_b1;
    }
    return 0;
}

/* The passages of one pair's m runs (rows pair, a0, a1, b0, b1). Returns 0, or -1 without
 * memory. */
static int pair_passages(const int64_t *runs, int64_t m, int64_t max_gap, int64_t tolerance,
                         int64_t min_length, double min_density, int64_t lookback, Work *w,
                         Rows *out)
{
    if (make_room(w, m) < 0)
        return -1;
    /* The runs in order of a0, b0 (no two runs share both). */
    int64_t widest_b = 0;
    for (int64_t k = 0; k < m; k++)
        widest_b = max64(widest_b, runs[5 * k + 3]);
    for (int64_t k = 0; k < m; k++)
        w->key[k] = runs[5 * k + 1] * (widest_b + 1) + runs[5 * k + 3];
    stable_order(w->key, m, w->order, w->spare);
    int64_t *a0 = w->a0, *a1 = w->a1, *b0 = w->b0, *b1 = w->b1;
    for (int64_t k = 0; k < m; k++) {
        const int64_t *row = runs + 5 * w->order[k];
        a0[k] = row[1];
        a1[k] = row[2];
        b0[k] = row[3];
        b1[k] = row[4];
    }
    /* Chaining: each run in its band of diagonals and the next one up, in order of band, a0,
     * b0; a run links to the last few of its band that it continues. */
    int64_t width = max_gap + tolerance + 1;
    int64_t *copy_band = w->copy_band, *copies = w->copies, *parent = w->parent;
    for (int64_t k = 0; k < m; k++) {
        int64_t band = floor_div(b0[k] - a0[k], width);
        copy_band[2 * k] = band;
        copy_band[2 * k + 1] = band + 1;
    }
    stable_order(copy_band, 2 * m, copies, w->spare);
    for (int64_t k = 0; k < m; k++)
        parent[k] = k;
    for (int64_t x = 0; x < 2 * m; x++) {
        int64_t cur = copies[x] / 2;
        for (int64_t lag = 1; lag <= lookback; lag++) {
            if (x - lag < 0 || copy_band[copies[x - lag]] != copy_band[copies[x]])
                break;
            int64_t prev = copies[x - lag] / 2;
            int64_t a_gap = a0[cur] - a1[prev], b_gap = b0[cur] - b1[prev];
            if (-tolerance <= a_gap && a_gap <= max_gap && -tolerance <= b_gap
                    && b_gap <= max_gap) {
                int64_t rx = root_of(parent, prev), ry = root_of(parent, cur);
                if (rx != ry)
                    parent[max64(rx, ry)] = min64(rx, ry);
            }
        }
    }
    /* Passages in order of their first run; the members of each in order of a0, b0. */
    int64_t *size = w->size, *members = w->members, *filled = w->filled;
    memset(size, 0, (size_t)(m + 1) * sizeof *size);
    for (int64_t k = 0; k < m; k++) {
        parent[k] = root_of(parent, k);
        size[parent[k] + 1]++;
    }
    for (int64_t k = 0; k < m; k++)
        size[k + 1] += size[k];
    memcpy(filled, size, (size_t)m * sizeof *filled);
    for (int64_t k = 0; k < m; k++)
        members[filled[parent[k]]++] = k;
    int64_t pair = runs[0];
    for (int64_t g = 0; g < m; g++) {
        int64_t lo = size[g], hi = size[g + 1];
        if (hi == lo)
            continue;
        int64_t matched = 0;
        for (int64_t x = lo; x < hi; x++)
            matched += a1[members[x]] - a0[members[x]];
        if (matched < min_length)
            continue;
        if (group_passage(members + lo, hi - lo, w, pair, min_length, min_density, out) < 0)
            return -1;
    }
    return 0;
}

PyDoc_STRVAR(passages_doc,
"passages(runs, max_gap, tolerance, min_length, min_density, lookback) -> bytearray\n\n"
"The passages of reuse.align.kernels.passages, as int64 rows of five values end to end.");

static PyObject *passages(PyObject *self, PyObject *args)
{
    PyObject *object;
    Py_buffer view;
    long long max_gap, tolerance, min_length, lookback;
    double min_density;
    if (!PyArg_ParseTuple(args, "OLLLdL", &object, &max_gap, &tolerance, &min_length,
                          &min_density, &lookback))
        return NULL;
    Py_ssize_t values;
    if (get_array(object, &view, 8, 0, "runs", &values) < 0)
        return NULL;
    PyObject *result = NULL;
    Rows out = {NULL, 0, 0, 5};
    Work w;
    memset(&w, 0, sizeof w);
    const int64_t *runs = view.buf;
    int64_t n = values / 5;
    if (values % 5 != 0 || max_gap + tolerance + 1 < 1) {
        PyErr_SetString(PyExc_ValueError, values % 5 ? "runs: not rows of five values"
                                                     : "max_gap + tolerance: negative");
        goto done;
    }
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    for (int64_t start = 0, end; start < n && !failed; start = end) {
        for (end = start + 1; end < n && runs[5 * end] == runs[5 * start]; end++)
            ;
        failed = pair_passages(runs + 5 * start, end - start, max_gap, tolerance, min_length,
                               min_density, lookback, &w, &out) < 0;
    }
    Py_END_ALLOW_THREADS
    if (failed)
        PyErr_NoMemory();
    else
        result = PyByteArray_FromStringAndSize((const char *)out.data,
                                               (Py_ssize_t)(out.rows * 5 * sizeof(int64_t)));
done:
    free_work(&w);
    PyMem_RawFree(out.data);
    PyBuffer_Release(&view);
    return result;
}

PyDoc_STRVAR(seed_components_doc,
"seed_components(pair, a_pos, b_pos, lookahead, max_gap, slack, drift, label) -> None\n\n"
"reuse.align.kernels.seed_components: writes the labels into label.");

static PyObject *seed_components(PyObject *self, PyObject *args)
{
    PyObject *objects[4];
    Py_buffer views[4];
    long long lookahead, max_gap, slack;
    double drift;
    if (!PyArg_ParseTuple(args, "OOOLLLdO", &objects[0], &objects[1], &objects[2], &lookahead,
                          &max_gap, &slack, &drift, &objects[3]))
        return NULL;
    static const char *names[4] = {"pair", "a_pos", "b_pos", "label"};
    Py_ssize_t counts[4];
    int held = get_arrays(objects, 4, names, "888W", views, counts);
    PyObject *result = NULL;
    int64_t *parent = NULL;
    if (held < 0)
        return NULL;
    const int64_t *pair = views[0].buf, *a_pos = views[1].buf, *b_pos = views[2].buf;
    int64_t *label = views[3].buf;
    int64_t n = counts[0];
    if (counts[1] != n || counts[2] != n || counts[3] != n) {
        PyErr_SetString(PyExc_ValueError, "pair, a_pos, b_pos and label: one value per seed");
        goto done;
    }
    parent = PyMem_RawMalloc((size_t)(n ? n : 1) * sizeof *parent);
    if (parent == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    for (int64_t i = 0; i < n; i++)
        parent[i] = i;
    for (int64_t i = 0; i < n; i++) {
        int64_t stop = min64(i + lookahead, n - 1);
        for (int64_t j = i + 1; j <= stop; j++) {
            if (pair[j] != pair[i])
                break; /* sorted by pair: the seeds after j are of other pairs too */
            int64_t step_a = a_pos[j] - a_pos[i], step_b = b_pos[j] - b_pos[i];
            int64_t apart = step_a > step_b ? step_a - step_b : step_b - step_a;
            if (step_a > 0 && step_b > 0 && step_a <= max_gap && step_b <= max_gap
                    && (double)apart <= (double)slack + drift * (double)max64(step_a, step_b)) {
                int64_t ri = root_of(parent, i), rj = root_of(parent, j);
                if (ri < rj)
                    parent[rj] = ri;
                else if (rj < ri)
                    parent[ri] = rj;
            }
        }
    }
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t root = root_of(parent, i);
        label[i] = root == i ? count++ : label[root];
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    release_arrays(views, held);
    PyMem_RawFree(parent);
    return result;
}

static PyMethodDef methods[] = {
    {"join_runs", join_runs, METH_VARARGS, join_runs_doc},
    {"count_in_document", count_in_document, METH_VARARGS, count_in_document_doc},
    {"extend", extend, METH_VARARGS, extend_doc},
    {"common_affixes", common_affixes, METH_VARARGS, common_affixes_doc},
    {"passages", passages, METH_VARARGS, passages_doc},
    {"seed_components", seed_components, METH_VARARGS, seed_components_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "reuse.align.compiled_kernels",
    "The batch aligner's kernels, compiled (see reuse.align.kernels).", -1, methods,
};

PyMODINIT_FUNC PyInit_compiled_kernels(void)
{
    return PyModule_Create(&module);
}
