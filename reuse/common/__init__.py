"""Helpers every stage shares, written once.

* :mod:`~reuse.common.ranges`: ragged ranges (many ``[start, stop)`` at once) as flat indices.
* :mod:`~reuse.common.progress`: progress bars and stage timers on a terminal.
"""
