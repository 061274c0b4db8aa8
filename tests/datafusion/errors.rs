//! Bad calls are errors that name the operation, the option or type, and what is accepted.

use std::sync::Arc;

use arrow::array::{FixedSizeListArray, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use cumulus::datafusion::{cumulus_error, sql_defaults};
use cumulus::{ErrorKind, Operation, Overflow};
use datafusion::error::DataFusionError;

use crate::common::{ctx, error_of, execution, planning, register_batch};

/// What every option accepts, as listed when a value fits none of them.
pub const ALL_ACCEPTED: &str = "dtype: bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32, float64 (or an alias such as double), or an Arrow type name such as Int64, Decimal128(38, 2) or Duration(Millisecond); nulls: skip, propagate, carry, identity; overflow: wrap, error; axis: an integer (negative counts from the end) or none; reverse: true or false; each option at most once, by value in any order or as name => value, NULL for the default";

fn table() -> RecordBatch {
    let item = Arc::new(Field::new("item", DataType::Int32, true));
    let v = FixedSizeListArray::new(
        Arc::clone(&item),
        2,
        Arc::new(Int32Array::from(vec![1, 2, 3, 4, 5, 6])),
        None,
    );
    RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("t", DataType::Int64, false),
            Field::new("x", DataType::Int64, true),
            Field::new("s", DataType::Utf8, true),
            Field::new("v", DataType::FixedSizeList(item, 2), true),
        ])),
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 3])),
            Arc::new(Int64Array::from(vec![i64::MAX - 1, 1, 1])),
            Arc::new(StringArray::from(vec!["a", "b", "c"])),
            Arc::new(v),
        ],
    )
    .unwrap()
}

pub async fn err(sql: &str) -> String {
    let ctx = ctx();
    register_batch(&ctx, "t", table());
    error_of(&ctx, sql).await
}

#[tokio::test]
async fn string_column() {
    assert_eq!(
        err("SELECT cumsum(s) OVER (ORDER BY t) FROM t").await,
        planning(
            "cumsum: unsupported input type Utf8; accepted: bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32, float64, Decimal128, Decimal256, Duration, and FixedSizeList, List or LargeList columns of these"
        )
    );
    assert!(err("SELECT cumprod(s) FROM t").await.starts_with(&planning(
        "cumprod: unsupported input type Utf8; accepted: bool, int8, int16, int32, int64"
    )));
}

/// A value no option takes is an error listing every option's values: the value alone
/// says which option it is, so the position it stands in (or the name DataFusion placed
/// it by) does not pick an option to blame.
#[tokio::test]
async fn unknown_option_value() {
    for (sql, value) in [
        (
            "SELECT cumsum(x, nulls => 'sometimes', dtype => NULL) OVER (ORDER BY t) FROM t",
            "cumsum: 'sometimes'",
        ),
        (
            "SELECT nancumsum(x, 'int128') OVER (ORDER BY t) FROM t",
            "nancumsum: 'int128'",
        ),
        (
            "SELECT cummax(x, NULL, NULL, 'saturate') FROM t",
            "cummax: 'saturate'",
        ),
        (
            "SELECT cumsum(x, NULL, NULL, NULL, NULL, 'yes') OVER (ORDER BY t) FROM t",
            "cumsum: 'yes'",
        ),
    ] {
        assert_eq!(
            err(sql).await,
            format!(
                "Error during planning: {value} is not a value of any option; accepted: {ALL_ACCEPTED}"
            ),
            "{sql}"
        );
    }
    // An integer is an axis wherever it stands.
    assert_eq!(
        err("SELECT cumsum(x, NULL, 3) OVER (ORDER BY t) FROM t").await,
        planning("cumsum: axis 3 is out of bounds for array of dimension 1")
    );
}

#[tokio::test]
async fn non_constant_option() {
    for (sql, text) in [
        (
            "SELECT cumsum(x, dtype => s) OVER (ORDER BY t) FROM t",
            "t.s",
        ),
        ("SELECT cumsum(x, NULL, NULL, NULL, t) FROM t", "t.t"),
    ] {
        assert_eq!(
            err(sql).await,
            format!(
                "Error during planning: cumsum: options must be constants, not {text}; accepted: {ALL_ACCEPTED}"
            )
        );
    }
}

#[tokio::test]
async fn unknown_or_skipped_option_names() {
    assert_eq!(
        err("SELECT cumsum(x, foo => 1) OVER (ORDER BY t) FROM t").await,
        "Error during planning: Unknown parameter name 'foo'. Valid parameters are: [x, dtype, nulls, overflow, axis, reverse]"
    );
    // DataFusion 55 needs named options to be a prefix of the parameter list
    // (`cumulus::datafusion::explain_error` says how to write it; see the options tests).
    assert_eq!(
        err("SELECT cumsum(x, nulls => 'skip') OVER (ORDER BY t) FROM t").await,
        "Error during planning: Missing required parameter 'dtype'"
    );
    assert_eq!(
        err("SELECT cumsum(x, dtype => NULL, reverse => true) FROM t").await,
        "Error during planning: Missing required parameter 'nulls'"
    );
    assert_eq!(
        err("SELECT cumsum(x, NULL, NULL, NULL, NULL, NULL, NULL) OVER (ORDER BY t) FROM t").await,
        "Error during planning: cumsum: too many arguments (7); accepted: at most 6, x and one value for each of dtype, nulls, overflow, axis, reverse"
    );
}

#[tokio::test]
async fn axis_out_of_range() {
    assert_eq!(
        err("SELECT cumsum(v, NULL, NULL, NULL, 2) OVER (ORDER BY t) FROM t").await,
        planning("cumsum: axis 2 is out of bounds for array of dimension 2")
    );
    assert_eq!(
        err("SELECT cumsum(x, NULL, NULL, NULL, -2) OVER (ORDER BY t) FROM t").await,
        planning("cumsum: axis -2 is out of bounds for array of dimension 1")
    );
    assert_eq!(
        err("SELECT cumsum(v, NULL, NULL, NULL, 'none') OVER (ORDER BY t) FROM t").await,
        "Error during planning: cumsum: axis none (flatten) is not supported for FixedSizeList(2 x Int32) in a window function, which must return one value per row; accepted: an axis index, 0 (the default) for a running vector down the rows"
    );
}

#[tokio::test]
async fn dtype_the_type_cannot_take() {
    assert_eq!(
        err("SELECT cumsum(x, 'Utf8') OVER (ORDER BY t) FROM t").await,
        planning(
            "cumsum: invalid value 'Utf8' for option dtype (Utf8 is not a type a scan can run in); accepted: bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32, float64 (or an alias such as double), or an Arrow type name such as Int64, Decimal128(38, 2) or Duration(Millisecond)"
        )
    );
}

#[tokio::test]
async fn frames_that_do_not_start_at_the_first_row() {
    assert_eq!(
        err("SELECT cumsum(x) OVER (ORDER BY t ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t")
            .await,
        "Error during planning: cumsum: window frame ROWS BETWEEN 1 PRECEDING AND CURRENT ROW is not supported; accepted: no frame clause, or ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW (a cumulative scan always runs from the first row of the partition to the current row)"
    );
    assert!(
        err("SELECT cumsum(DISTINCT x) OVER (ORDER BY t) FROM t")
            .await
            .contains("cumsum: DISTINCT is not supported")
    );
}

/// Issue 12, item 4: a frame that ends after the current row (at UNBOUNDED FOLLOWING, or
/// n rows on) was silently scanned as a running frame, where `sum()` gives the total. Each
/// is an error now; the frames a scan honours still run.
#[tokio::test]
async fn frames_that_end_after_the_current_row() {
    for (frame, shown) in [
        (
            "ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING",
            "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING",
        ),
        (
            "ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING",
            "RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING",
        ),
        (
            "ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING",
            "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING",
        ),
        (
            "ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING",
            "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING",
        ),
        // DataFusion orders a RANGE frame without ORDER BY by a constant.
        (
            "RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING",
            "RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING",
        ),
    ] {
        let units = shown.split(' ').next().unwrap();
        assert_eq!(
            err(&format!("SELECT cumsum(x) OVER ({frame}) FROM t")).await,
            format!(
                "Error during planning: cumsum: window frame {shown} is not supported; accepted: no frame clause, or {units} BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW (a cumulative scan always runs from the first row of the partition to the current row)"
            ),
            "{frame}"
        );
    }
    let ctx = ctx();
    register_batch(&ctx, "t", table());
    for over in [
        "ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
        "ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
        "ORDER BY t ROWS UNBOUNDED PRECEDING",
        "ORDER BY t GROUPS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
        "ORDER BY t",
        "",
        "PARTITION BY s",
    ] {
        let out = crate::common::query(
            &ctx,
            &format!("SELECT cumsum(x, 'float64') OVER ({over}) AS y FROM t ORDER BY t"),
        )
        .await
        .unwrap_or_else(|e| panic!("{over}: {e}"));
        assert_eq!(out.num_rows(), 3, "{over}");
    }
}

/// Issue 12, item 7: a float axis said "invalid value '0'"; it names the float and says
/// an integer is needed.
#[tokio::test]
async fn a_float_axis_is_named_as_written() {
    for sql in [
        "SELECT cumsum(v, dtype => NULL, nulls => NULL, overflow => NULL, axis => 0.0) OVER (ORDER BY t) FROM t",
        "SELECT cumsum(v, 0.0) OVER (ORDER BY t) FROM t",
    ] {
        assert_eq!(
            err(sql).await,
            planning(
                "cumsum: invalid value '0.0' for option axis (a floating-point number, and an axis is an integer); accepted: an integer (negative counts from the end) or none"
            ),
            "{sql}"
        );
    }
    assert!(
        err("SELECT cumsum(v, -1.5) OVER (ORDER BY t) FROM t")
            .await
            .contains("invalid value '-1.5' for option axis")
    );
}

/// Issue 12, item 7: a dtype Arrow cannot make says why, in the core's words.
#[tokio::test]
async fn an_impossible_decimal_dtype_says_why() {
    assert_eq!(
        err("SELECT cumsum(x, 'Decimal128(100, 2)') OVER (ORDER BY t) FROM t").await,
        planning(
            "cumsum: invalid value 'Decimal128(100, 2)' for option dtype (precision 100 is outside 1..=38); accepted: bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32, float64 (or an alias such as double), or an Arrow type name such as Int64, Decimal128(38, 2) or Duration(Millisecond)"
        )
    );
}

/// Issue 12, item 7: `cumsum(x)` without OVER beside GROUP BY (or another aggregate) fails
/// in DataFusion's planner with "column x must appear in the GROUP BY clause", before any
/// cumulus code runs; `explain_error` (which the command uses) says what is wrong.
#[tokio::test]
async fn a_call_without_over_beside_group_by_is_a_window_function() {
    let ctx = ctx();
    register_batch(&ctx, "t", table());
    for sql in [
        "SELECT s, cumsum(x) FROM t GROUP BY s",
        "SELECT cumsum(x) AS c FROM t GROUP BY s",
        "SELECT sum(t), cumsum(x) FROM t",
        "SELECT * FROM (SELECT s, cumsum(x) FROM t GROUP BY s)",
    ] {
        let err = ctx.sql(sql).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("must appear in the GROUP BY clause"),
            "{sql}: {err}"
        );
        assert_eq!(
            cumulus::datafusion::explain_error(&err, sql).as_deref(),
            Some(
                "Error during planning: cumsum is a window function and cannot aggregate a group; accepted: cumsum(x) OVER (PARTITION BY ... ORDER BY ...), or cumsum(x) without OVER in a query without GROUP BY or aggregates"
            ),
            "{sql}"
        );
    }
    // DataFusion's message stands where no cumulus call is at fault.
    let sql = "SELECT s, x, cumsum(x) OVER (ORDER BY t) FROM t GROUP BY s";
    let err = ctx.sql(sql).await.unwrap_err();
    assert_eq!(cumulus::datafusion::explain_error(&err, sql), None);
}

/// An overflow under `overflow => 'error'` stops the query with the core's message.
#[tokio::test]
async fn overflow_error_surfaces_as_an_execution_error() {
    let message = err("SELECT cumsum(x, NULL, NULL, 'error') OVER (ORDER BY t) FROM t").await;
    let x = Int64Array::from(vec![i64::MAX - 1, 1, 1]);
    let core = cumulus::scan(
        Operation::Cumsum,
        &x,
        &sql_defaults().with_overflow(Overflow::Error),
    )
    .unwrap_err();
    assert_eq!(message, execution(&core));
    assert!(
        message.starts_with(&execution("cumsum: Int64 overflow at row 2")),
        "{message}"
    );
    // The same under `wrap` is NumPy's modular arithmetic.
    let ctx = ctx();
    register_batch(&ctx, "t", table());
    let out = crate::common::query(&ctx, "SELECT cumsum(x) OVER (ORDER BY t) AS y FROM t")
        .await
        .unwrap();
    let y = out.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
    assert_eq!(y.values(), &[i64::MAX - 1, i64::MAX, i64::MIN]);
}

/// The typed error travels with the message: `find_root()` is DataFusion's `External`
/// error holding the `cumulus::Error`, at execution (an overflow, in the streaming
/// operator and in `WindowAggExec`, whose evaluator a `reverse` scan uses) and at
/// planning (an option the core refuses).
#[tokio::test]
async fn errors_keep_the_cumulus_error_as_their_source() {
    let ctx = ctx();
    register_batch(&ctx, "t", table());
    // Rows count from 0 in the window's order; the reverse scan of `ORDER BY t DESC`
    // adds x in t order and overflows at t = 3, the first row in DESC order.
    for (sql, at) in [
        ("SELECT cumsum(x, 'error') OVER (ORDER BY t) FROM t", 2),
        (
            "SELECT cumsum(x, 'error', true) OVER (ORDER BY t DESC) FROM t",
            0,
        ),
    ] {
        let err = ctx.sql(sql).await.unwrap().collect().await.unwrap_err();
        let DataFusionError::External(root) = err.find_root() else {
            panic!("{sql}: root {:?}", err.find_root());
        };
        let core = root
            .downcast_ref::<cumulus::Error>()
            .expect("a cumulus::Error");
        assert!(
            matches!(
                core,
                cumulus::Error::Overflow { row, data_type: DataType::Int64, element: None, .. }
                    if *row == at
            ),
            "{sql}: {core:?}"
        );
        assert_eq!(core.kind(), ErrorKind::Overflow);
        assert!(std::ptr::eq(cumulus_error(&err).unwrap(), core));
        assert!(err.to_string().starts_with("Execution error\n"), "{err}");
    }
    let err = ctx
        .sql("SELECT cumsum(x, 'Decimal128(100, 2)') OVER (ORDER BY t) FROM t")
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("Error during planning\n"),
        "{err}"
    );
    let core = cumulus_error(&err).expect("a cumulus::Error");
    assert_eq!(core.kind(), ErrorKind::InvalidOption);
    assert!(matches!(
        core,
        cumulus::Error::InvalidOption {
            option: "dtype",
            op: Some(Operation::Cumsum),
            ..
        }
    ));
    // An error about how the call is written is DataFusion's kind of plan error.
    let err = ctx
        .sql("SELECT cumsum(x, 'skip', 'carry') OVER (ORDER BY t) FROM t")
        .await
        .unwrap_err();
    assert!(matches!(err, DataFusionError::Plan(_)), "{err:?}");
    assert!(cumulus_error(&err).is_none());
}

/// Reached without the planner, the placeholder aggregate refuses to aggregate.
#[tokio::test]
async fn placeholder_without_planner() {
    let ctx = datafusion::prelude::SessionContext::new();
    for f in cumulus::datafusion::placeholder_aggregates() {
        ctx.register_udaf(f.as_ref().clone());
    }
    register_batch(&ctx, "t", table());
    let message = error_of(&ctx, "SELECT cumsum(x) FROM t").await;
    assert!(
        message.contains(
            "cumsum is a window function and cannot aggregate; accepted: cumsum(x) OVER (...)"
        ),
        "{message}"
    );
}
