"""A complete run folder (dedup + alignments + passages) for the report tests.

Uses the real ``reuse.pipeline.run`` when it exists; until then it runs ``dedup`` and computes the
alignments with difflib on token hashes, in the documented table layout, so the report can be
built and checked against real spans of the sample corpus.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pandas as pd

from reuse import pipeline
from reuse.ingest import read_corpus
from reuse.report import tables
from reuse.tokenize import tokenize

XSS_ID = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
XSS_PREFIX = '<script>alert(1)</script> and "><img src=x onerror=alert(2)> say: '

SOURCES = ["wire", "daily", "daily", "weekly", "wire"]


def sample_jsonl(seeds_dir: Path, target: Path, *, with_xss: bool = True) -> Path:
    """The seeds as JSONL with ``source`` and ``date`` metadata, plus an XSS document."""
    records = []
    for k, path in enumerate(sorted(seeds_dir.glob("*.txt"))):
        records.append({"id": path.name, "text": path.read_text(encoding="utf-8"),
                        "source": SOURCES[k % len(SOURCES)], "date": f"2021-08-{20 + k:02d}"})
    if with_xss:
        # Reuses the opening of the first seed so that it has a pair page.
        records.append({"id": XSS_ID, "text": XSS_PREFIX + records[0]["text"][:1200],
                        "source": "<b>blog</b>", "date": "2021-09-01"})
    with open(target, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return target


def _passages_of(opcodes: list[tuple], min_matched: int, max_gap: int) -> list[list[tuple]]:
    """Chains of equal blocks separated by small edits."""
    chains: list[list[tuple]] = []
    current: list[tuple] = []
    for op in opcodes:
        tag, i1, i2, j1, j2 = op
        if tag == "equal":
            current.append(op)
        elif current and max(i2 - i1, j2 - j1) <= max_gap:
            current.append(op)
        else:
            chains.append(current)
            current = []
    chains.append(current)
    out = []
    for chain in chains:
        while chain and chain[-1][0] != "equal":
            chain.pop()
        matched = sum(i2 - i1 for tag, i1, i2, _, _ in chain if tag == "equal")
        if matched >= min_matched:
            out.append(chain)
    return out


def difflib_alignments(ids: list[str], texts: list[str], min_matched: int = 15) -> pd.DataFrame:
    tokens = [tokenize(t) for t in texts]
    rows = []
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            ta, tb = tokens[a], tokens[b]
            matcher = difflib.SequenceMatcher(None, ta.hashes.tolist(), tb.hashes.tolist(),
                                              autojunk=False)
            for chain in _passages_of(matcher.get_opcodes(), min_matched, max_gap=6):
                i_lo, i_hi, j_lo, j_hi = chain[0][1], chain[-1][2], chain[0][3], chain[-1][4]
                edits = []
                for tag, i1, i2, j1, j2 in chain:
                    if tag == "equal":
                        continue
                    a_s = int(ta.starts[i1]) if i1 < i2 else int(ta.starts[i1])
                    a_e = int(ta.ends[i2 - 1]) if i1 < i2 else a_s
                    b_s = int(tb.starts[j1]) if j1 < j2 else int(tb.starts[j1])
                    b_e = int(tb.ends[j2 - 1]) if j1 < j2 else b_s
                    edits.append([tag, a_s, a_e, b_s, b_e])
                matched = sum(i2 - i1 for tag, i1, i2, _, _ in chain if tag == "equal")
                rows.append({
                    "a_id": ids[a], "a_start": int(ta.starts[i_lo]), "a_end": int(ta.ends[i_hi - 1]),
                    "b_id": ids[b], "b_start": int(tb.starts[j_lo]), "b_end": int(tb.ends[j_hi - 1]),
                    "a_tokens": i_hi - i_lo, "b_tokens": j_hi - j_lo, "matched_tokens": matched,
                    "similarity": 2 * matched / (i_hi - i_lo + j_hi - j_lo), "method": "lexical",
                    "edits": json.dumps(edits),
                })
    return pd.DataFrame(rows, columns=list(tables.TABLES["alignments"]))


def passages_from(alignments: pd.DataFrame, dates: dict[str, str], n_docs_boilerplate: int = 4
                  ) -> pd.DataFrame:
    """Passage clusters: overlapping spans of a document merged, linked by alignments."""
    spans = pd.concat([
        alignments[["a_id", "a_start", "a_end"]].set_axis(["doc_id", "start", "end"], axis=1),
        alignments[["b_id", "b_start", "b_end"]].set_axis(["doc_id", "start", "end"], axis=1),
    ], ignore_index=True)
    n = len(alignments)
    parent = list(range(len(spans)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for k in range(n):
        parent[find(k)] = find(k + n)
    order = spans.sort_values(["doc_id", "start"]).index.tolist()
    for prev, cur in zip(order, order[1:], strict=False):
        if spans.at[prev, "doc_id"] == spans.at[cur, "doc_id"] and \
                spans.at[cur, "start"] < spans.at[prev, "end"]:
            parent[find(cur)] = find(prev)
    spans["root"] = [find(k) for k in range(len(spans))]
    merged = spans.groupby(["root", "doc_id"], as_index=False).agg(start=("start", "min"),
                                                                    end=("end", "max"))
    merged["passage_id"] = pd.factorize(merged["root"], sort=True)[0]
    merged["n_docs"] = merged.groupby("passage_id")["doc_id"].transform("size")
    merged["boilerplate"] = merged["n_docs"] >= n_docs_boilerplate
    merged["date"] = merged["doc_id"].map(dates)
    earliest = merged.groupby("passage_id")["date"].transform("min")
    merged["is_source"] = (merged["date"] == earliest) & merged["date"].notna()
    merged = merged.sort_values(["passage_id", "doc_id"]).reset_index(drop=True)
    return merged[list(tables.TABLES["passages"])]


def build_run_folder(source: Path, out: Path, fmt: str = "parquet") -> Path:
    """Run the pipeline on ``source`` into ``out`` (the real ``run`` once it exists)."""
    if hasattr(pipeline, "run"):
        pipeline.run(source, out=out, threshold=0.5, report=False)
        return out
    result = pipeline.dedup(source, threshold=0.5)
    folder = pipeline.write_dedup(result, out, fmt=fmt, source=source, command="run")
    manifest = tables.read_manifest(folder)
    corpus = read_corpus(source)
    alignments = difflib_alignments(corpus.ids, corpus.texts)
    dates = {i: m.get("date") for i, m in zip(corpus.ids, corpus.metadata, strict=True)}
    passages = passages_from(alignments, {k: v for k, v in dates.items() if v})
    for name, frame in (("alignments", alignments), ("passages", passages)):
        manifest["tables"][name] = tables.write_table(folder, name, frame, fmt)
    manifest["counts"]["alignments"] = len(alignments)
    manifest.pop("schema_version")
    tables.write_manifest(folder, manifest)
    return folder


def flip_check(alignments: pd.DataFrame, texts: dict[str, str]) -> list[tuple[str, str]]:
    """Every alignment's two passages, as text (for assertions)."""
    return [(texts[r.a_id][r.a_start:r.a_end], texts[r.b_id][r.b_start:r.b_end])
            for r in alignments.itertuples()]


__all__ = ["XSS_ID", "build_run_folder", "difflib_alignments", "sample_jsonl"]
