/* The one-permutation MinHash of groups of shingles in one compiled pass (reuse.sketch.minhash):
 * the same minima as its numpy code, bit for bit (the differential tests compare them). Built
 * with the package when a C compiler is at hand; the numpy code runs without it.
 *
 * A shingle s is hashed to h = (s ^ salt) * M, h ^= h >> 32 (modulo 2**64); its bin is the top
 * 32 bits of h scaled to num_perm bins, its value the low 32 bits, and each bin keeps the
 * smallest value. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

PyDoc_STRVAR(bin_minima_doc,
"bin_minima(shingles, bounds, salt, multiplier, num_perm, out)\n"
"--\n\n"
"Lower each bin of ``out`` (uint32, a row of ``num_perm`` bins per group, filled beforehand)\n"
"to the smallest value of the shingles of its group that fall in it: group g is\n"
"``shingles[bounds[g]:bounds[g + 1]]`` (uint64; the bounds int64, ascending, within the\n"
"shingles).");

static PyObject *bin_minima(PyObject *self, PyObject *args)
{
    Py_buffer shingles, bounds, out;
    unsigned long long salt, multiplier;
    int num_perm;
    if (!PyArg_ParseTuple(args, "y*y*KKiw*:bin_minima", &shingles, &bounds, &salt, &multiplier,
                          &num_perm, &out))
        return NULL;
    PyObject *result = NULL;
    const uint64_t *values = shingles.buf;
    const int64_t *group_bounds = bounds.buf;
    uint32_t *minima = out.buf;
    Py_ssize_t n_shingles = shingles.len / (Py_ssize_t)sizeof(uint64_t);
    Py_ssize_t groups = bounds.len / (Py_ssize_t)sizeof(int64_t) - 1;
    if (num_perm < 1) {
        PyErr_Format(PyExc_ValueError, "num_perm: %d, not a positive count", num_perm);
        goto done;
    }
    if (groups < 0) {
        PyErr_SetString(PyExc_ValueError, "bounds: empty");
        goto done;
    }
    if (out.len < groups * num_perm * (Py_ssize_t)sizeof(uint32_t)) {
        PyErr_Format(PyExc_ValueError, "out: %zd bytes, fewer than the %zd needed", out.len,
                     groups * num_perm * (Py_ssize_t)sizeof(uint32_t));
        goto done;
    }
    for (Py_ssize_t g = 0; g <= groups; g++) {
        if (group_bounds[g] < 0 || group_bounds[g] > n_shingles
            || (g > 0 && group_bounds[g] < group_bounds[g - 1])) {
            PyErr_SetString(PyExc_ValueError, "bounds: not ascending within the shingles");
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t g = 0; g < groups; g++) {
        uint32_t *row = minima + g * num_perm;
        for (int64_t i = group_bounds[g]; i < group_bounds[g + 1]; i++) {
            uint64_t h = (values[i] ^ salt) * multiplier;
            h ^= h >> 32;
            uint64_t cell = ((h >> 32) * (uint64_t)num_perm) >> 32;
            uint32_t value = (uint32_t)h, kept = row[cell];
            row[cell] = value < kept ? value : kept;
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&shingles);
    PyBuffer_Release(&bounds);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"bin_minima", bin_minima, METH_VARARGS, bin_minima_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "reuse.sketch.compiled_minhash",
    "One-permutation MinHash minima, compiled (see reuse.sketch.minhash).", -1, methods,
};

PyMODINIT_FUNC PyInit_compiled_minhash(void)
{
    return PyModule_Create(&module);
}
