//! The `cumulus` command: SQL over Parquet, CSV, JSON-lines and Arrow IPC files in Apache
//! DataFusion, with NumPy-exact `cumsum`, `cumprod`, `nancumsum`, `nancumprod`, `cummax`
//! and `cummin` registered. `cumulus --help` documents it; without arguments it runs a demo.

mod args;
mod demo;
mod output;
mod progress;
mod tables;

use std::process::ExitCode;

use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;

use crate::args::{Command, SqlArgs};
use crate::output::Output;
use crate::progress::Progress;
use crate::tables::one_line;

fn main() -> ExitCode {
    let command = match args::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => return fail(&message),
    };
    let run = || -> Result<(), String> {
        let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start: {e}"))?;
        match command {
            Command::Help => {
                println!("{}", args::USAGE);
                Ok(())
            }
            Command::Version => {
                println!("cumulus {}", env!("CARGO_PKG_VERSION"));
                Ok(())
            }
            Command::Demo => runtime.block_on(async { demo::run(&context()?).await }),
            Command::Sql(sql_args) => runtime.block_on(sql(sql_args)),
        }
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("cumulus: {message}");
    ExitCode::FAILURE
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

async fn sql(args: SqlArgs) -> Result<(), String> {
    if let Some(path) = &args.output {
        output::check_target(path)?;
    }
    let ctx = context()?;
    for (name, path) in &args.tables {
        tables::register(&ctx, name, path).await?;
    }
    tables::register_referenced_files(&ctx, &args.query).await?;
    let frame = ctx.sql(&args.query).await.map_err(|e| one_line(&e))?;
    let mut stream = frame.execute_stream().await.map_err(|e| one_line(&e))?;
    let mut progress = Progress::new();
    match &args.output {
        Some(path) => {
            // Batches go to the file as they come: a query without a sort streams.
            let mut out = Output::create(path, &stream.schema())?;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(|e| one_line(&e))?;
                out.write(&batch)?;
                progress.add(batch.num_rows());
            }
            out.finish()?;
            progress.finish();
        }
        None => {
            let mut batches = vec![];
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(|e| one_line(&e))?;
                progress.add(batch.num_rows());
                batches.push(batch);
            }
            progress.finish();
            let table = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
                .map_err(|e| e.to_string())?;
            println!("{table}");
        }
    }
    Ok(())
}
