"""The short summary printed at the end of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _table(rows: list[tuple[str, Any]]) -> str:
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"  {label:<{width}}  {value}" for label, value in rows)


def dedup_summary(result: Any, folder: Path) -> str:
    counts = result.counts
    total = sum(result.timings.values())
    rows = [
        ("documents read", counts["read"]),
        ("  compared", counts["compared"]),
        ("  too short", counts["too_short"]),
        ("  skipped", counts["skipped"]),
        ("candidate pairs", counts["candidate_pairs"]),
        ("near-duplicate pairs", counts["near_duplicate_pairs"]),
        ("clusters", counts["clusters"]),
        ("documents to drop", counts["dropped"]),
        ("seconds", f"{total:.2f}"),
    ]
    return f"reuse dedup → {folder}\n" + _table(rows)
