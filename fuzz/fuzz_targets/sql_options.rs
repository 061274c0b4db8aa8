//! SQL option parsing and planning of the cumulus functions: calls assembled from the
//! fuzzer's bytes (option values of every kind in any position, named or not, frames,
//! OVER or not) over a small table with plain, nullable and FixedSizeList columns. Any
//! outcome but a panic is fine: an error must be an error, never a crash.
#![no_main]

use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, FixedSizeListArray, Float64Array, Int32Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field};
use datafusion::prelude::SessionContext;
use libfuzzer_sys::fuzz_target;
use tokio::runtime::Runtime;

const FUNCTIONS: [&str; 7] = ["cumsum", "cumprod", "nancumsum", "nancumprod", "cummax", "cummin", "sum"];
const COLUMNS: [&str; 5] = ["x", "f", "v", "t", "1"];
const VALUES: [&str; 24] = [
    "NULL", "'skip'", "'carry'", "'propagate'", "'identity'", "'wrap'", "'error'", "'int8'",
    "'float64'", "'bool'", "'Decimal128(20, 2)'", "'Decimal128(100, 2)'", "'Duration(Second)'",
    "'Utf8'", "0", "1", "-1", "2", "0.0", "true", "false", "'none'", "x", "'sometimes'",
];
const NAMES: [&str; 6] = ["dtype", "nulls", "overflow", "axis", "reverse", "bogus"];
const OVERS: [&str; 8] = [
    "",
    " OVER (ORDER BY t)",
    " OVER (PARTITION BY g ORDER BY t)",
    " OVER (ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)",
    " OVER (ORDER BY t ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)",
    " OVER (ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
    " OVER ()",
    " OVER (PARTITION BY g)",
];

fn context() -> &'static (Runtime, SessionContext) {
    static CONTEXT: OnceLock<(Runtime, SessionContext)> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let runtime = Runtime::new().expect("a tokio runtime");
        let ctx = SessionContext::new();
        cumulus::datafusion::register(&ctx).expect("register");
        let item = Arc::new(Field::new("item", DataType::Int64, true));
        let v = FixedSizeListArray::new(
            item,
            2,
            Arc::new(Int64Array::from(vec![Some(1), None, Some(3), Some(4), Some(5), Some(6)])),
            None,
        );
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from(vec![1, 1, 2])),
            Arc::new(Int64Array::from(vec![1, 2, 3])),
            Arc::new(Int64Array::from(vec![Some(i64::MAX), None, Some(7)])),
            Arc::new(Float64Array::from(vec![0.5, f64::NAN, -0.0])),
            Arc::new(v),
        ];
        let batch = RecordBatch::try_from_iter(["g", "t", "x", "f", "v"].into_iter().zip(columns))
            .expect("a batch");
        ctx.register_batch("tab", batch).expect("register the table");
        (runtime, ctx)
    })
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = data.iter().copied();
    let mut next = || bytes.next().unwrap_or(0) as usize;
    let function = FUNCTIONS[next() % FUNCTIONS.len()];
    let column = COLUMNS[next() % COLUMNS.len()];
    let mut args = vec![column.to_string()];
    for _ in 0..next() % 7 {
        let value = VALUES[next() % VALUES.len()];
        if next() % 3 == 0 {
            args.push(format!("{} => {value}", NAMES[next() % NAMES.len()]));
        } else {
            args.push(value.to_string());
        }
    }
    let over = OVERS[next() % OVERS.len()];
    let group_by = if next() % 5 == 0 { " GROUP BY g" } else { "" };
    let sql = format!(
        "SELECT g, {function}({}){over} AS y FROM tab{group_by}",
        args.join(", ")
    );
    let (runtime, ctx) = context();
    runtime.block_on(async {
        if let Ok(df) = ctx.sql(&sql).await {
            let _ = df.collect().await;
        }
    });
});
