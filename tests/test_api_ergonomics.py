"""The Python API in a notebook: short reprs, and errors that name the parameter and the
function as the user wrote them. Issue 16, item 11."""

from __future__ import annotations

import json
import re

import pytest

import reuse
from reuse.errors import ConfigError

SENTENCE = ("the committee said that its members would meet again next week to discuss the "
            "report on the harbour and the new road along the river and the old mill")


@pytest.fixture
def big_jsonl(tmp_path):
    """Two near-duplicate documents of 150,000 words each (about a megabyte of text)."""
    text = " ".join(f"{word}{k % 97}" for k, word in enumerate(SENTENCE.split() * 5000))
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"id": "a", "text": text}) + "\n"
                    + json.dumps({"id": "b", "text": text + " and an ending"}) + "\n",
                    encoding="utf-8")
    return path


def test_the_repr_of_a_result_is_a_short_summary(big_jsonl):
    result = reuse.dedup(big_jsonl)
    shown = repr(result)
    assert len(shown) < 400
    assert re.fullmatch(r"<DedupResult: read=2, compared=2, too_short=0, skipped=0, "
                        r"candidate_pairs=1, capped_buckets=0, near_duplicate_pairs=1, "
                        r"clusters=1, dropped=1; \d+\.\d\d s>", shown)
    assert repr(result.corpus).startswith("<Corpus: 2 documents, 2,")
    assert len(repr(result.corpus)) < 200


def test_the_repr_of_a_run_result_is_a_short_summary(big_jsonl):
    result = reuse.run(big_jsonl, threshold=0.5)
    shown = repr(result)
    assert shown.startswith("<RunResult: read=2, ")
    assert "alignments=" in shown and "passage_clusters=" in shown
    assert len(shown) < 600


@pytest.mark.parametrize(("call", "message"), [
    (lambda p: reuse.dedup(p, threshold=1.5),
     "The 'threshold' parameter of dedup must be a float in [0.0, 1.0]. Got 1.5 instead."),
    (lambda p: reuse.dedup(p, strip_diacritics="yes"),
     "The 'strip_diacritics' parameter of dedup must be a bool. Got 'yes' instead."),
    (lambda p: reuse.dedup(p, on_error="ignore"),
     "The 'on_error' parameter of dedup must be one of 'raise', 'skip'. Got 'ignore' instead."),
    (lambda p: reuse.run(p, passage_ngram=0),
     "The 'passage_ngram' parameter of run must be an int in [1, 64]. Got 0 instead."),
    (lambda p: reuse.run(p, min_length=0),
     "The 'min_length' parameter of run must be an int in [1, 1000000000]. Got 0 instead."),
    (lambda p: reuse.run(p, max_doc_chars=0),
     "The 'max_doc_chars' parameter of run must be an integer >= 1. Got 0 instead."),
    (lambda p: reuse.run(p, date_field=""),
     "The 'date_field' parameter of run must be a metadata field name (a non-empty string) "
     "or None. Got '' instead."),
    (lambda p: reuse.align_pairs(p, p, paraphrase="yes"),
     "The 'paraphrase' parameter of align_pairs must be a bool. Got 'yes' instead."),
    (lambda p: reuse.align_pairs(p, p, boilerplate_share=2.0),
     "The 'boilerplate_share' parameter of align_pairs must be a float in (0, 1]. "
     "Got 2.0 instead."),
])
def test_errors_name_the_parameter_and_the_function_called(big_jsonl, call, message):
    with pytest.raises(ConfigError) as raised:
        call(big_jsonl)
    assert str(raised.value) == message
