"""reuse: near-duplicate documents and reused passages, with exact character spans."""

__version__ = "0.1.0"
