//! NumPy's cumulative operations in a Polars pipeline: running totals per group with
//! `.over()`, running vectors down an `Array` column (axis 0), and NumPy's int32 -> int64
//! widening beside Polars' own `cum_sum` (which keeps Int32).
//!
//! Run with `cargo run --example polars_pipeline --features polars`.

use cumulus::polars::CumulusExpr;
use cumulus::{NullPolicy, ScanOptions};
use polars::prelude::*;

fn main() -> PolarsResult<()> {
    // Sales per store; one amount is missing.
    let sales = df![
        "store" => ["a", "b", "a", "b", "a", "b"],
        "amount" => [Some(10i32), Some(5), None, Some(7), Some(3), Some(1)],
    ]?;
    let totals = sales
        .lazy()
        .with_columns([
            // NumPy's default: a null stays null, the total carries on past it.
            col("amount")
                .np_cumsum(ScanOptions::default())
                .over([col("store")])?
                .alias("running"),
            // SQL's window sum: a null repeats the running total.
            col("amount")
                .np_cumsum(ScanOptions::default().with_nulls(NullPolicy::Carry))
                .over([col("store")])?
                .alias("running_carry"),
        ])
        .collect()?;
    println!("Running totals per store (a: 10, null, 13; b: 5, 12, 13):\n{totals}\n");

    // Positions (x, y) per step: axis 0 sums the steps into running positions.
    let steps = Series::new(
        "step".into(),
        [
            Series::new("".into(), [1i64, 0]),
            Series::new("".into(), [0i64, 2]),
            Series::new("".into(), [3i64, -1]),
        ],
    )
    .cast(&DataType::Array(Box::new(DataType::Int64), 2))?;
    let path = DataFrame::new(3, vec![steps.into_column()])?
        .lazy()
        .with_columns([col("step")
            .np_cumsum(ScanOptions::default().with_axis(0))
            .alias("position")])
        .collect()?;
    println!("Running positions down an Array column (expect [1, 0], [1, 2], [4, 1]):\n{path}\n");

    // int32 up to its maximum: NumPy's cumsum accumulates in int64, Polars' cum_sum in
    // Int32, where one more unit would overflow (a panic in debug builds, a wrap in release).
    let big = df!["x" => [1_500_000_000i32, 600_000_000, 47_483_647]]?;
    let widened = big
        .lazy()
        .select([
            col("x")
                .np_cumsum(ScanOptions::default())
                .alias("np_cumsum"),
            col("x").cum_sum(false).alias("polars_cum_sum"),
        ])
        .collect()?;
    println!(
        "int32 sums reaching 2147483647: np_cumsum is i64, Polars' cum_sum stays i32:\n{widened}"
    );
    Ok(())
}
