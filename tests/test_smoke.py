from __future__ import annotations

import reuse
from reuse.pipeline import dedup


def test_dedup_on_seeds_accounts_for_every_document(seeds_dir):
    result = dedup(seeds_dir, threshold=0.3, verify="exact")
    counts = result.counts
    assert counts["read"] == 5
    assert counts["read"] == counts["compared"] + counts["too_short"] + counts["skipped"]
    assert list(result.clusters["doc_id"]) == sorted(p.name for p in seeds_dir.glob("*.txt"))
    assert reuse.__version__
