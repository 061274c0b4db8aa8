//! What a Ballista cluster costs over one machine:
//! `cumsum(x) OVER (PARTITION BY g ORDER BY t)` over 10^7 rows in 1000 groups (8 Parquet
//! files), run locally (DataFusion, 1 and 2 partitions) and on a cluster of processes on
//! 127.0.0.1 (a scheduler and one, then two, executors with one task slot each; 2
//! partitions), the client fetching every row. Medians of `--runs` runs after one warm-up.
//!
//! ```sh
//! cargo bench --features ballista --bench ballista [-- --rows 10000000 --runs 5]
//! ```
//!
//! The cluster processes are this executable started again with `CUMULUS_BENCH_NODE` set
//! (a scheduler or an executor through `cumulus::ballista`), killed when the run ends.

use std::fs::File;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::error::Result;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use futures::StreamExt;

const NODE: &str = "CUMULUS_BENCH_NODE";
const QUERY: &str = "SELECT g, t, cumsum(x) OVER (PARTITION BY g ORDER BY t) AS s FROM t";

fn main() {
    if let Ok(spec) = std::env::var(NODE) {
        node(&spec);
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let rows = value("--rows", 10_000_000);
    let runs = value("--runs", 5);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(bench(rows, runs)).unwrap();
}

/// A cluster process: `scheduler ADDR` or `executor SCHEDULER ADDR WORK_DIR`.
fn node(spec: &str) {
    let words: Vec<&str> = spec.split(' ').collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let result = runtime.block_on(async {
        match words.as_slice() {
            ["scheduler", addr] => {
                let config = cumulus::ballista::scheduler_config(addr.parse().unwrap());
                cumulus::ballista::run_scheduler(config).await
            }
            ["executor", scheduler, addr, work_dir] => {
                let mut config =
                    cumulus::ballista::executor_config(scheduler, addr.parse().unwrap(), 1)?;
                config.work_dir = Some(work_dir.to_string());
                cumulus::ballista::run_executor(config).await
            }
            _ => panic!("{NODE}={spec:?}"),
        }
    });
    if let Err(e) = result {
        eprintln!("node failed: {e}");
        std::process::exit(1);
    }
}

/// A started process, killed and reaped when dropped.
struct Process(Child);

impl Process {
    fn start(spec: String) -> Process {
        let child = Command::new(std::env::current_exe().unwrap())
            .env(NODE, spec)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        Process(child)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free port whose neighbour is free too.
fn free_ports() -> u16 {
    loop {
        let first = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

fn write_data(dir: &Path, rows: usize, files: usize) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("g", DataType::Int64, false),
        Field::new("t", DataType::Int64, false),
        Field::new("x", DataType::Float64, false),
    ]));
    let per_file = rows.div_ceil(files);
    for f in 0..files {
        let range = f * per_file..((f + 1) * per_file).min(rows);
        let g: Vec<i64> = range.clone().map(|_| (next() % 1000) as i64).collect();
        let t: Vec<i64> = range.clone().map(|i| i as i64).collect();
        let x: Vec<f64> = range
            .map(|_| (next() % 2_000_001) as f64 / 1024.0 - 976.0)
            .collect();
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(Int64Array::from(g)),
                Arc::new(Int64Array::from(t)),
                Arc::new(Float64Array::from(x)),
            ],
        )
        .unwrap();
        let file = File::create(dir.join(format!("part-{f}.parquet"))).unwrap();
        let mut writer = ArrowWriter::try_new(file, Arc::clone(&schema), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }
}

/// Runs the query, streaming the result; returns the seconds and the rows.
async fn once(ctx: &SessionContext, sql: &str) -> Result<(f64, usize)> {
    let started = Instant::now();
    let mut stream = ctx.sql(sql).await?.execute_stream().await?;
    let mut rows = 0;
    while let Some(batch) = stream.next().await {
        rows += batch?.num_rows();
    }
    Ok((started.elapsed().as_secs_f64(), rows))
}

async fn measure(label: &str, ctx: &SessionContext, rows: usize, runs: usize) -> Result<f64> {
    let (_, got) = once(ctx, QUERY).await?;
    assert_eq!(got, rows, "{label}: rows");
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        times.push(once(ctx, QUERY).await?.0);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{label:<34} median {median:>7.3} s  (min {:.3}, max {:.3}; load {})",
        times[0],
        times[times.len() - 1],
        load.split(' ').next().unwrap_or("?")
    );
    Ok(median)
}

fn config(partitions: usize) -> SessionConfig {
    SessionConfig::new().with_target_partitions(partitions)
}

async fn wait_for_executors(ctx: &SessionContext, rows: usize) -> Result<()> {
    // A query only completes once an executor has registered and run its tasks.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match tokio::time::timeout(Duration::from_secs(30), once(ctx, QUERY)).await {
            Ok(Ok((_, got))) if got == rows => return Ok(()),
            _ if Instant::now() > deadline => panic!("the cluster does not answer"),
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

async fn bench(rows: usize, runs: usize) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    std::fs::create_dir(&data)?;
    let started = Instant::now();
    write_data(&data, rows, 8);
    println!(
        "{rows} rows, 1000 groups, 8 Parquet files ({:.1} s to write); {QUERY}",
        started.elapsed().as_secs_f64()
    );
    let path = data.to_str().unwrap();

    for partitions in [1, 2] {
        let ctx = SessionContext::new_with_config(config(partitions));
        cumulus::datafusion::register(&ctx)?;
        ctx.register_parquet("t", path, ParquetReadOptions::default())
            .await?;
        measure(
            &format!("local, {partitions} partition(s)"),
            &ctx,
            rows,
            runs,
        )
        .await?;
    }

    let scheduler_port = free_ports();
    let scheduler = format!("127.0.0.1:{scheduler_port}");
    let _scheduler = Process::start(format!("scheduler {scheduler}"));
    let mut executors = Vec::new();
    for n in 1..=2 {
        let work = dir.path().join(format!("work-{n}"));
        std::fs::create_dir(&work)?;
        executors.push(Process::start(format!(
            "executor {scheduler} 127.0.0.1:{} {}",
            free_ports(),
            work.display()
        )));
        std::thread::sleep(Duration::from_secs(2));
        let ctx =
            cumulus::ballista::remote_context(&format!("df://{scheduler}"), config(2)).await?;
        ctx.register_parquet("t", path, ParquetReadOptions::default())
            .await?;
        wait_for_executors(&ctx, rows).await?;
        measure(
            &format!("ballista, {n} executor(s) x 1 slot"),
            &ctx,
            rows,
            runs,
        )
        .await?;
        if n == 2 {
            let batches = ctx
                .sql(&format!("EXPLAIN ANALYZE {QUERY}"))
                .await?
                .collect()
                .await?;
            let text = arrow::util::pretty::pretty_format_batches(&batches)?.to_string();
            let summary: Vec<&str> = text
                .lines()
                .filter(|l| {
                    l.contains("Stage")
                        || l.contains("ShuffleWriterExec")
                        || l.contains("CumulativeWindowAggExec")
                        || l.contains("SortExec")
                        || l.contains("ShuffleReaderExec")
                        || l.contains("DataSourceExec")
                })
                .collect();
            println!("EXPLAIN ANALYZE, 2 executors:\n{}", summary.join("\n"));
        }
    }
    Ok(())
}
