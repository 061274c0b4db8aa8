//! NaN bit patterns as NumPy 2.4.6 on x86-64 leaves them (each case reproduced there):
//! a signalling NaN that starts a lane is copied, casts to and from half move payloads
//! with NumPy's bit routines, and when the running value and the element are both NaN the
//! running value's NaN wins, whatever the path (nulls, chunks, axes).

use std::sync::Arc;

use arrow::array::*;
use arrow::buffer::NullBuffer;
use arrow::datatypes::*;
use cumulus::{Operation, ScanOptions, Scanner};
use half::f16;

fn bits64(y: &dyn Array) -> Vec<u64> {
    y.as_primitive::<Float64Type>()
        .values()
        .iter()
        .map(|v| v.to_bits())
        .collect()
}

#[test]
fn a_signalling_nan_that_starts_a_lane_is_copied() {
    let x = Float64Array::from(vec![f64::from_bits(0x7ff0_0000_0000_0001), 1.5]);
    let y = cumulus::cumsum(&x, &ScanOptions::default()).unwrap();
    assert_eq!(bits64(&y), [0x7ff0_0000_0000_0001, 0x7ff8_0000_0000_0001]);
    let y = cumulus::cumprod(&x, &ScanOptions::default()).unwrap();
    assert_eq!(bits64(&y), [0x7ff0_0000_0000_0001, 0x7ff8_0000_0000_0001]);
    // Reversed, the lane starts at the last element.
    let x = Float64Array::from(vec![1.5, f64::from_bits(0x7ff0_0000_0000_0001)]);
    let y = cumulus::cumsum(&x, &ScanOptions::default().with_reverse(true)).unwrap();
    assert_eq!(bits64(&y), [0x7ff8_0000_0000_0001, 0x7ff0_0000_0000_0001]);
    // Float32 and float16, and after leading nulls.
    let x = Float32Array::from(vec![None, Some(f32::from_bits(0x7f80_0001)), Some(1.5)]);
    let y = cumulus::cumsum(&x, &ScanOptions::default()).unwrap();
    assert_eq!(
        y.as_primitive::<Float32Type>().value(1).to_bits(),
        0x7f80_0001
    );
    let x = Float16Array::from(vec![f16::from_bits(0x7c01), f16::from_f32(1.5)]);
    let y = cumulus::cumsum(&x, &ScanOptions::default()).unwrap();
    assert_eq!(y.as_primitive::<Float16Type>().value(0).to_bits(), 0x7c01);
}

#[test]
fn casts_to_and_from_half_keep_numpys_payloads() {
    let x = Float16Array::from(vec![f16::from_bits(0x7c01)]);
    let options = ScanOptions::default().with_dtype(DataType::Float32);
    let y = cumulus::cummax(&x, &options).unwrap();
    assert_eq!(
        y.as_primitive::<Float32Type>().value(0).to_bits(),
        0x7f80_2000
    );
    let to_half = ScanOptions::default().with_dtype(DataType::Float16);
    for (input, want) in [
        (0x7ff0_0000_0000_0001u64, 0x7c01u16),
        (0x7ff4_0000_0000_0000, 0x7d00),
    ] {
        let x = Float64Array::from(vec![f64::from_bits(input)]);
        let y = cumulus::cummax(&x, &to_half).unwrap();
        assert_eq!(
            y.as_primitive::<Float16Type>().value(0).to_bits(),
            want,
            "{input:#x}"
        );
    }
}

/// `[[0xFFF8000000000123, 1.0], [0x7FF8000000000000, null]]` along axis 0: the running
/// NaN of column 0 wins, also when column 1 has a null (the per-element path).
#[test]
fn the_running_nan_wins_along_axis_0_with_nulls() {
    let values = Float64Array::new(
        vec![
            f64::from_bits(0xfff8_0000_0000_0123),
            1.0,
            f64::from_bits(0x7ff8_0000_0000_0000),
            2.0,
        ]
        .into(),
        Some(NullBuffer::from(vec![true, true, true, false])),
    );
    let item = Arc::new(Field::new("item", DataType::Float64, true));
    let column = FixedSizeListArray::new(item, 2, Arc::new(values), None);
    let options = ScanOptions::default().with_axis(0);
    let check = |y: &dyn Array| {
        let y = y.as_fixed_size_list();
        let lanes = y.values().as_primitive::<Float64Type>();
        assert_eq!(lanes.value(2).to_bits(), 0xfff8_0000_0000_0123);
    };
    check(cumulus::cumsum(&column, &options).unwrap().as_ref());
    let mut scanner = Scanner::try_new(Operation::Cumsum, column.data_type(), &options).unwrap();
    scanner.push(&column.slice(0, 1)).unwrap();
    let second = scanner.push(&column.slice(1, 1)).unwrap();
    let lanes = second
        .as_fixed_size_list()
        .values()
        .as_primitive::<Float64Type>()
        .clone();
    assert_eq!(lanes.value(0).to_bits(), 0xfff8_0000_0000_0123);
}
