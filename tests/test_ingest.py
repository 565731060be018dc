"""ingest: every input format, every record accounted for, and errors that name the record."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import need_shared

from reuse.errors import ConfigError, InputError
from reuse.ingest import Corpus, read_corpus, write_corpus
from reuse.pipeline import dedup

RECORDS = [
    {"id": "n1", "text": "Première ligne.\nSecond line — with “quotes”.", "date": "2020-01-01",
     "source": "wire"},
    {"id": "n2", "text": "", "date": "2020-01-02", "source": "blog"},
    {"id": "n3", "text": "   \n\t ", "date": "2020-01-03", "source": "wire"},
    {"id": "n4", "text": "Line one\r\nline two, with a comma and a \"quote\"\ttab",
     "date": "2021-06-30", "source": "paper"},
]


def _write_jsonl(path: Path, records: list[dict], *, compress: bool = False) -> Path:
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if compress:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(lines)
    else:
        path.write_text(lines, encoding="utf-8")
    return path


def _write_table(path: Path, records: list[dict]) -> Path:
    frame = pd.DataFrame(records)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, sep="\t" if path.suffix == ".tsv" else ",")
    return path


def _assert_records(corpus: Corpus, fmt: str) -> None:
    assert corpus.input_format == fmt
    assert corpus.ids == [r["id"] for r in RECORDS]
    assert corpus.texts == [r["text"] for r in RECORDS]
    assert corpus.metadata == [{"date": r["date"], "source": r["source"]} for r in RECORDS]
    assert corpus.skipped == []
    assert corpus.n_read == 4


# --- formats ----------------------------------------------------------------------------------


def test_txt_folder_is_recursive_with_relative_posix_ids(tmp_path):
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / "a.txt").write_text("alpha", encoding="utf-8")
    (tmp_path / "b" / "deep" / "c.txt").write_text("gamma", encoding="utf-8")
    (tmp_path / "b" / "B.TXT").write_text("beta", encoding="utf-8")
    (tmp_path / "b" / "notes.md").write_text("not a document", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "bom.txt").write_bytes("\ufeffwith a BOM".encode())
    (tmp_path / "utf16.txt").write_bytes("UTF-16 text".encode("utf-16"))
    (tmp_path / "crlf.txt").write_bytes(b"one\r\ntwo\r\n")
    corpus = read_corpus(tmp_path)
    assert corpus.ids == [
        "a.txt", "b/B.TXT", "b/deep/c.txt", "bom.txt", "crlf.txt", "empty.txt", "utf16.txt",
    ]
    assert corpus.texts == [
        "alpha", "beta", "gamma", "with a BOM", "one\r\ntwo\r\n", "", "UTF-16 text",
    ]
    assert corpus.metadata == [{}] * 7
    assert corpus.origins[2] == str(tmp_path / "b" / "deep" / "c.txt")
    assert read_corpus(tmp_path).ids == corpus.ids  # deterministic


def test_single_txt_file(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("just one", encoding="utf-8")
    corpus = read_corpus(path)
    assert (corpus.ids, corpus.texts, corpus.input_format) == (["one.txt"], ["just one"], "txt")


def test_folder_without_txt_files(tmp_path):
    (tmp_path / "x.md").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=r": no \.txt files in this folder\. Point reuse at"):
        read_corpus(tmp_path)


@pytest.mark.parametrize("name", ["docs.jsonl", "docs.ndjson", "docs.jsonl.gz"])
def test_jsonl(tmp_path, name):
    path = _write_jsonl(tmp_path / name, RECORDS, compress=name.endswith(".gz"))
    corpus = read_corpus(path)
    _assert_records(corpus, "jsonl")
    assert corpus.origins == [f"{path}:{k}" for k in range(1, 5)]


def test_jsonl_blank_lines_are_not_records(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": "a", "text": "x"}\n\n   \n{"id": "b", "text": "y"}\n', encoding="utf-8")
    corpus = read_corpus(path)
    assert corpus.ids == ["a", "b"]
    assert corpus.origins == [f"{path}:1", f"{path}:4"]


@pytest.mark.parametrize("name", ["docs.csv", "docs.tsv", "docs.parquet"])
def test_tables(tmp_path, name):
    path = _write_table(tmp_path / name, RECORDS)
    # pandas quotes a TSV field holding a tab or a line break: a quoted TSV is read with
    # quoting="csv" (the TSV default is literal fields).
    quoting = "csv" if name.endswith(".tsv") else None
    _assert_records(read_corpus(path, quoting=quoting), name.rsplit(".", 1)[1])


def test_csv_document_longer_than_the_csv_module_default_limit(tmp_path):
    text = "word " * 60_000  # 300k characters, over csv's default 128 KiB field limit
    path = _write_table(tmp_path / "long.csv", [{"id": "long", "text": text}])
    assert read_corpus(path).texts == [text]


def test_csv_origin_is_the_first_line_of_a_multiline_record(tmp_path):
    path = tmp_path / "docs.csv"
    path.write_text('id,text\na,"one\ntwo"\nb\n', encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"{path}:4: expected 2 fields, found 1")):
        read_corpus(path)
    corpus = read_corpus(path, on_error="skip")
    assert corpus.origins == [f"{path}:2"]
    assert corpus.skipped == [
        {"origin": f"{path}:4", "reason": "ragged_row", "detail": "expected 2 fields, found 1"}
    ]


def test_custom_id_and_text_fields(tmp_path):
    records = [{"key": 7, "body": "seven", "id": "meta-id"}, {"key": 8, "body": "eight"}]
    jsonl = _write_jsonl(tmp_path / "custom.jsonl", records)
    corpus = read_corpus(jsonl, id_field="key", text_field="body")
    assert corpus.ids == ["7", "8"]  # integer ids become strings
    assert corpus.texts == ["seven", "eight"]
    assert corpus.metadata == [{"id": "meta-id"}, {}]
    csv_path = _write_table(tmp_path / "custom.csv", records)
    assert read_corpus(csv_path, id_field="key", text_field="body").texts == ["seven", "eight"]
    with pytest.raises(
        InputError,
        match=r"no column 'text' in the header \(columns: key, body, id\); choose columns with "
        r"--id-field and --text-field",
    ):
        read_corpus(csv_path, id_field="key")
    parquet = _write_table(tmp_path / "custom.parquet", records)
    with pytest.raises(InputError, match=r"no column 'doc' \(columns: key, body, id\)"):
        read_corpus(parquet, id_field="doc", text_field="body")


def test_metadata_travels_to_the_pipeline(tmp_path):
    path = _write_jsonl(tmp_path / "docs.jsonl", RECORDS)
    frame = read_corpus(path).metadata_frame()
    assert frame.columns.tolist() == ["doc_id", "date", "source"]
    assert frame["source"].tolist() == ["wire", "blog", "wire", "paper"]


def test_unknown_format_and_missing_path(tmp_path):
    odd = tmp_path / "docs.xlsx"
    odd.write_bytes(b"x")
    with pytest.raises(InputError, match=r"docs\.xlsx: unknown input format\. Expected a folder"):
        read_corpus(odd)
    with pytest.raises(InputError, match=r"nothing-here: no such file or folder"):
        read_corpus(tmp_path / "nothing-here")
    with pytest.raises(
        ConfigError,
        match=r"The 'on_error' parameter of read_corpus must be one of 'raise', 'skip'\. "
        r"Got 'ignore' instead\.",
    ):
        read_corpus(tmp_path, on_error="ignore")


# --- bad records ------------------------------------------------------------------------------


def test_invalid_utf8_in_a_real_file_names_file_and_line(tmp_path):
    source = need_shared("clough-stevenson") / "data" / "g1pB_taskd.txt"
    (tmp_path / "good.txt").write_text("fine text", encoding="utf-8")
    bad = tmp_path / "g1pB_taskd.txt"
    bad.write_bytes(source.read_bytes())  # a temporary copy, so the folder has one good file
    with pytest.raises(
        InputError,
        match=re.escape(
            f"{bad}: line 1, column 6: invalid UTF-8 (byte 0x92) "
            "(use --on-error skip to skip such records)"
        ),
    ):
        read_corpus(tmp_path)
    corpus = read_corpus(tmp_path, on_error="skip")
    assert corpus.ids == ["good.txt"]
    assert corpus.skipped == [
        {"origin": str(bad), "reason": "invalid_utf8",
         "detail": "line 1, column 6: invalid UTF-8 (byte 0x92)"}
    ]
    assert corpus.n_read == 2


def test_clough_stevenson_folder_skips_its_17_legacy_encoded_files():
    folder = need_shared("clough-stevenson") / "data"
    corpus = read_corpus(folder, on_error="skip")
    assert len(corpus.skipped) == 17
    assert {s["reason"] for s in corpus.skipped} == {"invalid_utf8"}
    assert len(corpus) == 83
    result = dedup(corpus, threshold=0.5)
    assert result.counts["read"] == 100
    assert result.counts["skipped"] == 17
    assert result.counts["read"] == (
        result.counts["compared"] + result.counts["too_short"] + result.counts["skipped"]
    )


def test_invalid_utf8_in_jsonl_and_csv(tmp_path):
    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_bytes(b'{"id": "a", "text": "ok"}\n{"id": "b", "text": "caf\xe9"}\n')
    with pytest.raises(
        InputError,
        match=re.escape(f"{jsonl}:2: column 25: invalid UTF-8 (byte 0xe9) (use --on-error skip"),
    ):
        read_corpus(jsonl)
    corpus = read_corpus(jsonl, on_error="skip")
    assert corpus.ids == ["a"]
    assert [s["reason"] for s in corpus.skipped] == ["invalid_utf8"]
    assert corpus.skipped[0]["origin"] == f"{jsonl}:2"

    csv_path = tmp_path / "bad.csv"
    csv_path.write_bytes(b"id,text\na,ok\nb,caf\xe9\nc,fine\n")
    with pytest.raises(
        InputError, match=re.escape(f"{csv_path}: line 3, column 6: invalid UTF-8 (byte 0xe9)")
    ):
        read_corpus(csv_path)
    corpus = read_corpus(csv_path, on_error="skip")
    assert corpus.ids == ["a", "c"]
    assert corpus.skipped == [
        {"origin": f"{csv_path}:3", "reason": "invalid_utf8", "detail": "invalid UTF-8"}
    ]


def test_lone_surrogate_escape_in_jsonl_is_an_invalid_record(tmp_path):
    path = tmp_path / "surrogate.jsonl"
    path.write_text('{"id": "a", "text": "x\\ud800y"}\n{"id": "b", "text": "ok"}\n',
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"surrogate\.jsonl:1: the text field holds an unpaired"):
        read_corpus(path)
    corpus = read_corpus(path, on_error="skip")
    assert corpus.ids == ["b"]
    assert corpus.skipped[0]["reason"] == "invalid_unicode"


def test_binary_file_in_txt_folder(tmp_path):
    (tmp_path / "a.txt").write_text("text", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(InputError, match=r"b\.txt: binary file \(contains NUL bytes\), not text"):
        read_corpus(tmp_path)
    assert read_corpus(tmp_path, on_error="skip").skipped[0]["reason"] == "binary"


def test_duplicate_id_names_both_origins(tmp_path):
    path = _write_jsonl(
        tmp_path / "dup.jsonl", [{"id": "x", "text": "a"}, {"id": "y", "text": "b"},
                                 {"id": "x", "text": "c"}]
    )
    expected = re.escape(f"duplicate document id 'x': first at {path}:1, again at {path}:3")
    with pytest.raises(InputError, match=expected):
        read_corpus(path)
    # A duplicate id is never skipped: which copy to keep is the user's decision.
    with pytest.raises(InputError, match=expected):
        read_corpus(path, on_error="skip")
    csv_path = _write_table(tmp_path / "dup.csv", [{"id": 1, "text": "a"}, {"id": 1, "text": "b"}])
    with pytest.raises(
        InputError, match=re.escape(f"duplicate document id '1': first at {csv_path}:2, again at "
                                    f"{csv_path}:3")
    ):
        read_corpus(csv_path)


def test_malformed_jsonl_names_the_line(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text(
        '{"id": "a", "text": "ok"}\n{"id": "b", "text": "ok"}\n{"id": "c", "text": \n[1, 2]\n',
        encoding="utf-8",
    )
    with pytest.raises(
        InputError,
        match=re.escape(f"{path}:3: malformed JSON (Expecting value at column 21) "
                        "(use --on-error skip to skip such records)"),
    ):
        read_corpus(path)
    corpus = read_corpus(path, on_error="skip")
    assert corpus.ids == ["a", "b"]
    assert [(s["origin"], s["reason"]) for s in corpus.skipped] == [
        (f"{path}:3", "malformed_json"), (f"{path}:4", "not_an_object"),
    ]
    assert corpus.n_read == 4


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "docs.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"id": "a", "text": "x"}\n' * 50)[:-20])
    with pytest.raises(InputError, match=r"docs\.jsonl\.gz: corrupt or truncated gzip file"):
        read_corpus(path)


@pytest.mark.parametrize(
    ("record", "reason", "message"),
    [
        ({"text": "no id"}, "missing_id", r"missing id field 'id'"),
        ({"id": None, "text": "null id"}, "missing_id", r"missing id field 'id'"),
        ({"id": "a"}, "missing_text", r"missing text field 'text'"),
        ({"id": "a", "text": 5}, "bad_text", r"text field 'text' must be a string, not int"),
        ({"id": [1], "text": "x"}, "bad_id",
         r"id field 'id' must be a string or an integer, not list"),
        ({"id": True, "text": "x"}, "bad_id",
         r"id field 'id' must be a string or an integer, not bool"),
    ],
)
def test_missing_or_bad_fields(tmp_path, record, reason, message):
    path = _write_jsonl(tmp_path / "docs.jsonl", [{"id": "ok", "text": "fine"}, record])
    with pytest.raises(InputError, match=re.escape(f"{path}:2: ") + message):
        read_corpus(path)
    corpus = read_corpus(path, on_error="skip")
    assert corpus.ids == ["ok"]
    assert [(s["origin"], s["reason"]) for s in corpus.skipped] == [(f"{path}:2", reason)]


def test_empty_and_whitespace_documents_are_kept_and_reported_too_short(tmp_path):
    path = _write_jsonl(tmp_path / "docs.jsonl", RECORDS)
    result = dedup(path, ngram=3)
    assert result.documents["status"].tolist() == ["compared", "too_short", "too_short", "compared"]
    assert result.counts["too_short"] == 2
    assert result.clusters["doc_id"].tolist() == ["n1", "n2", "n3", "n4"]


# --- write_corpus round trips -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "out_name"),
    [
        ("in.jsonl", "out.jsonl"),
        ("in.jsonl.gz", "out.jsonl.gz"),
        ("in.csv", "out.csv"),
        ("in.tsv", "out.tsv"),
        ("in.parquet", "out.parquet"),
    ],
)
def test_write_corpus_round_trips_tables(tmp_path, name, out_name):
    source = tmp_path / name
    if "jsonl" in name:
        _write_jsonl(source, RECORDS, compress=name.endswith(".gz"))
    else:
        _write_table(source, RECORDS)
    quoting = "csv" if name.endswith(".tsv") else None  # pandas quotes its TSV
    corpus = read_corpus(source, quoting=quoting)
    keep = [True, False, True, True]
    target = tmp_path / "kept" / out_name
    assert write_corpus(corpus, keep, target) == 3
    again = read_corpus(target, quoting=quoting)
    assert again.input_format == corpus.input_format
    assert again.ids == ["n1", "n3", "n4"]
    assert again.texts == [RECORDS[i]["text"] for i in (0, 2, 3)]
    assert again.metadata == [corpus.metadata[i] for i in (0, 2, 3)]


def test_write_corpus_round_trips_txt_folder(tmp_path):
    source = tmp_path / "in"
    (source / "sub").mkdir(parents=True)
    texts = {"a.txt": "alpha\r\nline", "sub/b.txt": "", "sub/c.txt": "gamma  \n"}
    for name, text in texts.items():
        (source / name).write_bytes(text.encode("utf-8"))
    corpus = read_corpus(source)
    assert write_corpus(corpus, [True, True, False], tmp_path / "out") == 2
    again = read_corpus(tmp_path / "out")
    assert again.ids == ["a.txt", "sub/b.txt"]
    assert again.texts == ["alpha\r\nline", ""]


def test_write_corpus_refuses_ids_that_escape_the_folder(tmp_path):
    corpus = Corpus(ids=["../evil.txt"], texts=["x"], metadata=[{}], origins=["o"])
    with pytest.raises(InputError, match=r"document id '\.\./evil\.txt' would be written outside"):
        write_corpus(corpus, [True], tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_fingerprint_ignores_order_but_not_content():
    a = Corpus(ids=["x", "y"], texts=["1", "2"], metadata=[{}, {}], origins=["", ""])
    b = Corpus(ids=["y", "x"], texts=["2", "1"], metadata=[{}, {}], origins=["", ""])
    c = Corpus(ids=["x", "y"], texts=["1", "3"], metadata=[{}, {}], origins=["", ""])
    d = Corpus(ids=["x", "y1"], texts=["1", "2"], metadata=[{}, {}], origins=["", ""])
    e = Corpus(ids=["x", "y"], texts=["12", ""], metadata=[{}, {}], origins=["", ""])
    assert a.fingerprint() == b.fingerprint()
    assert len({a.fingerprint(), c.fingerprint(), d.fingerprint(), e.fingerprint()}) == 4
    assert re.fullmatch(r"[0-9a-f]{64}", a.fingerprint())


def test_write_corpus_keeps_parquet_metadata_types(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "id": ["a", "b", "c"],
        "text": ["x", "y", "z"],
        "year": pa.array([1999, None, 2001], pa.int64()),
        "tags": [["p"], [], None],
    })
    pq.write_table(table, tmp_path / "in.parquet")
    corpus = read_corpus(tmp_path / "in.parquet")
    assert corpus.metadata[1] == {"year": None, "tags": []}
    write_corpus(corpus, [True, True, False], tmp_path / "out.parquet")
    schema = pq.read_schema(tmp_path / "out.parquet")
    assert schema.field("year").type == pa.int64()
    assert schema.field("tags").type == pa.list_(pa.string())
    assert read_corpus(tmp_path / "out.parquet").metadata == corpus.metadata[:2]


def test_invalid_utf8_column_counts_characters_not_bytes(tmp_path):
    path = tmp_path / "accents.txt"
    path.write_bytes("première ligne\nça été".encode() + b"\xff rest")
    with pytest.raises(InputError, match=r"accents\.txt: line 2, column 7: invalid UTF-8 \(byte"):
        read_corpus(path)


def test_unreadable_file_is_an_input_error(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("text", encoding="utf-8")

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'a.txt'}: cannot read "
                                                    "(Permission denied)")):
        read_corpus(tmp_path)
