"""Shared helpers: NumPy's answers and bit-for-bit comparison."""

from __future__ import annotations

import numpy as np
import pytest

OPERATIONS = ("cumsum", "cumprod", "nancumsum", "nancumprod", "cummax", "cummin")
NUMERIC_DTYPES = (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64",
)


def _accumulate(ufunc):
    """np.<ufunc>.accumulate with np.cumsum's signature (axis=None flattens)."""

    def run(x, axis=None, dtype=None, out=None):
        x = np.asarray(x)
        if axis is None:
            x = x.ravel()
            axis = 0
        elif x.ndim == 0:
            x = x.reshape(1)
        return ufunc.accumulate(x, axis=axis, dtype=dtype, out=out)

    return run


NUMPY = {
    "cumsum": np.cumsum,
    "cumprod": np.cumprod,
    "nancumsum": np.nancumsum,
    "nancumprod": np.nancumprod,
    "cummax": _accumulate(np.maximum),
    "cummin": _accumulate(np.minimum),
}


def same_bits(actual, expected) -> None:
    """`actual` is a NumPy array with `expected`'s dtype, shape and bits."""
    assert isinstance(actual, np.ndarray), type(actual)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    a = np.ascontiguousarray(actual).view(np.uint8)
    e = np.ascontiguousarray(expected).view(np.uint8)
    if not np.array_equal(a, e):
        raise AssertionError(f"bits differ:\nactual   {actual!r}\nexpected {expected!r}")


def sample(dtype: str, n: int = 64, seed: int = 7) -> np.ndarray:
    """Values that exercise wrapping, rounding, -0.0, NaN and inf for `dtype`."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(n) < 0.6
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    if info is not None:
        # Mostly small (products stay interesting), some at the extremes (sums wrap).
        values = rng.integers(-3, 4, n)
        if info.min == 0:
            values = np.abs(values)
        values = values.astype(dtype)
        values[::7] = info.max
        if info.min < 0:
            values[3::11] = info.min
        return values
    values = rng.standard_normal(n) * 3
    specials = {0: -0.0, 5: -0.0, 9: np.nan, 17: np.inf, 23: -np.inf, 30: np.nan}
    for at, special in specials.items():
        if at < n:
            values[at] = special
    return values.astype(dtype)


@pytest.fixture(params=OPERATIONS)
def op(request):
    return request.param
