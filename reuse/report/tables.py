"""Writing and reading the tables and manifest of a run folder, atomically.

Every file is written to a temporary name in the same folder and renamed into place when
complete. ``manifest.json`` is removed when a run starts and written last, so a run folder with a
manifest is complete, and one without is not.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..errors import ConfigError, RunFolderError
from .schema import SCHEMA_VERSION, TABLES, arrow_schema

FORMATS = ("parquet", "jsonl", "csv")
MANIFEST = "manifest.json"


def table_filename(name: str, fmt: str) -> str:
    return f"{name}.{fmt}"


def start_run_folder(path: str | os.PathLike[str]) -> Path:
    """Create the run folder and remove any old manifest, so the folder reads as incomplete."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MANIFEST).unlink(missing_ok=True)
        # Temporary files and report staging folders of an earlier run that was killed.
        for stale in folder.glob(".*.tmp-*"):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
    except OSError as exc:
        raise RunFolderError(
            f"{folder}: cannot create the run folder ({exc.strerror or exc}); choose another --out"
        ) from exc
    return folder


def _atomic_write(target: Path, write) -> None:
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        write(temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_table(folder: Path, name: str, frame: pd.DataFrame, fmt: str = "parquet") -> str:
    """Write ``frame`` with the documented schema of ``name``; returns the file name."""
    if fmt not in FORMATS:
        raise ConfigError(
            f"The 'format' parameter must be one of 'parquet', 'jsonl', 'csv'. Got {fmt!r} instead."
        )
    schema = arrow_schema(name)
    table = pa.Table.from_pandas(frame[list(TABLES[name])], schema=schema, preserve_index=False)
    filename = table_filename(name, fmt)

    def write(temporary: Path) -> None:
        if fmt == "parquet":
            pq.write_table(table, temporary, compression="zstd")
        elif fmt == "csv":
            pa_csv.write_csv(table, temporary)
        else:
            with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
                for record in table.to_pylist():
                    handle.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")

    _atomic_write(folder / filename, write)
    return filename


def read_table(folder: str | os.PathLike[str], name: str) -> pd.DataFrame:
    """Read a table of a complete run folder, whatever format it was written in."""
    manifest = read_manifest(folder)
    filename = manifest["tables"].get(name)
    if filename is None:
        raise RunFolderError(f"{folder}: the run has no {name!r} table")
    path = Path(folder) / filename
    if filename.endswith(".parquet"):
        return pq.read_table(path).to_pandas()
    if filename.endswith(".csv"):
        return pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(
            column_types=arrow_schema(name))).to_pandas()
    # Through the documented schema, so that an empty table keeps its columns and an all-null
    # column keeps its type, as with Parquet and CSV.
    with open(path, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    return pa.Table.from_pylist(records, schema=arrow_schema(name)).to_pandas()


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    body = {"schema_version": SCHEMA_VERSION, **manifest}
    text = json.dumps(body, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    _atomic_write(folder / MANIFEST, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a complete run folder; a missing or partial run is a RunFolderError."""
    path = Path(folder)
    if not path.is_dir():
        raise RunFolderError(f"{path}: no such run folder")
    manifest_path = path / MANIFEST
    if not manifest_path.exists():
        raise RunFolderError(
            f"{path}: incomplete run folder (no {MANIFEST}); the run was interrupted or "
            "failed. Run it again."
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{manifest_path}: not a valid manifest ({exc})") from exc
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise RunFolderError(
            f"{manifest_path}: schema version {manifest.get('schema_version')!r}, this reuse "
            f"reads version {SCHEMA_VERSION!r}"
        )
    for name, filename in manifest.get("tables", {}).items():
        if not (path / filename).exists():
            raise RunFolderError(f"{path}: the manifest lists {filename} ({name}) but it is missing")
    return manifest
