"""Hostile inputs: every one is a Python exception with the core's message, never a
crash or a PanicException."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import cumulus
from cumulus import _cumulus


def test_defaults_are_the_cores():
    import inspect

    defaults = _cumulus.default_options()
    parameters = inspect.signature(cumulus.cumsum).parameters
    assert parameters["nulls"].default == defaults["nulls"]
    assert parameters["overflow"].default == defaults["overflow"]
    assert str(parameters["reverse"].default).lower() == defaults["reverse"]
    assert defaults["axis"] == "none" and parameters["axis"].default is None
    assert tuple(_cumulus.operations()) == ("cumsum", "cumprod", "nancumsum", "nancumprod",
                                           "cummax", "cummin")


@pytest.mark.parametrize("values", (
    np.array(["a", "b"]),
    np.array([object(), 1], dtype=object),
    np.array([1 + 2j]),
    np.array([1, 2], "M8[s]"),
    np.array([1, 2], "m8[s]"),
    np.zeros(2, [("a", "i4"), ("b", "f8")]),
    np.array([b"x"]),
))
def test_unsupported_numpy_types(values):
    with pytest.raises(TypeError, match="cumsum: unsupported input type"):
        cumulus.cumsum(values)


@pytest.mark.parametrize("x", (object(), "text", {"a": 1}, None))
def test_wrong_types(x):
    with pytest.raises(TypeError):
        cumulus.cumsum(x)


def test_invalid_options_give_the_cores_message():
    x = np.arange(3)
    with pytest.raises(ValueError, match="invalid value 'sometimes' for option nulls; accepted: skip, propagate, carry, identity"):
        cumulus.cumsum(x, nulls="sometimes")
    with pytest.raises(ValueError, match="option overflow"):
        cumulus.cumsum(x, overflow=3)
    with pytest.raises(ValueError, match="option reverse"):
        cumulus.cumsum(x, reverse="perhaps")
    with pytest.raises(ValueError, match="option dtype"):
        cumulus.cumsum(x, dtype="int128")
    with pytest.raises(ValueError, match="option dtype"):
        cumulus.cumsum(x, dtype=object())
    with pytest.raises(ValueError, match="option axis"):
        cumulus.cumsum(x, axis=1.5)
    with pytest.raises(TypeError, match="dtype Decimal128\\(10, 2\\) is not supported for input type Int64"):
        cumulus.cumsum(x, dtype="Decimal128(10, 2)")
    with pytest.raises(ValueError, match="Utf8 is not a type a scan can run in"):
        cumulus.cumsum(x, dtype="Utf8")


def test_axis_errors():
    x = np.zeros((2, 3))
    for axis in (2, -3):
        with pytest.raises(np.exceptions.AxisError, match=f"axis {axis} is out of bounds for array of dimension 2"):
            cumulus.cumsum(x, axis=axis)
    with pytest.raises(ValueError):  # AxisError is a ValueError
        cumulus.cumsum(x, axis=2**40)
    with pytest.raises(ValueError, match="option axis"):
        cumulus.cumsum(x, axis=10**30)  # beyond int64


def test_out_with_arrow_input():
    with pytest.raises(TypeError, match="out="):
        cumulus.cumsum(pa.array([1]), out=np.empty(1))


def test_bool_out_with_invalid_bytes():
    out = np.frombuffer(bytearray([0, 7, 0]), dtype=np.bool_)
    with pytest.raises(ValueError):
        cumulus.cumsum(np.array([True, True, False]), out=out)


class BadCapsules:
    def __init__(self, result):
        self.result = result

    def __arrow_c_array__(self, requested_schema=None):
        return self.result


def test_invalid_capsules():
    schema, array = pa.array([1, 2]).__arrow_c_array__()
    for result in ((1, 2), (array, schema), None, (schema,), "x", (schema, schema)):
        with pytest.raises((TypeError, ValueError, IndexError)):  # pyo3-arrow's checks
            cumulus.cumsum(BadCapsules(result))


def test_consumed_capsule():
    schema, array = pa.array([1, 2]).__arrow_c_array__()
    assert cumulus.cumsum(BadCapsules((schema, array))).to_pylist() == [1, 3]
    # Importing moved the array out of its capsule: a second import must fail cleanly.
    with pytest.raises(Exception) as info:
        cumulus.cumsum(BadCapsules((schema, array)))
    assert type(info.value).__name__ != "PanicException"


def test_raising_producer():
    class Raises:
        def __arrow_c_stream__(self, requested_schema=None):
            raise RuntimeError("no stream today")

    with pytest.raises(RuntimeError, match="no stream today"):
        cumulus.cumsum(Raises())


def test_unsupported_arrow_types():
    with pytest.raises(TypeError, match="unsupported input type"):
        cumulus.cumsum(pa.array(["a"]))
    with pytest.raises(TypeError):
        cumulus.cumsum(pa.array([{"a": 1}]))
    with pytest.raises(TypeError):
        cumulus.cumsum(pa.array([1, 2]).dictionary_encode())


def test_huge_dimension_is_refused_without_allocating():
    x = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(1, 2**31), strides=(0, 0))
    with pytest.raises((ValueError, MemoryError)):
        cumulus.cumsum(x, axis=1)


def test_direct_calls_with_wrong_arguments():
    with pytest.raises(TypeError):
        _cumulus.scan_numpy("cumsum", [1, 2], None, None, None, "skip", "wrap", False)
    with pytest.raises(ValueError, match="option operation"):
        _cumulus.scan_numpy("cumfoo", np.arange(2), None, None, None, "skip", "wrap", False)
    with pytest.raises(ValueError, match="__arrow_c_array__"):  # pyo3-arrow's message
        _cumulus.scan_arrow("cumsum", object(), None, None, "skip", "wrap", False)


def test_a_rust_panic_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="internal error .a panic raised on purpose"):
        _cumulus._panic_for_tests()
    # The module still works afterwards.
    assert cumulus.cumsum(np.arange(3)).tolist() == [0, 1, 3]
