//! Files to files: declared orders are checked as the rows stream (a file that breaks
//! its order is an error naming the row), written results record their order in Parquet
//! `sorting_columns` (and the next query then needs no sort), and a memory-limited
//! session spills and finishes.

use std::fs::File;
use std::sync::Arc;

use arrow::array::{Array, Float64Array, Int32Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use cumulus::datafusion::{
    CumulativeHashWindowExec, CumulativeProbedWindowExec, EtlSettings, etl_context,
    parquet_writer_properties, register, sorting_columns,
};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::metadata::SortingColumn;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties, collect, displayable};
use datafusion::prelude::SessionContext;

use crate::common::{Lcg, assert_same, error_of, query, sorted_by_first_two_columns};

/// `rows` rows of (g int32 in `groups` keys, t int64 = the row number, x float64).
fn rows_in_time_order(rows: usize, groups: u64, seed: u64) -> RecordBatch {
    let mut rng = Lcg(seed);
    let schema = Schema::new(vec![
        Field::new("g", DataType::Int32, false),
        Field::new("t", DataType::Int64, false),
        Field::new("x", DataType::Float64, true),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(Int32Array::from_iter_values(
                (0..rows).map(|_| rng.below(groups) as i32),
            )),
            Arc::new(Int64Array::from_iter_values(0..rows as i64)),
            Arc::new(Float64Array::from_iter((0..rows).map(|_| {
                (rng.below(50) != 0).then(|| rng.below(2000) as f64 / 8.0 - 125.0)
            }))),
        ],
    )
    .unwrap()
}

/// Writes `batch` to `path` in 1000-row batches, with `sorting` as its declared order,
/// in row groups of 4096 rows.
fn write_parquet(path: &std::path::Path, batch: &RecordBatch, sorting: Option<Vec<SortingColumn>>) {
    let properties = WriterProperties::builder()
        .set_sorting_columns(sorting)
        .set_max_row_group_row_count(Some(4096))
        .build();
    write_parquet_with(path, batch, properties);
}

/// Writes `batch` to `path` with no declared order, in row groups of `group_rows` rows.
fn write_parquet_in_row_groups(path: &std::path::Path, batch: &RecordBatch, group_rows: usize) {
    let properties = WriterProperties::builder()
        .set_max_row_group_row_count(Some(group_rows))
        .build();
    write_parquet_with(path, batch, properties);
}

fn write_parquet_with(path: &std::path::Path, batch: &RecordBatch, properties: WriterProperties) {
    let mut writer = ArrowWriter::try_new(
        File::create(path).unwrap(),
        batch.schema(),
        Some(properties),
    )
    .unwrap();
    for start in (0..batch.num_rows()).step_by(1000) {
        writer
            .write(&batch.slice(start, 1000.min(batch.num_rows() - start)))
            .unwrap();
    }
    writer.close().unwrap();
}

/// The physical plan of `sql` and its text, indented as `EXPLAIN` shows it.
async fn physical_plan(ctx: &SessionContext, sql: &str) -> (Arc<dyn ExecutionPlan>, String) {
    let plan = ctx
        .sql(sql)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    let shown = displayable(plan.as_ref()).indent(false).to_string();
    (plan, shown)
}

fn t_ascending() -> Option<Vec<SortingColumn>> {
    Some(vec![SortingColumn {
        column_idx: 1,
        descending: false,
        nulls_first: false,
    }])
}

/// A Parquet file whose `sorting_columns` say `t` but whose rows are not in `t` order:
/// the query stops with an execution error naming the file and the first row out of
/// order, in every plan that trusts the order (the hash-state window, the streaming
/// window without PARTITION BY, a plain ORDER BY).
#[tokio::test]
async fn a_file_that_breaks_its_declared_order_is_an_error_naming_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("liar.parquet");
    let mut batch = rows_in_time_order(10_000, 20, 1);
    // Swap rows 6000 and 6001: row 6001 (t = 6000) comes after t = 6001.
    let t: Vec<i64> = (0..10_000i64)
        .map(|k| match k {
            6000 => 6001,
            6001 => 6000,
            k => k,
        })
        .collect();
    let mut columns = batch.columns().to_vec();
    columns[1] = Arc::new(Int64Array::from(t));
    batch = RecordBatch::try_new(batch.schema(), columns).unwrap();
    write_parquet(&path, &batch, t_ascending());
    let ctx = SessionContext::new();
    register(&ctx).unwrap();
    ctx.register_parquet("liar", path.to_str().unwrap(), Default::default())
        .await
        .unwrap();
    for sql in [
        "SELECT g, t, cumsum(x) OVER (PARTITION BY g ORDER BY t) FROM liar",
        "SELECT t, cumsum(x) OVER (ORDER BY t) FROM liar",
        "SELECT t FROM liar ORDER BY t",
    ] {
        let message = error_of(&ctx, sql).await;
        assert!(message.contains("liar.parquet"), "{sql}: {message}");
        assert!(
            message.contains("is not in its declared order [t ASC NULLS LAST]"),
            "{message}"
        );
        assert!(
            message.contains("row 6001 (6000) comes after (6001)"),
            "{message}"
        );
    }
    // The same rows, honestly undeclared, are sorted and scanned.
    let honest = dir.path().join("honest.parquet");
    write_parquet(&honest, &batch, None);
    ctx.register_parquet("honest", honest.to_str().unwrap(), Default::default())
        .await
        .unwrap();
    let out = query(
        &ctx,
        "SELECT t, cumsum(x) OVER (ORDER BY t) AS c FROM honest ORDER BY t",
    )
    .await
    .unwrap();
    assert_eq!(out.num_rows(), 10_000);
}

/// An order declared in SQL (`CREATE EXTERNAL TABLE ... WITH ORDER`) for a CSV file is
/// used (no sort in the plan) and checked: rows in that order run, a row out of it is an
/// error naming the row.
#[tokio::test]
async fn an_order_declared_in_sql_is_used_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&good, "g,t,x\n1,1,1.5\n2,2,2.0\n1,3,3.0\n2,4,4.0\n").unwrap();
    std::fs::write(&bad, "g,t,x\n1,1,1.5\n2,2,2.0\n1,4,3.0\n2,3,4.0\n").unwrap();
    let ctx = SessionContext::new();
    register(&ctx).unwrap();
    for (name, path) in [("good", &good), ("bad", &bad)] {
        ctx.sql(&format!(
            "CREATE EXTERNAL TABLE {name} (g INT, t BIGINT, x DOUBLE) STORED AS CSV \
             LOCATION '{}' OPTIONS ('format.has_header' 'true') WITH ORDER (t ASC)",
            path.display()
        ))
        .await
        .unwrap();
    }
    let sql =
        |t: &str| format!("SELECT g, t, cumsum(x) OVER (PARTITION BY g ORDER BY t) AS c FROM {t}");
    let (_, shown) = physical_plan(&ctx, &sql("good")).await;
    assert!(
        shown.contains("CumulativeHashWindowExec: input_order=sorted"),
        "{shown}"
    );
    assert!(shown.contains("OrderCheckExec"), "{shown}");
    assert!(!shown.contains("SortExec"), "{shown}");
    // One partition in time order streams as it is: no split by key, no merge back.
    assert!(!shown.contains("RepartitionExec"), "{shown}");
    assert!(!shown.contains("SortPreservingMergeExec"), "{shown}");
    let out = query(&ctx, &format!("{} ORDER BY t", sql("good")))
        .await
        .unwrap();
    let c = out
        .column(2)
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap();
    assert_eq!(c.values().to_vec(), [1.5, 2.0, 4.5, 6.0]);
    let message = error_of(&ctx, &sql("bad")).await;
    assert!(
        message.contains(
            "bad.csv' is not in its declared order [t ASC NULLS LAST]: row 3 (3) comes after (4)"
        ),
        "{message}"
    );
}

/// A result in a known order is written with `sorting_columns`; read back, DataFusion
/// knows the order and plans no sort for a query that needs it.
#[tokio::test]
async fn written_results_record_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    write_parquet(&input, &rows_in_time_order(5000, 30, 2), t_ascending());
    let ctx = etl_context(&EtlSettings::default()).unwrap();
    ctx.register_parquet("input", input.to_str().unwrap(), Default::default())
        .await
        .unwrap();
    // Rows in time order, PARTITION BY g ORDER BY t: the hash-state window keeps each
    // partition in time order, and DataFusion merges the partitions by t for ORDER BY t.
    let sql =
        "SELECT g, t, x, cumsum(x) OVER (PARTITION BY g ORDER BY t) AS c FROM input ORDER BY t";
    let (plan, _) = physical_plan(&ctx, sql).await;
    let sorting = sorting_columns(&plan).expect("an order");
    assert_eq!(
        sorting,
        [SortingColumn {
            column_idx: 1,
            descending: false,
            nulls_first: false
        }]
    );
    let output = dir.path().join("out.parquet");
    let batches = collect(Arc::clone(&plan), ctx.task_ctx()).await.unwrap();
    let mut writer = ArrowWriter::try_new(
        File::create(&output).unwrap(),
        plan.schema(),
        Some(parquet_writer_properties(&plan)),
    )
    .unwrap();
    for b in &batches {
        writer.write(b).unwrap();
    }
    writer.close().unwrap();
    // The next job reads the order back.
    let next = etl_context(&EtlSettings::default()).unwrap();
    next.register_parquet("previous", output.to_str().unwrap(), Default::default())
        .await
        .unwrap();
    let (_, shown) =
        physical_plan(&next, "SELECT t, cummax(c) OVER (ORDER BY t) FROM previous").await;
    assert!(!shown.contains("SortExec"), "{shown}");
    assert!(shown.contains("output_ordering=[t@"), "{shown}");
    // An unordered result (several partitions gathered as they come) records nothing.
    let (plan, _) = physical_plan(
        &ctx,
        "SELECT g, cumsum(x) OVER (PARTITION BY g ORDER BY t) FROM input",
    )
    .await;
    if plan.output_partitioning().partition_count() > 1 {
        assert!(sorting_columns(&plan).is_none());
    }
}

/// A file declared in (PARTITION BY, ORDER BY) order streams through the window as it
/// is, in its one partition: no split by key, no merge back, no sort. The results equal
/// those of the same rows without the declaration (the hash-state window), bit for bit,
/// and the plan's order is the file's.
#[tokio::test]
async fn a_file_declared_grouped_streams_in_one_partition() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows_in_time_order(6000, 40, 3);
    let grouped = sorted_by_first_two_columns(&rows);
    let g_t = |i: i32| SortingColumn {
        column_idx: i,
        descending: false,
        nulls_first: false,
    };
    let declared = dir.path().join("declared.parquet");
    let undeclared = dir.path().join("undeclared.parquet");
    write_parquet(&declared, &grouped, Some(vec![g_t(0), g_t(1)]));
    write_parquet(&undeclared, &grouped, None);
    let ctx = etl_context(&EtlSettings {
        target_partitions: Some(4),
        ..Default::default()
    })
    .unwrap();
    for (name, path) in [("declared", &declared), ("undeclared", &undeclared)] {
        ctx.register_parquet(name, path.to_str().unwrap(), Default::default())
            .await
            .unwrap();
    }
    let sql = |table: &str| {
        format!(
            "SELECT g, t, cumsum(x) OVER (PARTITION BY g ORDER BY t) AS c, \
             cummax(x, 'skip') OVER (PARTITION BY g ORDER BY t) AS m FROM {table}"
        )
    };
    let (plan, shown) = physical_plan(&ctx, &sql("declared")).await;
    assert!(shown.contains("CumulativeWindowAggExec"), "{shown}");
    for absent in ["RepartitionExec", "SortPreservingMergeExec", "SortExec"] {
        assert!(!shown.contains(absent), "{absent}: {shown}");
    }
    assert_eq!(plan.output_partitioning().partition_count(), 1);
    assert_eq!(sorting_columns(&plan), Some(vec![g_t(0), g_t(1)]));
    let ours = query(&ctx, &sql("declared")).await.unwrap();
    let theirs = query(&ctx, &format!("{} ORDER BY g, t", sql("undeclared")))
        .await
        .unwrap();
    assert_eq!(ours.num_rows(), 6000);
    for i in 0..ours.num_columns() {
        assert_same(
            theirs.column(i),
            ours.column(i),
            ours.schema().field(i).name(),
        );
    }
}

/// The spill metrics of the hash-state window nodes of an executed plan.
fn spilled_rows(plan: &Arc<dyn ExecutionPlan>) -> usize {
    let mut rows = 0;
    plan.apply(|node| {
        if node.downcast_ref::<CumulativeHashWindowExec>().is_some()
            && let Some(metrics) = node.metrics()
        {
            rows += metrics.spilled_rows().unwrap_or(0);
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .unwrap();
    rows
}

/// A query whose input (about 12 MB buffered) is larger than the session's memory limit
/// (4 MiB): the window spills its rows to disk by key, reads each file back, finishes,
/// and gives the same values as an unlimited session.
#[tokio::test]
async fn a_memory_limited_query_spills_and_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("random.parquet");
    let data = rows_in_time_order(400_000, 1000, 3);
    // Shuffle: the window has to order every key's rows.
    let mut rng = Lcg(5);
    let mut order: Vec<u32> = (0..data.num_rows() as u32).collect();
    for k in (1..order.len()).rev() {
        order.swap(k, rng.below(k as u64 + 1) as usize);
    }
    let indices = arrow::array::UInt32Array::from(order);
    let columns = data
        .columns()
        .iter()
        .map(|c| arrow::compute::take(c.as_ref(), &indices, None).unwrap())
        .collect();
    write_parquet(
        &input,
        &RecordBatch::try_new(data.schema(), columns).unwrap(),
        None,
    );
    let sql = "SELECT g, t, x, cumsum(x) OVER (PARTITION BY g ORDER BY t) AS c FROM input";
    let run = |limit: Option<usize>| {
        let input = input.clone();
        let spill_dir = dir.path().join("spill");
        async move {
            std::fs::create_dir_all(&spill_dir).unwrap();
            let ctx = etl_context(&EtlSettings {
                memory_limit: limit,
                spill_dir: Some(spill_dir),
                target_partitions: Some(2),
            })
            .unwrap();
            ctx.register_parquet("input", input.to_str().unwrap(), Default::default())
                .await
                .unwrap();
            let (plan, _) = physical_plan(&ctx, sql).await;
            let batches = collect(Arc::clone(&plan), ctx.task_ctx()).await.unwrap();
            let batch = arrow::compute::concat_batches(&plan.schema(), &batches).unwrap();
            // Compare in t order (unique).
            let by_t = arrow::compute::sort_to_indices(batch.column(1), None, None).unwrap();
            let columns = batch
                .columns()
                .iter()
                .map(|c| arrow::compute::take(c.as_ref(), &by_t, None).unwrap())
                .collect();
            (
                RecordBatch::try_new(batch.schema(), columns).unwrap(),
                spilled_rows(&plan),
            )
        }
    };
    let (expected, spilled) = run(None).await;
    assert_eq!(spilled, 0);
    let (actual, spilled) = run(Some(4 << 20)).await;
    assert_eq!(spilled, 400_000, "every row went through the spill files");
    for k in 0..expected.num_columns() {
        assert_same(
            expected.column(k).as_ref(),
            actual.column(k).as_ref(),
            "spilled",
        );
    }
}

/// Whether the probe's file scan reads each byte range in the partition it is grouped
/// under: DataFusion lets sibling partitions take each other's ranges otherwise, and the
/// ranges would not come in file order.
fn probe_keeps_file_order(plan: &Arc<dyn ExecutionPlan>) -> bool {
    let mut keeps = false;
    plan.apply(|node| {
        if let Some(probed) = node.downcast_ref::<CumulativeProbedWindowExec>() {
            let probe = probed.children()[0];
            let scan = probe
                .downcast_ref::<datafusion::datasource::source::DataSourceExec>()
                .and_then(|s| {
                    s.data_source()
                        .downcast_ref::<datafusion::datasource::physical_plan::FileScanConfig>()
                });
            keeps = scan.is_some_and(|s| s.preserve_order && s.file_groups.len() > 1);
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .unwrap();
    keeps
}

/// The `in_order_by_key` metric of the probed window of an executed plan.
fn probed_in_order(plan: &Arc<dyn ExecutionPlan>) -> Option<usize> {
    let mut found = None;
    plan.apply(|node| {
        if node.downcast_ref::<CumulativeProbedWindowExec>().is_some()
            && let Some(metrics) = node.metrics()
        {
            found = metrics.sum_by_name("in_order_by_key").map(|v| v.as_usize());
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .unwrap();
    found
}

/// Files that declare no order: the window first reads their keys and times, in two
/// byte ranges read side by side, each in file order, and streams in one pass where every
/// key's rows are in time order (rows grouped by key; rows in time order), buffering
/// otherwise: rows shuffled, and two row groups each in time order whose second is
/// earlier than the first (each range is in order, the file is not). Every layout gives
/// the values of the streaming window over the rows sorted and declared so, bit for bit.
#[tokio::test]
async fn undeclared_orders_are_probed() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows_in_time_order(20_000, 50, 11);
    let grouped = sorted_by_first_two_columns(&rows);
    let halves_swapped = arrow::compute::concat_batches(
        &rows.schema(),
        &[rows.slice(10_000, 10_000), rows.slice(0, 10_000)],
    )
    .unwrap();
    let mut rng = Lcg(5);
    let mut order: Vec<u32> = (0..rows.num_rows() as u32).collect();
    for k in (1..order.len()).rev() {
        order.swap(k, rng.below(k as u64 + 1) as usize);
    }
    let order = arrow::array::UInt32Array::from(order);
    let shuffled = RecordBatch::try_new(
        rows.schema(),
        rows.columns()
            .iter()
            .map(|c| arrow::compute::take(c.as_ref(), &order, None).unwrap())
            .collect(),
    )
    .unwrap();
    let ctx = etl_context(&EtlSettings {
        target_partitions: Some(2),
        ..Default::default()
    })
    .unwrap();
    // Small files are split into ranges too.
    ctx.sql("SET datafusion.optimizer.repartition_file_min_size = 0")
        .await
        .unwrap();
    // The reference: the rows sorted by (g, t) and declared so.
    let reference = SessionContext::new();
    register(&reference).unwrap();
    let declared =
        datafusion::datasource::MemTable::try_new(grouped.schema(), vec![vec![grouped.clone()]])
            .unwrap()
            .with_sort_order(vec![vec![
                datafusion::prelude::col("g").sort(true, false),
                datafusion::prelude::col("t").sort(true, false),
            ]]);
    reference
        .register_table("data", Arc::new(declared))
        .unwrap();
    let window = "OVER (PARTITION BY g ORDER BY t)";
    let sql = |table: &str| {
        format!(
            "SELECT g, t, x, cumsum(x) {window} AS c, cummax(x, 'skip') {window} AS m, \
             cumprod(x, 'propagate') {window} AS p FROM {table}"
        )
    };
    let expected = sorted_by_first_two_columns(&query(&reference, &sql("data")).await.unwrap());
    for (name, data, in_order) in [
        ("grouped", &grouped, true),
        ("time", &rows, true),
        ("halves_swapped", &halves_swapped, false),
        ("shuffled", &shuffled, false),
    ] {
        let path = dir.path().join(format!("{name}.parquet"));
        write_parquet_in_row_groups(&path, data, 10_000);
        ctx.register_parquet(name, path.to_str().unwrap(), Default::default())
            .await
            .unwrap();
        let (plan, shown) = physical_plan(&ctx, &sql(name)).await;
        assert!(
            shown.contains("CumulativeProbedWindowExec"),
            "{name}: {shown}"
        );
        let probe = shown
            .lines()
            .find(|l| l.contains("probe_0"))
            .unwrap_or_else(|| panic!("{name}: {shown}"));
        assert!(
            probe.contains("2 groups"),
            "{name}: the probe is split: {probe}"
        );
        assert!(probe_keeps_file_order(&plan), "{name}: {shown}");
        let batches = collect(Arc::clone(&plan), ctx.task_ctx()).await.unwrap();
        assert_eq!(
            probed_in_order(&plan),
            Some(usize::from(in_order)),
            "{name}"
        );
        let actual = sorted_by_first_two_columns(
            &arrow::compute::concat_batches(&plan.schema(), &batches).unwrap(),
        );
        assert_eq!(actual.num_rows(), 20_000, "{name}");
        for i in 0..expected.num_columns() {
            assert_same(
                expected.column(i),
                actual.column(i),
                &format!("{name}: {}", expected.schema().field(i).name()),
            );
        }
    }
}

/// The one-pass window chosen after the probe checks every row again: rows that are
/// not in time order key by key (as if the file changed after the probe) stop the
/// query with an execution error, never a wrong answer.
#[tokio::test]
async fn rows_out_of_order_after_the_probe_are_an_error() {
    let ctx = etl_context(&EtlSettings {
        target_partitions: Some(2),
        ..Default::default()
    })
    .unwrap();
    let rows = rows_in_time_order(5000, 20, 2);
    let backwards = arrow::compute::concat_batches(
        &rows.schema(),
        &[rows.slice(2500, 2500), rows.slice(0, 2500)],
    )
    .unwrap();
    ctx.register_batch("data", backwards).unwrap();
    let (plan, _) = physical_plan(
        &ctx,
        "SELECT g, cumsum(x) OVER (PARTITION BY g ORDER BY t) AS c FROM data",
    )
    .await;
    let mut by_key = None;
    plan.apply(|node| {
        if let Some(probed) = node.downcast_ref::<CumulativeProbedWindowExec>() {
            by_key = Some(Arc::clone(probed.children()[1]));
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .unwrap();
    let by_key = by_key.expect("a probed window");
    assert!(
        displayable(by_key.as_ref())
            .one_line()
            .to_string()
            .contains("input_order=by_key"),
        "{}",
        displayable(by_key.as_ref()).indent(false)
    );
    let err = collect(by_key, ctx.task_ctx())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("input row 2500 comes before"), "{err}");
    assert!(err.contains("did the input change"), "{err}");
}

/// The probe over a scan the windows also read (a filter on a column the probe does not
/// read keeps its projection above the scan): it reads a scan of its own, and every
/// filtered row comes out. An input with `random()` is not probed (it would not read the
/// same twice). A parent that needs the window's partitioning by key (a partitioned hash
/// join on `g`) keeps the buffered window, whose partitioning it is.
#[tokio::test]
async fn the_probe_reads_its_own_scan_and_keeps_partitioned_parents() {
    let dir = tempfile::tempdir().unwrap();
    let grouped = sorted_by_first_two_columns(&rows_in_time_order(20_000, 50, 13));
    let path = dir.path().join("grouped.parquet");
    write_parquet_in_row_groups(&path, &grouped, 10_000);
    let ctx = etl_context(&EtlSettings {
        target_partitions: Some(2),
        ..Default::default()
    })
    .unwrap();
    for set in [
        "SET datafusion.optimizer.hash_join_single_partition_threshold = 0",
        "SET datafusion.optimizer.hash_join_single_partition_threshold_rows = 0",
    ] {
        ctx.sql(set).await.unwrap();
    }
    ctx.register_parquet("grouped", path.to_str().unwrap(), Default::default())
        .await
        .unwrap();
    let reference = SessionContext::new();
    register(&reference).unwrap();
    reference
        .register_batch("grouped", grouped.clone())
        .unwrap();
    // One partition: no round-robin split before the filter (which would lose the
    // file's order, and the probe with it).
    let single = etl_context(&EtlSettings {
        target_partitions: Some(1),
        ..Default::default()
    })
    .unwrap();
    single
        .register_parquet("grouped", path.to_str().unwrap(), Default::default())
        .await
        .unwrap();
    let filtered = "SELECT g, t, cumsum(x) OVER (PARTITION BY g ORDER BY t) AS c \
                    FROM grouped WHERE x > 0";
    let (plan, shown) = physical_plan(&single, filtered).await;
    assert!(shown.contains("CumulativeProbedWindowExec"), "{shown}");
    assert!(shown.contains("FilterExec"), "{shown}");
    let batches = collect(Arc::clone(&plan), single.task_ctx()).await.unwrap();
    assert_eq!(probed_in_order(&plan), Some(1), "{shown}");
    let actual = sorted_by_first_two_columns(
        &arrow::compute::concat_batches(&plan.schema(), &batches).unwrap(),
    );
    let expected = sorted_by_first_two_columns(&query(&reference, filtered).await.unwrap());
    assert!(expected.num_rows() > 5000);
    assert_eq!(actual.num_rows(), expected.num_rows());
    for i in 0..expected.num_columns() {
        assert_same(expected.column(i), actual.column(i), "filtered");
    }
    // A volatile input is not read twice.
    let volatile = "SELECT g, cumsum(x) OVER (PARTITION BY g ORDER BY r) AS c \
                    FROM (SELECT g, x, random() AS r FROM grouped)";
    let (_, shown) = physical_plan(&single, volatile).await;
    assert!(!shown.contains("CumulativeProbedWindowExec"), "{shown}");
    assert_eq!(query(&single, volatile).await.unwrap().num_rows(), 20_000);
    let joined = "SELECT w.g, w.t, w.c, n.rows FROM \
                  (SELECT g, t, cumsum(x) OVER (PARTITION BY g ORDER BY t) AS c FROM grouped) w \
                  JOIN (SELECT g, count(*) AS rows FROM grouped GROUP BY g) n ON w.g = n.g";
    let (_, shown) = physical_plan(&ctx, joined).await;
    assert!(shown.contains("mode=Partitioned"), "{shown}");
    let actual = sorted_by_first_two_columns(&query(&ctx, joined).await.unwrap());
    let expected = sorted_by_first_two_columns(&query(&reference, joined).await.unwrap());
    assert_eq!(actual.num_rows(), 20_000);
    for i in 0..expected.num_columns() {
        assert_same(expected.column(i), actual.column(i), "joined");
    }
}
