"""reuse.common.arrow: Arrow arrays made from numpy arrays and Python strings without
``pa.array`` (whose first call loads pandas), equal to what ``pa.array`` makes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reuse.common.arrow import from_numpy, from_strings

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
