"""NumPy's cumulative operations as window functions for datafusion-python (55.x).

>>> from datafusion import SessionContext
>>> import cumulus.datafusion
>>> ctx = SessionContext()
>>> cumulus.datafusion.register(ctx)
>>> ctx.sql(
...     "SELECT cumsum(x) OVER (ORDER BY t) AS s FROM (VALUES (1, 1), (2, NULL), (3, 2)) AS v(t, x)"
... ).to_pydict()
{'s': [1, 1, 3]}

:func:`register` adds ``cumsum``, ``cumprod``, ``nancumsum``, ``nancumprod``, ``cummax``
and ``cummin`` with the SQL defaults (nulls ``carry``: a null row repeats the running
value, so ``cumsum(x) OVER (PARTITION BY g ORDER BY t)`` equals
``sum(x) OVER (PARTITION BY g ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT
ROW)``; FixedSizeList and tensor columns scan down the rows, axis 0). :func:`window`
makes one function with other options, for the DataFrame API or to register under the
operation's name.

The functions cross from this library into datafusion-python as ``FFI_WindowUDF``
(DataFusion's stable FFI). Compared with the Rust crate's
``cumulus::datafusion::register``, the Python route lacks:

- options in SQL text: the FFI carries no ``ExprPlanner`` (which is what reads them in
  Rust and sets the output type, since DataFusion fixes a window function's output type
  from the input types alone), and the arguments reach the function as foreign
  expressions rather than literals, so ``cumsum(x, 'float64')`` or
  ``cumsum(x, NULL, 'skip')`` is a planning error ("option dtype must be a constant").
  Make a function with the options instead: ``window("cumsum", dtype="float64")``;
- the form without ``OVER`` (``SELECT cumsum(x) FROM t``): it needs the placeholder
  aggregates and the planner, which the FFI cannot carry; write ``OVER ()`` or
  ``OVER (ORDER BY ...)``;
- the streaming operator (``CumulativeWindowAggExec``): datafusion-python can take a
  physical optimizer rule (``SessionContext.add_physical_optimizer_rule`` with
  ``__datafusion_physical_optimizer_rule__``), but across the FFI the rule receives the
  host's plan as opaque foreign nodes, whose window expressions it cannot read or
  rebuild. Queries therefore run in DataFusion's ``WindowAggExec``, which buffers each
  execution partition's input and scans each PARTITION BY group in one call.
"""

from __future__ import annotations

from typing import Any

from cumulus import _cumulus

__all__ = ["OPERATIONS", "register", "window"]

#: The six operations, by their SQL names.
OPERATIONS: tuple[str, ...] = tuple(_cumulus.operations())


def window(
    op: str,
    *,
    dtype: Any = None,
    nulls: str = "carry",
    overflow: str = "wrap",
    axis: int | None = 0,
    reverse: bool = False,
) -> Any:
    """One operation as a datafusion-python ``WindowUDF`` with fixed options.

    ``op`` is one of :data:`OPERATIONS`; the options are those of
    :func:`cumulus.cumsum` with SQL's defaults (``nulls="carry"``, ``axis=0``). The
    output type follows ``dtype`` when the query is planned.

    >>> from datafusion import SessionContext, col
    >>> import cumulus.datafusion
    >>> f = cumulus.datafusion.window("cumsum", dtype="float64", nulls="skip")
    >>> ctx = SessionContext()
    >>> df = ctx.from_pydict({"x": [1, None, 2]})
    >>> df.select(f(col("x")).build().alias("s")).to_pydict()
    {'s': [1.0, None, 3.0]}

    Register it with ``ctx.register_udwf(f)`` to call it in SQL under ``op``'s name
    (replacing the default one). Raises ``ValueError`` for an invalid option.
    """
    from datafusion import udwf

    return udwf(_cumulus.window_function(op, axis, dtype, nulls, overflow, reverse))


def register(ctx: Any) -> None:
    """Registers the six window functions on a datafusion-python ``SessionContext``
    with the SQL defaults (see the module documentation for what the Python route
    lacks compared with Rust)."""
    for op in OPERATIONS:
        ctx.register_udwf(window(op))
