//! `cumulus scheduler`, `cumulus executor` and the client session of `cumulus sql
//! --cluster`: [`cumulus::ballista`]'s processes and context, with the command's errors.

use std::net::SocketAddr;

use datafusion::prelude::{SessionConfig, SessionContext};

use crate::args::ExecutorArgs;
use crate::tables::one_line;

/// Logs on stderr: `RUST_LOG` when set, else Ballista's own messages from `info` (an
/// executor names each task it runs, a scheduler each job and executor) and others'
/// warnings.
pub fn init_logging() {
    let mut builder = env_logger::Builder::new();
    match std::env::var("RUST_LOG") {
        Ok(filters) => builder.parse_filters(&filters),
        Err(_) => builder.parse_filters("warn,ballista_scheduler=info,ballista_executor=info"),
    };
    // Another logger already installed (never in the command) is kept.
    let _ = builder.target(env_logger::Target::Stderr).try_init();
}

/// `cumulus scheduler`: runs until the process is stopped.
pub async fn scheduler(bind: SocketAddr) -> Result<(), String> {
    eprintln!("cumulus: scheduler listening on {bind}");
    cumulus::ballista::run_scheduler(cumulus::ballista::scheduler_config(bind))
        .await
        .map_err(|e| one_line(&e))
}

/// `cumulus executor`: runs until stopped (SIGTERM or Ctrl-C: it finishes its tasks and
/// deregisters), or fails when the scheduler cannot be reached in
/// [`cumulus::ballista::SCHEDULER_WAIT_SECONDS`].
pub async fn executor(args: ExecutorArgs) -> Result<(), String> {
    let slots = args.concurrent_tasks.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let config = cumulus::ballista::executor_config(&args.scheduler, args.bind, slots)
        .map_err(|e| one_line(&e))?;
    eprintln!(
        "cumulus: executor on {} ({} task slots) for the scheduler at {}",
        args.bind, slots, args.scheduler
    );
    cumulus::ballista::run_executor(config)
        .await
        .map_err(|e| one_line(&e))
}

/// The client session of `cumulus sql --cluster URL`: files are read whole, each in one
/// partition, as in a local run (so that a call without OVER scans a file in its order).
pub async fn context(url: &str) -> Result<SessionContext, String> {
    let config = SessionConfig::new().with_repartition_file_scans(false);
    cumulus::ballista::remote_context(url, config)
        .await
        .map_err(|e| format!("--cluster {url}: {}", one_line(&e)))
}
