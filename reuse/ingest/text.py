"""Bytes → text: byte-order marks, UTF-8 and UTF-16, and one spelling for undecodable names."""

from __future__ import annotations

import codecs

from ..errors import InputError

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


def decode_text(data: bytes, origin: str) -> str:
    """Decode file bytes as UTF-8 (a BOM is dropped; UTF-16 with a BOM is accepted).

    Raises :class:`InputError` naming the line and column of the first invalid byte.
    """
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"{origin}: invalid UTF-16 after a UTF-16 byte-order mark") from exc
    if data.startswith(UTF8_BOM):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        # A column in characters: everything before the first invalid byte is valid UTF-8.
        column = len(data[line_start : exc.start].decode("utf-8")) + 1
        raise InputError(
            f"{origin}: line {line}, column {column}: invalid UTF-8 "
            f"(byte 0x{data[exc.start]:02x})"
        ) from exc


def invalid_utf8_at(data: bytes) -> tuple[int, int] | None:
    """(column in characters, byte value) of the first invalid UTF-8 byte of one line."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return len(data[: exc.start].decode("utf-8")) + 1, data[exc.start]
    return None


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
