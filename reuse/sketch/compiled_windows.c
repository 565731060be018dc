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
 * front is the leftmost minimum of the window. */

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
    if (width <= SCAN_WIDTH) {
        Py_BEGIN_ALLOW_THREADS
        scan_minima(v, n, width, at);
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
        goto done;
    }
    /* A ring of width positions: the queue never holds more than one window. */
    queue = PyMem_RawMalloc((size_t)width * sizeof(int64_t));
    if (queue == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
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
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyMem_RawFree(queue);
    PyBuffer_Release(&values);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"window_minima", window_minima, METH_VARARGS, window_minima_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "reuse.sketch.compiled_windows",
    "Sliding-window minima, compiled (see reuse.sketch.windows).", -1, methods,
};

PyMODINIT_FUNC PyInit_compiled_windows(void)
{
    return PyModule_Create(&module);
}
