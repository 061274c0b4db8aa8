//! `cumsum(x) OVER (...)` against DataFusion's own running sum on 10^7 rows.
//!
//! The table is sorted by (g, t), hence also by t, and declared sorted both ways; with one
//! target partition and no file-scan repartitioning DataFusion keeps that order, so no
//! sort is planned (checked with EXPLAIN before timing; see also the `plans` tests). Each
//! iteration plans and runs the query and collects its output column. Every function
//! name says which operator runs (checked with EXPLAIN too):
//!
//! - `cumulus_streaming`: `cumsum(x) OVER ([PARTITION BY g] ORDER BY t)` in a session
//!   set up by `cumulus::datafusion::register`, run by `CumulativeWindowAggExec`, which
//!   scans batch by batch (one core scan per PARTITION BY run within each batch);
//! - `cumulus_window_agg_exec`: the same query in a session without
//!   `CumulativeWindowRule` (`register_with_state` only), run by DataFusion's
//!   `WindowAggExec`, which buffers and concatenates the input and calls one core scan
//!   per PARTITION BY group;
//! - `builtin_sum_rows`: `sum(x) OVER ([PARTITION BY g] ORDER BY t ROWS BETWEEN UNBOUNDED
//!   PRECEDING AND CURRENT ROW)`, run by `BoundedWindowAggExec`.
//!
//! Run with `cargo bench --all-features --bench datafusion`.
//!
//! Where the time goes (perf, 1000 partitions): under `WindowAggExec` three quarters in
//! copying its input into one batch and the group outputs into one column, much of it
//! page faults on fresh buffers; the scan itself is about 5%. The streaming operator
//! makes neither copy. glibc's allocator hands large buffers back to the kernel after
//! each query, so results depend on the allocator: `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`
//! (transparent huge pages for malloc) cuts the `WindowAggExec` times by 2-3x while the
//! built-in, which spends its time per row, stays put.
//!
//! Medians on 2 cores, default glibc, load average below 1.3 when started:
//!
//! | groups          | streaming | WindowAggExec | built-in | built-in / streaming | built-in / WindowAggExec |
//! |-----------------|-----------|---------------|----------|----------------------|--------------------------|
//! | 1 partition     | 22.2 ms   | 145.5 ms      | 1.84 s   | 83x                  | 12.7x                    |
//! | 1000 partitions | 25.8 ms   | 262.2 ms      | 1.90 s   | 74x                  | 7.3x                     |

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use datafusion::datasource::MemTable;
use datafusion::execution::SessionStateBuilder;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::prelude::*;
use tokio::runtime::Runtime;

const ROWS: i64 = 10_000_000;
const BATCH: i64 = 8192;

/// A session holding `trades(g, t, x)`: `groups` groups of consecutive rows, `t` the row
/// number, `x` a float64 without nulls.
fn session(groups: i64) -> SessionContext {
    let config = SessionConfig::new()
        .with_target_partitions(1)
        .with_repartition_file_scans(false)
        .with_prefer_existing_sort(true);
    let ctx = SessionContext::new_with_config(config);
    cumulus::datafusion::register(&ctx).expect("register");
    let schema = Arc::new(Schema::new(vec![
        Field::new("g", DataType::Int64, false),
        Field::new("t", DataType::Int64, false),
        Field::new("x", DataType::Float64, false),
    ]));
    let per_group = ROWS / groups;
    let batches: Vec<RecordBatch> = (0..ROWS)
        .step_by(BATCH as usize)
        .map(|start| {
            let rows = start..(start + BATCH).min(ROWS);
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(Int64Array::from_iter_values(
                        rows.clone().map(|i| i / per_group),
                    )),
                    Arc::new(Int64Array::from_iter_values(rows.clone())),
                    Arc::new(Float64Array::from_iter_values(
                        rows.map(|i| ((i * 7919) % 1000) as f64 * 0.01 - 5.0),
                    )),
                ],
            )
            .expect("batch")
        })
        .collect();
    let table = MemTable::try_new(schema, vec![batches])
        .expect("table")
        .with_sort_order(vec![
            vec![col("g").sort(true, false), col("t").sort(true, false)],
            vec![col("t").sort(true, false)],
        ]);
    ctx.register_table("trades", Arc::new(table))
        .expect("register table");
    ctx
}

/// `with_rule` without `CumulativeWindowRule` (the same table and settings): the
/// functions only, so the windows run in `WindowAggExec`.
fn without_rule(with_rule: &SessionContext) -> SessionContext {
    let mut state = SessionStateBuilder::new_from_existing(with_rule.state())
        .with_physical_optimizer_rules(PhysicalOptimizer::new().rules)
        .build();
    cumulus::datafusion::register_with_state(&mut state).expect("register");
    SessionContext::new_with_state(state)
}

async fn run(ctx: &SessionContext, sql: &str) -> usize {
    let batches = ctx
        .sql(sql)
        .await
        .expect("plan")
        .collect()
        .await
        .expect("run");
    batches.iter().map(RecordBatch::num_rows).sum()
}

/// Fails the bench if DataFusion would sort (the comparison must time the window only)
/// or if `operator` is not the window operator that runs.
async fn assert_plan(ctx: &SessionContext, sql: &str, operator: &str) {
    let plan = ctx
        .sql(&format!("EXPLAIN {sql}"))
        .await
        .expect("explain")
        .collect()
        .await
        .expect("explain");
    let text = arrow::util::pretty::pretty_format_batches(&plan)
        .expect("format")
        .to_string();
    let physical = text.split("physical_plan").nth(1).unwrap_or_default();
    assert!(
        !physical.contains("SortExec"),
        "a sort is planned for {sql}:\n{text}"
    );
    let window_operators: Vec<&str> = physical
        .lines()
        .filter_map(|l| {
            l.trim_matches(|c: char| c == '|' || c.is_whitespace())
                .split(':')
                .next()
        })
        .filter(|name| name.ends_with("WindowAggExec"))
        .collect();
    assert_eq!(
        window_operators,
        [operator],
        "{operator} expected for {sql}:\n{text}"
    );
}

fn running_sums(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let mut group = c.benchmark_group("datafusion_running_sum_10M_float64");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(3))
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(ROWS as u64));
    for (label, groups, over) in [
        ("1_partition", 1, "ORDER BY t"),
        ("1000_partitions", 1000, "PARTITION BY g ORDER BY t"),
    ] {
        let streaming = session(groups);
        let buffered = without_rule(&streaming);
        let ours = format!("SELECT cumsum(x) OVER ({over}) AS s FROM trades");
        let builtin = format!(
            "SELECT sum(x) OVER ({over} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s FROM trades"
        );
        rt.block_on(async {
            assert_plan(&streaming, &ours, "CumulativeWindowAggExec").await;
            assert_plan(&buffered, &ours, "WindowAggExec").await;
            assert_plan(&streaming, &builtin, "BoundedWindowAggExec").await;
        });
        group.bench_function(BenchmarkId::new("cumulus_streaming", label), |b| {
            b.iter(|| black_box(rt.block_on(run(&streaming, &ours))))
        });
        group.bench_function(BenchmarkId::new("cumulus_window_agg_exec", label), |b| {
            b.iter(|| black_box(rt.block_on(run(&buffered, &ours))))
        });
        group.bench_function(BenchmarkId::new("builtin_sum_rows", label), |b| {
            b.iter(|| black_box(rt.block_on(run(&streaming, &builtin))))
        });
    }
    group.finish();
}

/// `trades(g, t, x)` with 10^7 rows and 1000 keys `g` in one of three layouts: `time`
/// (rows in `t` order, declared), `random` (shuffled, no order declared), `grouped`
/// ((g, t) order, not declared); two target partitions, as on the machine the ETL
/// benchmark runs on. With `hash` false the session has no `CumulativeHashWindowRule`.
fn layout_session(layout: &str, hash: bool) -> SessionContext {
    let config = SessionConfig::new()
        .with_target_partitions(2)
        .with_repartition_file_scans(false);
    let ctx = SessionContext::new_with_config(config);
    cumulus::datafusion::register(&ctx).expect("register");
    if !hash {
        let state = ctx.state_ref();
        let mut state = state.write();
        let rules: Vec<_> = state
            .physical_optimizers()
            .iter()
            .filter(|r| r.name() != cumulus::datafusion::CumulativeHashWindowRule::NAME)
            .cloned()
            .collect();
        let config = state.config().clone();
        *state = SessionStateBuilder::new_from_existing(state.clone())
            .with_session_id(state.session_id().to_string())
            .with_physical_optimizer_rules(rules)
            .build();
        *state.config_mut() = config;
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("g", DataType::Int32, false),
        Field::new("t", DataType::Int64, false),
        Field::new("x", DataType::Float64, false),
    ]));
    // A fixed pseudo-random permutation of the rows (an LCG over the row numbers).
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let g: Vec<i32> = (0..ROWS).map(|_| (next() % 1000) as i32).collect();
    let mut order: Vec<usize> = (0..ROWS as usize).collect();
    match layout {
        "time" => {}
        "grouped" => order.sort_by_key(|&i| (g[i], i)),
        _ => {
            for k in (1..order.len()).rev() {
                order.swap(k, (next() % (k as u64 + 1)) as usize);
            }
        }
    }
    let batches: Vec<RecordBatch> = order
        .chunks(BATCH as usize)
        .map(|rows| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(arrow::array::Int32Array::from_iter_values(
                        rows.iter().map(|&i| g[i]),
                    )),
                    Arc::new(Int64Array::from_iter_values(rows.iter().map(|&i| i as i64))),
                    Arc::new(Float64Array::from_iter_values(
                        rows.iter()
                            .map(|&i| ((i * 7919) % 1000) as f64 * 0.01 - 5.0),
                    )),
                ],
            )
            .expect("batch")
        })
        .collect();
    let mut table = MemTable::try_new(schema, vec![batches]).expect("table");
    if layout == "time" {
        table = table.with_sort_order(vec![vec![col("t").sort(true, false)]]);
    }
    ctx.register_table("trades", Arc::new(table))
        .expect("register table");
    ctx
}

/// The operators of a query's physical plan, as EXPLAIN names them.
async fn operators(ctx: &SessionContext, sql: &str) -> String {
    let plan = ctx
        .sql(sql)
        .await
        .expect("plan")
        .create_physical_plan()
        .await
        .expect("plan");
    datafusion::physical_plan::displayable(plan.as_ref())
        .indent(false)
        .to_string()
}

/// `cumsum(x) OVER (PARTITION BY g ORDER BY t)` over input not sorted by `g`:
///
/// - `hash_state`: `CumulativeHashWindowExec` (what `register` plans): one running
///   state per key; on `time` it streams in one pass, on `random` and `grouped` it
///   buffers each partition, checks each key's order and sorts the keys out of order;
/// - `sorted_path`: no hash rule: DataFusion's `SortExec` by (g, t), then the run-by-run
///   `CumulativeWindowAggExec` (what `register` planned before the hash-state operator).
///
/// Both hash-partition the input by `g` into two partitions first.
fn unsorted_keys(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let mut group = c.benchmark_group("datafusion_partition_by_unsorted_10M_float64");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(3))
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(ROWS as u64));
    let sql = "SELECT cumsum(x) OVER (PARTITION BY g ORDER BY t) AS s FROM trades";
    for layout in ["time", "random", "grouped"] {
        let hash = layout_session(layout, true);
        let sorted = layout_session(layout, false);
        rt.block_on(async {
            let plan = operators(&hash, sql).await;
            assert!(
                plan.contains("CumulativeHashWindowExec") && !plan.contains("SortExec"),
                "{plan}"
            );
            let plan = operators(&sorted, sql).await;
            assert!(
                plan.contains("SortExec") && plan.contains("CumulativeWindowAggExec"),
                "{plan}"
            );
        });
        group.bench_function(BenchmarkId::new("hash_state", layout), |b| {
            b.iter(|| black_box(rt.block_on(run(&hash, sql))))
        });
        group.bench_function(BenchmarkId::new("sorted_path", layout), |b| {
            b.iter(|| black_box(rt.block_on(run(&sorted, sql))))
        });
    }
    group.finish();
}

criterion_group!(benches, running_sums, unsorted_keys);
criterion_main!(benches);
