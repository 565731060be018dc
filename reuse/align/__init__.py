"""Candidate pair → the exact spans of every reused passage in both documents.

* :mod:`~reuse.align.config`: :class:`~reuse.align.config.AlignConfig`, every parameter.
* :mod:`~reuse.align.alignment`: :class:`~reuse.align.alignment.Alignment`, what is returned,
  and the alignments table.
* :mod:`~reuse.align.aligner`: :func:`~reuse.align.aligner.align_pair`,
  :func:`~reuse.align.aligner.align_batch` and :func:`~reuse.align.aligner.align_token_batch`,
  the entry points (the method is described there).
* :mod:`~reuse.align.reference`: lexical passages of one pair step by step, the reference;
  :mod:`~reuse.align.batch`: the same for many pairs in a few numpy passes.
* :mod:`~reuse.align.paraphrase`: sentence TF-IDF seeds for paraphrased passages and summaries.
* :mod:`~reuse.align.ocr_seeds`: character seeds for OCR'd text.
* :mod:`~reuse.align.combine`: lexical and paraphrase passages → one alignment per passage.
* :mod:`~reuse.align.edits`: token boxes → raw-text spans and edit scripts.
* :mod:`~reuse.align.bands`: where to align a long pair: diagonal bands of its shared seeds.
"""
