"""Bytes → text: byte-order marks, the input encoding, and one spelling for undecodable names.

The encoding of the input (``encoding``, ``--encoding``) is one of:

* ``"utf-8"`` (the default): strict UTF-8; a byte that is not UTF-8 is a bad record.
* ``"auto"``: UTF-8 where the bytes are valid UTF-8, else :data:`FALLBACK_ENCODING`
  (windows-1252, as the WHATWG Encoding Standard and every browser define it: each of the 256
  bytes is a character, so nothing fails). Decided per document: per ``.txt`` file, JSONL line
  or CSV/TSV record. Every document decoded with the fallback is counted and named
  (``Corpus.decoded_with_fallback``), never silently.
* any other Python text codec (``cp1252``, ``latin-1``, ``shift_jis``, ``utf-16-le``, ...),
  applied to every file; a byte that is not valid in it is a bad record (``invalid_encoding``).

A byte-order mark overrides the encoding of its file: a UTF-8 BOM is dropped and the file read
as UTF-8, and a UTF-16 BOM makes it UTF-16 (as the WHATWG decode algorithm does).
"""

from __future__ import annotations

import codecs

from ..errors import ConfigError, InputError

DEFAULT_ENCODING = "utf-8"
AUTO_ENCODING = "auto"
FALLBACK_ENCODING = "windows-1252"

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# Decoding UTF-16 with this error handler turns every invalid code unit (an unpaired surrogate,
# an odd byte at the end) into U+DFFF, a lone surrogate that valid UTF-16 never decodes to; a
# line holding it is then skipped as invalid_utf16 instead of stopping the whole file.
INVALID_UTF16 = "reuse.invalid-utf16"
INVALID_MARK = "\udfff"


def _mark_invalid(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return INVALID_MARK, error.end


codecs.register_error(INVALID_UTF16, _mark_invalid)

# Decoding with this handler turns each byte that is not valid in the encoding into a lone
# surrogate: U+DC80..U+DCFF for bytes 0x80..0xFF (as Python's surrogateescape, so the byte can
# be named) and U+DFFF for the others. A record holding one is then a bad record.
MARK_BYTES = "reuse.mark-bytes"


def _mark_bytes(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(chr(0xDC00 + b) if b >= 0x80 else INVALID_MARK for b in bad), error.end


codecs.register_error(MARK_BYTES, _mark_bytes)

# Python's cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined; WHATWG's windows-1252
# decodes them to the C1 controls of the same number, so every byte sequence decodes.
_C1_CONTROLS = "reuse.c1-controls"


def _c1_controls(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return "".join(map(chr, error.object[error.start : error.end])), error.end


codecs.register_error(_C1_CONTROLS, _c1_controls)


def decode_fallback(data: bytes) -> str:
    """``data`` decoded as windows-1252 (WHATWG): never fails."""
    return data.decode("cp1252", _C1_CONTROLS)


def redecode_fallback(text: str) -> str:
    """A text decoded as UTF-8 with surrogate escapes (its invalid bytes kept as U+DC80..U+DCFF),
    decoded again from its original bytes as windows-1252."""
    return decode_fallback(text.encode("utf-8", "surrogateescape"))


def check_encoding(encoding: object, owner: str = "read_corpus") -> str:
    """The canonical name of an ``encoding`` option: ``"utf-8"``, ``"auto"``, or the Python name
    of a text codec (``"latin-1"`` → ``"iso8859-1"``). Anything else is a ConfigError."""
    if encoding == AUTO_ENCODING:
        return AUTO_ENCODING
    problem = None
    if not isinstance(encoding, str) or not encoding:
        problem = "must be 'utf-8', 'auto' or the name of a Python text codec"
    else:
        try:
            name = codecs.lookup(encoding).name
            "\n".encode(encoding)  # a bytes-to-bytes codec (base64, zlib) is no text encoding
            # the error handler reuse decodes with, which some codecs (idna) do not support
            b"a\n".decode(encoding, MARK_BYTES)
        except (LookupError, UnicodeError, ValueError, TypeError):
            problem = ("must be 'utf-8', 'auto' or the name of a Python text codec (such as "
                       "'cp1252', 'latin-1', 'shift_jis', 'utf-16-le')")
    if problem is not None:
        raise ConfigError(f"The 'encoding' parameter of {owner} {problem}. "
                          f"Got {encoding!r} instead.")
    return "utf-8" if name == "utf-8" else name


def is_wide(encoding: str) -> bool:
    """True for encodings whose text holds NUL bytes (UTF-16, UTF-32): a NUL byte is no sign of a
    binary file there."""
    if encoding in (DEFAULT_ENCODING, AUTO_ENCODING):
        return False
    return b"\x00" in "\n".encode(encoding)


class DecodeError(InputError):
    """Bytes that are not valid in the encoding; ``reason`` is the skip reason."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _position(data: bytes, start: int, encoding: str) -> tuple[int, int]:
    """(line, column in characters) of byte offset ``start``, before which ``data`` decodes."""
    before = data[:start].decode(encoding, "replace")
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def decode_document(data: bytes, origin: str, encoding: str = DEFAULT_ENCODING
                    ) -> tuple[str, bool]:
    """Decode the bytes of a file with ``encoding`` (see the module docstring, and
    :func:`check_encoding` for its names): ``(text, decoded with the fallback)``.

    Raises :class:`DecodeError` naming the line and column of the first invalid byte.
    """
    if data.startswith(UTF16_BOMS) or data.startswith(UTF8_BOM) or encoding == DEFAULT_ENCODING:
        return decode_text(data, origin), False
    if encoding == AUTO_ENCODING:
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            return decode_fallback(data), True
    try:
        return data.decode(encoding), False
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start, encoding)
        raise DecodeError(
            f"{origin}: line {line}, column {column}: invalid {encoding} "
            f"(byte 0x{data[exc.start]:02x})", "invalid_encoding") from exc


def decode_text(data: bytes, origin: str) -> str:
    """Decode file bytes as UTF-8 (a BOM is dropped; UTF-16 with a BOM is accepted).

    Raises :class:`DecodeError` (an :class:`InputError`) naming the line and column of the first
    invalid byte.
    """
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"{origin}: invalid UTF-16 after a UTF-16 byte-order mark",
                              "invalid_utf16") from exc
    if data.startswith(UTF8_BOM):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        # A column in characters: everything before the first invalid byte is valid UTF-8.
        column = len(data[line_start : exc.start].decode("utf-8")) + 1
        raise DecodeError(
            f"{origin}: line {line}, column {column}: invalid UTF-8 "
            f"(byte 0x{data[exc.start]:02x})", "invalid_utf8"
        ) from exc


def invalid_utf8_at(data: bytes) -> tuple[int, int] | None:
    """(column in characters, byte value) of the first invalid UTF-8 byte of one line."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return len(data[: exc.start].decode("utf-8")) + 1, data[exc.start]
    return None


def first_invalid(text: str) -> tuple[int, int | None]:
    """(column, byte) of the first mark of an invalid byte in a line decoded with
    :data:`MARK_BYTES` or :data:`INVALID_UTF16`; byte is None where it cannot be named."""
    for column, char in enumerate(text, 1):
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            return column, code - 0xDC00 if 0xDC80 <= code <= 0xDCFF else None
    return 0, None


def has_surrogate(text: str) -> bool:
    """True when ``text`` is not valid Unicode (it holds a lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def shown(name: str) -> str:
    """``name`` as valid Unicode, the one spelling of ids and origins made from file names.

    Python holds a byte of a file name that is not UTF-8 as a lone surrogate escape (U+DC80 to
    U+DCFF); each such byte becomes the four characters ``\\xNN`` (lowercase hex), so that the
    name can be written to every table format and to the manifest. Valid names are unchanged.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = name.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a surrogate that is not a byte escape: name it by code
            return name.encode("utf-8", "backslashreplace").decode("utf-8")
        return raw.decode("utf-8", "backslashreplace")
    return name
