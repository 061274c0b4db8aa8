//! Property tests against a naive reference: random lengths, slice offsets, null masks
//! and garbage under the nulls, every operation, policy, direction and overflow mode;
//! N-dimensional shapes with null rows; the Scanner over random chunkings.

use std::sync::Arc;

use arrow::array::*;
use arrow::buffer::NullBuffer;
use arrow::datatypes::*;
use cumulus::{Axis, NullPolicy, Operation, Overflow, ScanOptions, Scanner};
use proptest::prelude::*;

const POLICIES: [NullPolicy; 4] = [
    NullPolicy::Skip,
    NullPolicy::Propagate,
    NullPolicy::Carry,
    NullPolicy::Identity,
];

/// Arithmetic written out plainly for the reference (independent of the kernels: the
/// first value seeds the lane instead of a neutral element).
trait RefNum: Copy + PartialEq + std::fmt::Debug {
    fn add(self, o: Self) -> Option<Self>;
    fn mul(self, o: Self) -> Option<Self>;
    fn wrapping(op: Operation, a: Self, b: Self) -> Self;
    fn max(self, o: Self) -> Self;
    fn min(self, o: Self) -> Self;
    fn identity(op: Operation) -> Self;
    fn is_nan(self) -> bool {
        false
    }
    fn same(self, o: Self) -> bool {
        self == o
    }
    /// How a failure shows the value (floats as their bits).
    fn show(self) -> String {
        format!("{self:?}")
    }
}

macro_rules! ref_int {
    ($t:ty) => {
        impl RefNum for $t {
            fn add(self, o: Self) -> Option<Self> {
                self.checked_add(o)
            }
            fn mul(self, o: Self) -> Option<Self> {
                self.checked_mul(o)
            }
            fn wrapping(op: Operation, a: Self, b: Self) -> Self {
                match op {
                    Operation::Cumsum | Operation::NanCumsum => a.wrapping_add(b),
                    Operation::Cumprod | Operation::NanCumprod => a.wrapping_mul(b),
                    Operation::Cummax => RefNum::max(a, b),
                    Operation::Cummin => RefNum::min(a, b),
                }
            }
            fn max(self, o: Self) -> Self {
                Ord::max(self, o)
            }
            fn min(self, o: Self) -> Self {
                Ord::min(self, o)
            }
            fn identity(op: Operation) -> Self {
                match op {
                    Operation::Cumsum | Operation::NanCumsum => 0,
                    Operation::Cumprod | Operation::NanCumprod => 1,
                    Operation::Cummax => <$t>::MIN,
                    Operation::Cummin => <$t>::MAX,
                }
            }
        }
    };
}
ref_int!(i64);
ref_int!(u64);
ref_int!(i32);
ref_int!(i8);

/// NumPy's bool arithmetic: + is or, * is and.
impl RefNum for bool {
    fn add(self, o: Self) -> Option<Self> {
        Some(self | o)
    }
    fn mul(self, o: Self) -> Option<Self> {
        Some(self & o)
    }
    fn wrapping(op: Operation, a: Self, b: Self) -> Self {
        combine(op, a, b, true).unwrap()
    }
    fn max(self, o: Self) -> Self {
        self | o
    }
    fn min(self, o: Self) -> Self {
        self & o
    }
    fn identity(op: Operation) -> Self {
        matches!(
            op,
            Operation::Cumprod | Operation::NanCumprod | Operation::Cummin
        )
    }
}

/// x86's rule for an arithmetic result involving NaN, which NumPy's loops (running value
/// first) inherit: the first operand's NaN if it is one, else the second's, quieted.
macro_rules! x86_nan {
    ($a:expr, $b:expr, $quiet:expr, $t:ty, $op:tt) => {{
        let (a, b): ($t, $t) = ($a, $b);
        if a.is_nan() {
            <$t>::from_bits(a.to_bits() | $quiet)
        } else if b.is_nan() {
            <$t>::from_bits(b.to_bits() | $quiet)
        } else {
            a $op b
        }
    }};
}

macro_rules! ref_float {
    ($t:ty, $quiet:expr) => {
        impl RefNum for $t {
            fn add(self, o: Self) -> Option<Self> {
                Some(x86_nan!(self, o, $quiet, $t, +))
            }
            fn mul(self, o: Self) -> Option<Self> {
                Some(x86_nan!(self, o, $quiet, $t, *))
            }
            fn wrapping(op: Operation, a: Self, b: Self) -> Self {
                match op {
                    Operation::Cumsum | Operation::NanCumsum => x86_nan!(a, b, $quiet, $t, +),
                    Operation::Cumprod | Operation::NanCumprod => x86_nan!(a, b, $quiet, $t, *),
                    Operation::Cummax => RefNum::max(a, b),
                    Operation::Cummin => RefNum::min(a, b),
                }
            }
            // NumPy: NaN sticks; ties take the new element for float32/float64.
            fn max(self, o: Self) -> Self {
                if self.is_nan() || self > o { self } else { o }
            }
            fn min(self, o: Self) -> Self {
                if self.is_nan() || self < o { self } else { o }
            }
            fn identity(op: Operation) -> Self {
                match op {
                    Operation::Cumsum | Operation::NanCumsum => 0.0,
                    Operation::Cumprod | Operation::NanCumprod => 1.0,
                    Operation::Cummax => <$t>::NEG_INFINITY,
                    Operation::Cummin => <$t>::INFINITY,
                }
            }
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            // Bit for bit, NaN payloads included.
            fn same(self, o: Self) -> bool {
                self.to_bits() == o.to_bits()
            }
            fn show(self) -> String {
                format!("{self:?}={:#x}", self.to_bits())
            }
        }
    };
}
ref_float!(f64, 1 << 51);
ref_float!(f32, 1 << 22);

/// Float64 values for the property tests: ordinary numbers, signed zeros, infinities and
/// NaNs of both signs, quiet and signalling, with payloads.
fn float64_values() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![
        4 => -1e6f64..1e6,
        1 => Just(-0.0f64),
        1 => Just(0.0f64),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(f64::NAN),
        1 => prop::sample::select(vec![
            0x7ff0_0000_0000_0001u64, // signalling, payload 1
            0x7ff4_0000_0000_0000,    // signalling, high payload
            0xfff8_0000_0000_0123,    // negative quiet, payload
            0x7ff8_0000_0000_0456,    // quiet, payload
        ])
        .prop_map(f64::from_bits),
        2 => any::<f64>(),
    ]
}

/// Float32 values, as [`float64_values`].
fn float32_values() -> impl Strategy<Value = f32> + Clone {
    prop_oneof![
        4 => -1e3f32..1e3,
        1 => Just(-0.0f32),
        1 => Just(0.1f32),
        1 => Just(f32::NAN),
        1 => prop::sample::select(vec![0x7f80_0001u32, 0x7fa0_0000, 0xffc0_0123, 0x7fc0_0456])
            .prop_map(f32::from_bits),
    ]
}

fn combine<T: RefNum>(op: Operation, a: T, b: T, checked: bool) -> Option<T> {
    match op {
        Operation::Cummax => Some(a.max(b)),
        Operation::Cummin => Some(a.min(b)),
        Operation::Cumsum | Operation::NanCumsum if checked => a.add(b),
        Operation::Cumprod | Operation::NanCumprod if checked => a.mul(b),
        _ => Some(T::wrapping(op, a, b)),
    }
}

/// One lane, in scan order, its elements cast with `cast` as they reach the running
/// value. `Err(i)` is the first failing position: a cast that does not fit (`None` from
/// `cast`) or an overflow.
fn reference_cast_lane<S: Copy, T: RefNum>(
    xs: &[Option<S>],
    cast: &dyn Fn(S) -> Option<T>,
    op: Operation,
    nulls: NullPolicy,
    checked: bool,
) -> Result<Vec<Option<T>>, usize> {
    let nan_variant = matches!(op, Operation::NanCumsum | Operation::NanCumprod);
    let mut acc: Option<T> = None;
    let mut poisoned = false;
    let mut out = Vec::with_capacity(xs.len());
    for (i, x) in xs.iter().enumerate() {
        let value = match (nulls, x) {
            (NullPolicy::Propagate, _) if poisoned => None,
            (NullPolicy::Propagate, None) => {
                poisoned = true;
                None
            }
            (NullPolicy::Identity, None) => Some(T::identity(op)),
            (_, None) => None,
            (_, Some(v)) => Some(cast(*v).ok_or(i)?),
        };
        let value = value.map(|v| {
            if nan_variant && v.is_nan() {
                T::identity(op)
            } else {
                v
            }
        });
        match value {
            Some(v) => {
                acc = Some(match acc {
                    None => v,
                    Some(a) => combine(op, a, v, checked).ok_or(i)?,
                });
                out.push(acc);
            }
            None if nulls == NullPolicy::Carry => out.push(acc),
            None => out.push(None),
        }
    }
    Ok(out)
}

/// A lane scanned in either direction; error positions are in input order.
fn reference<T: RefNum>(
    xs: &[Option<T>],
    op: Operation,
    nulls: NullPolicy,
    checked: bool,
    reverse: bool,
) -> Result<Vec<Option<T>>, usize> {
    reference_cast(xs, &Some, op, nulls, checked, reverse)
}

/// [`reference_cast_lane`] in either direction; error positions are in input order.
fn reference_cast<S: Copy, T: RefNum>(
    xs: &[Option<S>],
    cast: &dyn Fn(S) -> Option<T>,
    op: Operation,
    nulls: NullPolicy,
    checked: bool,
    reverse: bool,
) -> Result<Vec<Option<T>>, usize> {
    if !reverse {
        return reference_cast_lane(xs, cast, op, nulls, checked);
    }
    let reversed: Vec<Option<S>> = xs.iter().rev().copied().collect();
    let mut out =
        reference_cast_lane(&reversed, cast, op, nulls, checked).map_err(|i| xs.len() - 1 - i)?;
    out.reverse();
    Ok(out)
}

fn values_of<P: ArrowPrimitiveType>(y: &dyn Array) -> Vec<Option<P::Native>> {
    let y = y.as_primitive::<P>();
    (0..y.len())
        .map(|i| y.is_valid(i).then(|| y.value(i)))
        .collect()
}

fn same<T: RefNum>(a: &[Option<T>], b: &[Option<T>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => x.same(*y),
            (None, None) => true,
            _ => false,
        })
}

/// Raw values, a validity mask and a slice offset: the array is built over all of them
/// (so values under nulls are garbage the scan must never read) and then sliced.
fn column<T: std::fmt::Debug + Clone>(
    values: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = (Vec<T>, Vec<bool>, usize, usize)> {
    (0usize..300, 0usize..9).prop_flat_map(move |(len, offset)| {
        let total = len + offset + 2;
        (
            prop::collection::vec(values.clone(), total),
            prop::collection::vec(prop::bool::weighted(0.85), total),
            Just(offset),
            Just(len),
        )
    })
}

fn op_strategy() -> impl Strategy<Value = Operation> {
    prop::sample::select(Operation::ALL.to_vec())
}

fn policy_strategy() -> impl Strategy<Value = NullPolicy> {
    prop::sample::select(POLICIES.to_vec())
}

/// Builds the sliced array and the reference input for it.
fn build<P: ArrowPrimitiveType>(
    values: &[P::Native],
    valid: &[bool],
    offset: usize,
    len: usize,
) -> (ArrayRef, Vec<Option<P::Native>>) {
    let all_valid = valid.iter().all(|&v| v);
    let nulls = (!all_valid).then(|| NullBuffer::from(valid.to_vec()));
    let array = PrimitiveArray::<P>::new(values.to_vec().into(), nulls).slice(offset, len);
    let expected = (offset..offset + len)
        .map(|i| valid[i].then_some(values[i]))
        .collect();
    (Arc::new(array), expected)
}

/// Compares `cumulus::scan` with the reference on `input`, the array's elements already
/// cast to the result type `R`.
fn check<R>(
    array: &dyn Array,
    input: &[Option<R::Native>],
    op: Operation,
    options: &ScanOptions,
) -> Result<(), TestCaseError>
where
    R: ArrowPrimitiveType,
    R::Native: RefNum,
{
    let checked = options.overflow == Overflow::Error;
    let expected = reference(input, op, options.nulls, checked, options.reverse);
    let got = cumulus::scan(op, array, options);
    match (expected, got) {
        (Ok(expected), Ok(got)) => {
            prop_assert_eq!(got.data_type(), &R::DATA_TYPE);
            let got = values_of::<R>(&got);
            let show =
                |v: &[Option<R::Native>]| v.iter().map(|x| x.map(RefNum::show)).collect::<Vec<_>>();
            prop_assert!(
                same(&got, &expected),
                "{op} {options:?}\n got {:?}\nwant {:?}",
                show(&got),
                show(&expected)
            );
        }
        (Err(row), Err(err)) => {
            let message = err.to_string();
            prop_assert!(
                message.contains(&format!("at row {row}")),
                "{message}, expected row {row}"
            );
        }
        (expected, got) => prop_assert!(
            false,
            "{op} {options:?}: reference {expected:?}, cumulus {got:?}"
        ),
    }
    Ok(())
}

fn options(nulls: NullPolicy, reverse: bool, checked: bool) -> ScanOptions {
    ScanOptions::default()
        .with_nulls(nulls)
        .with_reverse(reverse)
        .with_overflow(if checked {
            Overflow::Error
        } else {
            Overflow::Wrap
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn int64_matches_the_reference(
        (values, valid, offset, len) in column(prop_oneof![any::<i64>(), -1000i64..1000, Just(i64::MAX), Just(0i64)]),
        op in op_strategy(), nulls in policy_strategy(), reverse: bool, checked: bool,
    ) {
        let (array, input) = build::<Int64Type>(&values, &valid, offset, len);
        check::<Int64Type>(&array, &input, op, &options(nulls, reverse, checked))?;
    }

    #[test]
    fn uint64_matches_the_reference(
        (values, valid, offset, len) in column(prop_oneof![any::<u64>(), 0u64..100]),
        op in op_strategy(), nulls in policy_strategy(), reverse: bool, checked: bool,
    ) {
        let (array, input) = build::<UInt64Type>(&values, &valid, offset, len);
        check::<UInt64Type>(&array, &input, op, &options(nulls, reverse, checked))?;
    }

    #[test]
    fn float64_matches_the_reference_bit_for_bit(
        (values, valid, offset, len) in column(float64_values()),
        op in op_strategy(), nulls in policy_strategy(), reverse: bool,
    ) {
        let (array, input) = build::<Float64Type>(&values, &valid, offset, len);
        check::<Float64Type>(&array, &input, op, &options(nulls, reverse, false))?;
    }

    #[test]
    fn float32_matches_the_reference_bit_for_bit(
        (values, valid, offset, len) in column(float32_values()),
        op in op_strategy(), nulls in policy_strategy(), reverse: bool,
    ) {
        let (array, input) = build::<Float32Type>(&values, &valid, offset, len);
        check::<Float32Type>(&array, &input, op, &options(nulls, reverse, false))?;
    }

    #[test]
    fn int32_widens_to_int64(
        (values, valid, offset, len) in column(any::<i32>()),
        op in op_strategy(), nulls in policy_strategy(), reverse: bool, checked: bool,
    ) {
        let (array, input) = build::<Int32Type>(&values, &valid, offset, len);
        let widened: Vec<Option<i64>> = input.iter().map(|v| v.map(i64::from)).collect();
        if matches!(op, Operation::Cummax | Operation::Cummin) {
            // max/min keep int32.
            let got = cumulus::scan(op, &array, &options(nulls, reverse, checked)).unwrap();
            prop_assert_eq!(got.data_type(), &DataType::Int32);
            prop_assert_eq!(values_of::<Int32Type>(&got), reference(&input, op, nulls, false, reverse).unwrap());
        } else {
            check::<Int64Type>(&array, &widened, op, &options(nulls, reverse, checked))?;
        }
    }

    #[test]
    fn dtype_int8_wraps_in_int8(
        (values, valid, offset, len) in column(-1000i64..1000),
        op in op_strategy(), nulls in policy_strategy(), reverse: bool,
    ) {
        let (array, input) = build::<Int64Type>(&values, &valid, offset, len);
        let cast: Vec<Option<i8>> = input.iter().map(|v| v.map(|x| x as i8)).collect();
        let options = options(nulls, reverse, false).with_dtype(DataType::Int8);
        check::<Int8Type>(&array, &cast, op, &options)?;
    }

    #[test]
    fn booleans_count_as_int64(
        (values, valid, offset, len) in column(any::<bool>()),
        op in op_strategy(), nulls in policy_strategy(), reverse: bool,
    ) {
        let nulls_buffer = NullBuffer::from(valid.clone());
        let array = BooleanArray::new(values.clone().into(), Some(nulls_buffer)).slice(offset, len);
        let input: Vec<Option<bool>> = (offset..offset + len).map(|i| valid[i].then_some(values[i])).collect();
        let got = cumulus::scan(op, &array, &options(nulls, reverse, false)).unwrap();
        if matches!(op, Operation::Cummax | Operation::Cummin) {
            // max/min keep bool: a running or / and.
            let want = reference(&input, op, nulls, false, reverse).unwrap();
            let got = got.as_boolean();
            let got: Vec<Option<bool>> = (0..got.len()).map(|i| got.is_valid(i).then(|| got.value(i))).collect();
            prop_assert_eq!(got, want);
        } else {
            let as_int: Vec<Option<i64>> = input.iter().map(|v| v.map(i64::from)).collect();
            let want = reference(&as_int, op, nulls, false, reverse).unwrap();
            prop_assert_eq!(values_of::<Int64Type>(&got), want);
        }
    }

    #[test]
    fn scanner_over_any_chunking_equals_one_shot(
        (values, valid, offset, len) in column(-50i64..50),
        cuts in prop::collection::vec(0usize..300, 0..6),
        op in op_strategy(), nulls in policy_strategy(), reverse: bool,
        dtype in prop::option::of(prop::sample::select(vec![DataType::Int8, DataType::Float64])),
    ) {
        let (array, _) = build::<Int64Type>(&values, &valid, offset, len);
        let mut options = options(nulls, reverse, false);
        options.dtype = dtype;
        let one_shot = cumulus::scan(op, &array, &options).unwrap();
        let mut bounds: Vec<usize> = cuts.into_iter().map(|c| c.min(len)).collect();
        bounds.extend([0, len]);
        bounds.sort_unstable();
        let chunks: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1] - w[0])).collect();
        let mut scanner = Scanner::try_new(op, array.data_type(), &options).unwrap();
        let mut pieces: Vec<(usize, ArrayRef)> = vec![];
        let order: Vec<&(usize, usize)> = if reverse { chunks.iter().rev().collect() } else { chunks.iter().collect() };
        for &(start, n) in order {
            pieces.push((start, scanner.push(array.slice(start, n).as_ref()).unwrap()));
        }
        pieces.sort_by_key(|(start, _)| *start);
        let refs: Vec<&dyn Array> = pieces.iter().map(|(_, a)| a.as_ref()).collect();
        let chunked = arrow::compute::concat(&refs).unwrap();
        prop_assert_eq!(chunked.as_ref(), one_shot.as_ref());
        // The one-call helper, in either direction.
        let inputs: Vec<ArrayRef> = chunks.iter().map(|&(start, n)| array.slice(start, n)).collect();
        let outputs = scanner.scan_chunks(&inputs).unwrap();
        let refs: Vec<&dyn Array> = outputs.iter().map(|a| a.as_ref()).collect();
        let helper = arrow::compute::concat(&refs).unwrap();
        prop_assert_eq!(helper.as_ref(), one_shot.as_ref());
    }
}

/// An m x n column with random row nulls and element nulls.
fn matrix_strategy<T: std::fmt::Debug + Clone>(
    values: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = (usize, usize, Vec<T>, Vec<bool>, Vec<bool>)> {
    (0usize..12, 0usize..7).prop_flat_map(move |(m, n)| {
        (
            Just(m),
            Just(n),
            prop::collection::vec(values.clone(), m * n),
            prop::collection::vec(prop::bool::weighted(0.85), m * n),
            prop::collection::vec(prop::bool::weighted(0.8), m),
        )
    })
}

fn matrix_column<P: ArrowPrimitiveType>(
    m: usize,
    n: usize,
    values: &[P::Native],
    valid: &[bool],
    rows: &[bool],
) -> ArrayRef {
    let item = Arc::new(Field::new("item", P::DATA_TYPE, true));
    let elements = PrimitiveArray::<P>::new(
        values.to_vec().into(),
        Some(NullBuffer::from(valid.to_vec())),
    );
    Arc::new(
        FixedSizeListArray::try_new_with_length(
            item,
            n as i32,
            Arc::new(elements),
            Some(NullBuffer::from(rows.to_vec())),
            m,
        )
        .unwrap(),
    )
}

/// The reference for an m x n column: lanes picked by the axis, each scanned naively.
fn reference_matrix<T: RefNum>(
    m: usize,
    n: usize,
    values: &[T],
    valid: &[bool],
    rows: &[bool],
    op: Operation,
    options: &ScanOptions,
) -> Vec<Option<T>> {
    reference_cast_matrix(m, n, values, valid, rows, &Some, op, options, false).unwrap()
}

/// [`reference_matrix`] over elements cast with `cast` (see [`reference_cast_lane`]),
/// with checked arithmetic if `checked`. The error is the element index (row-major) of
/// the first failure in the scan's order: lane after lane (the last lane first in a
/// reverse scan), except along axis 0, where every lane takes a step of the row before
/// the next row (the lanes of a row in order).
#[allow(clippy::too_many_arguments)]
fn reference_cast_matrix<S: Copy, T: RefNum>(
    m: usize,
    n: usize,
    values: &[S],
    valid: &[bool],
    rows: &[bool],
    cast: &dyn Fn(S) -> Option<T>,
    op: Operation,
    options: &ScanOptions,
    checked: bool,
) -> Result<Vec<Option<T>>, usize> {
    let element = |r: usize, c: usize| (rows[r] && valid[r * n + c]).then_some(values[r * n + c]);
    let along_rows = matches!(options.axis, Axis::Index(0) | Axis::Index(-2));
    let lanes: Vec<Vec<(usize, usize)>> = match options.axis {
        Axis::Flatten => vec![(0..m).flat_map(|r| (0..n).map(move |c| (r, c))).collect()],
        _ if along_rows => (0..n).map(|c| (0..m).map(|r| (r, c)).collect()).collect(),
        _ => (0..m).map(|r| (0..n).map(|c| (r, c)).collect()).collect(),
    };
    let mut out = vec![None; m * n];
    // Each failing lane's failure: (its step in scan order, its lane, the element).
    let mut failures = vec![];
    for (k, lane) in lanes.iter().enumerate() {
        let xs: Vec<Option<S>> = lane.iter().map(|&(r, c)| element(r, c)).collect();
        match reference_cast(&xs, cast, op, options.nulls, checked, options.reverse) {
            Ok(ys) => {
                for (&(r, c), y) in lane.iter().zip(ys) {
                    out[r * n + c] = y;
                }
            }
            Err(i) => {
                let step = if options.reverse { xs.len() - 1 - i } else { i };
                let (r, c) = lane[i];
                failures.push((step, k, r * n + c));
            }
        }
    }
    let first = if along_rows {
        failures
            .into_iter()
            .min_by_key(|&(step, lane, _)| (step, lane))
    } else if options.reverse {
        // Independent lanes (rows) run last first in a reverse scan.
        failures.into_iter().next_back()
    } else {
        failures.into_iter().next()
    };
    match first {
        Some((_, _, element)) => Err(element),
        None => Ok(out),
    }
}

/// The elements of a result as the reference sees them: a null row makes its elements null
/// under Skip and Propagate (the documented table keeps the row null).
fn elements_of<P: ArrowPrimitiveType>(y: &dyn Array) -> Vec<Option<P::Native>> {
    match y.data_type() {
        DataType::FixedSizeList(_, n) => {
            let list = y.as_fixed_size_list();
            let n = *n as usize;
            let values = list.values().as_primitive::<P>();
            (0..list.len() * n)
                .map(|i| (list.is_valid(i / n) && values.is_valid(i)).then(|| values.value(i)))
                .collect()
        }
        _ => values_of::<P>(y),
    }
}

fn axis_strategy() -> impl Strategy<Value = Axis> {
    prop::sample::select(vec![
        Axis::Flatten,
        Axis::Index(0),
        Axis::Index(1),
        Axis::Index(-1),
        Axis::Index(-2),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn matrices_match_the_reference_on_every_axis(
        (m, n, values, valid, rows) in matrix_strategy(-20i64..20),
        op in op_strategy(), nulls in policy_strategy(), reverse: bool, axis in axis_strategy(),
    ) {
        let column = matrix_column::<Int64Type>(m, n, &values, &valid, &rows);
        let options = ScanOptions::default().with_nulls(nulls).with_reverse(reverse).with_axis(axis);
        let got = cumulus::scan(op, column.as_ref(), &options).unwrap();
        let want = reference_matrix(m, n, &values, &valid, &rows, op, &options);
        prop_assert_eq!(elements_of::<Int64Type>(&got), want);
    }

    /// NaN payloads and signalling NaNs down every axis, with null rows and elements: the
    /// interleaved lanes of axis 0 keep NumPy's choice of NaN.
    #[test]
    fn float_matrices_match_the_reference_bit_for_bit(
        (m, n, values, valid, rows) in matrix_strategy(float64_values()),
        op in op_strategy(), nulls in policy_strategy(), reverse: bool, axis in axis_strategy(),
    ) {
        let column = matrix_column::<Float64Type>(m, n, &values, &valid, &rows);
        let options = ScanOptions::default().with_nulls(nulls).with_reverse(reverse).with_axis(axis);
        let got = cumulus::scan(op, column.as_ref(), &options).unwrap();
        let got = elements_of::<Float64Type>(&got);
        let want = reference_matrix(m, n, &values, &valid, &rows, op, &options);
        let show = |v: &[Option<f64>]| v.iter().map(|x| x.map(RefNum::show)).collect::<Vec<_>>();
        prop_assert!(same(&got, &want), "{op} {options:?}\n got {:?}\nwant {:?}", show(&got), show(&want));
    }

    #[test]
    fn matrix_scanner_carries_the_running_vector(
        (m, n, values, valid, rows) in matrix_strategy(float64_values()),
        cut in 0usize..12,
        op in op_strategy(), nulls in policy_strategy(),
        axis in prop::sample::select(vec![Axis::Flatten, Axis::Index(0), Axis::Index(1)]),
    ) {
        let column = matrix_column::<Float64Type>(m, n, &values, &valid, &rows);
        let options = ScanOptions::default().with_nulls(nulls).with_axis(axis);
        let one_shot = cumulus::scan(op, column.as_ref(), &options).unwrap();
        let cut = cut.min(m);
        let mut scanner = Scanner::try_new(op, column.data_type(), &options).unwrap();
        let a = scanner.push(column.slice(0, cut).as_ref()).unwrap();
        let b = scanner.push(column.slice(cut, m - cut).as_ref()).unwrap();
        let chunked = arrow::compute::concat(&[a.as_ref(), b.as_ref()]).unwrap();
        prop_assert!(same(&elements_of::<Float64Type>(&chunked), &elements_of::<Float64Type>(&one_shot)));
    }
}

/// An int64 element cast to int8 by a checked cast.
fn to_int8(x: i64) -> Option<i8> {
    i8::try_from(x).ok()
}

/// The row of a scan's overflow error.
fn error_row(err: &cumulus::Error) -> Option<usize> {
    match err {
        cumulus::Error::Overflow { row, .. } => Some(*row),
        _ => None,
    }
}

/// The element of an m x n column (row-major) that an overflow error names.
fn error_element(err: &cumulus::Error, n: usize) -> Option<usize> {
    match err {
        cumulus::Error::Overflow { row, element, .. } => {
            Some(row * n + element.as_ref().map_or(0, |e| e[0]))
        }
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Checked casts (int64 to int8 under `overflow="error"`) and checked arithmetic fail
    /// together: the error names the first failure in scan order, in either direction,
    /// whether a cast or an overflow, and the Scanner over any chunking names the same
    /// row. Lanes longer than a block put failures in several blocks.
    #[test]
    fn the_first_failure_in_scan_order_is_reported(
        (values, valid, offset, len) in column(prop_oneof![20 => -20i64..20, 1 => -400i64..400]),
        long in prop::option::of(2040usize..6200),
        cuts in prop::collection::vec(0usize..6200, 0..5),
        op in op_strategy(), nulls in policy_strategy(), reverse: bool,
    ) {
        let (mut values, mut valid, mut len) = (values, valid, len);
        if let Some(long) = long {
            // Repeat the drawn column (never empty) to a length of several blocks.
            let total = long + offset + 2;
            values = values.iter().copied().cycle().take(total).collect();
            valid = valid.iter().copied().cycle().take(total).collect();
            len = long;
        }
        let (array, input) = build::<Int64Type>(&values, &valid, offset, len);
        let options = options(nulls, reverse, true).with_dtype(DataType::Int8);
        let want = reference_cast(&input, &to_int8, op, nulls, true, reverse);
        let got = cumulus::scan(op, &array, &options);
        match (&want, &got) {
            (Ok(want), Ok(got)) => prop_assert_eq!(&values_of::<Int8Type>(got), want),
            (Err(row), Err(err)) => prop_assert_eq!(error_row(err), Some(*row), "{}", err),
            _ => prop_assert!(false, "{op} {options:?}: reference {want:?}, cumulus {got:?}"),
        }
        let mut bounds: Vec<usize> = cuts.into_iter().map(|c| c.min(len)).collect();
        bounds.extend([0, len]);
        bounds.sort_unstable();
        let inputs: Vec<ArrayRef> = bounds.windows(2).map(|w| array.slice(w[0], w[1] - w[0])).collect();
        let mut scanner = Scanner::try_new(op, array.data_type(), &options).unwrap();
        let chunked = scanner.scan_chunks(&inputs);
        match (&want, chunked) {
            (Ok(_), Ok(_)) => {}
            (Err(row), Err(err)) => prop_assert_eq!(error_row(&err), Some(*row), "chunked: {}", err),
            (_, chunked) => prop_assert!(false, "{op} {options:?}: reference {want:?}, chunked {chunked:?}"),
        }
    }

    /// The same on m x n columns along every axis: along axis 0 the lanes step side by
    /// side, so the first failure is the earliest row in scan order, then the lowest lane.
    #[test]
    fn matrices_report_the_first_failure_in_scan_order(
        (m, n, values, valid, rows) in matrix_strategy(prop_oneof![12 => -20i64..20, 1 => -400i64..400]),
        op in op_strategy(), nulls in policy_strategy(), reverse: bool, axis in axis_strategy(),
    ) {
        let column = matrix_column::<Int64Type>(m, n, &values, &valid, &rows);
        let options = options(nulls, reverse, true).with_axis(axis).with_dtype(DataType::Int8);
        let want = reference_cast_matrix(m, n, &values, &valid, &rows, &to_int8, op, &options, true);
        let got = cumulus::scan(op, column.as_ref(), &options);
        match (&want, &got) {
            (Ok(want), Ok(got)) => prop_assert_eq!(&elements_of::<Int8Type>(got.as_ref()), want),
            (Err(element), Err(err)) => {
                prop_assert_eq!(error_element(err, n), Some(*element), "{}", err);
            }
            _ => prop_assert!(false, "{op} {options:?}: reference {want:?}, cumulus {got:?}"),
        }
    }
}

/// The fuzzer's finding (fuzz/findings/scanner-reverse-overflow-row): a reverse scan whose
/// casts all fail names the last row, the first it scans, in one shot and chunked.
#[test]
fn a_reverse_scan_names_its_first_failing_cast() {
    let array = Int8Array::from(vec![-127, -1, -12]);
    let options = ScanOptions::default()
        .with_reverse(true)
        .with_overflow(Overflow::Error)
        .with_dtype(DataType::UInt8);
    let one_shot = cumulus::scan(Operation::Cummax, &array, &options).unwrap_err();
    assert_eq!(error_row(&one_shot), Some(2), "{one_shot}");
    let mut scanner = Scanner::try_new(Operation::Cummax, array.data_type(), &options).unwrap();
    let chunks: Vec<ArrayRef> = vec![Arc::new(array.slice(0, 1)), Arc::new(array.slice(1, 2))];
    let chunked = scanner.scan_chunks(&chunks).unwrap_err();
    assert_eq!(error_row(&chunked), Some(2), "{chunked}");
}
