"""NumPy's cumulative operations as Polars expressions: ``import cumulus.polars`` adds
the ``cumulus`` namespace to ``pl.Expr``.

>>> import polars as pl
>>> import cumulus.polars  # noqa: F401
>>> df = pl.DataFrame({"g": [1, 1, 2], "x": [1, 2, 3]}, schema_overrides={"x": pl.Int32})
>>> df.with_columns(pl.col("x").cumulus.cumsum().over("g").alias("s"))["s"].to_list()
[1, 3, 3]

The six methods (``cumsum``, ``cumprod``, ``nancumsum``, ``nancumprod``, ``cummax``,
``cummin``) are one expression plugin compiled into ``cumulus._cumulus``, registered with
``is_elementwise=False``: Polars hands it a whole column in ``select``/``with_columns``
and one whole group per call under ``.over(...)`` and ``group_by(...).agg(...)`` (with
``is_elementwise=True`` it would be called per morsel and the scan would restart). The
result type is NumPy's (int32 sums give Int64, float32 sums stay Float32 and round in
float32, ``dtype=`` chooses the type), known when the query is planned.

Engines: lazy and eager frames alike. Under the streaming engine
(``collect(engine="streaming")``) Polars runs a plugin that is not elementwise on its
in-memory engine: the column (or group) is gathered and scanned whole; results are
the same.

Columns: bool, integers, floats, Decimal (sums, max, min), Duration (sums, max, min),
``Array`` columns along any ``axis`` (0 runs down the rows, -1 within each row; ``None``,
the default, flattens every element into one column, which only a ``select`` of its
own or ``agg`` can hold) and ``List`` columns along the last axis (``axis=-1``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from polars.plugins import register_plugin_function

from cumulus import _cumulus

__all__ = ["CumulusNamespace"]

_LIBRARY = Path(_cumulus.__file__)


def _dtype_argument(dtype: Any) -> Any:
    """A Polars data type as an empty Series of it (the Rust side reads its Arrow type);
    anything else unchanged (names, NumPy and pyarrow types)."""
    is_polars_type = isinstance(dtype, pl.DataType) or (
        isinstance(dtype, type) and issubclass(dtype, pl.DataType)
    )
    return pl.Series("dtype", [], dtype=dtype) if is_polars_type else dtype


@pl.api.register_expr_namespace("cumulus")
class CumulusNamespace:
    """``pl.Expr.cumulus``: NumPy's cumulative operations on a column.

    Every method takes the same keyword options:

    dtype
        The type to cast to and scan in (NumPy's ``dtype=``): a Polars type
        (``pl.Float64``), a NumPy dtype or a name (``"int8"``). ``None``: NumPy's result
        type.
    nulls
        ``"skip"`` (default, as Polars' ``cum_sum``), ``"propagate"``, ``"carry"`` or
        ``"identity"``.
    overflow
        ``"wrap"`` (default, NumPy's) or ``"error"`` (the query fails naming the row).
    reverse
        Scan from the last row to the first.
    axis
        For ``Array`` and ``List`` columns: NumPy's axis (``None`` flattens).

    Invalid options raise ``ValueError`` when the expression is built; a type the
    operation does not accept fails when the query is planned.
    """

    def __init__(self, expr: pl.Expr) -> None:
        self._expr = expr

    def _call(
        self,
        op: str,
        dtype: Any,
        nulls: str,
        overflow: str,
        reverse: bool,
        axis: int | None,
    ) -> pl.Expr:
        kwargs = _cumulus.normalize_options(
            op, axis, _dtype_argument(dtype), nulls, overflow, reverse
        )
        return register_plugin_function(
            plugin_path=_LIBRARY,
            function_name=op,
            args=self._expr,
            kwargs=dict(kwargs),
            is_elementwise=False,
        )

    def cumsum(
        self,
        *,
        dtype: Any = None,
        nulls: str = "skip",
        overflow: str = "wrap",
        reverse: bool = False,
        axis: int | None = None,
    ) -> pl.Expr:
        """The running sum, as ``numpy.cumsum`` (see the class for the options)."""
        return self._call("cumsum", dtype, nulls, overflow, reverse, axis)

    def cumprod(
        self,
        *,
        dtype: Any = None,
        nulls: str = "skip",
        overflow: str = "wrap",
        reverse: bool = False,
        axis: int | None = None,
    ) -> pl.Expr:
        """The running product, as ``numpy.cumprod`` (see the class for the options)."""
        return self._call("cumprod", dtype, nulls, overflow, reverse, axis)

    def nancumsum(
        self,
        *,
        dtype: Any = None,
        nulls: str = "skip",
        overflow: str = "wrap",
        reverse: bool = False,
        axis: int | None = None,
    ) -> pl.Expr:
        """The running sum with NaN counted as 0, as ``numpy.nancumsum``."""
        return self._call("nancumsum", dtype, nulls, overflow, reverse, axis)

    def nancumprod(
        self,
        *,
        dtype: Any = None,
        nulls: str = "skip",
        overflow: str = "wrap",
        reverse: bool = False,
        axis: int | None = None,
    ) -> pl.Expr:
        """The running product with NaN counted as 1, as ``numpy.nancumprod``."""
        return self._call("nancumprod", dtype, nulls, overflow, reverse, axis)

    def cummax(
        self,
        *,
        dtype: Any = None,
        nulls: str = "skip",
        overflow: str = "wrap",
        reverse: bool = False,
        axis: int | None = None,
    ) -> pl.Expr:
        """The running maximum, as ``numpy.maximum.accumulate``: NaN propagates (Polars'
        ``cum_max`` skips it)."""
        return self._call("cummax", dtype, nulls, overflow, reverse, axis)

    def cummin(
        self,
        *,
        dtype: Any = None,
        nulls: str = "skip",
        overflow: str = "wrap",
        reverse: bool = False,
        axis: int | None = None,
    ) -> pl.Expr:
        """The running minimum, as ``numpy.minimum.accumulate``: NaN propagates (Polars'
        ``cum_min`` skips it)."""
        return self._call("cummin", dtype, nulls, overflow, reverse, axis)
