//! Decimal columns: sums checked against the result precision, max and min. The kernels
//! see the decimals' 128- and 256-bit integers; the 256-bit one is arrow-rs's `i256`,
//! which gets its kernel arithmetic here so that the kernels stay free of Arrow types.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Decimal128Type, Decimal256Type,
    MAX_DECIMAL128_FOR_EACH_PRECISION, MAX_DECIMAL256_FOR_EACH_PRECISION, i256,
};

use crate::array::leaf::{Failure, LeafJob, RunningState, Stateful, output_nulls, run_kernel};
use crate::buffer::{OutputBuffer, Zeroable};
use crate::kernels::{Arith, BoundedSum, Copied, Max, Min, Source, Widened};
use crate::options::OpKind;

impl Arith for i256 {
    const ZERO: Self = i256::ZERO;
    const ONE: Self = i256::ONE;
    const SUM_NEUTRAL: Self = i256::ZERO;
    const LOWEST: Self = i256::MIN;
    const HIGHEST: Self = i256::MAX;

    fn add_wrapping(self, other: Self) -> Self {
        self.wrapping_add(other)
    }
    fn add_checked(self, other: Self) -> Option<Self> {
        self.checked_add(other)
    }
    fn mul_wrapping(self, other: Self) -> Self {
        self.wrapping_mul(other)
    }
    fn mul_checked(self, other: Self) -> Option<Self> {
        self.checked_mul(other)
    }
}

/// Scans a decimal column (`job.out_type` is Decimal128 or Decimal256; a Decimal128
/// input is widened for a Decimal256 result).
pub(crate) fn scan_decimal(
    job: &LeafJob<'_>,
    leaf: &dyn Array,
    state: &mut RunningState,
) -> Result<ArrayRef, Failure> {
    let mismatch = Failure::Bug("a decimal result for an input that is not a decimal");
    match (job.out_type, leaf.data_type()) {
        (DataType::Decimal128(p, _), DataType::Decimal128(..)) => {
            let bound = MAX_DECIMAL128_FOR_EACH_PRECISION[usize::from(*p)];
            let values = leaf.as_primitive::<Decimal128Type>().values();
            scan_into_new::<Decimal128Type>(job, &Copied(values), bound, state)
        }
        (DataType::Decimal256(p, _), DataType::Decimal128(..)) => {
            let bound = MAX_DECIMAL256_FOR_EACH_PRECISION[usize::from(*p)];
            let values = leaf.as_primitive::<Decimal128Type>().values();
            let source = Widened::new(values, i256::from_i128);
            scan_into_new::<Decimal256Type>(job, &source, bound, state)
        }
        (DataType::Decimal256(p, _), DataType::Decimal256(..)) => {
            let bound = MAX_DECIMAL256_FOR_EACH_PRECISION[usize::from(*p)];
            let values = leaf.as_primitive::<Decimal256Type>().values();
            scan_into_new::<Decimal256Type>(job, &Copied(values), bound, state)
        }
        _ => Err(mismatch),
    }
}

fn scan_into_new<P>(
    job: &LeafJob<'_>,
    source: &dyn Source<P::Native>,
    bound: P::Native,
    state: &mut RunningState,
) -> Result<ArrayRef, Failure>
where
    P: ArrowPrimitiveType,
    P::Native: Arith + Zeroable + Stateful + std::ops::Neg<Output = P::Native>,
{
    let n = job.layout.len();
    let mut values = OutputBuffer::<P::Native>::zeroed(n);
    // A decimal sum past its precision is not a number of the result type: always checked.
    let validity = match job.op.kind() {
        OpKind::Sum => run_kernel(job, BoundedSum { bound }, true, source, &mut values, state),
        OpKind::Max => run_kernel(job, Max, job.checked, source, &mut values, state),
        OpKind::Min => run_kernel(job, Min, job.checked, source, &mut values, state),
        OpKind::Prod => Err(Failure::Bug("planning admitted a product of decimals")),
    }?;
    let nulls = output_nulls(job, validity, n);
    Ok(Arc::new(
        PrimitiveArray::<P>::new(values.into_scalar_buffer(), nulls)
            .with_data_type(job.out_type.clone()),
    ))
}
