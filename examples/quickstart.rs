//! The array API in two minutes: NumPy's result types, `dtype=`, null policies, NumPy's
//! float arithmetic, and an overflow reported instead of wrapped.
//!
//! Run: `cargo run --release --example quickstart`

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float32Array, Float64Array, Int8Array, Int32Array, Int64Array,
};
use arrow::datatypes::{DataType, Int8Type, Int64Type};
use arrow::record_batch::RecordBatch;
use arrow::util::pretty::pretty_format_batches;
use cumulus::{NullPolicy, Overflow, ScanOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. NumPy widens small integers: int8 sums are int64, so 100 + 100 + 100 = 300.
    let x = Int8Array::from(vec![100, 100, 100]);
    let widened = cumulus::cumsum(&x, &ScanOptions::default())?;
    // ... unless dtype= asks for int8, which wraps like np.cumsum(x, dtype=np.int8).
    let wrapped = cumulus::cumsum(&x, &ScanOptions::default().with_dtype(DataType::Int8))?;
    let widened_values = widened.as_primitive::<Int64Type>().values().to_vec();
    let wrapped_values = wrapped.as_primitive::<Int8Type>().values().to_vec();
    println!(
        "cumsum(int8 [100, 100, 100])             = {widened_values:?} as {}",
        widened.data_type()
    );
    println!(
        "cumsum(int8 [100, 100, 100], dtype=int8) = {wrapped_values:?} (NumPy: [100, -56, 44])\n"
    );

    // 2. Null policies on [1, null, 2]: NumPy has no nulls; these are the peers' choices.
    let x: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None, Some(2)]));
    let mut columns = vec![("input", x.clone())];
    for (name, policy) in [
        ("skip", NullPolicy::Skip),
        ("propagate", NullPolicy::Propagate),
        ("carry", NullPolicy::Carry),
        ("identity", NullPolicy::Identity),
    ] {
        columns.push((
            name,
            cumulus::cumsum(x.as_ref(), &ScanOptions::default().with_nulls(policy))?,
        ));
    }
    println!("cumsum of [1, null, 2] under each null policy:");
    println!(
        "{}\n",
        pretty_format_batches(&[RecordBatch::try_from_iter(columns)?])?
    );

    // 3. float32 is summed in float32, left to right: bit for bit NumPy (Polars sums in f64).
    let tenths = Float32Array::from(vec![0.1f32; 10]);
    let sums = cumulus::cumsum(&tenths, &ScanOptions::default())?;
    let sums = sums.as_any().downcast_ref::<Float32Array>().unwrap();
    println!(
        "float32 cumsum of ten 0.1s, element 6: {:#010x} (NumPy: 0x3f333334)",
        sums.value(6).to_bits()
    );

    // 4. The first output is the first input: -0.0 stays -0.0.
    let y = cumulus::cumsum(&Float64Array::from(vec![-0.0]), &ScanOptions::default())?;
    println!(
        "cumsum([-0.0]) = {:?}",
        y.as_any().downcast_ref::<Float64Array>().unwrap().value(0)
    );

    // 5. Wrapping is NumPy's default; Overflow::Error reports the row instead.
    let big = Int64Array::from(vec![i64::MAX, 1]);
    let wrapped = cumulus::cumsum(&big, &ScanOptions::default())?;
    println!(
        "cumsum(int64 [max, 1]) wraps to {:?}",
        wrapped.as_primitive::<Int64Type>().values().to_vec()
    );
    let err =
        cumulus::cumsum(&big, &ScanOptions::default().with_overflow(Overflow::Error)).unwrap_err();
    println!("with Overflow::Error: {err}");
    Ok(())
}
