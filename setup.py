"""The package's C extensions (everything else is in pyproject.toml): the documents' UTF-8
fingerprint frames, the tokenizer's narrow path, shingle hashing, one-permutation MinHash, the
passage windows' minima, exact verification's shared-shingle counts, the stable sort order of
64-bit keys and the batch aligner's kernels, each one compiled pass over a batch. They are
optional: without a C compiler the package installs, and those stages run their Python and numpy
code."""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension(name, [name.replace(".", "/") + ".c"], optional=True)
    for name in ("reuse.ingest.compiled_frames", "reuse.text.compiled_narrow",
                 "reuse.text.compiled_shingles", "reuse.sketch.compiled_minhash",
                 "reuse.sketch.compiled_windows", "reuse.compiled_verify",
                 "reuse.common.compiled_sorting", "reuse.align.compiled_kernels")
])
