"""A folder of ``.txt`` files, read recursively, or one ``.txt`` file.

The id of a file is its path relative to the folder, with ``/`` between parts. Symbolic links
are followed, to files and to folders. A folder is read once: one reached a second time (a
symbolic link to an ancestor, or a second link to one folder), in depth-first order of sorted
names, is a bad record ``duplicate_folder`` instead of being read again. What cannot be read is
a bad record too, never silently left out: a link to nothing (``broken_link``), a folder that
cannot be listed or a file that cannot be opened (``unreadable``), a FIFO, socket or device named
``.txt`` (``not_a_file``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import InputError
from .records import UTF8_BYTES_PER_CHAR, RecordSink
from .text import UTF16_BOMS, DecodeError, decode_document, shown


def _entries(root: Path) -> list[tuple[str, Path, str | None, str]]:
    """(relative path, path, reason, detail) of every ``.txt`` file under ``root`` and of
    every entry that cannot be read; reason is None for a file to read."""
    entries: list[tuple[str, Path, str | None, str]] = []
    reached: dict[tuple[int, int], str] = {}
    stack: list[tuple[Path, str]] = [(root, "")]
    while stack:
        folder, relative = stack.pop()
        try:
            info = folder.stat()
        except OSError as exc:
            entries.append((relative, folder, "unreadable",
                            f"cannot read this folder ({exc.strerror or exc})"))
            continue
        key = (info.st_dev, info.st_ino)
        if key in reached:
            entries.append((relative, folder, "duplicate_folder",
                            f"the folder {shown(reached[key]) or '.'} again (through a symbolic "
                            "link); a folder is read once"))
            continue
        reached[key] = relative
        try:
            with os.scandir(folder) as listing:
                children = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            if not relative:
                raise
            entries.append((relative, folder, "unreadable",
                            f"cannot list this folder ({exc.strerror or exc})"))
            continue
        subfolders = []
        for child in children:
            child_relative = f"{relative}/{child.name}" if relative else child.name
            path = Path(child.path)
            try:
                is_folder = child.is_dir()
            except OSError:
                is_folder = False
            if is_folder:
                subfolders.append((path, child_relative))
                continue
            if path.suffix.lower() != ".txt":
                continue
            try:
                os.stat(path)
            except OSError as exc:
                if child.is_symlink():
                    entries.append((child_relative, path, "broken_link",
                                    f"a symbolic link to {shown(os.readlink(path))}, which "
                                    "cannot be followed (missing, or a loop)"))
                else:
                    entries.append((child_relative, path, "unreadable",
                                    f"cannot read ({exc.strerror or exc})"))
                continue
            entries.append((child_relative, path, None, ""))
        stack.extend(reversed(subfolders))
    entries.sort(key=lambda entry: entry[0])
    return entries


def read_txt_folder(root: Path, sink: RecordSink) -> None:
    entries = _entries(root)
    if not entries:
        raise InputError(
            f"{shown(str(root))}: no .txt files in this folder. Point reuse at a JSONL, CSV/TSV "
            "or Parquet file to read a table of documents."
        )
    if sink.progress is not None:  # the ingest bar counts files out of a known total
        sink.progress.total = len(entries)
        sink.progress.refresh()
    for relative, path, reason, detail in entries:
        if reason is not None:
            sink.bad(shown(str(path)), None, reason, detail)
            continue
        doc_id = shown(relative)
        if doc_id != relative:
            sink.corpus.file_names[doc_id] = relative
        read_txt_file(path, doc_id, sink)


def read_txt_file(path: Path, doc_id: str, sink: RecordSink) -> None:
    """Read one ``.txt`` file as the document ``doc_id``, or report it as bad."""
    origin = shown(str(path))
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # reading a FIFO would wait forever
            sink.bad(origin, None, "not_a_file",
                     "not a regular file (a FIFO, socket or device), not read")
            return
        if not fits(info.st_size, origin, sink):
            return
        data = path.read_bytes()
    except OSError as exc:
        sink.bad(origin, None, "unreadable", f"cannot read ({exc.strerror or exc})")
        return
    add_txt_bytes(data, origin, doc_id, sink)


def fits(size: int, origin: str, sink: RecordSink) -> bool:
    """Whether a file of ``size`` bytes can hold a text of at most ``max_doc_chars``
    characters (4 bytes per character at most); if not, it is a bad record, refused unread."""
    if size > UTF8_BYTES_PER_CHAR * sink.max_doc_chars + 4:
        sink.bad(origin, None, "too_long",
                 f"a file of {size} bytes, more than --max-doc-chars "
                 f"({sink.max_doc_chars}) characters")
        return False
    return True


def add_txt_bytes(data: bytes, origin: str, doc_id: str, sink: RecordSink) -> None:
    """Decode the bytes of a ``.txt`` file and add it as the document ``doc_id``, or report
    it as bad (also what the Spark engine's reader does with a file, :mod:`reuse.spark.read`)."""
    if b"\x00" in data and not (sink.wide_encoding or data.startswith(UTF16_BOMS)):
        sink.bad(origin, None, "binary", "binary file (contains NUL bytes), not text")
        return
    try:
        text, fallback = decode_document(data, origin, sink.encoding)
    except DecodeError as exc:
        sink.bad(origin, None, exc.reason, str(exc).removeprefix(f"{origin}: "))
        return
    if sink.wide_encoding and "\x00" in text:
        sink.bad(origin, None, "binary", "binary file (contains NUL characters), not text")
        return
    sink.add(doc_id, text, {}, origin, None, valid_unicode=True, fallback=fallback)
