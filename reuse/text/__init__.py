"""Text → tokens → shingles: the stages every track starts with.

* :mod:`~reuse.text.tokenize`: tokens as 64-bit hashes of their normalized form (NFKC,
  casefold, one dash and quote form, optionally no diacritics) with raw-text offsets.
* :mod:`~reuse.text.shingle`: word n-gram hashes over token hashes.
* :mod:`~reuse.text.kernels`: the tokenizer's ASCII and narrow paths compiled with numba (the
  ``fast`` extra), the same tokens; used once numba is loaded (see ``MIN_COMPILED_CHARACTERS``).
"""
