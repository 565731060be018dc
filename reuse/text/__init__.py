"""Text → tokens → shingles: the stages every track starts with.

* :mod:`~reuse.text.tokenize`: tokens as 64-bit hashes of their normalized form (NFKC,
  casefold, one dash and quote form, optionally no diacritics) with raw-text offsets.
* :mod:`~reuse.text.shingle`: word n-gram hashes over token hashes.
* :mod:`~reuse.text.compiled_narrow`: the tokenizer's ASCII and narrow paths as one C pass (an
  extension module built with the package, from ``compiled_narrow.c``), the same tokens; the
  numpy code runs where it was not built.
"""
