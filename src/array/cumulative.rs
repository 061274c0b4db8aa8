//! NumPy 2's array-API functions, `np.cumulative_sum` and `np.cumulative_prod`: the
//! scans of `cumsum`/`cumprod` with the array API's rules for `axis` (required beyond one
//! dimension; there is no flattening) and `include_initial` (the output starts with the
//! identity, one longer along the axis).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, FixedSizeListArray, Int64Array, UInt64Array};
use arrow::buffer::NullBuffer;
use arrow::compute::{cast, concat, take};
use arrow::datatypes::{DataType, Field};

use crate::array::scanner::Plan;
use crate::array::shape::{AxisPlan, ColumnShape};
use crate::options::OpKind;
use crate::{Axis, Error, Operation, Result, ScanOptions, scan_field};

/// NumPy 2's `np.cumulative_sum(x, axis=None, dtype=None, include_initial=False)`.
///
/// The same running sums as [`crate::cumsum`], with the array API's rules: `axis`
/// ([`ScanOptions::axis`]) may be left to [`Axis::Flatten`] only for a 1-D column (it
/// then means axis 0; an N-dimensional column needs an axis), and `include_initial`
/// starts the output with the identity 0, so the output is one longer along the axis
/// (one more row along axis 0, one more element per row along the last axis).
///
/// ```
/// use arrow::array::{Array, Int32Array, Int64Array};
/// use cumulus::ScanOptions;
///
/// let x = Int32Array::from(vec![1, 2, 3]);
/// let y = cumulus::cumulative_sum(&x, &ScanOptions::default(), true)?;
/// assert_eq!(y.as_ref(), &Int64Array::from(vec![0, 1, 3, 6]) as &dyn Array);
/// # Ok::<(), cumulus::Error>(())
/// ```
///
/// With `include_initial` the result is assembled from the scan's output and the
/// identities, one copy of the output. Null rows of an N-dimensional column stay null
/// rows; nulls of inner lists become nulls of their elements.
///
/// # Errors
/// As [`crate::scan`], and [`Error::UnsupportedAxis`] when an N-dimensional column has
/// no axis.
pub fn cumulative_sum(
    array: &dyn Array,
    options: &ScanOptions,
    include_initial: bool,
) -> Result<ArrayRef> {
    cumulative(Operation::Cumsum, array, options, include_initial)
}

/// NumPy 2's `np.cumulative_prod(x, axis=None, dtype=None, include_initial=False)`: as
/// [`cumulative_sum`] with the running product and the identity 1.
///
/// ```
/// use arrow::array::{Array, Float64Array};
/// use cumulus::ScanOptions;
///
/// let x = Float64Array::from(vec![2.0, 3.0]);
/// let y = cumulus::cumulative_prod(&x, &ScanOptions::default(), true)?;
/// assert_eq!(y.as_ref(), &Float64Array::from(vec![1.0, 2.0, 6.0]) as &dyn Array);
/// # Ok::<(), cumulus::Error>(())
/// ```
///
/// # Errors
/// As [`cumulative_sum`].
pub fn cumulative_prod(
    array: &dyn Array,
    options: &ScanOptions,
    include_initial: bool,
) -> Result<ArrayRef> {
    cumulative(Operation::Cumprod, array, options, include_initial)
}

/// [`cumulative_sum`] and [`cumulative_prod`] for any operation with an identity: the
/// sums (`cumsum`, `nancumsum`: 0) and products (`cumprod`, `nancumprod`: 1). `field`
/// describes the column when it is an `arrow.fixed_shape_tensor`.
///
/// ```
/// use arrow::array::{Array, Float64Array};
/// use cumulus::{Operation, ScanOptions};
///
/// let x = Float64Array::from(vec![f64::NAN, 2.0]);
/// let y = cumulus::cumulative(Operation::NanCumsum, &x, &ScanOptions::default(), true)?;
/// assert_eq!(y.as_ref(), &Float64Array::from(vec![0.0, 0.0, 2.0]) as &dyn Array);
/// # Ok::<(), cumulus::Error>(())
/// ```
///
/// # Errors
/// As [`cumulative_sum`], and [`Error::InvalidOption`] for `include_initial` with
/// `cummax`/`cummin`, which have no identity in NumPy.
pub fn cumulative(
    op: Operation,
    array: &dyn Array,
    options: &ScanOptions,
    include_initial: bool,
) -> Result<ArrayRef> {
    let field = Field::new("x", array.data_type().clone(), true);
    cumulative_field(op, &field, array, options, include_initial).map(|(_, y)| y)
}

/// [`cumulative`] for a column described by `field` (reading `arrow.fixed_shape_tensor`
/// metadata); returns the output field with the output.
///
/// # Errors
/// As [`cumulative`].
pub fn cumulative_field(
    op: Operation,
    field: &Field,
    array: &dyn Array,
    options: &ScanOptions,
    include_initial: bool,
) -> Result<(Field, ArrayRef)> {
    let options = array_api_options(op, field, options, include_initial)?;
    let identity: i64 = match op.kind() {
        OpKind::Prod => 1,
        _ => 0,
    };
    let (out_field, scanned) = scan_field(op, field, array, &options)?;
    if !include_initial {
        return Ok((out_field, scanned));
    }
    let plan = Plan::new(op, field.data_type(), Some(field.metadata()), &options)?;
    let AxisPlan::Dim(axis) = plan.axis else {
        return Err(Error::Internal {
            op,
            reason: "an array-API scan planned to flatten".into(),
        });
    };
    let identity = cast(&Int64Array::from(vec![identity]), &plan.leaf_out)?;
    let target = grown_type(&plan.shape, &plan.output_type, axis);
    let with_initial = prepend_identity(&plan.shape, &target, scanned.as_ref(), axis, &identity)?;
    Ok((grown_field(&out_field, &plan.shape, axis), with_initial))
}

/// The field [`cumulative_field`] returns for `input`, without computing anything.
///
/// ```
/// use arrow::datatypes::{DataType, Field};
/// use cumulus::{Operation, ScanOptions};
///
/// let x = Field::new("x", DataType::new_fixed_size_list(DataType::Int32, 3, true), true);
/// let options = ScanOptions::default().with_axis(1);
/// let y = cumulus::cumulative_result_field(Operation::Cumsum, &x, &options, true)?;
/// assert_eq!(y.data_type(), &DataType::new_fixed_size_list(DataType::Int64, 4, true));
/// # Ok::<(), cumulus::Error>(())
/// ```
///
/// # Errors
/// The errors [`cumulative_field`] raises before looking at any data.
pub fn cumulative_result_field(
    op: Operation,
    input: &Field,
    options: &ScanOptions,
    include_initial: bool,
) -> Result<Field> {
    let options = array_api_options(op, input, options, include_initial)?;
    let plan = Plan::new(op, input.data_type(), Some(input.metadata()), &options)?;
    let field = plan.output_field(input);
    match plan.axis {
        AxisPlan::Dim(axis) if include_initial => Ok(grown_field(&field, &plan.shape, axis)),
        _ => Ok(field),
    }
}

/// The options of an array-API call: `include_initial` needs an identity, and
/// [`Axis::Flatten`] means axis 0 for a 1-D column and is refused beyond.
fn array_api_options(
    op: Operation,
    field: &Field,
    options: &ScanOptions,
    include_initial: bool,
) -> Result<ScanOptions> {
    if include_initial && matches!(op.kind(), OpKind::Max | OpKind::Min) {
        return Err(Error::InvalidOption {
            op: Some(op),
            option: "include_initial",
            value: "true".into(),
            reason: Some("np.maximum and np.minimum have no identity".into()),
            accepted: "false, or a sum or product (cumsum, cumprod, nancumsum, nancumprod)".into(),
        });
    }
    let mut options = options.clone();
    if options.axis == Axis::Flatten {
        let shape = ColumnShape::of(op, field.data_type(), Some(field.metadata()))?;
        if shape.ndim() > 1 {
            return Err(Error::UnsupportedAxis {
                op,
                axis: Axis::Flatten,
                data_type: field.data_type().clone(),
                accepted: "an axis index: the array API's cumulative functions need one for arrays of more than one dimension".into(),
            });
        }
        options.axis = Axis::Index(0);
    }
    Ok(options)
}

/// `field` one longer along `axis`: its type (see [`grown_type`]) and a tensor's shape.
fn grown_field(field: &Field, shape: &ColumnShape, axis: usize) -> Field {
    let mut metadata = field.metadata().clone();
    if axis > 0 && shape.levels.len() == 1 && shape.dims.len() > 1 {
        let mut dims = shape.dims.clone();
        dims[axis - 1] += 1;
        if let Ok(json) = serde_json::to_string(&serde_json::json!({ "shape": dims })) {
            metadata.insert(crate::array::tensor::EXTENSION_METADATA.to_string(), json);
        }
    }
    Field::new(
        field.name(),
        grown_type(shape, field.data_type(), axis),
        field.is_nullable(),
    )
    .with_metadata(metadata)
}

/// A scan's output type with the dimension `axis` one longer (axis 0, the rows, leaves
/// the type as it is).
fn grown_type(shape: &ColumnShape, output_type: &DataType, axis: usize) -> DataType {
    if axis == 0 || shape.levels.is_empty() {
        return output_type.clone();
    }
    let mut out_dims = shape.dims.clone();
    out_dims[axis - 1] += 1;
    fn nest(t: &DataType, depth: usize, levels: usize, dims: &[usize]) -> DataType {
        match t {
            DataType::FixedSizeList(field, _) if depth < levels => {
                // A tensor is one level over all of its dimensions.
                let size: usize = if depth + 1 == levels {
                    dims[depth..].iter().product()
                } else {
                    dims[depth]
                };
                let child = nest(field.data_type(), depth + 1, levels, dims);
                DataType::FixedSizeList(
                    Arc::new(Field::clone(field).with_data_type(child)),
                    size as i32,
                )
            }
            other => other.clone(),
        }
    }
    nest(output_type, 0, shape.levels.len(), &out_dims)
}

/// `y` (a scan's output) with the identity inserted at the start of every lane along
/// `axis`, as an array of `target` (the output type one longer along `axis`).
fn prepend_identity(
    shape: &ColumnShape,
    target: &DataType,
    y: &dyn Array,
    axis: usize,
    identity: &ArrayRef,
) -> Result<ArrayRef> {
    let output_type = y.data_type();
    if shape.levels.is_empty() {
        return Ok(concat(&[identity.as_ref(), y])?);
    }
    if shape.is_list() {
        return Err(Error::UnsupportedAxis {
            op: Operation::Cumsum,
            axis: Axis::Index(axis as i64),
            data_type: output_type.clone(),
            accepted: "a FixedSizeList or tensor column: include_initial would give variable-length lists new lengths"
                .into(),
        });
    }
    let output_shape = ColumnShape::of(Operation::Cumsum, output_type, None)?;
    let parts = output_shape.decompose(y)?;
    let rows = parts.rows;
    // The elements with null rows and inner lists folded in, and the identity at the end.
    let elements = match output_shape.effective_validity(&parts) {
        Some(nulls) => with_nulls(parts.leaf.as_ref(), nulls)?,
        None => parts.leaf.clone(),
    };
    let identity_index = elements.len() as u64;
    let source = concat(&[elements.as_ref(), identity.as_ref()])?;
    // The full input shape (rows first) and the output shape, one longer along `axis`.
    let mut dims = vec![rows];
    dims.extend_from_slice(&shape.dims);
    let mut out_dims = dims.clone();
    out_dims[axis] += 1;
    let total: usize = out_dims.iter().product();
    let mut indices = Vec::with_capacity(total);
    let mut coordinate = vec![0usize; out_dims.len()];
    for _ in 0..total {
        if coordinate[axis] == 0 {
            indices.push(identity_index);
        } else {
            let mut index = 0usize;
            for (d, &c) in coordinate.iter().enumerate() {
                let c = if d == axis { c - 1 } else { c };
                index = index * dims[d] + c;
            }
            indices.push(index as u64);
        }
        // Row-major increment.
        for d in (0..out_dims.len()).rev() {
            coordinate[d] += 1;
            if coordinate[d] < out_dims[d] {
                break;
            }
            coordinate[d] = 0;
        }
    }
    let mut child = take(source.as_ref(), &UInt64Array::from(indices), None)?;
    // The target's list fields, from the outermost in.
    let mut fields = vec![];
    let mut t = target;
    while let DataType::FixedSizeList(field, size) = t {
        fields.push((field.clone(), *size));
        t = field.data_type();
    }
    // Nest again, innermost level first; only the outermost level keeps its nulls (the
    // inner levels' nulls are folded into the elements above).
    let row_nulls = parts.levels[0]
        .logical_nulls()
        .filter(|n| n.null_count() > 0);
    for depth in (0..fields.len()).rev() {
        let (field, size) = fields[depth].clone();
        let entries: usize = out_dims[..=depth].iter().product();
        let nulls = match (depth, &row_nulls) {
            (0, Some(nulls)) if axis == 0 => Some(NullBuffer::from_iter(
                std::iter::once(true).chain(nulls.iter()),
            )),
            (0, Some(nulls)) => Some(nulls.clone()),
            _ => None,
        };
        let field = Arc::new(Field::clone(&field).with_data_type(child.data_type().clone()));
        child = Arc::new(FixedSizeListArray::try_new_with_length(
            field, size, child, nulls, entries,
        )?);
    }
    Ok(child)
}

/// `array` with `nulls` as its null buffer.
fn with_nulls(array: &dyn Array, nulls: NullBuffer) -> Result<ArrayRef> {
    let data = array.to_data().into_builder().nulls(Some(nulls)).build()?;
    Ok(arrow::array::make_array(data))
}
