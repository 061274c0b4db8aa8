//! The `cumulus` command: SQL over Parquet, CSV, JSON-lines and Arrow IPC files in Apache
//! DataFusion, with NumPy-exact `cumsum`, `cumprod`, `nancumsum`, `nancumprod`, `cummax`
//! and `cummin` registered. `cumulus --help` documents it; without arguments it runs a demo.
//!
//! The library target exists so that the fuzz targets (`fuzz/`) read files through the
//! command's own reading path ([`read_file`]); the binary is `src/main.rs`.

mod args;
mod check;
#[cfg(feature = "ballista")]
mod cluster;
mod demo;
mod guard;
mod output;
mod parquet_output;
mod progress;
mod tables;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, OnceLock};

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;

use crate::args::{Command, SqlArgs};
use crate::output::Output;
use crate::progress::Progress;
use crate::tables::one_line;

pub use crate::guard::quiet_panics;

/// Stack of the thread that parses, plans and runs a query, and of the runtime's worker
/// threads. DataFusion walks expression trees recursively (a thousand-term `x+x+...` is a
/// tree a thousand deep): the main thread's 8 MiB ended at about 3,000 terms, a worker's
/// default 2 MiB at about 1,500. This is virtual memory, committed only as deep as a query
/// goes.
const STACK_BYTES: usize = 512 << 20;

/// Runs the command with `args` (the arguments after the program name) and returns its exit
/// status; errors are printed as one line on stderr.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    quiet_panics();
    let args: Result<Vec<String>, String> = args
        .into_iter()
        .map(|arg| {
            arg.into_string().map_err(|arg| {
                format!(
                    "argument '{}' is not valid UTF-8; queries, table names and paths must be",
                    arg.to_string_lossy()
                )
            })
        })
        .collect();
    let command = match args.and_then(args::parse) {
        Ok(command) => command,
        Err(message) => return fail(&message),
    };
    let worker = std::thread::Builder::new()
        .name("cumulus".into())
        .stack_size(STACK_BYTES)
        .spawn(move || run_command(command));
    let result = match worker {
        Ok(handle) => handle
            .join()
            .unwrap_or_else(|payload| Err(guard::internal_error(payload))),
        Err(e) => Err(format!("cannot start: {e}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

/// Prints `text` and a newline on stdout. A closed pipe (`cumulus sql ... | head`) ends the
/// output quietly, as it ends other commands (Rust ignores SIGPIPE, so `println!` panics).
fn print(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to stdout: {e}"))
        }
        _ => Ok(()),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("cumulus: {message}");
    ExitCode::FAILURE
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(STACK_BYTES)
        .build()
        .map_err(|e| format!("cannot start: {e}"))
}

fn run_command(command: Command) -> Result<(), String> {
    match command {
        Command::Help => print(&args::usage()),
        Command::Version => print(&format!("cumulus {}", env!("CARGO_PKG_VERSION"))),
        Command::Demo => {
            let runtime = runtime()?;
            guard::catch(&Mutex::new(vec![]), || {
                runtime.block_on(async { demo::run(&context()?).await })
            })
        }
        Command::Sql(sql_args) => {
            output::handle_signals();
            let runtime = runtime()?;
            // The files the query reads, so that a panic deep in a reader names them.
            let files = Mutex::new(vec![]);
            let result = guard::catch(&files, || runtime.block_on(sql(sql_args, &files)));
            // Tasks still running after an error (other partitions' readers) are dropped.
            runtime.shutdown_background();
            result
        }
        Command::Scheduler { bind } => serve(|| cluster_command::scheduler(bind)),
        Command::Executor(executor_args) => serve(|| cluster_command::executor(executor_args)),
    }
}

/// Runs a cluster process until it ends (stopped, or an error); its error is one line.
#[cfg(feature = "ballista")]
fn serve<F: std::future::Future<Output = Result<(), String>>>(
    process: impl FnOnce() -> F,
) -> Result<(), String> {
    cluster::init_logging();
    let runtime = runtime()?;
    let result = runtime.block_on(process());
    // Servers and connections still open after an error must not hold the exit.
    runtime.shutdown_background();
    result
}

#[cfg(not(feature = "ballista"))]
fn serve<F: std::future::Future<Output = Result<(), String>>>(
    _process: impl FnOnce() -> F,
) -> Result<(), String> {
    Err(cluster_command::NOT_BUILT.to_string())
}

/// The commands of a cluster process, or their refusal in a command built without them.
#[cfg(feature = "ballista")]
use crate::cluster as cluster_command;

#[cfg(not(feature = "ballista"))]
mod cluster_command {
    pub const NOT_BUILT: &str = "this cumulus was built without Ballista; accepted: a build with the `ballista` feature (cargo install --path cli --features ballista)";

    pub async fn scheduler(_bind: std::net::SocketAddr) -> Result<(), String> {
        Err(NOT_BUILT.to_string())
    }

    pub async fn executor(_args: crate::args::ExecutorArgs) -> Result<(), String> {
        Err(NOT_BUILT.to_string())
    }
}

/// A DataFusion session with every cumulus function registered. Files are read whole,
/// each in one partition, so that a call without OVER scans a file in its row order
/// (split scans would interleave the pieces' rows).
fn context() -> Result<SessionContext, String> {
    let config = SessionConfig::new().with_repartition_file_scans(false);
    let ctx = SessionContext::new_with_config(config);
    cumulus::datafusion::register(&ctx).map_err(|e| one_line(&e))?;
    Ok(ctx)
}

/// The session of `cumulus sql`: the library's files-to-files settings
/// ([`cumulus::datafusion::etl_context`]: whole-file scans, a memory limit with spilling)
/// with the command's flags.
fn etl_context(args: &SqlArgs) -> Result<SessionContext, String> {
    let mut settings = cumulus::datafusion::EtlSettings::default();
    if let Some(limit) = args.memory_limit {
        settings.memory_limit = limit;
    }
    settings.spill_dir.clone_from(&args.spill_dir);
    settings.target_partitions = args.partitions;
    cumulus::datafusion::etl_context(&settings).map_err(|e| one_line(&e))
}

async fn sql(args: SqlArgs, files: &Mutex<Vec<PathBuf>>) -> Result<(), String> {
    if let Some(path) = &args.output {
        output::check_target(path)?;
    }
    let ctx = match &args.cluster {
        None => etl_context(&args)?,
        #[cfg(feature = "ballista")]
        Some(url) => cluster::context(url).await?,
        #[cfg(not(feature = "ballista"))]
        Some(_) => return Err(cluster_command::NOT_BUILT.to_string()),
    };
    for (name, path) in &args.tables {
        let order = args
            .orders
            .iter()
            .filter(|(table, _)| table == name)
            .flat_map(|(_, keys)| keys.iter().cloned())
            .collect::<Vec<_>>();
        tables::register(&ctx, name, path, &order, files).await?;
    }
    tables::register_referenced_files(&ctx, &args.query, files).await?;
    let error = |e| {
        let message = query_error(&e, &args.query, files);
        match &args.cluster {
            // Ballista reports a scheduler it cannot reach as tonic's debug text.
            Some(url) if message.contains("ConnectError") => {
                format!("cannot reach the scheduler at {url}: {message}")
            }
            _ => message,
        }
    };
    let frame = ctx.sql(&args.query).await.map_err(error)?;
    let plan = frame.create_physical_plan().await.map_err(error)?;
    // Several partitions each in the same order (a window over rows in time order,
    // hash-partitioned by its keys) are merged keeping it, so that the file can say so.
    let plan = cumulus::datafusion::ordered_output(plan);
    let properties = cumulus::datafusion::parquet_writer_properties(&plan);
    let mut stream =
        datafusion::physical_plan::execute_stream(plan, ctx.task_ctx()).map_err(error)?;
    let mut progress = Progress::new();
    match &args.output {
        Some(path) => {
            // Batches go to the file as they come: a query without a sort streams.
            let mut out = Output::create(path, &stream.schema(), properties)?;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(error)?;
                out.write(&batch)?;
                progress.add(batch.num_rows());
            }
            out.finish()?;
            progress.finish();
        }
        None => {
            let mut batches = vec![];
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(error)?;
                progress.add(batch.num_rows());
                batches.push(batch);
            }
            progress.finish();
            let table = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
                .map_err(|e| e.to_string())?;
            print(&table.to_string())?;
        }
    }
    Ok(())
}

/// A query's error as one line: cumulus' own explanation where it has one (an option, an
/// overflow, a missing argument, a window function used as an aggregate), else
/// DataFusion's message; one that a reader raised (a damaged page, a value that does not
/// parse) names the files the query reads, as DataFusion's message does not.
fn query_error(error: &DataFusionError, sql: &str, files: &Mutex<Vec<PathBuf>>) -> String {
    let message = cumulus::datafusion::explain_error(error, sql).unwrap_or_else(|| one_line(error));
    // Computing errors (a cast, an overflow, a cumulus option) are the query's; arrow's
    // decoding, parsing and validation errors and I/O are the files'.
    if cumulus::datafusion::cumulus_error(error).is_some() {
        return message;
    }
    let from_reader = match error.find_root() {
        DataFusionError::ParquetError(_)
        | DataFusionError::ObjectStore(_)
        | DataFusionError::IoError(_)
        | DataFusionError::External(_) => true,
        // A spawned task that panicked (a reader, in practice) and was joined as an error
        // rather than resumed.
        DataFusionError::ExecutionJoin(e) => e.is_panic(),
        DataFusionError::ArrowError(e, _) => !matches!(
            e.as_ref(),
            ArrowError::CastError(_)
                | ArrowError::DivideByZero
                | ArrowError::ArithmeticOverflow(_)
                | ArrowError::ComputeError(_)
                | ArrowError::NotYetImplemented(_)
                | ArrowError::MemoryError(_)
        ),
        _ => false,
    };
    let files = files.lock().unwrap_or_else(|e| e.into_inner());
    if !from_reader || files.is_empty() {
        return message;
    }
    let names: Vec<String> = files.iter().map(|f| format!("'{}'", f.display())).collect();
    format!("cannot read {}: {message}", names.join(" or "))
}

/// Reads the file (or directory of files) at `path` as `cumulus sql "SELECT * FROM t"
/// --table t=PATH` would, and returns the number of rows; errors are the messages the
/// command prints. For the fuzz targets: call [`quiet_panics`] first, as the command does,
/// unless a panic that the command would catch and report should stop the fuzzer.
///
/// # Errors
///
/// The command's one-line message when the file cannot be read (a missing, damaged or
/// unsupported file, or a panic in a reader, caught and reported as an error).
pub fn read_file(path: &Path) -> Result<usize, String> {
    // On a stack as large as the command's, so that deep recursion behaves the same.
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, || read_file_here(path))
            .map_err(|e| format!("cannot start: {e}"))?
            .join()
            .unwrap_or_else(|payload| Err(guard::internal_error(payload)))
    })
}

fn read_file_here(path: &Path) -> Result<usize, String> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(runtime).as_ref()?;
    let files = Mutex::new(vec![]);
    guard::catch(&files, || {
        runtime.block_on(async {
            let ctx = context()?;
            tables::register(&ctx, "t", path, &[], &files).await?;
            let error = |e| query_error(&e, "SELECT * FROM t", &files);
            let frame = ctx.sql("SELECT * FROM t").await.map_err(error)?;
            let mut stream = frame.execute_stream().await.map_err(error)?;
            let mut rows = 0;
            while let Some(batch) = stream.next().await {
                rows += batch.map_err(error)?.num_rows();
            }
            Ok(rows)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_readers_name_the_files_and_errors_of_computing_do_not() {
        let files = Mutex::new(vec![PathBuf::from("x.parquet")]);
        let parse = DataFusionError::ArrowError(
            Box::new(ArrowError::ParseError("cannot parse 'oops'".into())),
            None,
        );
        assert_eq!(
            query_error(&parse, "", &files),
            "cannot read 'x.parquet': Arrow error: Parser error: cannot parse 'oops'"
        );
        // A cumulus error travels as DataFusion's External error, as readers' errors may:
        // it is the query's, in cumulus' words, on one line.
        let overflow = DataFusionError::External(Box::new(cumulus::Error::Overflow {
            op: cumulus::Operation::Cumsum,
            data_type: datafusion::arrow::datatypes::DataType::Int8,
            row: 3,
            element: None,
        }))
        .context("Execution error");
        let message = query_error(&overflow, "", &files);
        assert!(!message.contains("x.parquet"), "{message}");
        assert!(message.starts_with("Execution error: cumsum"), "{message}");
        assert!(!message.contains('\n'), "{message}");
        let cast = DataFusionError::ArrowError(Box::new(ArrowError::CastError("no".into())), None);
        assert!(!query_error(&cast, "", &files).contains("x.parquet"));
        // A reader's task that panicked, joined as an error.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let join = runtime
            .block_on(async { tokio::spawn(async { panic!("bad page") }).await })
            .unwrap_err();
        let joined = DataFusionError::ExecutionJoin(Box::new(join));
        assert!(query_error(&joined, "", &files).starts_with("cannot read 'x.parquet': "));
        // No file read: the message alone.
        assert!(!query_error(&parse, "", &Mutex::new(vec![])).contains("cannot read"));
    }
}
