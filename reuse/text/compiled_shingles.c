/* Shingle hashes of a batch of documents in one compiled pass (reuse.text.shingle): the same
 * values as its numpy code, bit for bit (the differential tests compare them). Built with the
 * package when a C compiler is at hand; the numpy code runs without it.
 *
 * Shingle i of a document covers its tokens [i, i + ngram): ((h_i * M + h_i+1) * M + ...)
 * modulo 2**64, mixed by splitmix64's finalizer. A document with fewer than ngram tokens has
 * none. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xBF58476D1CE4E5B9);
    x ^= x >> 27;
    x *= UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

PyDoc_STRVAR(shingle_batch_doc,
"shingle_batch(hashes, token_bounds, ngram, multiplier, shingles, shingle_bounds)\n"
"--\n\n"
"The shingle hashes of every document into ``shingles`` (uint64) and each document's first\n"
"shingle, then the count, into ``shingle_bounds`` (int64, one more than the documents):\n"
"document d's tokens are ``hashes[token_bounds[d]:token_bounds[d + 1]]`` (uint64; the\n"
"bounds int64, ascending, from 0 to the token count). Returns the count of shingles.");

static PyObject *shingle_batch(PyObject *self, PyObject *args)
{
    Py_buffer hashes, token_bounds, shingles, shingle_bounds;
    int ngram;
    unsigned long long multiplier;
    if (!PyArg_ParseTuple(args, "y*y*iKw*w*:shingle_batch", &hashes, &token_bounds, &ngram,
                          &multiplier, &shingles, &shingle_bounds))
        return NULL;
    PyObject *result = NULL;
    const uint64_t *tokens = hashes.buf;
    const int64_t *bounds = token_bounds.buf;
    uint64_t *out = shingles.buf;
    int64_t *out_bounds = shingle_bounds.buf;
    Py_ssize_t n_tokens = hashes.len / (Py_ssize_t)sizeof(uint64_t);
    Py_ssize_t n_docs = token_bounds.len / (Py_ssize_t)sizeof(int64_t) - 1;
    Py_ssize_t room = shingles.len / (Py_ssize_t)sizeof(uint64_t);
    if (ngram < 1) {
        PyErr_Format(PyExc_ValueError, "ngram: %d, not a positive count", ngram);
        goto done;
    }
    if (n_docs < 0 || shingle_bounds.len < (n_docs + 1) * (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError,
                        "shingle_bounds: fewer entries than token_bounds, or no token_bounds");
        goto done;
    }
    if (bounds[0] != 0 || bounds[n_docs] != n_tokens) {
        PyErr_SetString(PyExc_ValueError, "token_bounds: not from 0 to the token count");
        goto done;
    }
    /* Check the bounds and the room before writing. */
    Py_ssize_t needed = 0;
    for (Py_ssize_t d = 0; d < n_docs; d++) {
        if (bounds[d + 1] < bounds[d]) {
            PyErr_SetString(PyExc_ValueError, "token_bounds: not ascending");
            goto done;
        }
        if (bounds[d + 1] - bounds[d] >= ngram)
            needed += bounds[d + 1] - bounds[d] - ngram + 1;
    }
    if (room < needed) {
        PyErr_Format(PyExc_ValueError, "shingles: room for %zd, fewer than the %zd needed",
                     room, needed);
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t count = 0;
    for (Py_ssize_t d = 0; d < n_docs; d++) {
        out_bounds[d] = count;
        for (int64_t i = bounds[d]; i + ngram <= bounds[d + 1]; i++) {
            uint64_t acc = tokens[i];
            for (int k = 1; k < ngram; k++)
                acc = acc * multiplier + tokens[i + k];
            out[count++] = mix64(acc);
        }
    }
    out_bounds[n_docs] = count;
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(needed);
done:
    PyBuffer_Release(&hashes);
    PyBuffer_Release(&token_bounds);
    PyBuffer_Release(&shingles);
    PyBuffer_Release(&shingle_bounds);
    return result;
}

static PyMethodDef methods[] = {
    {"shingle_batch", shingle_batch, METH_VARARGS, shingle_batch_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "reuse.text.compiled_shingles",
    "Shingle hashes of a batch, compiled (see reuse.text.shingle).", -1, methods,
};

PyMODINIT_FUNC PyInit_compiled_shingles(void)
{
    return PyModule_Create(&module);
}
