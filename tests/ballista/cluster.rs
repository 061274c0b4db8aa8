//! A real cluster: a scheduler and two executors as separate processes on 127.0.0.1, a
//! client in the test. The processes are this test binary started again with
//! `CUMULUS_TEST_NODE` set (see [`node`]): they run `cumulus::ballista::run_scheduler`
//! and `run_executor`, as the `cumulus scheduler` and `cumulus executor` commands do.
//! Every wait is bounded; every process is killed and reaped when the test ends (also
//! when it fails).

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::util::pretty::pretty_format_batches;

use crate::common::{Lcg, assert_bits_eq, config, local, register_dir, run, write_parquet};

/// The variable that makes this binary a cluster process instead of a test run.
const NODE: &str = "CUMULUS_TEST_NODE";

/// A cluster process (when `CUMULUS_TEST_NODE` is set; otherwise does nothing):
/// `scheduler ADDR` or `executor SCHEDULER ADDR TASKS WORK_DIR`. Runs until killed.
#[test]
#[ignore = "a cluster process, started by the cluster test"]
fn node() {
    let Ok(spec) = std::env::var(NODE) else {
        return;
    };
    env_logger::Builder::new()
        .parse_filters("info")
        .target(env_logger::Target::Stderr)
        .init();
    let words: Vec<&str> = spec.split(' ').collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let result = runtime.block_on(async {
        match words.as_slice() {
            ["scheduler", addr] => {
                let config = cumulus::ballista::scheduler_config(addr.parse().unwrap());
                cumulus::ballista::run_scheduler(config).await
            }
            ["executor", scheduler, addr, tasks, work_dir] => {
                let mut config = cumulus::ballista::executor_config(
                    scheduler,
                    addr.parse().unwrap(),
                    tasks.parse().unwrap(),
                )?;
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
struct Process {
    name: &'static str,
    child: Option<Child>,
    log: PathBuf,
}

impl Process {
    fn start(name: &'static str, spec: String, dir: &Path) -> Process {
        let log = dir.join(format!("{name}.log"));
        let out = File::create(&log).unwrap();
        let child = Command::new(std::env::current_exe().unwrap())
            .args(["cluster::node", "--exact", "--ignored", "--nocapture"])
            .env(NODE, spec)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        Process {
            name,
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

/// `rows` rows of `g` (`groups` groups), `t` (unique) and `x` (float64, some null).
fn simple_table(rows: usize, groups: u64) -> RecordBatch {
    let mut r = Lcg(99);
    let g: Vec<i64> = (0..rows).map(|_| r.below(groups) as i64).collect();
    let t: Vec<i64> = (0..rows as i64).map(|i| (i * 7919) % rows as i64).collect();
    let x: Vec<Option<f64>> = (0..rows)
        .map(|_| (r.below(13) != 0).then(|| (r.below(2_000_001) as f64 - 1e6) / 64.0 + 0.1))
        .collect();
    let schema = Schema::new(vec![
        Field::new("g", DataType::Int64, false),
        Field::new("t", DataType::Int64, false),
        Field::new("x", DataType::Float64, true),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(Int64Array::from(g)),
            Arc::new(Int64Array::from(t)),
            Arc::new(Float64Array::from(x)),
        ],
    )
    .unwrap()
}

/// Awaits `f` for at most `limit` seconds.
async fn bounded<T>(limit: u64, what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(limit), f)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {limit} s"))
}

const QUERY: &str = "SELECT g, t, x, cumsum(x) OVER (PARTITION BY g ORDER BY t) AS s, \
                     cummax(x, 'skip') OVER (PARTITION BY g ORDER BY t) AS m FROM t ORDER BY g, t";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scheduler_and_two_executors() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write_parquet(&data, &simple_table(400_000, 1000), 4);

    let scheduler_port = free_ports();
    let scheduler_addr: SocketAddr = ([127, 0, 0, 1], scheduler_port).into();
    let mut scheduler = Process::start(
        "scheduler",
        format!("scheduler {scheduler_addr}"),
        dir.path(),
    );
    let mut executors: Vec<Process> = ["executor-a", "executor-b"]
        .into_iter()
        .map(|name| {
            let work = dir.path().join(name);
            std::fs::create_dir(&work).unwrap();
            let spec = format!(
                "executor {scheduler_addr} 127.0.0.1:{} 1 {}",
                free_ports(),
                work.display()
            );
            Process::start(name, spec, dir.path())
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
    assert!(TcpStream::connect(scheduler_addr).is_ok());

    let url = format!("df://{scheduler_addr}");
    let cluster = cumulus::ballista::remote_context(&url, config())
        .await
        .unwrap();
    register_dir(&cluster, &data).await.unwrap();
    let local = local();
    register_dir(&local, &data).await.unwrap();
    let expected = run(&local, QUERY).await.unwrap();

    // 1. The result is the local one, and tasks ran on both executors.
    let started = Instant::now();
    let actual = bounded(120, "the query", run(&cluster, QUERY))
        .await
        .unwrap();
    eprintln!("cluster query: {:?}", started.elapsed());
    assert_bits_eq(&expected, &actual, QUERY);
    let (a, b) = (executors[0].tasks(), executors[1].tasks());
    eprintln!(
        "tasks on executor-a: {}, on executor-b: {}\n  {}\n  {}",
        a.len(),
        b.len(),
        a[0],
        b[0]
    );
    assert!(
        !a.is_empty() && !b.is_empty(),
        "tasks on both executors: {a:?} {b:?}"
    );

    // 2. EXPLAIN ANALYZE: the streaming operator ran.
    let batches = bounded(120, "EXPLAIN ANALYZE", async {
        cluster
            .sql(&format!("EXPLAIN ANALYZE {QUERY}"))
            .await?
            .collect()
            .await
    })
    .await
    .unwrap();
    let text = pretty_format_batches(&batches).unwrap().to_string();
    assert!(text.contains("CumulativeWindowAggExec"), "{text}");
    assert!(!text.contains(" WindowAggExec"), "{text}");

    // 3. A file the executors cannot read: registered while it was a Parquet file, then
    // overwritten with garbage. Without statistics the scheduler plans without opening
    // it, and the executors' reads fail (Ballista retries the task, then fails the job).
    let broken = dir.path().join("broken.parquet");
    std::fs::copy(data.join("part-0.parquet"), &broken).unwrap();
    cluster
        .register_parquet("broken", broken.to_str().unwrap(), Default::default())
        .await
        .unwrap();
    let size = std::fs::metadata(&broken).unwrap().len() as usize;
    std::fs::write(&broken, vec![b'x'; size]).unwrap();
    cluster
        .sql("SET datafusion.execution.collect_statistics = false")
        .await
        .unwrap();
    let started = Instant::now();
    let error = bounded(
        120,
        "the unreadable file",
        run(&cluster, "SELECT cumsum(x) OVER (ORDER BY t) FROM broken"),
    )
    .await
    .unwrap_err()
    .to_string();
    eprintln!("unreadable file: {:?}: {error}", started.elapsed());
    assert!(error.contains("broken.parquet"), "{error}");

    // 4. An unreachable scheduler: a clear error, at once.
    let closed = free_ports();
    let nowhere = cumulus::ballista::remote_context(&format!("df://127.0.0.1:{closed}"), config())
        .await
        .unwrap();
    nowhere
        .register_parquet("t", data.to_str().unwrap(), Default::default())
        .await
        .unwrap();
    let started = Instant::now();
    let error = bounded(60, "the missing scheduler", run(&nowhere, QUERY))
        .await
        .unwrap_err()
        .to_string();
    eprintln!("no scheduler: {:?}: {error}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(30));

    // 5. An executor killed (SIGKILL) during a query: the scheduler notices the missing
    // heartbeats, reruns its tasks on the other one, and the query completes.
    let before = executors[1].tasks().len();
    let query = {
        let cluster = cluster.clone();
        tokio::spawn(async move { run(&cluster, QUERY).await })
    };
    let started = Instant::now();
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
    let outcome = bounded(180, "the query after a kill", query).await.unwrap();
    let elapsed = started.elapsed();
    match outcome {
        Ok(actual) => {
            eprintln!("query with a killed executor completed in {elapsed:?}");
            assert_bits_eq(&expected, &actual, "after the kill");
        }
        Err(e) => {
            eprintln!("query with a killed executor failed in {elapsed:?}: {e}");
            assert!(!e.to_string().is_empty());
        }
    }
    for line in scheduler.log().lines() {
        if ["timed out", "Reset", "Roll back", "failed"]
            .iter()
            .any(|w| line.contains(w))
        {
            eprintln!("scheduler: {line}");
        }
    }
}
