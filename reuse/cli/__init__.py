"""The ``reuse`` command.

* :mod:`~reuse.cli.command`: the entry point (start-up, Ctrl-C, the allocator).
* :mod:`~reuse.cli.commands`: the click commands, which parse options and call the pipeline.
"""
