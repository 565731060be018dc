"""The names of the counts of a run, and the short summary printed at the end of a command.

Each count has one key (in the manifest's ``counts``), one label and one explanation, used by
the command's summary and by the report's index (which shows the explanation as a tooltip and
names the key), so one concept has one name everywhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import printable

# key → (label, explanation), in the order they are shown. An indented label is a part of the
# count above it.
COUNTS: dict[str, tuple[str, str]] = {
    "read": ("documents read", "Every record of the input: compared + too short + skipped."),
    "compared": ("  compared", "Documents long enough to compare."),
    "too_short": ("  too short to compare",
                  "Documents with fewer tokens than --min-tokens or than one shingle (--ngram "
                  "words); they are kept and listed, never compared."),
    "skipped": ("  skipped (bad records)",
                "Records that could not be read (--on-error skip); the skipped table lists "
                "each with its origin and reason."),
    "decoded_with_fallback": ("decoded as windows-1252",
                              "Documents that were not valid UTF-8, read as windows-1252 "
                              "(--encoding auto)."),
    "metadata_rows": ("metadata file rows", "Rows of the --metadata-file."),
    "metadata_unmatched": ("  metadata ids not in the input",
                           "Rows of the --metadata-file whose id is no document of the input "
                           "(with --on-error skip; otherwise an error)."),
    "no_metadata": ("documents without a metadata row",
                    "Documents that have no row in the --metadata-file."),
    "dated_documents": ("documents with a date",
                        "Documents whose date field (--date-field, default date) holds a "
                        "date; the earliest is kept as representative and marked as the "
                        "likely source."),
    "candidate_pairs": ("near-duplicate candidates",
                        "Document pairs whose MinHash signatures share an LSH bucket; each "
                        "is checked against --threshold."),
    "capped_buckets": ("crowded LSH buckets",
                       "LSH buckets of more than dedup.max_bucket documents (1,000 unless the "
                       "config says otherwise; many near-identical texts): "
                       "their documents are compared with the bucket's first document only."),
    "near_duplicate_pairs": ("near-duplicate pairs",
                             "Document pairs whose similarity (Jaccard of word shingles) "
                             "reaches --threshold."),
    "clusters": ("near-duplicate clusters",
                 "Groups of near-duplicates around one kept document; a document without "
                 "near-duplicates is a cluster of its own."),
    "dropped": ("documents to drop",
                "Near-duplicates of a kept document (keep is false in the clusters table)."),
    "kept_written": ("documents written (--write-kept)",
                     "Kept documents written to the --write-kept path."),
    "pairs_given": ("pairs given", "Lines or rows of the --pairs file."),
    "duplicate_pairs": ("  pairs listed again",
                        "Pairs of the --pairs file listed before (in either order), aligned "
                        "once."),
    "passage_candidate_pairs": ("passage candidates",
                                "Document pairs sharing passage windows (--window shingles "
                                "of --passage-ngram words); each is aligned."),
    "capped_fingerprints": ("very common passage windows",
                            "Passage windows found in more than --max-bucket documents (such "
                            "as boilerplate): their documents are paired with one of them "
                            "only, not with each other."),
    "docs_in_capped_buckets": ("  documents with very common windows",
                               "Documents holding at least one very common passage window."),
    "paraphrase_skipped_pairs": ("pairs without paraphrase seeds",
                                 "Document pairs with too many similar sentence pairs to seed "
                                 "paraphrases (--paraphrase); they were aligned on shared words "
                                 "only."),
    "alignments": ("passage pairs",
                   "Reused passages found: a span of one document aligned with a span of "
                   "another (the alignments table)."),
    "passage_clusters": ("passage clusters",
                         "A reused passage with all its occurrences across documents (the "
                         "passages table)."),
    "boilerplate_passages": ("  boilerplate passage clusters",
                             "Passage clusters found in at least --boilerplate-docs "
                             "unrelated documents, or --boilerplate-share of them (and at "
                             "least 3); versions or copies of one text count once."),
}

# Ids of documents decoded with the fallback encoding named in the summary.
SHOWN_IDS = 5


def count_rows(counts: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """(key, label, explanation, value) of every count, in the order of :data:`COUNTS`; a count
    without a name (from a newer version) comes last, named by its key."""
    rows = [(key, label, explanation, counts[key])
            for key, (label, explanation) in COUNTS.items() if key in counts]
    rows += [(key, key.replace("_", " "), "", value) for key, value in counts.items()
             if key not in COUNTS]
    return rows


def process_seconds() -> float | None:
    """Seconds since this process started, start-up included (from ``/proc``, so Linux only;
    None elsewhere)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat, \
                open("/proc/uptime", encoding="ascii") as uptime:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
            now = float(uptime.read().split()[0])
        return max(0.0, now - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


def report_stages(folder: Path) -> dict[str, float]:
    """The stages of the report in ``folder``'s manifest, with their seconds (none when it
    has no report or its manifest cannot be read)."""
    try:
        report = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["report"]
        return {str(k): float(v) for k, v in report["timings"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def run_summary(result: Any, folder: Path, command: str, report: Path | None = None,
                wall: float | None = None) -> str:
    """A two-column summary of the counts that the command produced, and its times: the wall
    time of the whole process, then each stage's, which add up to it: ``start-up`` (Python and
    the libraries loading, before the command began ``wall`` seconds ago), the command's stages
    (the report's own stages under it), and ``other`` for the rest."""
    rows: list[tuple[str, Any]] = [(label, value) for _, label, _, value
                                   in count_rows(result.counts)]
    timings = dict(result.timings)
    total = wall if wall is not None else sum(timings.values())
    stages: list[tuple[str, float]] = []
    alive = process_seconds() if wall is not None else None
    if alive is not None and alive > total:
        stages.append(("start-up", alive - total))
        total = alive
    for stage, seconds in timings.items():
        stages.append((stage, seconds))
        if stage == "report" and report is not None:
            stages += [(f"  {name.replace('_', ' ')}", part)
                       for name, part in report_stages(folder).items()]
    rest = total - sum(seconds for name, seconds in stages if not name.startswith(" "))
    stages.append(("other", max(0.0, rest)))
    rows.append(("seconds (wall clock)", f"{total:.2f}"))
    rows += [(f"  {stage}", f"{seconds:.2f}") for stage, seconds in stages]
    width = max(len(label) for label, _ in rows)
    lines = [printable(f"reuse {command} → {folder}")]
    lines += [printable(f"  {label:<{width}}  {value}") for label, value in rows]
    fallback = getattr(result.corpus, "decoded_with_fallback", [])
    if fallback:
        shown = ", ".join(fallback[:SHOWN_IDS]) + (", …" if len(fallback) > SHOWN_IDS else "")
        lines.append(printable(f"  decoded as windows-1252: {shown}"))
    if report is not None:
        lines.append(printable(f"  {'report':<{width}}  {report}"))
    return "\n".join(lines)
