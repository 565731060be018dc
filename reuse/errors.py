"""The one exception hierarchy of reuse.

Every error a user can cause derives from :class:`ReuseError` and says what was wrong, where,
and what to do about it. The CLI turns these into a message and an exit code; anything else that
escapes is a bug.
"""

from __future__ import annotations

import unicodedata


class ReuseError(Exception):
    """Base class of every error that reuse raises on purpose."""

    exit_code = 1


class ConfigError(ReuseError):
    """A parameter is out of range or two parameters contradict each other."""

    exit_code = 2


class InputError(ReuseError):
    """An input record cannot be read; the message names the record and the reason."""

    exit_code = 3


class RunFolderError(ReuseError):
    """A run folder is missing, incomplete, or was written by an incompatible configuration."""

    exit_code = 4


class ScratchSpaceError(ReuseError):
    """A temporary file of a run (the document store, a spill partition, the signatures) cannot
    be written: a full disk or a file size limit. The message names the file and ``TMPDIR``."""

    exit_code = 4


class MissingDependencyError(ReuseError):
    """An optional extra is needed for this feature and is not installed."""

    exit_code = 5


def require(module: str, feature: str, extra: str) -> object:
    """Import an optional module, or fail with the pip command that installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{feature} needs the Python package '{module}'. "
            f"Install it with: pip install 'reuse-detect[{extra}]'"
        ) from exc


def printable(text: str) -> str:
    """``text`` safe to show where control characters would act instead of being shown (a
    terminal, a PNG label): control, format (bidi overrides, zero-width marks) and surrogate
    characters (Unicode categories Cc, Cf, Cs) become ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``
    escapes, and a byte that was not UTF-8 (a surrogate escape, U+DC80..U+DCFF) becomes ``\\xNN``."""
    if text.isprintable() and not any(unicodedata.category(c) == "Cf" for c in text):
        return text
    return "".join(c if unicodedata.category(c) not in ("Cc", "Cf", "Cs") else _escape(ord(c))
                   for c in text)


def _escape(code: int) -> str:
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
