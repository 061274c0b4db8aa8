"""Arrow inputs: pyarrow arrays and chunked arrays, FixedSizeList and tensor columns,
other PyCapsule producers; null policies; equality with pyarrow.compute where the
semantics agree and with NumPy's types and bits everywhere."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import cumulus
from conftest import NUMPY, OPERATIONS, same_bits, sample

PYARROW = {
    "cumsum": pc.cumulative_sum,
    "cumprod": pc.cumulative_prod,
    "cummax": pc.cumulative_max,
    "cummin": pc.cumulative_min,
}


@pytest.mark.parametrize("dtype", ("int64", "uint64", "float64", "float32"))
@pytest.mark.parametrize("name", sorted(PYARROW))
def test_equals_pyarrow_where_semantics_agree(name, dtype):
    """Same input and result type (64-bit ints, floats), no NaN for max/min (pyarrow
    skips NaN, NumPy propagates it): pyarrow's skip_nulls=True is nulls="skip",
    skip_nulls=False is nulls="propagate"."""
    values = sample(dtype, 200)
    if dtype.startswith("float"):
        values = np.nan_to_num(values, nan=1.5, posinf=2.0, neginf=-2.0)
        values = np.where(values == 0, 0.5, values)  # pyarrow starts sums at +0.0
    mask = np.random.default_rng(3).random(200) < 0.1
    x = pa.array(values, mask=mask)
    for skip, nulls in ((True, "skip"), (False, "propagate")):
        expected = PYARROW[name](x, skip_nulls=skip)
        actual = getattr(cumulus, name)(x, nulls=nulls)
        assert isinstance(actual, pa.Array)
        assert actual.type == expected.type
        assert actual.is_null().equals(expected.is_null())
        same_bits(actual.fill_null(0).to_numpy(), expected.fill_null(0).to_numpy())


@pytest.mark.parametrize("dtype", ("int8", "int32", "uint16", "bool", "float16", "float32"))
def test_numpy_types_where_pyarrow_differs(op, dtype):
    """pyarrow keeps int32 (NumPy widens), rejects bool and float16: cumulus gives
    NumPy's type and bits."""
    values = sample(dtype, 100)
    actual = getattr(cumulus, op)(pa.array(values))
    same_bits(actual.to_numpy(zero_copy_only=False), NUMPY[op](values))


@pytest.mark.parametrize("nulls", ("skip", "propagate", "carry", "identity"))
def test_null_policies(nulls):
    x = pa.array([None, 1, None, 2], pa.int32())
    expected = {
        "skip": [None, 1, None, 3],
        "propagate": [None, None, None, None],
        "carry": [None, 1, 1, 3],
        "identity": [0, 1, 1, 3],
    }[nulls]
    result = cumulus.cumsum(x, nulls=nulls)
    assert result.type == pa.int64()
    assert result.to_pylist() == expected


def test_chunked_arrays_scan_across_chunks(op):
    values = sample("float64", 90)
    chunks = [values[:10], values[10:11], values[11:11], values[11:90]]
    chunked = pa.chunked_array([pa.array(c) for c in chunks], pa.float64())
    result = getattr(cumulus, op)(chunked)
    assert isinstance(result, pa.ChunkedArray)
    assert [len(c) for c in result.chunks] == [len(c) for c in chunks]  # never concatenated
    same_bits(result.to_numpy(), NUMPY[op](values))
    reverse = getattr(cumulus, op)(chunked, reverse=True)
    same_bits(reverse.to_numpy(), NUMPY[op](values[::-1])[::-1])


def test_chunked_nulls_carry_across_chunks():
    chunked = pa.chunked_array([[1, None], [None, 2], [None]], pa.int64())
    assert cumulus.cumsum(chunked, nulls="carry").to_pylist() == [1, 1, 1, 3, 3]
    assert cumulus.cumsum(chunked, nulls="propagate").to_pylist() == [1, None, None, None, None]
    assert cumulus.cumsum(chunked, reverse=True).to_pylist() == [3, None, None, 2, None]


def test_chunked_overflow_names_the_row_of_the_column():
    chunked = pa.chunked_array([[1, 2], [np.iinfo(np.int64).max, 1]], pa.int64())
    with pytest.raises(OverflowError, match="row 2"):
        cumulus.cumsum(chunked, overflow="error")
    with pytest.raises(OverflowError, match="row 2"):
        cumulus.cumsum(chunked, overflow="error", reverse=True)


def test_empty_chunked_array():
    result = cumulus.cumsum(pa.chunked_array([], pa.int8()))
    assert result.type == pa.int64() and len(result) == 0


def test_fixed_size_list_columns_along_every_axis():
    grid = sample("float64", 60).reshape(12, 5)
    column = pa.FixedSizeListArray.from_arrays(pa.array(grid.ravel()), 5)
    same_bits(cumulus.cumsum(column).to_numpy(), np.cumsum(grid))  # axis=None flattens
    for axis in (0, 1, -1):
        result = cumulus.cumsum(column, axis=axis)
        assert result.type == pa.list_(pa.float64(), 5)
        same_bits(result.flatten().to_numpy().reshape(12, 5), np.cumsum(grid, axis=axis))
    with pytest.raises(np.exceptions.AxisError, match="axis 2 is out of bounds"):
        cumulus.cumsum(column, axis=2)


def test_fixed_shape_tensor_columns():
    tensors = sample("int32", 3 * 2 * 4, seed=5).reshape(3, 2, 4)
    column = pa.FixedShapeTensorArray.from_numpy_ndarray(tensors)
    for axis in (0, 1, 2, -1):
        result = cumulus.cumsum(column, axis=axis)
        assert isinstance(result.type, pa.FixedShapeTensorType)
        assert result.type.shape == [2, 4]
        same_bits(result.to_numpy_ndarray(), np.cumsum(tensors, axis=axis))


def test_list_columns_within_each_list():
    column = pa.array([[1, 2, 3], None, [], [4, 5]], pa.list_(pa.int16()))
    assert cumulus.cumsum(column, axis=-1).to_pylist() == [[1, 3, 6], None, [], [4, 9]]


def test_decimals_and_durations():
    decimals = pa.array([1, 2, 3], pa.decimal128(10, 2))
    result = cumulus.cumsum(decimals)
    assert result.type == pa.decimal128(38, 2)
    assert cumulus.cumsum(decimals, dtype="Decimal128(12, 2)").type == pa.decimal128(12, 2)
    durations = pa.array([1, 2, 3], pa.duration("ms"))
    assert cumulus.cumsum(durations).to_pylist() == pa.array([1, 3, 6], pa.duration("ms")).to_pylist()
    with pytest.raises(TypeError, match="products of decimals and durations"):
        cumulus.cumprod(durations)


def test_dtype_as_arrow_type():
    x = pa.array([1, 2, 3], pa.int8())
    assert cumulus.cumsum(x, dtype=pa.float32()).type == pa.float32()
    assert cumulus.cumsum(x, dtype=pa.float64()).type == pa.float64()
    assert cumulus.cumsum(x, dtype=pa.float16()).type == pa.float16()


def test_sliced_arrays():
    values = sample("float64", 50)
    x = pa.array(values, mask=np.arange(50) % 7 == 3).slice(5, 30)
    result = cumulus.cumsum(x, nulls="identity")
    same_bits(result.to_numpy(), np.cumsum(np.where(np.arange(50) % 7 == 3, 0.0, values)[5:35]))


class CapsuleOnly:
    """Exports an array through the PyCapsule interface and nothing else."""

    def __init__(self, array):
        self.array = array

    def __arrow_c_array__(self, requested_schema=None):
        return self.array.__arrow_c_array__(requested_schema)


class StreamOnly:
    def __init__(self, chunked):
        self.chunked = chunked

    def __arrow_c_stream__(self, requested_schema=None):
        return self.chunked.__arrow_c_stream__(requested_schema)


def test_any_pycapsule_producer():
    assert cumulus.cumsum(CapsuleOnly(pa.array([1, 2, 3]))).to_pylist() == [1, 3, 6]
    result = cumulus.cumsum(StreamOnly(pa.chunked_array([[1], [2, 3]])))
    assert isinstance(result, pa.ChunkedArray) and result.to_pylist() == [1, 3, 6]


def test_polars_series_input():
    pl = pytest.importorskip("polars")
    series = pl.Series("x", [1, None, 3], pl.Int32)
    result = cumulus.cumsum(series)
    assert isinstance(result, pa.ChunkedArray)
    assert result.type == pa.int64() and result.to_pylist() == [1, None, 4]


IDENTITIES = {"cumsum": 0, "cumprod": 1, "nancumsum": np.nan, "nancumprod": np.nan,
              "cummax": -np.inf, "cummin": np.inf}


def test_identity_policy_is_numpy_with_the_identity_in_place(op):
    values = sample("float32", 60)
    mask = np.arange(60) % 5 == 2
    x = pa.array(values, mask=mask)
    filled = np.where(mask, np.float32(IDENTITIES[op]), values).astype(np.float32)
    same_bits(getattr(cumulus, op)(x, nulls="identity").to_numpy(), NUMPY[op](filled))
    skip = getattr(cumulus, op)(x, nulls="skip")
    assert skip.is_null().to_pylist() == list(mask)
