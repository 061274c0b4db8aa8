#!/usr/bin/env python3
"""Generate the NumPy golden fixtures that cumulus' tests compare against bit for bit.

Run from anywhere (Python 3.11+):

    python3 scripts/gen_fixtures.py

The script creates a virtual environment at ``scripts/.venv`` (if missing, or if
``scripts/requirements-fixtures.txt`` changed since it was built), installs the pinned
NumPy into it, re-executes itself inside it and writes ``tests/fixtures/numpy_golden.json``.
All inputs come from literals or from fixed-seed generators, so two runs produce an
identical file. It then reads the file back, asserts a few known NumPy results and
prints a summary.

Output format: one JSON object, laid out with one case per line::

    {"generator": "scripts/gen_fixtures.py", "numpy_version": "2.4.6",
     "python_version": "3.11.7", "platform": "x86_64", "cases": [
    {"name": ..., "op": ..., "input": ..., "dtype": ..., "axis": ..., "out": ..., "expected": ...},
    ...
    ]}

Each case has these keys:

- ``name``: unique, slash separated: ``op/input dtype/label[/dtype=T][/axis=N][/out=T]``.
- ``op``: ``cumsum``, ``cumprod``, ``nancumsum``, ``nancumprod`` (the ``np.`` functions of
  that name), ``cummax`` (``np.maximum.accumulate``) or ``cummin`` (``np.minimum.accumulate``).
  For ``cummax``/``cummin`` with ``axis`` null the input is flattened with ``ravel()`` first.
- ``input``, ``expected``: arrays as ``{"dtype": name, "shape": [...], "values": [...]}``,
  values flattened in C order. Integers and booleans ("0"/"1") are decimal strings,
  timedeltas the decimal string of their int64 count (NaT is "-9223372036854775808"),
  floats the zero-padded lowercase hex of their bits ("0x3c00", "0x3f800000",
  "0x3ff0000000000000").
  ``cumulative_sum`` and ``cumulative_prod`` are NumPy 2's array-API functions, with the
  extra key ``include_initial`` (a bool).
- ``dtype``: null, or the name passed as NumPy's ``dtype=``.
- ``axis``: null (flatten, NumPy's ``axis=None``) or an int, possibly negative or out of bounds.
- ``out``: null, or the dtype name of an ``out=`` array of the result's shape that NumPy
  writes into (``expected`` is then that array). Without ``dtype=``, NumPy then scans in
  ``np.result_type(input, out)`` and casts the scan into ``out``.
- ``error``: present instead of ``expected`` when NumPy raises; ``str()`` of the exception.
- ``tags`` (optional, sorted list): ``"platform"`` marks results that C or IEEE 754 leave
  to the machine (out-of-range, NaN or infinite floats cast to integers; the sign of a NaN
  created by inf - inf or 0 * inf, tagged wherever one appears), recorded on the machine
  named in ``platform``: NumPy picks SIMD kernels at run time, so even another x86_64 CPU
  may differ, and some casts differ between a 1-element and a longer array;
  ``"nan-payload"`` marks inputs mixing NaNs of different sign or payload, where which
  NaN propagates depends on operand order.

Dtype names are NumPy's: bool, int8 ... uint64, float16, float32, float64 and
timedelta64[s|ms|us|ns].
"""

from __future__ import annotations

import json
import math
import platform
import subprocess
import sys
import warnings
import zlib
from collections import Counter
from pathlib import Path

from pinned_venv import reexec_in_venv

SCRIPT = Path(__file__).resolve()
REPO_ROOT = SCRIPT.parent.parent
VENV_DIR = SCRIPT.parent / ".venv"
REQUIREMENTS = SCRIPT.parent / "requirements-fixtures.txt"
OUTPUT = REPO_ROOT / "tests" / "fixtures" / "numpy_golden.json"
MAX_OUTPUT_BYTES = 3 * 1024 * 1024

OPS = ("cumsum", "cumprod", "nancumsum", "nancumprod", "cummax", "cummin")
# NumPy 2's array-API functions (``include_initial`` recorded in each case).
CUMULATIVE_OPS = ("cumulative_sum", "cumulative_prod")
UFUNC_OPS = {"cummax": "maximum", "cummin": "minimum"}
INT_TYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
FLOAT_TYPES = ("float16", "float32", "float64")
NUMERIC_TYPES = ("bool",) + INT_TYPES + FLOAT_TYPES
TIMEDELTA_TYPES = tuple(f"timedelta64[{unit}]" for unit in ("s", "ms", "us", "ns"))
FLOAT_BITS = {"float16": ("uint16", 4), "float32": ("uint32", 8), "float64": ("uint64", 16)}

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
NAN, INF = math.nan, math.inf

# One ~10 element input per type: negatives, zero and extreme values for integers (so
# narrow dtype= targets wrap), fractions for floats (so casts to integers truncate).
STANDARD_VALUES = {
    "bool": [1, 0, 1, 1, 0, 0, 1, 0, 1, 1],
    "int8": [3, -7, 127, 1, -128, 0, 100, -1, 50, 5],
    "int16": [300, -7, 32767, 1, -32768, 0, 1000, -1, 129, 5],
    "int32": [70000, -7, 2**31 - 1, 1, -(2**31), 0, 100000, -1, 129, 5],
    "int64": [2**40 + 3, -7, I64_MAX, 1, I64_MIN, 0, 10**12, -1, 129, 5],
    "uint8": [3, 7, 255, 1, 128, 0, 100, 254, 50, 5],
    "uint16": [300, 7, 65535, 1, 32768, 0, 1000, 65534, 129, 5],
    "uint32": [70000, 7, 2**32 - 1, 1, 2**31, 0, 100000, 2**32 - 2, 129, 5],
    "uint64": [2**40 + 3, 7, 2**64 - 1, 1, 2**63, 0, 10**12, 2**64 - 2, 129, 5],
    "float16": [-0.0, 0.6, 1.5, -2.5, 3.75, 100.0, -50.0, 0.1, 7.25, -0.5],
    "float32": [0.6, 1.5, -2.5, 3.75, -0.0, 100.0, -50.0, 0.1, 7.25, -0.5],
    "float64": [-0.0, 0.6, 1.5, -2.5, 3.75, 100.0, -50.0, 0.1, 7.25, -0.5],
}
# Float input used with unsigned dtype= targets, so that every cast stays in range.
NONNEGATIVE_FLOAT_VALUES = [-0.0, 0.6, 1.5, 2.5, 3.75, 100.0, 50.0, 0.1, 7.25, 0.5]

# Float values whose cast to some integer type is undefined in C (tagged "platform").
BAD_CAST_VALUES = {
    "nan": NAN,
    "inf": INF,
    "neg-inf": -INF,
    "neg-1.5": -1.5,
    "neg-129": -129.0,
    "300": 300.0,
    "65504": 65504.0,
    "3e9": 3e9,
    "neg-3e9": -3e9,
    "1e19": 1e19,
    "neg-1e19": -1e19,
    "2pow63": 2.0**63,
    "2pow64": 2.0**64,
}

ND_SHAPES = ((3, 4), (4, 1), (1, 5), (4, 0), (0, 3), (2, 3, 4), (3, 1, 2), (2, 0, 3), (1, 1, 1))
ND_TYPES = ("int64", "float64", "int8", "float32", "bool", "uint16")
TIMEDELTA_VALUES = [5, -3, 1000, 0, 7, -20, 86400, 2]


# --------------------------------------------------------------------------- venv


def check_pinned_numpy() -> None:
    pins = [line.strip() for line in REQUIREMENTS.read_text().splitlines()
            if line.strip().startswith("numpy==")]
    expected = pins[0].split("==", 1)[1]
    if np.__version__ != expected:
        sys.exit(f"numpy {np.__version__} is installed but {expected} is pinned; "
                 f"delete {VENV_DIR} and rerun")


# --------------------------------------------------------------------------- encoding


def encode(arr) -> dict:
    """An array as {"dtype", "shape", "values"} with values flattened in C order."""
    flat = np.ascontiguousarray(arr).reshape(-1)
    name = arr.dtype.name
    if name in FLOAT_BITS:
        uint, width = FLOAT_BITS[name]
        values = [f"0x{bits:0{width}x}" for bits in flat.view(uint).tolist()]
    elif arr.dtype.kind == "m":
        values = [str(count) for count in flat.view(np.int64).tolist()]
    else:
        values = [str(int(v)) for v in flat.tolist()]
    return {"dtype": name, "shape": list(arr.shape), "values": values}


def float_from_bits(dtype: str, bits: list[int]):
    uint, _ = FLOAT_BITS[dtype]
    return np.array(bits, dtype=uint).view(dtype)


def timedelta_array(dtype: str, counts: list[int]):
    return np.array(counts, dtype=np.int64).view(dtype)


def rng_for(label: str):
    """A generator seeded from a label, so each group's data is independent of the others."""
    return np.random.default_rng(zlib.crc32(label.encode()))


# --------------------------------------------------------------------------- running numpy


def run_op(op: str, a, dtype: str | None, axis: int | None, out=None):
    kwargs = {} if dtype is None else {"dtype": dtype}
    if out is not None:
        kwargs["out"] = out
    if op in UFUNC_OPS:
        ufunc = getattr(np, UFUNC_OPS[op])
        if axis is None:
            return ufunc.accumulate(a.ravel(), **kwargs)
        return ufunc.accumulate(a, axis=axis, **kwargs)
    return getattr(np, op)(a, axis=axis, **kwargs)


def creates_nan(a, result) -> bool:
    """Whether an invalid operation (inf - inf, 0 * inf) made a NaN in the result.

    Such a NaN's sign and payload are the hardware's choice. Detected as the result holding
    this machine's NaN for inf - inf while the input holds no NaN of that sign.
    """
    if result.dtype.name not in FLOAT_BITS:
        return False
    uint, _ = FLOAT_BITS[result.dtype.name]
    inf = np.array(INF, dtype=result.dtype)
    with np.errstate(invalid="ignore"):
        created = inf - inf
    if not (np.ascontiguousarray(result).reshape(-1).view(uint) == created.view(uint)).any():
        return False
    if a.dtype.kind != "f":
        return True
    return not (np.isnan(a) & (np.signbit(a) == np.signbit(created))).any()


class Fixtures:
    """Collects cases, running NumPy for each one as it is added."""

    def __init__(self) -> None:
        self.cases: list[dict] = []
        self._names: set[str] = set()

    def add(self, op: str, label: str, a, *, dtype: str | None = None,
            axis: int | None = None, out: str | None = None, tags: tuple[str, ...] = (),
            include_initial: bool | None = None) -> None:
        params = (("dtype", dtype), ("axis", axis), ("out", out),
                  ("include_initial", include_initial))
        suffix = [f"{key}={value}" for key, value in params if value is not None]
        name = "/".join([op, a.dtype.name, label, *suffix])
        if name in self._names:
            raise ValueError(f"duplicate case name {name}")
        self._names.add(name)
        case = {"name": name, "op": op, "input": encode(a),
                "dtype": dtype, "axis": axis, "out": out}
        if include_initial is not None:
            case["include_initial"] = include_initial
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if include_initial is not None:
                    kwargs = {} if dtype is None else {"dtype": dtype}
                    result = getattr(np, op)(a, axis=axis, include_initial=include_initial,
                                             **kwargs)
                elif out is None:
                    result = run_op(op, a, dtype, axis)
                else:
                    result = np.empty((a.size,) if axis is None else a.shape, dtype=out)
                    run_op(op, a, dtype, axis, out=result)
            case["expected"] = encode(result)
            if creates_nan(a, result):
                tags = (*tags, "platform")
        except (TypeError, ValueError, IndexError) as exc:
            case["error"] = str(exc)
        if tags:
            case["tags"] = sorted(set(tags))
        self.cases.append(case)

    def add_all_ops(self, label: str, a, **kwargs) -> None:
        for op in OPS:
            self.add(op, label, a, **kwargs)


# --------------------------------------------------------------------------- case groups


def standard_input(in_type: str, target: str | None):
    """The standard 1-D input of a type, and its label; floats going to unsigned stay >= 0."""
    if in_type in FLOAT_TYPES and target is not None and target.startswith("uint"):
        return "standard-nonneg", np.array(NONNEGATIVE_FLOAT_VALUES, dtype=in_type)
    return "standard", np.array(STANDARD_VALUES[in_type], dtype=in_type)


def add_type_matrix(fx: Fixtures) -> None:
    """Every input type x op x dtype= (None and each numeric type); axis 0 and -1 too."""
    for in_type in NUMERIC_TYPES:
        for op in OPS:
            for target in (None, *NUMERIC_TYPES):
                label, a = standard_input(in_type, target)
                fx.add(op, label, a, dtype=target)
            _, a = standard_input(in_type, None)
            for axis in (0, -1):
                fx.add(op, "standard", a, axis=axis)


def constant_value(dtype: str):
    if dtype == "bool":
        return True
    if dtype in FLOAT_TYPES:
        return 0.1
    return np.iinfo(dtype).max // 2 + 1


def add_common_edges(fx: Fixtures) -> None:
    """Empty, length 1 and constant inputs for every numeric type and op."""
    for dtype in NUMERIC_TYPES:
        if dtype == "bool":
            single = True
        elif dtype in FLOAT_TYPES:
            single = 2.5
        else:
            info = np.iinfo(dtype)
            single = info.min if info.min < 0 else info.max
        fx.add_all_ops("empty", np.array([], dtype=dtype))
        fx.add_all_ops("single", np.array([single], dtype=dtype))
        fx.add_all_ops("constant", np.full(6, constant_value(dtype), dtype=dtype))


FLOAT_EDGE_INPUTS = {
    "single-negzero": [-0.0],
    "leading-negzero": [-0.0, -0.0, 0.0, -0.0, 1.0],
    "nan-first": [NAN, 1.0, 2.0],
    "nan-middle": [1.0, NAN, 2.0, 3.0],
    "nan-leading-run": [NAN, NAN, -0.0, 4.0, NAN, 5.0],
    "all-nan": [NAN, NAN],
    "inf": [INF, 1.0, -2.0, INF],
    "neg-inf": [-INF, 3.0, -INF, 0.5],
    "zeros-pos-neg": [0.0, -0.0],
    "zeros-neg-pos": [-0.0, 0.0],
    "zeros-pos-nan-neg": [0.0, NAN, -0.0],
    "zeros-neg-nan-pos": [-0.0, NAN, 0.0],
    "zeros-after-neg-one": [-1.0, 0.0, -0.0, 0.0],
    "zeros-after-one": [1.0, -0.0, 0.0, -0.0],
    "inf-minus-inf": [INF, -INF, 1.0],
    "zero-times-inf": [0.0, INF, 1.0],
}
# Bit patterns per type: 1.0, a NaN with payload 1, a negative NaN with payload 2, 2.0.
NAN_PAYLOAD_BITS = {
    "float16": [0x3C00, 0x7E01, 0xFE02, 0x4000],
    "float32": [0x3F800000, 0x7FC00001, 0xFFC00002, 0x40000000],
    "float64": [0x3FF0000000000000, 0x7FF8000000000001, 0xFFF8000000000002, 0x4000000000000000],
}


def add_float_edges(fx: Fixtures) -> None:
    for dtype in FLOAT_TYPES:
        for label, values in FLOAT_EDGE_INPUTS.items():
            fx.add_all_ops(label, np.array(values, dtype=dtype))
        bits = NAN_PAYLOAD_BITS[dtype]
        fx.add_all_ops("nan-payloads", float_from_bits(dtype, bits), tags=("nan-payload",))
        fx.add_all_ops("nan-payloads-reversed", float_from_bits(dtype, bits[::-1]),
                       tags=("nan-payload",))
        fx.add_all_ops("negative-nan", float_from_bits(dtype, bits[2:]))
        for op in ("cumsum", "cummax"):
            fx.add(op, "nan-and-zeros", np.array([NAN, 0.0, -0.0], dtype=dtype), dtype="bool")


# Signalling NaNs and payloads (each reproduced against NumPy on x86-64): a signalling NaN
# that starts a lane is copied as it is; casts to and from half move payloads with
# NumPy's bit routines; when the running value and the element are both NaN, the running
# value's NaN wins.
SIGNALLING_NAN_BITS = {"float16": 0x7C01, "float32": 0x7F800001, "float64": 0x7FF0000000000001}
ONE_POINT_FIVE_BITS = {"float16": 0x3E00, "float32": 0x3FC00000, "float64": 0x3FF8000000000000}


def add_nan_bits(fx: Fixtures) -> None:
    tags = ("nan-payload",)
    for dtype in FLOAT_TYPES:
        snan, one_half = SIGNALLING_NAN_BITS[dtype], ONE_POINT_FIVE_BITS[dtype]
        first = float_from_bits(dtype, [snan, one_half, one_half])
        fx.add_all_ops("snan-first", first, tags=tags)
        fx.add_all_ops("snan-last", first[::-1].copy(), tags=tags)
        fx.add_all_ops("snan-alone", float_from_bits(dtype, [snan]), tags=tags)
        grid = float_from_bits(dtype, [snan, one_half, snan, one_half, snan, one_half])
        for shape in ((2, 3), (1, 3), (3, 2)):
            for axis in (None, 0, 1, -1):
                a = grid[:math.prod(shape)].reshape(shape)
                fx.add_all_ops(f"snan-{shape_label(shape)}", a, axis=axis, tags=tags)
        for target in FLOAT_TYPES:
            if target != dtype:
                for op in ("cumsum", "cummax", "cummin", "cumprod"):
                    fx.add(op, "snan-first", first, dtype=target, tags=tags)
    casts = {
        "float16": [0x7C01, 0xFE02, 0x7D00, 0x3C00],
        "float32": [0x7F800001, 0x7FA00000, 0xFFC00123, 0x7F802000, 0x3F800000],
        "float64": [0x7FF0000000000001, 0x7FF4000000000000, 0xFFF8000000000123,
                    0x7FF8000000000000, 0x3FF0000000000000],
    }
    for dtype, bits in casts.items():
        a = float_from_bits(dtype, bits)
        for target in FLOAT_TYPES:
            if target != dtype:
                for op in ("cummax", "cummin"):
                    fx.add(op, "nan-payload-casts", a, dtype=target, tags=tags)
    # Both NaN along axis 0: the running value's NaN wins.
    both = float_from_bits("float64", [0xFFF8000000000123, 0x3FF0000000000000,
                                       0x7FF8000000000000, 0x4000000000000000])
    for op in ("cumsum", "cumprod"):
        for axis in (0, 1):
            fx.add(op, "both-nan", both.reshape(2, 2), axis=axis, tags=tags)


def add_cumulative(fx: Fixtures) -> None:
    """NumPy 2's cumulative_sum / cumulative_prod, include_initial both ways."""
    for op in CUMULATIVE_OPS:
        for include_initial in (False, True):
            for in_type in NUMERIC_TYPES:
                a = np.array(STANDARD_VALUES[in_type], dtype=in_type)
                fx.add(op, "standard", a, include_initial=include_initial)
                fx.add(op, "standard", a, axis=0, include_initial=include_initial)
                for target in ("int8", "uint64", "float32", "float64"):
                    fx.add(op, "standard", a, dtype=target, include_initial=include_initial)
            fx.add(op, "empty", np.array([], dtype="int32"), include_initial=include_initial)
            fx.add(op, "neg-zero", np.array([-0.0, -0.0], dtype="float64"),
                   include_initial=include_initial)
            for shape in ((2, 3), (4, 1), (0, 3), (2, 3, 4), (2, 0, 3)):
                ndim = len(shape)
                for dtype in ("int64", "float64", "bool"):
                    a = nd_input(dtype, shape)
                    for axis in (None, *range(ndim), *range(-ndim, 0), ndim):
                        fx.add(op, shape_label(shape), a, axis=axis,
                               include_initial=include_initial)


def add_specific_edges(fx: Fixtures) -> None:
    """Overflow, wrapping, rounding-order and cast cases named in the reference."""
    add = fx.add
    add("cumsum", "overflow-max-plus-one", np.array([I64_MAX, 1], dtype="int64"))
    add("cumsum", "overflow-min-minus-one", np.array([I64_MIN, -1], dtype="int64"))
    add("cumprod", "overflow-min-times-neg-one", np.array([I64_MIN, -1], dtype="int64"))
    add("cumprod", "overflow-2pow62-times-4", np.array([2**62, 4], dtype="int64"))
    add("cumsum", "overflow-max-plus-one", np.array([2**64 - 1, 1], dtype="uint64"))
    add("cumprod", "overflow-2pow63-times-2", np.array([2**63, 2], dtype="uint64"))
    add("cumsum", "widen-max-plus-one", np.array([2**31 - 1, 1], dtype="int32"))
    add("cumsum", "widen-max-plus-one", np.array([2**32 - 1, 1], dtype="uint32"))
    add("cumsum", "wrap-100", np.array([100, 100, 100], dtype="int8"), dtype="int8")
    add("cumprod", "wrap-10", np.array([10, 10, 10], dtype="int8"), dtype="int8")
    add("cumsum", "wrap-200", np.array([200, 200, 200], dtype="uint8"), dtype="uint8")
    add("cumsum", "full-0.1", np.full(10, 0.1, dtype="float32"))
    add("cumsum", "full-0.1", np.full(10, 0.1, dtype="float16"))
    add("cumsum", "full-0.1", np.full(10, 0.1, dtype="float64"))
    add("cumsum", "absorb-2pow24", np.array([16777216, 1, 1, 1], dtype="float32"))
    add("cumsum", "absorb-2048", np.array([2048, 1, 1, 1], dtype="float16"))
    add("cumsum", "overflow-to-inf", np.array([65504, 65504], dtype="float16"))
    add("cumprod", "overflow-to-inf", np.array([300, 300], dtype="float16"))
    for target in ("float32", "float16"):
        add("cumsum", "overflow-to-inf", np.array([1e300, 1.0], dtype="float64"), dtype=target)
    # 1 + 2**-11 + 2**-40 rounds up when cast straight to float16, to 1.0 via float32.
    add("cumsum", "double-rounding", np.array([1 + 2**-11 + 2**-40, 0.0], dtype="float64"),
        dtype="float16")
    add("cumsum", "round-to-float", np.array([2**53 + 1, 2**24 + 1, 2049], dtype="int64"),
        dtype="float64")
    for target in ("float32", "float16"):
        add("cumsum", "round-to-float", np.array([2**24 + 1, 2049, 3], dtype="int64"), dtype=target)
    add("cumsum", "truncate-0.6", np.array([0.6, 0.6, 0.6], dtype="float64"), dtype="int64")
    add("cumsum", "wrap-2pow40", np.array([2**40, 1], dtype="int64"), dtype="int32")
    add("nancumsum", "nan-to-zero-then-cast", np.array([1.5, NAN, 2.5], dtype="float64"),
        dtype="int64")
    add("nancumprod", "nan-to-one-then-cast", np.array([2.5, NAN, 3.5], dtype="float64"),
        dtype="int64")
    for label, values in (("running-or", [0, 1, 0, 1]), ("running-and", [1, 1, 0, 1])):
        for op in ("cumsum", "cumprod"):
            add(op, label, np.array(values, dtype="bool"), dtype="bool")


def add_long_random(fx: Fixtures) -> None:
    """Long inputs, so that rounding errors accumulate."""
    for dtype, n in (("float64", 1000), ("float32", 1000), ("float16", 300)):
        rng = rng_for(f"long/{dtype}")
        normal = rng.normal(0.0, 1.0, n).astype(dtype)
        near_one = rng.normal(1.0, 0.05, n).astype(dtype)
        with_nans = normal.copy()
        with_nans[rng.random(n) < 0.05] = NAN
        fx.add("cumsum", f"random-normal-{n}", normal)
        fx.add("cumprod", f"random-near-one-{n}", near_one)
        fx.add("nancumsum", f"random-normal-nans-{n}", with_nans)
        fx.add("nancumprod", f"random-near-one-{n}", near_one)
        fx.add("cummax", f"random-normal-{n}", normal)
        fx.add("cummin", f"random-normal-{n}", normal)
        wider = {"float16": "float32", "float32": "float64", "float64": "float32"}[dtype]
        fx.add("cumsum", f"random-normal-{n}", normal, dtype=wider)


def add_timedeltas(fx: Fixtures) -> None:
    nat = I64_MIN
    for dtype in TIMEDELTA_TYPES:
        fx.add_all_ops("standard", timedelta_array(dtype, TIMEDELTA_VALUES))
        fx.add_all_ops("empty", timedelta_array(dtype, []))
        fx.add_all_ops("nat-middle", timedelta_array(dtype, [1, nat, 2]))
        for op in ("cumsum", "nancumsum"):
            fx.add(op, "overflow-max-plus-one", timedelta_array(dtype, [I64_MAX, 1, 5]))
            fx.add(op, "overflow-to-nat", timedelta_array(dtype, [I64_MIN + 1, -1, 5]))


def nd_input(dtype: str, shape: tuple[int, ...], *, finite: bool = False):
    """Seeded values of a shape; float64 gets a NaN (unless finite), float32 a leading -0.0."""
    rng = rng_for(f"nd/{dtype}/{shape}/{finite}")
    size = math.prod(shape)
    if dtype == "bool":
        flat = rng.integers(0, 2, size).astype(bool)
    elif dtype == "float64":
        flat = np.round(rng.normal(0.0, 10.0, size), 2)
        if size >= 6 and not finite:
            flat[size // 2] = NAN
    elif dtype == "float32":
        flat = rng.normal(0.0, 10.0, size).astype(np.float32)
        if size:
            flat[0] = -0.0
    elif dtype == "int64":
        flat = rng.integers(-(10**6), 10**6, size, dtype=np.int64)
    else:
        info = np.iinfo(dtype)
        flat = rng.integers(info.min, info.max, size, endpoint=True, dtype=dtype)
    return flat.reshape(shape)


def shape_label(shape: tuple[int, ...]) -> str:
    return "shape=" + "x".join(map(str, shape))


def add_nd(fx: Fixtures) -> None:
    for shape in ND_SHAPES:
        ndim = len(shape)
        axes = (None, *range(ndim), *range(-ndim, 0), ndim, -ndim - 1)
        for dtype in ND_TYPES:
            a = nd_input(dtype, shape)
            for axis in axes:
                fx.add_all_ops(shape_label(shape), a, axis=axis)
    int8 = nd_input("int8", (3, 4))
    for axis in (0, 1, -1):
        fx.add_all_ops("shape=3x4", int8, dtype="int8", axis=axis)
    uint16 = nd_input("uint16", (3, 4))
    for axis in (None, 1):
        fx.add("cumsum", "shape=3x4", uint16, dtype="uint16", axis=axis)
    finite = nd_input("float64", (3, 4), finite=True)
    for axis in (None, 0, 1):
        fx.add_all_ops("shape=3x4-finite", finite, dtype="int32", axis=axis)
    reference = np.array([[1, 2, 3], [4, 5, 6]], dtype="int64")
    for axis in (None, 0, 1, -1, -2, 2, -3):
        fx.add_all_ops("reference-2x3", reference, axis=axis)
    standard = np.array(STANDARD_VALUES["int64"], dtype="int64")
    for axis in (1, -2):
        fx.add_all_ops("standard", standard, axis=axis)


def add_out(fx: Fixtures) -> None:
    """out= cases. Without dtype=, NumPy runs the scan in np.result_type(input, out), not in
    the default result type, then casts into out; several cases tell the two apart."""
    f64 = np.array([1.5, 2.5, 3.5], dtype="float64")
    int64_overflow = np.array([I64_MAX, 1], dtype="int64")
    int8_100 = np.array([100, 100, 100], dtype="int8")
    reference = np.array([[1, 2, 3], [4, 5, 6]], dtype="int64")
    fx.add("cumsum", "out-cast", f64, out="int64")
    fx.add("cumsum", "out-cast", f64, dtype="int64", out="float32")
    fx.add("cummax", "out-cast", np.array([1.5, 2.5, 0.5], dtype="float64"), out="int64")
    fx.add("nancumsum", "out-cast", np.array([1.5, NAN, 2.5], dtype="float64"), out="int64")
    fx.add("cumsum", "out-promote", int64_overflow, out="float64")
    fx.add("cumsum", "out-promote", int64_overflow, dtype="int64", out="float64")
    fx.add("cumsum", "out-promote", np.array([2**53 + 1, 2**24 + 1, 3], dtype="int64"),
           out="float32")
    fx.add("cumsum", "out-promote", np.full(10, 0.1, dtype="float32"), out="float64")
    fx.add("cumsum", "out-promote", np.full(20, 127, dtype="int8"), out="float16")
    fx.add("cummax", "out-promote", np.array([2**53 + 1, 3], dtype="uint64"), out="int64")
    fx.add("cumsum", "out-promote", np.array([1, 2, 3], dtype="uint64"), out="int8")
    fx.add("cumsum", "out-promote", int8_100, out="uint8")
    fx.add("cumsum", "out-cast", int8_100, out="int8")
    fx.add("cumprod", "out-cast", np.array([10, 10, 10], dtype="int8"), out="int8")
    fx.add("cumsum", "out-cast", np.array([1, 1, 0], dtype="bool"), out="bool")
    fx.add("cummax", "out-cast", np.array([1, 3, 2], dtype="int64"), out="float64")
    fx.add("cumsum", "out-cast-2x3", reference, out="float64")
    fx.add("cumsum", "out-cast-2x3", reference, axis=1, out="int16")
    platform_tag = ("platform",)
    fx.add("cumsum", "out-cast-nan", np.array([NAN, 1.0], dtype="float64"), out="int64",
           tags=platform_tag)
    fx.add("cumsum", "out-cast-1e19", np.array([1e19, 1.0], dtype="float64"), out="int64",
           tags=platform_tag)
    fx.add("cumsum", "out-promote-huge", np.array([2**64 - 1, 2, 255], dtype="uint64"),
           out="int8", tags=platform_tag)
    fx.add("cumsum", "out-promote-negative", np.array([-1, 5], dtype="int8"), out="uint64",
           tags=platform_tag)


def cast_in_range(value: float, target: str) -> bool:
    info = np.iinfo(target)
    return math.isfinite(value) and info.min - 1 < value < info.max + 1


def add_platform_casts(fx: Fixtures) -> None:
    """Float -> int casts that C leaves undefined: what NumPy does on this machine."""
    for dtype in FLOAT_TYPES:
        candidates: dict[str, float] = {}
        for label, value in BAD_CAST_VALUES.items():
            with np.errstate(over="ignore"):
                as_float = float(np.array(value, dtype=dtype))
            if math.isfinite(value) == math.isfinite(as_float):
                candidates[label] = as_float
        for target in INT_TYPES:
            bad = {label: v for label, v in candidates.items() if not cast_in_range(v, target)}
            for label, value in bad.items():
                for op in ("cumsum", "cummax"):
                    fx.add(op, f"cast-{label}", np.array([value], dtype=dtype), dtype=target,
                           tags=("platform",))
            mixed = np.array([*bad.values(), 1.0], dtype=dtype)
            fx.add_all_ops("cast-mixed", mixed, dtype=target, tags=("platform",))
            fx.add_all_ops("cast-mixed-x8", np.tile(mixed, 8), dtype=target, tags=("platform",))


# --------------------------------------------------------------------------- output


def write_fixtures(cases: list[dict]) -> None:
    meta = {
        "generator": "scripts/gen_fixtures.py",
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "platform": platform.machine(),
    }
    head = json.dumps(meta)[:-1] + ', "cases": [\n'
    body = ",\n".join(json.dumps(case, separators=(",", ":")) for case in cases)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8", newline="\n") as f:
        f.write(head + body + "\n]}\n")


def expect(cases: dict[str, dict], name: str, values: list[str], dtype: str | None = None) -> None:
    got = cases[name]["expected"]
    assert got["values"] == values, f"{name}: {got['values']} != {values}"
    assert dtype is None or got["dtype"] == dtype, f"{name}: dtype {got['dtype']} != {dtype}"


def expect_error(cases: dict[str, dict], name: str, message: str) -> None:
    got = cases[name].get("error")
    assert got == message, f"{name}: error {got!r} != {message!r}"


def sanity_check() -> None:
    """Read the file back and check results documented in the reference."""
    data = json.loads(OUTPUT.read_text(encoding="utf-8"))
    cases = {case["name"]: case for case in data["cases"]}
    assert len(cases) == len(data["cases"]), "case names are not unique"
    assert cases["cumsum/float32/full-0.1"]["expected"]["values"][6] == "0x3f333334"
    expect(cases, "cumsum/int8/wrap-100/dtype=int8", ["100", "-56", "44"], "int8")
    expect(cases, "cumprod/int8/wrap-10/dtype=int8", ["10", "100", "-24"], "int8")
    expect(cases, "cumsum/float64/truncate-0.6/dtype=int64", ["0", "0", "0"], "int64")
    expect(cases, "cumsum/int64/wrap-2pow40/dtype=int32", ["0", "1"], "int32")
    expect(cases, "nancumsum/float64/nan-to-zero-then-cast/dtype=int64", ["1", "1", "3"])
    expect(cases, "cumsum/float64/out-cast/out=int64", ["1", "4", "7"], "int64")
    expect(cases, "cumsum/float64/out-cast/dtype=int64/out=float32",
           ["0x3f800000", "0x40400000", "0x40c00000"], "float32")
    expect(cases, "cumsum/int64/out-promote/out=float64", ["0x43e0000000000000"] * 2)
    expect(cases, "cumsum/int64/out-promote/dtype=int64/out=float64",
           ["0x43e0000000000000", "0xc3e0000000000000"])
    expect(cases, "cumsum/int8/out-promote/out=uint8", ["100", "200", "44"])
    expect(cases, "cumsum/int64/overflow-max-plus-one", [str(I64_MAX), str(I64_MIN)])
    expect(cases, "cumsum/uint64/overflow-max-plus-one", [str(2**64 - 1), "0"])
    expect(cases, "cumprod/int64/overflow-2pow62-times-4", [str(2**62), "0"])
    expect(cases, "cumsum/int32/widen-max-plus-one", ["2147483647", "2147483648"], "int64")
    expect(cases, "cumsum/float16/overflow-to-inf", ["0x7bff", "0x7c00"], "float16")
    expect(cases, "cumsum/float32/absorb-2pow24", ["0x4b800000"] * 4)
    expect(cases, "cumsum/float16/absorb-2048", ["0x6800"] * 4)
    expect(cases, "cumsum/float64/single-negzero", ["0x8000000000000000"])
    expect(cases, "cumsum/bool/running-or/dtype=bool", ["0", "1", "1", "1"], "bool")
    expect(cases, "cumprod/bool/running-and/dtype=bool", ["1", "1", "0", "0"], "bool")
    expect(cases, "nancumsum/float64/nan-first", ["0x0000000000000000", "0x3ff0000000000000",
                                                  "0x4008000000000000"])
    expect(cases, "cumsum/int8/empty", [], "int64")
    expect(cases, "cumsum/int64/reference-2x3", ["1", "3", "6", "10", "15", "21"])
    expect(cases, "cumsum/int64/reference-2x3/axis=0", ["1", "2", "3", "5", "7", "9"])
    expect(cases, "cumsum/int64/reference-2x3/axis=-1", ["1", "3", "6", "4", "9", "15"])
    for unit in ("s", "ns"):
        expect(cases, f"cumsum/timedelta64[{unit}]/overflow-max-plus-one",
               [str(I64_MAX), str(I64_MIN), str(I64_MIN)], f"timedelta64[{unit}]")
        assert "error" in cases[f"cumprod/timedelta64[{unit}]/standard"]
    expect_error(cases, "cumsum/int64/reference-2x3/axis=2",
                 "axis 2 is out of bounds for array of dimension 2")
    expect_error(cases, "cumsum/int64/reference-2x3/axis=-3",
                 "axis -3 is out of bounds for array of dimension 2")


def print_summary(cases: list[dict]) -> None:
    per_op = Counter(case["op"] for case in cases)
    errors = Counter(case["op"] for case in cases if "error" in case)
    tags = Counter(tag for case in cases for tag in case.get("tags", ()))
    print(f"wrote {OUTPUT.relative_to(REPO_ROOT)}: {len(cases)} cases, "
          f"{OUTPUT.stat().st_size} bytes, numpy {np.__version__} on {platform.machine()}")
    for op in OPS:
        print(f"  {op:<11} {per_op[op]:>5} cases, {errors[op]:>4} errors")
    print("  tags: " + ", ".join(f"{tag}={count}" for tag, count in sorted(tags.items())))


def main() -> None:
    check_pinned_numpy()
    fx = Fixtures()
    add_type_matrix(fx)
    add_common_edges(fx)
    add_float_edges(fx)
    add_nan_bits(fx)
    add_specific_edges(fx)
    add_long_random(fx)
    add_timedeltas(fx)
    add_nd(fx)
    add_out(fx)
    add_platform_casts(fx)
    add_cumulative(fx)
    write_fixtures(fx.cases)
    sanity_check()
    print_summary(fx.cases)
    if OUTPUT.stat().st_size > MAX_OUTPUT_BYTES:
        sys.exit(f"{OUTPUT} is larger than {MAX_OUTPUT_BYTES} bytes")


if __name__ == "__main__":
    reexec_in_venv(SCRIPT, VENV_DIR, REQUIREMENTS)
    import numpy as np  # only importable inside the venv

    main()
