"""--date-field, and metadata for a folder of .txt files from a metadata file keyed by id
(--metadata-file): nothing in it is ignored in silence. Issue 16, item 8."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import need_shared

import reuse
from reuse.cli.commands import main
from reuse.errors import ConfigError, InputError
from reuse.ingest import read_corpus
from reuse.runfolder.tables import read_manifest, read_table

SENTENCE = ("the committee said that its members would meet again next week to discuss the "
            "report on the harbour and the new road along the river and the old mill")
WORDS = SENTENCE.split()


def text(seed: int, n: int = 120, change: int | None = None) -> str:
    words = [WORDS[(seed * 7 + k * 3 + k * k) % len(WORDS)] + str(k % 11) for k in range(n)]
    if change is not None:
        words[change] = "CHANGED"
    return " ".join(words)


# a and b below are near-duplicates (Jaccard 0.87) whatever the LSH bands.
NEAR = ("--threshold", "0.7", "--verify", "exact")


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def folder(tmp_path):
    """a.txt and b.txt are near-duplicates (a the longer), c.txt is unrelated."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(text(1) + " and one more line at the end", encoding="utf-8")
    (docs / "b.txt").write_text(text(1, change=50), encoding="utf-8")
    (docs / "c.txt").write_text(text(5), encoding="utf-8")
    return docs


def kept(out) -> dict[str, str]:
    clusters = read_table(out, "clusters")
    return dict(zip(clusters["doc_id"], clusters["representative_id"], strict=True))


def test_a_metadata_file_dates_a_folder_of_txt_files(folder, tmp_path):
    # Without dates the longer a.txt is kept; the metadata file dates b.txt earlier.
    out = tmp_path / "plain"
    assert cli("dedup", str(folder), "--out", str(out), "-q", *NEAR).exit_code == 0
    assert kept(out)["b.txt"] == "a.txt"
    meta = tmp_path / "meta.csv"
    meta.write_text("id,date,source\na.txt,2001-05-01,herald\nb.txt,1999-01-31,courier\n",
                    encoding="utf-8")
    out = tmp_path / "dated"
    result = cli("dedup", str(folder), "--out", str(out), "--metadata-file", str(meta), *NEAR)
    assert result.exit_code == 0, result.output
    assert kept(out)["a.txt"] == "b.txt"
    rows = dict(line.strip().rsplit(None, 1) for line in result.stdout.splitlines()[1:])
    assert rows["metadata file rows"] == "2"
    assert rows["metadata ids not in the input"] == "0"
    assert rows["documents without a metadata row"] == "1"
    assert rows["documents with a date"] == "2"
    manifest = read_manifest(out)
    assert manifest["input"]["metadata_file"] == str(meta)
    assert (manifest["counts"]["metadata_rows"], manifest["counts"]["no_metadata"]) == (2, 1)
    corpus = read_corpus(folder, metadata_file=meta)
    assert corpus.metadata == [{"date": "2001-05-01", "source": "herald"},
                               {"date": "1999-01-31", "source": "courier"}, {}]


def test_the_fingerprint_covers_the_metadata_file(folder, tmp_path):
    meta = tmp_path / "meta.jsonl"
    meta.write_text('{"id": "a.txt", "date": "2001"}\n{"id": "b.txt", "date": "1999"}\n',
                    encoding="utf-8")
    out = tmp_path / "run"
    assert cli("run", str(folder), "--out", str(out), "-q", "--metadata-file",
               str(meta)).exit_code == 0
    assert cli("report", str(out)).exit_code == 0  # the report reads the metadata file again
    meta.write_text('{"id": "a.txt", "date": "1998"}\n{"id": "b.txt", "date": "1999"}\n',
                    encoding="utf-8")
    result = cli("report", str(out))
    assert result.exit_code == 4
    assert "changed since the run" in result.stderr


def test_an_id_that_is_no_document_is_an_error_or_counted(folder, tmp_path):
    meta = tmp_path / "meta.csv"
    meta.write_text("id,date\na.txt,2001\nb.txt,1999\nzzz.txt,2000\n", encoding="utf-8")
    result = cli("dedup", str(folder), "--out", str(tmp_path / "run"), "--metadata-file",
                 str(meta))
    assert result.exit_code == 3
    assert result.stderr == (
        f"reuse: error: {meta}:4: the id 'zzz.txt' is no document of the input (3 documents, "
        "such as 'a.txt'). Correct the id or remove the row (with --on-error skip such rows "
        "are counted instead)\n")
    out = tmp_path / "skip"
    result = cli("dedup", str(folder), "--out", str(out), "--metadata-file", str(meta),
                 "--on-error", "skip")
    assert result.exit_code == 0, result.output
    rows = dict(line.strip().rsplit(None, 1) for line in result.stdout.splitlines()[1:])
    assert rows["metadata ids not in the input"] == "1"
    manifest = read_manifest(out)
    assert manifest["counts"]["metadata_unmatched"] == 1
    assert manifest["input"]["metadata_unmatched"] == ["zzz.txt"]


@pytest.mark.parametrize(("content", "message"), [
    ("id,date\na.txt,2001\nb.txt\n",
     "{meta}:3: expected 2 fields, found 1 (a row of the metadata file; fix or remove it)"),
    ("id,date\na.txt,2001\na.txt,1999\n",
     "{meta}:3: the id 'a.txt' has a row already, at {meta}:2; a metadata file holds one row "
     "per document"),
    ("id,date\n,2001\n", "{meta}:2: no id in the column 'id' (a row of the metadata file; fix "
     "or remove it)"),
    ("name,date\na.txt,2001\n", "{meta}: no column 'id' in the header (columns: name, date); "
     "choose the id column with --id-field"),
    ("id,date\n", "{meta}: the metadata file has no rows"),
])
def test_a_bad_row_is_an_error_even_when_skipping(folder, tmp_path, content, message):
    meta = tmp_path / "meta.csv"
    meta.write_text(content, encoding="utf-8")
    result = cli("dedup", str(folder), "--out", str(tmp_path / "run"), "--metadata-file",
                 str(meta), "--on-error", "skip")
    assert (result.exit_code, result.stderr) == (
        3, "reuse: error: " + message.format(meta=meta) + "\n")


def test_a_field_given_twice_with_two_values_is_an_error(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps({"id": "a", "text": text(1), "source": "herald"}) + "\n",
                    encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text("id,source\na,courier\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_corpus(path, metadata_file=meta)
    assert str(raised.value) == (
        f"{meta}:2: the document 'a' has the field 'source' in the input already, with another "
        "value ('herald' there, 'courier' here); rename the column in one of them")
    meta.write_text("id,source\na,herald\n", encoding="utf-8")  # the same value is fine
    assert read_corpus(path, metadata_file=meta).metadata == [{"source": "herald"}]


def test_a_metadata_file_must_be_a_table(folder, tmp_path):
    meta = tmp_path / "meta.txt"
    meta.write_text("a.txt 2001\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"The 'metadata_file' .*meta\.txt is a \.txt file"):
        read_corpus(folder, metadata_file=meta)
    with pytest.raises(InputError, match=r"absent\.csv: no such metadata file"):
        read_corpus(folder, metadata_file=tmp_path / "absent.csv")


# --- --date-field ------------------------------------------------------------------------


@pytest.fixture
def dated_jsonl(tmp_path):
    """a and b are near-duplicates; a has a 'date', both have a 'published' date (b earlier)."""
    path = tmp_path / "docs.jsonl"
    records = [
        {"id": "a", "text": text(1), "date": "1990-01-01", "published": "2001-05-01"},
        {"id": "b", "text": text(1, change=50), "published": "1999-01-31"},
        {"id": "c", "text": text(5)},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_date_field_names_the_field_that_dates_documents(dated_jsonl, tmp_path):
    default = reuse.run(dated_jsonl, threshold=0.7, verify="exact")
    chosen = reuse.run(dated_jsonl, threshold=0.7, verify="exact", date_field="published")
    keep = dict(zip(default.clusters["doc_id"], default.clusters["representative_id"],
                    strict=True))
    assert keep["b"] == "a"  # the 'date' field: only a is dated
    keep = dict(zip(chosen.clusters["doc_id"], chosen.clusters["representative_id"],
                    strict=True))
    assert keep["a"] == "b"  # 'published': b is the earlier
    sources = chosen.passages[chosen.passages["is_source"]]["doc_id"].unique().tolist()
    assert sources == ["b"]
    assert chosen.config.date_field == "published"
    assert chosen.counts["dated_documents"] == 2
    out = tmp_path / "run"
    result = cli("run", str(dated_jsonl), "--out", str(out), "-q", "--date-field", "published")
    assert result.exit_code == 0, result.output
    manifest = read_manifest(out)
    assert manifest["config"]["date_field"] == "published"
    assert manifest["report"]["date_field"] == "published"


def test_a_date_field_no_document_has_is_a_config_error(dated_jsonl, tmp_path):
    result = cli("dedup", str(dated_jsonl), "--out", str(tmp_path / "run"), "--date-field",
                 "publised")
    assert result.exit_code == 2
    assert result.stderr == (
        "reuse: error: The 'date_field' parameter of dedup names 'publised', which is in no "
        "document's metadata. Fields present: 'date', 'published'.\n")


def test_clough_stevenson_grouped_by_its_labels(tmp_path):
    data = need_shared("clough-stevenson") / "data"
    out = tmp_path / "run"
    result = cli("run", str(data), "--out", str(out), "--quiet", "--encoding", "auto",
                 "--metadata-file", str(data / "file_information.csv"), "--id-field", "File",
                 "--group-by", "Category")
    assert result.exit_code == 0, result.output
    manifest = read_manifest(out)
    assert (manifest["counts"]["metadata_rows"], manifest["counts"]["no_metadata"]) == (100, 0)
    groups = pd.read_csv(out / "group_matrix.csv", index_col=0)
    assert sorted(groups.index) == ["cut", "heavy", "light", "non", "orig"]
    # Cut-and-paste answers reuse more of the sources than the non-plagiarised ones.
    assert groups.loc["cut", "orig"] > 3 * groups.loc["non", "orig"]


@pytest.mark.parametrize(("name", "content", "line"), [
    ("meta.csv", "id,text\na,OVERRIDDEN\n", 2),
    # A JSON row of an id and a text only, the shape of a document's record.
    ("meta.jsonl", '{"id": "a", "text": "OVERRIDDEN"}\n', 1),
])
def test_a_metadata_column_named_like_the_text_field_is_an_error(tmp_path, name, content, line):
    from reuse.errors import InputError
    from reuse.ingest import read_corpus

    source = tmp_path / "in.csv"
    source.write_text("id,text\na,hello world this is the text\n", encoding="utf-8")
    meta = tmp_path / name
    meta.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=rf"{re.escape(name)}:{line}: the metadata file has a "
                       r"column 'text', the name of the text field; a metadata file cannot "
                       r"replace a text"):
        read_corpus(source, metadata_file=meta)


def test_a_metadata_file_dates_a_jsonl_file_that_dedup_does_not_keep_the_texts_of(folder,
                                                                                    tmp_path):
    # dedup reads a JSONL file in parts without keeping its texts; the fingerprint of the
    # metadata-file fields reads the dated documents' texts back from the file.
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps({"id": path.name, "text": path.read_text("utf-8")})
                              + "\n" for path in sorted(folder.iterdir())), encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text("id,date\na.txt,2001-05-01\nb.txt,1999-01-31\n", encoding="utf-8")
    outs = {}
    for name, extra in (("dropped", ()), ("kept", ("--write-kept", str(tmp_path / "kept.jsonl")))):
        outs[name] = tmp_path / name
        result = cli("dedup", str(source), "--out", str(outs[name]), "-q", "--metadata-file",
                     str(meta), "--workers", "2", *NEAR, *extra)
        assert result.exit_code == 0, result.output
        assert kept(outs[name])["a.txt"] == "b.txt"
    fingerprints = [read_manifest(out)["input"]["fingerprint"] for out in outs.values()]
    assert fingerprints[0] == fingerprints[1] == "sha256:" + read_corpus(
        source, metadata_file=meta).fingerprint()
