"""A Corpus built in Python is checked before the pipeline relies on it."""

from __future__ import annotations

import re

import pytest

import reuse
from reuse.errors import InputError
from reuse.ingest import Corpus

PARAGRAPH = ("the committee met on tuesday to discuss the budget for the coming year and agreed "
             "to postpone the vote until the spring session had heard every witness ")


def test_a_repeated_id_is_an_error_not_a_self_pair():
    corpus = Corpus(ids=["a", "b", "a"], texts=[PARAGRAPH * 3, "other words entirely", PARAGRAPH * 3])
    for call in (reuse.dedup, reuse.run):
        with pytest.raises(InputError, match=re.escape("Document id 'a' appears twice in the "
                                                       "Corpus; ids must be unique.")):
            call(corpus)


def test_lists_of_different_lengths_are_an_error():
    corpus = Corpus(ids=["a", "b"], texts=["x"], metadata=[{}, {}], origins=["", ""])
    with pytest.raises(InputError, match=re.escape(
            "one entry per document in ids, texts, metadata and origins; got 2 ids, 1 texts, "
            "2 metadata, 2 origins.")):
        reuse.dedup(corpus)


def test_a_text_that_is_not_a_string_is_named():
    corpus = Corpus(ids=["a", "b"], texts=["x", b"bytes"])
    with pytest.raises(InputError, match="Document 'b' of the Corpus has a text of type bytes"):
        reuse.dedup(corpus)


def test_ids_and_texts_alone_are_enough_and_the_corpus_is_not_changed():
    corpus = Corpus(ids=["a", "b"], texts=[PARAGRAPH * 2, PARAGRAPH * 2])
    result = reuse.dedup(corpus)
    assert result.counts["near_duplicate_pairs"] == 1
    assert corpus.metadata == [] and corpus.origins == []
