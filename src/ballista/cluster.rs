//! Scheduler and executor processes that know the cumulus functions: Ballista's own
//! server libraries, configured with the codecs, the functions, the rule and shorter
//! failure timeouts.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ballista_core::extension::SessionConfigExt;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use datafusion::common::{DataFusionError, Result};
use datafusion::prelude::SessionConfig;

use super::{CumulusLogicalCodec, CumulusPhysicalCodec, function_registry, process_state};

/// How often an executor made by [`executor_config`] tells the scheduler it is alive, in
/// seconds (Ballista's default: 60).
///
/// ```
/// let config = cumulus::ballista::executor_config("localhost:50050", "127.0.0.1:50051".parse()?, 1)?;
/// assert_eq!(config.executor_heartbeat_interval_seconds, cumulus::ballista::EXECUTOR_HEARTBEAT_SECONDS);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const EXECUTOR_HEARTBEAT_SECONDS: u64 = 5;

/// How long a scheduler made by [`scheduler_config`] waits for a heartbeat before it
/// takes an executor for dead and reruns its tasks elsewhere, in seconds (Ballista's
/// default: 180). Also how long it waits, once the last executor is gone, before it fails
/// the running jobs.
///
/// ```
/// let config = cumulus::ballista::scheduler_config("127.0.0.1:50050".parse()?);
/// assert_eq!(config.executor_timeout_seconds, cumulus::ballista::EXECUTOR_TIMEOUT_SECONDS);
/// assert_eq!(config.no_executors_grace_period_seconds, cumulus::ballista::EXECUTOR_TIMEOUT_SECONDS);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const EXECUTOR_TIMEOUT_SECONDS: u64 = 30;

/// How often a scheduler made by [`scheduler_config`] looks for executors whose
/// heartbeats stopped, in seconds (Ballista's default: 15).
///
/// ```
/// let config = cumulus::ballista::scheduler_config("127.0.0.1:50050".parse()?);
/// assert_eq!(config.expire_dead_executor_interval_seconds, cumulus::ballista::EXPIRE_CHECK_SECONDS);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const EXPIRE_CHECK_SECONDS: u64 = 5;

/// How long [`run_executor`] keeps trying to reach the scheduler when it starts, in
/// seconds (the `scheduler_connect_timeout_seconds` that [`executor_config`] sets).
///
/// ```
/// let config = cumulus::ballista::executor_config("localhost:50050", "127.0.0.1:50051".parse()?, 1)?;
/// assert_eq!(config.scheduler_connect_timeout_seconds, cumulus::ballista::SCHEDULER_WAIT_SECONDS);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const SCHEDULER_WAIT_SECONDS: u16 = 30;

fn config_error(message: String) -> DataFusionError {
    DataFusionError::Configuration(message)
}

fn external(error: impl std::error::Error + Send + Sync + 'static) -> DataFusionError {
    DataFusionError::External(Box::new(error))
}

/// The configuration of a scheduler listening on `bind` that knows the cumulus functions:
/// [`CumulusLogicalCodec`] and [`CumulusPhysicalCodec`], a session builder with the
/// window functions and [`CumulativeWindowRule`](crate::datafusion::CumulativeWindowRule)
/// (see [`super::session_state`]), tasks spread round-robin over the executors, and
/// [`EXECUTOR_TIMEOUT_SECONDS`] / [`EXPIRE_CHECK_SECONDS`] for dead executors. Change any
/// field before [`run_scheduler`].
///
/// ```
/// let config = cumulus::ballista::scheduler_config("127.0.0.1:50050".parse()?);
/// assert_eq!(config.bind_port, 50050);
/// assert_eq!(config.executor_timeout_seconds, cumulus::ballista::EXECUTOR_TIMEOUT_SECONDS);
/// assert!(config.override_physical_codec.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn scheduler_config(bind: SocketAddr) -> SchedulerConfig {
    SchedulerConfig {
        bind_host: bind.ip().to_string(),
        bind_port: bind.port(),
        task_distribution: TaskDistributionPolicy::RoundRobin,
        executor_timeout_seconds: EXECUTOR_TIMEOUT_SECONDS,
        expire_dead_executor_interval_seconds: EXPIRE_CHECK_SECONDS,
        no_executors_grace_period_seconds: EXECUTOR_TIMEOUT_SECONDS,
        override_config_producer: Some(Arc::new(|| {
            super::session_config(SessionConfig::new_with_ballista())
        })),
        override_session_builder: Some(Arc::new(process_state)),
        override_logical_codec: Some(Arc::new(CumulusLogicalCodec::default())),
        override_physical_codec: Some(Arc::new(CumulusPhysicalCodec::default())),
        ..SchedulerConfig::default()
    }
}

/// Runs a scheduler with `config` (usually [`scheduler_config`]) until the process ends.
///
/// ```no_run
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let config = cumulus::ballista::scheduler_config("127.0.0.1:50050".parse().unwrap());
/// cumulus::ballista::run_scheduler(config).await?;
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// When the address cannot be bound (in use, not local) or the configuration is invalid.
pub async fn run_scheduler(config: SchedulerConfig) -> Result<()> {
    let address: SocketAddr = format!("{}:{}", config.bind_host, config.bind_port)
        .parse()
        .map_err(|e| {
            config_error(format!(
                "scheduler address {}:{}: {e}",
                config.bind_host, config.bind_port
            ))
        })?;
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(external)?;
    ballista_scheduler::scheduler_process::start_server(cluster, address, Arc::new(config))
        .await
        .map_err(|e| {
            DataFusionError::External(Box::new(e)).context(format!("scheduler on {address}"))
        })
}

/// The configuration of an executor that knows the cumulus functions, for the scheduler
/// at `scheduler` (`HOST:PORT`), serving Arrow Flight (shuffle and result data) on `bind`
/// and its task service on the next port, with `concurrent_tasks` task slots:
/// [`function_registry`], [`CumulusLogicalCodec`], [`CumulusPhysicalCodec`] and a
/// heartbeat every [`EXECUTOR_HEARTBEAT_SECONDS`]. Change any field before
/// [`run_executor`] (`work_dir` for shuffle files, `external_host` when other machines
/// reach it under another name).
///
/// ```
/// let config = cumulus::ballista::executor_config("localhost:50050", "127.0.0.1:50051".parse()?, 2)?;
/// assert_eq!((config.scheduler_host.as_str(), config.scheduler_port), ("localhost", 50050));
/// assert_eq!((config.port, config.grpc_port, config.vcores), (50051, 50052, 2));
/// assert!(cumulus::ballista::executor_config("localhost", "127.0.0.1:50051".parse()?, 2).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// When `scheduler` is not `HOST:PORT`, `bind`'s port is 0 or 65535 (the task service
/// needs the next one), or `concurrent_tasks` is 0.
pub fn executor_config(
    scheduler: &str,
    bind: SocketAddr,
    concurrent_tasks: usize,
) -> Result<ExecutorProcessConfig> {
    let (host, port) = scheduler
        .rsplit_once(':')
        .filter(|(host, _)| !host.is_empty())
        .ok_or_else(|| config_error(format!("scheduler {scheduler:?}: expected HOST:PORT")))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port: u16 = port
        .parse()
        .map_err(|e| config_error(format!("scheduler {scheduler:?}: port: {e}")))?;
    let Some(grpc_port) = bind.port().checked_add(1).filter(|_| bind.port() != 0) else {
        return Err(config_error(format!(
            "executor address {bind}: give a port from 1 to 65534 (the task service takes the next one)"
        )));
    };
    if concurrent_tasks == 0 {
        return Err(config_error(
            "an executor needs at least one concurrent task".to_string(),
        ));
    }
    Ok(ExecutorProcessConfig {
        bind_host: bind.ip().to_string(),
        port: bind.port(),
        grpc_port,
        scheduler_host: host.to_string(),
        scheduler_port: port,
        scheduler_connect_timeout_seconds: SCHEDULER_WAIT_SECONDS,
        vcores: concurrent_tasks,
        executor_heartbeat_interval_seconds: EXECUTOR_HEARTBEAT_SECONDS,
        override_function_registry: Some(Arc::new(function_registry())),
        override_logical_codec: Some(Arc::new(CumulusLogicalCodec::default())),
        override_physical_codec: Some(Arc::new(CumulusPhysicalCodec::default())),
        ..ExecutorProcessConfig::default()
    })
}

/// Runs an executor with `config` (usually [`executor_config`]) until it is stopped
/// (SIGTERM or Ctrl-C: it finishes its running tasks and deregisters).
///
/// It first waits up to `config.scheduler_connect_timeout_seconds` for the scheduler to
/// accept connections (Ballista 55's own wait never ends, so Ballista is then started
/// with 0, one attempt).
///
/// ```no_run
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let config = cumulus::ballista::executor_config("localhost:50050", "127.0.0.1:50051".parse().unwrap(), 1)?;
/// cumulus::ballista::run_executor(config).await?;
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// When the scheduler cannot be reached in time, the ports cannot be bound, or the
/// scheduler refuses the executor.
pub async fn run_executor(mut config: ExecutorProcessConfig) -> Result<()> {
    let scheduler = format!("{}:{}", config.scheduler_host, config.scheduler_port);
    let wait = Duration::from_secs(config.scheduler_connect_timeout_seconds.into());
    let target = scheduler.clone();
    tokio::task::spawn_blocking(move || wait_for(&target, wait))
        .await
        .map_err(external)??;
    config.scheduler_connect_timeout_seconds = 0;
    let flight = format!("{}:{}", config.bind_host, config.port);
    start_executor_process(Arc::new(config)).await.map_err(|e| {
        DataFusionError::External(Box::new(e)).context(format!(
            "executor on {flight} for the scheduler at {scheduler}"
        ))
    })
}

/// Waits until something accepts TCP connections at `address`, for at most `wait`.
fn wait_for(address: &str, wait: Duration) -> Result<()> {
    let started = Instant::now();
    loop {
        let attempt = address
            .to_socket_addrs()
            .map_err(|e| e.to_string())
            .and_then(|mut addrs| {
                let addr = addrs
                    .next()
                    .ok_or_else(|| "no address for this name".to_string())?;
                TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| e.to_string())
            });
        match attempt {
            Ok(_) => return Ok(()),
            Err(e) if started.elapsed() >= wait => {
                return Err(config_error(format!(
                    "cannot reach the scheduler at {address} (tried for {} s): {e}",
                    wait.as_secs()
                )));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(250)),
        }
    }
}
