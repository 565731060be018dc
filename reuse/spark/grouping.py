"""The grouping stages on Spark, as DataFrame joins and aggregations: LSH band buckets into
candidate pairs (the semantics of :class:`reuse.candidates.lsh.SpilledBuckets`), connected
components of the verified pairs (large-star/small-star, Kiveris et al. 2014), and the star
clusters of :func:`reuse.cluster.documents.star_clusters`, run on each component.

Star clustering visits documents in priority order and only ever links a document to a
neighbour, so two components never interact: running the local function on each component
alone gives exactly the clusters it gives on the whole graph.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..cluster.documents import star_clusters
from ..errors import ReuseError
from .timing import timed, timed_frame


def band_pairs(sketches: Any, max_bucket: int) -> tuple[Any, Any]:
    """Candidate pairs ``(left < right)``, unique, of the documents (columns ``doc``, ``rank``,
    ``bands``) that share a key in some band, and the oversized buckets (one row each). A
    bucket of at most ``max_bucket`` documents gives all its pairs; a larger one pairs its
    anchor (the member of lowest ``rank``) with each other member.

    One shuffle groups each bucket's members into a row, and the pairs come out of that row:
    a self-join of the members would shuffle every member twice more (the buckets outgrow
    Spark's broadcast threshold at a few thousand documents). The buckets are checkpointed,
    so the pairs and the oversized buckets are not grouped twice."""
    from pyspark.sql import functions as F

    members = sketches.select("doc", "rank", F.posexplode("bands").alias("band", "key"))
    buckets = (members.groupBy("band", "key")
               .agg(F.collect_list(F.struct("rank", "doc")).alias("members"))
               .filter(F.size("members") > 1)
               .select("band", "key", F.size("members").alias("size"),
                       F.array_min("members").getField("doc").alias("anchor"),
                       F.array_sort(F.col("members").getField("doc")).alias("docs"))
               .localCheckpoint())
    # Each member with the members after it in the bucket's ascending ``docs``.
    all_pairs = (buckets.filter(F.col("size") <= max_bucket)
                 .select(F.posexplode("docs").alias("at", "left"), "docs")
                 .select("left", F.explode(F.expr("slice(docs, at + 2, size(docs) - at - 1)"))
                         .alias("right")))
    anchored = (buckets.filter(F.col("size") > max_bucket)
                .select("anchor", F.explode("docs").alias("doc"))
                .filter(F.col("doc") != F.col("anchor"))
                .select(F.least("doc", "anchor").alias("left"),
                        F.greatest("doc", "anchor").alias("right")))
    oversized = buckets.filter(F.col("size") > max_bucket).select("band", "key", "size",
                                                                  "anchor")
    return all_pairs.unionByName(anchored).distinct(), oversized


def connected_components(edges: Any, max_rounds: int | None = None) -> Any:
    """Each document of an edge (columns ``left``, ``right``) and its component (the least
    document in it), by alternating large-star and small-star rounds (Kiveris, Lattanzi,
    Mirrokni, Rastogi and Vassilvitskii, "Connected Components in MapReduce and Beyond",
    SoCC 2014) until the edges stop changing. Each round's edges are checkpointed locally, so
    the plan does not grow with the rounds. Raises after ``max_rounds`` rounds (default:
    enough for any graph of up to 2**62 nodes in practice, ``4 * 64``)."""
    from pyspark.sql import functions as F

    rounds = max_rounds or 4 * 64
    current = (edges.select(F.least("left", "right").alias("u"),
                            F.greatest("left", "right").alias("v"))
               .filter(F.col("u") != F.col("v")).distinct().localCheckpoint())
    for _ in range(rounds):
        following = _small_star(_large_star(current)).localCheckpoint()
        if _same_edges(current, following):
            # A star around each component's least node: every edge is (node, least).
            return (following.select(F.col("u").alias("doc"), F.col("v").alias("component"))
                    .unionByName(following.select(F.col("v").alias("doc"),
                                                  F.col("v").alias("component")))
                    .distinct())
        current = following
    raise ReuseError(f"connected components did not converge in {rounds} rounds")


def _with_neighbourhood_minimum(edges: Any) -> Any:
    """``edges`` with ``m``: the least of ``u`` and all of ``u``'s ``v`` (one shuffle, by ``u``)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    return edges.withColumn("m", F.least(F.min("v").over(Window.partitionBy("u")), F.col("u")))


def _large_star(edges: Any) -> Any:
    """Every node links its larger neighbours to the least node of its neighbourhood."""
    from pyspark.sql import functions as F

    both = edges.unionByName(edges.select(F.col("v").alias("u"), F.col("u").alias("v")))
    return (_with_neighbourhood_minimum(both).filter(F.col("v") > F.col("u"))
            .select(F.col("v").alias("u"), F.col("m").alias("v"))
            .filter(F.col("u") != F.col("v")).distinct())


def _small_star(edges: Any) -> Any:
    """Every node links itself and its smaller neighbours to the least of them."""
    from pyspark.sql import functions as F

    oriented = edges.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v"))
    linked = _with_neighbourhood_minimum(oriented)
    return (linked.select(F.col("v").alias("u"), F.col("m").alias("v"))
            .unionByName(linked.select("u", F.col("m").alias("v")))
            .select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v"))
            .filter(F.col("u") != F.col("v")).distinct())


def _same_edges(first: Any, second: Any) -> bool:
    """Whether two sets of distinct edges are equal (one job: an edge in only one of them)."""
    from pyspark.sql import functions as F

    marked = first.withColumn("in_first", F.lit(True))
    return (marked.join(second.withColumn("in_second", F.lit(True)), ["u", "v"], "full_outer")
            .filter(F.col("in_first").isNull() | F.col("in_second").isNull()).isEmpty())


STAR_SCHEMA = "doc long, representative long"


def component_stars(pairs: pd.DataFrame) -> pd.DataFrame:
    """:func:`reuse.cluster.documents.star_clusters` on the verified pairs of one component
    (columns ``left``, ``right``, ``left_rank``, ``right_rank``): each document of the
    component and its representative."""
    docs, inverse = np.unique(np.concatenate((pairs["left"].to_numpy(),
                                              pairs["right"].to_numpy())), return_inverse=True)
    ranks = np.empty(len(docs), dtype=np.int64)
    ranks[inverse] = np.concatenate((pairs["left_rank"].to_numpy(),
                                     pairs["right_rank"].to_numpy()))
    n = len(pairs)
    clusters = star_clusters(len(docs), inverse[:n], inverse[n:], ranks)
    return pd.DataFrame({"doc": docs, "representative": docs[clusters.representative]})


# Up to this many verified pairs, the star clustering runs in one task on all of them (a few
# tens of MB in the Python worker) instead of connected components on Spark first: the rounds
# of large-star/small-star each shuffle, and cost minutes where one task takes seconds.
SINGLE_TASK_PAIRS = 2_000_000


def all_stars(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """:func:`component_stars` on all the pairs of one partition at once (star clustering
    never links two components, so it gives what it gives on each component alone)."""
    table = pa.Table.from_batches(list(batches), schema=pa.schema(
        [(name, pa.int64()) for name in ("left", "right", "left_rank", "right_rank")]))
    if table.num_rows:
        yield pa.RecordBatch.from_pandas(component_stars(table.to_pandas()),
                                         preserve_index=False)


def star_representatives(verified: Any, ranks: Any, n_pairs: int | None = None) -> Any:
    """Each document in a verified pair (columns ``left``, ``right``) and its representative,
    by star clustering each connected component; ``ranks`` holds ``doc`` and ``rank``. With
    ``n_pairs`` (the count of ``verified``) of at most :data:`SINGLE_TASK_PAIRS`, in one task."""
    from pyspark.sql import functions as F

    left_rank = ranks.select(F.col("doc").alias("left"), F.col("rank").alias("left_rank"))
    right_rank = ranks.select(F.col("doc").alias("right"), F.col("rank").alias("right_rank"))
    if n_pairs is not None and n_pairs <= SINGLE_TASK_PAIRS:
        ranked = (verified.select("left", "right").join(left_rank, "left")
                  .join(right_rank, "right").select("left", "right", "left_rank", "right_rank"))
        return ranked.repartition(1).mapInArrow(timed("cluster", all_stars), STAR_SCHEMA)
    components = connected_components(verified)
    with_component = (verified.select("left", "right")
                      .join(components.withColumnRenamed("doc", "left"), "left")
                      .join(left_rank, "left").join(right_rank, "right"))
    return with_component.groupBy("component").applyInPandas(
        timed_frame("cluster", component_stars), STAR_SCHEMA)


def numbered(frame: Any, column: str, name: str) -> Any:
    """``frame`` with ``name``: the position of each row in the order of ``column`` (from 0),
    counted per partition, without moving the rows to one partition."""
    spark = frame.sparkSession
    ordered = frame.orderBy(column)
    indexed = ordered.rdd.zipWithIndex().map(lambda row_index: (*row_index[0], row_index[1]))
    return spark.createDataFrame(indexed, ordered.schema.add(name, "long"))


def rounds_bound(n_docs: int) -> int:
    """A generous bound on large-star/small-star rounds for ``n_docs`` nodes."""
    return 4 * max(1, math.ceil(math.log2(max(n_docs, 2)))) + 8
