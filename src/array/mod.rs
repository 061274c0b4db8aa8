//! The Arrow layer: dispatch by `DataType`, NumPy's result-type rules, N-dimensional
//! shapes and axes, the streaming [`Scanner`], and NumPy's `out=`. Engine adapters call
//! this layer; it calls the [`crate::kernels`].

mod cumulative;
mod decimal;
mod leaf;
mod nested;
mod out;
mod scanner;
mod shape;
mod tensor;
pub(crate) mod types;

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::{DataType, Field};

pub use cumulative::{
    cumulative, cumulative_field, cumulative_prod, cumulative_result_field, cumulative_sum,
};
pub use out::{scan_in_place, scan_into, scan_into_dyn};
pub(crate) use scanner::Plan;
#[cfg_attr(not(feature = "datafusion"), allow(unused_imports))]
pub(crate) use scanner::ScanProgress;
pub use scanner::Scanner;
pub use tensor::tensor_field;

use crate::{Operation, Result, ScanOptions};

/// Runs `op` over a whole column.
///
/// Works on plain columns of bool, integer, float, decimal and duration values, and on
/// FixedSizeList (N-dimensional), List and LargeList columns of them along
/// [`ScanOptions::axis`]. For `arrow.fixed_shape_tensor` columns use [`scan_field`], which
/// reads the tensor's shape from the field.
///
/// ```
/// use arrow::array::{Array, Int8Array, Int64Array};
/// use cumulus::{Operation, ScanOptions};
///
/// let x = Int8Array::from(vec![100, 100, 100]);
/// let y = cumulus::scan(Operation::Cumsum, &x, &ScanOptions::default())?;
/// assert_eq!(y.as_ref(), &Int64Array::from(vec![100, 200, 300]) as &dyn Array);
/// # Ok::<(), cumulus::Error>(())
/// ```
///
/// # Errors
/// [`crate::Error`] naming the operation: an unsupported type or `dtype`, an axis out of
/// bounds, or (under [`crate::Overflow::Error`]) an overflow with its row.
pub fn scan(op: Operation, array: &dyn Array, options: &ScanOptions) -> Result<ArrayRef> {
    Scanner::try_new(op, array.data_type(), options)?.push(array)
}

/// Runs `op` over a column described by `field` and returns the output field with it.
///
/// The field's metadata is read: an `arrow.fixed_shape_tensor` column of shape `[a, b]`
/// is scanned as an `m x a x b` array. The output field keeps the name and metadata.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Array, FixedSizeListArray, Int64Array};
/// use arrow::datatypes::{DataType, Field};
/// use cumulus::{Operation, ScanOptions};
///
/// // One tensor of shape [2, 2] per row: [[1, 2], [3, 4]].
/// let item = Arc::new(Field::new("item", DataType::Int64, false));
/// let values = Arc::new(Int64Array::from(vec![1, 2, 3, 4]));
/// let tensors = FixedSizeListArray::new(item.clone(), 4, values, None);
/// let field = Field::new("t", tensors.data_type().clone(), false).with_metadata(
///     [("ARROW:extension:name".to_string(), "arrow.fixed_shape_tensor".to_string()),
///      ("ARROW:extension:metadata".to_string(), r#"{"shape":[2,2]}"#.to_string())].into(),
/// );
/// let options = ScanOptions::default().with_axis(1); // down each tensor's columns
/// let (out_field, out) = cumulus::scan_field(Operation::Cumsum, &field, &tensors, &options)?;
/// let out = out.as_any().downcast_ref::<FixedSizeListArray>().unwrap();
/// assert_eq!(out.values().as_ref(), &Int64Array::from(vec![1, 2, 4, 6]) as &dyn Array);
/// assert_eq!(out_field.metadata(), field.metadata());
/// # Ok::<(), cumulus::Error>(())
/// ```
///
/// # Errors
/// As [`scan`], and [`crate::Error::InvalidTensor`] for unreadable tensor metadata.
pub fn scan_field(
    op: Operation,
    field: &Field,
    array: &dyn Array,
    options: &ScanOptions,
) -> Result<(Field, ArrayRef)> {
    let mut scanner = Scanner::for_field(op, field, options)?;
    let output = scanner.push(array)?;
    Ok((scanner.output_field(field), output))
}

/// The type `op` returns for a column of `input` with `options`, without computing
/// anything (engines need it when planning).
///
/// ```
/// use arrow::datatypes::DataType;
/// use cumulus::{Operation, ScanOptions};
///
/// let t = cumulus::result_type(Operation::Cumsum, &DataType::UInt16, &ScanOptions::default())?;
/// assert_eq!(t, DataType::UInt64);
/// let options = ScanOptions::default().with_dtype(DataType::Float32);
/// assert_eq!(cumulus::result_type(Operation::Cummax, &DataType::Int8, &options)?, DataType::Float32);
/// # Ok::<(), cumulus::Error>(())
/// ```
///
/// # Errors
/// The errors [`scan`] would raise before looking at any data.
pub fn result_type(op: Operation, input: &DataType, options: &ScanOptions) -> Result<DataType> {
    Ok(Plan::new(op, input, None, options)?.output_type)
}

/// The field `op` returns for the column described by `input` (reading tensor metadata).
///
/// ```
/// use arrow::datatypes::{DataType, Field};
/// use cumulus::{Operation, ScanOptions};
///
/// let f = cumulus::result_field(Operation::Cumprod, &Field::new("x", DataType::Int32, true), &ScanOptions::default())?;
/// assert_eq!(f, Field::new("x", DataType::Int64, true));
/// # Ok::<(), cumulus::Error>(())
/// ```
///
/// # Errors
/// As [`result_type`], and for unreadable tensor metadata.
pub fn result_field(op: Operation, input: &Field, options: &ScanOptions) -> Result<Field> {
    let plan = Plan::new(op, input.data_type(), Some(input.metadata()), options)?;
    Ok(plan.output_field(input))
}
