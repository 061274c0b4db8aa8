//! DataFusion 55 integration: `cumsum`, `cumprod`, `nancumsum`, `nancumprod`, `cummax` and
//! `cummin` as SQL window functions and DataFrame expressions, with NumPy's types and
//! values.
//!
//! ```
//! use cumulus::datafusion::register;
//! use datafusion::prelude::*;
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let ctx = SessionContext::new();
//! register(&ctx)?;
//! let df = ctx.sql(
//!     "SELECT g, t, cumsum(x) OVER (PARTITION BY g ORDER BY t) AS running
//!      FROM (VALUES ('a', 1, 1), ('a', 2, NULL), ('a', 3, 2), ('b', 1, 10)) AS v(g, t, x)
//!      ORDER BY g, t",
//! ).await?;
//! let batches = df.collect().await?;
//! datafusion::assert_batches_eq!(
//!     [
//!         "+---+---+---------+",
//!         "| g | t | running |",
//!         "+---+---+---------+",
//!         "| a | 1 | 1       |",
//!         "| a | 2 | 1       |",
//!         "| a | 3 | 3       |",
//!         "| b | 1 | 10      |",
//!         "+---+---+---------+",
//!     ],
//!     &batches
//! );
//! # Ok::<(), datafusion::error::DataFusionError>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Registering
//! [`register`] adds, for each of the six names, the window function, a placeholder
//! aggregate of the same name and [`CumulusPlanner`] (once), and puts
//! [`CumulativeWindowRule`] (the streaming operator, see below) among the session's
//! physical optimizer rules. [`register_with_state`] adds the functions and the planner to
//! a `SessionState` or any [`FunctionRegistry`]; a function registry cannot take an
//! optimizer rule, so add it with [`register_rule`] (on a `SessionState`) or build the
//! state with [`physical_optimizer_rules`]. The planner is what reads the options, so SQL
//! calls need the functions, the aggregates and the planner; [`window_functions`] and
//! [`placeholder_aggregates`] list the parts for a `SessionStateBuilder`.
//!
//! ## Options
//! Write an option's value after the column, in any order. No two options accept the
//! same value, so the value says which option it sets:
//!
//! ```sql
//! cumsum(x, 'skip')             -- nulls: a null row stays null
//! cumsum(x, 'float64')          -- dtype: scan in, and return, DOUBLE
//! cumsum(x, 'int8', 'error')    -- dtype and overflow: stop at the first int8 overflow
//! cumsum(v, 1)                  -- axis (an integer): within each row of a FixedSizeList
//! cumsum(x, true)               -- reverse (a boolean): from the partition's last row
//! ```
//!
//! The options, what each accepts and what it means are the core's [`ScanOption`] table
//! ([`ScanOption::accepted_values`], [`ScanOption::summary`]); DataFusion's function
//! documentation of each function lists them with SQL's defaults ([`sql_defaults`]). `NULL`
//! sets nothing. Each option can be given once; two values for one option, a value no
//! option takes, or a non-constant argument is an `Error during planning` that lists the
//! accepted values.
//!
//! By name, the parameters are [`PARAMETER_NAMES`]. DataFusion 55 resolves named
//! arguments by position and then requires the first *k* parameters when *k* arguments
//! are given, so the options you name must be a prefix of that list (in any order), with
//! `NULL` for the ones you skip; [`explain_error`] turns DataFusion's message into the
//! two forms that work:
//!
//! ```sql
//! cumsum(x, dtype => NULL, nulls => 'skip')
//! cumsum(x, nulls => 'skip')   -- error: Missing required parameter 'dtype'
//! ```
//!
//! Positional calls written for the fixed order (`cumsum(x, NULL, 'skip')`,
//! `cumsum(x, NULL, NULL, NULL, NULL, true)`) mean what they meant: each value stood where
//! its value says what it is. DataFusion hands named arguments to the planner placed by
//! position, without their names, so a value is read by what it is even under another
//! option's name (`dtype => 'skip'` sets `nulls`).
//!
//! The options are read once, when the query is planned: the output type follows `dtype`
//! (`cumsum(int_col, 'float64')` is a DOUBLE column in the plan), and a column the
//! operation cannot scan is an `Error during planning` naming the type and what is
//! accepted.
//!
//! ### Session defaults
//! `SET cumulus.nulls = 'skip'` (likewise `cumulus.dtype`, `cumulus.overflow`,
//! `cumulus.axis`, `cumulus.reverse`) changes the default of every call planned afterwards
//! in the session; a call's own values win, and `'default'` restores SQL's default
//! (DataFusion 55's `RESET` does not reach extensions). The settings are a DataFusion
//! config extension that [`register`] adds; DataFusion 55 gives a planner no access to the
//! session's configuration, so [`register`]'s planner ([`CumulusPlanner::for_session`])
//! reads the context's. Sessions set up with [`register_with_state`] alone have no
//! `cumulus.*` settings, and the DataFrame builders use [`sql_defaults`].
//!
//! ## Nulls: Carry by default
//! SQL calls default to [`NullPolicy::Carry`]: a null row gets the running value, and rows
//! before the first value are null. That is what SQL's running aggregates do, so
//! `cumsum(x) OVER (ORDER BY t)` equals
//! `sum(x) OVER (ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`, the query
//! SQL users compare it with, and a running balance has a value on every row. The core's
//! default, [`NullPolicy::Skip`] (a null row stays null, as in Polars and pandas), is
//! `nulls => 'skip'`. The DataFrame builders use the same defaults ([`sql_defaults`]).
//!
//! ## N-dimensional columns
//! FixedSizeList and `arrow.fixed_shape_tensor` columns scan along axis 0 by default: a
//! running vector down the rows (`[[1, 2], [3, 4]]` gives `[[1, 2], [4, 6]]`); `axis => 1`
//! scans within each row. Flattening (NumPy's `axis=None`) would return more values than
//! rows and is refused. List columns only scan within each row: pass `axis => 1`.
//!
//! ## Without OVER
//! `SELECT cumsum(x) FROM t` is one window over the whole input in the order the input
//! arrives, and `cumsum(x ORDER BY t)` orders it. That order is deterministic only for a
//! single-partition source: one MemTable partition, or one file read whole. By default
//! DataFusion reads a large file in several parallel pieces (2 for a 100 MB Parquet file
//! on two cores) whose rows interleave; set `datafusion.optimizer.repartition_file_scans`
//! to false (the `cumulus` command does) or give the call an ORDER BY. Another window with an
//! ORDER BY in the same SELECT may sort the rows first, and the call without ORDER BY
//! then scans them in that order: give it its own ORDER BY when that matters. The column is named
//! `cumsum(t.x)`. It works through the placeholder aggregate and [`CumulusPlanner`]; like
//! any window it cannot be mixed with GROUP BY aggregates: DataFusion's planner then
//! answers "column x must appear in the GROUP BY clause" before cumulus sees the query,
//! which [`explain_error`] turns into "cumsum is a window function ...".
//!
//! ## Frames and ties
//! The scan is per row: every row gets the value of the rows before it in the window's
//! ORDER BY, plus itself. A frame clause must run from `UNBOUNDED PRECEDING` to
//! `CURRENT ROW` (ROWS, RANGE or GROUPS); any other frame (a moving window, one ending at
//! `UNBOUNDED FOLLOWING` or `n FOLLOWING`) asks for something a scan does not compute and
//! is a plan error. Without ORDER BY, DataFusion gives every window the frame
//! `ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING`, which is accepted (the scan
//! then runs in input order; the same frame written out cannot be told apart from it).
//! Under the default `RANGE ... CURRENT ROW` frame, rows tied on the ORDER BY key still
//! get distinct running values (unlike `sum(x) OVER (ORDER BY t)`), in the order the sort
//! leaves them.
//!
//! ## Operator and memory
//! DataFusion plans the functions into its `WindowAggExec` (their evaluator keeps
//! `supports_bounded_execution() == false`, because DataFusion's streaming
//! `BoundedWindowAggExec` would call it once per row and build the column one
//! `ScalarValue` at a time). [`CumulativeWindowRule`], which [`register`] installs just
//! before DataFusion's final `SanityCheckPlan` (after the sorts and repartitions are in
//! place), then replaces every `WindowAggExec` whose window expressions are all cumulus
//! functions by [`CumulativeWindowAggExec`], which streams. DataFusion has already sorted
//! its input by the PARTITION BY keys and then the ORDER BY keys, and hash-split it by
//! the PARTITION BY keys (or gathered it into one partition), so every group is a run of
//! consecutive rows. For each input batch the operator evaluates the arguments, finds the
//! runs of equal PARTITION BY keys (one comparison when the batch holds one group,
//! galloping and binary search per run otherwise, one vectorised pass once a batch shows
//! many short runs) and pushes each run into a core [`Scanner`], which
//! carries the running value from batch to batch and restarts at each new group. Each
//! input batch gives one output batch, its columns plus one per function, as soon as it
//! is scanned. Memory: the batch in flight and its output, the last PARTITION BY key,
//! and one running value (a running vector along axis 0) per function, per execution
//! partition, whatever the size of the input or of its groups; a `LIMIT` above stops the
//! scan early. EXPLAIN shows `CumulativeWindowAggExec: wdw=[...]` where it would show
//! `WindowAggExec: wdw=[...]`; the output schema, ordering, partitioning, values and
//! errors are the same.
//!
//! The planned `WindowAggExec` stays when a window node also holds another window
//! function (DataFusion puts every window with the same PARTITION BY and ORDER BY in one
//! node, so `cumsum(x) OVER w, sum(x) OVER w` runs both in `WindowAggExec`), when a call
//! has `reverse => true` (a reverse scan starts at a group's last row, so it needs the
//! whole group), and in sessions without the rule (set up with [`register_with_state`]
//! alone). `WindowAggExec` buffers every input batch of its execution partition,
//! concatenates them once the input ends, calls [`PartitionEvaluator::evaluate_all`] once
//! per PARTITION BY group on a zero-copy slice (one core scan per group), then
//! concatenates the group outputs and emits one batch (by that reading of DataFusion's
//! code, the input twice over plus the output at the peak; not measured here). Neither operator reserves memory in
//! DataFusion's memory pool.
//!
//! Speed, on 10^7 float64 rows sorted as the window needs (`benches/datafusion.rs`, two
//! cores, medians): `cumsum(x) OVER (ORDER BY t)` takes about 22 ms streaming and 145 ms
//! in `WindowAggExec`, against 1.8 s for DataFusion's
//! `sum(x) OVER (ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`; with
//! `PARTITION BY g` over 1000 groups, about 26 ms, 260 ms and 1.9 s. `WindowAggExec`'s
//! time goes mostly to its two copies (the scan is about 5% of it), which the streaming
//! operator does not make.
//!
//! ## Input not sorted by the PARTITION BY keys: one running state per key
//! A window with a PARTITION BY needs its input sorted by the keys only so that each
//! group is a run of rows; a scan does not need that if it keeps one running state per
//! key. [`CumulativeHashWindowRule`], which [`register`] installs before DataFusion's
//! `EnsureRequirements`, replaces such windows (cumulus functions only, scanning
//! forward, one PARTITION BY) by [`CumulativeHashWindowExec`] whenever the input is not
//! already sorted by the keys:
//!
//! - input whose order satisfies the ORDER BY (a log or a trade feed in time order, with
//!   `PARTITION BY symbol ORDER BY time`; or a window without ORDER BY):
//!   [`InputOrder::Sorted`], one pass in input order, no sort, memory O(keys), output
//!   streamed in input order;
//! - any other input: [`InputOrder::Any`], each execution partition is buffered (in the
//!   session's memory pool, spilling by key to temporary files beyond it), an O(n)
//!   check finds the keys whose rows are out of order, only those are sorted (a counting
//!   sort by key, then each key's rows by the ORDER BY keys), and the rows come out in
//!   that order, a piece at a time (in input order where nothing was sorted). Input
//!   already in (key, order) order but not declared so costs the check and no sort.
//! - the same, when the input is one partition of a data source (a file) and the
//!   window has one primitive ORDER BY column: [`CumulativeProbedWindowExec`] first reads
//!   only the key and ORDER BY columns (a byte range of the file per core, each in file
//!   order) and, when every key's rows are in order (rows grouped by key or in time
//!   order, undeclared), streams in one pass ([`InputOrder::ByKey`], each row checked
//!   again) instead of buffering; otherwise it runs the buffered plan.
//!
//! DataFusion then hash-partitions the input by the keys (both cores) and adds no sort
//! below the node; above it, the node promises only its input's order, so a parent that
//! needs (key, order) order gets a sort. The values, types and errors are those of the
//! sorted path bit for bit (rows tied on the ORDER BY keys are scanned in input order).
//!
//! ## Declared orders are checked
//! DataFusion trusts an order a source declares (Parquet `sorting_columns`, `CREATE
//! EXTERNAL TABLE ... WITH ORDER`, a read option's `file_sort_order`) and skips the sorts
//! it makes unnecessary. [`OrderCheckRule`], which [`register`] installs, puts an
//! [`OrderCheckExec`] above every such source: one comparison per row, and a source
//! that breaks its order stops the query with an execution error naming the file and the
//! row, never a wrong answer.
//!
//! ## Files to files
//! [`etl_context`] sets up a session for a command that runs SQL from files to files
//! (whole-file scans, a memory limit with spilling); [`ordered_output`],
//! [`sorting_columns`] and [`parquet_writer_properties`] write a result that keeps its
//! order known to the next job.
//!
//! ## Errors
//! A [`crate::Error`] from the core stays the error's source. DataFusion 55's `Plan` and
//! `Execution` errors hold only a string, so it travels as `DataFusionError::External`
//! inside a `Context` saying where it happened:
//!
//! ```text
//! Error during planning
//! caused by
//! External error: cumsum: unsupported input type Utf8; accepted: bool, int8, ...
//! ```
//!
//! An overflow under `overflow => 'error'` stops the query the same way with
//! `Execution error`, rows counted from 0 at the first row of the window partition, in
//! the window's order. `error.find_root()` is the `External` error; downcast it, or call
//! [`cumulus_error`], for the typed [`crate::Error`] (`Error::Overflow { row, .. }`).
//! Errors about how a call is written (the frame, DISTINCT, a value no option takes, two
//! values for one option) are DataFusion plan errors (`Error during planning: cumsum:
//! ...`), like DataFusion's own checks. [`explain_error`] gives a one-line message for a
//! person, adding a hint where DataFusion's own message is cryptic.
//!
//! [`PartitionEvaluator::evaluate_all`]: datafusion::logical_expr::PartitionEvaluator::evaluate_all
//! [`Scanner`]: crate::Scanner
//! [`FunctionRegistry`]: datafusion::execution::FunctionRegistry
//! [`ScanOption`]: crate::ScanOption
//! [`ScanOption::accepted_values`]: crate::ScanOption::accepted_values
//! [`ScanOption::summary`]: crate::ScanOption::summary
//! [`NullPolicy::Carry`]: crate::NullPolicy::Carry
//! [`NullPolicy::Skip`]: crate::NullPolicy::Skip

mod call;
mod errors;
mod etl;
mod exec;
mod functions;
mod hash_window;
mod keyed;
mod keys;
mod options;
mod planner;
mod probe;
mod rule;
mod runs;
mod session;
mod verify;
mod window;

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{AggregateUDF, WindowUDF};
use datafusion::prelude::SessionContext;

pub use call::Cumulative;
pub use errors::{cumulus_error, explain_error};
pub use etl::{
    EtlSettings, default_memory_limit, encodings_from_sample, etl_context, ordered_output,
    parquet_writer_properties, sorting_columns,
};
pub use exec::CumulativeWindowAggExec;
pub use functions::{
    cummax, cummax_udwf, cummin, cummin_udwf, cumprod, cumprod_udwf, cumsum, cumsum_udwf,
    nancumprod, nancumprod_udwf, nancumsum, nancumsum_udwf,
};
pub use hash_window::{CumulativeHashWindowExec, InputOrder};
pub use options::{PARAMETER_NAMES, sql_defaults};
pub use planner::{CumulativePlaceholder, CumulusPlanner};
pub use probe::CumulativeProbedWindowExec;
pub use rule::{
    CumulativeHashWindowRule, CumulativeWindowRule, physical_optimizer_rules, register_rule,
};
pub use verify::{OrderCheckExec, OrderCheckRule};
pub use window::CumulativeWindow;

use crate::Operation;

/// The registered window function of `op` (SQL defaults).
///
/// ```
/// use cumulus::Operation;
/// assert_eq!(cumulus::datafusion::udwf(Operation::Cummin).name(), "cummin");
/// ```
pub fn udwf(op: Operation) -> Arc<WindowUDF> {
    functions::registered(op)
}

/// The six window functions, as [`register`] registers them.
///
/// ```
/// let names: Vec<String> = cumulus::datafusion::window_functions()
///     .iter()
///     .map(|f| f.name().to_string())
///     .collect();
/// assert_eq!(names, ["cumsum", "cumprod", "nancumsum", "nancumprod", "cummax", "cummin"]);
/// ```
pub fn window_functions() -> Vec<Arc<WindowUDF>> {
    Operation::ALL.into_iter().map(udwf).collect()
}

/// The six placeholder aggregates ([`CumulativePlaceholder`]) that let SQL call the
/// functions without OVER; they only work together with [`CumulusPlanner`].
///
/// ```
/// assert_eq!(cumulus::datafusion::placeholder_aggregates().len(), 6);
/// ```
pub fn placeholder_aggregates() -> Vec<Arc<AggregateUDF>> {
    Operation::ALL
        .into_iter()
        .map(|op| Arc::new(AggregateUDF::from(CumulativePlaceholder::new(op))))
        .collect()
}

/// Registers the six functions on a [`SessionContext`]: the window functions, their
/// placeholder aggregates (for calls without OVER) and [`CumulusPlanner`] (which reads the
/// options), and installs [`CumulativeWindowRule`] so that their windows stream
/// ([`register_rule`]; see "Operator and memory" in the module docs). Calling it again
/// replaces the functions and adds an idle planner; the rule is installed once.
///
/// ```
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let ctx = datafusion::prelude::SessionContext::new();
/// cumulus::datafusion::register(&ctx)?;
/// let batches = ctx
///     .sql("SELECT cumsum(x, 'float64') AS s FROM (VALUES (1), (2)) AS v(x)")
///     .await?
///     .collect()
///     .await?;
/// assert_eq!(batches[0].schema().field(0).data_type(), &datafusion::arrow::datatypes::DataType::Float64);
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// None in practice; the signature follows DataFusion's registry methods.
pub fn register(ctx: &SessionContext) -> Result<()> {
    let planner = CumulusPlanner::for_session(ctx);
    let state = ctx.state_ref();
    let mut state = state.write();
    register_functions(&mut *state, planner)?;
    session::install(&mut state);
    register_rule(&mut state);
    Ok(())
}

/// Registers the six functions (window functions, placeholder aggregates and
/// [`CumulusPlanner`]) in a `SessionState` or any other [`FunctionRegistry`].
///
/// A function registry cannot take a physical optimizer rule, so this does not install
/// [`CumulativeWindowRule`]: without it the windows run in DataFusion's buffering
/// `WindowAggExec`. Add it with [`register_rule`] on a `SessionState`, or build the state
/// with [`physical_optimizer_rules`]:
///
/// ```
/// use datafusion::execution::SessionStateBuilder;
///
/// let mut state = SessionStateBuilder::new()
///     .with_default_features()
///     .with_physical_optimizer_rules(cumulus::datafusion::physical_optimizer_rules())
///     .build();
/// cumulus::datafusion::register_with_state(&mut state)?;
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
///
/// ```
/// use datafusion::execution::{FunctionRegistry, SessionStateBuilder};
/// use datafusion::prelude::SessionContext;
///
/// let mut state = SessionStateBuilder::new().with_default_features().build();
/// cumulus::datafusion::register_with_state(&mut state)?;
/// let ctx = SessionContext::new_with_state(state);
/// assert!(ctx.udwf("nancumprod").is_ok());
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
///
/// # Errors
/// When the registry refuses a function or planner (a registry without planner support
/// answers "not implemented").
///
/// [`FunctionRegistry`]: datafusion::execution::FunctionRegistry
pub fn register_with_state<R: FunctionRegistry + ?Sized>(registry: &mut R) -> Result<()> {
    register_functions(registry, CumulusPlanner::new())
}

/// Registers the window functions, the placeholder aggregates and `planner`.
fn register_functions<R: FunctionRegistry + ?Sized>(
    registry: &mut R,
    planner: CumulusPlanner,
) -> Result<()> {
    for f in window_functions() {
        registry.register_udwf(f)?;
    }
    for f in placeholder_aggregates() {
        registry.register_udaf(f)?;
    }
    registry.register_expr_planner(Arc::new(planner))
}
