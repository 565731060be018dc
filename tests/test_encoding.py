"""--encoding: strict UTF-8 by default, a named codec for every file, or auto (UTF-8, else
windows-1252, counted and listed); a byte-order mark wins. Issue 16, item 7."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import need_shared

from reuse.cli.commands import main
from reuse.errors import ConfigError, InputError
from reuse.ingest import read_corpus
from reuse.runfolder.tables import read_manifest, read_table

WORDS = ("the committee said that its members would meet again next week to discuss the "
         "report on the harbour and the new road along the river ")
SKIP_HINT = " (use --on-error skip to skip such records)"

# The 17 Clough & Stevenson answers written in a legacy single-byte encoding.
CLOUGH_LEGACY = [
    "g1pB_taska.txt", "g1pB_taskb.txt", "g1pB_taskd.txt", "g2pA_taska.txt", "g2pA_taskb.txt",
    "g2pB_taska.txt", "g2pB_taskb.txt", "g2pB_taskc.txt", "g3pA_taska.txt", "g4pB_taskb.txt",
    "g4pB_taskd.txt", "g4pB_taske.txt", "g4pD_taskd.txt", "g4pD_taske.txt", "g4pE_taskb.txt",
    "g4pE_taskc.txt", "g4pE_taskd.txt",
]


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# --- the Clough & Stevenson corpus ----------------------------------------------------------


def test_clough_stevenson_loses_17_files_to_strict_utf8():
    data = need_shared("clough-stevenson") / "data"
    with pytest.raises(InputError, match=r"g1pB_taska\.txt: line \d+, column \d+: invalid UTF-8 "
                                         r"\(byte 0x92\)"):
        read_corpus(data)
    corpus = read_corpus(data, on_error="skip")
    assert (len(corpus), len(corpus.skipped)) == (83, 17)


def test_clough_stevenson_reads_whole_with_encoding_auto(tmp_path):
    data = need_shared("clough-stevenson") / "data"
    out = tmp_path / "run"
    result = cli("run", str(data), "--out", str(out), "--encoding", "auto")
    assert result.exit_code == 0, result.output
    rows = dict(line.strip().rsplit(None, 1) for line in result.stdout.splitlines()[1:18]
                if not line.strip().startswith("decoded as windows-1252:"))
    assert (rows["documents read"], rows["skipped (bad records)"]) == ("100", "0")
    assert rows["decoded as windows-1252"] == "17"
    # The summary names them, never silently.
    assert "  decoded as windows-1252: g1pB_taska.txt, g1pB_taskb.txt, g1pB_taskd.txt, " \
           "g2pA_taska.txt, g2pA_taskb.txt, …" in result.stdout.splitlines()
    manifest = read_manifest(out)
    assert manifest["input"]["encoding"] == "auto"
    assert manifest["input"]["decoded_with_fallback"] == CLOUGH_LEGACY
    assert manifest["counts"]["decoded_with_fallback"] == 17
    assert manifest["counts"]["read"] == 100 and manifest["counts"]["skipped"] == 0
    # 0x92 is a right single quotation mark in windows-1252.
    corpus = read_corpus(data, encoding="auto")
    text = corpus.texts[corpus.ids.index("g1pB_taska.txt")]
    assert "\u2019" in text and "\x92" not in text
    assert corpus.decoded_with_fallback == CLOUGH_LEGACY
    # The report read the input again with the same encoding (the fingerprint matched).
    assert (out / "html" / "index.html").exists()
    assert len(read_table(out, "documents")) == 100


def test_clough_stevenson_with_one_codec_for_every_file_names_the_utf8_one():
    data = need_shared("clough-stevenson") / "data"
    # Most answers are UTF-8: their curly quotes (E2 80 9D) are not windows-1252 (0x9D is
    # undefined there), so a named codec applies to every file and fails on the first.
    with pytest.raises(InputError) as raised:
        read_corpus(data, encoding="cp1252")
    assert str(raised.value) == (
        f"{data}/g0pA_taska.txt: line 6, column 16: invalid cp1252 (byte 0x9d){SKIP_HINT}")


# --- synthetic files ------------------------------------------------------------------------


def _folder(tmp_path, files: dict[str, bytes]):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def test_a_named_codec_decodes_every_file(tmp_path):
    folder = _folder(tmp_path, {
        "a.txt": ("Caf\u00e9 cr\u00e8me, na\u00efve " + WORDS).encode("latin-1"),
        "b.txt": ("It\u2019s \u201cquoted\u201d " + WORDS).encode("cp1252"),
    })
    with pytest.raises(InputError, match=r"a\.txt: line 1, column 4: invalid UTF-8 \(byte 0xe9\)"):
        read_corpus(folder)
    latin = read_corpus(folder, encoding="latin-1")
    assert latin.texts[0].startswith("Caf\u00e9 cr\u00e8me, na\u00efve ")
    assert latin.encoding == "iso8859-1"  # the codec's canonical name
    assert latin.decoded_with_fallback == []
    cp1252 = read_corpus(folder, encoding="windows-1252")
    assert cp1252.texts[1].startswith("It\u2019s \u201cquoted\u201d ")
    assert cp1252.encoding == "cp1252"


def test_auto_keeps_utf8_and_falls_back_per_document(tmp_path):
    folder = _folder(tmp_path, {
        "a.txt": ("It\u2019s UTF-8 " + WORDS).encode("utf-8"),
        "b.txt": ("It\u2019s cp1252 " + WORDS).encode("cp1252"),
        # Bytes that Python's cp1252 leaves undefined decode as the C1 controls (WHATWG), so
        # auto never fails.
        "c.txt": b"odd \x81\x8d\x8f\x90\x9d bytes " + WORDS.encode(),
    })
    corpus = read_corpus(folder, encoding="auto")
    assert corpus.texts[0].startswith("It\u2019s UTF-8 ")
    assert corpus.texts[1].startswith("It\u2019s cp1252 ")
    assert corpus.texts[2].startswith("odd \x81\x8d\x8f\x90\x9d bytes ")
    assert corpus.decoded_with_fallback == ["b.txt", "c.txt"]


def test_a_byte_order_mark_overrides_the_encoding(tmp_path):
    folder = _folder(tmp_path, {
        "bom8.txt": b"\xef\xbb\xbf" + ("Stra\u00dfe " + WORDS).encode("utf-8"),
        "bom16.txt": ("Stra\u00dfe " + WORDS).encode("utf-16"),
    })
    corpus = read_corpus(folder, encoding="cp1252")
    assert [t[:7] for t in corpus.texts] == ["Stra\u00dfe ", "Stra\u00dfe "]


def test_utf16_without_a_bom_and_nul_bytes_are_text_there(tmp_path):
    folder = _folder(tmp_path, {"wide.txt": ("Wide text " + WORDS).encode("utf-16-le")})
    with pytest.raises(InputError, match="binary file"):
        read_corpus(folder)
    corpus = read_corpus(folder, encoding="utf-16-le")
    assert corpus.texts == ["Wide text " + WORDS]
    jsonl = tmp_path / "wide.jsonl"
    jsonl.write_bytes((json.dumps({"id": "w", "text": "Wide \u00e9"}, ensure_ascii=False)
                       + "\n").encode("utf-16-le"))
    assert read_corpus(jsonl, encoding="utf-16-le").texts == ["Wide \u00e9"]


def test_jsonl_and_csv_decode_per_record(tmp_path):
    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_bytes(
        json.dumps({"id": "u", "text": "caf\u00e9 utf8"}, ensure_ascii=False).encode() + b"\n"
        + json.dumps({"id": "w", "text": "caf\u00e9 \u2019"}, ensure_ascii=False).encode("cp1252")
        + b"\n")
    with pytest.raises(InputError, match=r"docs\.jsonl:2: column 25: invalid UTF-8 \(byte 0xe9\)"):
        read_corpus(jsonl)
    corpus = read_corpus(jsonl, encoding="auto")
    assert corpus.texts == ["caf\u00e9 utf8", "caf\u00e9 \u2019"]
    assert corpus.decoded_with_fallback == ["w"]

    csv = tmp_path / "docs.csv"
    csv.write_bytes("id,text,source\nu,caf\u00e9 utf8,s\u00fcd\n".encode()
                    + "w,caf\u00e9 \u2019,s\u00fcd\n".encode("cp1252"))
    corpus = read_corpus(csv, encoding="auto")
    assert corpus.texts == ["caf\u00e9 utf8", "caf\u00e9 \u2019"]
    assert corpus.metadata == [{"source": "s\u00fcd"}, {"source": "s\u00fcd"}]
    assert corpus.decoded_with_fallback == ["w"]


def test_a_byte_invalid_in_the_named_codec_is_a_bad_record(tmp_path):
    csv = tmp_path / "docs.csv"
    csv.write_bytes(b"id,text\na,fine\nb,bad \x81 byte\nc,fine too\n")
    with pytest.raises(InputError) as raised:
        read_corpus(csv, encoding="cp1252")
    assert str(raised.value) == (
        f"{csv}: line 3, column 7: invalid cp1252 (byte 0x81){SKIP_HINT}")
    corpus = read_corpus(csv, encoding="cp1252", on_error="skip")
    assert corpus.ids == ["a", "c"]
    assert list(corpus.skipped) == [
        {"origin": f"{csv}:3", "reason": "invalid_encoding", "detail": "invalid cp1252"}]
    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_bytes(b'{"id": "a", "text": "x"}\n{"id": "b", "text": "\x81"}\n')
    corpus = read_corpus(jsonl, encoding="cp1252", on_error="skip")
    assert list(corpus.skipped) == [{"origin": f"{jsonl}:2", "reason": "invalid_encoding",
                                     "detail": "column 22: invalid cp1252 (byte 0x81)"}]


@pytest.mark.parametrize(("encoding", "message"), [
    ("klingon", "The 'encoding' parameter of dedup must be 'utf-8', 'auto' or the name of a "
     "Python text codec (such as 'cp1252', 'latin-1', 'shift_jis', 'utf-16-le'). "
     "Got 'klingon' instead."),
    ("base64", "The 'encoding' parameter of dedup must be 'utf-8', 'auto' or the name of a "
     "Python text codec (such as 'cp1252', 'latin-1', 'shift_jis', 'utf-16-le'). "
     "Got 'base64' instead."),
    *((name, "The 'encoding' parameter of dedup must be 'utf-8', 'auto' or the name of a "
       "Python text codec (such as 'cp1252', 'latin-1', 'shift_jis', 'utf-16-le'). "
       f"Got {name!r} instead.") for name in ("undefined", "idna")),
])
def test_an_unknown_encoding_is_a_config_error(tmp_path, encoding, message):
    folder = _folder(tmp_path, {"a.txt": WORDS.encode()})
    result = cli("dedup", str(folder), "--out", str(tmp_path / "run"), "--encoding", encoding)
    assert (result.exit_code, result.stderr) == (2, f"reuse: error: {message}\n")
    assert not (tmp_path / "run").exists() or not (tmp_path / "run" / "manifest.json").exists()


def test_parquet_is_always_utf8(tmp_path):
    path = tmp_path / "docs.parquet"
    pd.DataFrame({"id": ["a"], "text": [WORDS]}).to_parquet(path)
    with pytest.raises(ConfigError, match=r"The 'encoding' parameter applies to \.txt, JSONL and "
                                          r"CSV/TSV input; Parquet .* always holds UTF-8"):
        read_corpus(path, encoding="auto")
    assert read_corpus(path, encoding="utf-8").texts == [WORDS]


def test_the_encoding_reaches_the_manifest_and_the_report(tmp_path):
    folder = _folder(tmp_path, {
        "a.txt": ("Caf\u00e9 " + WORDS * 3).encode("latin-1"),
        "b.txt": ("Caf\u00e9 " + WORDS * 3).encode("latin-1"),
    })
    out = tmp_path / "run"
    result = cli("run", str(folder), "--out", str(out), "--encoding", "latin-1", "--quiet")
    assert result.exit_code == 0, result.output
    assert read_manifest(out)["input"]["encoding"] == "iso8859-1"
    assert "decoded_with_fallback" not in read_manifest(out)["counts"]
    # The report read the input again as latin-1: otherwise the fingerprint would differ.
    result = cli("report", str(out))
    assert result.exit_code == 0, result.stderr
