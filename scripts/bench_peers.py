#!/usr/bin/env python3
"""Time cumulus beside NumPy, pyarrow, Polars, DuckDB and DataFusion on the same data.

Run from anywhere (Python 3.11+ and a Rust toolchain)::

    python3 scripts/bench_peers.py            # the comparison: 10^7 elements per case
    python3 scripts/bench_peers.py --quick    # a smoke run on tiny data (under 2 minutes)

One run does everything, in this order:

1. creates ``bench/.venv`` from the pinned ``bench/requirements.txt`` (again whenever that
   file changes) and re-executes itself inside it;
2. generates the data once, from a fixed seed: columns of int64, float64, int32 and
   float32 without and with 10% nulls (for the floats also with NaN where the nulls are,
   for NumPy's nan-variants), and 2-D float64 arrays; writes them as Arrow IPC files to
   ``bench/data/`` (gitignored; deleted after a successful run);
3. builds ``benches/peers.rs`` and runs it on those files: it times cumulus through
   its array API, SQL in DataFusion and the Polars expression, and DataFusion's built-in
   window sum in the same session, and writes the array API's outputs back;
4. builds the Python package (``python/``, ``maturin build``, release for the real run) and
   installs its wheel into ``bench/.venv``;
5. times the peers in this process on the same values: NumPy, pyarrow (``skip_nulls`` both
   ways), Polars' ``cum_sum``/``cum_prod`` (also under ``.over`` with 1000 groups),
   DuckDB's window ``sum``/``product``, and ``np.copy`` of the input (the memory-bandwidth
   floor); and beside them the Python package: ``cumulus.cumsum`` on the NumPy array and on
   the pyarrow array, the Polars plugin (also under ``.over``) and the datafusion-python
   window function;
6. checks bit for bit that cumulus' output is NumPy's, and marks every peer whose output
   is not; a cumulus disagreement is printed loudly and makes the exit status 1;
7. writes the markdown table (date, machine, versions, command) to ``bench/results.md``,
   prints it, and puts its tables into README.md's "Performance" section (between the
   ``bench_peers`` markers).

Every cell is the median of several timed runs after one warm-up, in nanoseconds per
element, with its ratio to the fastest peer of the row. Every implementation runs on one
thread (DuckDB ``threads=1``, DataFusion one target partition, ``POLARS_MAX_THREADS=1``).

``--python-only`` skips steps 3 and 7's README update: the Python peers and the Python
package alone (a release build of the package, without the Rust benchmark's release build
of every engine), written to ``bench/results-python.md``.

``--quick`` runs the same cases on tiny data and writes ``bench/results-quick.md``
instead, so it never overwrites the real results (nor the README). It exists to prove the whole pipeline
(environment, build, every implementation, the bit-for-bit check) works, e.g. in CI: its
numbers are a smoke run, not a performance measurement, and are labelled so. To stay
cheap there it builds the Rust side in the dev profile (``cargo build --all-features``),
which ``cargo test --all-features`` has already compiled, instead of the release build a
measurement needs (a cold release build compiles DataFusion and Polars again with
optimisations).
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from pinned_venv import reexec_in_venv

SCRIPT = Path(__file__).resolve()
REPO_ROOT = SCRIPT.parent.parent
BENCH_DIR = REPO_ROOT / "bench"
VENV_DIR = BENCH_DIR / ".venv"
REQUIREMENTS = BENCH_DIR / "requirements.txt"
DATA_DIR = BENCH_DIR / "data"
README = REPO_ROOT / "README.md"
README_BEGIN = "<!-- bench_peers:begin (written by scripts/bench_peers.py) -->"
README_END = "<!-- bench_peers:end -->"

# Polars reads this when it is imported, here and in the Rust process, which inherits it.
os.environ["POLARS_MAX_THREADS"] = "1"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true",
        help="tiny data and a dev build: a smoke run, not a measurement "
             "(writes bench/results-quick.md)")
    parser.add_argument(
        "--python-only", action="store_true",
        help="the Python side only: peers and the Python package, no Rust benchmark "
             "build (writes bench/results-python.md, leaves the README alone)")
    parser.add_argument(
        "--only", metavar="OP:DTYPE", action="append", default=[],
        help="only the 1-D cases of this operation and input type (repeatable, e.g. "
             "--only cumsum:int64); the results go to a file ending in -only.md")
    return parser.parse_args(argv)


if __name__ == "__main__":
    parse_args(sys.argv[1:])  # --help works before the environment exists
    reexec_in_venv(SCRIPT, VENV_DIR, REQUIREMENTS)

# Available once running inside bench/.venv.
import datafusion  # noqa: E402
import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.ipc  # noqa: E402,F401  (makes pa.ipc available)

SEED = 20261121
GROUPS = 1000  # the .over cases
NULL_FRACTION = 0.1
DTYPES = ("int64", "float64", "int32", "float32")
NUMPY_OPS = {"cumsum": np.cumsum, "cumprod": np.cumprod, "nancumsum": np.nancumsum}
NAN_VARIANTS = {"cumsum": np.nancumsum, "cumprod": np.nancumprod}
IDENTITIES = {"cumsum": 0, "cumprod": 1}
PYARROW_OPS = {"cumsum": pc.cumulative_sum, "cumprod": pc.cumulative_prod}
POLARS_OPS = {"cumsum": pl.Expr.cum_sum, "cumprod": pl.Expr.cum_prod}
SQL_AGGREGATES = {"cumsum": "sum", "cumprod": "product"}
UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


@dataclass(frozen=True)
class Plan:
    """The sizes and run counts of a run: the comparison or the quick smoke run."""

    rows: int
    shapes: tuple[tuple[int, int], ...]
    runs: int
    slow_runs: int  # for the SQL engines' own running sums (DuckDB, DataFusion)
    release: bool
    results: Path
    rust: bool = True  # build and time the Rust benchmark (off: --python-only)


FULL = Plan(rows=10**7, shapes=((10**5, 100), (2_500_000, 4)), runs=9, slow_runs=5,
            release=True, results=BENCH_DIR / "results.md")
QUICK = Plan(rows=20_000, shapes=((200, 100), (5_000, 4)), runs=5, slow_runs=5,
             release=False, results=BENCH_DIR / "results-quick.md")


@dataclass(frozen=True)
class Column:
    """An implementation: a column of the table."""

    key: str
    title: str
    kind: str  # "cumulus", "peer" (counts for the fastest peer) or "floor"
    # False for a null policy that ends the scan at the first null: with nulls it does
    # almost no work and answers something else, so it is not the fastest peer there.
    scans_past_nulls: bool = True


COLUMNS = (
    Column("cumulus_array", "cumulus array", "cumulus"),
    Column("cumulus_sql", "cumulus SQL", "cumulus"),
    Column("cumulus_polars", "cumulus Polars", "cumulus"),
    Column("py_numpy", "Python: NumPy in", "cumulus"),
    Column("py_arrow", "Python: pyarrow in", "cumulus"),
    Column("py_polars", "Python: Polars plugin", "cumulus"),
    Column("py_datafusion", "Python: datafusion", "cumulus"),
    Column("numpy", "NumPy", "peer"),
    Column("pyarrow", "pyarrow", "peer", scans_past_nulls=False),
    Column("pyarrow_skip", "pyarrow skip_nulls", "peer"),
    Column("polars", "Polars", "peer"),
    Column("duckdb", "DuckDB", "peer"),
    Column("datafusion", "DataFusion", "peer"),
    Column("copy", "copy", "floor"),
)
KINDS = {column.key: column.kind for column in COLUMNS}
PROPAGATING = {column.key for column in COLUMNS if not column.scans_past_nulls}


@dataclass(frozen=True)
class Case:
    """One operation over one input column: a row of the table."""

    op: str
    dtype: str
    nulls: str = "none"  # "none", "null" (10% nulls) or "nan" (10% NaN)
    shape: tuple[int, int] | None = None  # 2-D cases
    axis: int | None = None
    grouped: bool = False  # under Polars' .over(g), GROUPS groups; Python side only

    @property
    def label(self) -> str:
        if self.grouped:
            return f"{self.op} {self.dtype}, .over({GROUPS} groups)"
        if self.shape:
            rows, width = self.shape
            return f"{self.op} {self.dtype} {rows}x{width}, axis={self.axis}"
        suffix = {"none": "", "null": ", 10% nulls", "nan": ", 10% NaN"}[self.nulls]
        return f"{self.op} {self.dtype}{suffix}"

    @property
    def column(self) -> str:
        """The input's name in the generated data (and in its IPC file)."""
        if self.shape:
            return grid_name(self.shape)
        return {"none": self.dtype, "null": f"{self.dtype}_nulls",
                "nan": f"{self.dtype}_nan"}[self.nulls]


@dataclass
class Timing:
    """One implementation on one case: ns per element of each timed run, and whether its
    output is NumPy's bit for bit (None: not checked)."""

    ns: list[float]
    agrees: bool | None

    @property
    def median(self) -> float:
        return statistics.median(self.ns)


def grid_name(shape: tuple[int, int]) -> str:
    return f"grid_{shape[0]}x{shape[1]}"


def build_cases(plan: Plan) -> list[Case]:
    cases = []
    for dtype in DTYPES:
        for op in ("cumsum", "cumprod"):
            cases += [Case(op, dtype), Case(op, dtype, "null")]
        if dtype.startswith("float"):
            cases.append(Case("nancumsum", dtype, "nan"))
    for shape in plan.shapes:
        cases += [Case("cumsum", "float64", shape=shape, axis=axis) for axis in (0, 1)]
    cases += [Case(op, dtype, grouped=True) for dtype in ("int64", "float64")
              for op in ("cumsum", "cumprod")]
    return cases


# --- data -----------------------------------------------------------------------------

def generate(plan: Plan) -> dict[str, pa.Array]:
    """Every input, by name: 1-D columns and 2-D grids (FixedSizeList columns).

    Integers are uniform in [-100, 100]; floats are 1 + 0.001 N(0, 1), so running sums
    and products stay finite and normal at 10^7 elements. Nulls (and NaN) are at the same
    random 10% of the positions in every column.
    """
    rng = np.random.default_rng(SEED)
    null = rng.random(plan.rows) < NULL_FRACTION
    ints = rng.integers(-100, 101, plan.rows)
    floats = 1.0 + 1e-3 * rng.standard_normal(plan.rows)
    inputs = {}
    for dtype in DTYPES:
        values = (floats if dtype.startswith("float") else ints).astype(dtype)
        inputs[dtype] = pa.array(values)
        inputs[f"{dtype}_nulls"] = pa.array(values, mask=null)
        if dtype.startswith("float"):
            inputs[f"{dtype}_nan"] = pa.array(np.where(null, np.nan, values).astype(dtype))
    for rows, width in plan.shapes:
        grid = 1.0 + 1e-3 * rng.standard_normal(rows * width)
        inputs[grid_name((rows, width))] = pa.FixedSizeListArray.from_arrays(
            pa.array(grid), width)
    # Drawn from its own generator so that the other columns stay as they were.
    groups = np.random.default_rng(SEED + 1).integers(0, GROUPS, plan.rows)
    inputs["groups"] = pa.array(groups)
    return inputs


def write_ipc(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def read_ipc_column(path: Path, name: str) -> pa.Array:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all().column(name).combine_chunks()


def write_inputs(inputs: dict[str, pa.Array], directory: Path) -> dict[str, Path]:
    """Writes the 1-D columns to one IPC file and each grid to its own; returns the file
    of each input."""
    files = {}
    one_d = {name: array for name, array in inputs.items() if not name.startswith("grid_")}
    write_ipc(directory / "1d.arrow", pa.table(one_d))
    files.update(dict.fromkeys(one_d, directory / "1d.arrow"))
    for name in inputs.keys() - one_d.keys():
        files[name] = directory / f"{name}.arrow"
        write_ipc(files[name], pa.table({name: inputs[name]}))
    return files


def grid_values(inputs: dict[str, pa.Array], case: Case) -> np.ndarray:
    return inputs[case.column].flatten().to_numpy().reshape(case.shape)


def plain_values(inputs: dict[str, pa.Array], case: Case) -> np.ndarray:
    """The case's values without nulls (what stands under the nulls is the same data)."""
    return inputs[case.dtype].to_numpy()


# --- NumPy's answer and the bit-for-bit check ------------------------------------------

def grouped_reference(inputs: dict[str, pa.Array], case: Case) -> np.ndarray:
    """NumPy's result of a .over case: the operation on each group's values in row order,
    scattered back to the rows."""
    values = plain_values(inputs, case)
    groups = inputs["groups"].to_numpy()
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(GROUPS + 1))
    result = np.empty_like(NUMPY_OPS[case.op](values[:1]), shape=values.shape)
    for start, end in zip(bounds, bounds[1:]):
        rows = order[start:end]
        result[rows] = NUMPY_OPS[case.op](values[rows])
    return result


def numpy_reference(inputs: dict[str, pa.Array], case: Case) -> np.ndarray:
    """NumPy's result for the case, flattened. With nulls: the nan-variant on the floats
    with NaN in place of the nulls; for integers (no NaN) the scan with the identity (0 or
    1) in place of the nulls, which is what the nan-variants compute."""
    if case.grouped:
        return grouped_reference(inputs, case)
    if case.shape:
        return np.cumsum(grid_values(inputs, case), axis=case.axis).ravel()
    if case.nulls == "null" and case.dtype.startswith("float"):
        return NAN_VARIANTS[case.op](inputs[f"{case.dtype}_nan"].to_numpy())
    if case.nulls == "null":
        valid = np.asarray(inputs[case.column].is_valid())
        return NUMPY_OPS[case.op](np.where(valid, plain_values(inputs, case),
                                           IDENTITIES[case.op]))
    return NUMPY_OPS[case.op](inputs[case.column].to_numpy())


def flat_arrow(result: object) -> pa.Array:
    """Any implementation's output as one flat Arrow array, in row-major order."""
    if isinstance(result, np.ndarray):
        return pa.array(result.ravel())
    if isinstance(result, pl.DataFrame):
        if result.width == 1 and isinstance(result.dtypes[0], pl.Struct):
            result = result.unnest(result.columns[0])
        if result.width != 1:
            return pa.array(result.to_numpy().ravel())
        result = result.to_series().to_arrow()
    if isinstance(result, pa.Table):
        result = result.column(0)
    if isinstance(result, pa.ChunkedArray):
        result = result.combine_chunks()
    if pa.types.is_fixed_size_list(result.type):
        result = result.flatten()
    return result


def agrees(result: object, reference: np.ndarray, validity: np.ndarray | None = None) -> bool:
    """Whether `result`, cast to NumPy's result type, has NumPy's bits wherever it has a
    value; with `validity`, it must also have a value exactly there."""
    array = flat_arrow(result)
    if len(array) != len(reference):
        return False
    array = array.cast(pa.from_numpy_dtype(reference.dtype), safe=False)
    valid = np.asarray(array.is_valid())
    if validity is not None and not np.array_equal(valid, validity):
        return False
    values = array.fill_null(0).to_numpy()
    bits = UNSIGNED[reference.itemsize]
    return np.array_equal(values[valid].view(bits), reference[valid].view(bits))


# --- the Rust side ----------------------------------------------------------------------

def build_example(plan: Plan) -> Path:
    """Builds benches/peers.rs (release, or dev for --quick); returns its path."""
    command = ["cargo", "build", "--all-features", "--bench", "peers"]
    if plan.release:
        command.append("--release")
    print("$", shlex.join(command), file=sys.stderr)
    built = subprocess.run([*command, "--message-format=json-render-diagnostics"],
                           cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True, check=True)
    for line in built.stdout.splitlines():
        message = json.loads(line)
        if (message.get("reason") == "compiler-artifact"
                and message["target"]["name"] == "peers" and message["executable"]):
            return Path(message["executable"])
    sys.exit("cargo built no peers bench executable")


def run_rust(executable: Path, plan: Plan, cases: list[Case], files: dict[str, Path],
             outputs: Path) -> dict[tuple[str, str], Timing]:
    """Times cumulus' surfaces (and DataFusion's built-in sum) in the example; returns
    the timings by (case label, implementation). `agrees` is still relative to the array
    API there (None for the array API itself)."""
    manifest = {
        "runs": plan.runs,
        "slow_runs": plan.slow_runs,
        "cases": [
            {"id": case.label, "file": str(files[case.column]), "column": case.column,
             "op": case.op, "axis": case.axis,
             "builtin": case.op == "cumsum" and case.nulls != "nan" and not case.shape,
             "output_prefix": str(outputs / str(index))}
            for index, case in enumerate(cases)
        ],
    }
    manifest_path = outputs / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=1))
    ran = subprocess.run([str(executable), "--manifest", str(manifest_path)],
                         stdout=subprocess.PIPE, text=True, check=True)
    timings = {}
    for line in ran.stdout.splitlines():
        record = json.loads(line)
        timings[record["case"], record["impl"]] = Timing(record["ns_per_element"],
                                                         record["agrees"])
    return timings


def check_rust_outputs(inputs: dict[str, pa.Array], cases: list[Case], outputs: Path,
                       timings: dict[tuple[str, str], Timing]) -> None:
    """Sets `agrees` of the Rust side's timings: whether the output is NumPy's.

    The array API must be null exactly where the input is (policy Skip) and NumPy's
    elsewhere; the SQL surface (policy carry) and DataFusion's sum must be NumPy's wherever
    they have a value, and also agree with the array API under their policy (checked in
    Rust). The Polars surface was checked in Rust against the array API (same policy), so
    it agrees when the array API does.
    """
    for index, case in enumerate(cases):
        reference = numpy_reference(inputs, case)
        validity = np.asarray(flat_arrow(inputs[case.column]).is_valid())
        for key in ("cumulus_array", "cumulus_sql", "datafusion"):
            timing = timings.get((case.label, key))
            if timing:
                output = read_ipc_column(outputs / f"{index}-{key}.arrow", "y")
                exact = validity if key == "cumulus_array" else None
                timing.agrees = timing.agrees is not False and agrees(output, reference, exact)
        polars = timings[case.label, "cumulus_polars"]
        polars.agrees = polars.agrees and timings[case.label, "cumulus_array"].agrees


# --- the peers --------------------------------------------------------------------------

def peer_calls(inputs: dict[str, pa.Array], case: Case, con: duckdb.DuckDBPyConnection
               ) -> dict[str, Callable[[], object]]:
    """The peers' calls on the case's data, by column key (a peer without the operation
    is left out)."""
    if case.shape:
        return grid_peer_calls(inputs, case)
    if case.grouped:
        frame = pl.DataFrame({"g": inputs["groups"], "x": inputs[case.column]})
        expr = POLARS_OPS[case.op](pl.col("x")).over("g")
        return {"polars": lambda: frame.select(expr)}
    array = inputs[case.column]
    values = plain_values(inputs, case)
    calls = {"copy": lambda: np.copy(values)}
    if case.nulls != "null":  # NumPy has no nulls: its answer to them is the nan rows
        numpy_input = array.to_numpy()
        calls["numpy"] = lambda: NUMPY_OPS[case.op](numpy_input)
    if case.nulls == "nan":  # no other peer has a scan that skips NaN
        return calls
    kernel = PYARROW_OPS[case.op]
    frame = pl.DataFrame({"x": array})
    expr = POLARS_OPS[case.op](pl.col("x"))
    con.register("t", pa.table({"i": np.arange(len(array)), "x": array}))
    sql = (f"SELECT {SQL_AGGREGATES[case.op]}(x) OVER (ORDER BY i ROWS BETWEEN UNBOUNDED "
           "PRECEDING AND CURRENT ROW) AS y FROM t")
    calls.update({
        "pyarrow": lambda: kernel(array, skip_nulls=False),
        "pyarrow_skip": lambda: kernel(array, skip_nulls=True),
        "polars": lambda: frame.select(expr),
        "duckdb": lambda: con.sql(sql).to_arrow_table(),
    })
    return calls


def grid_peer_calls(inputs: dict[str, pa.Array], case: Case
                    ) -> dict[str, Callable[[], object]]:
    """NumPy on the 2-D array; Polars on a frame with one column per array column
    (axis 0: each column's cum_sum; axis 1: cum_sum_horizontal across them)."""
    grid = grid_values(inputs, case)
    frame = pl.DataFrame({f"c{j}": grid[:, j] for j in range(grid.shape[1])})
    polars_expr = pl.all().cum_sum() if case.axis == 0 else pl.cum_sum_horizontal(pl.all())
    return {
        "copy": lambda: np.copy(grid),
        "numpy": lambda: np.cumsum(grid, axis=case.axis),
        "polars": lambda: frame.select(polars_expr),
    }


def build_python_package(plan: Plan) -> None:
    """Builds the Python package's wheel (release, or dev for --quick) and installs it
    into this environment (not editable, so python/.venv's development install is left
    alone)."""
    wheels = DATA_DIR / "wheels"
    command = [str(Path(sys.executable).parent / "maturin"), "build", "--interpreter",
               sys.executable, "--out", str(wheels)]
    if plan.release:
        command.append("--release")
    print("$", shlex.join(command), file=sys.stderr)
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", str(REPO_ROOT / "target"))
    subprocess.run(command, cwd=REPO_ROOT / "python", env=env, check=True)
    wheel = next(wheels.glob("cumulus-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check",
                    "--quiet", "--force-reinstall", "--no-deps", str(wheel)], check=True)


def python_calls(inputs: dict[str, pa.Array], case: Case
                 ) -> dict[str, Callable[[], object]]:
    """The Python package's calls on the case's data, by column key."""
    import cumulus
    import cumulus.datafusion
    import cumulus.polars  # noqa: F401

    scan = getattr(cumulus, case.op)
    if case.grouped:
        frame = pl.DataFrame({"g": inputs["groups"], "x": inputs[case.column]})
        expr = getattr(pl.col("x").cumulus, case.op)().over("g")
        return {"py_polars": lambda: frame.select(expr)}
    if case.shape:
        grid = grid_values(inputs, case)
        column = inputs[case.column]
        frame = pl.DataFrame({"a": grid}, schema={"a": pl.Array(pl.Float64, case.shape[1])})
        expr = pl.col("a").cumulus.cumsum(axis=case.axis)
        return {
            "py_numpy": lambda: scan(grid, axis=case.axis),
            "py_arrow": lambda: scan(column, axis=case.axis),
            "py_polars": lambda: frame.select(expr),
        }
    array = inputs[case.column]
    frame = pl.DataFrame({"x": array})
    expr = getattr(pl.col("x").cumulus, case.op)()
    ctx = datafusion.SessionContext(datafusion.SessionConfig().with_target_partitions(1))
    cumulus.datafusion.register(ctx)
    ctx.register_record_batches("t", [pa.table({"x": array}).to_batches(max_chunksize=8192)])
    # One partition read in order: OVER () scans the rows as they come (no sort to time).
    query = ctx.sql(f"SELECT {case.op}(x) OVER () AS y FROM t")
    calls = {
        "py_arrow": lambda: scan(array),
        "py_polars": lambda: frame.select(expr),
        "py_datafusion": lambda: pa.Table.from_batches(query.collect()),
    }
    if case.nulls != "null":
        numpy_input = array.to_numpy()
        calls["py_numpy"] = lambda: scan(numpy_input)
    return calls


def time_call(call: Callable[[], object], runs: int, elements: int
              ) -> tuple[list[float], object]:
    """One warm-up, then `runs` timed calls (the previous output freed before each, as
    the Rust side does); ns per element of each, and the last output."""
    result = call()
    ns = []
    gc.disable()
    try:
        for _ in range(runs):
            result = None
            start = time.perf_counter_ns()
            result = call()
            ns.append((time.perf_counter_ns() - start) / elements)
    finally:
        gc.enable()
    return ns, result


def run_peers(inputs: dict[str, pa.Array], plan: Plan, cases: list[Case]
              ) -> dict[tuple[str, str], Timing]:
    timings = {}
    con = duckdb.connect(config={"threads": 1})
    for case in cases:
        print(f"  python: {case.label}", file=sys.stderr)
        reference = numpy_reference(inputs, case)
        validity = np.asarray(flat_arrow(inputs[case.column]).is_valid())
        elements = reference.size
        calls = {**peer_calls(inputs, case, con), **python_calls(inputs, case)}
        for key, call in calls.items():
            runs = plan.slow_runs if key == "duckdb" else plan.runs
            ns, result = time_call(call, runs, elements)
            # The package's array and plugin surfaces keep the nulls where the input has
            # them (policy skip); datafusion carries (SQL's policy), as cumulus SQL.
            exact = validity if key in ("py_arrow", "py_polars") else None
            same = None if key == "copy" else agrees(result, reference, exact)
            timings[case.label, key] = Timing(ns, same)
    return timings


# --- the report -------------------------------------------------------------------------

def cell(timing: Timing | None, fastest_peer: float, best: bool) -> str:
    if timing is None:
        return "—"
    text = f"{timing.median:.2f} ({timing.median / fastest_peer:.2f}x)"
    if timing.agrees is False:
        text += " ≠"
    return f"**{text}**" if best else text


def table(cases: list[Case], timings: dict[tuple[str, str], Timing]) -> list[str]:
    """A markdown table of the cases, with the columns that have at least one value."""
    columns = [c for c in COLUMNS if any((case.label, c.key) in timings for case in cases)]
    lines = ["| case | " + " | ".join(c.title for c in columns) + " |",
             "|---" * (len(columns) + 1) + "|"]
    for case in cases:
        row = {c.key: timings.get((case.label, c.key)) for c in columns}
        fastest_peer = min(t.median for k, t in row.items() if t and KINDS[k] == "peer"
                           and not (case.nulls == "null" and k in PROPAGATING))
        best = min(t.median for k, t in row.items() if t and KINDS[k] == "cumulus")
        cells = [cell(t, fastest_peer, KINDS[k] == "cumulus" and t is not None
                      and t.median == best)
                 for k, t in row.items()]
        lines.append(f"| {case.label} | " + " | ".join(cells) + " |")
    return lines


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.0f} GiB"
    except OSError:
        pass
    return "unknown memory"


def rust_versions() -> str:
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True,
                           check=True).stdout.split("(")[0].strip()
    manifest = tomllib.loads((REPO_ROOT / "Cargo.toml").read_text())
    lock = tomllib.loads((REPO_ROOT / "Cargo.lock").read_text())["package"]
    locked = {p["name"]: p["version"] for p in lock if p["name"] in ("datafusion", "polars")}
    return (f"{rustc}; cumulus {manifest['package']['version']} with DataFusion "
            f"{locked['datafusion']} and Polars {locked['polars']} (Rust)")


def python_versions() -> str:
    modules = {"numpy": np, "pyarrow": pa, "polars": pl, "duckdb": duckdb,
               "datafusion": datafusion}
    listed = ", ".join(f"{name} {module.__version__}" for name, module in modules.items())
    return f"Python {platform.python_version()} with {listed}"


def mismatches(timings: dict[tuple[str, str], Timing], kind: str) -> list[str]:
    """The implementations of `kind` whose output is not NumPy's, each with its cases."""
    cases: dict[str, list[str]] = {}
    for (label, key), timing in timings.items():
        if timing.agrees is False and KINDS[key] == kind:
            cases.setdefault(key, []).append(label)
    return [f"{column.title} ({'; '.join(cases[column.key])})"
            for column in COLUMNS if column.key in cases]


def report(plan: Plan, cases: list[Case], timings: dict[tuple[str, str], Timing],
           context: dict[str, str]) -> str:
    one_d = [c for c in cases if not c.shape and not c.grouped]
    two_d = [c for c in cases if c.shape]
    grouped = [c for c in cases if c.grouped]
    wrong = mismatches(timings, "cumulus")
    different = mismatches(timings, "peer")
    lines = ["# cumulus beside NumPy, pyarrow, Polars, DuckDB and DataFusion", ""]
    if not plan.release:
        lines += ["> **Smoke run (`--quick`), not a performance measurement**: tiny data "
                  "and a debug build of the Rust side.", ""]
    if wrong:
        lines += ["> **MISMATCH: cumulus and NumPy disagree on: " + "; ".join(wrong) + "**",
                  ""]
    lines += [
        f"Made by `{context['command']}` on {context['date']} in {context['duration']}.",
        "",
        f"- Machine: {context['machine']}.",
        f"- Load average (1 min): {context['load']}.",
        f"- Versions: {context['rust']}; {context['python']}.",
        f"- Data: drawn once per run with seed {SEED}. int64/int32 uniform in [-100, 100],"
        " float64/float32 1 + 0.001·N(0, 1); \"10% nulls\": null at a random 10% of the "
        "rows, \"10% NaN\": NaN at the same rows (NumPy's nan-variants).",
        f"- Cells: median ns per element of {plan.runs} timed runs after a warm-up "
        f"({plan.slow_runs} for DuckDB and DataFusion), and the ratio to the fastest peer "
        "of the row (below 1: faster than every peer). Peers: NumPy, pyarrow, Polars, "
        "DuckDB, DataFusion; not cumulus, not the copy. **Bold**: cumulus' fastest "
        "surface. ≠: the output is not NumPy's bit for bit (see the check below). —: the "
        "implementation has no such operation (NumPy has no nulls: see the NaN rows). "
        "With nulls, pyarrow's default (`skip_nulls=False`) returns null from the first "
        "null on, a few rows in, so it does almost no work: it is shown but not counted "
        "as the fastest peer there.",
        "- One thread everywhere: DuckDB `threads=1`, DataFusion one target partition, "
        "`POLARS_MAX_THREADS=1`; every call returns a newly allocated result.",
        "",
        f"## 1-D columns ({plan.rows:,} rows)",
        "",
        *table(one_d, timings),
        "",
        "## 2-D float64 arrays",
        "",
        *table(two_d, timings),
        "",
        f"## Under Polars' .over ({GROUPS} groups, {plan.rows:,} rows)",
        "",
        *table(grouped, timings),
        "",
        "## Implementations",
        "",
        "- cumulus array: `cumulus::cumsum(&x, &ScanOptions::default())` (and `cumprod`, "
        "`nancumsum`; 2-D: a FixedSizeList column `.with_axis(0 | 1)`), null policy "
        "`Skip`; Rust, " + ("release build." if plan.release else "debug build."),
        "- cumulus SQL: `SELECT cumsum(x) OVER (ORDER BY i) FROM t` (2-D: "
        "`cumsum(x, NULL, NULL, NULL, axis)`) after `cumulus::datafusion::register`; `t` "
        "is a MemTable of 8192-row batches declared sorted by `i`, so no sort is planned "
        "(checked); each run plans, executes and collects the batches (joining them "
        "into one array for the check is not timed); null policy `carry` (SQL's).",
        "- cumulus Polars: `col(\"x\").np_cumsum(ScanOptions::default())` (and the others; "
        "2-D: an `Array` column) in a lazy `select`, collected; Rust Polars.",
        "- NumPy: `np.cumsum`, `np.cumprod`, `np.nancumsum` (2-D: `axis=0`/`axis=1`).",
        "- pyarrow: `pc.cumulative_sum`/`cumulative_prod` with `skip_nulls=False` "
        "(the default; a null ends the sum) and `skip_nulls=True`.",
        "- Polars: `df.select(pl.col(\"x\").cum_sum())` (`cum_prod`); 2-D as a frame of "
        "one column per array column: `pl.all().cum_sum()` (axis 0), "
        "`pl.cum_sum_horizontal(pl.all())` (axis 1). The frame is column-major, so axis 1 "
        "is a running sum of whole columns (vectorised additions), where NumPy and cumulus "
        "scan each row of a row-major array.",
        "- DuckDB: `SELECT sum(x) OVER (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND "
        "CURRENT ROW) FROM t` (`product` for cumprod) on a registered Arrow table, "
        "fetched as an Arrow table.",
        "- DataFusion: the same `sum(x) OVER (...)` in the Rust session of cumulus SQL, "
        "timed the same way (same table, no sort planned).",
        "- copy: `np.copy` of the input values, the memory-bandwidth floor (not a peer).",
        "- Python: NumPy in: `cumulus.cumsum(np_array)` (2-D: `axis=`), the Python package "
        "(`python/`) built " + ("in release mode" if plan.release else "in the dev profile")
        + " and installed into `bench/.venv`; the result is a new NumPy array.",
        "- Python: pyarrow in: `cumulus.cumsum(pa_array)` (2-D: the FixedSizeList column "
        "with `axis=`), null policy skip; returns a `pyarrow.Array`.",
        "- Python: Polars plugin: `df.select(pl.col(\"x\").cumulus.cumsum())` (2-D: an "
        f"`Array` column with `axis=`; .over rows: `.over(\"g\")` with {GROUPS} groups, "
        "against Polars' `cum_sum().over(\"g\")` in the Polars column).",
        "- Python: datafusion: `SELECT cumsum(x) OVER () FROM t` in a datafusion-python "
        "55 session with one target partition, after `cumulus.datafusion.register`; `t` "
        "is a table of 8192-row batches read in order (so no sort is planned); the window "
        "runs in DataFusion's `WindowAggExec` (the streaming operator does not cross the "
        "FFI); null policy carry.",
        "- Result types differ: for int32 NumPy and cumulus return int64, pyarrow and "
        "Polars' `cum_sum` int32; DuckDB sums into HUGEINT and multiplies in DOUBLE; "
        "DataFusion sums float32 into float64.",
        "",
        "## Bit-for-bit check",
        "",
    ]
    if wrong:
        lines.append("**cumulus disagrees with NumPy on: " + "; ".join(wrong) + ".**")
    else:
        lines.append(
            f"cumulus agrees with NumPy bit for bit on all {len(cases)} cases, through "
            "every surface. The array API's output, read back from the Rust side, has "
            "NumPy's type and bits; with nulls it is null exactly where the input is and "
            "equals NumPy's nan-variant (`np.nancumsum`/`np.nancumprod` with NaN in place "
            "of the nulls; for integers, `np.cumsum`/`np.cumprod` with 0/1 in place of the "
            "nulls) everywhere else. The SQL surface's output (nulls carry the running "
            "value) is NumPy's on every row from the first non-null one on. The Polars "
            "surface's equals the array API's, nulls included.")
    lines += [
        "",
        "Peers are compared the same way, in NumPy's result type, wherever they return a "
        "value. Not NumPy's bits: " + ("; ".join(different) if different else "none") + ".",
        "",
    ]
    return "\n".join(lines)


def readme_section(cases: list[Case], timings: dict[tuple[str, str], Timing],
                   context: dict[str, str]) -> str:
    """The README's copy of the results: where they come from and both tables."""
    return "\n".join([
        f"`{context['command']}`, {context['date']}, on {context['machine']} "
        f"(load {context['load']}); {context['rust']}; {context['python']}. Median ns per "
        "element (ratio to the fastest peer), one thread each; every cumulus output was "
        "checked bit for bit against NumPy's. Details and the implementations: "
        "[bench/results.md](bench/results.md).",
        "",
        *table([c for c in cases if not c.shape and not c.grouped], timings),
        "",
        *table([c for c in cases if c.shape], timings),
        "",
        *table([c for c in cases if c.grouped], timings),
    ])


def update_readme(section: str) -> None:
    """Replaces the text between the README's bench_peers markers with `section`."""
    text = README.read_text()
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        sys.exit(f"README.md has no {README_BEGIN} ... {README_END} markers")
    head = text[:begin + len(README_BEGIN)]
    README.write_text(f"{head}\n{section}\n{text[end:]}")


def run_context(args: argparse.Namespace, started: float, load_before: float
                ) -> dict[str, str]:
    return {
        "command": "python3 scripts/bench_peers.py" + (" --quick" if args.quick else "")
        + (" --python-only" if args.python_only else "")
        + "".join(f" --only {item}" for item in args.only),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "duration": f"{(time.monotonic() - started) / 60:.1f} min",
        "machine": f"{platform.platform()}; {cpu_model()}, {os.cpu_count()} cores, "
                   f"{memory_gib()}",
        "load": f"{load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end",
        "rust": rust_versions(),
        "python": python_versions(),
    }


def main() -> None:
    args = parse_args(sys.argv[1:])
    plan = QUICK if args.quick else FULL
    if args.python_only:
        plan = replace(plan, results=plan.results.with_name(
            plan.results.stem + "-python.md"), rust=False)
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    executable = build_example(plan) if plan.rust else None
    cases = build_cases(plan)
    if args.only:
        wanted = {tuple(item.split(":", 1)) for item in args.only}
        cases = [c for c in cases if not c.shape and (c.op, c.dtype) in wanted]
        if not cases:
            sys.exit(f"--only {args.only}: no such case")
        plan = replace(plan, results=plan.results.with_name(plan.results.stem + "-only.md"))
    print(f"generating {plan.rows:,} rows (seed {SEED})", file=sys.stderr)
    inputs = generate(plan)
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    outputs = DATA_DIR / "out"
    outputs.mkdir(parents=True)
    files = write_inputs(inputs, DATA_DIR)
    timings = {}
    if executable is not None:
        print("timing cumulus (Rust)", file=sys.stderr)
        rust_cases = [case for case in cases if not case.grouped]
        timings = run_rust(executable, plan, rust_cases, files, outputs)
        check_rust_outputs(inputs, rust_cases, outputs, timings)
    build_python_package(plan)
    print("timing the peers (Python)", file=sys.stderr)
    timings.update(run_peers(inputs, plan, cases))
    context = run_context(args, started, load_before)
    text = report(plan, cases, timings, context)
    plan.results.write_text(text)
    print(text)
    print(f"written to {plan.results.relative_to(REPO_ROOT)}", file=sys.stderr)
    wrong = mismatches(timings, "cumulus")
    if plan.release and plan.rust and not wrong and not args.only:
        update_readme(readme_section(cases, timings, context))
        print("README.md's Performance section updated", file=sys.stderr)
    if wrong:
        banner = "!" * 78
        sys.exit(f"{banner}\nMISMATCH: cumulus and NumPy disagree on:\n  "
                 + "\n  ".join(wrong) + f"\ninputs and outputs kept in {DATA_DIR}\n{banner}")
    shutil.rmtree(DATA_DIR)


if __name__ == "__main__":
    main()
