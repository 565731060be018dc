"""The package's C extensions (everything else is in pyproject.toml): the documents' SHA-256s
and UTF-8 texts, the tokenizer's narrow path, shingle hashing, one-permutation MinHash, the
passage windows' minima, exact verification's shared-shingle counts, the stable sort order of
64-bit keys and the batch aligner's kernels, each one compiled pass over a batch. They are
optional: without a C compiler (or, for the digests, OpenSSL's headers) the package installs,
and those stages run their Python and numpy code."""

from setuptools import Extension, setup

# The digests are OpenSSL's SHA-256, the library hashlib uses.
LIBRARIES = {"reuse.ingest.compiled_digests": ["crypto"]}

setup(ext_modules=[
    Extension(name, [name.replace(".", "/") + ".c"], optional=True,
              libraries=LIBRARIES.get(name, []))
    for name in ("reuse.ingest.compiled_digests", "reuse.text.compiled_narrow",
                 "reuse.text.compiled_shingles", "reuse.sketch.compiled_minhash",
                 "reuse.sketch.compiled_windows", "reuse.compiled_verify",
                 "reuse.common.compiled_sorting", "reuse.align.compiled_kernels")
])
