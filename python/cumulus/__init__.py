"""NumPy's cumulative operations, bit for bit, for NumPy arrays and Arrow data.

``cumsum``, ``cumprod``, ``nancumsum``, ``nancumprod``, ``cummax`` (NumPy's
``np.maximum.accumulate``) and ``cummin`` (``np.minimum.accumulate``), computed by the
``cumulus`` Rust crate:

- a NumPy array (or anything ``numpy.asarray`` reads) gives a NumPy array with exactly
  ``np.cumsum``'s dtype, shape and bits, with ``axis``, ``dtype=`` and ``out=`` as in
  NumPy (``out=`` follows NumPy's promotion rule; ``out=x`` works in place);
- a pyarrow ``Array`` (FixedSizeList and ``arrow.fixed_shape_tensor`` columns included)
  or any object with ``__arrow_c_array__`` gives a ``pyarrow.Array``; a
  ``pyarrow.ChunkedArray``, a Polars Series or any object with ``__arrow_c_stream__``
  gives a ``pyarrow.ChunkedArray``, scanned chunk by chunk (never concatenated), with
  nulls handled by the ``nulls`` policy.

The options beyond NumPy's are keyword-only:

- ``nulls``: ``"skip"`` (default: a null stays null, the running value carries on, as in
  Polars and pandas), ``"propagate"`` (null from the first null on, pyarrow's default),
  ``"carry"`` (a null repeats the running value, SQL's running sum) or ``"identity"``
  (a null counts as 0, 1, -inf or +inf);
- ``overflow``: ``"wrap"`` (default, NumPy's modular integers) or ``"error"``
  (``OverflowError`` naming the row);
- ``reverse``: scan from the last element to the first.

Errors: ``ValueError`` for an invalid option or ``out=`` size, ``TypeError`` for an
unsupported type, ``numpy.exceptions.AxisError`` for an axis out of range,
``OverflowError`` under ``overflow="error"``; the message is the core's.

``import cumulus.polars`` adds ``pl.col(...).cumulus.cumsum(...)`` to Polars;
``cumulus.datafusion.register(ctx)`` adds SQL window functions to datafusion-python.
"""

from __future__ import annotations

from typing import Any

from cumulus import _cumulus

__version__: str = _cumulus.__version__

__all__ = [
    "__version__",
    "cummax",
    "cummin",
    "cumprod",
    "cumsum",
    "nancumprod",
    "nancumsum",
    "result_pool_usage",
    "set_result_pool_limit",
]


def set_result_pool_limit(limit: int) -> int:
    """Sets the most bytes of freed results that cumulus keeps for its next results.

    A NumPy result of 4 MiB or more is allocated by cumulus' own NumPy memory handler:
    when Python frees it, up to 4 such blocks and ``limit`` bytes in all (512 MiB by
    default) are kept, and a later result of about the same size reuses them instead of
    having the kernel map and zero fresh pages, which costs more than the scan. Results
    own their memory as NumPy's do. ``0`` turns this off and frees what is kept. Returns
    the previous limit. Linux only; elsewhere results come from ``numpy.empty`` and this
    returns 0.
    """
    return _cumulus.set_result_pool_limit(limit)


def result_pool_usage() -> tuple[int, int]:
    """(blocks, bytes) of freed results kept for reuse now; see ``set_result_pool_limit``."""
    return _cumulus.result_pool_usage()


def _is_arrow(x: Any) -> bool:
    """Whether `x` goes the Arrow way: it exports Arrow data and is not a NumPy array."""
    kind = type(x)
    if not (hasattr(kind, "__arrow_c_array__") or hasattr(kind, "__arrow_c_stream__")):
        return False
    try:
        import numpy
    except ImportError:
        return True
    return not isinstance(x, numpy.ndarray)


def _scan(
    op: str,
    x: Any,
    axis: int | None,
    dtype: Any,
    out: Any,
    nulls: str,
    overflow: str,
    reverse: bool,
) -> Any:
    if _is_arrow(x):
        if out is not None:
            raise TypeError(f"{op}: out= applies to NumPy arrays; the input is Arrow data")
        return _cumulus.scan_arrow(op, x, axis, dtype, nulls, overflow, reverse)
    try:
        import numpy
    except ImportError:
        raise TypeError(
            f"{op}: expected Arrow data (an object with __arrow_c_array__ or "
            f"__arrow_c_stream__), got {type(x).__name__}; install numpy for NumPy "
            "arrays and sequences"
        ) from None
    if not isinstance(x, numpy.ndarray):
        x = numpy.asarray(x)
    return _cumulus.scan_numpy(op, x, axis, dtype, out, nulls, overflow, reverse)


_PARAMETERS = """
Parameters
----------
x
    A NumPy array of bool, integers or floats, of any shape and memory order (or
    anything ``numpy.asarray`` reads); or Arrow data: a pyarrow ``Array`` or
    ``ChunkedArray`` (also FixedSizeList, List and ``arrow.fixed_shape_tensor``
    columns), a Polars Series, or any object with ``__arrow_c_array__`` or
    ``__arrow_c_stream__``.
axis
    NumPy's axis: ``None`` (default) scans every element in row-major order and
    returns a flat result; an integer scans along that dimension (negative counts from
    the end). For Arrow columns of ``m`` rows of fixed-size lists, axis 0 runs down the
    rows.
dtype
    The type every element is cast to (NumPy's unsafe cast) and the scan runs and
    wraps in: a NumPy dtype or its name (``"int8"``, ``np.float32``, ``"f4"``), a
    pyarrow type, or an Arrow type name (``"Decimal128(20, 2)"`` for decimal columns).
    ``None``: NumPy's result type (sums and products widen bool and narrow integers to
    64 bits).
out
    NumPy arrays only: an array of the result's shape to write into. Without
    ``dtype``, the scan runs in ``numpy.promote_types(result type, out.dtype)`` and is
    cast into ``out``, as NumPy does; ``out=x`` works in place.
nulls
    What a null does (Arrow data; NumPy arrays have none): ``"skip"``,
    ``"propagate"``, ``"carry"`` or ``"identity"``.
overflow
    ``"wrap"`` (NumPy's modular integers) or ``"error"`` (``OverflowError`` naming the
    row; a ``dtype=`` cast that does not fit is an overflow too).
reverse
    Scan from the last element to the first.

Returns
-------
numpy.ndarray | pyarrow.Array | pyarrow.ChunkedArray
    A NumPy array for NumPy input (``out`` itself when given), a ``pyarrow.Array`` for
    an Arrow array, a ``pyarrow.ChunkedArray`` for a stream or chunked array.

Raises
------
ValueError
    An invalid option, or an ``out`` of the wrong shape.
TypeError
    An input or ``dtype`` the operation does not accept (strings, objects, ...).
numpy.exceptions.AxisError
    An axis out of range (a ``ValueError`` and ``IndexError``).
OverflowError
    An integer overflow under ``overflow="error"``.
"""


def cumsum(
    x: Any,
    axis: int | None = None,
    dtype: Any = None,
    out: Any = None,
    *,
    nulls: str = "skip",
    overflow: str = "wrap",
    reverse: bool = False,
) -> Any:
    return _scan("cumsum", x, axis, dtype, out, nulls, overflow, reverse)


def cumprod(
    x: Any,
    axis: int | None = None,
    dtype: Any = None,
    out: Any = None,
    *,
    nulls: str = "skip",
    overflow: str = "wrap",
    reverse: bool = False,
) -> Any:
    return _scan("cumprod", x, axis, dtype, out, nulls, overflow, reverse)


def nancumsum(
    x: Any,
    axis: int | None = None,
    dtype: Any = None,
    out: Any = None,
    *,
    nulls: str = "skip",
    overflow: str = "wrap",
    reverse: bool = False,
) -> Any:
    return _scan("nancumsum", x, axis, dtype, out, nulls, overflow, reverse)


def nancumprod(
    x: Any,
    axis: int | None = None,
    dtype: Any = None,
    out: Any = None,
    *,
    nulls: str = "skip",
    overflow: str = "wrap",
    reverse: bool = False,
) -> Any:
    return _scan("nancumprod", x, axis, dtype, out, nulls, overflow, reverse)


def cummax(
    x: Any,
    axis: int | None = None,
    dtype: Any = None,
    out: Any = None,
    *,
    nulls: str = "skip",
    overflow: str = "wrap",
    reverse: bool = False,
) -> Any:
    return _scan("cummax", x, axis, dtype, out, nulls, overflow, reverse)


def cummin(
    x: Any,
    axis: int | None = None,
    dtype: Any = None,
    out: Any = None,
    *,
    nulls: str = "skip",
    overflow: str = "wrap",
    reverse: bool = False,
) -> Any:
    return _scan("cummin", x, axis, dtype, out, nulls, overflow, reverse)


_SUMMARIES = {
    "cumsum": "The running sum, as ``numpy.cumsum``.",
    "cumprod": "The running product, as ``numpy.cumprod``.",
    "nancumsum": "The running sum with NaN counted as 0, as ``numpy.nancumsum``.",
    "nancumprod": "The running product with NaN counted as 1, as ``numpy.nancumprod``.",
    "cummax": "The running maximum, as ``numpy.maximum.accumulate`` (NaN propagates).",
    "cummin": "The running minimum, as ``numpy.minimum.accumulate`` (NaN propagates).",
}

for _function in (cumsum, cumprod, nancumsum, nancumprod, cummax, cummin):
    _function.__doc__ = _SUMMARIES[_function.__name__] + "\n" + _PARAMETERS
del _function
