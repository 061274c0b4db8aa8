//! Typed execution over the elements of a column: dispatch by Arrow type to the kernel's
//! element types (through [`crate::dtype`]'s one list), the running state typed by the
//! result element, and the output array built around the kernel's buffer without a copy.

use std::any::TypeId;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, PrimitiveArray};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer};
use arrow::datatypes::*;

use crate::array::decimal::scan_decimal;
use crate::buffer::{OutputBuffer, Zeroable};
use crate::dtype::{dispatch_primitive, element_types};
use crate::kernels::{
    Arith, Bits, BoolBits, Cast, Copied, Element, InPlace, Layout, Max, Min, Prod, Scan, ScanOp,
    ScanState, Source, Sum, scan_keyed,
};
use crate::options::OpKind;
use crate::policy::OutputNulls;
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
    /// The input's null buffer, which the output keeps under [`NullPolicy::Skip`].
    pub input_nulls: Option<NullBuffer>,
}

impl<'a> LeafJob<'a> {
    /// The job for a column scanned as it is (its nulls are the elements' nulls).
    pub fn new(
        op: Operation,
        options: &crate::ScanOptions,
        out_type: &'a DataType,
        layout: Layout<'a>,
        validity: Option<&'a NullBuffer>,
    ) -> Self {
        LeafJob {
            op,
            nulls: options.nulls,
            checked: options.overflow == crate::Overflow::Error,
            reverse: options.reverse,
            out_type,
            layout,
            validity: validity.map(crate::array::nested::null_bits),
            input_nulls: validity.cloned(),
        }
    }
}

/// Why a leaf scan stopped.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The element at this index overflowed.
    Overflow(usize),
    /// A broken invariant (planning admitted a type without a kernel, or the running
    /// state does not fit the chunk): a bug in cumulus, never a property of the data.
    Bug(&'static str),
}

macro_rules! __running_state {
    (
        []
        bits { $(($bv:ident, $bt:ty, $bn:literal, $bk:ident, [$($ba:literal),*]),)* }
        numeric { $(($v:ident, $t:ty, $arrow:ident, $n:literal, $k:ident, [$($a:literal),*]),)* }
        duration { $(($unit:ident, $darrow:ident),)* }
    ) => {
        /// The state a scan carries from chunk to chunk, typed by the result element:
        /// one variant per kernel element type (durations run as `Int64`, decimals as
        /// their 128- or 256-bit integers).
        #[derive(Debug, Default)]
        pub(crate) enum RunningState {
            /// No chunk scanned yet.
            #[default]
            Empty,
            $($bv(ScanState<$bt>),)*
            $($v(ScanState<$t>),)*
            Decimal128(ScanState<i128>),
            Decimal256(ScanState<i256>),
        }

        $(stateful!($bt, $bv);)*
        $(stateful!($t, $v);)*
        stateful!(i128, Decimal128);
        stateful!(i256, Decimal256);
    };
}

/// An element type whose running state a [`RunningState`] can hold.
pub(crate) trait Stateful: Sized {
    /// This type's state, `None` when the state holds another type's (or none).
    fn get(state: &mut RunningState) -> Option<&mut ScanState<Self>>;
    /// A state holding `typed`.
    fn wrap(typed: ScanState<Self>) -> RunningState;
}

macro_rules! stateful {
    ($t:ty, $variant:ident) => {
        impl Stateful for $t {
            fn get(state: &mut RunningState) -> Option<&mut ScanState<Self>> {
                match state {
                    RunningState::$variant(typed) => Some(typed),
                    _ => None,
                }
            }
            fn wrap(typed: ScanState<Self>) -> RunningState {
                RunningState::$variant(typed)
            }
        }
    };
}

element_types!(__running_state!);

/// Scans the elements `leaf` into a new array of `job.out_type`.
pub(crate) fn scan_leaf(
    job: &LeafJob<'_>,
    leaf: &dyn Array,
    state: &mut RunningState,
) -> Result<ArrayRef, Failure> {
    use DataType::*;
    dispatch_primitive!(job.out_type, |P| scan_new::<P>(job, leaf, state), _ => match job.out_type {
        Boolean => {
            // Arrow packs booleans; the kernel works on bytes, packed once at the end.
            let mut values = vec![false; leaf.len()];
            let validity = scan_values(job, leaf, state, &mut values)?;
            let nulls = output_nulls(job, validity, leaf.len());
            Ok(Arc::new(BooleanArray::new(BooleanBuffer::from(&values[..]), nulls)))
        }
        Decimal128(..) | Decimal256(..) => scan_decimal(job, leaf, state),
        _ => Err(Failure::Bug("planning admitted an output type without a kernel")),
    })
}

/// Scans a chunk whose rows belong to many scans of one plan: row `i` continues the
/// scan whose state is `states[slots[i]]` ([`crate::kernels::scan_keyed`]). Only where
/// that step is the whole story: a primitive result, no nulls in `leaf` (the caller
/// checks), every state a single lane past its first element and settled under `nulls`
/// ([`ScanState::settled_value`]). `Ok(None)`, with nothing changed, for anything else.
pub(crate) fn scan_keyed_leaf(
    op: Operation,
    nulls: NullPolicy,
    out_type: &DataType,
    leaf: &dyn Array,
    slots: &[u32],
    states: &mut [&mut RunningState],
) -> Result<Option<ArrayRef>, Failure> {
    dispatch_primitive!(out_type, |P| keyed_new::<P>(op, nulls, out_type, leaf, slots, states), _ => Ok(None))
}

fn keyed_new<P>(
    op: Operation,
    nulls: NullPolicy,
    out_type: &DataType,
    leaf: &dyn Array,
    slots: &[u32],
    states: &mut [&mut RunningState],
) -> Result<Option<ArrayRef>, Failure>
where
    P: ArrowPrimitiveType,
    P::Native: Element + Arith + Zeroable + Stateful,
{
    let mut accs = Vec::with_capacity(states.len());
    for state in states.iter_mut() {
        match P::Native::get(state).and_then(|typed| typed.settled_value(nulls)) {
            Some(acc) => accs.push(acc),
            None => return Ok(None),
        }
    }
    let nan_as = nan_replacement::<P::Native>(op, leaf.data_type());
    let source = element_source::<P::Native>(leaf, None, false, nan_as)?;
    let mut values = OutputBuffer::<P::Native>::zeroed(leaf.len());
    let source = source.as_ref();
    let ran = match op.kind() {
        OpKind::Sum => scan_keyed(Sum, source, slots, &mut accs, &mut values),
        OpKind::Prod => scan_keyed(Prod, source, slots, &mut accs, &mut values),
        OpKind::Max => scan_keyed(Max, source, slots, &mut accs, &mut values),
        OpKind::Min => scan_keyed(Min, source, slots, &mut accs, &mut values),
    };
    if ran.is_err() {
        // Only a checked cast fails to load, and this one is not: leave it to the caller.
        return Ok(None);
    }
    for (state, acc) in states.iter_mut().zip(accs) {
        if let Some(typed) = P::Native::get(state) {
            typed.set_settled_value(acc);
        }
    }
    Ok(Some(Arc::new(
        PrimitiveArray::<P>::new(values.into_scalar_buffer(), None)
            .with_data_type(out_type.clone()),
    )))
}

/// Scans into a fresh output buffer and wraps it as an array of `job.out_type`.
fn scan_new<P>(
    job: &LeafJob<'_>,
    leaf: &dyn Array,
    state: &mut RunningState,
) -> Result<ArrayRef, Failure>
where
    P: ArrowPrimitiveType,
    P::Native: Element + Arith + Zeroable + Stateful,
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
pub(crate) fn scan_values<T: Element + Arith + Stateful>(
    job: &LeafJob<'_>,
    leaf: &dyn Array,
    state: &mut RunningState,
    out: &mut [T],
) -> Result<Option<Vec<u8>>, Failure> {
    let nan_as = nan_replacement::<T>(job.op, leaf.data_type());
    let source = element_source::<T>(leaf, job.validity, job.checked, nan_as)?;
    run_op(job, job.checked, source.as_ref(), out, state)
}

/// Scans `values` in place: they are both the input and the output.
pub(crate) fn scan_in_place_values<T: Element + Arith + Stateful>(
    job: &LeafJob<'_>,
    input_type: &DataType,
    values: &mut [T],
    state: &mut RunningState,
) -> Result<Option<Vec<u8>>, Failure> {
    let source = InPlace::new(nan_replacement::<T>(job.op, input_type));
    run_op(job, job.checked, &source, values, state)
}

/// What NaN becomes before the cast in the `nan*` operations on float input.
pub(crate) fn nan_replacement<T: Arith>(op: Operation, input: &DataType) -> Option<T> {
    (op.nan_is_identity() && input.is_floating()).then(|| match op.kind() {
        OpKind::Prod => T::ONE,
        _ => T::ZERO,
    })
}

/// The output null buffer, as the policy says ([`NullPolicy::output_nulls`]): the
/// input's, the one the kernel wrote, or none.
pub(crate) fn output_nulls(
    job: &LeafJob<'_>,
    written: Option<Vec<u8>>,
    len: usize,
) -> Option<NullBuffer> {
    match (job.nulls.output_nulls(), written) {
        (OutputNulls::Input, _) => job.input_nulls.clone(),
        (OutputNulls::Written, Some(bits)) => Some(NullBuffer::new(BooleanBuffer::new(
            Buffer::from_vec(bits),
            0,
            len,
        )))
        .filter(|n| n.null_count() > 0),
        (OutputNulls::Written | OutputNulls::None, _) => None,
    }
}

fn run_op<T: Arith + Stateful>(
    job: &LeafJob<'_>,
    checked: bool,
    source: &dyn Source<T>,
    out: &mut [T],
    state: &mut RunningState,
) -> Result<Option<Vec<u8>>, Failure> {
    match job.op.kind() {
        OpKind::Sum => run_kernel(job, Sum, checked, source, out, state),
        OpKind::Prod => run_kernel(job, Prod, checked, source, out, state),
        OpKind::Max => run_kernel(job, Max, checked, source, out, state),
        OpKind::Min => run_kernel(job, Min, checked, source, out, state),
    }
}

/// Runs the kernel of `op` over `source` into `out`, continuing the running state.
pub(crate) fn run_kernel<T: Arith + Stateful, O: ScanOp<T>>(
    job: &LeafJob<'_>,
    op: O,
    checked: bool,
    source: &dyn Source<T>,
    out: &mut [T],
    state: &mut RunningState,
) -> Result<Option<Vec<u8>>, Failure> {
    let config = Scan {
        op,
        nulls: job.nulls,
        checked,
        reverse: job.reverse,
    };
    let lanes = job.layout.carried_lanes();
    if matches!(state, RunningState::Empty) {
        *state = T::wrap(ScanState::new(lanes, op.neutral()));
    }
    let typed = T::get(state).ok_or(Failure::Bug(
        "the running state holds another element type than the chunk's result",
    ))?;
    if typed.lanes() != lanes {
        return Err(Failure::Bug(
            "the running state has another number of lanes than the chunk",
        ));
    }
    let mut written = config
        .writes_validity()
        .then(|| vec![0u8; out.len().div_ceil(8)]);
    crate::kernels::scan(
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
    dispatch_primitive!(
        leaf.data_type(),
        |P| Ok(primitive_source::<P, T>(leaf, validity, checked, nan_as)),
        _ => match leaf.data_type() {
            DataType::Boolean => {
                let values = leaf.as_boolean().values();
                Ok(Box::new(BoolBits(Bits::new(values.values(), values.offset(), values.len()))))
            }
            _ => Err(Failure::Bug("planning admitted an input type without a kernel")),
        }
    )
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
