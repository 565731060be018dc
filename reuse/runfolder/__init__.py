"""The run folder, the one output contract of a run.

* :mod:`~reuse.runfolder.folder`: claiming an output folder, atomic writes, the manifest's
  marks of a complete run.
* :mod:`~reuse.runfolder.schema`: the documented schema of every table.
* :mod:`~reuse.runfolder.tables`: writing and reading the tables (Parquet, JSONL or CSV).
* :mod:`~reuse.runfolder.checkpoints`: the stage checkpoints of a run in progress
  (``checkpoints/`` and its ledger), from which ``--resume`` continues a killed run.
"""
