/* Packed sort words in order, compiled (reuse.common.sorting): an LSD radix sort of 64-bit words
 * on their bits from low_bits up, ties kept in input order. stable_order and sort_order pack
 * each key (and its tie-break) above its index and sort the words; the index, in the low bits,
 * is already in input order, so the passes need not look at it, and the words come out as
 * numpy's sort of them would put them. A pass takes at most 11 bits, and is skipped where every
 * word agrees (the high bits of small numbers): at most six passes over 8-byte words, where a
 * comparison sort takes about log2(n) steps a word (23 at 7M). Built with the package when a C
 * compiler is at hand; numpy's sort runs without it. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_DIGIT_BITS 11
#define MAX_PASSES 6 /* ceil(64 / 11) */

/* Sort words[0..n) on bits low_bits..63, stably; room holds n words. The result is in words. */
static void sort_words(uint64_t *words, uint64_t *room, Py_ssize_t n, int low_bits,
                       Py_ssize_t (*counts)[1 << MAX_DIGIT_BITS])
{
    int bits = 64 - low_bits;
    int passes = (bits + MAX_DIGIT_BITS - 1) / MAX_DIGIT_BITS;
    int digit_bits = (bits + passes - 1) / passes;
    Py_ssize_t buckets = (Py_ssize_t)1 << digit_bits;
    uint64_t mask = (uint64_t)buckets - 1;
    memset(counts, 0, (size_t)passes * sizeof *counts);
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t word = words[i] >> low_bits;
        for (int p = 0; p < passes; p++)
            counts[p][(word >> (digit_bits * p)) & mask]++;
    }
    uint64_t *from = words, *to = room;
    for (int p = 0; p < passes; p++) {
        int shift = low_bits + digit_bits * p;
        Py_ssize_t *count = counts[p];
        if (count[(words[0] >> shift) & mask] == n)
            continue; /* every word has this digit: the pass would not move one */
        Py_ssize_t total = 0;
        for (Py_ssize_t v = 0; v < buckets; v++) {
            Py_ssize_t c = count[v];
            count[v] = total;
            total += c;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            uint64_t word = from[i];
            to[count[(word >> shift) & mask]++] = word;
        }
        uint64_t *swap = from;
        from = to;
        to = swap;
    }
    if (from != words)
        memcpy(words, from, (size_t)n * sizeof *words);
}

PyDoc_STRVAR(sort_words_doc,
"sort_words(words, low_bits)\n"
"\n"
"Sort words (uint64, in place) on their bits from low_bits up, ties in input order. When\n"
"their low_bits are in ascending order (an index packed below the key), this is\n"
"numpy.sort(words).");

static PyObject *sort_words_py(PyObject *self, PyObject *args)
{
    Py_buffer words_buffer;
    int low_bits;
    if (!PyArg_ParseTuple(args, "w*i:sort_words", &words_buffer, &low_bits))
        return NULL;
    PyObject *result = NULL;
    uint64_t *room = NULL;
    Py_ssize_t (*counts)[1 << MAX_DIGIT_BITS] = NULL;
    Py_ssize_t n = words_buffer.len / (Py_ssize_t)sizeof(uint64_t);
    if (words_buffer.len % (Py_ssize_t)sizeof(uint64_t)) {
        PyErr_Format(PyExc_ValueError, "words: %zd bytes, not a whole number of 8-byte words",
                     words_buffer.len);
        goto done;
    }
    if (low_bits < 0 || low_bits > 63) {
        PyErr_Format(PyExc_ValueError, "low_bits: %d, not from 0 to 63", low_bits);
        goto done;
    }
    if (n > 1) {
        room = PyMem_RawMalloc((size_t)n * sizeof *room);
        counts = PyMem_RawMalloc(MAX_PASSES * sizeof *counts);
        if (room == NULL || counts == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        Py_BEGIN_ALLOW_THREADS
        sort_words(words_buffer.buf, room, n, low_bits, counts);
        Py_END_ALLOW_THREADS
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_RawFree(room);
    PyMem_RawFree(counts);
    PyBuffer_Release(&words_buffer);
    return result;
}

static PyMethodDef methods[] = {
    {"sort_words", sort_words_py, METH_VARARGS, sort_words_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "reuse.common.compiled_sorting",
    "Packed sort words in order, compiled (see reuse.common.sorting).", -1, methods,
};

PyMODINIT_FUNC PyInit_compiled_sorting(void)
{
    return PyModule_Create(&module);
}
