/* The documents of a batch as the input fingerprint hashes them (reuse.ingest.fingerprint):
 * for each document, its id, its text and its metadata JSON, each as its UTF-8 length (8 bytes,
 * little-endian) and its bytes, end to end in one buffer; and, when asked, the texts' UTF-8
 * alone, end to end, as the document store keeps them. The same bytes as the Python code
 * (str.encode("utf-8", "surrogatepass"), then a join), which the differential tests compare.
 * Built with the package when a C compiler is at hand; the Python code runs without it.
 *
 * Why: a corpus read from JSON or Parquet arrives as Python strs, mostly of two-byte
 * characters (one dash or accented letter is enough). CPython encodes such a str to UTF-8 a
 * character at a time into a new bytes object, which a join then copies again: together about
 * a tenth of a one-worker dedup. Here a text is encoded once, straight into the batch's buffer
 * (allocated at its size after a pass that counts the bytes), eight characters at a time while
 * they are ASCII. A lone surrogate is encoded as its three bytes, as "surrogatepass" does. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline uint8_t *put_length(uint8_t *out, uint64_t length)
{
    for (int k = 0; k < 8; k++)
        out[k] = (uint8_t)(length >> (8 * k));
    return out + 8;
}

/* One code point's UTF-8 (a surrogate as three bytes, as "surrogatepass" gives it). */
static inline uint8_t *put_code_point(uint8_t *out, uint32_t c)
{
    if (c < 0x80) {
        *out++ = (uint8_t)c;
    }
    else if (c < 0x800) {
        *out++ = (uint8_t)(0xC0 | (c >> 6));
        *out++ = (uint8_t)(0x80 | (c & 0x3F));
    }
    else if (c < 0x10000) {
        *out++ = (uint8_t)(0xE0 | (c >> 12));
        *out++ = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        *out++ = (uint8_t)(0x80 | (c & 0x3F));
    }
    else {
        *out++ = (uint8_t)(0xF0 | (c >> 18));
        *out++ = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
        *out++ = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        *out++ = (uint8_t)(0x80 | (c & 0x3F));
    }
    return out;
}

static uint8_t *put_one_byte_kind(uint8_t *out, const uint8_t *chars, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    while (i < n) {
        uint64_t block;
        if (i + 8 <= n) {
            memcpy(&block, chars + i, 8);
            if (!(block & UINT64_C(0x8080808080808080))) {
                memcpy(out, &block, 8);
                out += 8;
                i += 8;
                continue;
            }
        }
        out = put_code_point(out, chars[i++]);
    }
    return out;
}

static uint8_t *put_two_byte_kind(uint8_t *out, const uint16_t *units, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    while (i < n) {
#if defined(__SSE2__)
        if (i + 8 <= n) {
            __m128i x = _mm_loadu_si128((const __m128i *)(units + i));
            __m128i high = _mm_and_si128(x, _mm_set1_epi16((short)0xFF80));
            if (_mm_movemask_epi8(_mm_cmpeq_epi16(high, _mm_setzero_si128())) == 0xFFFF) {
                _mm_storel_epi64((__m128i *)out, _mm_packus_epi16(x, x));
                out += 8;
                i += 8;
                continue;
            }
        }
#else
        if (i + 4 <= n) {
            uint64_t block;
            memcpy(&block, units + i, 8);
            if (!(block & UINT64_C(0xFF80FF80FF80FF80))) {
                for (int k = 0; k < 4; k++)
                    out[k] = (uint8_t)units[i + k];
                out += 4;
                i += 4;
                continue;
            }
        }
#endif
        out = put_code_point(out, units[i++]);
    }
    return out;
}

static uint8_t *put_four_byte_kind(uint8_t *out, const uint32_t *chars, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++)
        out = put_code_point(out, chars[i]);
    return out;
}

/* The length of text's UTF-8 (a surrogate counts three bytes, as put_code_point writes it). */
static Py_ssize_t utf8_size(PyObject *text)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), size = n;
    if (PyUnicode_IS_ASCII(text))
        return n;
    const void *data = PyUnicode_DATA(text);
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND: {
        const uint8_t *chars = data;
        for (Py_ssize_t i = 0; i < n; i++)
            size += chars[i] >> 7;
        break;
    }
    case PyUnicode_2BYTE_KIND: {
        const uint16_t *units = data;
        for (Py_ssize_t i = 0; i < n; i++)
            size += (units[i] >= 0x80) + (units[i] >= 0x800);
        break;
    }
    default: {
        const uint32_t *chars = data;
        for (Py_ssize_t i = 0; i < n; i++)
            size += (chars[i] >= 0x80) + (chars[i] >= 0x800) + (chars[i] >= 0x10000);
    }
    }
    return size;
}

static uint8_t *put_text(uint8_t *out, PyObject *text)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const void *data = PyUnicode_DATA(text);
    if (PyUnicode_IS_ASCII(text)) {
        memcpy(out, data, (size_t)n);
        return out + n;
    }
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND:
        return put_one_byte_kind(out, data, n);
    case PyUnicode_2BYTE_KIND:
        return put_two_byte_kind(out, data, n);
    default:
        return put_four_byte_kind(out, data, n);
    }
}

static int check_list(PyObject *values, Py_ssize_t n, const char *name)
{
    if (!PyList_CheckExact(values)) {
        PyErr_Format(PyExc_TypeError, "%s: a list, not %.100s", name, Py_TYPE(values)->tp_name);
        return -1;
    }
    if (PyList_GET_SIZE(values) != n) {
        PyErr_Format(PyExc_ValueError, "%s: %zd values for %zd texts", name,
                     PyList_GET_SIZE(values), n);
        return -1;
    }
    return 0;
}

static int check_item(PyObject *value, int is_text, const char *name, Py_ssize_t d)
{
    if (is_text ? PyUnicode_Check(value) : PyBytes_Check(value))
        return 0;
    PyErr_Format(PyExc_TypeError, "%s[%zd]: %s, not %.100s", name, d, is_text ? "str" : "bytes",
                 Py_TYPE(value)->tp_name);
    return -1;
}

PyDoc_STRVAR(frame_documents_doc,
"frame_documents(ids, texts, metadata, frame_ends, text_ends, keep_texts)\n"
"--\n\n"
"The frames of a batch of documents, end to end: for document d, ``ids[d]`` (bytes),\n"
"the UTF-8 of ``texts[d]`` (str; a lone surrogate as its three bytes) and ``metadata[d]``\n"
"(bytes), each after its length in bytes (8 bytes, little-endian). Writes into\n"
"``frame_ends`` and ``text_ends`` (int64, a value per document) the end of each frame and of\n"
"each text's UTF-8 among the texts' end to end. Returns ``(frames, texts)``: the texts'\n"
"UTF-8 end to end (bytes) when ``keep_texts``, else None.");

static PyObject *frame_documents(PyObject *self, PyObject *args)
{
    PyObject *ids, *texts, *metadata;
    Py_buffer frame_ends, text_ends;
    int keep_texts;
    if (!PyArg_ParseTuple(args, "OOOw*w*p:frame_documents", &ids, &texts, &metadata,
                          &frame_ends, &text_ends, &keep_texts))
        return NULL;
    PyObject *frames = NULL, *kept = NULL, *result = NULL;
    if (!PyList_CheckExact(texts)) {
        PyErr_Format(PyExc_TypeError, "texts: a list, not %.100s", Py_TYPE(texts)->tp_name);
        goto done;
    }
    Py_ssize_t n = PyList_GET_SIZE(texts);
    if (check_list(ids, n, "ids") < 0 || check_list(metadata, n, "metadata") < 0)
        goto done;
    Py_ssize_t ends_size = n * (Py_ssize_t)sizeof(int64_t);
    if (frame_ends.len < ends_size || text_ends.len < ends_size) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes, fewer than the %zd needed",
                     frame_ends.len < ends_size ? "frame_ends" : "text_ends",
                     frame_ends.len < ends_size ? frame_ends.len : text_ends.len, ends_size);
        goto done;
    }
    /* The sizes first, so that each buffer is allocated once, at its size: a bound (three
     * bytes a character) would be mapped and page-faulted in anew for every batch. */
    Py_ssize_t frames_size = 0, texts_total = 0;
    for (Py_ssize_t d = 0; d < n; d++) {
        PyObject *id = PyList_GET_ITEM(ids, d), *text = PyList_GET_ITEM(texts, d),
                 *fields = PyList_GET_ITEM(metadata, d);
        if (check_item(id, 0, "ids", d) < 0 || check_item(text, 1, "texts", d) < 0
            || check_item(fields, 0, "metadata", d) < 0 || PyUnicode_READY(text) < 0)
            goto done;
        Py_ssize_t size = 24 + PyBytes_GET_SIZE(id) + PyBytes_GET_SIZE(fields);
        Py_ssize_t text_size = utf8_size(text);
        if (text_size > PY_SSIZE_T_MAX - size
            || frames_size > PY_SSIZE_T_MAX - size - text_size) {
            PyErr_SetString(PyExc_OverflowError, "the batch's frames are too large");
            goto done;
        }
        frames_size += size + text_size;
        texts_total += text_size;
    }
    frames = PyBytes_FromStringAndSize(NULL, frames_size);
    if (frames == NULL)
        goto done;
    kept = keep_texts ? PyBytes_FromStringAndSize(NULL, texts_total) : Py_NewRef(Py_None);
    if (kept == NULL)
        goto done;
    uint8_t *start = (uint8_t *)PyBytes_AS_STRING(frames), *out = start;
    uint8_t *texts_out = keep_texts ? (uint8_t *)PyBytes_AS_STRING(kept) : NULL;
    int64_t *frame_end = frame_ends.buf, *text_end = text_ends.buf;
    int64_t texts_size = 0;
    for (Py_ssize_t d = 0; d < n; d++) {
        PyObject *id = PyList_GET_ITEM(ids, d), *text = PyList_GET_ITEM(texts, d),
                 *fields = PyList_GET_ITEM(metadata, d);
        out = put_length(out, (uint64_t)PyBytes_GET_SIZE(id));
        memcpy(out, PyBytes_AS_STRING(id), (size_t)PyBytes_GET_SIZE(id));
        out += PyBytes_GET_SIZE(id);
        uint8_t *length_at = out;
        uint8_t *text_at = out + 8;
        out = put_text(text_at, text);
        put_length(length_at, (uint64_t)(out - text_at));
        if (texts_out != NULL)  /* copied while the text is still in the cache */
            memcpy(texts_out + texts_size, text_at, (size_t)(out - text_at));
        texts_size += out - text_at;
        text_end[d] = texts_size;
        out = put_length(out, (uint64_t)PyBytes_GET_SIZE(fields));
        memcpy(out, PyBytes_AS_STRING(fields), (size_t)PyBytes_GET_SIZE(fields));
        out += PyBytes_GET_SIZE(fields);
        frame_end[d] = out - start;
    }
    result = PyTuple_Pack(2, frames, kept);
done:
    Py_XDECREF(frames);
    Py_XDECREF(kept);
    PyBuffer_Release(&frame_ends);
    PyBuffer_Release(&text_ends);
    return result;
}

static PyMethodDef methods[] = {
    {"frame_documents", frame_documents, METH_VARARGS, frame_documents_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "reuse.ingest.compiled_frames",
    "The documents' fingerprint frames and UTF-8 texts, compiled (see reuse.ingest.fingerprint).",
    -1, methods,
};

PyMODINIT_FUNC PyInit_compiled_frames(void)
{
    return PyModule_Create(&module);
}
