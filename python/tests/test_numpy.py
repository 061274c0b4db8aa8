"""NumPy arrays: cumulus equals NumPy bit for bit (dtype, shape, values)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import cumulus
from conftest import NUMERIC_DTYPES, NUMPY, OPERATIONS, same_bits, sample


def numpy_or_error(op, x, **kwargs):
    """NumPy's result, or the exception class it raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return NUMPY[op](x, **kwargs)
        except TypeError as e:  # a combination NumPy has no loop for
            return type(e)


IDENTITY = {"nancumsum": 0, "nancumprod": 1}
BASE = {"nancumsum": "cumsum", "nancumprod": "cumprod"}


def undefined_cast(x, dtype) -> bool:
    """Whether casting `x` to `dtype` casts a float that the integer type cannot hold
    (NaN, an infinity, out of range): undefined in C, and NumPy's answer then depends on
    which of its loops runs (a SIMD loop for long contiguous arrays, the scalar one
    otherwise: np.cumsum([nan] * 64, dtype=np.uint32) gives 2147483648 at every NaN,
    np.cumsum([nan], dtype=np.uint32) gives 0)."""
    if dtype is None or x.dtype.kind != "f" or np.dtype(dtype).kind not in "iu":
        return False
    info = np.iinfo(dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        return not np.all(np.isfinite(x) & (x > info.min - 1) & (x < info.max + 1))


def scalar_cast(values, dtype):
    """NumPy's cast of each element on its own (NumPy's scalar loop)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flat = values.ravel()
        return np.array([flat[i:i + 1].astype(dtype)[0] for i in range(flat.size)],
                        dtype=dtype).reshape(values.shape)


def check(op, x, **kwargs):
    if undefined_cast(x, kwargs.get("dtype")):
        # NumPy's own loops disagree here: compare with its scalar cast, scanned in dtype.
        values = x
        if op in IDENTITY:
            values = np.where(np.isnan(x), x.dtype.type(IDENTITY[op]), x)
        cast = scalar_cast(values, kwargs["dtype"])
        same_bits(getattr(cumulus, op)(x, **kwargs), NUMPY[BASE.get(op, op)](cast, **kwargs))
        return
    expected = numpy_or_error(op, x, **kwargs)
    if isinstance(expected, type):
        with pytest.raises((TypeError, ValueError)):
            getattr(cumulus, op)(x, **kwargs)
        return
    same_bits(getattr(cumulus, op)(x, **kwargs), expected)


@pytest.mark.parametrize("dtype", (None, *NUMERIC_DTYPES))
@pytest.mark.parametrize("input_dtype", NUMERIC_DTYPES)
def test_every_type_operation_and_dtype(op, input_dtype, dtype):
    x = sample(input_dtype)
    if dtype is None:
        check(op, x)
    else:
        check(op, x, dtype=dtype)


@pytest.mark.parametrize("input_dtype", NUMERIC_DTYPES)
def test_dtype_spellings(input_dtype):
    x = sample(input_dtype)
    for spelling in (np.float32, "f4", np.dtype("float32"), "single", "float32"):
        same_bits(cumulus.cumsum(x, dtype=spelling), np.cumsum(x, dtype=np.float32))


def test_documented_numpy_examples():
    same_bits(cumulus.cumsum(np.array([100, 100, 100], np.int8), dtype=np.int8),
              np.array([100, -56, 44], np.int8))
    same_bits(cumulus.cumprod(np.array([10, 10, 10], np.int8), dtype=np.int8),
              np.array([10, 100, -24], np.int8))
    same_bits(cumulus.cumsum(np.array([0.6] * 3), dtype=np.int64), np.zeros(3, np.int64))
    tenths = cumulus.cumsum(np.full(10, 0.1, np.float32))
    assert tenths[6].view(np.uint32) == 0x3F333334
    same_bits(cumulus.cumsum(np.array([-0.0])), np.array([-0.0]))
    same_bits(cumulus.nancumsum(np.array([1.5, np.nan, 2.5]), dtype=np.int64),
              np.array([1, 1, 3]))


SHAPES = ((3, 4), (2, 3, 4), (4, 1, 5), (1, 6), (5, 1))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ("float64", "int32", "float32", "uint8", "bool"))
def test_every_axis(op, shape, dtype):
    x = sample(dtype, int(np.prod(shape)), seed=len(shape)).reshape(shape)
    for axis in (None, *range(-len(shape), len(shape))):
        check(op, x, axis=axis)


@pytest.mark.parametrize("shape", SHAPES)
def test_fortran_order(op, shape):
    x = np.asfortranarray(sample("float64", int(np.prod(shape))).reshape(shape))
    for axis in (None, *range(-len(shape), len(shape))):
        result = getattr(cumulus, op)(x, axis=axis)
        same_bits(result, NUMPY[op](x, axis=axis))
    # Scanned as the transpose, returned in Fortran order like NumPy's.
    if len(shape) > 1 and min(shape) > 1:
        assert getattr(cumulus, op)(x, axis=0).flags.f_contiguous


def test_strided_and_negative_strides(op):
    base = sample("float64", 120).reshape(6, 20)
    views = [base[::2], base[:, ::-1], base[::-1, ::3], base.T, base[1:, 2:7],
             base.ravel()[::3], base.ravel()[::-1]]
    for view in views:
        for axis in (None, *range(view.ndim)):
            same_bits(getattr(cumulus, op)(view, axis=axis), NUMPY[op](view, axis=axis))


def test_non_native_byte_order_and_misaligned():
    x = sample("float64", 50).astype(">f8")
    same_bits(cumulus.cumsum(x), np.cumsum(x))
    raw = np.zeros(8 * 50 + 1, np.uint8)
    misaligned = raw[1:].view(np.float64)
    misaligned[:] = sample("float64", 50)
    same_bits(cumulus.cumprod(misaligned), np.cumprod(misaligned))


def test_zero_dimensional():
    x = np.array(5, np.int32)
    same_bits(cumulus.cumsum(x), np.cumsum(x))
    same_bits(cumulus.cumsum(x, axis=0), np.cumsum(x, axis=0))
    same_bits(cumulus.cumsum(x, axis=-1), np.cumsum(x, axis=-1))
    with pytest.raises(np.exceptions.AxisError, match="axis 1 is out of bounds"):
        cumulus.cumsum(x, axis=1)


@pytest.mark.parametrize("shape", ((0,), (3, 0), (0, 4), (2, 0, 3)))
def test_empty(op, shape):
    for dtype in ("int8", "float32", "bool"):
        x = np.zeros(shape, dtype)
        for axis in (None, *range(len(shape))):
            check(op, x, axis=axis)


def test_sequences_and_scalars():
    same_bits(cumulus.cumsum([1, 2, 3]), np.cumsum([1, 2, 3]))
    same_bits(cumulus.cumprod([[1.5, 2], [3, 4]], axis=1), np.cumprod([[1.5, 2], [3, 4]], axis=1))
    same_bits(cumulus.cummax(7), NUMPY["cummax"](7))


def test_special_floats():
    x = np.array([-0.0, 0.0, -0.0, np.nan, 1.0, np.inf, -np.inf, np.nan, -0.0])
    for op in OPERATIONS:
        same_bits(getattr(cumulus, op)(x), NUMPY[op](x))
        same_bits(getattr(cumulus, op)(x.astype(np.float16)), NUMPY[op](x.astype(np.float16)))
        same_bits(getattr(cumulus, op)(x.astype(np.float32)), NUMPY[op](x.astype(np.float32)))


class TestOut:
    def test_promotion_float_into_int(self):
        x = np.array([1.5, 2.5, 3.5])
        out = np.empty(3, np.int64)
        assert cumulus.cumsum(x, out=out) is out
        same_bits(out, np.cumsum(x, out=np.empty(3, np.int64)))
        same_bits(out, np.array([1, 4, 7]))

    def test_float32_into_float64_accumulates_in_float64(self):
        x = np.full(7, 0.1, np.float32)
        out = np.empty(7)
        cumulus.cumsum(x, out=out)
        assert out[-1] == 0.7000000104308128
        same_bits(out, np.cumsum(x, out=np.empty(7)))

    @pytest.mark.parametrize("out_dtype", NUMERIC_DTYPES)
    @pytest.mark.parametrize("input_dtype", ("int8", "uint32", "float32", "bool", "float64"))
    def test_every_out_type(self, op, input_dtype, out_dtype):
        x = sample(input_dtype, 40)
        expected = numpy_or_error(op, x, out=np.zeros(40, out_dtype))
        if not isinstance(expected, type) and x.dtype.kind == "f":
            # A float scan's values are cast into out: where that cast is undefined (see
            # undefined_cast), NumPy's scalar cast.
            computed = numpy_or_error(op, x, dtype=np.promote_types(
                np.asarray(NUMPY[op](x[:1])).dtype, out_dtype))
            if not isinstance(computed, type) and undefined_cast(computed, out_dtype):
                expected = scalar_cast(computed, out_dtype)
        out = np.zeros(40, out_dtype)
        if isinstance(expected, type):
            with pytest.raises((TypeError, ValueError)):
                getattr(cumulus, op)(x, out=out)
            return
        getattr(cumulus, op)(x, out=out)
        same_bits(out, expected)

    def test_in_place(self, op):
        x = sample("float64", 30)
        expected = NUMPY[op](x.copy())
        assert getattr(cumulus, op)(x, out=x) is x
        same_bits(x, expected)
        grid = sample("int64", 24).reshape(4, 6)
        expected = NUMPY[op](grid.copy(), axis=1)
        getattr(cumulus, op)(grid, axis=1, out=grid)
        same_bits(grid, expected)

    def test_out_in_another_order_or_strided(self):
        x = sample("float64", 24).reshape(4, 6)
        for out in (np.empty((4, 6), order="F"), np.empty((8, 6))[::2], np.empty((4, 12))[:, ::2]):
            cumulus.cumsum(x, axis=0, out=out)
            same_bits(out, np.cumsum(x, axis=0))
        f = np.asfortranarray(x)
        out = np.empty((4, 6))
        cumulus.cumprod(f, axis=1, out=out)
        same_bits(out, np.cumprod(f, axis=1))

    def test_dtype_and_out(self):
        x = np.array([100, 100, 100], np.int16)
        out = np.empty(3, np.float64)
        cumulus.cumsum(x, dtype=np.int8, out=out)
        same_bits(out, np.cumsum(x, dtype=np.int8, out=np.empty(3)))

    def test_wrong_shape(self):
        x = np.arange(6.0).reshape(2, 3)
        with pytest.raises(ValueError, match="shape"):
            cumulus.cumsum(x, out=np.empty((2, 3)))
        with pytest.raises(ValueError, match="shape"):
            cumulus.cumsum(x, axis=0, out=np.empty(6))
        with pytest.raises(ValueError):
            cumulus.cumsum(x, axis=0, out=np.empty((3, 2)))

    def test_not_an_array_or_read_only(self):
        with pytest.raises(TypeError, match="NumPy array"):
            cumulus.cumsum(np.arange(3.0), out=[0, 0, 0])
        out = np.empty(3)
        out.flags.writeable = False
        with pytest.raises(ValueError, match="read-only"):
            cumulus.cumsum(np.arange(3.0), out=out)
        with pytest.raises(TypeError):
            cumulus.cumsum(np.arange(3.0), out=np.empty(3, "U3"))


def test_overflow_error_names_the_row():
    x = np.array([1, 2, np.iinfo(np.int64).max, 4], np.int64)
    with pytest.raises(OverflowError, match="row 2"):
        cumulus.cumsum(x, overflow="error")
    same_bits(cumulus.cumsum(x), np.cumsum(x))  # wraps by default, as NumPy


def test_reverse():
    x = sample("int32", 20)
    same_bits(cumulus.cumsum(x, reverse=True), np.cumsum(x[::-1])[::-1])
    grid = sample("float64", 20).reshape(4, 5)
    same_bits(cumulus.cumprod(grid, axis=0, reverse=True), np.cumprod(grid[::-1], axis=0)[::-1])


def test_scans_release_the_gil():
    """Another Python thread runs while a long scan is in progress: holding the GIL,
    the scan would leave a gap in its timestamps as long as the scan itself."""
    import threading
    import time

    x = np.random.default_rng(1).standard_normal(10_000_000)
    cumulus.cumsum(x)  # warm up
    stamps: list[float] = []
    stop = threading.Event()

    def stamp():
        while not stop.is_set():
            stamps.append(time.perf_counter())

    thread = threading.Thread(target=stamp)
    thread.start()
    try:
        while not stamps:
            time.sleep(0.001)
        start = time.perf_counter()
        result = cumulus.cumsum(x)
        end = time.perf_counter()
    finally:
        stop.set()
        thread.join()
    same_bits(result, np.cumsum(x))
    inside = [start] + [t for t in stamps if start <= t <= end] + [end]
    longest_gap = max(b - a for a, b in zip(inside, inside[1:]))
    assert longest_gap < (end - start) / 2, (longest_gap, end - start)
