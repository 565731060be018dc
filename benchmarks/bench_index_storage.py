"""Which embedded store holds the index's lookup tables: Parquet segments joined by DuckDB, or
SQLite with B-tree indexes on (band, key) and on the fingerprint hash.

Both stores get the same rows: the LSH band keys (band, key, doc) and the passage-window
fingerprints (hash, doc, position) that ``reuse index add`` writes, computed once here by the
index's own sketch function on ``generate_text_corpus.py``'s documents. Each store is filled
by ``--adds`` appends of equal size (one add = one Parquet file per table, or one SQLite
transaction with its indexes kept up to date), then asked, ``--repeats`` times, for every row
sharing a band key or a fingerprint with ``--queries`` held-out documents (the lookup a
``reuse index query`` of that batch makes), and once with a single document. Both answers are
checked equal. Disk is the bytes of the store's files.

    .venv/bin/python benchmarks/bench_index_storage.py --docs 100000 --queries 1000

Writes ``benchmarks/results_index_storage.md``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results_index_storage.md"
sys.path.insert(0, str(HERE))
from generate_text_corpus import generate  # noqa: E402

from reuse.config import Config  # noqa: E402
from reuse.index.segments import batch_rows, duckdb_connection, parquet_list, sketches  # noqa: E402
from reuse.ingest import read_corpus  # noqa: E402


def rows_of(texts: list[str], first: int, config: Config) -> dict[str, np.ndarray]:
    parts = []
    for batch in sketches(texts, config, workers=1):
        parts.append(batch_rows(batch, config.dedup.effective_min_tokens, first))
    return {name: np.concatenate([getattr(p, name) for p in parts])
            for name in ("band", "band_key", "band_doc", "hashes", "fingerprint_doc",
                         "positions")}


def split(rows: dict[str, np.ndarray], docs: np.ndarray) -> list[dict[str, np.ndarray]]:
    """The rows of each add: documents ``[docs[k], docs[k + 1])``."""
    out = []
    for lo, hi in itertools.pairwise(docs.tolist()):
        band = (rows["band_doc"] >= lo) & (rows["band_doc"] < hi)
        fp = (rows["fingerprint_doc"] >= lo) & (rows["fingerprint_doc"] < hi)
        out.append({"band": rows["band"][band], "band_key": rows["band_key"][band],
                    "band_doc": rows["band_doc"][band], "hashes": rows["hashes"][fp],
                    "fingerprint_doc": rows["fingerprint_doc"][fp],
                    "positions": rows["positions"][fp]})
    return out


class ParquetDuckDB:
    name = "Parquet segments + DuckDB"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bands: list[str] = []
        self.fingerprints: list[str] = []

    def add(self, rows: dict[str, np.ndarray]) -> None:
        k = len(self.bands)
        bands, fps = self.folder / f"bands-{k}.parquet", self.folder / f"fps-{k}.parquet"
        pq.write_table(pa.table({"band": rows["band"], "key": rows["band_key"],
                                 "doc": rows["band_doc"]}), bands)
        pq.write_table(pa.table({"hash": rows["hashes"], "doc": rows["fingerprint_doc"],
                                 "position": rows["positions"]}), fps)
        for path in (bands, fps):
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        self.bands.append(str(bands))
        self.fingerprints.append(str(fps))

    def lookup(self, band: np.ndarray, key: np.ndarray, hashes: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        connection = duckdb_connection()
        try:
            connection.register("qb", pa.table({"band": band, "key": key}))
            connection.register("qh", pa.table({"hash": np.unique(hashes)}))
            found_bands = connection.sql(
                f"SELECT i.doc FROM read_parquet({parquet_list(self.bands)}) i JOIN "
                "(SELECT DISTINCT band, key FROM qb) q ON i.band = q.band AND i.key = q.key"
            ).to_arrow_table()
            found = connection.sql(
                f"SELECT i.doc, i.position FROM read_parquet({parquet_list(self.fingerprints)}) i "
                "JOIN qh q ON i.hash = q.hash").to_arrow_table()
        finally:
            connection.close()
        return (np.sort(found_bands.column("doc").to_numpy()),
                np.sort(found.column("doc").to_numpy() * 1_000_000 + found.column("position")
                        .to_numpy()))

    def size(self) -> int:
        return sum(os.path.getsize(p) for p in self.bands + self.fingerprints)


class SQLite:
    name = "SQLite, indexes on (band, key) and hash"

    def __init__(self, folder: Path) -> None:
        self.path = folder / "index.sqlite"
        self.connection = sqlite3.connect(self.path)
        self.connection.executescript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            "CREATE TABLE bands (band INTEGER, key INTEGER, doc INTEGER);"
            "CREATE INDEX bands_key ON bands (band, key);"
            "CREATE TABLE fingerprints (hash INTEGER, doc INTEGER, position INTEGER);"
            "CREATE INDEX fingerprints_hash ON fingerprints (hash);")

    def add(self, rows: dict[str, np.ndarray]) -> None:
        with self.connection:
            self.connection.executemany(
                "INSERT INTO bands VALUES (?, ?, ?)",
                zip(rows["band"].tolist(), rows["band_key"].tolist(), rows["band_doc"].tolist(),
                    strict=True))
            self.connection.executemany(
                "INSERT INTO fingerprints VALUES (?, ?, ?)",
                zip(rows["hashes"].tolist(), rows["fingerprint_doc"].tolist(),
                    rows["positions"].tolist(), strict=True))
        self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def lookup(self, band: np.ndarray, key: np.ndarray, hashes: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        c = self.connection
        c.execute("CREATE TEMP TABLE qb (band INTEGER, key INTEGER)")
        c.execute("CREATE TEMP TABLE qh (hash INTEGER PRIMARY KEY)")
        c.executemany("INSERT INTO qb VALUES (?, ?)", zip(band.tolist(), key.tolist(),
                                                          strict=True))
        c.executemany("INSERT INTO qh VALUES (?)", ((h,) for h in np.unique(hashes).tolist()))
        docs = np.array([r[0] for r in c.execute(
            "SELECT i.doc FROM (SELECT DISTINCT band, key FROM qb) q JOIN bands i "
            "ON i.band = q.band AND i.key = q.key")], dtype=np.int64)
        found = np.array(c.execute(
            "SELECT i.doc, i.position FROM qh q JOIN fingerprints i ON i.hash = q.hash")
            .fetchall(), dtype=np.int64).reshape(-1, 2)
        c.execute("DROP TABLE qb")
        c.execute("DROP TABLE qh")
        return np.sort(docs), np.sort(found[:, 0] * 1_000_000 + found[:, 1])

    def size(self) -> int:
        return sum(os.path.getsize(p) for p in self.path.parent.glob("index.sqlite*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--adds", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    source = generate(args.docs + args.queries)
    corpus = read_corpus(source)
    config = Config()
    started = time.perf_counter()
    indexed = rows_of(list(corpus.texts[:args.docs]), 0, config)
    queried = rows_of(list(corpus.texts[args.docs:args.docs + args.queries]), args.docs, config)
    one = {name: values[queried["band_doc" if name.startswith("band") else "fingerprint_doc"]
                        == args.docs] for name, values in queried.items()}
    sketch_s = time.perf_counter() - started
    parts = split(indexed, np.linspace(0, args.docs, args.adds + 1).astype(np.int64))
    rows = []
    answers = []
    for kind in (ParquetDuckDB, SQLite):
        with tempfile.TemporaryDirectory(prefix="bench-index-storage-") as folder:
            store = kind(Path(folder))
            started = time.perf_counter()
            for part in parts:
                store.add(part)
            add_s = time.perf_counter() - started
            times = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                answer = store.lookup(queried["band"], queried["band_key"], queried["hashes"])
                times.append(time.perf_counter() - started)
            single = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                store.lookup(one["band"], one["band_key"], one["hashes"])
                single.append(time.perf_counter() - started)
            answers.append(answer)
            rows.append((kind.name, add_s, statistics.median(times), statistics.median(single),
                         store.size(), len(answer[0]), len(answer[1])))
    for got, expected in zip(answers[1], answers[0], strict=True):
        assert np.array_equal(got, expected), "the two stores answered differently"
    n_band, n_fp = len(indexed["band"]), len(indexed["hashes"])
    base = rows[0]
    lines = [
        "# Index storage: Parquet segments + DuckDB against SQLite",
        "",
        f"Written by `python benchmarks/bench_index_storage.py --docs {args.docs} --queries "
        f"{args.queries} --adds {args.adds} --repeats {args.repeats}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}, Python "
        f"{platform.python_version()}.",
        "",
        f"{args.docs:,} documents of `generate_text_corpus.py` (sketched in {sketch_s:.0f} s, "
        f"not counted): {n_band:,} band rows and {n_fp:,} fingerprint rows, appended in "
        f"{args.adds} adds (Parquet: a file per table per add; SQLite: a transaction per add, "
        "its B-tree indexes updated). Lookup: every indexed row sharing a band key or a "
        f"fingerprint with {args.queries:,} held-out documents (median of {args.repeats}), "
        "and with 1 document; both stores return the same rows. 'x' columns: this store / "
        "Parquet + DuckDB, same run.",
        "",
        "| store | add s | add x | lookup s (batch) | lookup x | lookup s (1 doc) | disk MB "
        "| disk x | band rows found | fingerprint rows found |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, add_s, batch_s, one_s, size, found_bands, found_fps in rows:
        lines.append(f"| {name} | {add_s:.2f} | {add_s / base[1]:.2f}x | {batch_s:.3f} | "
                     f"{batch_s / base[2]:.2f}x | {one_s:.3f} | {size / 1e6:.0f} | "
                     f"{size / base[4]:.2f}x | {found_bands:,} | {found_fps:,} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
