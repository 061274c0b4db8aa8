//! Standalone mode: Ballista's in-process scheduler and executor, with every plan
//! serialized, cut into stages and run as tasks as on a cluster.

use arrow::util::pretty::pretty_format_batches;
use ballista::extension::SessionContextExt;
use cumulus::Operation;
use datafusion::prelude::SessionContext;

use crate::common::{
    assert_bits_eq, config, local, register_dir, run, table, valid, write_parquet,
};

/// A standalone Ballista context over the test table, and a local one.
async fn sessions(rows: usize, groups: u64) -> (SessionContext, SessionContext, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(dir.path(), &table(rows, groups, 7), 3);
    let cluster = cumulus::ballista::standalone_context(config())
        .await
        .unwrap();
    register_dir(&cluster, dir.path()).await.unwrap();
    let local = local();
    register_dir(&local, dir.path()).await.unwrap();
    (cluster, local, dir)
}

/// Runs `sql` on both; both must succeed with the same result, bit for bit.
async fn same(cluster: &SessionContext, local: &SessionContext, sql: &str) {
    let expected = run(local, sql)
        .await
        .unwrap_or_else(|e| panic!("local: {e}\n{sql}"));
    let actual = run(cluster, sql)
        .await
        .unwrap_or_else(|e| panic!("ballista: {e}\n{sql}"));
    assert!(expected.num_rows() > 0, "{sql}");
    assert_bits_eq(&expected, &actual, sql);
}

/// The calls of `op` to test: every column type it accepts, each null policy, dtype
/// (changing the output type), axis over the FixedSizeList column.
fn forward_calls(op: Operation) -> Vec<String> {
    let f = op.name();
    let mut calls = vec![
        format!("{f}(b)"),
        format!("{f}(i8)"),
        format!("{f}(i32)"),
        format!("{f}(i64)"),
        format!("{f}(u16)"),
        format!("{f}(f32)"),
        format!("{f}(f64)"),
        format!("{f}(i32, 'float64')"),
        format!("{f}(f64, 'float32')"),
        format!("{f}(i8, dtype => 'int16')"),
        format!("{f}(f64, 'skip')"),
        format!("{f}(f64, 'propagate')"),
        format!("{f}(f64, 'carry')"),
        format!("{f}(f64, 'identity')"),
        format!("{f}(i32, 'skip', 'int64')"),
        format!("{f}(v)"),
        format!("{f}(v, 1)"),
        format!("{f}(v, 'propagate')"),
    ];
    // Decimal products are refused (no NumPy meaning); sums and extremes are not.
    if !matches!(op, Operation::Cumprod | Operation::NanCumprod) {
        calls.push(format!("{f}(d)"));
    }
    calls
}

fn select(calls: &[String], window: &str) -> String {
    let columns: Vec<String> = calls
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} OVER ({window}) AS y{i}"))
        .collect();
    format!("SELECT g, t, {} FROM t ORDER BY g, t", columns.join(", "))
}

/// Every operation with every type and option, forward (the streaming operator) and in
/// reverse (DataFusion's `WindowAggExec`), over 300 groups.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_operation_and_option_equals_local() {
    let (cluster, local, _dir) = sessions(6000, 300).await;
    for op in Operation::ALL {
        let calls = forward_calls(op);
        same(
            &cluster,
            &local,
            &select(&calls, "PARTITION BY g ORDER BY t"),
        )
        .await;
        let reverse: Vec<String> = [
            "f64, true",
            "i32, 'float64', true",
            "i64, 'carry', true",
            "v, true",
        ]
        .iter()
        .map(|args| format!("{}({args})", op.name()))
        .collect();
        same(
            &cluster,
            &local,
            &select(&reverse, "PARTITION BY g ORDER BY t"),
        )
        .await;
    }
}

/// `dtype` changes the output type on the cluster as it does locally (the call would
/// otherwise arrive by name as the default function, and the scheduler refuse it).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dtype_changes_the_output_type() {
    let (cluster, local, _dir) = sessions(500, 7).await;
    let sql = "SELECT g, t, cumsum(i32, 'float64') OVER (PARTITION BY g ORDER BY t) AS s, \
               cummax(i8, dtype => 'int32') OVER (PARTITION BY g ORDER BY t) AS m \
               FROM t ORDER BY g, t";
    let actual = run(&cluster, sql).await.unwrap();
    let schema = actual.schema();
    assert_eq!(
        schema.field(2).data_type(),
        &arrow::datatypes::DataType::Float64
    );
    assert_eq!(
        schema.field(3).data_type(),
        &arrow::datatypes::DataType::Int32
    );
    same(&cluster, &local, sql).await;
}

/// Windows over the whole table (one partition), the no-OVER form with and without ORDER
/// BY in the call, `SET cumulus.*` session defaults, and a query mixing windows.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn other_forms_equal_local() {
    let (cluster, local, _dir) = sessions(3000, 50).await;
    for sql in [
        "SELECT t, cumsum(f64) OVER (ORDER BY t) AS s, cummin(v) OVER (ORDER BY t) AS m FROM t ORDER BY t",
        "SELECT t, cumsum(i64 ORDER BY t) AS s, nancumprod(f32, 'float64' ORDER BY t) AS p FROM t ORDER BY t",
        "SELECT g, t, cumsum(i32) OVER w AS s, sum(i32) OVER w AS plain FROM t \
         WINDOW w AS (PARTITION BY g ORDER BY t) ORDER BY g, t",
        "SELECT g, t, cumsum(f64) OVER (PARTITION BY g ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s \
         FROM t WHERE i8 > 0 ORDER BY g, t",
    ] {
        same(&cluster, &local, sql).await;
    }
    // Session defaults are the client's: they travel inside the specialised function.
    for ctx in [&cluster, &local] {
        ctx.sql("SET cumulus.nulls = 'propagate'").await.unwrap();
    }
    let sql = "SELECT g, t, cumsum(f64) OVER (PARTITION BY g ORDER BY t) AS s FROM t ORDER BY g, t";
    same(&cluster, &local, sql).await;
    let result = run(&cluster, sql).await.unwrap();
    assert!(
        result.column(2).null_count() > result.num_rows() / 2,
        "propagate applied"
    );
}

/// PARTITION BY with many groups (10 000 groups over 50 000 rows).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_groups_equal_local() {
    let (cluster, local, _dir) = sessions(50_000, 10_000).await;
    let sql = "SELECT g, t, cumsum(i64) OVER (PARTITION BY g ORDER BY t) AS s, \
               cummax(f64, 'skip') OVER (PARTITION BY g ORDER BY t) AS m, \
               nancumsum(v, 'float32') OVER (PARTITION BY g ORDER BY t) AS n \
               FROM t ORDER BY g, t";
    same(&cluster, &local, sql).await;
    let result = run(&cluster, sql).await.unwrap();
    assert!(valid(&result, 2) > 40_000);
}

/// An overflow under `overflow => 'error'` fails the query on the cluster, at once (Ballista
/// does not retry execution errors). The error reaches the client as text: Ballista
/// writes the executor's error with `{:?}`, so the message holds the typed error's debug
/// form (operation, type, row), not its display form.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overflow_error_is_a_query_error() {
    let (cluster, local, _dir) = sessions(2000, 3).await;
    let sql =
        "SELECT g, t, cumsum(i8, 'int8', 'error') OVER (PARTITION BY g ORDER BY t) AS s FROM t";
    let local_error = run(&local, sql).await.unwrap_err();
    let cause = cumulus::datafusion::cumulus_error(&local_error).expect("a cumulus error locally");
    assert_eq!(cause.kind(), cumulus::ErrorKind::Overflow);
    // Each of the 3 groups overflows at its own row; partitions run in parallel, and
    // the error is the first one met, which need not be the same group locally and on
    // the cluster. The cluster's error must be one group's local error, exactly.
    let mut causes = vec![];
    for g in 0..3 {
        let one = format!("SELECT * FROM ({sql}) WHERE g = {g}");
        if let Err(e) = run(&local, &one).await {
            let cause = cumulus::datafusion::cumulus_error(&e).expect("a cumulus error locally");
            assert_eq!(cause.kind(), cumulus::ErrorKind::Overflow);
            causes.push(format!("{cause:?}"));
        }
    }
    assert!(
        causes.contains(&format!("{cause:?}")),
        "{cause:?} in {causes:?}"
    );
    let started = std::time::Instant::now();
    let error = run(&cluster, sql).await.unwrap_err();
    assert!(started.elapsed().as_secs() < 60);
    let text = error.to_string();
    assert!(text.contains("Execution error"), "{text}");
    assert!(
        causes.iter().any(|cause| text.contains(cause)),
        "cluster error {text:?} lacks all of {causes:?}"
    );
    assert!(
        cumulus::datafusion::cumulus_error(&error).is_none(),
        "text only"
    );
    // The same with wrapping (the default) succeeds and matches.
    same(
        &cluster,
        &local,
        "SELECT g, t, cumsum(i8, 'int8') OVER (PARTITION BY g ORDER BY t) AS s FROM t ORDER BY g, t",
    )
    .await;
}

/// A planning error (a type the operation refuses) is the local one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn planning_errors_are_the_local_ones() {
    let (cluster, local, _dir) = sessions(100, 3).await;
    let sql = "SELECT cumprod(d) OVER (ORDER BY t) FROM t";
    let expected = run(&local, sql).await.unwrap_err().to_string();
    let actual = run(&cluster, sql).await.unwrap_err().to_string();
    assert_eq!(expected, actual);
}

/// `EXPLAIN ANALYZE` (the stages that ran, with metrics) shows the streaming operator; with
/// the adaptive planner on, `WindowAggExec` runs instead, with the same results, while a
/// plain `EXPLAIN` still shows the streaming operator in its `distributed_plan` row.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn explain_analyze_shows_the_operator_that_ran() {
    let (cluster, local, dir) = sessions(2000, 20).await;
    let query = "SELECT g, t, cumsum(f64) OVER (PARTITION BY g ORDER BY t) AS s FROM t";
    let text = explain(&cluster, &format!("EXPLAIN ANALYZE {query}")).await;
    assert!(text.contains("CumulativeWindowAggExec"), "{text}");
    assert!(!text.contains(" WindowAggExec"), "{text}");

    // The same session with AQE on (standalone mode plans with the state's settings).
    let mut state = cumulus::ballista::session_state(config()).unwrap();
    state
        .config_mut()
        .options_mut()
        .set("ballista.planner.adaptive.enabled", "true")
        .unwrap();
    let aqe = SessionContext::standalone_with_state(state).await.unwrap();
    cumulus::datafusion::register(&aqe).unwrap();
    register_dir(&aqe, dir.path()).await.unwrap();
    let analyzed = explain(&aqe, &format!("EXPLAIN ANALYZE {query}")).await;
    assert!(analyzed.contains(" WindowAggExec"), "{analyzed}");
    assert!(!analyzed.contains("CumulativeWindowAggExec"), "{analyzed}");
    let explained = explain(&aqe, &format!("EXPLAIN {query}")).await;
    assert!(explained.contains("CumulativeWindowAggExec"), "{explained}");
    same(&aqe, &local, &format!("{query} ORDER BY g, t")).await;
}

async fn explain(ctx: &SessionContext, sql: &str) -> String {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    pretty_format_batches(&batches).unwrap().to_string()
}
