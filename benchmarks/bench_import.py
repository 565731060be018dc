"""What ``import reuse`` costs a fresh process: wall clock of cold interpreters, and the modules
it loads. Issue 12 asks for at most 0.25 s, with the heavy libraries loaded on first use. A row
also times a whole ``reuse dedup seeds --workers 1 --quiet`` (tables written), whose cost on a
small corpus is mostly its imports.

    .venv/bin/python benchmarks/bench_import.py                 # 10 processes per row
    .venv/bin/python benchmarks/bench_import.py --runs 20 --compare ../other-checkout

Each row starts a new interpreter ``--runs`` times (the rows take turns, so that a load spike
hits all of them alike) and reports the median and fastest wall clock, including the
interpreter's own start; ``python -c pass`` is the floor. ``--compare`` adds the rows of
another checkout of reuse (say the commit before a change), named by its git commit. Writes
``benchmarks/results_import.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "pandas", "scipy", "pyarrow", "sklearn", "datasketch", "tqdm", "click",
         "rapidfuzz")
REPORT_MODULES = (
    "import sys\n"
    f"heavy = {HEAVY!r}\n"
    "print(','.join(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in heavy})"
    " or ['none']))"
)


def commit(root: Path) -> str:
    done = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "reuse"],
                           capture_output=True, text=True).stdout.strip()
    return (done.stdout.strip() or "unknown") + (" + changes" if dirty else "")


def dedup_command(out: Path) -> str:
    """Python code that runs ``reuse dedup seeds`` as the command line does, into ``out``."""
    argv = ["reuse", "dedup", str(ROOT / "seeds"), "--out", str(out), "--workers", "1",
            "--quiet"]
    return (f"import sys\nsys.argv = {argv!r}\nfrom reuse.cli.command import main\n"
            "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n")


def rows(root: Path, label: str, scratch: Path) -> list[tuple[str, str, Path | None]]:
    found = [
        (f"`import reuse` ({label})", "import reuse", root),
        (f"`import reuse.pipeline` ({label}; what `reuse.dedup` loads on first use)",
         "import reuse.pipeline", root),
        (f"`reuse dedup seeds --workers 1 --quiet` ({label}; the whole command)",
         dedup_command(scratch / f"run-{label.split()[0]}"), root),
    ]
    if '"Config"' in (root / "reuse" / "__init__.py").read_text(encoding="utf-8"):
        found.insert(1, (f"`import reuse; reuse.Config().replace(threshold=0.9)` ({label})",
                         "import reuse; reuse.Config().replace(threshold=0.9)", root))
    return found


def wall(code: str, root: Path | None) -> float:
    env = dict(os.environ)
    if root is not None:
        env["PYTHONPATH"] = str(root)
    start = time.perf_counter()
    # Not from the project folder: ``python -c`` puts the working folder first on the path.
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                   cwd=tempfile.gettempdir())
    return time.perf_counter() - start


def loaded(code: str, root: Path | None) -> str:
    env = dict(os.environ)
    if root is not None:
        env["PYTHONPATH"] = str(root)
    done = subprocess.run([sys.executable, "-c", code + "\n" + REPORT_MODULES], env=env,
                          check=True, capture_output=True, text=True, cwd=tempfile.gettempdir())
    return done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--compare", type=Path, default=None,
                        help="another checkout of reuse to measure beside this one")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-import-"))
    table = [("`python -c pass` (the interpreter alone)", "pass", None)]
    table += rows(ROOT, commit(ROOT), scratch)
    if args.compare is not None:
        table += rows(args.compare.resolve(), commit(args.compare.resolve()), scratch)
    table += [("`import pandas` (peer)", "import pandas", None),
              ("`import datasketch` (peer)", "import datasketch", None)]
    times: dict[str, list[float]] = {name: [] for name, _, _ in table}
    for _, code, root in table:  # warm the file cache once
        wall(code, root)
    for _ in range(args.runs):
        for name, code, root in table:
            times[name].append(wall(code, root))
    floor = statistics.median(times[table[0][0]])
    lines = [
        "# Cost of `import reuse` in a fresh process",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_import.py --runs {args.runs}"
        + (" --compare OTHER_CHECKOUT" if args.compare else "") + "`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f} at the end. "
        f"{args.runs} cold processes per row, rows taking turns; wall clock of the whole "
        "process, interpreter start included. Target (issue 12): `import reuse` at most 0.25 s.",
        "",
        "| what | median s | fastest s | median minus `python -c pass` s | heavy modules loaded |",
        "|---|---|---|---|---|",
    ]
    for name, code, root in table:
        median = statistics.median(times[name])
        lines.append(f"| {name} | {median:.3f} | {min(times[name]):.3f} | {median - floor:.3f} "
                     f"| {loaded(code, root)} |")
    shutil.rmtree(scratch, ignore_errors=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        (ROOT / "benchmarks" / "results_import.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
