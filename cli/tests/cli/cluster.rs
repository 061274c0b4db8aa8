//! `cumulus scheduler`, `cumulus executor` and `cumulus sql --cluster` as processes on
//! 127.0.0.1: a scheduler and two executors (one task slot each), a PARTITION BY query
//! over Parquet files whose tasks run on both executors and whose result is the local
//! one, an executor killed during a query, and the errors (a file the executors cannot
//! read, a scheduler that is not there, an executor that cannot reach its scheduler).
//! Every wait is bounded; every process is killed and reaped when the test ends (also
//! when it fails).

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Float64Array, Int64Array, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;

use crate::{read_back, stderr, temp};

/// A started process, killed and reaped when dropped; its stdout and stderr go to a log
/// file.
struct Process {
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

impl Process {
    fn start(name: &str, args: &[&str], dir: &Path) -> Process {
        let log = dir.join(format!("{name}.log"));
        let out = File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_cumulus"))
            .args(args)
            .env_remove("RUST_LOG")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        Process {
            name: name.to_string(),
            child: Some(child),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Lines of the log that say a task started.
    fn tasks(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.contains("Execute task"))
            .map(str::to_string)
            .collect()
    }

    /// SIGKILL: no goodbye to the scheduler.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The exit status once the process has ended, waiting at most `limit`.
    fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        loop {
            let child = self.child.as_mut()?;
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return Some(status);
            }
            if started.elapsed() > limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => child.try_wait().unwrap().is_none(),
            None => false,
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits for `done` for at most `limit`; panics with `what` and the logs otherwise.
fn wait_until(
    limit: Duration,
    what: &str,
    procs: &mut [&mut Process],
    mut done: impl FnMut(&mut [&mut Process]) -> bool,
) {
    let started = Instant::now();
    while !done(procs) {
        for p in procs.iter_mut() {
            assert!(
                p.is_running(),
                "{} exited while waiting for {what}:\n{}",
                p.name,
                p.log()
            );
        }
        if started.elapsed() > limit {
            let logs: Vec<String> = procs
                .iter()
                .map(|p| format!("--- {}\n{}", p.name, p.log()))
                .collect();
            panic!("no {what} after {limit:?}\n{}", logs.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A free port `p` on 127.0.0.1 whose neighbour `p + 1` is free too (an executor's
/// Flight and task services).
fn free_ports() -> u16 {
    loop {
        let first = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

/// `rows` rows of `g` (`groups` groups), `t` (unique, not in row order) and `x`
/// (float64, some null), in `files` Parquet files in `dir`.
fn write_table(dir: &Path, rows: usize, groups: u64, files: usize) {
    let mut state = 99u64;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) % n
    };
    let g: Vec<i64> = (0..rows).map(|_| next(groups) as i64).collect();
    let t: Vec<i64> = (0..rows as i64).map(|i| (i * 7919) % rows as i64).collect();
    let x: Vec<Option<f64>> = (0..rows)
        .map(|_| (next(13) != 0).then(|| (next(2_000_001) as f64 - 1e6) / 64.0 + 0.1))
        .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("g", DataType::Int64, false),
        Field::new("t", DataType::Int64, false),
        Field::new("x", DataType::Float64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(g)),
            Arc::new(Int64Array::from(t)),
            Arc::new(Float64Array::from(x)),
        ],
    )
    .unwrap();
    let per_file = rows.div_ceil(files);
    for (i, start) in (0..rows).step_by(per_file).enumerate() {
        let part = batch.slice(start, per_file.min(rows - start));
        let file = File::create(dir.join(format!("part-{i}.parquet"))).unwrap();
        let mut writer = ArrowWriter::try_new(file, schema.clone(), None).unwrap();
        writer.write(&part).unwrap();
        writer.close().unwrap();
    }
}

/// A Parquet result file as one batch.
fn result(path: &Path) -> RecordBatch {
    let batches = read_back(path);
    concat_batches(&batches[0].schema(), &batches).unwrap()
}

/// Asserts two results hold the same values bit for bit (validity and bytes).
fn assert_same(expected: &RecordBatch, actual: &RecordBatch, what: &str) {
    assert_eq!(expected.num_rows(), actual.num_rows(), "{what}: rows");
    assert_eq!(expected.num_columns(), actual.num_columns(), "{what}");
    for (i, (e, a)) in expected.columns().iter().zip(actual.columns()).enumerate() {
        assert_eq!(e.data_type(), a.data_type(), "{what}: column {i}");
        if e.to_data() != a.to_data() {
            let row = (0..e.len())
                .find(|&r| e.slice(r, 1).to_data() != a.slice(r, 1).to_data())
                .unwrap_or(0);
            panic!(
                "{what}: column {i} differs first at row {row}: {:?} against {:?}",
                e.slice(row, 1),
                a.slice(row, 1)
            );
        }
    }
}

/// Asserts `output` is a failure (exit status 1) whose error is one line at the end of
/// stderr (a cluster process logs before it).
fn assert_one_line_error(output: &Output, what: &str) -> String {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(1), "{what}: {err}");
    let last = err.lines().last().unwrap_or_default().to_string();
    assert!(last.starts_with("cumulus: "), "{what}: {err}");
    last
}

/// Runs `cumulus` with `args` in `dir`, killed after `limit` (the test then fails).
fn bounded(args: &[&str], dir: &Path, limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_cumulus"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(child.wait_with_output());
    });
    match receive.recv_timeout(limit) {
        Ok(output) => (output.unwrap(), started.elapsed()),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("cumulus {args:?}: no end within {limit:?}");
        }
    }
}

const QUERY: &str = "SELECT g, t, x, cumsum(x) OVER (PARTITION BY g ORDER BY t) AS s, \
                     cummax(x, 'skip') OVER (PARTITION BY g ORDER BY t) AS m FROM t ORDER BY g, t";

#[test]
fn scheduler_two_executors_and_sql_on_the_cluster() {
    let dir = temp();
    let root = dir.path();
    let data = root.join("data");
    std::fs::create_dir(&data).unwrap();
    write_table(&data, 400_000, 1000, 4);
    let table = format!("t={}", data.display());

    // An executor whose scheduler is not there gives up after its wait (30 s), with an
    // error; it runs beside the rest of the test.
    let nowhere = format!("127.0.0.1:{}", free_ports());
    let lost_bind = format!("127.0.0.1:{}", free_ports());
    let mut lost = Process::start(
        "lost-executor",
        &["executor", "--scheduler", &nowhere, "--bind", &lost_bind],
        root,
    );
    let lost_started = Instant::now();

    let scheduler_addr = format!("127.0.0.1:{}", free_ports());
    let mut scheduler =
        Process::start("scheduler", &["scheduler", "--bind", &scheduler_addr], root);
    let mut executors: Vec<Process> = ["executor-a", "executor-b"]
        .into_iter()
        .map(|name| {
            let bind = format!("127.0.0.1:{}", free_ports());
            let args = [
                "executor",
                "--scheduler",
                &scheduler_addr,
                "--bind",
                &bind,
                "--concurrent-tasks",
                "1",
            ];
            Process::start(name, &args, root)
        })
        .collect();
    {
        let [a, b] = executors.as_mut_slice() else {
            unreachable!()
        };
        wait_until(
            Duration::from_secs(60),
            "executor registration",
            &mut [&mut scheduler, a, b],
            |p| {
                p[1].log().contains("registration succeed")
                    && p[2].log().contains("registration succeed")
            },
        );
    }
    assert!(TcpStream::connect(&scheduler_addr).is_ok());
    let url = format!("df://{scheduler_addr}");

    // 1. The result is the local one, bit for bit, and tasks ran on both executors.
    let (local, _) = bounded(
        &["sql", QUERY, "--table", &table, "--output", "local.parquet"],
        root,
        Duration::from_secs(120),
    );
    assert!(local.status.success(), "{}", stderr(&local));
    let (remote, took) = bounded(
        &[
            "sql",
            QUERY,
            "--cluster",
            &url,
            "--table",
            &table,
            "--output",
            "cluster.parquet",
        ],
        root,
        Duration::from_secs(120),
    );
    assert!(remote.status.success(), "{}", stderr(&remote));
    eprintln!("cluster query: {took:?}");
    let expected = result(&root.join("local.parquet"));
    assert_eq!(expected.num_rows(), 400_000);
    assert_same(&expected, &result(&root.join("cluster.parquet")), QUERY);
    let (a, b) = (executors[0].tasks(), executors[1].tasks());
    assert!(
        !a.is_empty() && !b.is_empty(),
        "tasks on both executors: {a:?} {b:?}"
    );
    eprintln!(
        "tasks on executor-a: {}, on executor-b: {}\n  {}\n  {}",
        a.len(),
        b.len(),
        a[0],
        b[0]
    );

    // The window stage ran the streaming operator (EXPLAIN ANALYZE shows the stages that
    // ran, with their metrics).
    let (explained, _) = bounded(
        &[
            "sql",
            &format!("EXPLAIN ANALYZE {QUERY}"),
            "--cluster",
            &url,
            "--table",
            &table,
        ],
        root,
        Duration::from_secs(120),
    );
    let text = crate::stdout(&explained);
    assert!(explained.status.success(), "{}", stderr(&explained));
    assert!(text.contains("CumulativeWindowAggExec"), "{text}");
    assert!(!text.contains(" WindowAggExec"), "{text}");

    // 2. A damaged Parquet file: the command's own check of the file, on the client,
    // refuses it before any job starts. A one-line error, at once.
    let broken = root.join("broken.parquet");
    std::fs::copy(data.join("part-0.parquet"), &broken).unwrap();
    let mut bytes = std::fs::read(&broken).unwrap();
    let end = bytes.len() / 2;
    bytes[4..end].fill(b'x');
    std::fs::write(&broken, bytes).unwrap();
    let (failed, took) = bounded(
        &[
            "sql",
            "SELECT cumsum(x) OVER (PARTITION BY g ORDER BY t) FROM b",
            "--cluster",
            &url,
            "--table",
            &format!("b={}", broken.display()),
        ],
        root,
        Duration::from_secs(120),
    );
    let error = assert_one_line_error(&failed, "a damaged file");
    assert!(error.contains("broken.parquet"), "{error}");
    eprintln!("damaged file: {took:?}: {error}");

    // A file the client reads but the executors cannot: a CSV file whose first rows (from
    // which the client infers the schema) are good and whose row 2500 is not a number.
    // The executors' reads fail (Ballista retries the task, then fails the job): a
    // one-line error with the executor's message, in bounded time.
    let csv = root.join("late-error.csv");
    let mut text = String::from("t,x\n");
    for i in 0..3000 {
        if i == 2500 {
            text += &format!("{i},oops\n");
        } else {
            text += &format!("{i},{}\n", i % 7);
        }
    }
    std::fs::write(&csv, text).unwrap();
    let (failed, took) = bounded(
        &[
            "sql",
            "SELECT t, cumsum(x) OVER (ORDER BY t) FROM c",
            "--cluster",
            &url,
            "--table",
            &format!("c={}", csv.display()),
        ],
        root,
        Duration::from_secs(120),
    );
    let error = assert_one_line_error(&failed, "a file the executors cannot read");
    eprintln!("file the executors cannot read: {took:?}: {error}");
    assert!(error.contains("oops"), "{error}");

    // 3. No scheduler at the URL: an error at once.
    let (failed, took) = bounded(
        &[
            "sql",
            QUERY,
            "--cluster",
            &format!("df://{nowhere}"),
            "--table",
            &table,
        ],
        root,
        Duration::from_secs(60),
    );
    let error = assert_one_line_error(&failed, "no scheduler");
    assert!(
        error.contains("cannot reach the scheduler at df://"),
        "{error}"
    );
    eprintln!("no scheduler: {took:?}: {error}");
    assert!(took < Duration::from_secs(30), "{took:?}");

    // 4. An executor killed (SIGKILL) during a query: the scheduler notices the missing
    // heartbeats, reruns its tasks on the other one, and the query completes (or fails
    // with a one-line error).
    let before = executors[1].tasks().len();
    let started = Instant::now();
    let query = {
        let (root, table, url) = (root.to_path_buf(), table.clone(), url.clone());
        std::thread::spawn(move || {
            bounded(
                &[
                    "sql",
                    QUERY,
                    "--cluster",
                    &url,
                    "--table",
                    &table,
                    "--output",
                    "after-kill.parquet",
                ],
                &root,
                Duration::from_secs(180),
            )
        })
    };
    {
        let b = &mut executors[1];
        wait_until(
            Duration::from_secs(60),
            "a task on executor-b",
            &mut [b],
            |p| p[0].tasks().len() > before,
        );
        b.kill();
    }
    eprintln!("killed executor-b {:?} after submitting", started.elapsed());
    let (outcome, _) = query.join().unwrap();
    let elapsed = started.elapsed();
    if outcome.status.success() {
        eprintln!("query with a killed executor completed in {elapsed:?}");
        assert_same(
            &expected,
            &result(&root.join("after-kill.parquet")),
            "after the kill",
        );
    } else {
        let error = assert_one_line_error(&outcome, "the query after a kill");
        eprintln!("query with a killed executor failed in {elapsed:?}: {error}");
    }

    // 5. The executor without a scheduler has given up, with one line.
    let status = lost.wait_exit(Duration::from_secs(60).saturating_sub(lost_started.elapsed()));
    let log = lost.log();
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
    let last = log.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("cumulus: ") && last.contains("cannot reach the scheduler"),
        "{log}"
    );
    eprintln!("executor without a scheduler: {last}");
}
