//! Outputs beyond the size where fresh buffers become huge-page mappings, through the
//! unrolled short-row path, compared with a plain loop.

use std::sync::Arc;

use arrow::array::{Array, AsArray, FixedSizeListArray, Float64Array, Int64Array};
use arrow::datatypes::{Field, Float64Type, Int64Type};
use cumulus::{Axis, ScanOptions};

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
