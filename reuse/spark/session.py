"""The SparkSession a run uses, and a clear error when pyspark or Java is missing.

Under ``spark-submit``, in a ``pyspark`` shell or a Databricks notebook a session is active, and
reuse uses it as it is configured. Otherwise reuse starts one (``local[*]``, or the master named
by ``SPARK_MASTER``/``spark.master`` in ``spark-defaults.conf``), which needs Java 11 or later.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from ..errors import MissingDependencyError

EXTRA_HINT = "Install it with: pip install 'reuse-detect[spark]'"
JAVA_HINT = ("Spark needs Java 17 (on Debian/Ubuntu: apt-get install openjdk-17-jre-headless), "
             "on PATH or named by JAVA_HOME")


def require_pyspark() -> Any:
    """The ``pyspark.sql`` module, or a :class:`MissingDependencyError` naming the extra."""
    try:
        import pyspark
        from pyspark import sql
    except ImportError as exc:
        raise MissingDependencyError(
            f"The Spark engine needs the Python package 'pyspark' (4.0 or later). {EXTRA_HINT}"
        ) from exc
    major = int(pyspark.__version__.split(".")[0])
    if major < 4:
        raise MissingDependencyError(
            f"The Spark engine needs pyspark 4.0 or later; this is {pyspark.__version__}. "
            f"{EXTRA_HINT}")
    return sql


def java_available() -> bool:
    """Whether a ``java`` executable is on ``JAVA_HOME`` or ``PATH`` (what pyspark launches)."""
    home = os.environ.get("JAVA_HOME")
    if home:
        return (Path(home) / "bin" / "java").is_file()
    return shutil.which("java") is not None


def spark_session(spark: Any = None) -> Any:
    """``spark`` if given, else the active session, else a new one (which needs Java)."""
    sql = require_pyspark()
    if spark is not None:
        return spark
    active = sql.SparkSession.getActiveSession()
    if active is not None:
        return active
    if not java_available():
        raise MissingDependencyError(f"The Spark engine cannot start Spark: {JAVA_HINT}.")
    # The executors' Python workers run this interpreter (its packages, reuse among them),
    # unless the user chose another.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = sql.SparkSession.builder.appName("reuse")
    if "SPARK_MASTER" in os.environ:
        builder = builder.master(os.environ["SPARK_MASTER"])
    return builder.getOrCreate()
