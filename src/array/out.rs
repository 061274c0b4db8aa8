//! NumPy's `out=`: scans into a caller's buffer, or into the input's own buffer.

use arrow::array::{Array, ArrayRef, PrimitiveArray};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, ScalarBuffer};
use arrow::datatypes::{ArrowPrimitiveType, DataType};

use crate::array::leaf::{
    Failure, LeafJob, RunningState, Stateful, element_source, output_nulls, scan_in_place_values,
    scan_values,
};
use crate::array::nested::Decomposed;
use crate::array::scanner::{Plan, Scanner};
use crate::array::shape::ColumnShape;
use crate::dtype::{NumpyElement, OutSlice, promote_types, with_out_slice};
use crate::kernels::bits::set_range;
use crate::kernels::{Arith, Element, Layout};
use crate::{Error, Operation, Result, ScanOptions, scan};

/// Elements per chunk when the result must be cast into `out`.
const CHUNK_ELEMENTS: usize = 8192;

/// NumPy's `out=`: writes the result into `out` without allocating an output column and
/// returns its validity (one bit per element of `out`). `out` is a slice of any of
/// NumPy's element types (`bool`, `i8` ... `u64`, `f16`, `f32`, `f64`); for a type known
/// only at run time use [`scan_into_dyn`].
///
/// `out` holds every element of the result in row-major order (for an N-dimensional
/// column, the elements of all its rows). As in NumPy, without a `dtype` the scan runs in
/// `np.promote_types(input, out)` (so an int8 column with an int8 `out` wraps in int8, and
/// a float32 column with a float64 `out` accumulates in float64); with a `dtype` it runs in
/// that type. The result is then written into `out` with NumPy's unsafe cast.
///
/// When the scan runs in `out`'s type, a plain column, or an N-dimensional one without a
/// null row or element, is scanned straight into `out`; otherwise the result passes
/// through temporaries of about 8192 elements (one row when rows are wider), never a
/// copy of the whole column.
///
/// ```
/// use arrow::array::{BooleanArray, Float64Array};
/// use cumulus::{Operation, ScanOptions};
///
/// let x = Float64Array::from(vec![1.5, 2.5, 3.5]);
/// let mut out = [0i64; 3];
/// let nulls = cumulus::scan_into(Operation::Cumsum, &x, &ScanOptions::default(), &mut out)?;
/// assert_eq!(out, [1, 4, 7]); // NumPy: np.cumsum(x, out=np.empty(3, np.int64))
/// assert!(nulls.is_none());
///
/// // A bool out: NumPy computes in bool (a running or), as np.cumsum(b, out=bool_array).
/// let b = BooleanArray::from(vec![false, true, false]);
/// let mut flags = [false; 3];
/// cumulus::scan_into(Operation::Cumsum, &b, &ScanOptions::default(), &mut flags)?;
/// assert_eq!(flags, [false, true, true]);
/// # Ok::<(), cumulus::Error>(())
/// ```
///
/// # Errors
/// [`Error::OutSize`] when `out` does not have one slot per result element, and the
/// errors of [`scan`].
pub fn scan_into<T: NumpyElement>(
    op: Operation,
    array: &dyn Array,
    options: &ScanOptions,
    out: &mut [T],
) -> Result<Option<NullBuffer>> {
    scan_into_dyn(op, array, options, T::out_slice(out))
}

/// [`scan_into`] with `out`'s element type chosen at run time: an [`OutSlice`] wraps a
/// typed slice, or raw bytes with their type ([`OutSlice::try_from_bytes`], for buffers
/// from NumPy or an Arrow `MutableBuffer`).
///
/// ```
/// use arrow::array::Int8Array;
/// use arrow::datatypes::DataType;
/// use cumulus::{Operation, OutSlice, ScanOptions};
///
/// let x = Int8Array::from(vec![100, 100, 100]);
/// let mut raw = [0u8; 3];
/// let out = OutSlice::try_from_bytes(&DataType::Int8, &mut raw)?;
/// cumulus::scan_into_dyn(Operation::Cumsum, &x, &ScanOptions::default(), out)?;
/// assert_eq!(raw.map(|b| b as i8), [100, -56, 44]); // runs in int8, as NumPy with out=int8
/// # Ok::<(), cumulus::Error>(())
/// ```
///
/// # Errors
/// As [`scan_into`].
pub fn scan_into_dyn(
    op: Operation,
    array: &dyn Array,
    options: &ScanOptions,
    out: OutSlice<'_>,
) -> Result<Option<NullBuffer>> {
    with_out_slice!(out, |out| scan_into_typed(op, array, options, out))
}

fn scan_into_typed<T>(
    op: Operation,
    array: &dyn Array,
    options: &ScanOptions,
    out: &mut [T],
) -> Result<Option<NullBuffer>>
where
    T: NumpyElement + Element + Arith + Stateful,
{
    let out_type = T::DATA_TYPE;
    let shape = ColumnShape::of(op, array.data_type(), None)?;
    let mut options = options.clone();
    if options.dtype.is_none() {
        options.dtype = promote_types(&shape.leaf, &out_type);
    }
    let plan = Plan::new(op, array.data_type(), None, &options)?;
    let parts = plan.shape.decompose(array)?;
    let n = parts.leaf.len();
    if out.len() != n {
        return Err(Error::OutSize {
            op,
            expected: n,
            actual: out.len(),
        });
    }
    // Straight into `out`: a plain column (its nulls handled by the kernel), or an
    // N-dimensional one without a null row or element (no null can appear along any
    // axis, whatever the policy). Anything else goes chunk by chunk through the Scanner,
    // which knows how null rows and elements nest.
    let flat = plan.shape.levels.is_empty();
    let direct = if flat {
        let validity = array.logical_nulls().filter(|v| v.null_count() > 0);
        Some((Layout::single(n), validity))
    } else if plan.shape.effective_validity(&parts).is_none() {
        let layout = match &parts.offsets {
            Some(offsets) => offsets.layout(),
            None => plan.shape.layout(plan.axis, parts.rows),
        };
        Some((layout, None))
    } else {
        None
    };
    if let Some((layout, validity)) = direct.filter(|_| plan.leaf_out == out_type) {
        let job = LeafJob::new(op, &options, &plan.leaf_out, layout, validity.as_ref());
        let written = scan_values(&job, parts.leaf.as_ref(), &mut RunningState::Empty, out)
            .map_err(|failure| failure_error(&plan, Some(&parts), failure))?;
        return Ok(output_nulls(&job, written, n));
    }
    scan_into_by_chunks(plan, array, out)
}

/// Scans a chunk of rows at a time and casts each chunk's result into `out`.
fn scan_into_by_chunks<T: Element>(
    plan: Plan,
    array: &dyn Array,
    out: &mut [T],
) -> Result<Option<NullBuffer>> {
    let op = plan.op;
    let output_shape = ColumnShape::of(op, &plan.output_type, None)?;
    let rows = array.len();
    let per_row = (out.len() / rows.max(1)).max(1);
    let rows_per_chunk = (CHUNK_ELEMENTS / per_row).max(1);
    // Each chunk with the position of its first element in `out`.
    let mut chunks = vec![];
    let mut at = 0;
    for start in (0..rows).step_by(rows_per_chunk) {
        let chunk = array.slice(start, rows_per_chunk.min(rows - start));
        let elements = plan.shape.decompose(chunk.as_ref())?.leaf.len();
        chunks.push((chunk, at));
        at += elements;
    }
    if plan.options.reverse {
        chunks.reverse();
    }
    let unsupported = |data_type: &DataType| Error::UnsupportedType {
        op,
        data_type: data_type.clone(),
        accepted: op.accepted_types(),
    };
    let mut validity = vec![0u8; out.len().div_ceil(8)];
    let mut scanner = Scanner::from_plan(plan);
    for (chunk, at) in chunks {
        let result = scanner.push(chunk.as_ref())?;
        let parts = output_shape.decompose(result.as_ref())?;
        let len = parts.leaf.len();
        element_source::<T>(parts.leaf.as_ref(), None, false, None)
            .map_err(|_| unsupported(result.data_type()))?
            .load(0, &mut out[at..at + len])
            .map_err(|_| unsupported(result.data_type()))?;
        match output_shape.effective_validity(&parts) {
            Some(nulls) => copy_validity(&mut validity, at, &nulls),
            None => set_range(&mut validity, at, at + len, true),
        }
    }
    let nulls = NullBuffer::new(BooleanBuffer::new(Buffer::from_vec(validity), 0, out.len()));
    Ok((nulls.null_count() > 0).then_some(nulls))
}

/// A scan that writes its result over its input when it can: when the result type is
/// the input type and the input's value buffer is uniquely owned and unsliced, no output
/// buffer is allocated (the validity may be). Otherwise it behaves as [`scan`].
///
/// ```
/// use arrow::array::{Array, Int64Array};
/// use cumulus::{Operation, ScanOptions};
///
/// let x = Int64Array::from(vec![1, 2, 3]);
/// let before = x.values().as_ptr();
/// let y = cumulus::scan_in_place(Operation::Cumsum, x, &ScanOptions::default())?;
/// let y = y.as_any().downcast_ref::<Int64Array>().unwrap();
/// assert_eq!(y.values().as_ref(), &[1, 3, 6]);
/// assert_eq!(y.values().as_ptr(), before); // the input's buffer, reused
/// # Ok::<(), cumulus::Error>(())
/// ```
///
/// # Errors
/// As [`scan`].
pub fn scan_in_place<P>(
    op: Operation,
    array: PrimitiveArray<P>,
    options: &ScanOptions,
) -> Result<ArrayRef>
where
    P: ArrowPrimitiveType,
    P::Native: NumpyElement,
{
    let plan = Plan::new(op, array.data_type(), None, options)?;
    if plan.leaf_out != *array.data_type() {
        return scan(op, &array, options);
    }
    let n = array.len();
    let (data_type, values, nulls) = array.into_parts();
    let mut buffer = match values.into_inner().into_mutable() {
        Ok(buffer) => buffer,
        Err(shared) => {
            let values = ScalarBuffer::<P::Native>::new(shared, 0, n);
            let array = PrimitiveArray::<P>::new(values, nulls).with_data_type(data_type);
            return scan(op, &array, options);
        }
    };
    let validity = nulls.filter(|v| v.null_count() > 0);
    let job = LeafJob::new(
        op,
        options,
        &plan.leaf_out,
        Layout::single(n),
        validity.as_ref(),
    );
    let values = P::Native::out_slice(buffer.typed_data_mut::<P::Native>());
    let written = with_out_slice!(values, |values| scan_in_place_values(
        &job,
        &data_type,
        values,
        &mut RunningState::Empty
    ))
    .map_err(|failure| failure_error(&plan, None, failure))?;
    let nulls = output_nulls(&job, written, n);
    let values = ScalarBuffer::<P::Native>::new(Buffer::from(buffer), 0, n);
    Ok(std::sync::Arc::new(
        PrimitiveArray::<P>::new(values, nulls).with_data_type(data_type),
    ))
}

/// The error of a failed leaf scan; `parts` locates an overflow in an N-dimensional
/// column (without it the index is the row).
fn failure_error(plan: &Plan, parts: Option<&Decomposed<'_>>, failure: Failure) -> Error {
    plan.failure_error(failure, |index| match parts {
        Some(parts) => plan.shape.locate(parts, index, 0),
        None => (index, None),
    })
}

/// Copies the validity bits of `nulls` into bits `at..` of `bitmap`.
pub(crate) fn copy_validity(bitmap: &mut [u8], at: usize, nulls: &NullBuffer) {
    arrow::util::bit_mask::set_bits(bitmap, nulls.validity(), at, nulls.offset(), nulls.len());
}
