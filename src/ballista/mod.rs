//! Ballista 55 integration: the cumulus SQL functions on a
//! [Ballista](https://datafusion.apache.org/ballista/) cluster, with the same results as on
//! one machine.
//!
//! ```
//! use datafusion::prelude::SessionConfig;
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! // An in-process scheduler and executor over loopback gRPC; `remote_context` talks to
//! // a cluster instead.
//! let ctx = cumulus::ballista::standalone_context(SessionConfig::new()).await?;
//! let batches = ctx
//!     .sql("SELECT t, cumsum(x, 'float64') OVER (ORDER BY t) AS s
//!           FROM (VALUES (1, 1), (2, 2), (3, 3)) AS v(t, x) ORDER BY t")
//!     .await?
//!     .collect()
//!     .await?;
//! datafusion::assert_batches_eq!(
//!     ["+---+-----+", "| t | s   |", "+---+-----+",
//!      "| 1 | 1.0 |", "| 2 | 3.0 |", "| 3 | 6.0 |", "+---+-----+"],
//!     &batches
//! );
//! # Ok::<(), datafusion::error::DataFusionError>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## What a cluster needs
//! SQL is parsed and planned logically on the **client** (there the functions, their
//! placeholder aggregates and [`CumulusPlanner`] read the options); the **scheduler** plans
//! physically and cuts the plan into stages; **executors** run the stages. Plans travel as
//! DataFusion protobuf, so every process needs:
//!
//! - the codecs, [`CumulusLogicalCodec`] and [`CumulusPhysicalCodec`]: Ballista's own
//!   codecs plus the options of each call (`cumsum(x, 'float64')` is a different function
//!   than `cumsum(x)`; by name it would arrive as the latter) and the streaming
//!   [`CumulativeWindowAggExec`];
//! - the six window functions by name, and on the scheduler [`CumulativeWindowRule`].
//!
//! | process | made by | Ballista's own call it wraps |
//! |---|---|---|
//! | client | [`remote_context`], or [`session_config`] + `SessionContext::remote_with_state` + [`register`] | `SessionContextExt::remote_with_state` |
//! | in-process cluster | [`standalone_context`], or [`session_state`] + `standalone_with_state` + [`register`] | `SessionContextExt::standalone_with_state` |
//! | scheduler | [`scheduler_config`] + [`run_scheduler`] | `ballista_scheduler::scheduler_process` |
//! | executor | [`executor_config`] + [`run_executor`] | `ballista_executor::executor_process::start_executor_process` |
//!
//! The `cumulus` command runs the last two as `cumulus scheduler` and `cumulus executor`.
//! Tables must be files that every executor can read under the same path (or object
//! store URLs); Ballista does not ship in-memory tables.
//!
//! ## The adaptive planner is off in cumulus sessions
//! Ballista's adaptive query planner (AQE, `ballista.planner.adaptive.enabled`, on by
//! default) rebuilds each job's session with a fixed list of physical optimizer rules, so
//! [`CumulativeWindowRule`] never runs there and windows fall back to DataFusion's
//! buffering `WindowAggExec` (same results, the memory and time of
//! `WindowAggExec`). [`session_config`] therefore sets
//! `ballista.planner.adaptive.enabled = false`: the client sends its settings with every
//! job, and the scheduler then plans with its session's own rules (the static planner),
//! keeping the streaming operator in the stage that computes the window. The price is
//! AQE's run-time join and partition tuning; `SET ballista.planner.adaptive.enabled =
//! true` on the client brings it back, with `WindowAggExec`.
//!
//! Under AQE, a plain `EXPLAIN` is misleading: its `distributed_plan` row comes from the
//! static planner and shows `CumulativeWindowAggExec` although AQE then runs
//! `WindowAggExec`. `EXPLAIN ANALYZE` shows the stages that ran, with their metrics:
//!
//! ```
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let ctx = cumulus::ballista::standalone_context(Default::default()).await?;
//! let batches = ctx
//!     .sql("EXPLAIN ANALYZE SELECT cumsum(x) OVER (PARTITION BY g ORDER BY x)
//!           FROM (VALUES (1, 1), (1, 2), (2, 3)) AS v(g, x)")
//!     .await?
//!     .collect()
//!     .await?;
//! let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)?.to_string();
//! assert!(text.contains("CumulativeWindowAggExec"), "{text}");
//! assert!(!text.contains(" WindowAggExec"), "{text}");
//! # Ok::<(), datafusion::error::DataFusionError>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Failures and their time bounds
//! - **No scheduler at the URL.** Nothing connects before the first query. A closed port
//!   fails that query at once; an address that does not answer fails it after
//!   `ballista.client.grpc_connect_timeout_seconds` (Ballista's default, 20 s). Each
//!   call to the scheduler gives up after `ballista.client.grpc_timeout_seconds` (20 s).
//!   Both are client settings (`SET` or [`SessionConfig::set_u64`]).
//! - **An executor dies.** It stops sending heartbeats (every
//!   [`EXECUTOR_HEARTBEAT_SECONDS`]); the scheduler finds it gone after
//!   [`EXECUTOR_TIMEOUT_SECONDS`] (checked every [`EXPIRE_CHECK_SECONDS`]), reruns its
//!   tasks (and the shuffle output it held) on the others, and the query completes. With
//!   no executor left, jobs fail after [`EXECUTOR_TIMEOUT_SECONDS`] more. Ballista's
//!   defaults are 60 s, 180 s, 15 s and 180 s: a killed executor held a query for more
//!   than three minutes. A stopped (SIGTERM, Ctrl-C) executor deregisters at once.
//! - **A task fails** (a file an executor cannot read, an overflow under
//!   `overflow => 'error'`): Ballista retries a failing task up to 4 times, then fails
//!   the job; the client's error holds the executor's message as text.
//! - **An executor cannot reach the scheduler at start**: [`run_executor`] retries for
//!   `scheduler_connect_timeout_seconds` ([`SCHEDULER_WAIT_SECONDS`] in
//!   [`executor_config`]), then fails.
//!
//! Errors that reach the client have travelled as text, so
//! [`cumulus_error`](crate::datafusion::cumulus_error) finds no typed error in them; the
//! message is the one a local query gives.
//!
//! [`CumulusPlanner`]: crate::datafusion::CumulusPlanner
//! [`CumulativeWindowAggExec`]: crate::datafusion::CumulativeWindowAggExec
//! [`CumulativeWindowRule`]: crate::datafusion::CumulativeWindowRule
//! [`register`]: crate::datafusion::register
//! [`SessionConfig::set_u64`]: datafusion::prelude::SessionConfig::set_u64

mod cluster;
mod codec;

use std::sync::Arc;

use ballista::extension::SessionContextExt;
use ballista_core::extension::{
    SessionConfigExt, ballista_aggregate_functions, ballista_scalar_functions,
    ballista_window_functions,
};
use ballista_core::registry::BallistaFunctionRegistry;
use datafusion::common::Result;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionState;
use datafusion::prelude::{SessionConfig, SessionContext};

pub use cluster::{
    EXECUTOR_HEARTBEAT_SECONDS, EXECUTOR_TIMEOUT_SECONDS, EXPIRE_CHECK_SECONDS,
    SCHEDULER_WAIT_SECONDS, executor_config, run_executor, run_scheduler, scheduler_config,
};
pub use codec::{CumulusLogicalCodec, CumulusPhysicalCodec};

/// `config` made ready for Ballista with cumulus: Ballista's settings
/// (`SessionConfigExt::upgrade_for_ballista`), [`CumulusLogicalCodec`] and
/// [`CumulusPhysicalCodec`], and the adaptive planner off (see the module docs).
///
/// For a client (`SessionContext::remote_with_state`) and an in-process cluster
/// ([`session_state`]). Ballista reads the logical codec when the context is made, so
/// it must be in the config before.
///
/// ```
/// use ballista::prelude::SessionConfigExt;
/// use datafusion::prelude::SessionConfig;
///
/// let config = cumulus::ballista::session_config(SessionConfig::new().with_target_partitions(4));
/// assert!(!config.ballista_adaptive_query_planner_enabled());
/// assert_eq!(config.target_partitions(), 4);
/// let codec = format!("{:?}", config.ballista_physical_extension_codec());
/// assert!(codec.starts_with("CumulusPhysicalCodec"), "{codec}");
/// ```
pub fn session_config(config: SessionConfig) -> SessionConfig {
    config
        .upgrade_for_ballista()
        .with_ballista_logical_extension_codec(Arc::new(CumulusLogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(CumulusPhysicalCodec::default()))
        .with_ballista_adaptive_query_planner(false)
}

/// A session state with everything a Ballista process needs to run cumulus queries:
/// [`session_config`]`(config)`, and Ballista's default session (its optimizer rules and
/// function lists, as `ballista_core::utils::default_session_builder`) plus the six
/// window functions and DataFusion's physical optimizer rules with
/// [`CumulativeWindowRule`](crate::datafusion::CumulativeWindowRule) (not the hash-window
/// and order-check rules of [`register`](crate::datafusion::register): the codecs do not
/// carry their operators).
///
/// Give it to `SessionContext::standalone_with_state` (an in-process scheduler and
/// executor use it as it is) and call [`register`](crate::datafusion::register) on the
/// context that returns, which is what [`standalone_context`] does: Ballista replaces a
/// client's function lists, and the SQL side (placeholder aggregates, the planner and its
/// `SET cumulus.*` settings) is registered on the client only.
///
/// ```
/// use datafusion::execution::FunctionRegistry;
///
/// let state = cumulus::ballista::session_state(Default::default())?;
/// assert!(state.udwf("nancumsum").is_ok());
/// assert!(state.physical_optimizers().iter().any(|r| r.name() == "CumulativeWindowRule"));
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
///
/// # Errors
/// When DataFusion cannot make the runtime environment.
pub fn session_state(config: SessionConfig) -> Result<SessionState> {
    process_state(session_config(config))
}

/// Ballista's default session for `config` (kept as it is) plus the window functions and
/// the rule: what the scheduler builds for each job.
pub(crate) fn process_state(config: SessionConfig) -> Result<SessionState> {
    let window_functions = ballista_window_functions()
        .into_iter()
        .chain(crate::datafusion::window_functions())
        .collect();
    Ok(SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .with_runtime_env(Arc::new(RuntimeEnvBuilder::new().build()?))
        .with_optimizer_rules(ballista_core::optimizer::ballista_default_optimizer_rules())
        .with_physical_optimizer_rules(cluster_physical_optimizer_rules())
        .with_scalar_functions(ballista_scalar_functions())
        .with_aggregate_functions(ballista_aggregate_functions())
        .with_window_functions(window_functions)
        .build())
}

/// DataFusion's physical optimizer rules with
/// [`CumulativeWindowRule`](crate::datafusion::CumulativeWindowRule) only: the codecs carry
/// `CumulativeWindowAggExec` between processes, but not `CumulativeHashWindowExec` nor
/// `OrderCheckExec`, so [`CumulativeHashWindowRule`](crate::datafusion::CumulativeHashWindowRule)
/// and [`OrderCheckRule`](crate::datafusion::OrderCheckRule) are left out on a cluster (a
/// window over input not sorted by its keys is sorted, as DataFusion does; a declared
/// order is trusted, as DataFusion does).
fn cluster_physical_optimizer_rules()
-> Vec<Arc<dyn datafusion::physical_optimizer::PhysicalOptimizerRule + Send + Sync>> {
    let mut rules = datafusion::physical_optimizer::optimizer::PhysicalOptimizer::new().rules;
    crate::datafusion::CumulativeWindowRule::insert_into(&mut rules);
    rules
}

/// The functions an executor runs tasks with: Ballista's defaults (DataFusion's
/// built-ins) plus the six window functions. [`executor_config`] installs it.
///
/// ```
/// let registry = cumulus::ballista::function_registry();
/// assert!(registry.window_functions.contains_key("cummax"));
/// assert!(registry.window_functions.contains_key("row_number"));
/// ```
pub fn function_registry() -> BallistaFunctionRegistry {
    let mut registry = BallistaFunctionRegistry::default();
    for f in crate::datafusion::window_functions() {
        registry.window_functions.insert(f.name().to_string(), f);
    }
    registry
}

/// A context whose queries run on an in-process Ballista scheduler and executor (over
/// loopback gRPC, as on a cluster), with the functions registered: [`session_state`],
/// `SessionContext::standalone_with_state`, then
/// [`register`](crate::datafusion::register).
///
/// The in-process scheduler plans every job with `config` as given here: `SET` on the
/// returned context changes the client's planning (including `SET cumulus.*`), not the
/// scheduler's settings. Task slots: `ballista.standalone.parallelism` (default: the
/// number of cores).
///
/// ```
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let ctx = cumulus::ballista::standalone_context(Default::default()).await?;
/// ctx.sql("SET cumulus.nulls = 'skip'").await?;
/// let batches = ctx
///     .sql("SELECT cumsum(x ORDER BY t) AS s FROM (VALUES (1, 1), (2, NULL), (3, 2)) AS v(t, x)")
///     .await?
///     .collect()
///     .await?;
/// datafusion::assert_batches_eq!(
///     ["+---+", "| s |", "+---+", "| 1 |", "|   |", "| 3 |", "+---+"],
///     &batches
/// );
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// When Ballista cannot start the scheduler or the executor.
pub async fn standalone_context(config: SessionConfig) -> Result<SessionContext> {
    let ctx = SessionContext::standalone_with_state(session_state(config)?).await?;
    crate::datafusion::register(&ctx)?;
    Ok(ctx)
}

/// A context whose queries run on the Ballista cluster whose scheduler is at `url`
/// (`df://host:port`; the port defaults to 50050), with the functions registered:
/// [`session_config`], `SessionContext::remote_with_state`, then
/// [`register`](crate::datafusion::register).
///
/// Nothing connects until the first query (see "Failures" in the module docs). The
/// cluster's processes must know the functions and codecs: [`run_scheduler`],
/// [`run_executor`], or `cumulus scheduler` and `cumulus executor`.
///
/// ```no_run
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let ctx = cumulus::ballista::remote_context("df://localhost:50050", Default::default()).await?;
/// ctx.register_parquet("t", "/data/t.parquet", Default::default()).await?;
/// ctx.sql("SELECT g, t, cumsum(x) OVER (PARTITION BY g ORDER BY t) FROM t")
///     .await?
///     .show()
///     .await?;
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// When `url` is not a URL with a host.
pub async fn remote_context(url: &str, config: SessionConfig) -> Result<SessionContext> {
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(session_config(config))
        .build();
    let ctx = SessionContext::remote_with_state(url, state).await?;
    crate::datafusion::register(&ctx)?;
    Ok(ctx)
}
