//! The hash-state operator (`CumulativeHashWindowExec`): one running state per PARTITION
//! BY key, for input that is not sorted by the keys. Its results must equal the sorted
//! path's (DataFusion's sort, then `CumulativeWindowAggExec`) bit for bit, for every
//! operation and option, with nulls, batch boundaries inside and between groups, and
//! several partitions; its output order must be honest (DataFusion sorts above it when
//! asked for (key, order) order).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use arrow::compute::{SortColumn, lexsort_to_indices, take};
use arrow::datatypes::{DataType, Field, Float32Type, Float64Type, Schema};
use cumulus::Operation;
use cumulus::datafusion::{CumulativeHashWindowRule, CumulativeWindowRule, register};
use datafusion::datasource::MemTable;
use datafusion::execution::SessionStateBuilder;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::prelude::{SessionConfig, SessionContext, col};

use crate::common::{Lcg, assert_same, query};

const POLICIES: [&str; 4] = ["carry", "skip", "propagate", "identity"];

fn config(batch_size: usize, partitions: usize) -> SessionConfig {
    SessionConfig::new()
        .with_batch_size(batch_size)
        .with_target_partitions(partitions)
}

/// `register`: the hash-state operator where the input is not sorted by the keys.
fn hashed(batch_size: usize, partitions: usize) -> SessionContext {
    let ctx = SessionContext::new_with_config(config(batch_size, partitions));
    register(&ctx).unwrap();
    ctx
}

/// The sorted path: DataFusion sorts by (key, order) and `CumulativeWindowAggExec` scans.
fn sorted(batch_size: usize, partitions: usize) -> SessionContext {
    let mut rules = PhysicalOptimizer::new().rules;
    CumulativeWindowRule::insert_into(&mut rules);
    let state = SessionStateBuilder::new()
        .with_config(config(batch_size, partitions))
        .with_default_features()
        .with_physical_optimizer_rules(rules)
        .build();
    let ctx = SessionContext::new_with_state(state);
    register(&ctx).unwrap();
    // `register` adds the missing rules: take the hash rule out again.
    let state = ctx.state_ref();
    let mut state = state.write();
    let rules: Vec<_> = state
        .physical_optimizers()
        .iter()
        .filter(|r| r.name() != CumulativeHashWindowRule::NAME)
        .cloned()
        .collect();
    let config = state.config().clone();
    *state = SessionStateBuilder::new_from_existing(state.clone())
        .with_session_id(state.session_id().to_string())
        .with_physical_optimizer_rules(rules)
        .build();
    *state.config_mut() = config;
    drop(state);
    ctx
}

/// The operators of the physical plan, top to bottom, with their first line.
async fn plan(ctx: &SessionContext, sql: &str) -> String {
    let plan = ctx
        .sql(sql)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    datafusion::physical_plan::displayable(plan.as_ref())
        .indent(false)
        .to_string()
}

/// The rows of the test table, in time order (`t` unique, 0..rows): `g` int64 keys with
/// nulls, `h` a second text key, `i` int32 and `f` float64 with nulls, NaN and -0.0.
fn table(rows: usize, groups: u64, seed: u64) -> RecordBatch {
    let mut rng = Lcg(seed);
    let g = Int64Array::from(
        (0..rows)
            .map(|_| (rng.below(40) != 0).then(|| rng.below(groups) as i64 - 3))
            .collect::<Vec<_>>(),
    );
    let h = StringArray::from(
        (0..rows)
            .map(|_| ["a", "bb", ""][rng.below(3) as usize])
            .collect::<Vec<_>>(),
    );
    let t = Int64Array::from((0..rows as i64).collect::<Vec<_>>());
    let i = Int32Array::from(
        (0..rows)
            .map(|k| (k % 29 < 24 && rng.below(6) != 0).then(|| rng.next() as i32))
            .collect::<Vec<_>>(),
    );
    let f = Float64Array::from(
        (0..rows)
            .map(|_| match rng.below(30) {
                0 => Some(f64::NAN),
                1 => Some(-0.0),
                2..=7 => None,
                _ => Some((rng.below(2001) as f64 - 1000.0) / 64.0),
            })
            .collect::<Vec<_>>(),
    );
    let schema = Schema::new(vec![
        Field::new("g", DataType::Int64, true),
        Field::new("h", DataType::Utf8, false),
        Field::new("t", DataType::Int64, false),
        Field::new("i", DataType::Int32, true),
        Field::new("f", DataType::Float64, true),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(g),
        Arc::new(h),
        Arc::new(t),
        Arc::new(i),
        Arc::new(f),
    ];
    RecordBatch::try_new(Arc::new(schema), columns).unwrap()
}

/// The rows of `batch` reordered by `columns` (lexicographically), or shuffled.
fn reorder(batch: &RecordBatch, by: Option<&[&str]>, seed: u64) -> RecordBatch {
    let indices = match by {
        Some(names) => {
            let sort: Vec<SortColumn> = names
                .iter()
                .map(|n| SortColumn {
                    values: Arc::clone(batch.column_by_name(n).unwrap()),
                    options: None,
                })
                .collect();
            lexsort_to_indices(&sort, None).unwrap()
        }
        None => {
            let mut rng = Lcg(seed);
            let mut order: Vec<u32> = (0..batch.num_rows() as u32).collect();
            for k in (1..order.len()).rev() {
                order.swap(k, rng.below(k as u64 + 1) as usize);
            }
            arrow::array::UInt32Array::from(order)
        }
    };
    let columns = batch
        .columns()
        .iter()
        .map(|c| take(c.as_ref(), &indices, None).unwrap())
        .collect();
    RecordBatch::try_new(batch.schema(), columns).unwrap()
}

/// Registers `batch` as `data` in each session: `chunk`-row batches in `partitions`
/// MemTable partitions (consecutive slices), declared sorted by `declared` if given.
fn register_data(
    ctxs: &[&SessionContext],
    batch: &RecordBatch,
    chunk: usize,
    partitions: usize,
    declared: Option<&[&str]>,
) {
    let rows = batch.num_rows();
    let per = rows.div_ceil(partitions);
    let parts: Vec<Vec<RecordBatch>> = (0..partitions)
        .map(|p| {
            let (start, end) = (p * per, ((p + 1) * per).min(rows));
            (start..end)
                .step_by(chunk)
                .map(|s| batch.slice(s, chunk.min(end - s)))
                .collect()
        })
        .collect();
    for ctx in ctxs {
        let mut table = MemTable::try_new(batch.schema(), parts.clone()).unwrap();
        if let Some(names) = declared {
            table = table.with_sort_order(vec![
                names.iter().map(|n| col(*n).sort(true, false)).collect(),
            ]);
        }
        ctx.deregister_table("data").unwrap();
        ctx.register_table("data", Arc::new(table)).unwrap();
    }
}

/// Runs `sql` in both sessions and compares every column, after sorting both results by
/// `t` (unique); `expect` is what the hash session's plan must show.
async fn same_as_sorted_path(
    ours: &SessionContext,
    theirs: &SessionContext,
    sql: &str,
    expect: &str,
) {
    let shown = plan(ours, sql).await;
    assert!(shown.contains(expect), "{sql}\n{shown}");
    let reference = plan(theirs, sql).await;
    assert!(
        !reference.contains("CumulativeHashWindowExec"),
        "{sql}\n{reference}"
    );
    let by_t = |batch: RecordBatch| reorder(&batch, Some(&["t"]), 0);
    let expected = by_t(
        query(theirs, sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}")),
    );
    let actual = by_t(
        query(ours, sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}")),
    );
    assert_eq!(expected.schema(), actual.schema(), "{sql}");
    assert!(expected.num_rows() > 0, "{sql}");
    for (k, field) in expected.schema().fields().iter().enumerate() {
        assert_same(
            expected.column(k).as_ref(),
            actual.column(k).as_ref(),
            &format!("{sql}: column {}", field.name()),
        );
    }
}

/// Every operation under every null policy, in one SELECT.
fn every_call(window: &str) -> String {
    let mut calls = vec![];
    for op in Operation::ALL {
        for policy in POLICIES {
            for x in ["i", "f"] {
                calls.push(format!(
                    "{op}({x}, NULL, '{policy}') OVER ({window}) AS {op}_{policy}_{x}"
                ));
            }
        }
    }
    calls.push(format!("cumsum(i, 'int8') OVER ({window}) AS wrapped"));
    calls.push(format!(
        "cumprod(f, 'float32', 'skip') OVER ({window}) AS narrow"
    ));
    calls.join(", ")
}

/// Rows in time order, declared: the operator streams in one pass (`input_order=sorted`)
/// and equals the sorted path for every operation and policy, keys with nulls, one or
/// two key columns, tiny batches (groups cross batch boundaries and batches hold many
/// groups), one to three partitions.
#[tokio::test]
async fn time_ordered_input_equals_the_sorted_path() {
    let data = table(3000, 97, 1);
    for (batch_size, chunk, partitions) in [(7, 5, 1), (64, 300, 3), (8192, 3000, 2)] {
        let (ours, theirs) = (
            hashed(batch_size, partitions),
            sorted(batch_size, partitions),
        );
        register_data(&[&ours, &theirs], &data, chunk, 1, Some(&["t"]));
        for window in ["PARTITION BY g ORDER BY t", "PARTITION BY h, g ORDER BY t"] {
            let sql = format!("SELECT g, h, t, i, f, {} FROM data", every_call(window));
            same_as_sorted_path(&ours, &theirs, &sql, "input_order=sorted").await;
        }
    }
}

/// Rows in time order whose values have no nulls and whose keys come mixed: after each
/// key's first rows, chunks go through the scanner's keyed step (one pass in row order,
/// each row stepping its key's running value) instead of being gathered key by key.
/// Equal to the sorted path bit for bit for every operation and null policy, results
/// cast from the input (int32 to int64, float64 to float32), integers wrapping, and NaN
/// payloads (quiet and signalling), -0.0 and infinities; a call that is never keyed
/// (overflow checked) beside them; a key stopped by a null early on, absent after.
#[tokio::test]
async fn keyed_steps_equal_the_sorted_path() {
    let rows = 6000;
    let mut rng = Lcg(11);
    // Key 77 has the first three rows only, and `p` a null in the second: under
    // Propagate that key's scan stops there, which must not keep the other keys from the
    // keyed step.
    let g = Int64Array::from_iter_values(
        (0..rows).map(|i| if i < 3 { 77 } else { rng.below(50) as i64 }),
    );
    let p = Int64Array::from_iter((0..rows).map(|i| (i != 1).then_some(i as i64 % 7 - 3)));
    let t = Int64Array::from_iter_values(0..rows as i64);
    let n = Int64Array::from_iter_values((0..rows).map(|_| rng.below(2001) as i64 - 1000));
    let m = Int32Array::from_iter_values((0..rows).map(|_| rng.next() as i32));
    let d = Float64Array::from_iter_values((0..rows).map(|_| match rng.below(60) {
        0 => f64::from_bits(0x7ff8_0000_0000_0000 | rng.below(1 << 20)),
        1 => f64::from_bits(0x7ff0_0000_0000_0001 + rng.below(1 << 20)),
        2 => -0.0,
        3 => f64::NEG_INFINITY,
        _ => (rng.below(2001) as f64 - 1000.0) / 64.0,
    }));
    let schema = Schema::new(vec![
        Field::new("g", DataType::Int64, false),
        Field::new("t", DataType::Int64, false),
        Field::new("n", DataType::Int64, false),
        Field::new("m", DataType::Int32, false),
        Field::new("d", DataType::Float64, false),
        Field::new("p", DataType::Int64, true),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(g),
        Arc::new(t),
        Arc::new(n),
        Arc::new(m),
        Arc::new(d),
        Arc::new(p),
    ];
    let data = RecordBatch::try_new(Arc::new(schema), columns).unwrap();
    let window = "OVER (PARTITION BY g ORDER BY t)";
    let mut calls = vec![];
    for op in Operation::ALL {
        for policy in POLICIES {
            for x in ["n", "d"] {
                calls.push(format!(
                    "{op}({x}, NULL, '{policy}') {window} AS {op}_{policy}_{x}"
                ));
            }
        }
    }
    for policy in POLICIES {
        calls.push(format!(
            "cumsum(p, NULL, '{policy}') {window} AS stopped_{policy}"
        ));
    }
    calls.push(format!("cumsum(m) {window} AS widened"));
    calls.push(format!("cumsum(m, 'int32') {window} AS wrapped"));
    calls.push(format!("cumprod(n, 'int8') {window} AS narrow"));
    calls.push(format!("cumsum(d, 'float32') {window} AS single"));
    let keyed = format!("SELECT g, t, n, m, d, p, {} FROM data", calls.join(", "));
    // A call never keyed (overflow checked) beside them: its rows are gathered by key in
    // larger chunks.
    let mixed = format!(
        "SELECT g, t, n, m, d, p, cumsum(n, 'error') {window} AS checked, {} FROM data",
        calls.join(", ")
    );
    // 50 keys: batches of 1000 and 333 rows step every key's state, batches of 16 only
    // those present.
    for (batch_size, chunk, sql) in [
        (1000, 1000, &keyed),
        (64, 333, &keyed),
        (16, 16, &keyed),
        (64, 333, &mixed),
    ] {
        let (ours, theirs) = (hashed(batch_size, 1), sorted(batch_size, 1));
        register_data(&[&ours, &theirs], &data, chunk, 1, Some(&["t"]));
        same_as_sorted_path(&ours, &theirs, sql, "input_order=sorted").await;
        // NaN payloads too (`assert_same` compares NaNs by their text).
        let by_t = |batch: RecordBatch| reorder(&batch, Some(&["t"]), 0);
        let expected = by_t(query(&theirs, sql).await.unwrap());
        let actual = by_t(query(&ours, sql).await.unwrap());
        for (k, field) in expected.schema().fields().iter().enumerate() {
            let bits = |batch: &RecordBatch| -> Vec<Option<u64>> {
                let column = batch.column(k);
                match column.data_type() {
                    DataType::Float64 => column
                        .as_primitive::<Float64Type>()
                        .iter()
                        .map(|v| v.map(f64::to_bits))
                        .collect(),
                    DataType::Float32 => column
                        .as_primitive::<Float32Type>()
                        .iter()
                        .map(|v| v.map(|v| u64::from(v.to_bits())))
                        .collect(),
                    _ => vec![],
                }
            };
            assert_eq!(bits(&expected), bits(&actual), "{}: bits", field.name());
        }
    }
}

/// Rows in any order: each partition is buffered and each key's rows sorted
/// (`input_order=any`); in (key, time) order or time order without a declaration, the
/// O(n) check finds them in order and no sort runs. Also ORDER BY DESC and two ORDER BY
/// keys (arrow's row format).
#[tokio::test]
async fn unordered_input_equals_the_sorted_path() {
    let data = table(2500, 61, 2);
    let layouts: [(&str, RecordBatch); 3] = [
        ("shuffled", reorder(&data, None, 3)),
        ("grouped", reorder(&data, Some(&["g", "t"]), 0)),
        ("time", data.clone()),
    ];
    for (name, layout) in &layouts {
        for (batch_size, chunk, partitions) in [(7, 5, 1), (100, 333, 3)] {
            let (ours, theirs) = (
                hashed(batch_size, partitions),
                sorted(batch_size, partitions),
            );
            register_data(&[&ours, &theirs], layout, chunk, 2, None);
            for window in [
                "PARTITION BY g ORDER BY t",
                "PARTITION BY g, h ORDER BY t DESC",
                "PARTITION BY h ORDER BY f, t",
            ] {
                let sql = format!("SELECT g, h, t, i, f, {} FROM data", every_call(window));
                same_as_sorted_path(&ours, &theirs, &sql, "input_order=any").await;
            }
            let _ = name;
        }
    }
}

/// A buffered partition holds a column that is only a PARTITION BY key as key ids and
/// puts its values back on output (checked above); a key column that an argument or the
/// ORDER BY also reads stays whole, as do keys that are expressions. Text and int keys
/// with nulls, shuffled or grouped rows (the sort and the in-order paths).
#[tokio::test]
async fn key_columns_read_elsewhere_are_kept() {
    let data = table(3000, 23, 5);
    for layout in [
        reorder(&data, None, 6),
        reorder(&data, Some(&["h", "t"]), 0),
    ] {
        let (ours, theirs) = (hashed(64, 2), sorted(64, 2));
        register_data(&[&ours, &theirs], &layout, 100, 2, None);
        for select in [
            "cumsum(g) OVER (PARTITION BY g ORDER BY t) AS s, \
             cumsum(f) OVER (PARTITION BY g ORDER BY t) AS c",
            "cummax(i, 'skip') OVER (PARTITION BY i, h ORDER BY t) AS m",
            "cumsum(f) OVER (PARTITION BY h, g % 5 ORDER BY t) AS c",
            "cumsum(f) OVER (PARTITION BY g, h ORDER BY h, t DESC) AS c",
        ] {
            let sql = format!("SELECT g, h, t, i, f, {select} FROM data");
            same_as_sorted_path(&ours, &theirs, &sql, "input_order=any").await;
        }
    }
}

/// The operator promises its input's order, not (key, order) order: a query that asks
/// for (g, t) order gets a sort above it, and a second window over the first one's output
/// sees the right rows.
#[tokio::test]
async fn parents_get_the_order_they_ask_for() {
    let data = table(2000, 31, 4);
    let (ours, theirs) = (hashed(50, 2), sorted(50, 2));
    register_data(&[&ours, &theirs], &data, 70, 1, Some(&["t"]));
    let sql = "SELECT g, t, cumsum(f) OVER (PARTITION BY g ORDER BY t) AS c FROM data ORDER BY g NULLS FIRST, t";
    let shown = plan(&ours, sql).await;
    assert!(shown.contains("CumulativeHashWindowExec"), "{shown}");
    let out = query(&ours, sql).await.unwrap();
    let sorted_again = reorder(&out, Some(&["g", "t"]), 0);
    for k in 0..out.num_columns() {
        assert_same(
            sorted_again.column(k).as_ref(),
            out.column(k).as_ref(),
            "ORDER BY g, t",
        );
    }
    let nested = "SELECT g, t, c, cummax(c) OVER (PARTITION BY g ORDER BY t) AS m, \
                  cumsum(c) OVER (ORDER BY t) AS s FROM \
                  (SELECT g, t, cumsum(f) OVER (PARTITION BY g ORDER BY t) AS c FROM data)";
    same_as_sorted_path(&ours, &theirs, nested, "CumulativeHashWindowExec").await;
}

/// An overflow under `overflow => 'error'` names the same row (counted from the key's
/// first row in time order) as on the sorted path.
#[tokio::test]
async fn overflow_errors_name_the_same_row() {
    let rows = 500;
    let g = Int64Array::from((0..rows).map(|k| (k % 5) as i64).collect::<Vec<_>>());
    // Only key 3 overflows int8, at its 4th row.
    let x = Int32Array::from(
        (0..rows)
            .map(|k| if k % 5 == 3 { 50 } else { 1 })
            .collect::<Vec<_>>(),
    );
    let t = Int64Array::from((0..rows as i64).collect::<Vec<_>>());
    let schema = Schema::new(vec![
        Field::new("g", DataType::Int64, false),
        Field::new("t", DataType::Int64, false),
        Field::new("x", DataType::Int32, false),
    ]);
    let data = RecordBatch::try_new(
        Arc::new(schema),
        vec![Arc::new(g), Arc::new(t), Arc::new(x)],
    )
    .unwrap();
    for layout in [data.clone(), reorder(&data, None, 9)] {
        let (ours, theirs) = (hashed(16, 2), sorted(16, 2));
        register_data(&[&ours, &theirs], &layout, 16, 1, None);
        let sql = "SELECT cumsum(x, 'int8', 'error') OVER (PARTITION BY g ORDER BY t) FROM data";
        assert!(plan(&ours, sql).await.contains("CumulativeHashWindowExec"));
        let ours = crate::common::error_of(&ours, sql).await;
        let theirs = crate::common::error_of(&theirs, sql).await;
        assert_eq!(ours, theirs);
        assert!(ours.contains("row 2"), "{ours}");
    }
}

/// Without ORDER BY, any input order is the window's: the operator scans each key's rows
/// in input order (the sorted path would scan them in whatever order its sort left).
#[tokio::test]
async fn partition_without_order_scans_in_input_order() {
    let ctx = hashed(4, 2);
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("g", DataType::Int64, false),
            Field::new("x", DataType::Int64, false),
        ])),
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 1, 2, 1, 1, 2])),
            Arc::new(Int64Array::from(vec![1, 10, 2, 20, 3, 4, 30])),
        ],
    )
    .unwrap();
    crate::common::register_batch(&ctx, "v", batch);
    let sql = "SELECT x, cumsum(x) OVER (PARTITION BY g) AS c FROM v ORDER BY x";
    assert!(plan(&ctx, sql).await.contains("input_order=sorted"));
    let out = query(&ctx, sql).await.unwrap();
    let c = out.column(1).as_any().downcast_ref::<Int64Array>().unwrap();
    assert_eq!(c.values().to_vec(), [1, 3, 6, 10, 10, 30, 60]);
}

/// A buffered partition larger than one output piece (64Ki rows) in no order: it is
/// sorted and put out a piece at a time, each key's scan going on from one piece to the
/// next; the values are the sorted path's bit for bit. One partition (the window then
/// probes the rows first and falls back to buffering) and three.
#[tokio::test]
async fn sorted_output_in_pieces_equals_the_sorted_path() {
    let data = reorder(&table(150_000, 5, 9), None, 4);
    for partitions in [1, 3] {
        let (ours, theirs) = (hashed(8192, partitions), sorted(8192, partitions));
        register_data(&[&ours, &theirs], &data, 8192, partitions, None);
        let window = "OVER (PARTITION BY g ORDER BY t)";
        let sql = format!(
            "SELECT g, h, t, i, f, cumsum(f) {window} AS s, cumprod(i, 'propagate') {window} AS p, \
             cummax(f, 'skip') {window} AS m, nancumsum(f) {window} AS n FROM data"
        );
        same_as_sorted_path(&ours, &theirs, &sql, "input_order=any").await;
    }
}
