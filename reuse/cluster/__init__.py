"""Pairs → clusters.

* :mod:`~reuse.cluster.documents`: near-duplicate clusters guarded against chaining, each with
  its kept representative.
* :mod:`~reuse.cluster.passages`: occurrences of a passage across documents, linked through
  alignments; boilerplate and the likely source.
"""
