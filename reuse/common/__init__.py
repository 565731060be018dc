"""Helpers every stage shares, written once.

* :mod:`~reuse.common.ranges`: ragged ranges (many ``[start, stop)`` at once) as flat indices.
* :mod:`~reuse.common.progress`: progress bars and stage timers on a terminal.
* :mod:`~reuse.common.validation`: a rule per parameter and the one error message template.
* :mod:`~reuse.common.compiled`: whether a stage runs its compiled (C) passes.
* :mod:`~reuse.common.fileio`: a file's bytes at an offset read into memory already there.
"""
