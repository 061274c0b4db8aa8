//! Helpers: sessions with the functions registered, tables, and the comparison of SQL
//! results with the core API on the same data.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use cumulus::{Operation, ScanOptions};
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::prelude::{SessionConfig, SessionContext};

/// A session with the functions registered; four target partitions so that PARTITION BY
/// goes through a hash repartition as it does on real machines.
pub fn ctx() -> SessionContext {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(4));
    cumulus::datafusion::register(&ctx).unwrap();
    ctx
}

pub use crate::support::Lcg;

/// Registers one batch as a MemTable (one partition) under `name`.
pub fn register_batch(ctx: &SessionContext, name: &str, batch: RecordBatch) {
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).unwrap();
    ctx.register_table(name, Arc::new(table)).unwrap();
}

/// Runs a query and concatenates its batches.
pub async fn query(ctx: &SessionContext, sql: &str) -> Result<RecordBatch> {
    let df = ctx.sql(sql).await?;
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await?;
    let schema = batches.first().map(|b| b.schema()).unwrap_or(schema);
    Ok(concat_batches(&schema, &batches)?)
}

/// The message of a failed query (planning or execution).
pub async fn error_of(ctx: &SessionContext, sql: &str) -> String {
    match ctx.sql(sql).await {
        Err(e) => e.to_string(),
        Ok(df) => match df.collect().await {
            Err(e) => e.to_string(),
            Ok(_) => panic!("query succeeded but should fail: {sql}"),
        },
    }
}

/// How a cumulus error raised while planning displays: DataFusion's plan errors hold no
/// source, so the error is `External` (keeping the typed error) inside a context.
pub fn planning(core: impl std::fmt::Display) -> String {
    format!("Error during planning\ncaused by\nExternal error: {core}")
}

/// How a cumulus error raised while executing displays (see [`planning`]).
pub fn execution(core: impl std::fmt::Display) -> String {
    format!("Execution error\ncaused by\nExternal error: {core}")
}

/// Element `i` as text: floats print their shortest round-trip form (so `-0.0`, `NaN` and
/// neighbours all differ), nulls print as an empty string, lists element by element.
pub fn cell(array: &dyn Array, i: usize) -> String {
    let formatter = ArrayFormatter::try_new(array, &FormatOptions::default()).unwrap();
    formatter.value(i).to_string()
}

/// Asserts two arrays are equal element by element (bitwise for floats, up to NaN
/// payloads) and have the same type.
pub fn assert_same(expected: &dyn Array, actual: &dyn Array, what: &str) {
    assert_eq!(expected.data_type(), actual.data_type(), "{what}: type");
    assert_eq!(expected.len(), actual.len(), "{what}: length");
    for i in 0..expected.len() {
        assert_eq!(
            expected.is_null(i),
            actual.is_null(i),
            "{what}: validity at {i}"
        );
        if expected.is_valid(i) {
            assert_eq!(cell(expected, i), cell(actual, i), "{what}: value at {i}");
        }
    }
}

/// Checks column `y` of `batch` against the core: the batch must be ordered by `g` and
/// then by the window order, so each PARTITION BY group is a run of rows; `y` must equal
/// `cumulus::scan_field(op, x)` of each run, with `x` the column named `x_name`.
pub fn check_groups(
    batch: &RecordBatch,
    x_name: &str,
    y_name: &str,
    op: Operation,
    options: &ScanOptions,
) {
    let g = batch
        .column_by_name("g")
        .expect("column g")
        .as_any()
        .downcast_ref::<Int64Array>()
        .expect("g is Int64")
        .clone();
    let schema = batch.schema();
    let x_field = schema.field_with_name(x_name).unwrap();
    let x = batch.column_by_name(x_name).unwrap();
    let y = batch.column_by_name(y_name).unwrap();
    let mut start = 0;
    while start < batch.num_rows() {
        let mut end = start + 1;
        while end < batch.num_rows() && g.value(end) == g.value(start) {
            end += 1;
        }
        let (_, expected) =
            cumulus::scan_field(op, x_field, x.slice(start, end - start).as_ref(), options)
                .unwrap();
        assert_same(
            expected.as_ref(),
            y.slice(start, end - start).as_ref(),
            &format!(
                "{op} {options:?} group {} ({x_name}: {})",
                g.value(start),
                x.data_type()
            ),
        );
        start = end;
    }
}

/// A table `g, t, <columns>` with `groups` PARTITION BY groups of unique `t`, rows in a
/// shuffled order so that DataFusion has to sort and repartition.
pub fn grouped_table(
    rows: usize,
    groups: u64,
    columns: Vec<(Field, ArrayRef)>,
    seed: u64,
) -> RecordBatch {
    let mut rng = Lcg(seed);
    let mut order: Vec<usize> = (0..rows).collect();
    for i in (1..rows).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let indices =
        arrow::array::UInt32Array::from(order.iter().map(|&i| i as u32).collect::<Vec<_>>());
    let g = Int64Array::from(
        (0..rows)
            .map(|_| rng.below(groups) as i64)
            .collect::<Vec<_>>(),
    );
    let t = Int64Array::from((0..rows as i64).collect::<Vec<_>>());
    let mut fields = vec![
        Field::new("g", DataType::Int64, false),
        Field::new("t", DataType::Int64, false),
    ];
    let mut arrays: Vec<ArrayRef> = vec![Arc::new(g), Arc::new(t)];
    for (f, a) in columns {
        fields.push(f);
        arrays.push(a);
    }
    let shuffled = arrays
        .iter()
        .map(|a| arrow::compute::take(a.as_ref(), &indices, None).unwrap())
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), shuffled).unwrap()
}

/// `batch` sorted by its first two columns, ascending (the (g, t) order of a grouped
/// file).
pub fn sorted_by_first_two_columns(batch: &RecordBatch) -> RecordBatch {
    let keys: Vec<arrow::compute::SortColumn> = batch.columns()[..2]
        .iter()
        .map(|c| arrow::compute::SortColumn {
            values: Arc::clone(c),
            options: None,
        })
        .collect();
    let order = arrow::compute::lexsort_to_indices(&keys, None).unwrap();
    arrow::compute::take_record_batch(batch, &order).unwrap()
}
