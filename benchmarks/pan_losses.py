"""Where PlagDet is lost on a PAN text-alignment corpus, per category, from detection XML.

    .venv/bin/python benchmarks/eval_pan.py --jobs 1 --sample 300 --out /tmp/pan-tune
    .venv/bin/python benchmarks/pan_losses.py /tmp/pan-tune --sample 300

Recall is the mean over cases of the share of the case's characters (suspicious plus source)
detected, so ``1 - recall`` splits into cases *missed* (no detection touches them in both
documents), and the part of detected cases left out in the suspicious document and in the
source. Precision is the mean over detections of the share of their characters inside a case,
so ``1 - precision`` splits into *false positives* (detections touching no case) and the part
of the other detections lying outside every case, in the suspicious document and in the
source. Each loss is printed as its share of the category's recall or precision, so the three
parts of each add up to ``1 - recall`` and ``1 - precision``. Use the same ``--skip`` and
``--sample`` as the eval_pan.py run that wrote the detections.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from reuse.evaluate import PanSpan, pair_xml_name, read_pairs, read_pan_xml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "data" / "pan13-train"


def covered(spans: list[tuple[int, int]]) -> int:
    """Characters in the union of ``[start, end)`` spans."""
    total, reach = 0, -1
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def clipped(x: PanSpan, y: PanSpan) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The parts of ``x`` inside ``y`` in both documents, or None unless they overlap in both."""
    susp = (max(x.this_offset, y.this_offset), min(x.this_end, y.this_end))
    src = (max(x.source_offset, y.source_offset), min(x.source_end, y.source_end))
    return (susp, src) if susp[0] < susp[1] and src[0] < src[1] else None


def outside(spans: list[PanSpan], others: dict[tuple[str, str], list[PanSpan]]
            ) -> tuple[int, float, float]:
    """For ``spans`` against the ``others`` of their pair: how many touch none, and the summed
    share of each touching span's characters outside all of them, in the suspicious document
    and in the source."""
    alone, susp_out, src_out = 0, 0.0, 0.0
    for span in spans:
        parts = [part for other in others[(span.susp, span.src)]
                 if (part := clipped(span, other)) is not None]
        if not parts:
            alone += 1
            continue
        size = span.this_length + span.source_length
        susp_out += (span.this_length - covered([p[0] for p in parts])) / size
        src_out += (span.source_length - covered([p[1] for p in parts])) / size
    return alone, susp_out, src_out


def by_pair(spans: list[PanSpan]) -> dict[tuple[str, str], list[PanSpan]]:
    grouped: dict[tuple[str, str], list[PanSpan]] = defaultdict(list)
    for span in spans:
        grouped[(span.susp, span.src)].append(span)
    return grouped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("detections", type=Path, help="the --out folder of eval_pan.py")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument("--skip", type=int, default=0)
    parser.add_argument("--categories", nargs="+", default=None)
    args = parser.parse_args()
    categories = args.categories or sorted(
        folder.name for folder in args.detections.iterdir() if folder.is_dir())
    print("| category | cases | detections | missed | part left out (susp) | part left out (src) "
          "| false positives | outside cases (susp) | outside cases (src) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for category in categories:
        pairs = read_pairs(args.corpus / category)[args.skip:]
        pairs = pairs if args.sample is None else pairs[: args.sample]
        cases: list[PanSpan] = []
        found: list[PanSpan] = []
        for susp, src in pairs:
            name = pair_xml_name(susp, src)
            cases += read_pan_xml(args.corpus / category / name)
            if (args.detections / category / name).is_file():
                found += read_pan_xml(args.detections / category / name, "detected-plagiarism")
        missed, case_susp, case_src = outside(cases, by_pair(found))
        false, found_susp, found_src = outside(found, by_pair(cases))
        n_cases, n_found = max(len(cases), 1), max(len(found), 1)
        print(f"| {category} | {len(cases)} | {len(found)} | {missed / n_cases:.4f} ({missed}) | "
              f"{case_susp / n_cases:.4f} | {case_src / n_cases:.4f} | "
              f"{false / n_found:.4f} ({false}) | {found_susp / n_found:.4f} | "
              f"{found_src / n_found:.4f} |")


if __name__ == "__main__":
    main()
