"""Shingles → sketches.

* :mod:`~reuse.sketch.minhash`: one-permutation MinHash signatures per document, and their
  export to datasketch.
* :mod:`~reuse.sketch.windows`: fingerprints of passage windows, and the window pairs they
  give.
"""
