/* The minimum of every sliding window of hashes in one compiled pass (reuse.sketch.windows):
 * the same positions as its numpy code, which takes log2(width) + 1 vector passes with two
 * new arrays each. Built with the package when a C compiler is at hand; the numpy code runs
 * without it.
 *
 * Narrow windows (the default is ten shingles) keep the position of the current minimum, take
 * a new value only when it is smaller (so the leftmost of equal ones stays), and scan the whole
 * window again only when the minimum leaves it: on hashed values, about two comparisons per
 * value, with a branch the processor predicts; width comparisons per value at worst. Wider
 * windows use a monotone queue of positions: each value enters it once and leaves it once; its
 * values increase from front to back (a later value equal to one in it stays behind), so its
 * front is the leftmost minimum of the window.
 *
 * winnow does the whole of window_fingerprints for a batch, document by document: it hashes
 * the shingles, finds the minima of the windows inside each document (the numpy code finds
 * those of every window of the batch, then drops the ones that cross into the next document)
 * and keeps each position once. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* Up to this width, the scanning way (its worst case is width comparisons per value). */
#define SCAN_WIDTH 16

static void scan_minima(const uint64_t *v, Py_ssize_t n, Py_ssize_t width, int64_t *at)
{
    Py_ssize_t m = 0;
    for (Py_ssize_t j = 1; j < width; j++)
        if (v[j] < v[m])
            m = j;
    at[0] = m;
    for (Py_ssize_t j = width; j < n; j++) {
        Py_ssize_t first = j - width + 1;
        if (m < first) {
            m = first;
            for (Py_ssize_t k = first + 1; k <= j; k++)
                if (v[k] < v[m])
                    m = k;
        }
        else if (v[j] < v[m])
            m = j;
        at[first] = m;
    }
}

/* The first minimum of every window of width values of v[0..n) (1 <= width <= n) into at
 * (n - width + 1 positions); queue: room for width positions, used when width > SCAN_WIDTH. */
static void sliding_minima(const uint64_t *v, Py_ssize_t n, Py_ssize_t width, int64_t *queue,
                           int64_t *at)
{
    if (width <= SCAN_WIDTH) {
        scan_minima(v, n, width, at);
        return;
    }
    /* A ring of width positions: the queue never holds more than one window. */
    Py_ssize_t head = 0, size = 0;
    for (Py_ssize_t j = 0; j < n; j++) {
        uint64_t value = v[j];
        /* The front leaves first, so that j finds room: at most width - 1 remain. */
        if (size > 0 && queue[head] <= j - width) {
            head = head + 1 == width ? 0 : head + 1;
            size--;
        }
        while (size > 0) {
            Py_ssize_t back = head + size - 1;
            if (back >= width)
                back -= width;
            if (v[queue[back]] <= value)
                break;
            size--;
        }
        Py_ssize_t slot = head + size;
        if (slot >= width)
            slot -= width;
        queue[slot] = j;
        size++;
        if (j >= width - 1)
            at[j - width + 1] = queue[head];
    }
}

PyDoc_STRVAR(window_minima_doc,
"window_minima(values, width, out)\n"
"--\n\n"
"Write into ``out`` (int64, ``len(values) - width + 1`` entries) the position of the first\n"
"minimum of each window ``values[i:i + width]`` (uint64), ``1 <= width <= len(values)``.");

static PyObject *window_minima(PyObject *self, PyObject *args)
{
    Py_buffer values, out;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "y*nw*:window_minima", &values, &width, &out))
        return NULL;
    PyObject *result = NULL;
    int64_t *queue = NULL;
    const uint64_t *v = values.buf;
    int64_t *at = out.buf;
    Py_ssize_t n = values.len / (Py_ssize_t)sizeof(uint64_t);
    if (width < 1 || width > n) {
        PyErr_Format(PyExc_ValueError, "width: %zd, outside 1..%zd", width, n);
        goto done;
    }
    if (out.len < (n - width + 1) * (Py_ssize_t)sizeof(int64_t)) {
        PyErr_Format(PyExc_ValueError, "out: %zd bytes, fewer than the %zd needed", out.len,
                     (n - width + 1) * (Py_ssize_t)sizeof(int64_t));
        goto done;
    }
    if (width > SCAN_WIDTH) {
        queue = PyMem_RawMalloc((size_t)width * sizeof(int64_t));
        if (queue == NULL) {
            PyErr_NoMemory();
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    sliding_minima(v, n, width, queue, at);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyMem_RawFree(queue);
    PyBuffer_Release(&values);
    PyBuffer_Release(&out);
    return result;
}

/* The winnowing of one document of c hashes (c >= 1): the positions of its windows' minima,
 * each once, in order, into at (room for c); returns how many. A document shorter than a
 * window has one window, all of it. queue: room for width positions. */
static Py_ssize_t winnow_document(const uint64_t *v, Py_ssize_t c, Py_ssize_t width,
                                  int64_t *queue, int64_t *at)
{
    if (c < width) {
        scan_minima(v, c, c, at);
        return 1;
    }
    sliding_minima(v, c, width, queue, at);
    /* Consecutive windows with the same minimum select it once. */
    Py_ssize_t kept = 1;
    for (Py_ssize_t i = 1; i <= c - width; i++) {
        if (at[i] != at[kept - 1])
            at[kept++] = at[i];
    }
    return kept;
}

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xBF58476D1CE4E5B9);
    x ^= x >> 27;
    x *= UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

PyDoc_STRVAR(winnow_doc,
"winnow(shingles, bounds, width, salt, hashes, docs, positions)\n"
"--\n\n"
"The winnowing fingerprints of the documents ``shingles[bounds[d]:bounds[d + 1]]`` (uint64;\n"
"the bounds int64, from 0, ascending, to ``len(shingles)``), each shingle hashed to\n"
"``mix64(shingle ^ salt)`` (splitmix64's finalizer): the first minimum of each window of\n"
"``width`` hashes inside a document (of the whole document when it is shorter), each position\n"
"once. Writes each fingerprint's hash, document and position in its document into\n"
"``hashes`` (uint64), ``docs`` and ``positions`` (int64), each with room for\n"
"``len(shingles)``, in order of position; returns how many.");

static PyObject *winnow(PyObject *self, PyObject *args)
{
    Py_buffer shingles_buffer, bounds_buffer, hashes_buffer, docs_buffer, positions_buffer;
    Py_ssize_t width;
    unsigned long long salt;
    if (!PyArg_ParseTuple(args, "y*y*nKw*w*w*:winnow", &shingles_buffer, &bounds_buffer,
                          &width, &salt, &hashes_buffer, &docs_buffer, &positions_buffer))
        return NULL;
    PyObject *result = NULL;
    uint64_t *mixed = NULL;
    int64_t *queue = NULL;
    const uint64_t *shingles = shingles_buffer.buf;
    const int64_t *bounds = bounds_buffer.buf;
    Py_ssize_t n = shingles_buffer.len / (Py_ssize_t)sizeof(uint64_t);
    Py_ssize_t n_docs = bounds_buffer.len / (Py_ssize_t)sizeof(int64_t) - 1;
    Py_ssize_t room = n * (Py_ssize_t)sizeof(int64_t);
    if (width < 1) {
        PyErr_Format(PyExc_ValueError, "width: %zd, not a positive count", width);
        goto done;
    }
    if (n_docs < 0 || bounds[0] != 0 || bounds[n_docs] != n) {
        PyErr_Format(PyExc_ValueError, "bounds: not from 0 to the %zd shingles", n);
        goto done;
    }
    for (Py_ssize_t d = 0; d < n_docs; d++) {
        if (bounds[d + 1] < bounds[d]) {
            PyErr_Format(PyExc_ValueError, "bounds[%zd]: %lld, below the bound before it", d + 1,
                         (long long)bounds[d + 1]);
            goto done;
        }
    }
    if (hashes_buffer.len < room || docs_buffer.len < room || positions_buffer.len < room) {
        PyErr_Format(PyExc_ValueError, "hashes, docs and positions: room for %zd values each", n);
        goto done;
    }
    mixed = PyMem_RawMalloc((size_t)(n ? n : 1) * sizeof *mixed);
    queue = PyMem_RawMalloc((size_t)width * sizeof *queue);
    if (mixed == NULL || queue == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    uint64_t *hashes = hashes_buffer.buf;
    int64_t *docs = docs_buffer.buf, *positions = positions_buffer.buf;
    Py_ssize_t kept = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++)
        mixed[i] = mix64(shingles[i] ^ (uint64_t)salt);
    for (Py_ssize_t d = 0; d < n_docs; d++) {
        Py_ssize_t c = (Py_ssize_t)(bounds[d + 1] - bounds[d]);
        if (c == 0)
            continue;
        const uint64_t *v = mixed + bounds[d];
        Py_ssize_t found = winnow_document(v, c, width, queue, positions + kept);
        for (Py_ssize_t k = kept; k < kept + found; k++) {
            hashes[k] = v[positions[k]];
            docs[k] = d;
        }
        kept += found;
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(kept);
done:
    PyMem_RawFree(mixed);
    PyMem_RawFree(queue);
    PyBuffer_Release(&shingles_buffer);
    PyBuffer_Release(&bounds_buffer);
    PyBuffer_Release(&hashes_buffer);
    PyBuffer_Release(&docs_buffer);
    PyBuffer_Release(&positions_buffer);
    return result;
}

static PyMethodDef methods[] = {
    {"window_minima", window_minima, METH_VARARGS, window_minima_doc},
    {"winnow", winnow, METH_VARARGS, winnow_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "reuse.sketch.compiled_windows",
    "Sliding-window minima and winnowing, compiled (see reuse.sketch.windows).", -1, methods,
};

PyMODINIT_FUNC PyInit_compiled_windows(void)
{
    return PyModule_Create(&module);
}
