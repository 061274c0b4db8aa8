//! NumPy's cumulative operations in DataFusion SQL.
//!
//! Run with `cargo run --example sql --features datafusion`. Each query prints its SQL and
//! the result table; the comments say what to check by eye.

use std::sync::Arc;

use arrow::array::{FixedSizeListArray, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::prelude::*;

/// Trades: two symbols, a timestamp, a quantity with one missing value, and a 2-vector of
/// (bought, sold) per trade.
fn trades() -> Result<RecordBatch> {
    let item = Arc::new(Field::new("item", DataType::Int32, false));
    let flows = FixedSizeListArray::new(
        Arc::clone(&item),
        2,
        Arc::new(Int32Array::from(vec![5, 0, 0, 2, 3, 1, 1, 1, 0, 4, 2, 2])),
        None,
    );
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("sym", DataType::Utf8, false),
            Field::new("t", DataType::Int64, false),
            Field::new("qty", DataType::Int32, true),
            Field::new("flow", DataType::FixedSizeList(item, 2), false),
        ])),
        vec![
            Arc::new(StringArray::from(vec![
                "AAA", "BBB", "AAA", "BBB", "AAA", "BBB",
            ])),
            Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6])),
            Arc::new(Int32Array::from(vec![
                Some(100),
                Some(7),
                None,
                Some(120),
                Some(100),
                Some(-50),
            ])),
            Arc::new(flows),
        ],
    )?)
}

async fn show(ctx: &SessionContext, note: &str, sql: &str) -> Result<()> {
    println!("-- {note}\n{sql}");
    ctx.sql(sql).await?.show().await?;
    println!();
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let ctx = SessionContext::new();
    cumulus::datafusion::register(&ctx)?;
    let batch = trades()?;
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
    ctx.register_table("trades", Arc::new(table))?;

    show(
        &ctx,
        "Running position per symbol. AAA: 100, 100 (the NULL carries the running value), 200. \
         BBB: 7, 127, 77. qty is INT32; the sum is BIGINT, as np.cumsum widens it.",
        "SELECT sym, t, qty, cumsum(qty) OVER (PARTITION BY sym ORDER BY t) AS position\n\
         FROM trades ORDER BY sym, t",
    )
    .await?;

    show(
        &ctx,
        "dtype: scan in int8, wrapping like np.cumsum(x, dtype=np.int8): 100, 107, 107, \
         227 - 256 = -29, 71, 21; and in float64 (a DOUBLE column).",
        "SELECT t, qty,\n  cumsum(qty, dtype => 'int8') OVER (ORDER BY t) AS wrapped_int8,\n  \
         cumsum(qty, 'float64') OVER (ORDER BY t) AS as_double\nFROM trades ORDER BY t",
    )
    .await?;

    show(
        &ctx,
        "Null policies at t = 3 (qty NULL): carry repeats 107, skip leaves it NULL and goes on, \
         propagate stays NULL from there, identity counts it as 0.",
        "SELECT t, qty,\n  cumsum(qty) OVER (ORDER BY t) AS carry,\n  \
         cumsum(qty, nulls => 'skip', dtype => NULL) OVER (ORDER BY t) AS skip,\n  \
         cumsum(qty, NULL, 'propagate') OVER (ORDER BY t) AS propagate,\n  \
         cumsum(qty, NULL, 'identity') OVER (ORDER BY t) AS identity\nFROM trades ORDER BY t",
    )
    .await?;

    show(
        &ctx,
        "A FixedSizeList column scans along axis 0: a running (bought, sold) vector per symbol, \
         AAA: [5, 0], [8, 1], [8, 5]. With axis => 1, each row's own running sum: [5, 5], [3, 4], [0, 4].",
        "SELECT sym, t, flow,\n  cumsum(flow) OVER (PARTITION BY sym ORDER BY t) AS running,\n  \
         cumsum(flow, NULL, NULL, NULL, 1) OVER (PARTITION BY sym ORDER BY t) AS within_row\n\
         FROM trades ORDER BY sym, t",
    )
    .await?;

    show(
        &ctx,
        "Without OVER: one scan over the whole table in its order: 100, 107, 107, 227, 327, 277.",
        "SELECT t, qty, cumsum(qty) FROM trades",
    )
    .await?;

    show(
        &ctx,
        "Without OVER, with the call's own ORDER BY: the running maximum from the last trade \
         back: -50, 100, 120, 120, 120, 120.",
        "SELECT t, qty, cummax(qty ORDER BY t DESC) AS max_from_the_end FROM trades",
    )
    .await?;

    ctx.sql("SET datafusion.explain.physical_plan_only = true")
        .await?
        .collect()
        .await?;
    show(
        &ctx,
        "The operator: CumulativeWindowAggExec scans the sorted rows batch by batch, holding one \
         batch and a running value per function (a reverse => true call, or a window shared with \
         another function, runs in DataFusion's WindowAggExec, which buffers its whole input).",
        "EXPLAIN SELECT sym, t, cumsum(qty) OVER (PARTITION BY sym ORDER BY t) AS position FROM trades",
    )
    .await?;

    Ok(())
}
