//! The adapter copies no element buffers: what the core passes through from the input
//! is the input's own memory in the output.

use cumulus::polars::scan_series;
use cumulus::{NullPolicy, Operation, ScanOptions};
use polars::prelude::*;
use polars_arrow::array::{ListArray, PrimitiveArray};

fn validity_ptr(series: &Series, chunk: usize) -> *const u8 {
    let array = series.chunks()[chunk].as_ref();
    array.validity().unwrap().as_slice().0.as_ptr()
}

#[test]
fn skipped_nulls_keep_the_input_bitmap() {
    let mut s = Series::new("x".into(), [Some(1i64), None, Some(3), Some(4)]);
    s.append(&Series::new("x".into(), [None, Some(2i64)]))
        .unwrap();
    let out = scan_series(Operation::Cumsum, &s, &ScanOptions::default()).unwrap();
    for chunk in 0..2 {
        assert_eq!(validity_ptr(&out, chunk), validity_ptr(&s, chunk));
    }
    // Under Carry the policy writes a new bitmap (there are no nulls left here).
    let carry = ScanOptions::default().with_nulls(NullPolicy::Carry);
    let out = scan_series(Operation::Cumsum, &s, &carry).unwrap();
    assert!(out.chunks()[0].validity().is_none());
}

#[test]
fn outputs_are_owned_vectors_polars_can_mutate() {
    let s = Series::new("x".into(), [1.5f64, 2.0, -1.0]);
    let out = scan_series(Operation::Cumsum, &s, &ScanOptions::default()).unwrap();
    let chunk = out.chunks()[0].clone();
    drop(out);
    let values = chunk
        .as_any()
        .downcast_ref::<PrimitiveArray<f64>>()
        .unwrap()
        .clone();
    drop(chunk);
    // Uniquely owned and Vec-backed: polars can take the vector back without a copy.
    let vec = values
        .into_mut()
        .right()
        .expect("output values are a plain Vec");
    assert_eq!(vec.values().as_slice(), &[1.5, 3.5, 2.5]);
}

#[test]
fn list_offsets_from_zero_are_the_input_offsets() {
    let s = Series::new(
        "l".into(),
        [
            Some(Series::new("".into(), [1i64, 2])),
            None,
            Some(Series::new("".into(), [3i64])),
        ],
    );
    let options = ScanOptions::default().with_axis(-1);
    let out = scan_series(Operation::Cumsum, &s, &options).unwrap();
    let offsets = |s: &Series| {
        let list = s.chunks()[0]
            .as_any()
            .downcast_ref::<ListArray<i64>>()
            .unwrap();
        list.offsets().as_slice().as_ptr()
    };
    assert_eq!(offsets(&out), offsets(&s));
}

#[test]
fn array_outputs_hold_owned_vectors_too() {
    let a = Series::new(
        "a".into(),
        [
            Series::new("".into(), [1i64, 2]),
            Series::new("".into(), [3i64, 4]),
        ],
    )
    .cast(&DataType::Array(Box::new(DataType::Int64), 2))
    .unwrap();
    let options = ScanOptions::default().with_axis(0);
    let out = scan_series(Operation::Cumsum, &a, &options).unwrap();
    let child = out.chunks()[0]
        .as_any()
        .downcast_ref::<polars_arrow::array::FixedSizeListArray>()
        .unwrap()
        .values()
        .as_any()
        .downcast_ref::<PrimitiveArray<i64>>()
        .unwrap()
        .clone();
    drop(out);
    let vec = child
        .into_mut()
        .right()
        .expect("output elements are a plain Vec");
    assert_eq!(vec.values().as_slice(), &[1, 2, 4, 6]);
}

#[test]
fn large_outputs_are_adopted_from_the_cores_huge_page_buffers() {
    // 8 MiB of int64: the core allocates a 2 MiB-aligned mapping, which polars adopts.
    let n = 1 << 20;
    let s = Series::new("x".into(), (0..n as i64).collect::<Vec<_>>());
    let out = scan_series(Operation::Cumsum, &s, &ScanOptions::default()).unwrap();
    let values = out.i64().unwrap().downcast_iter().next().unwrap().values();
    if cfg!(target_os = "linux") {
        assert_eq!(
            values.as_ptr() as usize % (2 << 20),
            0,
            "the core's buffer, not a copy"
        );
    }
    assert_eq!(values[n - 1], (n as i64 - 1) * n as i64 / 2);
    let doubled = (out.clone() + out).unwrap();
    assert_eq!(doubled.i64().unwrap().get(3), Some(12));
}
