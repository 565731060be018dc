"""The lexical batch aligner of other source trees of reuse, on the same planted pairs, in the
same run: is this machine, or the code, slower than when a figure was measured?

    git worktree add --detach /tmp/reuse-e8b765f e8b765f
    taskset -c 1 .venv/bin/python benchmarks/bench_align_history.py /tmp/reuse-e8b765f .

Each tree runs in its own process (its own ``reuse`` first on ``sys.path``), in turn, for
``--rounds`` rounds. A process tokenizes the pairs with its tree's ``tokenize_batch`` (not
timed) and times ``align_batch`` with ``paraphrase=False`` on all pairs in one call, and
``rapidfuzz`` ``Indel.opcodes`` on each pair's token hashes (a fixed C library: the yardstick of
the machine's speed), ``--repeat`` times each, alternated, each after ``gc.collect()`` with the
garbage collector off, on the process's CPU time. The pairs are ``bench_align.py``'s zipf pairs
(``--pairs``, ``--seed``), made once by this process. The *code* column says whether a tree's
aligner ran its compiled kernels (``reuse.align.kernels``: C, or numba in the trees from
before the C kernels, when numba is installed in the Python that runs this script) or its
numpy code. Writes ``results_align_history.md`` unless
``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results_align_history.md"


def _worker(tree: Path, pairs_file: Path, repeat: int) -> None:
    """Time one tree (run in a process of its own); prints one JSON line."""
    import gc
    import time

    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f)]
    sys.path.insert(0, str(tree))
    from rapidfuzz.distance import Indel

    import reuse
    try:  # the package layout since the re-layout
        from reuse.align.aligner import align_batch
        from reuse.align.config import AlignConfig
        from reuse.text.tokenize import tokenize_batch
    except ImportError:  # the flat layout before it
        from reuse.tokenize import tokenize_batch  # type: ignore[no-redef]

        from reuse.align import AlignConfig, align_batch  # type: ignore[no-redef]
    if not Path(reuse.__file__).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"imported reuse from {reuse.__file__}, not from {tree}")
    a_texts, b_texts = json.loads(pairs_file.read_text(encoding="utf-8"))
    a_tokens, b_tokens = tokenize_batch(a_texts), tokenize_batch(b_texts)
    config = AlignConfig(paraphrase=False)

    def hashes(batch: object, k: int) -> list[int]:
        return batch.hashes[batch.bounds[k]:batch.bounds[k + 1]].tolist()  # type: ignore[attr-defined]

    a_lists = [hashes(a_tokens, k) for k in range(len(a_texts))]
    b_lists = [hashes(b_tokens, k) for k in range(len(b_texts))]
    runs = {
        "reuse": lambda: align_batch(a_texts, b_texts, config, a_tokens=a_tokens,
                                     b_tokens=b_tokens),
        "rapidfuzz": lambda: [Indel.opcodes(a, b) for a, b in zip(a_lists, b_lists, strict=True)],
    }
    found = runs["reuse"]()
    runs["rapidfuzz"]()
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            gc.collect()
            gc.disable()
            try:
                start = time.process_time()
                run()
                seconds[name].append(time.process_time() - start)
            finally:
                gc.enable()
    print(json.dumps({"seconds": seconds, "passages": sum(map(len, found)), "code": _code()}))


def _code() -> str:
    """Which code the tree's batch aligner ran: compiled kernels (C, or numba in the trees
    before the C kernels) or numpy."""
    try:
        from reuse.align import compiled
    except ImportError:  # a tree from before the compiled kernels
        return "numpy"
    kernels = compiled.kernels()
    if kernels is None:
        return "numpy (kernels not loaded)"
    if "numba" not in sys.modules:
        return "compiled (C)"
    import numba

    return f"compiled (numba {numba.__version__})"


def _commit(tree: Path) -> str:
    done = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    return done.stdout.strip() or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="*", type=Path, help="source trees of reuse")
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        tree, pairs_file, repeat = args.worker
        _worker(Path(tree), Path(pairs_file), int(repeat))
        return
    if not args.trees:
        parser.error("name at least one source tree")

    sys.path.insert(0, str(HERE))
    from bench_align import make_pairs

    pairs = make_pairs(args.pairs, args.seed)
    with tempfile.TemporaryDirectory() as scratch:
        pairs_file = Path(scratch) / "pairs.json"
        pairs_file.write_text(json.dumps([[p.a_text for p in pairs], [p.b_text for p in pairs]]),
                              encoding="utf-8")
        seconds: dict[Path, dict[str, list[float]]] = {t: {"reuse": [], "rapidfuzz": []}
                                                       for t in args.trees}
        passages: dict[Path, int] = {}
        code: dict[Path, str] = {}
        for _ in range(args.rounds):
            for tree in args.trees:
                done = subprocess.run(
                    [sys.executable, __file__, "--worker", str(tree), str(pairs_file),
                     str(args.repeat)], capture_output=True, text=True)
                if done.returncode:
                    raise SystemExit(f"{tree}: the timing process failed:\n{done.stderr}")
                out = json.loads(done.stdout.strip().splitlines()[-1])
                for name, values in out["seconds"].items():
                    seconds[tree][name] += values
                passages[tree] = out["passages"]
                code[tree] = out["code"]

    with open("/proc/loadavg") as handle:
        load = handle.read().split()[0]
    lines = [
        "# The lexical batch aligner across source trees, same pairs, same run",
        "",
        f"Written by `python benchmarks/bench_align_history.py "
        f"{' '.join(sys.argv[1:])}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()}, load average {load} at the end.",
        "",
        f"{args.pairs} planted zipf pairs of `bench_align.py` (seed {args.seed}); "
        f"{args.rounds} rounds of one process per tree, {args.repeat} timed calls each: "
        "medians of CPU time. `align_batch` with `paraphrase=False` on all pairs in one call; "
        "rapidfuzz `Indel.opcodes` on each pair's token hashes, timed in the same process "
        "(a fixed C library: it shows how fast the machine was).",
        "",
        "| tree | commit | code | align_batch pairs/s | rapidfuzz pairs/s | "
        "align_batch / rapidfuzz | passages |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for tree in args.trees:
        ours = args.pairs / statistics.median(seconds[tree]["reuse"])
        peer = args.pairs / statistics.median(seconds[tree]["rapidfuzz"])
        lines.append(f"| `{tree}` | `{_commit(tree)}` | {code[tree]} | {ours:,.0f} | {peer:,.0f} | "
                     f"{ours / peer:.2f} | {passages[tree]:,} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
