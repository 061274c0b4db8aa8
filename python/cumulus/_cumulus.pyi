"""The compiled part of cumulus (Rust). Call it through ``cumulus``, ``cumulus.polars``
and ``cumulus.datafusion``; these signatures are internal."""

from typing import Any

__version__: str

def scan_numpy(
    op: str,
    x: Any,
    axis: Any,
    dtype: Any,
    out: Any,
    nulls: Any,
    overflow: Any,
    reverse: Any,
) -> Any:
    """``op`` over a NumPy array; returns a NumPy array (``out`` when given)."""

def scan_arrow(
    op: str,
    x: Any,
    axis: Any,
    dtype: Any,
    nulls: Any,
    overflow: Any,
    reverse: Any,
) -> Any:
    """``op`` over Arrow data; returns a ``pyarrow.Array`` or ``pyarrow.ChunkedArray``."""

def normalize_options(
    op: str, axis: Any, dtype: Any, nulls: Any, overflow: Any, reverse: Any
) -> dict[str, str | None]:
    """The options checked by the core, as its text forms."""

def default_options() -> dict[str, str | None]:
    """The core's defaults (NumPy's behaviour), as text forms."""

def sql_default_options() -> dict[str, str | None]:
    """The SQL defaults (nulls carry, axis 0), as text forms."""

def operations() -> list[str]:
    """The six operations' names."""

class WindowFunction:
    """One operation as a DataFusion window function with fixed options."""

    @property
    def name(self) -> str: ...
    @property
    def options(self) -> dict[str, str | None]: ...
    def __datafusion_window_udf__(self) -> object: ...

def window_function(
    op: str, axis: Any, dtype: Any, nulls: Any, overflow: Any, reverse: Any
) -> WindowFunction:
    """The window function of ``op`` with the options given."""

def _panic_for_tests() -> None:
    """Panics in Rust on purpose; raises ``RuntimeError`` (tests only)."""

def set_result_pool_limit(limit: int) -> int: ...
def result_pool_usage() -> tuple[int, int]: ...
