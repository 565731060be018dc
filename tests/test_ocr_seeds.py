"""Character n-gram seeds for OCR'd text (reuse.align.ocr_seeds, AlignConfig(ocr_tolerant=True))."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from reuse.align.aligner import align_batch, align_pair, align_token_batch
from reuse.align.config import AlignConfig
from reuse.align.ocr_seeds import adds_to_words, character_stream, ocr_boxes
from reuse.cli.commands import main
from reuse.errors import ConfigError
from reuse.text.tokenize import tokenize_batch

PASSAGE = (
    "The committee met again in the spring and resolved that the old bridge across the river "
    "should be pulled down and rebuilt in stone, at the charge of the parish, before the "
    "autumn floods could carry away what remained of the wooden piers; the vestry agreed to "
    "raise the money by a rate on every house within the bounds, and appointed two "
    "surveyors to watch over the masons until the work was done."
)
OTHER = (
    "Far to the north the shepherds kept their flocks on the high moor through the whole of "
    "the winter, sheltering in rough huts of turf and heather, and coming down to the market "
    "towns only twice a year to sell wool and buy salt, iron and a little tea for the long "
    "evenings by the peat fire."
)
FILLER = (
    "Letters from the colonies arrived irregularly, sometimes three ships in one week and "
    "then nothing for two months, so that the merchants of the port learned to keep large "
    "stores of every article their customers might ask for."
)


def misread(text: str) -> str:
    """Every second word with one letter misread (OCR-like), and some words merged or split:
    no word 3-gram of the passage survives."""
    swaps = {"e": "c", "o": "0", "l": "1", "s": "f", "n": "u", "h": "b", "a": "o", "r": "t",
             "i": "l", "t": "f", "d": "cl", "m": "rn", "w": "vv", "u": "n", "y": "v", "c": "e"}
    words = text.split(" ")
    out = []
    for k, word in enumerate(words):
        if k % 2:
            at = next((i for i, ch in enumerate(word) if ch in swaps), None)
            if at is not None:
                word = word[:at] + swaps[word[at]] + word[at + 1:]
        out.append(word)
    noisy = " ".join(out)
    return noisy.replace("the old", "theold").replace("every house", "ev ery house")


def test_character_stream_folds_ocr_confusions_and_keeps_offsets():
    codes, offsets = character_stream("Thé moft, Cruel |ife!")
    assert "".join(map(chr, codes)) == "themosterneiiise"
    assert offsets.tolist() == [0, 1, 2, 4, 5, 6, 7, 10, 11, 12, 13, 14, 16, 17, 18, 19]
    # The clean reading folds alike.
    assert "".join(map(chr, character_stream("the most cruel life")[0])) == "themosterneiiise"


def test_no_word_trigram_survives_the_misreading():
    noisy = misread(PASSAGE)
    found = align_pair(f"{FILLER} {PASSAGE}", f"{noisy} {OTHER}", AlignConfig(paraphrase=False))
    assert found == []


def test_ocr_tolerant_finds_the_misread_copy_whole():
    noisy = misread(PASSAGE)
    a_text, b_text = f"{FILLER}\n\n{PASSAGE}", f"{OTHER}\n\n{noisy}"
    config = AlignConfig(paraphrase=False, ocr_tolerant=True)
    for found in (align_pair(a_text, b_text, config), align_batch([a_text], [b_text], config)[0]):
        assert len(found) == 1
        al = found[0]
        start, end = a_text.index(PASSAGE), a_text.index(PASSAGE) + len(PASSAGE)
        noisy_start = b_text.index(noisy)
        # Within two words of the passage's ends (the last words are misread too).
        assert al.a_start == start and end - 12 <= al.a_end <= end
        assert al.b_start == noisy_start
        assert noisy_start + len(noisy) - 12 <= al.b_end <= noisy_start + len(noisy)


def test_ocr_tolerant_finds_nothing_between_unrelated_texts():
    config = AlignConfig(paraphrase=False, ocr_tolerant=True)
    assert align_pair(f"{PASSAGE} {FILLER}", f"{OTHER} {misread(FILLER[::-1])}", config) == []


def test_ocr_boxes_are_word_token_ranges_of_each_pair():
    noisy = misread(PASSAGE)
    texts = [OTHER, f"{FILLER} {PASSAGE}", f"{noisy} {OTHER}"]
    tokens = tokenize_batch(texts)
    boxes = ocr_boxes(tokens, texts, np.array([0, 1]), np.array([1, 2]), max_occurrences=20,
                      max_gap=20, min_length=25, min_density=0.3, extend_drop=3)
    # Pair 0 (OTHER vs FILLER + PASSAGE) shares nothing; pair 1 is the passage.
    assert boxes[:, 0].tolist() == [1]
    _, a0, a1, b0, b1 = boxes[0].tolist()
    passage_words = len(tokenize_batch([PASSAGE]).hashes)
    first = len(tokenize_batch([FILLER]).hashes)
    assert a0 == first and first + passage_words - 3 <= a1 <= first + passage_words
    assert b0 == 0 and passage_words - 3 <= b1 <= passage_words + 2


def test_ocr_tolerant_must_be_a_bool():
    with pytest.raises(ConfigError, match=r"^The 'ocr_tolerant' parameter of AlignConfig must be "
                                          r"a bool\. Got 'yes' instead\.$"):
        AlignConfig(ocr_tolerant="yes").validate()


def test_ocr_tolerant_needs_the_texts():
    tokens = tokenize_batch([PASSAGE, PASSAGE])
    with pytest.raises(ConfigError, match=r"^OCR-tolerant seeds need the raw texts: pass texts="):
        align_token_batch(tokens, np.array([0]), np.array([1]),
                          AlignConfig(paraphrase=False, ocr_tolerant=True))


def _ocr_corpus(root: Path) -> None:
    """A PAN-layout corpus of one pair: PASSAGE in the source, its misreading in the
    suspicious document."""
    noisy = misread(PASSAGE)
    src, susp = f"{FILLER}\n\n{PASSAGE}", f"{OTHER}\n\n{noisy}"
    for folder, name, text in (("src", "source-document00001.txt", src),
                               ("susp", "suspicious-document00001.txt", susp)):
        (root / folder).mkdir(parents=True)
        (root / folder / name).write_text(text, encoding="utf-8")
    (root / "02-ocr").mkdir()
    (root / "02-ocr" / "pairs").write_text(
        "suspicious-document00001.txt source-document00001.txt\n", encoding="utf-8")
    (root / "02-ocr" / "suspicious-document00001-source-document00001.xml").write_text(
        '<document reference="suspicious-document00001.txt">\n<feature name="plagiarism" '
        f'this_offset="{susp.index(noisy)}" this_length="{len(noisy)}" '
        f'source_reference="source-document00001.txt" source_offset="{src.index(PASSAGE)}" '
        f'source_length="{len(PASSAGE)}" />\n</document>\n', encoding="utf-8")


def test_eval_pan_ocr_tolerant_option(tmp_path):
    _ocr_corpus(tmp_path / "pan")
    recalls = []
    for extra in ([], ["--ocr-tolerant"]):
        result = CliRunner().invoke(main, ["eval", "pan", str(tmp_path / "pan"), *extra],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        row = next(line.split() for line in result.stdout.splitlines()
                   if line.startswith("02-ocr"))
        recalls.append(float(row[1]))
    assert recalls[0] == 0.0
    assert recalls[1] > 0.95


def test_character_passages_are_kept_only_where_they_add_to_the_word_passages():
    words = np.array([[0, 10, 50, 10, 50], [2, 0, 40, 0, 40]])
    extra = np.array([
        [0, 9, 51, 10, 50],     # 40 of its 42 tokens in a are the word passage's: redundant
        [0, 0, 100, 0, 100],    # the word passage is 40 of its 100 tokens: adds 60
        [0, 45, 80, 200, 240],  # runs into the word passage in a only: another passage
        [1, 0, 30, 0, 30],      # a pair without word passages
        [2, 50, 90, 60, 100],   # beside the word passage, in both documents
    ])
    assert adds_to_words(extra, words).tolist() == [False, True, False, True, True]
    assert adds_to_words(extra, np.empty((0, 5), dtype=np.int64)).all()


def test_align_command_ocr_tolerant_option(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    noisy = misread(PASSAGE)
    (corpus / "clean.txt").write_text(f"{FILLER}\n\n{PASSAGE}\n", encoding="utf-8")
    (corpus / "ocr.txt").write_text(f"{OTHER}\n\n{noisy}\n", encoding="utf-8")
    (tmp_path / "pairs.txt").write_text("clean.txt ocr.txt\n", encoding="utf-8")
    found = {}
    for flag in ([], ["--ocr-tolerant"]):
        out = tmp_path / f"out{len(flag)}"
        result = CliRunner().invoke(main, ["align", str(corpus), "--pairs", str(tmp_path / "pairs.txt"),
                                           "--out", str(out), "--format", "csv", "--quiet",
                                           "--no-paraphrase", *flag])
        assert result.exit_code == 0, result.output
        found[bool(flag)] = pd.read_csv(out / "alignments.csv")
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["options"]["ocr_tolerant"] is bool(flag)
    assert len(found[False]) == 0
    [row] = found[True].itertuples()
    clean = (corpus / "clean.txt").read_text(encoding="utf-8")
    assert row.a_start == clean.index(PASSAGE)


def test_ocr_tolerant_keeps_lone_surrogates_of_undecodable_bytes():
    # Text decoded from bytes that were not UTF-8 keeps lone surrogates (see reuse.ingest).
    noisy = misread(PASSAGE)
    a_text = f"{FILLER}\udc80\n\n{PASSAGE}"
    found = align_pair(a_text, f"{OTHER}\n\n{noisy}\udcff", AlignConfig(paraphrase=False,
                                                                          ocr_tolerant=True))
    assert len(found) == 1 and found[0].a_start == a_text.index(PASSAGE)
