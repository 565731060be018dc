/* The one-permutation MinHash of groups of shingles in one compiled pass (reuse.sketch.minhash):
 * the same minima as its numpy code, bit for bit (the differential tests compare them). Built
 * with the package when a C compiler is at hand; the numpy code runs without it.
 *
 * A shingle s is hashed to h = (s ^ salt) * M, h ^= h >> 32 (modulo 2**64); its bin is the top
 * 32 bits of h scaled to num_perm bins, its value the low 32 bits, and each bin keeps the
 * smallest value.
 *
 * Then the densification, also bit for bit: an empty bin i of a row with a filled bin borrows
 * the value of the first filled bin of its probe sequence (offset_i + step_i * t) mod num_perm,
 * t = 0, 1, ..., read from the row as it was before any borrowing. A row with few filled bins
 * m (m * m < num_perm) looks that bin up instead, the one of its m filled bins whose probe step
 * (a table) is least. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EMPTY UINT32_C(0xFFFFFFFF)

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

static void densify_row(uint32_t *row, uint32_t *before, int32_t *filled, Py_ssize_t k,
                        const int64_t *offsets, const int64_t *steps, const int16_t *table)
{
    Py_ssize_t m = 0;
    for (Py_ssize_t j = 0; j < k; j++)
        if (row[j] != EMPTY)
            filled[m++] = (int32_t)j;
    if (m == 0 || m == k)
        return;
    memcpy(before, row, (size_t)k * sizeof(uint32_t));
    for (Py_ssize_t i = 0; i < k; i++) {
        if (before[i] != EMPTY)
            continue;
        Py_ssize_t source;
        if (table != NULL && m * m < k) {
            source = filled[0];
            int16_t least = table[filled[0] * k + i];
            for (Py_ssize_t f = 1; f < m; f++) {
                int16_t step = table[filled[f] * k + i];
                if (step < least) {
                    least = step;
                    source = filled[f];
                }
            }
        }
        else {
            source = offsets[i];
            while (before[source] == EMPTY)
                source = (source + steps[i]) % k;
        }
        row[i] = before[source];
    }
}

PyDoc_STRVAR(densify_doc,
"densify(out, nonempty, offsets, steps, table, num_perm)\n"
"--\n\n"
"Fill the empty bins (2**32 - 1) of each row of ``out`` (uint32, ``num_perm`` bins a row)\n"
"whose ``nonempty`` flag (one byte a row) is set and which has a filled bin: bin i takes the\n"
"value the row had before at the first filled bin of its probe sequence ``(offsets[i] +\n"
"steps[i] * t) % num_perm`` (int64; each step coprime with num_perm). ``table`` (int16,\n"
"``table[j * num_perm + i]`` the t at which bin i's probe reaches bin j) serves rows with\n"
"fewer than sqrt(num_perm) filled bins; empty (no bytes), every row probes.");

static PyObject *densify(PyObject *self, PyObject *args)
{
    Py_buffer out, nonempty, offsets, steps, table;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "w*y*y*y*y*n:densify", &out, &nonempty, &offsets, &steps,
                          &table, &k))
        return NULL;
    PyObject *result = NULL;
    uint32_t *before = NULL;
    int32_t *filled = NULL;
    if (k < 1) {
        PyErr_Format(PyExc_ValueError, "num_perm: %zd, not a positive count", k);
        goto done;
    }
    Py_ssize_t row_bytes = k * (Py_ssize_t)sizeof(uint32_t);
    Py_ssize_t rows = out.len / row_bytes;
    const char *too_small = out.len != rows * row_bytes ? "out"
        : nonempty.len < rows ? "nonempty"
        : offsets.len < k * (Py_ssize_t)sizeof(int64_t) ? "offsets"
        : steps.len < k * (Py_ssize_t)sizeof(int64_t) ? "steps"
        : table.len != 0 && table.len < k * k * (Py_ssize_t)sizeof(int16_t) ? "table" : NULL;
    if (too_small != NULL) {
        PyErr_Format(PyExc_ValueError, "%s: the wrong size for %zd rows of %zd bins", too_small,
                     rows, k);
        goto done;
    }
    const int64_t *offset = offsets.buf, *step = steps.buf;
    for (Py_ssize_t i = 0; i < k; i++) {
        if (offset[i] < 0 || offset[i] >= k || step[i] < 1 || step[i] >= (k > 1 ? k : 2)) {
            PyErr_Format(PyExc_ValueError, "offsets, steps: bin %zd's are outside 0..%zd", i,
                         k - 1);
            goto done;
        }
    }
    before = PyMem_RawMalloc((size_t)row_bytes);
    filled = PyMem_RawMalloc((size_t)k * sizeof(int32_t));
    if (before == NULL || filled == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const uint8_t *flags = nonempty.buf;
    const int16_t *steps_table = table.len ? table.buf : NULL;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < rows; r++)
        if (flags[r])
            densify_row((uint32_t *)out.buf + r * k, before, filled, k, offset, step,
                        steps_table);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyMem_RawFree(before);
    PyMem_RawFree(filled);
    PyBuffer_Release(&out);
    PyBuffer_Release(&nonempty);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&steps);
    PyBuffer_Release(&table);
    return result;
}

static PyMethodDef methods[] = {
    {"bin_minima", bin_minima, METH_VARARGS, bin_minima_doc},
    {"densify", densify, METH_VARARGS, densify_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "reuse.sketch.compiled_minhash",
    "One-permutation MinHash minima and densification, compiled (see reuse.sketch.minhash).",
    -1, methods,
};

PyMODINIT_FUNC PyInit_compiled_minhash(void)
{
    return PyModule_Create(&module);
}
