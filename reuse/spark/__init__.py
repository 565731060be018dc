"""The Spark engine: the stages of ``reuse dedup`` and ``reuse run`` on a Spark cluster, with
the tables of the local engine (``engine="spark"``, ``--engine spark``).

* :mod:`~reuse.spark.session`: the SparkSession, and a clear error without pyspark or Java;
* :mod:`~reuse.spark.stages`: the map stages (``mapInArrow`` over the local stage functions);
* :mod:`~reuse.spark.grouping`: the grouping stages (band buckets, connected components, star
  clusters) as DataFrame joins and aggregations;
* :mod:`~reuse.spark.dedup`: the stages of a dedup, from the staged corpus to the tables;
* :mod:`~reuse.spark.passages`: the passage stages of a run (candidates, alignment);
* :mod:`~reuse.spark.parts`: the tables Spark wrote, read back in order.

Nothing here is imported by ``import reuse``; pyspark is imported when a Spark run starts.
"""
