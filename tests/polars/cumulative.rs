//! NumPy 2's cumulative_sum / cumulative_prod as Polars expressions: the output one longer
//! with include_initial, per group in group_by().agg(), Array columns along an axis.

use cumulus::polars::CumulusExpr;
use cumulus::{Operation, ScanOptions};
use polars::prelude::*;

#[test]
fn include_initial_makes_the_column_one_longer() -> PolarsResult<()> {
    let df = df!["x" => [1i32, 2, 3]]?;
    let out = df
        .clone()
        .lazy()
        .select([col("x").np_cumulative_prod(ScanOptions::default(), true)])
        .collect()?;
    let x: Vec<_> = out.column("x")?.i64()?.into_no_null_iter().collect();
    assert_eq!(x, [1, 1, 2, 6]);
    let same_length = df
        .lazy()
        .with_columns([col("x")
            .np_cumulative_sum(ScanOptions::default(), false)
            .alias("c")])
        .collect()?;
    let c: Vec<_> = same_length
        .column("c")?
        .i64()?
        .into_no_null_iter()
        .collect();
    assert_eq!(c, [1, 3, 6]);
    Ok(())
}

#[test]
fn each_group_gets_its_initial_value() -> PolarsResult<()> {
    let df = df!["g" => [1, 1, 2], "x" => [1i64, 2, 5]]?;
    let out = df
        .lazy()
        .group_by_stable([col("g")])
        .agg([col("x").np_cumulative_sum(ScanOptions::default(), true)])
        .collect()?;
    let lists = out.column("x")?.list()?.clone();
    let groups: Vec<Vec<i64>> = lists
        .amortized_iter()
        .map(|s| {
            s.unwrap()
                .as_ref()
                .i64()
                .unwrap()
                .into_no_null_iter()
                .collect()
        })
        .collect();
    assert_eq!(groups, [vec![0, 1, 3], vec![0, 5]]);
    Ok(())
}

#[test]
fn array_columns_need_an_axis_and_grow_along_it() -> PolarsResult<()> {
    let s = Series::new("a".into(), [1i64, 2, 3, 4]).reshape_array(&[
        ReshapeDimension::new_dimension(2),
        ReshapeDimension::new_dimension(2),
    ])?;
    let df = DataFrame::new(2, vec![s.into()])?;
    let err = df
        .clone()
        .lazy()
        .select([col("a").np_cumulative_sum(ScanOptions::default(), false)])
        .collect()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("need one for arrays of more than one dimension"),
        "{err}"
    );
    let out = df
        .lazy()
        .select([col("a").np_cumulative(
            Operation::Cumsum,
            ScanOptions::default().with_axis(1),
            true,
        )])
        .collect()?;
    assert_eq!(
        out.column("a")?.dtype(),
        &DataType::Array(Box::new(DataType::Int64), 3)
    );
    let flat: Vec<i64> = out
        .column("a")?
        .array()?
        .get_inner()
        .i64()?
        .into_no_null_iter()
        .collect();
    assert_eq!(flat, [0, 1, 3, 0, 3, 7]);
    Ok(())
}
