"""datafusion-python: the six window functions through FFI_WindowUDF."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

datafusion = pytest.importorskip("datafusion")

import cumulus  # noqa: E402
import cumulus.datafusion  # noqa: E402
from conftest import same_bits  # noqa: E402


@pytest.fixture
def ctx():
    context = datafusion.SessionContext()
    cumulus.datafusion.register(context)
    rng = np.random.default_rng(5)
    n = 5000
    values = rng.standard_normal(n)
    ints = rng.integers(-100, 100, n)
    mask = rng.random(n) < 0.1
    table = pa.table({
        "g": rng.integers(0, 20, n),
        "t": rng.permutation(n),
        "x": pa.array(values, mask=mask),
        "i": pa.array(ints, mask=mask),
    })
    context.register_record_batches("t", [table.to_batches(max_chunksize=700)])
    return context


def column(ctx, sql, name="r"):
    return ctx.sql(sql).to_arrow_table().column(name).combine_chunks()


@pytest.mark.parametrize("x", ("x", "i"))
def test_partitioned_running_sum_equals_sql_sum(ctx, x):
    ours = column(ctx, f"SELECT cumsum({x}) OVER (PARTITION BY g ORDER BY t) AS r FROM t ORDER BY g, t")
    theirs = column(ctx, f"SELECT sum({x}) OVER (PARTITION BY g ORDER BY t ROWS BETWEEN "
                         "UNBOUNDED PRECEDING AND CURRENT ROW) AS r FROM t ORDER BY g, t")
    assert ours.type == theirs.type
    assert ours.is_null().equals(theirs.is_null())
    same_bits(ours.fill_null(0).to_numpy(), theirs.fill_null(0).to_numpy())


def test_all_six_registered_with_numpy_semantics(ctx):
    table = ctx.sql("SELECT g, t, x FROM t ORDER BY g, t").to_arrow_table()
    for op in cumulus.datafusion.OPERATIONS:
        r = column(ctx, f"SELECT {op}(x) OVER (PARTITION BY g ORDER BY t) AS r FROM t ORDER BY g, t")
        for g in range(20):
            mask = (table.column("g").to_numpy() == g)
            part = table.column("x").filter(pa.array(mask))
            expected = getattr(cumulus, op)(part.combine_chunks(), nulls="carry")
            got = r.filter(pa.array(mask))
            assert got.equals(expected), op


def test_specialised_window_function(ctx):
    f = cumulus.datafusion.window("cumsum", dtype="float32", nulls="skip")
    df = ctx.sql("SELECT i FROM t ORDER BY t")
    out = df.select(f(datafusion.col("i")).order_by(datafusion.col("i")).build().alias("r"))
    assert out.schema().field("r").type == pa.float32()
    g = cumulus.datafusion.window("cumprod", dtype=np.int8, overflow="wrap")
    ctx.register_udwf(g)
    r = column(ctx, "SELECT cumprod(v) OVER (ORDER BY v) AS r FROM (VALUES (10), (10), (10)) AS s(v)")
    assert r.type == pa.int8() and r.to_pylist() == [10, 100, -24]


def test_defaults_match_the_core():
    from cumulus import _cumulus

    sql = _cumulus.sql_default_options()
    f = cumulus.datafusion.window("cumsum")
    assert f is not None
    assert _cumulus.window_function("cumsum", 0, None, "carry", "wrap", False).options == sql


def test_errors(ctx):
    with pytest.raises(ValueError, match="option nulls"):
        cumulus.datafusion.window("cumsum", nulls="sometimes")
    with pytest.raises(ValueError, match="option operation"):
        cumulus.datafusion.window("cumfoo")
    ctx.register_udwf(cumulus.datafusion.window("cumsum", overflow="error"))
    with pytest.raises(Exception, match="Int64 overflow at row 1"):
        ctx.sql("SELECT cumsum(v) OVER (ORDER BY v) AS r "
                "FROM (VALUES (CAST(1 AS BIGINT)), (9223372036854775807)) AS s(v)").collect()


def test_option_arguments_in_sql_are_refused(ctx):
    """Across the FFI the arguments arrive as foreign expressions, not literals: an
    option written in SQL is a planning error naming the option (make a function with
    the options instead)."""
    with pytest.raises(Exception, match="options must be constants"):
        ctx.sql("SELECT cumsum(v, NULL, 'skip') OVER (ORDER BY t) AS r "
                "FROM (VALUES (1, 1), (2, NULL), (3, 2)) AS s(t, v)").collect()
