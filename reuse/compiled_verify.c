/* Exact verification's shared-shingle counts in one compiled pass (reuse.verify): the same
 * counts as its numpy code, which sorts the hashes of every pair afresh. Here each group
 * (document) is sorted once, however many pairs it is in, and each pair is a merge of its two
 * sorted groups. Built with the package when a C compiler is at hand; the numpy code runs
 * without it.
 *
 * A hash is compared by its top 56 bits (reuse.verify.VERIFY_HASH_BITS): a group is sorted on
 * them (placed in buckets by its top bits, then an insertion sort; see distinct_keys) and its
 * repeats dropped. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KEY_SHIFT 8 /* 64 - VERIFY_HASH_BITS */
#define DIGITS 7
#define SMALL_GROUP 32
/* Most buckets of the bucket sort (a group of more keys shares them). */
#define BUCKET_BITS 16
#define MAX_BUCKETS (1 << BUCKET_BITS)
/* Keys in one bucket from which the group is radix-sorted instead. */
#define CROWDED_BUCKET 64

static void insertion_sort(uint64_t *keys, Py_ssize_t n)
{
    for (Py_ssize_t i = 1; i < n; i++) {
        uint64_t key = keys[i];
        Py_ssize_t j = i;
        while (j > 0 && keys[j - 1] > key) {
            keys[j] = keys[j - 1];
            j--;
        }
        keys[j] = key;
    }
}

/* Sort keys[0..n) (below 2**56) with temp (n more) as room; the result is in keys. */
static void radix_sort(uint64_t *keys, uint64_t *temp, Py_ssize_t n)
{
    Py_ssize_t counts[DIGITS][256];
    memset(counts, 0, sizeof counts);
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t key = keys[i];
        for (int d = 0; d < DIGITS; d++)
            counts[d][(key >> (8 * d)) & 0xFF]++;
    }
    uint64_t *from = keys, *to = temp;
    for (int d = 0; d < DIGITS; d++) {
        Py_ssize_t *count = counts[d];
        if (count[(from[0] >> (8 * d)) & 0xFF] == n)
            continue; /* every key has this digit: the pass would not move one */
        Py_ssize_t total = 0;
        for (int v = 0; v < 256; v++) {
            Py_ssize_t c = count[v];
            count[v] = total;
            total += c;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            uint64_t key = from[i];
            to[count[(key >> (8 * d)) & 0xFF]++] = key;
        }
        uint64_t *swap = from;
        from = to;
        to = swap;
    }
    if (from != keys)
        memcpy(keys, from, (size_t)n * sizeof *keys);
}

/* The distinct keys of values[0..n) into keys, sorted; returns how many. The keys of mixed
 * hashes are spread evenly: placed by their top bits in about n buckets, they need an
 * insertion sort only within a bucket. A group with a crowded bucket (hashes chosen to collide)
 * takes the radix sort instead. counts has room for MAX_BUCKETS + 1 numbers, temp for n keys. */
static Py_ssize_t distinct_keys(const uint64_t *values, Py_ssize_t n, uint64_t *keys,
                                uint64_t *temp, Py_ssize_t *counts)
{
    if (n == 0)
        return 0;
    if (n <= SMALL_GROUP) {
        for (Py_ssize_t i = 0; i < n; i++)
            keys[i] = values[i] >> KEY_SHIFT;
        insertion_sort(keys, n);
    } else {
        int bits = 1;
        while (((Py_ssize_t)1 << bits) < n && bits < BUCKET_BITS)
            bits++;
        Py_ssize_t buckets = (Py_ssize_t)1 << bits;
        int shift = 64 - bits;
        memset(counts, 0, (size_t)(buckets + 1) * sizeof *counts);
        Py_ssize_t crowded = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_ssize_t count = ++counts[values[i] >> shift];
            crowded |= count > CROWDED_BUCKET;
        }
        if (crowded) {
            for (Py_ssize_t i = 0; i < n; i++)
                keys[i] = values[i] >> KEY_SHIFT;
            radix_sort(keys, temp, n);
        } else {
            Py_ssize_t total = 0;
            for (Py_ssize_t v = 0; v < buckets; v++) {
                Py_ssize_t c = counts[v];
                counts[v] = total;
                total += c;
            }
            for (Py_ssize_t i = 0; i < n; i++)
                keys[counts[values[i] >> shift]++] = values[i] >> KEY_SHIFT;
            insertion_sort(keys, n);
        }
    }
    Py_ssize_t kept = 1;
    for (Py_ssize_t i = 1; i < n; i++) {
        if (keys[i] != keys[kept - 1])
            keys[kept++] = keys[i];
    }
    return kept;
}

static Py_ssize_t shared(const uint64_t *a, Py_ssize_t n_a, const uint64_t *b, Py_ssize_t n_b)
{
    Py_ssize_t i = 0, j = 0, count = 0;
    while (i < n_a && j < n_b) {
        uint64_t x = a[i], y = b[j];
        count += x == y;
        i += x <= y;
        j += y <= x;
    }
    return count;
}

PyDoc_STRVAR(shared_counts_doc,
"shared_counts(values, bounds, a, b, out)\n"
"--\n\n"
"For each pair k of groups ``(a[k], b[k])`` (int64 indexes) of ``values`` (uint64; group g is\n"
"``values[bounds[g]:bounds[g + 1]]``, the bounds int64, ascending, within the values), write\n"
"into ``out`` (int64, three rows of ``len(a)``) the number of distinct values the two groups\n"
"share, then each one's number of distinct values, values compared by their top 56 bits.");

static PyObject *shared_counts(PyObject *self, PyObject *args)
{
    Py_buffer values_buffer, bounds_buffer, a_buffer, b_buffer, out_buffer;
    if (!PyArg_ParseTuple(args, "y*y*y*y*w*:shared_counts", &values_buffer, &bounds_buffer,
                          &a_buffer, &b_buffer, &out_buffer))
        return NULL;
    PyObject *result = NULL;
    uint64_t *keys = NULL;
    Py_ssize_t *distinct = NULL, *counts = NULL;
    const uint64_t *values = values_buffer.buf;
    const int64_t *bounds = bounds_buffer.buf;
    const int64_t *a = a_buffer.buf, *b = b_buffer.buf;
    int64_t *out = out_buffer.buf;
    Py_ssize_t n_values = values_buffer.len / (Py_ssize_t)sizeof(uint64_t);
    Py_ssize_t groups = bounds_buffer.len / (Py_ssize_t)sizeof(int64_t) - 1;
    Py_ssize_t n_pairs = a_buffer.len / (Py_ssize_t)sizeof(int64_t);
    if (groups < 0) {
        PyErr_SetString(PyExc_ValueError, "bounds: empty");
        goto done;
    }
    if (b_buffer.len != a_buffer.len) {
        PyErr_Format(PyExc_ValueError, "a and b: %zd and %zd bytes, not of one length",
                     a_buffer.len, b_buffer.len);
        goto done;
    }
    if (out_buffer.len < 3 * n_pairs * (Py_ssize_t)sizeof(int64_t)) {
        PyErr_Format(PyExc_ValueError, "out: %zd bytes, fewer than the %zd needed",
                     out_buffer.len, 3 * n_pairs * (Py_ssize_t)sizeof(int64_t));
        goto done;
    }
    for (Py_ssize_t g = 0; g <= groups; g++) {
        if (bounds[g] < 0 || bounds[g] > n_values || (g > 0 && bounds[g] < bounds[g - 1])) {
            PyErr_Format(PyExc_ValueError,
                         "bounds[%zd]: %lld, not ascending within the %zd values", g,
                         (long long)bounds[g], n_values);
            goto done;
        }
    }
    for (Py_ssize_t k = 0; k < n_pairs; k++) {
        if (a[k] < 0 || a[k] >= groups || b[k] < 0 || b[k] >= groups) {
            PyErr_Format(PyExc_ValueError, "pair %zd: groups %lld and %lld, not both below %zd",
                         k, (long long)a[k], (long long)b[k], groups);
            goto done;
        }
    }
    Py_ssize_t span = groups ? (Py_ssize_t)(bounds[groups] - bounds[0]) : 0;
    Py_ssize_t longest = 0;
    for (Py_ssize_t g = 0; g < groups; g++) {
        if (bounds[g + 1] - bounds[g] > longest)
            longest = (Py_ssize_t)(bounds[g + 1] - bounds[g]);
    }
    /* Each group's distinct keys where its values are (relative to bounds[0]), then room for
     * the radix sort's second buffer. */
    keys = PyMem_RawMalloc(((size_t)span + (size_t)longest + 1) * sizeof *keys);
    distinct = PyMem_RawMalloc(((size_t)groups + 1) * sizeof *distinct);
    counts = PyMem_RawMalloc(((size_t)MAX_BUCKETS + 1) * sizeof *counts);
    if (keys == NULL || distinct == NULL || counts == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    int64_t base = groups ? bounds[0] : 0;
    for (Py_ssize_t g = 0; g < groups; g++) {
        distinct[g] = distinct_keys(values + bounds[g], (Py_ssize_t)(bounds[g + 1] - bounds[g]),
                                    keys + (bounds[g] - base), keys + span, counts);
    }
    for (Py_ssize_t k = 0; k < n_pairs; k++) {
        int64_t x = a[k], y = b[k];
        out[k] = shared(keys + (bounds[x] - base), distinct[x], keys + (bounds[y] - base),
                        distinct[y]);
        out[n_pairs + k] = distinct[x];
        out[2 * n_pairs + k] = distinct[y];
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyMem_RawFree(keys);
    PyMem_RawFree(distinct);
    PyMem_RawFree(counts);
    PyBuffer_Release(&values_buffer);
    PyBuffer_Release(&bounds_buffer);
    PyBuffer_Release(&a_buffer);
    PyBuffer_Release(&b_buffer);
    PyBuffer_Release(&out_buffer);
    return result;
}

static PyMethodDef methods[] = {
    {"shared_counts", shared_counts, METH_VARARGS, shared_counts_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "reuse.compiled_verify",
    "Exact verification's shared-shingle counts, compiled (see reuse.verify).", -1, methods,
};

PyMODINIT_FUNC PyInit_compiled_verify(void)
{
    return PyModule_Create(&module);
}
