//! `cumsum(x) OVER (...)` against DataFusion's own running sum on 10^7 rows.
//!
//! The table is sorted by (g, t), hence also by t, and declared sorted both ways; with one
//! target partition and no file-scan repartitioning DataFusion keeps that order, so no
//! sort is planned (checked with EXPLAIN before timing; see also the `plans` tests). Each
//! iteration plans and runs the query and collects its output column.
//!
//! - `cumulus_cumsum`: `cumsum(x) OVER ([PARTITION BY g] ORDER BY t)`, run by
//!   `WindowAggExec` with one core scan per PARTITION BY group;
//! - `builtin_sum_rows`: `sum(x) OVER ([PARTITION BY g] ORDER BY t ROWS BETWEEN UNBOUNDED
//!   PRECEDING AND CURRENT ROW)`, run by `BoundedWindowAggExec`.
//!
//! Run with `cargo bench --all-features --bench datafusion`.
//!
//! Where the time goes (perf, 1000 partitions): three quarters in `WindowAggExec` copying
//! its input into one batch and the group outputs into one column, much of it page faults
//! on fresh buffers; the scan itself is about 5%. glibc's allocator hands such buffers
//! back to the kernel after each query, so results depend on the allocator:
//! `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` (transparent huge pages for malloc) cuts
//! `cumulus_cumsum` by 2-3x while the built-in, which spends its time per row, stays put.
//! Measured on 2 cores (medians), default glibc: 150 ms vs 1.90 s (1 partition), 273 ms vs
//! 1.92 s (1000 partitions); with huge pages: 49 ms vs 1.99 s and 116 ms vs 2.03 s.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use datafusion::datasource::MemTable;
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

/// Fails the bench if DataFusion would sort: the comparison must time the window only.
async fn assert_no_sort(ctx: &SessionContext, sql: &str, operator: &str) {
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
    assert!(
        physical.contains(operator),
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
        let ctx = session(groups);
        let ours = format!("SELECT cumsum(x) OVER ({over}) AS s FROM trades");
        let builtin = format!(
            "SELECT sum(x) OVER ({over} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s FROM trades"
        );
        rt.block_on(async {
            assert_no_sort(&ctx, &ours, "WindowAggExec").await;
            assert_no_sort(&ctx, &builtin, "BoundedWindowAggExec").await;
        });
        group.bench_function(BenchmarkId::new("cumulus_cumsum", label), |b| {
            b.iter(|| black_box(rt.block_on(run(&ctx, &ours))))
        });
        group.bench_function(BenchmarkId::new("builtin_sum_rows", label), |b| {
            b.iter(|| black_box(rt.block_on(run(&ctx, &builtin))))
        });
    }
    group.finish();
}

criterion_group!(benches, running_sums);
criterion_main!(benches);
