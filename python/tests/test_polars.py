"""The Polars plugin: NumPy's results in select/with_columns, over, group_by, lazy and
streaming; equal to Polars' cum_sum where the semantics agree."""

from __future__ import annotations

import numpy as np
import pytest

pl = pytest.importorskip("polars")

import cumulus  # noqa: E402
import cumulus.polars  # noqa: E402,F401
from conftest import NUMPY, OPERATIONS, same_bits, sample  # noqa: E402


def frame(n=200, groups=7, seed=11):
    rng = np.random.default_rng(seed)
    return pl.DataFrame({
        "g": rng.integers(0, groups, n),
        "i": rng.integers(-50, 50, n).astype(np.int64),
        "f": rng.standard_normal(n),
        "f32": rng.standard_normal(n).astype(np.float32),
        "small": rng.integers(-100, 100, n).astype(np.int8),
    })


@pytest.mark.parametrize("column", ("i", "f", "f32", "small"))
def test_select_equals_numpy(op, column):
    df = frame()
    result = df.select(getattr(pl.col(column).cumulus, op)())
    same_bits(result.to_series().to_numpy(), NUMPY[op](df[column].to_numpy()))


def test_equals_cum_sum_where_semantics_agree():
    df = frame().with_columns(pl.when(pl.col("i") % 5 == 0).then(None).otherwise(pl.col("i")).alias("n"))
    for column in ("i", "f", "n"):
        ours = df.select(pl.col(column).cumulus.cumsum())
        theirs = df.select(pl.col(column).cum_sum())
        assert ours.equals(theirs), column
        ours = df.select(pl.col(column).cumulus.cumsum(reverse=True))
        theirs = df.select(pl.col(column).cum_sum(reverse=True))
        assert ours.equals(theirs), column


def test_numpy_result_types():
    df = pl.DataFrame({"x": [1, 2, 3]}, schema={"x": pl.Int32})
    assert df.select(pl.col("x").cumulus.cumsum()).dtypes == [pl.Int64]  # cum_sum: Int32
    assert df.select(pl.col("x").cumulus.cummax()).dtypes == [pl.Int32]
    assert df.select(pl.col("x").cumulus.cumsum(dtype=pl.Float32)).dtypes == [pl.Float32]
    assert df.select(pl.col("x").cumulus.cumsum(dtype="int8")).dtypes == [pl.Int8]
    assert df.select(pl.col("x").cumulus.cumsum(dtype=np.float64)).dtypes == [pl.Float64]
    # Known before running: the lazy schema.
    lazy = df.lazy().select(pl.col("x").cumulus.cumprod(dtype=pl.UInt16))
    assert lazy.collect_schema() == pl.Schema({"x": pl.UInt16})


def test_over_groups_equals_numpy_per_group(op):
    df = frame()
    result = df.with_columns(getattr(pl.col("f").cumulus, op)().over("g").alias("r"))
    for g in range(7):
        part = result.filter(pl.col("g") == g)
        same_bits(part["r"].to_numpy(), NUMPY[op](part["f"].to_numpy()))


def test_over_equals_cum_sum_over():
    df = frame()
    ours = df.with_columns(pl.col("i").cumulus.cumsum().over("g"))
    theirs = df.with_columns(pl.col("i").cum_sum().over("g"))
    assert ours.equals(theirs)


def test_group_by_agg(op):
    df = frame()
    result = df.group_by("g", maintain_order=True).agg(getattr(pl.col("f32").cumulus, op)().alias("r"))
    for g, values in zip(result["g"], result["r"]):
        part = df.filter(pl.col("g") == g)["f32"].to_numpy()
        same_bits(values.to_numpy(), NUMPY[op](part))


@pytest.mark.parametrize("engine", ("in-memory", "streaming"))
def test_lazy_and_streaming(engine):
    df = frame(n=50_000, groups=13)
    query = df.lazy().with_columns(
        pl.col("f").cumulus.cumsum().alias("c"),
        pl.col("i").cumulus.cumprod(dtype="float64").over("g").alias("p"),
    )
    result = query.collect(engine=engine)
    same_bits(result["c"].to_numpy(), np.cumsum(df["f"].to_numpy()))
    expected = df.lazy().with_columns(pl.col("i").cast(pl.Float64).cum_prod().over("g").alias("p")).collect()
    same_bits(result["p"].to_numpy(), expected["p"].to_numpy())


def test_chunked_column_scans_across_chunks():
    a = pl.DataFrame({"x": [1.5, 2.5]})
    b = pl.DataFrame({"x": [3.5, -0.0]})
    df = pl.concat([a, b], rechunk=False)
    assert df["x"].n_chunks() == 2
    same_bits(df.select(pl.col("x").cumulus.cumsum()).to_series().to_numpy(),
              np.cumsum([1.5, 2.5, 3.5, -0.0]))
    same_bits(df.select(pl.col("x").cumulus.cumsum(reverse=True)).to_series().to_numpy(),
              np.cumsum([-0.0, 3.5, 2.5, 1.5])[::-1])


def test_array_columns_along_every_axis():
    grid = sample("float64", 40).reshape(8, 5)
    df = pl.DataFrame({"a": grid}, schema={"a": pl.Array(pl.Float64, 5)})
    for axis in (0, 1, -1):
        result = df.with_columns(pl.col("a").cumulus.cumsum(axis=axis))
        same_bits(result["a"].to_numpy(), np.cumsum(grid, axis=axis))
    flat = df.select(pl.col("a").cumulus.cumsum())
    same_bits(flat.to_series().to_numpy(), np.cumsum(grid))


def test_nested_array_columns():
    cube = sample("int16", 4 * 3 * 2).reshape(4, 3, 2)
    df = pl.DataFrame({"a": cube}, schema={"a": pl.Array(pl.Int16, (3, 2))})
    for axis in (0, 1, 2):
        result = df.select(pl.col("a").cumulus.cumsum(axis=axis))
        same_bits(result["a"].to_numpy(), np.cumsum(cube, axis=axis))


def test_list_columns():
    df = pl.DataFrame({"l": [[1, 2, 3], None, [], [4]]})
    assert df.select(pl.col("l").cumulus.cumsum(axis=-1))["l"].to_list() == [[1, 3, 6], None, [], [4]]


def test_null_policies_and_nan():
    df = pl.DataFrame({"x": [None, 1.0, float("nan"), None, 2.0]})
    def run(**kw):
        return df.select(pl.col("x").cumulus.cumsum(**kw)).to_series().to_list()
    assert run(nulls="carry")[:2] == [None, 1.0]
    assert run(nulls="propagate") == [None] * 5
    result = df.select(pl.col("x").cumulus.nancumsum(nulls="identity")).to_series().to_list()
    assert result == [0.0, 1.0, 1.0, 1.0, 3.0]
    cummax = df.select(pl.col("x").cumulus.cummax()).to_series().to_list()
    assert cummax[1] == 1.0 and np.isnan(cummax[2]) and np.isnan(cummax[4])  # NaN propagates


def test_errors():
    df = pl.DataFrame({"s": ["a"], "x": [1]})
    with pytest.raises(ValueError, match="invalid value 'sometimes' for option nulls"):
        pl.col("x").cumulus.cumsum(nulls="sometimes")
    with pytest.raises(ValueError, match="option overflow"):
        pl.col("x").cumulus.cumsum(overflow="maybe")
    with pytest.raises(pl.exceptions.PolarsError, match="unsupported input type"):
        df.select(pl.col("s").cumulus.cumsum())
    with pytest.raises(pl.exceptions.PolarsError, match="overflow at row 1"):
        pl.DataFrame({"x": [2**62, 2**62]}).select(pl.col("x").cumulus.cumsum(overflow="error", dtype="int64"))
