"""Signatures → candidate pairs.

* :mod:`~reuse.candidates.lsh`: LSH bands and rows chosen for a threshold, band keys, and the
  pairs of items sharing a bucket (shared with passage windows).
"""
