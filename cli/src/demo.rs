//! `cumulus` with no arguments: a few queries over a small built-in table of trades,
//! each printed with its SQL, so a reader sees what the functions do.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, FixedSizeListArray, Float64Array, Int32Array, Int64Array, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;

use crate::tables::one_line;

/// Twelve trades in three symbols: prices, quantities, a fee that is sometimes missing, a
/// return with one NaN, and the order-book depth as a FixedSizeList [bid size, ask size].
fn trades() -> Result<RecordBatch, String> {
    let symbols = [
        "AAA", "BBB", "AAA", "CCC", "BBB", "AAA", "CCC", "AAA", "BBB", "CCC", "AAA", "BBB",
    ];
    let price = [
        10.0, 20.0, 10.5, 5.0, 19.5, 10.25, 5.5, 11.0, 21.0, 5.25, 10.75, 20.5,
    ];
    let qty = [100, -50, 200, 300, 25, -150, -100, 50, 75, 400, -200, -50];
    let fee = [
        Some(0.5),
        None,
        Some(1.0),
        Some(1.5),
        None,
        Some(0.75),
        None,
        Some(0.25),
        Some(0.4),
        Some(2.0),
        None,
        Some(0.25),
    ];
    let ret = [
        0.01,
        -0.02,
        0.05,
        f64::NAN,
        0.01,
        -0.024,
        0.1,
        0.073,
        0.077,
        -0.045,
        -0.023,
        -0.024,
    ];
    let depth: Vec<i64> = (0..12).flat_map(|i| [10 + i, 20 - i]).collect();
    let item = Arc::new(Field::new("item", DataType::Int64, false));
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("ts", Arc::new(Int64Array::from_iter_values(1..=12))),
        ("symbol", Arc::new(StringArray::from(symbols.to_vec()))),
        ("price", Arc::new(Float64Array::from(price.to_vec()))),
        ("qty", Arc::new(Int32Array::from(qty.to_vec()))),
        ("fee", Arc::new(Float64Array::from(fee.to_vec()))),
        ("ret", Arc::new(Float64Array::from(ret.to_vec()))),
        (
            "depth",
            Arc::new(FixedSizeListArray::new(
                item,
                2,
                Arc::new(Int64Array::from(depth)),
                None,
            )),
        ),
    ];
    RecordBatch::try_from_iter(columns).map_err(|e| e.to_string())
}

const QUERIES: [(&str, &str); 6] = [
    (
        "The data: twelve trades (fee is sometimes missing, ret has a NaN, depth is [bid, ask])",
        "SELECT * FROM trades ORDER BY ts",
    ),
    (
        "Running position and notional per symbol: PARTITION BY; int32 qty sums to int64 as in NumPy",
        "SELECT symbol, ts, qty,
       cumsum(qty) OVER (PARTITION BY symbol ORDER BY ts) AS position,
       cumsum(price * qty) OVER (PARTITION BY symbol ORDER BY ts) AS notional
FROM trades ORDER BY symbol, ts",
    ),
    (
        "Growth of 1: cumprod propagates the NaN, nancumprod counts it as 1; cummax keeps the peak",
        "SELECT ts, ret, growth, nan_growth, cummax(nan_growth) OVER (ORDER BY ts) AS peak
FROM (SELECT ts, ret,
             cumprod(1 + ret) OVER (ORDER BY ts) AS growth,
             nancumprod(1 + ret) OVER (ORDER BY ts) AS nan_growth
      FROM trades)
ORDER BY ts",
    ),
    (
        "Null policies: SQL's default carries the running value over a null; skip keeps it null",
        "SELECT ts, fee,
       cumsum(fee) OVER (ORDER BY ts) AS carry,
       cumsum(fee, dtype => NULL, nulls => 'skip') OVER (ORDER BY ts) AS skip,
       cumsum(fee, dtype => NULL, nulls => 'propagate') OVER (ORDER BY ts) AS propagate
FROM trades ORDER BY ts",
    ),
    (
        "A FixedSizeList column: axis 0 (the default) runs down the rows, axis 1 within each row",
        "SELECT ts, depth,
       cumsum(depth) OVER (ORDER BY ts) AS axis0,
       cumsum(depth, dtype => NULL, nulls => NULL, overflow => NULL, axis => 1) OVER (ORDER BY ts) AS axis1
FROM trades WHERE ts <= 4 ORDER BY ts",
    ),
    (
        "dtype and no OVER: the whole result in its order, scanned in int8 (wrapping as NumPy)",
        "SELECT qty, cumsum(qty) AS total, cumsum(qty, dtype => 'int8') AS total_int8
FROM (SELECT qty FROM trades WHERE symbol = 'CCC')",
    ),
];

pub async fn run(ctx: &SessionContext) -> Result<(), String> {
    ctx.register_batch("trades", trades()?)
        .map_err(|e| one_line(&e))?;
    for (title, sql) in QUERIES {
        let batches = ctx
            .sql(sql)
            .await
            .map_err(|e| one_line(&e))?
            .collect()
            .await
            .map_err(|e| one_line(&e))?;
        let table = pretty_format_batches(&batches).map_err(|e| e.to_string())?;
        crate::print(&format!("-- {title}\n{sql}\n{table}\n"))?;
    }
    crate::print(
        "Run `cumulus --help` for the command's usage: SQL over Parquet, CSV, JSON and Arrow files.",
    )
}
