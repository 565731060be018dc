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
from typing import Any

import numpy as np
import pandas as pd

from ..cluster.documents import star_clusters
from ..errors import ReuseError

# A bucket with more members pairs each with its anchor only (SpilledBuckets.pairs' default).
BAND_MAX_BUCKET = 1000


def band_pairs(sketches: Any, max_bucket: int = BAND_MAX_BUCKET) -> tuple[Any, Any]:
    """Candidate pairs ``(left < right)``, unique, of the documents (columns ``doc``, ``rank``,
    ``bands``) that share a key in some band, and the oversized buckets (one row each). A
    bucket of at most ``max_bucket`` documents gives all its pairs; a larger one pairs its
    anchor (the member of lowest ``rank``) with each other member."""
    from pyspark.sql import functions as F

    members = sketches.select("doc", "rank", F.posexplode("bands").alias("band", "key"))
    buckets = (members.groupBy("band", "key")
               .agg(F.count("*").alias("size"),
                    F.min(F.struct("rank", "doc")).getField("doc").alias("anchor"))
               .filter(F.col("size") > 1))
    shared = members.join(buckets, ["band", "key"])
    small = shared.filter(F.col("size") <= max_bucket).select("band", "key", "doc")
    all_pairs = (small.alias("a").join(small.alias("b"), ["band", "key"])
                 .filter(F.col("a.doc") < F.col("b.doc"))
                 .select(F.col("a.doc").alias("left"), F.col("b.doc").alias("right")))
    anchored = (shared.filter((F.col("size") > max_bucket) & (F.col("doc") != F.col("anchor")))
                .select(F.least("doc", "anchor").alias("left"),
                        F.greatest("doc", "anchor").alias("right")))
    oversized = buckets.filter(F.col("size") > max_bucket)
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


def star_representatives(verified: Any, ranks: Any) -> Any:
    """Each document in a verified pair (columns ``left``, ``right``) and its representative,
    by star clustering each connected component; ``ranks`` holds ``doc`` and ``rank``."""
    from pyspark.sql import functions as F

    components = connected_components(verified)
    left_rank = ranks.select(F.col("doc").alias("left"), F.col("rank").alias("left_rank"))
    right_rank = ranks.select(F.col("doc").alias("right"), F.col("rank").alias("right_rank"))
    with_component = (verified.select("left", "right")
                      .join(components.withColumnRenamed("doc", "left"), "left")
                      .join(left_rank, "left").join(right_rank, "right"))
    return with_component.groupBy("component").applyInPandas(
        lambda frame: component_stars(frame), STAR_SCHEMA)


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
