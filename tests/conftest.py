from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests run a bounded number of examples (profile "fast"); REUSE_FUZZ=long runs many
# more, e.g.
#   REUSE_FUZZ=long .venv/bin/pytest tests/test_fuzz.py
# (tests that pin their own max_examples keep it).
settings.register_profile(
    "fast", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("REUSE_FUZZ", "fast"))

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED_DATA = ROOT.parent / "shared" / "data"


def build_portable(source: Path, folder: Path, libraries: list[str] | None = None) -> Path:
    """The C extension module ``source`` compiled without SSE2 (the portable branch a machine
    that is not x86 builds) into ``folder``, linked with ``libraries``: the path of the built
    module."""
    import subprocess

    name = source.stem
    build = ("from setuptools import Extension, setup\n"
             "setup(name='portable', script_args=['-q', 'build_ext', '--build-lib', "
             f"{str(folder)!r}, '--build-temp', {str(folder / 'temp')!r}], "
             f"ext_modules=[Extension({name!r}, [{str(source)!r}], "
             f"extra_compile_args=['-U__SSE2__'], libraries={libraries or []!r})])\n")
    subprocess.run([sys.executable, "-c", build], capture_output=True, check=True, cwd=folder)
    (built,) = folder.glob(f"{name}*.so")
    return built


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


def need_shared(name: str) -> Path:
    """Path of a corpus in ../shared/data, or skip with the reason."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"needs the corpus ../shared/data/{name}, which is not present here")
    return path


@pytest.fixture(scope="session")
def spark():
    """One Spark ``local[2]`` session for every Spark test (starting one takes seconds; its
    Python workers too, on the first job); skipped, saying why, without pyspark or Java."""
    from reuse.spark.session import java_available

    pytest.importorskip("pyspark", reason="the Spark tests need pyspark: pip install "
                        "'reuse-detect[spark]'")
    if not java_available():
        pytest.skip("the Spark tests need Java 17 (apt-get install openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("reuse-tests")
               .config("spark.driver.memory", "1g")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
