"""The one exception hierarchy of reuse.

Every error a user can cause derives from :class:`ReuseError` and says what was wrong, where,
and what to do about it. The CLI turns these into a message and an exit code; anything else that
escapes is a bug.
"""

from __future__ import annotations


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


# Characters a terminal acts on instead of showing: C0/C1 controls (escape sequences, carriage
# returns, bells), and the bidirectional controls that reorder the rest of a line.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: control and bidi characters become ``\\x1b``-style
    escapes, and a byte that was not UTF-8 (a lone surrogate escape) becomes ``\\xNN``."""
    if text.isprintable() and not _BIDI_CONTROLS.intersection(text):
        return text
    out = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char in _BIDI_CONTROLS or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        elif code < 0x20 or 0x7F <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        else:
            out.append(char)
    return "".join(out)
