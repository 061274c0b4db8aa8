//! Typed execution over the elements of a column: dispatch by Arrow type to the kernel's
//! element types, and the output array built around the kernel's buffer without a copy.

use std::any::{Any, TypeId};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, PrimitiveArray};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer};
use arrow::datatypes::*;

use crate::buffer::{OutputBuffer, Zeroable};
use crate::kernels::bits::pack;
use crate::kernels::{
    Arith, Bits, BoolBits, BoundedSum, Cast, Copied, Element, InPlace, Layout, Max, Min, Prod,
    Scan, ScanOp, ScanState, Source, Sum, Widened, scan,
};
use crate::options::OpKind;
use crate::{NullPolicy, Operation};

/// Everything about a scan of one chunk's elements except the data.
pub(crate) struct LeafJob<'a> {
    pub op: Operation,
    pub nulls: NullPolicy,
    pub checked: bool,
    pub reverse: bool,
    /// The element type of the result.
    pub out_type: &'a DataType,
    pub layout: Layout<'a>,
    /// Which elements are valid (null rows included).
    pub validity: Option<Bits<'a>>,
    /// The output's null buffer under [`NullPolicy::Skip`].
    pub skip_nulls: Option<NullBuffer>,
}

/// Why a leaf scan stopped.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The element at this index overflowed.
    Overflow(usize),
    /// The element type has no kernel (a bug: result types are checked when planning).
    Unsupported,
}

/// The state carried between chunks, typed by the result element at run time.
pub(crate) type AnyState = Option<Box<dyn Any + Send>>;

/// Scans the elements `leaf` into a new array of `job.out_type`.
pub(crate) fn scan_leaf(
    job: &LeafJob<'_>,
    leaf: &dyn Array,
    state: &mut AnyState,
) -> Result<ArrayRef, Failure> {
    use DataType::*;
    match job.out_type {
        Boolean => {
            // Arrow packs booleans; the kernel works on bytes, packed once at the end.
            let mut values = vec![false; leaf.len()];
            let validity = scan_values(job, leaf, state, &mut values)?;
            let nulls = output_nulls(job, validity, leaf.len());
            let bits = Buffer::from_vec(pack(&values));
            Ok(Arc::new(BooleanArray::new(
                BooleanBuffer::new(bits, 0, values.len()),
                nulls,
            )))
        }
        Int8 => scan_new::<Int8Type>(job, leaf, state),
        Int16 => scan_new::<Int16Type>(job, leaf, state),
        Int32 => scan_new::<Int32Type>(job, leaf, state),
        Int64 => scan_new::<Int64Type>(job, leaf, state),
        UInt8 => scan_new::<UInt8Type>(job, leaf, state),
        UInt16 => scan_new::<UInt16Type>(job, leaf, state),
        UInt32 => scan_new::<UInt32Type>(job, leaf, state),
        UInt64 => scan_new::<UInt64Type>(job, leaf, state),
        Float16 => scan_new::<Float16Type>(job, leaf, state),
        Float32 => scan_new::<Float32Type>(job, leaf, state),
        Float64 => scan_new::<Float64Type>(job, leaf, state),
        Duration(TimeUnit::Second) => scan_new::<DurationSecondType>(job, leaf, state),
        Duration(TimeUnit::Millisecond) => scan_new::<DurationMillisecondType>(job, leaf, state),
        Duration(TimeUnit::Microsecond) => scan_new::<DurationMicrosecondType>(job, leaf, state),
        Duration(TimeUnit::Nanosecond) => scan_new::<DurationNanosecondType>(job, leaf, state),
        Decimal128(p, _) => {
            let bound = MAX_DECIMAL128_FOR_EACH_PRECISION[*p as usize];
            let values = leaf
                .as_primitive_opt::<Decimal128Type>()
                .ok_or(Failure::Unsupported)?;
            scan_decimal::<Decimal128Type>(job, &Copied(values.values()), bound, state)
        }
        Decimal256(p, _) => {
            let bound = MAX_DECIMAL256_FOR_EACH_PRECISION[*p as usize];
            match leaf.data_type() {
                Decimal128(..) => {
                    let values = leaf.as_primitive::<Decimal128Type>().values();
                    let source = Widened::new(values, i256::from_i128);
                    scan_decimal::<Decimal256Type>(job, &source, bound, state)
                }
                _ => {
                    let values = leaf
                        .as_primitive_opt::<Decimal256Type>()
                        .ok_or(Failure::Unsupported)?;
                    scan_decimal::<Decimal256Type>(job, &Copied(values.values()), bound, state)
                }
            }
        }
        _ => Err(Failure::Unsupported),
    }
}

/// Scans into a fresh output buffer and wraps it as an array of `job.out_type`.
fn scan_new<P>(
    job: &LeafJob<'_>,
    leaf: &dyn Array,
    state: &mut AnyState,
) -> Result<ArrayRef, Failure>
where
    P: ArrowPrimitiveType,
    P::Native: Element + Arith + Zeroable,
{
    let mut values = OutputBuffer::<P::Native>::zeroed(leaf.len());
    let validity = scan_values(job, leaf, state, &mut values)?;
    let nulls = output_nulls(job, validity, leaf.len());
    Ok(Arc::new(
        PrimitiveArray::<P>::new(values.into_scalar_buffer(), nulls)
            .with_data_type(job.out_type.clone()),
    ))
}

/// Scans the NumPy-typed (or duration) elements of `leaf` into `out`, returning the
/// validity the policy wrote, if it writes one.
pub(crate) fn scan_values<T: Element + Arith>(
    job: &LeafJob<'_>,
    leaf: &dyn Array,
    state: &mut AnyState,
    out: &mut [T],
) -> Result<Option<Vec<u8>>, Failure> {
    let nan_as = nan_replacement::<T>(job.op, leaf.data_type());
    let source = element_source::<T>(leaf, job.validity, job.checked, nan_as)?;
    run_op(job, job.checked, source.as_ref(), out, state)
}

/// Scans `values` in place: they are both the input and the output.
pub(crate) fn scan_in_place_values<T: Element + Arith>(
    job: &LeafJob<'_>,
    input_type: &DataType,
    values: &mut [T],
    state: &mut AnyState,
) -> Result<Option<Vec<u8>>, Failure> {
    let source = InPlace::new(nan_replacement::<T>(job.op, input_type));
    run_op(job, job.checked, &source, values, state)
}

/// What NaN becomes before the cast in the `nan*` operations on float input.
pub(crate) fn nan_replacement<T: Arith>(op: Operation, input: &DataType) -> Option<T> {
    let float_input = matches!(
        input,
        DataType::Float16 | DataType::Float32 | DataType::Float64
    );
    (op.nan_is_identity() && float_input).then(|| match op.kind() {
        OpKind::Prod => T::ONE,
        _ => T::ZERO,
    })
}

fn scan_decimal<P>(
    job: &LeafJob<'_>,
    source: &dyn Source<P::Native>,
    bound: P::Native,
    state: &mut AnyState,
) -> Result<ArrayRef, Failure>
where
    P: ArrowPrimitiveType,
    P::Native: Arith + Zeroable + std::ops::Neg<Output = P::Native>,
{
    let n = job.layout.len();
    let mut values = OutputBuffer::<P::Native>::zeroed(n);
    // A decimal sum past its precision is not a number of the result type: always checked.
    let validity = match job.op.kind() {
        OpKind::Sum => run_kernel(job, BoundedSum { bound }, true, source, &mut values, state),
        OpKind::Max => run_kernel(job, Max, job.checked, source, &mut values, state),
        OpKind::Min => run_kernel(job, Min, job.checked, source, &mut values, state),
        OpKind::Prod => Err(Failure::Unsupported),
    }?;
    let nulls = output_nulls(job, validity, n);
    Ok(Arc::new(
        PrimitiveArray::<P>::new(values.into_scalar_buffer(), nulls)
            .with_data_type(job.out_type.clone()),
    ))
}

/// The output null buffer: the input's under Skip, none under Identity, the written one
/// under Carry and Propagate.
pub(crate) fn output_nulls(
    job: &LeafJob<'_>,
    written: Option<Vec<u8>>,
    len: usize,
) -> Option<NullBuffer> {
    match (job.nulls, written) {
        (NullPolicy::Skip, _) => job.skip_nulls.clone(),
        (NullPolicy::Identity, _) => None,
        (_, Some(bits)) => Some(NullBuffer::new(BooleanBuffer::new(
            Buffer::from_vec(bits),
            0,
            len,
        )))
        .filter(|n| n.null_count() > 0),
        (_, None) => None,
    }
}

fn run_op<T: Arith>(
    job: &LeafJob<'_>,
    checked: bool,
    source: &dyn Source<T>,
    out: &mut [T],
    state: &mut AnyState,
) -> Result<Option<Vec<u8>>, Failure> {
    match job.op.kind() {
        OpKind::Sum => run_kernel(job, Sum, checked, source, out, state),
        OpKind::Prod => run_kernel(job, Prod, checked, source, out, state),
        OpKind::Max => run_kernel(job, Max, checked, source, out, state),
        OpKind::Min => run_kernel(job, Min, checked, source, out, state),
    }
}

fn run_kernel<T: Arith, O: ScanOp<T>>(
    job: &LeafJob<'_>,
    op: O,
    checked: bool,
    source: &dyn Source<T>,
    out: &mut [T],
    state: &mut AnyState,
) -> Result<Option<Vec<u8>>, Failure> {
    let config = Scan {
        op,
        nulls: job.nulls,
        checked,
        reverse: job.reverse,
    };
    let lanes = job.layout.carried_lanes();
    let reusable = state
        .as_ref()
        .and_then(|s| s.downcast_ref::<ScanState<T>>())
        .is_some_and(|s| s.lanes() == lanes);
    if !reusable {
        *state = Some(Box::new(ScanState::new(lanes, op.neutral())));
    }
    let typed = state
        .as_mut()
        .and_then(|s| s.downcast_mut::<ScanState<T>>())
        .ok_or(Failure::Unsupported)?;
    let mut written = config
        .writes_validity()
        .then(|| vec![0u8; out.len().div_ceil(8)]);
    scan(
        &config,
        source,
        job.validity,
        job.layout,
        out,
        written.as_deref_mut(),
        typed,
    )
    .map_err(Failure::Overflow)?;
    Ok(written)
}

/// The elements of `leaf` as a source of `T`: a plain copy when the types agree, else
/// NumPy's cast.
pub(crate) fn element_source<'a, T: Element>(
    leaf: &'a dyn Array,
    validity: Option<Bits<'a>>,
    checked: bool,
    nan_as: Option<T>,
) -> Result<Box<dyn Source<T> + 'a>, Failure> {
    use DataType::*;
    let source: Box<dyn Source<T> + 'a> = match leaf.data_type() {
        Boolean => {
            let values = leaf.as_boolean().values();
            Box::new(BoolBits(Bits::new(
                values.values(),
                values.offset(),
                values.len(),
            )))
        }
        Int8 => primitive_source::<Int8Type, T>(leaf, validity, checked, nan_as),
        Int16 => primitive_source::<Int16Type, T>(leaf, validity, checked, nan_as),
        Int32 => primitive_source::<Int32Type, T>(leaf, validity, checked, nan_as),
        Int64 => primitive_source::<Int64Type, T>(leaf, validity, checked, nan_as),
        UInt8 => primitive_source::<UInt8Type, T>(leaf, validity, checked, nan_as),
        UInt16 => primitive_source::<UInt16Type, T>(leaf, validity, checked, nan_as),
        UInt32 => primitive_source::<UInt32Type, T>(leaf, validity, checked, nan_as),
        UInt64 => primitive_source::<UInt64Type, T>(leaf, validity, checked, nan_as),
        Float16 => primitive_source::<Float16Type, T>(leaf, validity, checked, nan_as),
        Float32 => primitive_source::<Float32Type, T>(leaf, validity, checked, nan_as),
        Float64 => primitive_source::<Float64Type, T>(leaf, validity, checked, nan_as),
        Duration(TimeUnit::Second) => {
            primitive_source::<DurationSecondType, T>(leaf, validity, checked, nan_as)
        }
        Duration(TimeUnit::Millisecond) => {
            primitive_source::<DurationMillisecondType, T>(leaf, validity, checked, nan_as)
        }
        Duration(TimeUnit::Microsecond) => {
            primitive_source::<DurationMicrosecondType, T>(leaf, validity, checked, nan_as)
        }
        Duration(TimeUnit::Nanosecond) => {
            primitive_source::<DurationNanosecondType, T>(leaf, validity, checked, nan_as)
        }
        _ => return Err(Failure::Unsupported),
    };
    Ok(source)
}

fn primitive_source<'a, P, T>(
    leaf: &'a dyn Array,
    validity: Option<Bits<'a>>,
    checked: bool,
    nan_as: Option<T>,
) -> Box<dyn Source<T> + 'a>
where
    P: ArrowPrimitiveType,
    P::Native: Element,
    T: Element,
{
    let values: &'a [P::Native] = leaf.as_primitive::<P>().values();
    if TypeId::of::<P::Native>() == TypeId::of::<T>() && nan_as.is_none() {
        // SAFETY: `P::Native` and `T` are the same type, checked just above. A plain copy
        // also keeps signalling NaNs bit for bit, which a cast through f64 would quiet.
        let same: &'a [T] =
            unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<T>(), values.len()) };
        return Box::new(Copied(same));
    }
    Box::new(Cast::new(values, validity, checked, nan_as))
}
