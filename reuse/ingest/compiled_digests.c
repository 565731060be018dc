/* Each document's SHA-256 as the input fingerprint defines it (reuse.ingest.fingerprint): over
 * its id, its text and its metadata JSON, each as its UTF-8 length (8 bytes, little-endian) and
 * its bytes; and, when asked, the texts' UTF-8 alone, end to end, as the document store keeps
 * them. The same digests and bytes as the Python code (str.encode("utf-8", "surrogatepass"),
 * then hashlib), which the differential tests compare. Built with the package when a C compiler
 * and OpenSSL's headers are at hand (the SHA-256 is OpenSSL's, as hashlib's is); the Python
 * code runs without them.
 *
 * Why: a corpus read from JSON or Parquet arrives as Python strs, mostly of two-byte
 * characters (one dash or accented letter is enough). CPython encodes such a str to UTF-8 a
 * character at a time into a new bytes object; joining the documents' bytes into frames for
 * hashlib, then a hashlib call per frame, copied them twice more. Here a text is encoded once,
 * eight characters at a time while they are ASCII, into the kept texts or a scratch buffer
 * that stays in the cache, and hashed from there; an ASCII str is hashed where it is. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <openssl/evp.h>
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

/* The SHA-256 context of one call, and the digest it makes: fetched once (OpenSSL 3), not
 * looked up again for every document. */
static const EVP_MD *sha256;

static int update_length(EVP_MD_CTX *context, uint64_t length)
{
    uint8_t bytes[8];
    put_length(bytes, length);
    return EVP_DigestUpdate(context, bytes, 8);
}

PyDoc_STRVAR(digest_documents_doc,
"digest_documents(ids, texts, metadata, text_ends, keep_texts)\n"
"--\n\n"
"The SHA-256 of each document of a batch, end to end (32 bytes each): over ``ids[d]``\n"
"(bytes), the UTF-8 of ``texts[d]`` (str; a lone surrogate as its three bytes) and\n"
"``metadata[d]`` (bytes), each after its length in bytes (8 bytes, little-endian). Writes\n"
"into ``text_ends`` (int64, a value per document) the end of each text's UTF-8 among the\n"
"texts' end to end. Returns ``(digests, texts)``: the texts' UTF-8 end to end (bytes) when\n"
"``keep_texts``, else None.");

static PyObject *digest_documents(PyObject *self, PyObject *args)
{
    PyObject *ids, *texts, *metadata;
    Py_buffer text_ends;
    int keep_texts;
    if (!PyArg_ParseTuple(args, "OOOw*p:digest_documents", &ids, &texts, &metadata,
                          &text_ends, &keep_texts))
        return NULL;
    PyObject *digests = NULL, *kept = NULL, *result = NULL;
    uint8_t *scratch = NULL;
    Py_ssize_t scratch_size = 0;
    EVP_MD_CTX *context = NULL;
    if (!PyList_CheckExact(texts)) {
        PyErr_Format(PyExc_TypeError, "texts: a list, not %.100s", Py_TYPE(texts)->tp_name);
        goto done;
    }
    Py_ssize_t n = PyList_GET_SIZE(texts);
    if (check_list(ids, n, "ids") < 0 || check_list(metadata, n, "metadata") < 0)
        goto done;
    if (text_ends.len < n * (Py_ssize_t)sizeof(int64_t)) {
        PyErr_Format(PyExc_ValueError, "text_ends: %zd bytes, fewer than the %zd needed",
                     text_ends.len, n * (Py_ssize_t)sizeof(int64_t));
        goto done;
    }
    /* The kept texts' size first, so that their buffer is allocated once, at its size. */
    Py_ssize_t texts_total = 0;
    for (Py_ssize_t d = 0; d < n; d++) {
        PyObject *id = PyList_GET_ITEM(ids, d), *text = PyList_GET_ITEM(texts, d),
                 *fields = PyList_GET_ITEM(metadata, d);
        if (check_item(id, 0, "ids", d) < 0 || check_item(text, 1, "texts", d) < 0
            || check_item(fields, 0, "metadata", d) < 0 || PyUnicode_READY(text) < 0)
            goto done;
        if (keep_texts) {
            Py_ssize_t text_size = utf8_size(text);
            if (texts_total > PY_SSIZE_T_MAX - text_size) {
                PyErr_SetString(PyExc_OverflowError, "the batch's texts are too large");
                goto done;
            }
            texts_total += text_size;
        }
        else if (!PyUnicode_IS_ASCII(text)) {
            /* Room for the longest text's UTF-8: four bytes a character at most. */
            Py_ssize_t bound = PyUnicode_GET_LENGTH(text);
            if (bound > PY_SSIZE_T_MAX / 4) {
                PyErr_SetString(PyExc_OverflowError, "a text is too large");
                goto done;
            }
            if (4 * bound > scratch_size)
                scratch_size = 4 * bound;
        }
    }
    digests = PyBytes_FromStringAndSize(NULL, n * 32);
    if (digests == NULL)
        goto done;
    kept = keep_texts ? PyBytes_FromStringAndSize(NULL, texts_total) : Py_NewRef(Py_None);
    if (kept == NULL)
        goto done;
    if (scratch_size > 0 && (scratch = PyMem_Malloc((size_t)scratch_size)) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if ((context = EVP_MD_CTX_new()) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    uint8_t *digest = (uint8_t *)PyBytes_AS_STRING(digests);
    uint8_t *texts_out = keep_texts ? (uint8_t *)PyBytes_AS_STRING(kept) : NULL;
    int64_t *text_end = text_ends.buf;
    int64_t texts_size = 0;
    for (Py_ssize_t d = 0; d < n; d++) {
        PyObject *id = PyList_GET_ITEM(ids, d), *text = PyList_GET_ITEM(texts, d),
                 *fields = PyList_GET_ITEM(metadata, d);
        /* The text's UTF-8: a one-byte ASCII str holds it already; another is encoded into
         * the kept texts or, when they are not kept, into the scratch space. */
        const uint8_t *utf8;
        Py_ssize_t size;
        if (texts_out != NULL) {
            uint8_t *at = texts_out + texts_size;
            size = put_text(at, text) - at;
            utf8 = at;
        }
        else if (PyUnicode_IS_ASCII(text)) {
            utf8 = PyUnicode_DATA(text);
            size = PyUnicode_GET_LENGTH(text);
        }
        else {
            size = put_text(scratch, text) - scratch;
            utf8 = scratch;
        }
        texts_size += size;
        text_end[d] = texts_size;
        if (!EVP_DigestInit_ex(context, sha256, NULL)
            || !update_length(context, (uint64_t)PyBytes_GET_SIZE(id))
            || !EVP_DigestUpdate(context, PyBytes_AS_STRING(id), (size_t)PyBytes_GET_SIZE(id))
            || !update_length(context, (uint64_t)size)
            || !EVP_DigestUpdate(context, utf8, (size_t)size)
            || !update_length(context, (uint64_t)PyBytes_GET_SIZE(fields))
            || !EVP_DigestUpdate(context, PyBytes_AS_STRING(fields),
                                 (size_t)PyBytes_GET_SIZE(fields))
            || !EVP_DigestFinal_ex(context, digest + 32 * d, NULL)) {
            PyErr_SetString(PyExc_RuntimeError, "OpenSSL's SHA-256 failed");
            goto done;
        }
    }
    result = PyTuple_Pack(2, digests, kept);
done:
    EVP_MD_CTX_free(context);
    PyMem_Free(scratch);
    Py_XDECREF(digests);
    Py_XDECREF(kept);
    PyBuffer_Release(&text_ends);
    return result;
}

static PyMethodDef methods[] = {
    {"digest_documents", digest_documents, METH_VARARGS, digest_documents_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "reuse.ingest.compiled_digests",
    "The documents' SHA-256s and UTF-8 texts, compiled (see reuse.ingest.fingerprint).",
    -1, methods,
};

PyMODINIT_FUNC PyInit_compiled_digests(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
#endif
    if (sha256 == NULL)
        sha256 = EVP_sha256();
    return PyModule_Create(&module);
}
