#!/usr/bin/env python3
"""The job users run, timed as they time it: Parquet in, running totals out.

    python3 scripts/bench_etl.py            # 10^7 rows, 3 runs per command (~15 minutes)
    python3 scripts/bench_etl.py --quick    # 20,000 rows, 1 run, dev build: a smoke test
    python3 scripts/bench_etl.py --rows N --runs K --only LAYOUT

For each layout of the same rows (g int32 with 1000 groups, t int64 unique, x float64):

- ``random``: rows in random order, no ordering declared;
- ``time``: rows in ``t`` order, declared in Parquet ``sorting_columns`` [t];
- ``grouped``: rows in (g, t) order, declared [g, t];
- ``grouped-undeclared``: rows in (g, t) order, no ordering declared;

it runs, each as a whole process, the same query
``SELECT g, t, x, <running sum of x> OVER (PARTITION BY g ORDER BY t) AS c`` written to a
Parquet file:

- ``cumulus``: the release ``cumulus`` command with ``cumsum(x)``;
- ``datafusion``: the same binary with DataFusion's built-in
  ``sum(x) OVER (... ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)``;
- ``duckdb``: DuckDB's ``COPY (...) TO`` (Python package, all threads);
- ``polars``: ``scan_parquet(..).with_columns(pl.col("x").cum_sum().over("g",
  order_by="t")).sink_parquet(..)`` (all threads).

Every command runs under ``/usr/bin/time -v`` for its wall time and peak RSS (medians of
the runs, in one sitting, commands interleaved). Every output is read back and checked:
cumulus' ``c`` bit for bit against NumPy's ``cumsum`` of each group in ``t`` order, the
peers' within rounding (DuckDB does not sum left to right). The table goes to
``bench/etl.md`` and into the README between the ``bench_etl`` markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from pinned_venv import reexec_in_venv

SCRIPT = Path(__file__).resolve()
REPO = SCRIPT.parent.parent
VENV = REPO / "bench" / ".venv"
REQUIREMENTS = REPO / "bench" / "requirements.txt"
RESULTS = REPO / "bench" / "etl.md"
README = REPO / "README.md"
BEGIN, END = "<!-- bench_etl:begin", "<!-- bench_etl:end -->"

GROUPS = 1000
LAYOUTS = ("random", "time", "grouped", "grouped-undeclared")
SUM_ROWS = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"


def make_data(rows: int, folder: Path) -> dict[str, Path]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(20261130)
    g = rng.integers(0, GROUPS, rows, dtype=np.int32)
    t = rng.permutation(rows).astype(np.int64)
    x = np.round(rng.normal(0.0, 100.0, rows), 2)
    x[rng.random(rows) < 0.001] = np.nan
    table = pa.table({"g": g, "t": t, "x": x})
    paths = {}
    for layout in LAYOUTS:
        if layout == "random":
            ordered, sorting = table, None
        elif layout == "time":
            ordered = table.sort_by([("t", "ascending")])
            sorting = [pq.SortingColumn(1)]
        else:
            ordered = table.sort_by([("g", "ascending"), ("t", "ascending")])
            sorting = [pq.SortingColumn(0), pq.SortingColumn(1)] if layout == "grouped" else None
        path = folder / f"{layout}.parquet"
        pq.write_table(ordered, path, sorting_columns=sorting, row_group_size=1 << 20)
        paths[layout] = path
    return paths


def build_cumulus(release: bool) -> Path:
    """The command, in release (or, for --quick, the dev build `cargo test` made)."""
    command = ["cargo", "build", "-p", "cumulus-cli"] + (["--release"] if release else [])
    print("$", shlex.join(command), file=sys.stderr)
    subprocess.run(command, cwd=REPO, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / ("release" if release else "debug") / "cumulus"


def commands(cumulus: Path, source: Path, out: Path) -> dict[str, list[str]]:
    query = "SELECT g, t, x, {} OVER (PARTITION BY g ORDER BY t{}) AS c FROM '{}'"
    py = str(VENV / "bin" / "python")
    return {
        "cumulus": [str(cumulus), "sql", query.format("cumsum(x)", "", source), "--output", str(out)],
        "datafusion": [str(cumulus), "sql", query.format("sum(x)", " " + SUM_ROWS, source),
                       "--output", str(out)],
        "duckdb": [py, "-c", (
            "import duckdb; duckdb.sql(\"COPY (" + query.format("sum(x)", " " + SUM_ROWS, source)
            + f") TO '{out}' (FORMAT parquet)\")")],
        "polars": [py, "-c", (
            "import polars as pl; "
            f"pl.scan_parquet('{source}').with_columns("
            "pl.col('x').cum_sum().over('g', order_by='t').alias('c'))"
            f".sink_parquet('{out}')")],
    }


def timed(command: list[str]) -> tuple[float, float]:
    """Runs `command` under /usr/bin/time -v: (wall seconds, peak RSS MiB)."""
    result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {shlex.join(command)}\n{result.stdout}\n{result.stderr}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", result.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    hours, minutes, seconds = wall.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    return total, int(rss.group(1)) / 1024


def check(source: Path, out: Path, exact: bool) -> str:
    """Reads the output back: its c against NumPy's per-group cumsum in t order."""
    import numpy as np
    import pyarrow.parquet as pq

    inp = pq.read_table(source)
    got = pq.read_table(out)
    if got.num_rows != inp.num_rows:
        return f"{got.num_rows} rows, not {inp.num_rows}"
    g = got.column("g").to_numpy()
    t = got.column("t").to_numpy()
    c = got.column("c").to_numpy(zero_copy_only=False)
    x = got.column("x").to_numpy(zero_copy_only=False)
    order = np.lexsort((t, g))
    g, x, c = g[order], x[order], c[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ends = np.r_[starts[1:], len(g)]
    want = np.empty_like(x)
    for s, e in zip(starts, ends):
        want[s:e] = np.cumsum(x[s:e])
    if exact:
        same = (want.view(np.uint64) == c.view(np.uint64)) | (np.isnan(want) & np.isnan(c))
        return "bit for bit" if same.all() else f"{(~same).sum()} rows differ"
    close = np.isclose(c, want, rtol=1e-9, atol=1e-6, equal_nan=True)
    return "within rounding" if close.all() else f"{(~close).sum()} rows differ"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20,000 rows, one run, no report")
    parser.add_argument("--only", choices=LAYOUTS, action="append")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.runs = 20_000, 1
    layouts = args.only or list(LAYOUTS)
    cumulus = build_cumulus(release=not args.quick)
    load_before = os.getloadavg()[0]
    rows_out = []
    with tempfile.TemporaryDirectory(prefix="bench_etl-") as tmp:
        folder = Path(tmp)
        paths = make_data(args.rows, folder)
        for layout in layouts:
            source = paths[layout]
            out = folder / f"out-{layout}.parquet"
            runs: dict[str, list[tuple[float, float]]] = {}
            checks = {}
            for _ in range(args.runs):
                for name, command in commands(cumulus, source, out).items():
                    out.unlink(missing_ok=True)
                    runs.setdefault(name, []).append(timed(command))
                    checks[name] = check(source, out, exact=name == "cumulus")
            for name, measured in runs.items():
                wall = statistics.median(w for w, _ in measured)
                rss = statistics.median(r for _, r in measured)
                rows_out.append((layout, name, wall, rss, checks[name]))
                print(f"{layout:20} {name:11} {wall:7.2f} s {rss:8.0f} MiB  {checks[name]}",
                      file=sys.stderr)
    bad = [r for r in rows_out if r[4] not in ("bit for bit", "within rounding")]
    if any(r[1] == "cumulus" for r in bad):
        sys.exit(f"cumulus output is wrong: {bad}")
    if args.quick:
        return
    report(args, rows_out, load_before, os.getloadavg()[0])


def report(args, rows_out, load_before: float, load_after: float) -> None:
    names = ["cumulus", "datafusion", "duckdb", "polars"]
    header = (f"`python3 scripts/bench_etl.py --rows {args.rows} --runs {args.runs}`, "
              f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, "
              f"{platform.platform()}, {os.cpu_count()} cores (load {load_before:.2f} at the "
              f"start, {load_after:.2f} at the end). Whole processes, medians of "
              f"{args.runs}: wall seconds (peak RSS MiB); the fastest of a layout in bold. "
              "cumulus' output is checked bit for bit against NumPy, the peers' within "
              "rounding.")
    lines = [header, "", "| input layout | " + " | ".join(names) + " |",
             "|---|" + "---|" * len(names)]
    by = {(layout, name): (wall, rss, ok) for layout, name, wall, rss, ok in rows_out}
    for layout in dict.fromkeys(r[0] for r in rows_out):
        best = min(by[(layout, n)][0] for n in names if (layout, n) in by)
        cells = []
        for n in names:
            if (layout, n) not in by:
                cells.append("—")
                continue
            wall, rss, ok = by[(layout, n)]
            text = f"{wall:.2f} s ({rss:.0f} MiB)"
            if wall == best:
                text = f"**{text}**"
            if ok not in ("bit for bit", "within rounding"):
                text += f" ≠ {ok}"
            cells.append(text)
        lines.append(f"| {layout} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    RESULTS.write_text("# The ETL job, end to end\n\n" + table)
    text = README.read_text()
    if BEGIN in text and END in text:
        start = text.index(BEGIN)
        end = text.index(END) + len(END)
        block = f"{BEGIN} (written by scripts/bench_etl.py) -->\n{table}{END}"
        README.write_text(text[:start] + block + text[end:])
    print(table)


if __name__ == "__main__":
    reexec_in_venv(SCRIPT, VENV, REQUIREMENTS)
    main()
