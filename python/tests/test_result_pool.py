"""The result pool: large NumPy results come from cumulus' NumPy memory handler, which
keeps a few freed ones for the next results. Results stay exactly NumPy's, own their
memory, survive every NumPy operation on memory (resize, pickling, views), and the
handler is NumPy's default again as soon as a call returns."""

from __future__ import annotations

import gc
import pickle
import sys
import threading

import numpy as np
import pytest

import cumulus

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the result pool is Linux only"
)

BIG = 1 << 20  # elements: 8 MiB of int64, above the 4 MiB threshold


def handler_name(array: np.ndarray) -> str:
    return np._core.multiarray.get_handler_name(array)


@pytest.fixture(autouse=True)
def fresh_pool():
    previous = cumulus.set_result_pool_limit(0)
    cumulus.set_result_pool_limit(512 << 20)
    yield
    cumulus.set_result_pool_limit(previous)


def test_large_results_use_the_pool_and_own_their_memory():
    x = np.arange(BIG, dtype=np.int64)
    y = cumulus.cumsum(x)
    assert handler_name(y) == "cumulus_result_pool"
    assert y.flags.owndata and y.base is None
    np.testing.assert_array_equal(y, np.cumsum(x))
    # NumPy's own arrays, made after the call, use NumPy's handler again.
    assert handler_name(np.empty(BIG)) == "default_allocator"


def test_a_freed_result_is_reused_and_overwritten():
    x = np.arange(BIG, dtype=np.int64)
    y = cumulus.cumsum(x)
    address = y.ctypes.data
    del y
    gc.collect()
    blocks, size = cumulus.result_pool_usage()
    assert blocks == 1 and size >= BIG * 8
    z = cumulus.cumprod(np.ones(BIG, dtype=np.int64) * -1)
    assert z.ctypes.data == address, "the freed block is reused"
    assert cumulus.result_pool_usage() == (0, 0)
    np.testing.assert_array_equal(z, np.cumprod(np.ones(BIG, dtype=np.int64) * -1))


def test_a_reused_block_for_zeros_is_zeroed():
    # bool results come from numpy.zeros (calloc): a block that held other values must
    # come back zeroed.
    x = np.full(BIG, -1, dtype=np.int64)
    y = cumulus.cumsum(x)
    del y
    gc.collect()
    flags = np.zeros(BIG * 8, dtype=bool)
    flags[BIG * 4] = True
    got = cumulus.cummax(flags)
    assert cumulus.result_pool_usage() == (0, 0), "the freed block was reused"
    np.testing.assert_array_equal(got, np.maximum.accumulate(flags))
    assert got.dtype == np.bool_


def test_results_survive_resize_pickling_and_views():
    x = np.linspace(-1.0, 1.0, BIG)
    y = cumulus.cumsum(x)
    want = np.cumsum(x)
    view = y[::3]
    np.testing.assert_array_equal(view, want[::3])
    del view
    y.resize(BIG * 2, refcheck=False)  # realloc through the handler
    np.testing.assert_array_equal(y[:BIG], want)
    assert np.all(y[BIG:] == 0)
    y.resize(BIG // 2, refcheck=False)
    np.testing.assert_array_equal(y, want[: BIG // 2])
    copy = pickle.loads(pickle.dumps(y))
    np.testing.assert_array_equal(copy, y)
    del y, copy
    gc.collect()


def test_the_limit_bounds_what_is_kept():
    cumulus.set_result_pool_limit(12 << 20)  # one 8 MiB block fits, two do not
    x = np.arange(BIG, dtype=np.int64)
    results = [cumulus.cumsum(x) for _ in range(3)]
    del results
    gc.collect()
    blocks, size = cumulus.result_pool_usage()
    assert blocks == 1 and size <= 12 << 20
    assert cumulus.set_result_pool_limit(0) == 12 << 20
    assert cumulus.result_pool_usage() == (0, 0)
    # Off: results still come from the handler, and are freed at once.
    y = cumulus.cumsum(x)
    del y
    gc.collect()
    assert cumulus.result_pool_usage() == (0, 0)


def test_at_most_four_blocks_are_kept():
    x = np.arange(BIG, dtype=np.int64)
    results = [cumulus.cumsum(x) for _ in range(6)]
    del results
    gc.collect()
    blocks, _ = cumulus.result_pool_usage()
    assert blocks == 4


def test_blocks_of_nearby_sizes_are_reused():
    # A block freed by a result of n elements serves a result a little smaller.
    y = cumulus.cumsum(np.arange(BIG, dtype=np.int64))
    address = y.ctypes.data
    del y
    gc.collect()  # `ctypes` keeps the array in a cycle
    z = cumulus.cumsum(np.arange(BIG - 1000, dtype=np.int64))
    assert z.ctypes.data == address
    assert cumulus.result_pool_usage() == (0, 0)


def test_small_results_are_not_pooled():
    y = cumulus.cumsum(np.arange(1000))
    del y
    gc.collect()
    assert cumulus.result_pool_usage() == (0, 0)


def test_threads_share_the_pool_safely():
    x = np.arange(BIG, dtype=np.int64)
    want = np.cumsum(x)
    failures = []

    def work():
        try:
            for _ in range(20):
                y = cumulus.cumsum(x)
                if not np.array_equal(y, want):
                    failures.append("wrong values")
                del y
        except BaseException as e:  # a worker's exception would otherwise be lost
            failures.append(repr(e))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    blocks, size = cumulus.result_pool_usage()
    assert 1 <= blocks <= 4 and size >= BIG * 8
