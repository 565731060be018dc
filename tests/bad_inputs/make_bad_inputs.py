"""Hostile and broken inputs for ``reuse``, each with its pinned outcome.

Nothing binary is committed: every input is generated from this script, at test time into
pytest's ``tmp_path`` (``tests/test_bad_input.py``), or by hand into a folder to look at::

    python tests/bad_inputs/make_bad_inputs.py /tmp/bad_inputs

Each :class:`BadInput` names the input that ``reuse run`` reads and what must happen:

* ``error``: the exact ``reuse: error: ...`` message (``{input}`` stands for the input path)
  and ``exit_code`` with the default ``--on-error raise``; ``None`` when the input is fine.
* ``skip_error``: the same with ``--on-error skip``, for what is never skipped (duplicate ids,
  a truncated file); ``None`` when the skip run succeeds.
* ``skipped``: the reasons in the ``skipped`` table of the skip run, in input order, and
  ``documents``/``too_short``: how many records are read as documents and how many of those
  are too short to compare. ``read = compared + too_short + skipped`` always holds.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Shared by the documents of a case so that passages and pair pages exist.
PARAGRAPH = (
    "The committee met on Tuesday to discuss the harbour project, which has been delayed "
    "twice since the spring because the contractor could not secure the steel it needs for "
    "the new pier, and members asked the council to publish the revised budget before the "
    "next public hearing in the autumn."
)
RIGHT_TO_LEFT_ID = "\u202eevil\u202c.txt\u200f"
HOSTILE_IDS = (
    "a/b/c",
    "../../outside",
    "/etc/passwd",
    "ctl\x01\x1b[31mred\x7f",
    "x" * 300,
    RIGHT_TO_LEFT_ID,
    "..",
    "tab\tnew\nline,\"quoted\"",
)
# Mixed scripts, combining characters (e + U+0301, Hangul jamo), emoji with zero-width joiners
# and skin-tone modifiers, a flag, and right-to-left text; text[start:end] must still be exact.
UNICODE_PASSAGE = (
    "Cafe\u0301 na\u0308ive \u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd "
    "\U0001f469\u200d\U0001f4bb and \U0001f468\U0001f3fd\u200d\U0001f692 met "
    "\u4e1c\u4eac\u7684\u670b\u53cb \u0928\u092e\u0938\u094d\u0924\u0947 "
    "\u1100\u1161\u11a8 \U0001f1fa\U0001f1e6 "
) + PARAGRAPH


@dataclass(frozen=True)
class BadInput:
    name: str
    build: Callable[[Path], Path]
    error: str | None = None
    exit_code: int = 0
    skip_error: str | None = None
    skipped: tuple[str, ...] = ()
    documents: int = 0
    too_short: int = 0

    @property
    def read(self) -> int:
        return self.documents + len(self.skipped)


def _folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def _jsonl(path: Path, records: list[object]) -> Path:
    lines = [json.dumps(r, ensure_ascii=False) if not isinstance(r, str) else r for r in records]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _good(n: int = 1) -> dict[str, bytes]:
    return {f"good{k}.txt": f"Document {k}. {PARAGRAPH}".encode() for k in range(n)}


def _parquet_bytes(records: list[dict[str, object]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(records), sink)
    return sink.getvalue()


def _gzip_bytes(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"), mtime=0)


def _links(root: Path) -> Path:
    """A corpus folder with a symlinked folder from outside it (read), a link back to itself
    (a loop: reported once), and a .txt link to nothing (reported)."""
    corpus = _folder(root / "corpus", _good())
    _folder(root / "outside", {"far.txt": f"Far away. {PARAGRAPH}".encode()})
    os.symlink("../outside", corpus / "linked")
    os.symlink(".", corpus / "loop")
    os.symlink("missing.txt", corpus / "dangling.txt")
    return corpus


def _byte_names(root: Path) -> Path:
    """File and folder names that are not UTF-8 (Latin-1 bytes)."""
    base = os.fsencode(root)
    os.mkdir(base + b"/d\xe9j\xe0")
    for name, data in ((b"/caf\xe9.txt", PARAGRAPH.encode()),
                       (b"/d\xe9j\xe0/bad.txt", b"not utf-8 \xff here")):
        with open(base + name, "wb") as handle:
            handle.write(data)
    return root


_TEN_JSONL = "".join(
    json.dumps({"id": f"d{k}", "text": f"Record {k}. {PARAGRAPH}"}) + "\n" for k in range(10)
)


CASES: tuple[BadInput, ...] = (
    # --- encodings ------------------------------------------------------------------------
    BadInput(
        "invalid_utf8",
        lambda d: _folder(d, {**_good(), "latin1.txt": "Caf\u00e9 au lait\n".encode("latin-1")}),
        error="{input}/latin1.txt: line 1, column 4: invalid UTF-8 (byte 0xe9) "
        "(use --on-error skip to skip such records)",
        exit_code=3, skipped=("invalid_utf8",), documents=1,
    ),
    BadInput(
        "invalid_utf8_second_line",
        lambda d: _folder(d, {**_good(), "cp1252.txt": b"fine first line\nit\x92s broken\n"}),
        error="{input}/cp1252.txt: line 2, column 3: invalid UTF-8 (byte 0x92) "
        "(use --on-error skip to skip such records)",
        exit_code=3, skipped=("invalid_utf8",), documents=1,
    ),
    BadInput(
        "utf16_with_bom",
        lambda d: _folder(d, {**_good(), "utf16.txt": "\ufeffhello from UTF-16".encode("utf-16-le"),
                              "utf16be.txt": "\ufeffbig endian".encode("utf-16-be")}),
        documents=3, too_short=2,
    ),
    BadInput(
        "utf16_truncated",
        lambda d: _folder(d, {**_good(), "odd.txt": "\ufeffodd".encode("utf-16-le") + b"x"}),
        error="{input}/odd.txt: invalid UTF-16 after a UTF-16 byte-order mark "
        "(use --on-error skip to skip such records)",
        exit_code=3, skipped=("invalid_utf16",), documents=1,
    ),
    BadInput(
        "utf8_bom",
        lambda d: _folder(d, {**_good(), "bom.txt": b"\xef\xbb\xbfhello with a BOM"}),
        documents=2, too_short=1,
    ),
    BadInput(
        "nul_bytes",
        lambda d: _folder(d, {**_good(), "nul.txt": b"text with a \x00 NUL byte"}),
        error="{input}/nul.txt: binary file (contains NUL bytes), not text "
        "(use --on-error skip to skip such records)",
        exit_code=3, skipped=("binary",), documents=1,
    ),
    BadInput(
        "binary_with_txt_suffix",
        lambda d: _folder(d, {**_good(), "image.txt": _parquet_bytes([{"id": "x", "text": "y"}]),
                              "random.txt": bytes(range(128, 256)) * 4}),
        error="{input}/image.txt: binary file (contains NUL bytes), not text "
        "(use --on-error skip to skip such records)",
        exit_code=3, skipped=("binary", "invalid_utf8"), documents=1,
    ),
    # --- degenerate documents ---------------------------------------------------------------
    BadInput(
        "empty_and_whitespace",
        lambda d: _folder(d, {**_good(), "empty.txt": b"", "blank.txt": " \n\t\r\n\u3000".encode(),
                              "nbsp.txt": "\u00a0\u2003\n".encode()}),
        documents=4, too_short=3,
    ),
    BadInput(
        "one_repeated_word",
        lambda d: _folder(d, {"same1.txt": b"buffalo " * 20_000, "same2.txt": b"buffalo " * 20_000,
                              "same3.txt": b"buffalo"}),
        documents=3, too_short=1,
    ),
    # --- records ----------------------------------------------------------------------------
    BadInput(
        "duplicate_ids_jsonl",
        lambda d: _jsonl(d / "dup.jsonl", [{"id": "x", "text": PARAGRAPH},
                                           {"id": "y", "text": "b"}, {"id": "x", "text": "c"}]),
        error="duplicate document id 'x': first at {input}:1, again at {input}:3",
        exit_code=3,
        skip_error="duplicate document id 'x': first at {input}:1, again at {input}:3",
    ),
    BadInput(
        "duplicate_ids_int_and_str",
        lambda d: _jsonl(d / "dup.jsonl", [{"id": 7, "text": PARAGRAPH}, {"id": "7", "text": "b"}]),
        error="duplicate document id '7': first at {input}:1, again at {input}:2",
        exit_code=3,
        skip_error="duplicate document id '7': first at {input}:1, again at {input}:2",
    ),
    BadInput(
        "missing_and_mistyped_fields",
        lambda d: _jsonl(d / "fields.jsonl", [
            {"id": "ok", "text": PARAGRAPH},
            {"text": "no id"},
            {"id": "no-text"},
            {"id": "number", "text": 42},
            {"id": "list", "text": ["a", "b"]},
            {"id": None, "text": "null id"},
            {"id": ["x"], "text": "list id"},
            {"id": True, "text": "bool id"},
            {"id": "null-text", "text": None},
        ]),
        error="{input}:2: missing id field 'id' (use --on-error skip to skip such records)",
        exit_code=3,
        skipped=("missing_id", "missing_text", "bad_text", "bad_text", "missing_id", "bad_id",
                 "bad_id", "missing_text"),
        documents=1,
    ),
    BadInput(
        "malformed_jsonl",
        lambda d: _jsonl(d / "broken.jsonl", [
            {"id": "a", "text": PARAGRAPH}, '{"id": "b", "text": "unterminated',
            "[1, 2, 3]", '"a string"', "", '{"id": "c", "text": "x"} trailing',
            {"id": "d", "text": "last"},
        ]),
        error="{input}:2: malformed JSON (Unterminated string starting at column 21) "
        "(use --on-error skip to skip such records)",
        exit_code=3,
        skipped=("malformed_json", "not_an_object", "not_an_object", "malformed_json"),
        documents=2, too_short=1,
    ),
    BadInput(
        "deeply_nested_json",
        lambda d: _jsonl(d / "deep.jsonl", [
            {"id": "a", "text": PARAGRAPH},
            '{"id": "b", "text": ' + "[" * 100_000 + "]" * 100_000 + "}",
        ]),
        error="{input}:2: JSON nested more than 100 levels deep "
        "(use --on-error skip to skip such records)",
        exit_code=3, skipped=("too_deep",), documents=1,
    ),
    BadInput(
        "ragged_csv",
        lambda d: _folder(d, {"ragged.csv": (
            f'id,text,source\na,"{PARAGRAPH}",wire\nb,too few\nc,x,y,too many\nd,"fine",daily\n'
        ).encode()}) / "ragged.csv",
        error="{input}:3: expected 3 fields, found 2 (use --on-error skip to skip such records)",
        exit_code=3, skipped=("ragged_row", "ragged_row"), documents=2, too_short=1,
    ),
    BadInput(
        "unclosed_quote_csv",
        lambda d: _folder(d, {"q.csv": (
            f"id,text\na,\"{PARAGRAPH}\"\nb,\"two\nc,three\nd,four\n").encode()}) / "q.csv",
        error="{input}:3: bad quoting: the file ends inside a quoted field (an unbalanced quote?) "
        "(use --on-error skip to skip such records)",
        exit_code=3, skipped=("bad_quoting",), documents=3, too_short=2,
    ),
    BadInput(
        "quote_in_a_literal_tsv",
        lambda d: _folder(d, {"q.tsv": (
            f"id\ttext\na\t\"Quoted opening never closed. {PARAGRAPH}\nb\tsecond row\n"
            "c\t\"Hello,\" she said\n").encode()}) / "q.tsv",
        documents=3, too_short=2,
    ),
    BadInput(
        "nul_byte_in_csv",
        lambda d: _folder(d, {"nul.csv": f"id,text\na,\"{PARAGRAPH}\"\nb,x\0y\n".encode()})
        / "nul.csv",
        error="{input}:3: binary data (contains NUL bytes), not text "
        "(use --on-error skip to skip such records)",
        exit_code=3, skipped=("binary",), documents=1,
    ),
    BadInput(
        "duplicate_header_column",
        lambda d: _folder(d, {"dup.csv": b"id,text,text\na,one,two\n"}) / "dup.csv",
        error="{input}:1: the header names the column 'text' twice; rename one of them",
        exit_code=3,
        skip_error="{input}:1: the header names the column 'text' twice; rename one of them",
    ),
    BadInput(
        "empty_gzip_file",
        lambda d: _folder(d, {"docs.jsonl.gz": b""}) / "docs.jsonl.gz",
        error="{input}: corrupt or truncated gzip file (an empty file is not gzip)",
        exit_code=3,
        skip_error="{input}: corrupt or truncated gzip file (an empty file is not gzip)",
    ),
    BadInput(
        "empty_jsonl",
        lambda d: _folder(d, {"docs.jsonl": b"\n\n"}) / "docs.jsonl",
        error="{input}: no records in this file; an empty input is an error (check the path)",
        exit_code=3,
        skip_error="{input}: no records in this file; an empty input is an error (check the path)",
    ),
    BadInput(
        "utf16_jsonl",
        lambda d: _folder(d, {"u16.jsonl": "\ufeff".encode("utf-16-le") + "".join(
            json.dumps({"id": f"d{k}", "text": f"{k}. {PARAGRAPH}"}) + "\n" for k in range(2)
        ).encode("utf-16-le") + '{"id": "bad", "text": "'.encode("utf-16-le") + b"\x00\xd8"
            + '"}\n'.encode("utf-16-le")}) / "u16.jsonl",
        error="{input}:3: column 24: invalid UTF-16 (use --on-error skip to skip such records)",
        exit_code=3, skipped=("invalid_utf16",), documents=2,
    ),
    BadInput(
        "deeply_nested_metadata",
        lambda d: _jsonl(d / "deep.jsonl", [
            {"id": "a", "text": PARAGRAPH},
            # Deeper than 100 levels, within what the JSON parser takes (a line nested past
            # Python's recursion limit is deeply_nested_json's error).
            '{"id": "b", "text": "x", "meta": ' + "[" * 150 + "]" * 150 + "}",
        ]),
        error="{input}:2: the metadata field 'meta' is nested more than 100 levels deep "
        "(use --on-error skip to skip such records)",
        exit_code=3, skipped=("too_deep",), documents=1,
    ),
    BadInput(
        "symbolic_links",
        _links,
        error="{input}/dangling.txt: a symbolic link to missing.txt, which cannot be followed "
        "(missing, or a loop) (use --on-error skip to skip such records)",
        exit_code=3, skipped=("broken_link", "duplicate_folder"), documents=2,
    ),
    BadInput(
        "names_not_utf8",
        _byte_names,
        error="{input}/d\\xe9j\\xe0/bad.txt: line 1, column 11: invalid UTF-8 (byte 0xff) "
        "(use --on-error skip to skip such records)",
        exit_code=3, skipped=("invalid_utf8",), documents=1,
    ),
    BadInput(
        "truncated_gzip",
        lambda d: _folder(d, {"docs.jsonl.gz": _gzip_bytes(_TEN_JSONL)[:-40]}) / "docs.jsonl.gz",
        error="{input}: corrupt or truncated gzip file (Compressed file ended before the "
        "end-of-stream marker was reached)",
        exit_code=3,
        skip_error="{input}: corrupt or truncated gzip file (Compressed file ended before the "
        "end-of-stream marker was reached)",
    ),
    BadInput(
        "not_gzip_at_all",
        lambda d: _folder(d, {"docs.jsonl.gz": _TEN_JSONL.encode()}) / "docs.jsonl.gz",
        error="{input}: corrupt or truncated gzip file (Not a gzipped file (b'{\"'))",
        exit_code=3,
        skip_error="{input}: corrupt or truncated gzip file (Not a gzipped file (b'{\"'))",
    ),
    BadInput(
        "truncated_parquet",
        lambda d: _folder(d, {"docs.parquet": _parquet_bytes(
            [{"id": f"d{k}", "text": PARAGRAPH} for k in range(10)])[:-100]}) / "docs.parquet",
        error="{input}: cannot read Parquet file (",
        exit_code=3,
        skip_error="{input}: cannot read Parquet file (",
    ),
    # --- hostile ids and Unicode --------------------------------------------------------------
    BadInput(
        "hostile_ids_jsonl",
        lambda d: _jsonl(d / "ids.jsonl", [
            {"id": doc_id, "text": f"Opening {k}. " + PARAGRAPH + f" Closing {k}."}
            for k, doc_id in enumerate(HOSTILE_IDS)
        ]),
        documents=len(HOSTILE_IDS),
    ),
    BadInput(
        "hostile_file_names",
        lambda d: _folder(d, {
            "ctl\x01\x1b[31m.txt": PARAGRAPH.encode(),
            "\u202eevil\u202c\u200f.txt": PARAGRAPH.encode(),
            "d" * 100 + "/" + "e" * 100 + "/" + "f" * 96 + ".txt": PARAGRAPH.encode(),
            "..dots...txt": PARAGRAPH.encode(),
            "sp ace\u00a0&<tag>\"'.txt": PARAGRAPH.encode(),
        }),
        documents=5,
    ),
    BadInput(
        "unicode_passage",
        lambda d: _jsonl(d / "unicode.jsonl", [
            {"id": "a", "text": "\U0001f600\u200d\u0301 Intro in \u0399\u03c3\u03c4\u03bf\u03c1"
             "\u03af\u03b1. " + UNICODE_PASSAGE + " \u0643\u0644\u0645\u0629 end."},
            {"id": "b", "text": "\u0928\u092e\u0938\u094d\u0915\u093e\u0930 other opening "
             "words here. " + UNICODE_PASSAGE + " \U0001f44d\U0001f3ff."},
        ]),
        documents=2,
    ),
    BadInput(
        "lone_surrogate_escape",
        lambda d: _jsonl(d / "surrogate.jsonl", [
            {"id": "a", "text": PARAGRAPH}, '{"id": "b\\udc80", "text": "x"}',
            '{"id": "c", "text": "\\ud800 lone"}',
        ]),
        error="{input}:2: the id field holds an unpaired surrogate (e.g. a lone \\ud800 escape), "
        "which is not valid Unicode (use --on-error skip to skip such records)",
        exit_code=3, skipped=("invalid_unicode", "invalid_unicode"), documents=1,
    ),
)


def make(root: Path, cases: tuple[BadInput, ...] = CASES) -> dict[str, Path]:
    """Write every case into its own folder under ``root``; returns name → the INPUT path."""
    inputs = {}
    for case in cases:
        folder = root / case.name
        folder.mkdir(parents=True, exist_ok=True)
        inputs[case.name] = case.build(folder)
    return inputs


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/bad_inputs/make_bad_inputs.py OUT_FOLDER")
    for name, path in make(Path(sys.argv[1])).items():
        print(f"{name}\t{path}")
