"""A check shared by the tokenizer's test files."""

from reuse.text.tokenize import TokenBatch, tokenize_reference


def assert_batch_equals_reference(batch: TokenBatch, texts: list[str], strip: bool = False
                                  ) -> None:
    """Each document of ``batch`` has the tokens :func:`tokenize_reference` gives its text."""
    for d, text in enumerate(texts):
        got, want = batch.doc(d), tokenize_reference(text, strip)
        assert got.hashes.tolist() == want.hashes.tolist()
        assert got.starts.tolist() == want.starts.tolist()
        assert got.ends.tolist() == want.ends.tolist()
