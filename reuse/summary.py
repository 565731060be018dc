"""The short summary table printed at the end of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import printable

_ROWS = (
    ("read", "documents read"),
    ("compared", "  compared"),
    ("too_short", "  too short"),
    ("skipped", "  skipped"),
    ("candidate_pairs", "candidate pairs"),
    ("capped_buckets", "capped LSH buckets"),
    ("near_duplicate_pairs", "near-duplicate pairs"),
    ("clusters", "clusters"),
    ("dropped", "documents to drop"),
    ("pairs_given", "pairs given"),
    ("duplicate_pairs", "  listed again"),
    ("passage_candidate_pairs", "passage candidate pairs"),
    ("capped_fingerprints", "capped common windows"),
    ("alignments", "aligned passages"),
    ("passage_clusters", "passage clusters"),
    ("boilerplate_passages", "  boilerplate"),
)


def run_summary(result: Any, folder: Path, command: str, report: Path | None = None) -> str:
    """A two-column summary of the counts that the command produced."""
    counts = result.counts
    rows = [(label, counts[key]) for key, label in _ROWS if key in counts]
    rows.append(("seconds", f"{sum(result.timings.values()):.2f}"))
    width = max(len(label) for label, _ in rows)
    lines = [printable(f"reuse {command} → {folder}")]
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    if report is not None:
        lines.append(printable(f"  {'report':<{width}}  {report}"))
    return "\n".join(lines)
