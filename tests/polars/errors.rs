//! Errors are `PolarsError`s carrying the core's text: types and options when planning,
//! overflow when scanning.

use arrow::array::Int64Array;
use arrow::datatypes::DataType as ArrowType;
use cumulus::polars::{CumulusExpr, scan_series};
use cumulus::{Operation, Overflow, ScanOptions};
use polars::prelude::*;

use crate::root_error;

/// The error of planning (not running) `expr` on `df`.
fn planning_error(df: &DataFrame, expr: Expr) -> (&'static str, String) {
    let err = df
        .clone()
        .lazy()
        .select([expr])
        .collect_schema()
        .unwrap_err();
    root_error(&err)
}

#[test]
fn unsupported_polars_types_are_named_the_polars_way() {
    let df = df!["s" => ["a", "b"]].unwrap();
    let (kind, message) = planning_error(&df, col("s").np_cumsum(ScanOptions::default()));
    assert_eq!(kind, "InvalidOperation");
    assert!(
        message.starts_with(
            "cumsum: unsupported input type str; accepted: bool, int8, int16, int32, int64"
        ),
        "{message}"
    );
    let err = scan_series(
        Operation::Cummax,
        df.column("s").unwrap().as_materialized_series(),
        &ScanOptions::default(),
    )
    .unwrap_err();
    assert!(
        root_error(&err)
            .1
            .starts_with("cummax: unsupported input type str;")
    );
    let nulls = Series::full_null("n".into(), 2, &DataType::Null);
    let err = scan_series(Operation::Cumsum, &nulls, &ScanOptions::default()).unwrap_err();
    assert!(
        root_error(&err)
            .1
            .starts_with("cumsum: unsupported input type null;")
    );
}

#[test]
fn option_errors_carry_the_core_text_when_planning() {
    let a = Series::new("a".into(), [Series::new("".into(), [1i64, 2])])
        .cast(&DataType::Array(Box::new(DataType::Int64), 2))
        .unwrap();
    let df = DataFrame::new(1, vec![a.into_column()]).unwrap();
    let cases = [
        (
            col("a").np_cumsum(ScanOptions::default().with_axis(2)),
            "cumsum: axis 2 is out of bounds for array of dimension 2",
        ),
        (
            col("a").np_cumprod(ScanOptions::default().with_axis(-3)),
            "cumprod: axis -3 is out of bounds for array of dimension 2",
        ),
    ];
    for (expr, text) in cases {
        let (kind, message) = planning_error(&df, expr);
        assert_eq!(kind, "InvalidOperation");
        assert!(message.starts_with(text), "{message}");
    }
    // A dtype the core rejects for this input, word for word.
    let decimal = df!["d" => [1i64]]
        .unwrap()
        .lazy()
        .select([col("d").cast(DataType::Decimal(10, 2))])
        .collect()
        .unwrap();
    let core = cumulus::result_type(
        Operation::Cumsum,
        &ArrowType::Decimal128(10, 2),
        &ScanOptions::default().with_dtype(ArrowType::Int8),
    )
    .unwrap_err()
    .to_string();
    let (kind, message) = planning_error(
        &decimal,
        col("d").np_cumsum(ScanOptions::default().with_dtype(ArrowType::Int8)),
    );
    assert_eq!(kind, "InvalidOperation");
    assert!(message.starts_with(&core), "{message}");
    // A result Polars cannot hold.
    let (kind, message) = planning_error(
        &decimal,
        col("d").np_cumsum(ScanOptions::default().with_dtype(ArrowType::Decimal256(40, 2))),
    );
    assert_eq!(kind, "InvalidOperation");
    assert!(
        message.starts_with("cumsum: result type Decimal256(40, 2) has no Polars data type"),
        "{message}"
    );
}

#[test]
fn overflow_is_a_compute_error_with_the_core_text() {
    let options = ScanOptions::default().with_overflow(Overflow::Error);
    let values = [i64::MAX - 1, 1, 1];
    let core = cumulus::scan(
        Operation::Cumsum,
        &Int64Array::from(values.to_vec()),
        &options,
    )
    .unwrap_err()
    .to_string();
    assert!(core.contains("overflow at row 2"), "{core}");

    let series = Series::new("x".into(), values);
    let err = scan_series(Operation::Cumsum, &series, &options).unwrap_err();
    assert!(
        matches!(&err, PolarsError::ComputeError(m) if **m == *core),
        "{err:?}"
    );

    let df = DataFrame::new(3, vec![series.into_column()]).unwrap();
    let err = df
        .lazy()
        .select([col("x").np_cumsum(options)])
        .collect()
        .unwrap_err();
    assert_eq!(root_error(&err), ("ComputeError", core));
}

#[test]
fn the_error_conversion_keeps_the_text() {
    let core = cumulus::Error::AxisOutOfBounds {
        op: Operation::Cumsum,
        axis: 3,
        ndim: 2,
    };
    let text = core.to_string();
    assert!(matches!(PolarsError::from(core), PolarsError::InvalidOperation(m) if *m == *text));
}

/// A reverse scan takes the chunks last first; the overflow still names the row of the
/// whole column, as the one-shot core call on the same values does.
#[test]
fn reverse_overflow_over_chunks_names_the_row_of_the_column() {
    let values = [i64::MAX, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let series = crate::chunked(&Series::new("x".into(), values), &[3, 9]);
    assert_eq!(series.n_chunks(), 2);
    let options = ScanOptions::default()
        .with_overflow(Overflow::Error)
        .with_reverse(true);
    let err = scan_series(Operation::Cumsum, &series, &options).unwrap_err();
    let expected = cumulus::cumsum(&Int64Array::from(values.to_vec()), &options).unwrap_err();
    let (kind, message) = root_error(&err);
    assert_eq!(kind, "ComputeError");
    assert_eq!(message, expected.to_string());
    assert!(message.contains("row 0"), "{message}");
}
