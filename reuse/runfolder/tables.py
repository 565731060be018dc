"""Writing and reading the tables and manifest of a run folder, atomically.

Every file is written to a temporary name in the same folder and renamed into place when
complete. ``manifest.json`` is removed when a run starts writing and written last, so a run
folder with a manifest is complete, and one without is not. Which folders reuse may write into,
and how they are locked and cleaned, is :mod:`reuse.runfolder.folder`'s business.

A manifest is validated when it is read: every field that reuse reads must have its documented
type, and every table must be a known table name mapped to its own plain file name in the folder
(``documents.parquet``), so a tampered manifest cannot make reuse read a file elsewhere.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..common.arrow import as_schema
from ..errors import ConfigError, RunFolderError
from .folder import FORMATS, MANIFEST, claim, incomplete_error, write_atomically
from .schema import SCHEMA_VERSION, TABLES, arrow_schema

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMATS", "MANIFEST", "check_format", "manifest_without_report", "read_manifest",
           "read_table", "start_run_folder", "table_filename", "validate_manifest",
           "write_manifest", "write_table"]


def table_filename(name: str, fmt: str) -> str:
    return f"{name}.{fmt}"


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ConfigError(
            f"The 'format' parameter must be one of 'parquet', 'jsonl', 'csv'. Got {fmt!r} instead."
        )


def start_run_folder(path: str | os.PathLike[str]) -> Path:
    """Claim ``path`` as a run folder and remove an earlier run's outputs, so the folder reads as
    incomplete until a manifest is written. (The claim is released on return; a caller writing
    for a long time should hold :func:`reuse.runfolder.folder.claim` itself.)"""
    with claim(path) as folder:
        folder.clear()
    return folder.path


def write_table(
    folder: Path, name: str, data: pd.DataFrame | Iterable[pa.RecordBatch], fmt: str = "parquet"
) -> str:
    """Write ``data`` with the documented schema of ``name``; returns the file name.

    ``data`` is a DataFrame, or Arrow record batches, which are written one at a time (a
    table of millions of skipped records is never whole in memory)."""
    check_format(fmt)
    schema = arrow_schema(name)
    filename = table_filename(name, fmt)
    if _is_frame(data):
        table = pa.Table.from_pandas(data[list(TABLES[name])], schema=schema, preserve_index=False)

        def write(temporary: Path) -> None:
            if fmt == "parquet":
                pq.write_table(table, temporary, compression="zstd")
            elif fmt == "csv":
                pa_csv.write_csv(table, temporary)
            else:
                _write_jsonl(temporary, table.to_batches())
    else:
        batches = (as_schema(batch, schema) for batch in data)

        def write(temporary: Path) -> None:
            if fmt == "parquet":
                with pq.ParquetWriter(temporary, schema, compression="zstd") as writer:
                    for batch in batches:
                        writer.write_batch(batch)
            elif fmt == "csv":
                with pa_csv.CSVWriter(temporary, schema) as writer:
                    for batch in batches:
                        writer.write_batch(batch)
            else:
                _write_jsonl(temporary, batches)

    write_atomically(Path(folder) / filename, write)
    return filename


def _is_frame(data: Any) -> bool:
    # A DataFrame exists only once pandas is loaded: a run that made none does not load it.
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(data, pandas.DataFrame)


def _write_jsonl(path: Path, batches: Iterable[pa.RecordBatch]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for batch in batches:
            for record in batch.to_pylist():
                handle.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")


def read_table(folder: str | os.PathLike[str], name: str) -> pd.DataFrame:
    """Read a table of a complete run folder, whatever format it was written in."""
    manifest = read_manifest(folder)
    filename = manifest["tables"].get(name)
    if filename is None:
        raise RunFolderError(f"{folder}: the run has no {name!r} table")
    path = Path(folder) / filename
    schema = arrow_schema(name)
    try:
        if filename.endswith(".parquet"):
            table = pq.read_table(path)
        elif filename.endswith(".csv"):
            table = pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(
                column_types=schema))
        else:
            # Through the documented schema, so that an empty table keeps its columns and an
            # all-null column keeps its type, as with Parquet and CSV.
            with open(path, encoding="utf-8") as handle:
                records = [json.loads(line) for line in handle if line.strip()]
            if not all(isinstance(r, dict) for r in records):
                raise ValueError("a line is not a JSON object")
            table = pa.Table.from_pylist(records, schema=schema)
        missing = [c for c in schema.names if c not in table.column_names]
        if missing:
            raise ValueError(f"no column {missing[0]!r}")
        table = table.select(schema.names).cast(schema)
    except (OSError, ValueError, TypeError, KeyError, RecursionError, pa.ArrowException) as exc:
        raise RunFolderError(
            f"{path}: cannot read the {name} table ({exc}); the run folder is damaged. Run the "
            "pipeline again."
        ) from exc
    return table.to_pandas()


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    body = {"schema_version": SCHEMA_VERSION, **manifest}
    text = json.dumps(body, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    write_atomically(Path(folder) / MANIFEST, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def manifest_without_report(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest of a run whose report is being (re)written: no report, no pair table."""
    body = {k: v for k, v in manifest.items() if k != "schema_version"}
    body["tables"] = {k: v for k, v in manifest.get("tables", {}).items() if k != "pair_reuse"}
    body["report"] = None
    return body


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a complete run folder; a missing, partial or invalid run is a
    RunFolderError."""
    path = Path(folder)
    if not path.is_dir():
        raise RunFolderError(f"{path}: no such run folder")
    manifest_path = path / MANIFEST
    if not manifest_path.exists():
        raise incomplete_error(path)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise RunFolderError(f"{manifest_path}: not a valid manifest ({exc})") from exc
    except OSError as exc:
        raise RunFolderError(f"{manifest_path}: cannot read the manifest ({exc.strerror or exc})"
                             ) from exc
    validate_manifest(manifest, path)
    return manifest


# The type of every manifest field that reuse reads. A field may be absent unless it is required.
_SCALAR = (str, int, float, bool, type(None))
_INPUT_FIELDS: dict[str, tuple[type, ...]] = {
    "path": (str, type(None)), "format": (str, type(None)), "id_field": (str,),
    "text_field": (str,), "fingerprint": (str, type(None)),
    "order_fingerprint": (str, type(None)), "quoting": (str, type(None)),
    "max_doc_chars": (int,), "path_bytes": (str, type(None)),
    "encoding": (str,), "on_error": (str,), "metadata_file": (str, type(None)),
    "metadata_file_bytes": (str, type(None)), "pairs_file": (str, type(None)),
    "pairs_file_bytes": (str, type(None)), "pairs_fingerprint": (str, type(None)),
    "fingerprint_covers": (str,), "decoded_with_fallback": (list,),
    "metadata_unmatched": (list,),
}
_TOP_FIELDS: dict[str, tuple[type, ...]] = {
    "reuse_version": (str,), "command": (str,), "config": (dict,), "input": (dict, type(None)),
    "counts": (dict,), "timings": (dict,), "tables": (dict,), "report": (dict, type(None)),
    "write_kept": (str, type(None)), "write_kept_bytes": (str, type(None)),
    "options": (dict, type(None)),
}
_REQUIRED = ("schema_version", "reuse_version", "tables")
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               dict: "an object", list: "a list of strings", type(None): "null"}


def _kind(types: tuple[type, ...]) -> str:
    return " or ".join(_TYPE_NAMES[t] for t in types)


def _is(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def validate_manifest(manifest: Any, folder: Path) -> None:
    """Check the fields reuse reads, and that every table is its own file inside ``folder``."""
    where = folder / MANIFEST

    def bad(field: str, expected: str, value: Any) -> RunFolderError:
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        return RunFolderError(
            f"{where}: field {field!r} must be {expected}, got {shown}. The manifest was changed "
            "or not written by reuse; run the pipeline again into a new folder."
        )

    if not isinstance(manifest, dict):
        raise bad("(top level)", "an object", manifest)
    for key in _REQUIRED:
        if key not in manifest:
            raise RunFolderError(
                f"{where}: field {key!r} is missing. The manifest was changed or not written by "
                "reuse; run the pipeline again into a new folder.")
    if manifest["schema_version"] != SCHEMA_VERSION:
        raise RunFolderError(
            f"{where}: schema version {manifest['schema_version']!r}, this reuse "
            f"reads version {SCHEMA_VERSION!r}"
        )
    for key, types in _TOP_FIELDS.items():
        if key in manifest and not _is(manifest[key], types):
            raise bad(key, _kind(types), manifest[key])
    spec = manifest.get("input") or {}
    for key, value in spec.items():
        types = _INPUT_FIELDS.get(key, _SCALAR)
        if not _is(value, types) or (
                isinstance(value, list) and not all(isinstance(v, str) for v in value)):
            raise bad(f"input.{key}", _kind(types) if key in _INPUT_FIELDS else
                      "a string, number, true, false or null", value)
    for key, value in manifest.get("counts", {}).items():
        if not _is(value, (int,)) or value < 0:
            raise bad(f"counts.{key}", "a non-negative integer", value)
    for key, value in manifest.get("timings", {}).items():
        if not _is(value, (int, float)):
            raise bad(f"timings.{key}", "a number", value)
    for name, filename in manifest["tables"].items():
        if name not in TABLES:
            raise bad(f"tables.{name}", f"one of the tables {', '.join(TABLES)} (not a table "
                      "reuse writes)", filename)
        allowed = [table_filename(name, fmt) for fmt in FORMATS]
        if filename not in allowed:
            raise bad(f"tables.{name}", "one of " + ", ".join(allowed), filename)
        _check_table_file(folder, name, filename, where)


def _check_table_file(folder: Path, name: str, filename: str, where: Path) -> None:
    path = folder / filename
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise RunFolderError(f"{folder}: the manifest lists {filename} ({name}) but it is missing"
                             ) from None
    except OSError as exc:
        raise RunFolderError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if stat.S_ISLNK(info.st_mode):
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(Path(os.path.realpath(folder))):
            raise RunFolderError(
                f"{where}: table {name!r} ({filename}) is a link to {target}, outside the run "
                "folder; reuse reads only files inside it. Run the pipeline again into a new "
                "folder.")
        try:
            info = os.stat(path)
        except OSError as exc:
            raise RunFolderError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise RunFolderError(f"{path}: the {name} table is not a regular file")
