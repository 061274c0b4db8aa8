//! # cumulus
//!
//! NumPy's cumulative operations (`cumsum`, `cumprod`, `nancumsum`, `nancumprod`,
//! `cummax`, `cummin`) over Apache Arrow arrays, bit for bit: NumPy's result types, its
//! left-to-right float arithmetic, its casts, its axes over N-dimensional
//! (FixedSizeList and tensor) columns, plus null handling NumPy does not have.
//!
//! ```
//! use arrow::array::{Array, Float32Array, Int32Array, Int64Array};
//! use cumulus::{NullPolicy, ScanOptions};
//!
//! // int32 widens to int64, as in NumPy.
//! let x = Int32Array::from(vec![Some(1), None, Some(2)]);
//! let skip = cumulus::cumsum(&x, &ScanOptions::default())?;
//! assert_eq!(skip.as_ref(), &Int64Array::from(vec![Some(1), None, Some(3)]) as &dyn Array);
//! let carry = cumulus::cumsum(&x, &ScanOptions::default().with_nulls(NullPolicy::Carry))?;
//! assert_eq!(carry.as_ref(), &Int64Array::from(vec![1, 1, 3]) as &dyn Array);
//!
//! // float32 accumulates in float32, left to right: 0x3f333334, as np.cumsum.
//! let tenths = Float32Array::from(vec![0.1f32; 10]);
//! let sums = cumulus::cumsum(&tenths, &ScanOptions::default())?;
//! let sums = sums.as_any().downcast_ref::<Float32Array>().unwrap();
//! assert_eq!(sums.value(6).to_bits(), 0x3f33_3334);
//! # Ok::<(), cumulus::Error>(())
//! ```
//!
//! ## Layers
//! - [`kernels`]: slice-level scans, no Arrow types;
//! - the Arrow layer: [`scan`], the six named functions, [`result_type`], [`Scanner`],
//!   [`scan_into`] and [`scan_in_place`];
//! - engine adapters behind features: `datafusion`, `ballista` (the DataFusion functions
//!   on a Ballista cluster) and `polars`.
//!
//! ## Result types
//! | input                      | cumsum, cumprod, nancumsum, nancumprod | cummax, cummin |
//! |----------------------------|----------------------------------------|----------------|
//! | bool, int8, int16, int32   | Int64                                  | unchanged      |
//! | uint8, uint16, uint32      | UInt64                                 | unchanged      |
//! | int64, uint64, float16/32/64 | unchanged                            | unchanged      |
//! | Decimal128(p, s)           | sums: Decimal128(38, s); products: error | unchanged    |
//! | Decimal256(p, s)           | sums: Decimal256(76, s); products: error | unchanged    |
//! | Duration(unit)             | sums: Duration(unit); products: error  | unchanged      |
//!
//! With `dtype: Some(T)` every element is first cast to `T` with NumPy's unsafe cast and
//! the scan runs (and wraps) in `T`. Decimal sums are always checked against the result
//! precision (wrapping a decimal has no meaning); a `dtype` Decimal with the same scale
//! chooses that precision. Durations have no NaT: `i64::MIN` is an ordinary value.
//!
//! ## N-dimensional columns
//! A column of `m` rows of `FixedSizeList<T, n>` is NumPy's `m x n` array; nested
//! fixed-size lists add dimensions, and an `arrow.fixed_shape_tensor` field of shape
//! `[a, b]` (through [`scan_field`]) is `m x a x b`. [`ScanOptions::axis`] is NumPy's
//! axis: [`Axis::Flatten`] (the default, NumPy's `axis=None`) scans every element in
//! row-major order and returns a flat array; axis 0 runs down the rows (a running vector);
//! the last axis runs within each row; negative axes count from the end. `List` and
//! `LargeList` columns scan along the last axis only (`1` or `-1`).
//!
//! Nulls in N-dimensional columns: an element is null when it, or a list that contains
//! it, is null; the [`NullPolicy`] then applies to every lane as it does to a 1-D column.
//! The output keeps the nesting:
//!
//! | policy    | null list (row) in the output | null element in the output |
//! |-----------|-------------------------------|----------------------------|
//! | Skip      | null, as in the input; the lanes' running values carry on past it | null, as in the input |
//! | Propagate | null, as in the input         | null from the lane's first null element on (a null row starts it for every lane through it) |
//! | Carry     | never null: the row holds the running values | null only before the lane's first value |
//! | Identity  | never null: the row counts as identities | never |
//!
//! For example along axis 0 of `[[1, 2], null, [3, 4]]`, `cumsum` gives
//! `[[1, 2], null, [4, 6]]` under Skip, `[[1, 2], null, [null, null]]` under Propagate,
//! `[[1, 2], [1, 2], [4, 6]]` under Carry and Identity. When flattening, the same rules
//! apply to the single lane and the output is flat.
//!
//! ## NumPy details that are matched
//! - floats are scanned strictly left to right in the result type, and the first output
//!   is the first input (`cumsum([-0.0]) == [-0.0]`);
//! - `cummax`/`cummin` propagate NaN like `np.maximum.accumulate`; on ties float32/float64
//!   take the new element and float16 keeps the running one, as NumPy's loops do;
//! - `nancumsum`/`nancumprod` replace NaN by 0/1 before the `dtype=` cast;
//! - float to integer casts truncate toward zero; out-of-range values give what NumPy
//!   gives on x86-64 (the "integer indefinite" value of the SSE conversions).

pub mod buffer;
mod kernels;

#[cfg(feature = "ballista")]
pub mod ballista;
#[cfg(feature = "datafusion")]
pub mod datafusion;
#[cfg(feature = "polars")]
pub mod polars;

mod array;
pub mod dtype;
mod error;
mod options;
mod policy;

pub use array::{
    Scanner, cumulative, cumulative_field, cumulative_prod, cumulative_result_field,
    cumulative_sum, result_field, result_type, scan, scan_field, scan_in_place, scan_into,
    scan_into_dyn, tensor_field,
};
pub use dtype::{NumpyElement, OutSlice, dtype_name, parse_dtype};
pub use error::{Error, ErrorKind, Result};
pub use options::{Axis, Operation, Overflow, ScanOption, ScanOptions};
pub use policy::NullPolicy;

use arrow::array::{Array, ArrayRef};

macro_rules! operation_fn {
    ($(#[$doc:meta])* $name:ident, $op:expr) => {
        $(#[$doc])*
        ///
        /// # Errors
        /// See [`scan`].
        pub fn $name(array: &dyn Array, options: &ScanOptions) -> Result<ArrayRef> {
            scan($op, array, options)
        }
    };
}

operation_fn!(
    /// NumPy's `np.cumsum`: the running sum.
    ///
    /// ```
    /// use arrow::array::{Array, Int8Array};
    /// use arrow::datatypes::DataType;
    /// use cumulus::ScanOptions;
    /// // dtype=int8 wraps in int8, as np.cumsum(x, dtype=np.int8).
    /// let x = Int8Array::from(vec![100, 100, 100]);
    /// let y = cumulus::cumsum(&x, &ScanOptions::default().with_dtype(DataType::Int8))?;
    /// assert_eq!(y.as_ref(), &Int8Array::from(vec![100, -56, 44]) as &dyn Array);
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    cumsum,
    Operation::Cumsum
);
operation_fn!(
    /// NumPy's `np.cumprod`: the running product.
    ///
    /// ```
    /// use arrow::array::{Array, Int64Array};
    /// let y = cumulus::cumprod(&Int64Array::from(vec![1 << 62, 4]), &Default::default())?;
    /// assert_eq!(y.as_ref(), &Int64Array::from(vec![1 << 62, 0]) as &dyn Array); // wraps
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    cumprod,
    Operation::Cumprod
);
operation_fn!(
    /// NumPy's `np.nancumsum`: the running sum with NaN counted as 0.
    ///
    /// ```
    /// use arrow::array::{Array, Float64Array};
    /// let y = cumulus::nancumsum(&Float64Array::from(vec![f64::NAN, 1.0, f64::NAN, 2.0]), &Default::default())?;
    /// assert_eq!(y.as_ref(), &Float64Array::from(vec![0.0, 1.0, 1.0, 3.0]) as &dyn Array);
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    nancumsum,
    Operation::NanCumsum
);
operation_fn!(
    /// NumPy's `np.nancumprod`: the running product with NaN counted as 1.
    ///
    /// ```
    /// use arrow::array::{Array, Float64Array};
    /// let y = cumulus::nancumprod(&Float64Array::from(vec![f64::NAN, 2.0, 3.0]), &Default::default())?;
    /// assert_eq!(y.as_ref(), &Float64Array::from(vec![1.0, 2.0, 6.0]) as &dyn Array);
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    nancumprod,
    Operation::NanCumprod
);
operation_fn!(
    /// NumPy's `np.maximum.accumulate`: the running maximum; NaN propagates.
    ///
    /// ```
    /// use arrow::array::{Array, Int32Array};
    /// let y = cumulus::cummax(&Int32Array::from(vec![1, 3, 2, 5]), &Default::default())?;
    /// assert_eq!(y.as_ref(), &Int32Array::from(vec![1, 3, 3, 5]) as &dyn Array);
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    cummax,
    Operation::Cummax
);
operation_fn!(
    /// NumPy's `np.minimum.accumulate`: the running minimum; NaN propagates.
    ///
    /// ```
    /// use arrow::array::{Array, Float64Array};
    /// let y = cumulus::cummin(&Float64Array::from(vec![2.0, 1.0, f64::NAN, 0.0]), &Default::default())?;
    /// let y = y.as_any().downcast_ref::<Float64Array>().unwrap();
    /// assert_eq!(y.value(1), 1.0);
    /// assert!(y.value(2).is_nan() && y.value(3).is_nan());
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    cummin,
    Operation::Cummin
);
