//! cumulus through each of its surfaces, timed on the same data: the Rust half of
//! `scripts/bench_peers.py`, which compares it with NumPy, pyarrow, Polars and DuckDB.
//!
//! For every case (an operation over one column) it runs each of these once to warm up,
//! then a given number of timed runs, each reported in nanoseconds per element:
//!
//! - `cumulus_array`: the array API, `cumulus::scan(op, column, options)`, null policy
//!   `Skip` (the core's default);
//! - `cumulus_sql`: `SELECT op(x) OVER (ORDER BY i) FROM t` through
//!   `cumulus::datafusion::register` (SQL's default null policy, `Carry`);
//! - `cumulus_polars`: `col("x").np_scan(op, options)` in a lazy `select` on a DataFrame;
//! - `datafusion` (cases marked `builtin`): DataFusion's own
//!   `sum(x) OVER (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)` on the
//!   same table, in the same session configuration.
//!
//! The SQL table `t(i, x)` is a `MemTable` of 8192-row batches declared sorted by `i`;
//! with one target partition DataFusion keeps that order, so neither query sorts (checked
//! with EXPLAIN before timing). Each SQL run plans, executes and collects the query into
//! batches; joining them into one array for the checks is not timed.
//!
//! Each surface's output is compared bit for bit with the array API's under the same null
//! policy, and DataFusion's built-in sum, cast to cumulus' result type, wherever it has a
//! value. The Python side compares the outputs with NumPy's, from the files this program
//! writes (all but the Polars surface's, checked here against the array API's).
//!
//! Usage:
//!
//! - `peers --manifest PATH`: runs the cases of a JSON manifest written by
//!   `scripts/bench_peers.py` (input Arrow IPC files, operations, axes, run counts, where to
//!   write the outputs) and prints one JSON line per case and surface on
//!   stdout: `{"case", "impl", "ns_per_element": [...], "agrees"}`, where `agrees` is
//!   `null` for the array API (checked against NumPy in Python);
//! - without arguments: a quick self-check on small generated data (three runs, in any
//!   build profile): every surface must agree with the array API, and the array API's
//!   plain sums with a left-to-right loop; prints a small table. Its timings are not
//!   measurements.
//!
//! Run the comparison with `python3 scripts/bench_peers.py`; the self-check alone with
//! `cargo bench --all-features --bench peers` (cargo passes `--bench`, which it ignores).

use std::error::Error;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, ArrayRef, AsArray, FixedSizeListArray, RecordBatch};
use arrow::array::{Float64Array, Int64Array};
use arrow::compute::{cast, concat, concat_batches};
use arrow::datatypes::{DataType as ArrowType, Field, Schema};
use arrow::datatypes::{Float32Type, Float64Type, Int32Type, Int64Type};
use arrow::ipc::reader::FileReader;
use arrow::ipc::writer::FileWriter;
use cumulus::polars::CumulusExpr;
use cumulus::{Operation, ScanOptions};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use polars::prelude::{
    DataFrame, DataType as PolarsType, IntoColumn, IntoLazy, NamedFrom, ReshapeDimension, Series,
    col,
};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

#[path = "support/noise.rs"]
mod support;
use support::noise;

type BoxResult<T> = Result<T, Box<dyn Error>>;

/// Rows per batch of the SQL table (DataFusion's default batch size).
const BATCH_ROWS: usize = 8192;

/// One operation over one column, as the manifest describes it.
struct Case {
    id: String,
    input: ArrayRef,
    op: Operation,
    /// `None` for a 1-D column, else the axis of the 2-D (FixedSizeList) column.
    axis: Option<i64>,
    /// Also time DataFusion's built-in running sum.
    builtin: bool,
    /// Where to write the outputs: `{prefix}-{implementation}.arrow`, one column `y`
    /// (all but the Polars surface's).
    output_prefix: Option<String>,
}

/// Timed runs after the warm-up: `fast` for cumulus, `slow` for DataFusion's built-in sum.
#[derive(Clone, Copy)]
struct Runs {
    fast: usize,
    slow: usize,
}

/// One surface's timings on one case.
struct Measurement {
    case: String,
    implementation: &'static str,
    ns_per_element: Vec<f64>,
    /// Whether its output agrees with the array API's; `None` for the array API itself.
    agrees: Option<bool>,
}

impl Measurement {
    fn median(&self) -> f64 {
        let mut sorted = self.ns_per_element.clone();
        sorted.sort_by(f64::total_cmp);
        sorted[sorted.len() / 2]
    }

    fn to_json(&self) -> Value {
        json!({
            "case": self.case,
            "impl": self.implementation,
            "ns_per_element": self.ns_per_element,
            "agrees": self.agrees,
        })
    }
}

fn main() -> BoxResult<()> {
    // `cargo bench` passes `--bench` to every benchmark binary.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.as_slice() {
        [] => self_check(),
        [flag, path] if flag == "--manifest" => run_manifest(Path::new(path)),
        _ => Err("usage: peers [--manifest PATH]".into()),
    }
}

/// Runs every case of the manifest and prints its measurements as JSON lines.
fn run_manifest(path: &Path) -> BoxResult<()> {
    let manifest: Value = serde_json::from_reader(File::open(path)?)?;
    let runs = Runs {
        fast: json_usize(&manifest["runs"])?,
        slow: json_usize(&manifest["slow_runs"])?,
    };
    let rt = runtime()?;
    let mut tables: Vec<(PathBuf, RecordBatch)> = Vec::new();
    for entry in manifest["cases"].as_array().ok_or("manifest: no cases")? {
        let case = case_from_json(entry, &mut tables)?;
        eprintln!("  rust: {}", case.id);
        for m in measure(&case, runs, &rt)? {
            println!("{}", m.to_json());
        }
    }
    Ok(())
}

fn json_usize(value: &Value) -> BoxResult<usize> {
    let n = value.as_u64().ok_or("manifest: expected a count")?;
    Ok(usize::try_from(n)?)
}

fn json_str<'a>(entry: &'a Value, key: &str) -> BoxResult<&'a str> {
    entry[key]
        .as_str()
        .ok_or_else(|| format!("manifest: case without {key}: {entry}").into())
}

/// A manifest case; its input file is read once and kept in `tables`.
fn case_from_json(entry: &Value, tables: &mut Vec<(PathBuf, RecordBatch)>) -> BoxResult<Case> {
    let file = PathBuf::from(json_str(entry, "file")?);
    let index = match tables.iter().position(|(path, _)| *path == file) {
        Some(index) => index,
        None => {
            tables.push((file.clone(), read_ipc(&file)?));
            tables.len() - 1
        }
    };
    let column = json_str(entry, "column")?;
    let input = tables[index]
        .1
        .column_by_name(column)
        .ok_or_else(|| format!("{}: no column {column}", file.display()))?
        .clone();
    Ok(Case {
        id: json_str(entry, "id")?.to_string(),
        input,
        op: json_str(entry, "op")?.parse()?,
        axis: entry["axis"].as_i64(),
        builtin: entry["builtin"].as_bool().unwrap_or(false),
        output_prefix: entry["output_prefix"].as_str().map(str::to_string),
    })
}

fn read_ipc(path: &Path) -> BoxResult<RecordBatch> {
    let reader = FileReader::try_new(File::open(path)?, None)?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>()?;
    Ok(concat_batches(&schema, &batches)?)
}

fn write_ipc(path: &Path, column: &ArrayRef) -> BoxResult<()> {
    let schema = Arc::new(Schema::new(vec![Field::new(
        "y",
        column.data_type().clone(),
        true,
    )]));
    let mut writer = FileWriter::try_new(File::create(path)?, &schema)?;
    writer.write(&RecordBatch::try_new(schema, vec![column.clone()])?)?;
    writer.finish()?;
    Ok(())
}

/// A single-threaded runtime: every implementation in the comparison runs on one thread.
fn runtime() -> BoxResult<Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// The case's scan options: the core's defaults (null policy `Skip`) and its axis.
fn scan_options(case: &Case) -> ScanOptions {
    ScanOptions::default().with_axis(case.axis)
}

/// Times every surface on `case`, checks their outputs against the array API's and
/// writes them where the case asks.
fn measure(case: &Case, runs: Runs, rt: &Runtime) -> BoxResult<Vec<Measurement>> {
    let elements = element_count(case.input.as_ref());
    let options = scan_options(case);
    let (ns, array_out) = time(runs.fast, elements, || {
        cumulus::scan(case.op, case.input.as_ref(), &options)
    })?;
    let mut out = vec![measurement(case, "cumulus_array", ns, None)];
    save(case, "cumulus_array", &array_out)?;

    let ctx = session(&case.input)?;
    let sql = format!("SELECT {} AS y FROM t", cumulus_call(case));
    assert_no_sort(rt, &ctx, &sql)?;
    let (ns, sql_out) = time(runs.fast, elements, || rt.block_on(query(&ctx, &sql)))?;
    let sql_out = column_y(&sql_out)?;
    // What the SQL call means: SQL's defaults, with the case's axis (1-D: axis 0).
    let sql_options = cumulus::datafusion::sql_defaults().with_axis(case.axis.unwrap_or(0));
    let sql_reference = cumulus::scan(case.op, case.input.as_ref(), &sql_options)?;
    let agrees = arrow_bits(sql_out.as_ref())? == arrow_bits(sql_reference.as_ref())?;
    out.push(measurement(case, "cumulus_sql", ns, Some(agrees)));
    save(case, "cumulus_sql", &sql_out)?;

    if case.builtin {
        let sql = "SELECT sum(x) OVER (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING \
                   AND CURRENT ROW) AS y FROM t";
        assert_no_sort(rt, &ctx, sql)?;
        let (ns, builtin_out) = time(runs.slow, elements, || rt.block_on(query(&ctx, sql)))?;
        let builtin_out = column_y(&builtin_out)?;
        let agrees = agrees_where_valid(builtin_out.as_ref(), sql_reference.as_ref())?;
        out.push(measurement(case, "datafusion", ns, Some(agrees)));
        save(case, "datafusion", &builtin_out)?;
    }

    let frame = DataFrame::new(
        case.input.len(),
        vec![to_series(case.input.as_ref())?.into_column()],
    )?;
    let (ns, polars_out) = time(runs.fast, elements, || {
        frame
            .clone()
            .lazy()
            .select([col("x").np_scan(case.op, options.clone()).alias("y")])
            .collect()
    })?;
    let polars_out = polars_out.column("y")?.as_materialized_series().clone();
    let agrees = polars_bits(&polars_out)? == arrow_bits(array_out.as_ref())?;
    out.push(measurement(case, "cumulus_polars", ns, Some(agrees)));
    Ok(out)
}

/// Writes one surface's output to `{prefix}-{implementation}.arrow` if the case has a
/// prefix.
fn save(case: &Case, implementation: &str, output: &ArrayRef) -> BoxResult<()> {
    match &case.output_prefix {
        Some(prefix) => write_ipc(
            Path::new(&format!("{prefix}-{implementation}.arrow")),
            output,
        ),
        None => Ok(()),
    }
}

fn measurement(
    case: &Case,
    implementation: &'static str,
    ns_per_element: Vec<f64>,
    agrees: Option<bool>,
) -> Measurement {
    Measurement {
        case: case.id.clone(),
        implementation,
        ns_per_element,
        agrees,
    }
}

/// Runs `f` once to warm up, then `runs` times; returns each timed run's nanoseconds per
/// element and the last output. The previous output is dropped before each run, so every
/// run allocates its output afresh, as a call in a program does.
fn time<T, E>(
    runs: usize,
    elements: usize,
    mut f: impl FnMut() -> Result<T, E>,
) -> Result<(Vec<f64>, T), E> {
    let mut last = f()?;
    let mut ns = Vec::with_capacity(runs);
    for _ in 0..runs {
        drop(last);
        let start = Instant::now();
        last = f()?;
        ns.push(start.elapsed().as_nanos() as f64 / elements.max(1) as f64);
    }
    Ok((ns, last))
}

fn element_count(array: &dyn Array) -> usize {
    match array.data_type() {
        ArrowType::FixedSizeList(_, width) => array.len() * *width as usize,
        _ => array.len(),
    }
}

/// The SQL call of cumulus for `case`: SQL's defaults, the axis passed by position
/// (after `dtype`, `nulls` and `overflow`).
fn cumulus_call(case: &Case) -> String {
    match case.axis {
        Some(axis) => format!("{}(x, NULL, NULL, NULL, {axis}) OVER (ORDER BY i)", case.op),
        None => format!("{}(x) OVER (ORDER BY i)", case.op),
    }
}

/// A session with cumulus registered and `t(i, x)`: `i` the row number, `x` the input,
/// in batches of [`BATCH_ROWS`], declared sorted by `i`; one target partition.
fn session(input: &ArrayRef) -> BoxResult<SessionContext> {
    let config = SessionConfig::new()
        .with_target_partitions(1)
        .with_repartition_file_scans(false)
        .with_prefer_existing_sort(true);
    let ctx = SessionContext::new_with_config(config);
    cumulus::datafusion::register(&ctx)?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("i", ArrowType::Int64, false),
        Field::new("x", input.data_type().clone(), true),
    ]));
    let batches = (0..input.len())
        .step_by(BATCH_ROWS)
        .map(|start| {
            let len = BATCH_ROWS.min(input.len() - start);
            let i = Int64Array::from_iter_values(start as i64..(start + len) as i64);
            RecordBatch::try_new(schema.clone(), vec![Arc::new(i), input.slice(start, len)])
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sorted_by_i = datafusion::prelude::col("i").sort(true, false);
    let table = MemTable::try_new(schema, vec![batches])?.with_sort_order(vec![vec![sorted_by_i]]);
    ctx.register_table("t", Arc::new(table))?;
    Ok(ctx)
}

/// Plans, runs and collects `sql`: the batches a SQL user gets.
async fn query(ctx: &SessionContext, sql: &str) -> BoxResult<Vec<RecordBatch>> {
    Ok(ctx.sql(sql).await?.collect().await?)
}

/// The first column of `batches` in one array, for the comparisons. Not timed: joining
/// the batches is the harness's need, not the query's work, and its fresh 80 MB buffer
/// costs more in page faults than the scan.
fn column_y(batches: &[RecordBatch]) -> BoxResult<ArrayRef> {
    let columns: Vec<&dyn Array> = batches.iter().map(|b| b.column(0).as_ref()).collect();
    Ok(concat(&columns)?)
}

/// Fails if DataFusion would sort: the comparison must time the window function only.
fn assert_no_sort(rt: &Runtime, ctx: &SessionContext, sql: &str) -> BoxResult<()> {
    let plan = rt.block_on(async { ctx.sql(&format!("EXPLAIN {sql}")).await?.collect().await })?;
    let text = arrow::util::pretty::pretty_format_batches(&plan)?.to_string();
    let physical = text
        .split("physical_plan")
        .nth(1)
        .ok_or_else(|| format!("EXPLAIN shows no physical plan for {sql}:\n{text}"))?;
    if physical.contains("SortExec") {
        return Err(format!("a sort is planned for {sql}:\n{text}").into());
    }
    Ok(())
}

/// The input as a one-column Polars frame's Series `x` (a 2-D column becomes an `Array`).
fn to_series(array: &dyn Array) -> BoxResult<Series> {
    macro_rules! primitive {
        ($t:ty) => {{
            let a = array.as_primitive::<$t>();
            if a.null_count() == 0 {
                Series::new("x".into(), a.values().to_vec())
            } else {
                Series::new("x".into(), a.iter().collect::<Vec<_>>())
            }
        }};
    }
    Ok(match array.data_type() {
        ArrowType::Int32 => primitive!(Int32Type),
        ArrowType::Int64 => primitive!(Int64Type),
        ArrowType::Float32 => primitive!(Float32Type),
        ArrowType::Float64 => primitive!(Float64Type),
        ArrowType::FixedSizeList(_, width) => {
            let list: &FixedSizeListArray = array.as_fixed_size_list();
            to_series(flat_values(list).as_ref())?.reshape_array(&[
                ReshapeDimension::Infer,
                ReshapeDimension::new_dimension(*width as u64),
            ])?
        }
        other => return Err(format!("no Polars column for {other}").into()),
    })
}

/// The elements of a FixedSizeList column's rows, in row-major order.
fn flat_values(list: &FixedSizeListArray) -> ArrayRef {
    let width = list.value_length() as usize;
    list.values()
        .slice(list.offset() * width, list.len() * width)
}

/// Every element as its bit pattern (`None` where null), flattened in row-major order.
fn arrow_bits(array: &dyn Array) -> BoxResult<Vec<Option<u64>>> {
    Ok(match array.data_type() {
        ArrowType::Int64 => array
            .as_primitive::<Int64Type>()
            .iter()
            .map(|v| v.map(|v| v as u64))
            .collect(),
        ArrowType::Float32 => array
            .as_primitive::<Float32Type>()
            .iter()
            .map(|v| v.map(|v| u64::from(v.to_bits())))
            .collect(),
        ArrowType::Float64 => array
            .as_primitive::<Float64Type>()
            .iter()
            .map(|v| v.map(f64::to_bits))
            .collect(),
        ArrowType::FixedSizeList(..) => {
            arrow_bits(flat_values(array.as_fixed_size_list()).as_ref())?
        }
        other => return Err(format!("no bit comparison for {other}").into()),
    })
}

/// [`arrow_bits`] of a Polars Series.
fn polars_bits(series: &Series) -> BoxResult<Vec<Option<u64>>> {
    Ok(match series.dtype() {
        PolarsType::Int64 => series.i64()?.iter().map(|v| v.map(|v| v as u64)).collect(),
        PolarsType::Float32 => series
            .f32()?
            .iter()
            .map(|v| v.map(|v| u64::from(v.to_bits())))
            .collect(),
        PolarsType::Float64 => series.f64()?.iter().map(|v| v.map(f64::to_bits)).collect(),
        PolarsType::Array(..) => polars_bits(&series.array()?.get_inner())?,
        other => return Err(format!("no bit comparison for {other}").into()),
    })
}

/// Whether `peer`, cast to the type of `reference`, has the same bits wherever it has a
/// value (a peer may leave more rows null, or return a wider type).
fn agrees_where_valid(peer: &dyn Array, reference: &dyn Array) -> BoxResult<bool> {
    let peer = arrow_bits(cast(peer, reference.data_type())?.as_ref())?;
    let reference = arrow_bits(reference)?;
    Ok(peer.len() == reference.len()
        && peer
            .iter()
            .zip(&reference)
            .all(|(p, r)| p.is_none() || p == r))
}

/// The self-check's cases: small 1-D columns with and without nulls, a small 2-D column.
fn self_check_cases() -> Vec<Case> {
    const ROWS: usize = 20_000;
    let ints = Arc::new(Int64Array::from_iter_values(
        noise(ROWS, 1).map(|r| (r % 201) as i64 - 100),
    ));
    let floats: Vec<f64> = noise(ROWS, 2)
        .map(|r| 1.0 + ((r % 2001) as f64 - 1000.0) * 1e-6)
        .collect();
    let sparse = Arc::new(Float64Array::from_iter(
        floats
            .iter()
            .zip(noise(ROWS, 3))
            .map(|(&v, r)| (r % 10 != 0).then_some(v)),
    ));
    let item = Arc::new(Field::new("item", ArrowType::Float64, true));
    let grid = Arc::new(FixedSizeListArray::new(
        item,
        4,
        Arc::new(Float64Array::from(floats.clone())),
        None,
    ));
    let floats = Arc::new(Float64Array::from(floats));
    let case = |id: &str, input: ArrayRef, op, axis, builtin| Case {
        id: id.to_string(),
        input,
        op,
        axis,
        builtin,
        output_prefix: None,
    };
    vec![
        case("cumsum int64", ints, Operation::Cumsum, None, true),
        case(
            "cumsum float64",
            floats.clone(),
            Operation::Cumsum,
            None,
            true,
        ),
        case("cumprod float64", floats, Operation::Cumprod, None, false),
        case(
            "cumsum float64 10% nulls",
            sparse,
            Operation::Cumsum,
            None,
            true,
        ),
        case(
            "cumsum 5000x4 axis=0",
            grid.clone(),
            Operation::Cumsum,
            Some(0),
            false,
        ),
        case(
            "cumsum 5000x4 axis=1",
            grid,
            Operation::Cumsum,
            Some(1),
            false,
        ),
    ]
}

/// A plain left-to-right loop: NumPy's definition of `cumsum` on a 1-D column without
/// nulls (`None` for anything else).
fn naive_cumsum_bits(case: &Case) -> Option<Vec<Option<u64>>> {
    if case.op != Operation::Cumsum || case.axis.is_some() || case.input.null_count() > 0 {
        return None;
    }
    match case.input.data_type() {
        ArrowType::Int64 => Some(
            (case.input.as_primitive::<Int64Type>().values().iter())
                .scan(0i64, |acc, &v| {
                    *acc = acc.wrapping_add(v);
                    Some(Some(*acc as u64))
                })
                .collect(),
        ),
        ArrowType::Float64 => {
            let values = case.input.as_primitive::<Float64Type>().values();
            let mut acc = values[0];
            let first = std::iter::once(Some(acc.to_bits()));
            let rest = values[1..].iter().map(|&v| {
                acc += v;
                Some(acc.to_bits())
            });
            Some(first.chain(rest).collect())
        }
        _ => None,
    }
}

/// Runs the self-check cases three times each and prints a small table; fails when a
/// cumulus surface disagrees (DataFusion's built-in sum is only reported).
fn self_check() -> BoxResult<()> {
    let rt = runtime()?;
    let runs = Runs { fast: 3, slow: 3 };
    let mut failures = Vec::new();
    println!("cumulus peers self-check (small data; timings are not measurements)");
    println!(
        "{:<28} {:<16} {:>12}  agrees",
        "case", "surface", "ns/element"
    );
    for case in self_check_cases() {
        let measurements = measure(&case, runs, &rt)?;
        if let Some(expected) = naive_cumsum_bits(&case) {
            let actual = cumulus::scan(case.op, case.input.as_ref(), &scan_options(&case))?;
            if arrow_bits(actual.as_ref())? != expected {
                failures.push(format!("{}: array API != left-to-right loop", case.id));
            }
        }
        for m in &measurements {
            let verdict = match m.agrees {
                None => "(reference)",
                Some(true) => "yes",
                Some(false) => "NO",
            };
            println!(
                "{:<28} {:<16} {:>12.2}  {verdict}",
                m.case,
                m.implementation,
                m.median()
            );
            if m.agrees == Some(false) && m.implementation.starts_with("cumulus") {
                failures.push(format!("{}: {} != array API", m.case, m.implementation));
            }
        }
    }
    if failures.is_empty() {
        println!("every surface agrees bit for bit with the array API");
        Ok(())
    } else {
        Err(format!("disagreements: {}", failures.join("; ")).into())
    }
}
