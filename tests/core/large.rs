//! Outputs beyond the size where fresh buffers become huge-page mappings, through the
//! unrolled short-row path, compared with a plain loop.

use std::sync::Arc;

use arrow::array::{Array, AsArray, FixedSizeListArray, Float64Array, Int64Array};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type};
use cumulus::{Axis, Operation, ScanOptions};

/// 2.5 million rows of 4: an 80 MB output, beyond every size threshold.
const ROWS: usize = 2_500_000;
const WIDTH: usize = 4;

fn matrix(values: Arc<dyn Array>) -> FixedSizeListArray {
    let item = Arc::new(Field::new("item", values.data_type().clone(), false));
    FixedSizeListArray::new(item, WIDTH as i32, values, None)
}

fn flat(y: &dyn Array) -> Arc<dyn Array> {
    y.as_fixed_size_list().values().clone()
}

#[test]
fn last_axis_of_a_large_int64_matrix_equals_a_plain_loop() {
    let values: Vec<i64> = (0..ROWS * WIDTH)
        .map(|i| (i as i64).wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as i64))
        .collect();
    let x = matrix(Arc::new(Int64Array::from(values.clone())));
    for reverse in [false, true] {
        let options = ScanOptions::default()
            .with_axis(Axis::Index(1))
            .with_reverse(reverse);
        let y = cumulus::cumsum(&x, &options).unwrap();
        let mut expected = values.clone();
        for row in expected.chunks_exact_mut(WIDTH) {
            let mut acc = 0i64;
            let mut step = |v: &mut i64| {
                acc = acc.wrapping_add(*v);
                *v = acc;
            };
            if reverse {
                row.iter_mut().rev().for_each(&mut step);
            } else {
                row.iter_mut().for_each(&mut step);
            }
        }
        assert_eq!(
            flat(y.as_ref()).as_primitive::<Int64Type>().values(),
            &expected[..]
        );
    }
}

#[test]
fn last_axis_of_a_large_float64_matrix_is_bitwise_a_plain_loop() {
    let values: Vec<f64> = (0..ROWS * WIDTH)
        .map(|i| match i % 7 {
            0 => -0.0,
            1 => 1e300,
            _ => (i % 1000) as f64 / 7.0 - 70.0,
        })
        .collect();
    let x = matrix(Arc::new(Float64Array::from(values.clone())));
    let y = cumulus::cumsum(&x, &ScanOptions::default().with_axis(Axis::Index(-1))).unwrap();
    let mut expected = values;
    for row in expected.chunks_exact_mut(WIDTH) {
        for k in 1..WIDTH {
            row[k] += row[k - 1];
        }
    }
    let actual = flat(y.as_ref());
    let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(actual.as_primitive::<Float64Type>().values()),
        bits(&expected)
    );
}

/// `values` as a column of `rows` rows, each a `outer x inner` block (nested lists).
fn nested(values: Vec<i64>, outer: i32, inner: i32) -> Arc<dyn Array> {
    let leaf = Arc::new(Int64Array::from(values));
    let item = Arc::new(Field::new("item", DataType::Int64, false));
    let level = Arc::new(FixedSizeListArray::new(item, inner, leaf, None));
    let row = Arc::new(Field::new("item", level.data_type().clone(), false));
    Arc::new(FixedSizeListArray::new(row, outer, level, None))
}

fn leaf_values(y: &dyn Array) -> Vec<i64> {
    let mut y = y;
    let mut holder;
    while let Some(list) = y.as_fixed_size_list_opt() {
        let width = list.value_length() as usize;
        holder = list
            .values()
            .slice(list.offset() * width, list.len() * width);
        y = holder.as_ref();
    }
    y.as_primitive::<Int64Type>().values().to_vec()
}

#[test]
fn scan_into_a_dense_nested_column_equals_scan() {
    // 6 rows of 2 x 3, sliced to rows 1..5 so both the parent and the leaf are offset.
    let values: Vec<i64> = (0..36).map(|i| (i * 7 % 11) - 5).collect();
    let column = nested(values, 2, 3).slice(1, 4);
    let axes = [
        Axis::Flatten,
        Axis::Index(0),
        Axis::Index(1),
        Axis::Index(2),
        Axis::Index(-1),
    ];
    for op in [Operation::Cumsum, Operation::Cumprod, Operation::Cummax] {
        for axis in axes {
            for reverse in [false, true] {
                let options = ScanOptions::default().with_axis(axis).with_reverse(reverse);
                let expected = leaf_values(
                    cumulus::scan(op, column.as_ref(), &options)
                        .unwrap()
                        .as_ref(),
                );
                let mut out = vec![0i64; 24];
                let validity = cumulus::scan_into(op, column.as_ref(), &options, &mut out).unwrap();
                assert_eq!(out, expected, "{op} axis {axis:?} reverse {reverse}");
                assert!(validity.is_none());
            }
        }
    }
}

#[test]
fn scan_into_a_dense_nested_column_reports_overflow_like_scan() {
    let column = nested(vec![1, i64::MAX, 3, 4, 5, 6, 7, 8], 2, 2);
    let options = ScanOptions::default()
        .with_axis(Axis::Index(-1))
        .with_overflow(cumulus::Overflow::Error);
    let expected = cumulus::scan(Operation::Cumsum, column.as_ref(), &options).unwrap_err();
    let mut out = vec![0i64; 8];
    let actual =
        cumulus::scan_into(Operation::Cumsum, column.as_ref(), &options, &mut out).unwrap_err();
    assert_eq!(actual.to_string(), expected.to_string());
}
