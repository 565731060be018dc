"""reuse.common.arrow: Arrow arrays made from numpy arrays and Python strings without
``pa.array`` (whose first call loads pandas), equal to what ``pa.array`` makes; string gathers
and casts without ``pyarrow.compute``, equal to ``Array.take`` and ``Array.cast``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reuse.common import arrow
from reuse.common.arrow import as_schema, as_type, from_numpy, from_strings, take_strings

ROOT = Path(__file__).resolve().parent.parent
DTYPES = [np.int8, np.int32, np.int64, np.uint32, np.uint64, np.float64, np.bool_]


@given(st.sampled_from(DTYPES).flatmap(
    lambda dtype: hnp.arrays(dtype, st.integers(0, 200), elements={"allow_nan": False}
                             if dtype is np.float64 else None)))
def test_from_numpy_equals_pa_array(values):
    made = from_numpy(values)
    made.validate(full=True)
    assert made.equals(pa.array(values))


@given(hnp.arrays(np.float64, st.integers(0, 100)), st.data())
def test_nulls_where_the_mask_says(values, data):
    nulls = data.draw(hnp.arrays(np.bool_, len(values)))
    made = from_numpy(values, pa.float64(), nulls=nulls)
    made.validate(full=True)
    assert [value is None for value in made.to_pylist()] == nulls.tolist()
    kept = ~nulls & ~np.isnan(values)
    assert np.array_equal(made.to_numpy(zero_copy_only=False)[kept], values[kept])


def test_a_type_given_converts_the_values_and_a_slice_is_copied_whole():
    values = np.arange(10, dtype=np.int64)[::3]
    assert from_numpy(values, pa.int8()).equals(pa.array([0, 3, 6, 9], pa.int8()))
    with pytest.raises(ValueError, match="one-dimensional"):
        from_numpy(np.zeros((2, 2)))


@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",))), max_size=50),
       st.sampled_from([pa.string(), pa.large_string(), None]))
def test_from_strings_equals_pa_array(values, arrow_type):
    made = from_strings(values, arrow_type)
    made.validate(full=True)
    assert made.equals(pa.array(values, arrow_type or pa.large_string()))


def test_neither_loads_pandas():
    code = ("import sys, numpy as np\n"
            "from reuse.common.arrow import from_numpy, from_strings\n"
            "from_numpy(np.arange(3)); from_numpy(np.ones(3, bool)); from_strings(['a', 'é'])\n"
            "print('pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


STRINGS = st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=8), max_size=40)
STRING_TYPES = st.sampled_from([pa.string(), pa.large_string()])


def _sliced(values, arrow_type, data):
    """``values`` as an array of ``arrow_type``, sliced at a drawn place (an offset not 0)."""
    whole = pa.array(["x", *values, "y"], arrow_type)
    lo = data.draw(st.integers(0, len(values) + 2))
    hi = data.draw(st.integers(lo, len(values) + 2))
    return whole.slice(lo, hi - lo)


@given(STRINGS, STRING_TYPES, st.data())
def test_take_strings_equals_array_take(values, arrow_type, data):
    array = _sliced(values, arrow_type, data)
    positions = np.array(data.draw(st.lists(st.integers(0, max(len(array) - 1, 0)),
                                            max_size=60 if len(array) else 0)), dtype=np.int64)
    taken = take_strings(array, positions)
    taken.validate(full=True)
    assert taken.type == arrow_type
    assert taken.equals(array.take(pa.array(positions, pa.int64())))


def test_take_strings_gathers_block_by_block_as_one(monkeypatch):
    array = pa.array([f"id-{k}" * (k % 4) for k in range(50)], pa.large_string())
    positions = np.random.default_rng(5).integers(0, 50, size=200)
    whole = take_strings(array, positions)
    monkeypatch.setattr(arrow, "TAKE_BLOCK", 7)
    in_blocks = take_strings(array, positions)
    in_blocks.validate(full=True)
    assert in_blocks.equals(whole)
    assert in_blocks.equals(array.take(pa.array(positions, pa.int64())))


def test_take_strings_refuses_positions_out_of_range_and_takes_nulls_as_arrow_does():
    array = pa.array(["a", "b"], pa.large_string())
    for positions in ([2], [-1]):
        with pytest.raises(IndexError, match="out of range for 2 strings"):
            take_strings(array, np.array(positions))
    with_null = pa.array(["a", None, "c"])
    assert take_strings(with_null, np.array([1, 2, 1])).to_pylist() == [None, "c", None]


@given(STRINGS, STRING_TYPES, STRING_TYPES, st.data())
def test_as_type_equals_array_cast(values, source, target, data):
    array = _sliced(values, source, data)
    made = as_type(array, target)
    made.validate(full=True)
    assert made.equals(array.cast(target))


def test_as_type_casts_other_types_and_as_schema_picks_the_columns():
    assert as_type(pa.array([1, 2], pa.int32()), pa.int64()).equals(pa.array([1, 2], pa.int64()))
    batch = pa.RecordBatch.from_pydict({"n": pa.array([1], pa.int32()), "s": pa.array(["é"]),
                                        "extra": pa.array([0])})
    schema = pa.schema([("s", pa.large_string()), ("n", pa.int64())])
    assert as_schema(batch, schema).equals(batch.select(["s", "n"]).cast(schema))


def test_a_dedup_run_folder_is_written_without_pyarrow_compute(tmp_path):
    code = ("import sys\n"
            "from reuse.cli.command import main\n"
            f"sys.argv = ['reuse', 'dedup', 'seeds', '--out', {str(tmp_path / 'run')!r}, '-q',"
            " '--workers', '1', '--verify', 'exact']\n"
            "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
            "print('pyarrow.compute' in sys.modules, 'pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert done.stdout.split()[-2:] == ["False", "False"]
