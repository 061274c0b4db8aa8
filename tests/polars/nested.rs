//! `Array` (fixed-size list) columns along each axis and `List` columns within each
//! list: the core's results, by hand and on the same data.

use std::sync::Arc;

use arrow::array::{Array as _, FixedSizeListArray, LargeListArray};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{Field, Int32Type, Int64Type};
use cumulus::polars::CumulusExpr;
use cumulus::{Axis, NullPolicy, Operation, ScanOptions};
use polars::prelude::*;

use crate::agree::check;
use crate::{chunked, polars_rows};

type Rows = Vec<Option<Vec<Option<i64>>>>;

fn rows() -> Rows {
    vec![
        Some(vec![Some(1), Some(2)]),
        Some(vec![Some(3), None]),
        None,
        Some(vec![Some(5), Some(6)]),
        Some(vec![Some(-7), Some(8)]),
        Some(vec![None, Some(10)]),
    ]
}

fn polars_lists(rows: &Rows) -> Series {
    let lists: Vec<Option<Series>> = rows
        .iter()
        .map(|r| r.as_ref().map(|v| Series::new("".into(), v)))
        .collect();
    Series::new("a".into(), lists)
}

fn polars_array(rows: &Rows, width: usize) -> Series {
    polars_lists(rows)
        .cast(&DataType::Array(Box::new(DataType::Int64), width))
        .unwrap()
}

fn text(rows: &[&str]) -> Vec<Option<String>> {
    rows.iter()
        .map(|r| (*r != "null").then(|| r.to_string()))
        .collect()
}

fn with_axis(axis: impl Into<Axis>) -> ScanOptions {
    ScanOptions::default().with_axis(axis)
}

#[test]
fn array_columns_by_hand() {
    let df = df!["g" => [1, 1, 2, 2]].unwrap();
    let a = polars_array(&rows()[..4].to_vec(), 2);
    let df = df.hstack(&[a.into_column()]).unwrap();
    let out = df
        .lazy()
        .with_columns([
            col("a").np_cumsum(with_axis(0)).alias("down"),
            col("a").np_cumsum(with_axis(-1)).alias("across"),
            col("a")
                .np_cumsum(with_axis(0))
                .over([col("g")])
                .unwrap()
                .alias("down_g"),
        ])
        .collect()
        .unwrap();
    let rows_of = |name: &str| polars_rows(out.column(name).unwrap().as_materialized_series());
    assert_eq!(
        out.column("down").unwrap().dtype(),
        &DataType::Array(Box::new(DataType::Int64), 2)
    );
    assert_eq!(
        rows_of("down"),
        text(&["[1, 2]", "[4, null]", "null", "[9, 8]"])
    );
    assert_eq!(
        rows_of("across"),
        text(&["[1, 3]", "[3, null]", "null", "[5, 11]"])
    );
    assert_eq!(
        rows_of("down_g"),
        text(&["[1, 2]", "[4, null]", "null", "[5, 6]"])
    );
}

#[test]
fn flattening_returns_every_element_in_one_column() {
    let df = df!["a" => [1i32, 2, 3, 4, 5, 6]].unwrap();
    let a = df
        .column("a")
        .unwrap()
        .as_materialized_series()
        .reshape_array(&[ReshapeDimension::Infer, ReshapeDimension::new_dimension(3)])
        .unwrap();
    let out = DataFrame::new(2, vec![a.into_column()])
        .unwrap()
        .lazy()
        .select([col("a").np_cumsum(ScanOptions::default())])
        .collect()
        .unwrap();
    let a = out.column("a").unwrap().as_materialized_series();
    assert_eq!(a.dtype(), &DataType::Int64);
    assert_eq!(polars_rows(a), text(&["1", "3", "6", "10", "15", "21"]));
}

#[test]
fn array_columns_agree_with_the_core() {
    let rows = rows();
    let arrow = FixedSizeListArray::from_iter_primitive::<Int64Type, _, _>(rows.clone(), 2);
    let series = chunked(&polars_array(&rows, 2), &[2, 1]);
    for axis in [
        Axis::Flatten,
        Axis::Index(0),
        Axis::Index(1),
        Axis::Index(-1),
        Axis::Index(2),
    ] {
        for nulls in [
            NullPolicy::Skip,
            NullPolicy::Propagate,
            NullPolicy::Carry,
            NullPolicy::Identity,
        ] {
            for reverse in [false, true] {
                let options = with_axis(axis).with_nulls(nulls).with_reverse(reverse);
                for op in Operation::ALL {
                    check(op, &series, &arrow, &options);
                }
            }
        }
    }
}

#[test]
fn nested_arrays_agree_with_the_core() {
    // 2 rows of shape (3, 2): an Array(Array(Int32, 2), 3) column.
    let inner: Vec<Option<Vec<Option<i32>>>> = (0..6)
        .map(|i| (i != 4).then(|| vec![Some(i), (i != 1).then_some(10 * i)]))
        .collect();
    let inner_arrow = FixedSizeListArray::from_iter_primitive::<Int32Type, _, _>(inner.clone(), 2);
    let field = Arc::new(Field::new("item", inner_arrow.data_type().clone(), true));
    let arrow = FixedSizeListArray::new(
        field,
        3,
        Arc::new(inner_arrow),
        Some(NullBuffer::from(vec![true, true])),
    );
    let inner_lists: Vec<Option<Series>> = inner
        .iter()
        .map(|r| r.as_ref().map(|v| Series::new("".into(), v)))
        .collect();
    let outer: Vec<Option<Series>> = inner_lists
        .chunks(3)
        .map(|row| Some(Series::new("".into(), row.to_vec())))
        .collect();
    let series = Series::new("n".into(), outer)
        .cast(&DataType::Array(
            Box::new(DataType::Array(Box::new(DataType::Int32), 2)),
            3,
        ))
        .unwrap();
    assert_eq!(
        series.dtype(),
        &DataType::Array(Box::new(DataType::Array(Box::new(DataType::Int32), 2)), 3)
    );
    for axis in [
        Axis::Flatten,
        Axis::Index(0),
        Axis::Index(1),
        Axis::Index(2),
        Axis::Index(-2),
    ] {
        for nulls in [NullPolicy::Skip, NullPolicy::Carry] {
            let options = with_axis(axis).with_nulls(nulls);
            for op in [Operation::Cumsum, Operation::Cummax] {
                check(op, &series, &arrow, &options);
            }
        }
    }
}

#[test]
fn list_columns_scan_within_each_list() {
    let rows: Rows = vec![
        Some(vec![Some(1), Some(2)]),
        Some(vec![Some(3)]),
        None,
        Some(vec![Some(5), None, Some(7)]),
        Some(vec![]),
    ];
    let series = polars_lists(&rows);
    let out = cumulus::polars::scan_series(Operation::Cumsum, &series, &with_axis(-1)).unwrap();
    assert_eq!(out.dtype(), &DataType::List(Box::new(DataType::Int64)));
    assert_eq!(
        polars_rows(&out),
        text(&["[1, 3]", "[3]", "null", "[5, null, 12]", "[]"])
    );

    let arrow = LargeListArray::from_iter_primitive::<Int64Type, _, _>(rows.clone());
    let series = chunked(&series, &[1, 2]);
    for axis in [
        Axis::Index(-1),
        Axis::Index(1),
        Axis::Index(0),
        Axis::Flatten,
    ] {
        for nulls in [
            NullPolicy::Skip,
            NullPolicy::Propagate,
            NullPolicy::Carry,
            NullPolicy::Identity,
        ] {
            let options = with_axis(axis).with_nulls(nulls);
            for op in Operation::ALL {
                check(op, &series, &arrow, &options);
            }
        }
    }
}

#[test]
fn lists_in_groups_start_at_nonzero_offsets() {
    let rows: Rows = vec![
        Some(vec![Some(1), Some(2)]),
        Some(vec![Some(3)]),
        Some(vec![Some(4), Some(5), Some(6)]),
        None,
    ];
    let df = df!["g" => [1, 2, 1, 2]].unwrap();
    let df = df.hstack(&[polars_lists(&rows).into_column()]).unwrap();
    let out = df
        .lazy()
        .group_by_stable([col("g")])
        .agg([col("a").np_cumsum(with_axis(-1))])
        .collect()
        .unwrap();
    let a = out.column("a").unwrap().as_materialized_series();
    assert_eq!(
        polars_rows(a),
        text(&["[[1, 3], [4, 9, 15]]", "[[3], null]"])
    );
}

#[test]
fn zero_width_arrays_keep_their_rows() {
    let empty = || Series::new("".into(), Vec::<i64>::new());
    let a = Series::new("a".into(), [empty(), empty()])
        .cast(&DataType::Array(Box::new(DataType::Int64), 0))
        .unwrap();
    for axis in [0, -1] {
        let out = cumulus::polars::scan_series(Operation::Cumsum, &a, &with_axis(axis)).unwrap();
        assert_eq!((out.len(), out.dtype()), (2, a.dtype()));
    }
    let flat =
        cumulus::polars::scan_series(Operation::Cumsum, &a, &ScanOptions::default()).unwrap();
    assert_eq!((flat.len(), flat.dtype()), (0, &DataType::Int64));
}

#[test]
fn flattening_beside_other_columns_is_a_shape_error_not_a_panic() {
    let a = polars_array(&rows()[..2].to_vec(), 2);
    let df = DataFrame::new(2, vec![Column::new("g".into(), [1, 2]), a.into_column()]).unwrap();
    let flat = || col("a").np_cumsum(ScanOptions::default());
    let err = df
        .clone()
        .lazy()
        .with_columns([flat().alias("f")])
        .collect()
        .unwrap_err();
    assert!(matches!(err, PolarsError::ShapeMismatch(_)), "{err:?}");
    // In an aggregation each group becomes one list of all its elements.
    let out = df
        .lazy()
        .group_by_stable([col("g")])
        .agg([flat()])
        .collect()
        .unwrap();
    let a = out.column("a").unwrap().as_materialized_series();
    assert_eq!(polars_rows(a), text(&["[1, 3]", "[3, null]"]));
}
