//! The one scan driver. It walks the output in cache-sized blocks: a [`Source`] writes the
//! next block of elements (cast to the result type) into the output, the null policy
//! replaces what nulls must not contribute, and the operation runs over the block in place.
//! Lanes are either runs of consecutive elements (1-D columns, the last axis, lists) or
//! interleaved (axis 0 of an `m x n` column: `n` running values side by side, one
//! vectorisable step per row).

use crate::NullPolicy;
use crate::kernels::bits::{Bits, set_range};
use crate::kernels::element::Element;
use crate::kernels::ops::{Arith, ScanOp};

/// Elements per block: a block of float64 results stays well inside L1.
const BLOCK: usize = 2048;

/// Where the elements of a scan come from.
pub trait Source<T> {
    /// Writes elements `start..start + out.len()`, as `T`, into `out`.
    ///
    /// # Errors
    /// The absolute index of a valid element that does not fit `T` under a checked cast.
    fn load(&self, start: usize, out: &mut [T]) -> Result<(), usize>;

    /// The elements themselves when they already have the result type: the scan then
    /// reads them directly instead of loading a copy, overlapping the memory stream with
    /// the dependency chain of the operation.
    fn values(&self) -> Option<&[T]> {
        None
    }
}

/// Elements already of the result type: a plain copy.
#[derive(Debug, Clone, Copy)]
pub struct Copied<'a, T>(pub &'a [T]);

impl<T: Copy> Source<T> for Copied<'_, T> {
    #[inline]
    fn load(&self, start: usize, out: &mut [T]) -> Result<(), usize> {
        out.copy_from_slice(&self.0[start..start + out.len()]);
        Ok(())
    }

    fn values(&self) -> Option<&[T]> {
        Some(self.0)
    }
}

/// Elements of another type, converted with NumPy's unsafe cast (or a checked cast),
/// with NaN optionally replaced first (the `nan*` operations).
#[derive(Debug, Clone, Copy)]
pub struct Cast<'a, I, T> {
    values: &'a [I],
    validity: Option<Bits<'a>>,
    checked: bool,
    nan_as: Option<T>,
}

impl<'a, I: Element, T: Element> Cast<'a, I, T> {
    /// A cast source over `values`. With `checked`, a valid element that does not fit `T`
    /// is an error; elements under nulls (per `validity`) never are. With `nan_as`, a NaN
    /// becomes that value instead of being cast.
    pub fn new(
        values: &'a [I],
        validity: Option<Bits<'a>>,
        checked: bool,
        nan_as: Option<T>,
    ) -> Self {
        Cast {
            values,
            validity,
            checked,
            nan_as,
        }
    }
}

impl<I: Element, T: Element> Source<T> for Cast<'_, I, T> {
    fn load(&self, start: usize, out: &mut [T]) -> Result<(), usize> {
        let values = &self.values[start..start + out.len()];
        match (self.checked, self.nan_as) {
            (false, None) => {
                for (o, &x) in out.iter_mut().zip(values) {
                    *o = x.cast();
                }
            }
            (false, Some(nan_as)) => {
                for (o, &x) in out.iter_mut().zip(values) {
                    *o = if x.is_nan() { nan_as } else { x.cast() };
                }
            }
            (true, nan_as) => {
                for (i, (o, &x)) in out.iter_mut().zip(values).enumerate() {
                    *o = match (nan_as, x.checked_cast()) {
                        (Some(nan_as), _) if x.is_nan() => nan_as,
                        (_, Some(v)) => v,
                        (_, None) if self.validity.is_none_or(|v| v.get(start + i)) => {
                            return Err(start + i);
                        }
                        (_, None) => x.cast(),
                    };
                }
            }
        }
        Ok(())
    }
}

/// Bit-packed booleans (Arrow's boolean layout), as `0`/`1` of the result type.
#[derive(Debug, Clone, Copy)]
pub struct BoolBits<'a>(pub Bits<'a>);

impl<T: Element> Source<T> for BoolBits<'_> {
    fn load(&self, start: usize, out: &mut [T]) -> Result<(), usize> {
        for (i, o) in out.iter_mut().enumerate() {
            *o = T::from_bool(self.0.get(start + i));
        }
        Ok(())
    }
}

/// Elements widened by a lossless conversion (decimal `i128` to `i256`).
#[derive(Debug, Clone, Copy)]
pub struct Widened<'a, I, F> {
    values: &'a [I],
    widen: F,
}

impl<'a, I, F> Widened<'a, I, F> {
    /// A source converting each of `values` with `widen`.
    pub fn new(values: &'a [I], widen: F) -> Self {
        Widened { values, widen }
    }
}

impl<I: Copy, T, F: Fn(I) -> T> Source<T> for Widened<'_, I, F> {
    fn load(&self, start: usize, out: &mut [T]) -> Result<(), usize> {
        let values = &self.values[start..start + out.len()];
        for (o, &x) in out.iter_mut().zip(values) {
            *o = (self.widen)(x);
        }
        Ok(())
    }
}

/// The elements are already in the output (an in-place scan); NaN is optionally replaced.
#[derive(Debug, Clone, Copy)]
pub struct InPlace<T> {
    nan_as: Option<T>,
}

impl<T> InPlace<T> {
    /// An in-place source; with `nan_as`, NaNs in the output are replaced before the scan.
    pub fn new(nan_as: Option<T>) -> Self {
        InPlace { nan_as }
    }
}

impl<T: Element> Source<T> for InPlace<T> {
    fn load(&self, _start: usize, out: &mut [T]) -> Result<(), usize> {
        if let Some(nan_as) = self.nan_as {
            for x in out.iter_mut().filter(|x| x.is_nan()) {
                *x = nan_as;
            }
        }
        Ok(())
    }
}

/// How the elements of a scan form lanes (the runs that accumulate independently).
///
/// Elements are numbered in row-major order. For an `m x n` column, the last axis is
/// `Strided { outer: m, len: n, inner: 1 }`, axis 0 is `Strided { outer: 1, len: m,
/// inner: n }`, and flattening is `Strided { outer: 1, len: m * n, inner: 1 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout<'a> {
    /// `outer` independent groups of `inner` interleaved lanes, each `len` steps long:
    /// lane `(o, k)` is elements `(o * len + i) * inner + k` for `i` in `0..len`.
    /// With `outer == 1` the lanes continue the [`ScanState`] across calls.
    Strided {
        /// Independent groups.
        outer: usize,
        /// Steps per lane.
        len: usize,
        /// Interleaved lanes per group.
        inner: usize,
    },
    /// One lane per pair of consecutive offsets (a List column's last axis); offsets are
    /// relative to the first.
    Offsets32(&'a [i32]),
    /// As [`Layout::Offsets32`] for LargeList columns.
    Offsets64(&'a [i64]),
}

impl Layout<'_> {
    /// A single lane over `len` elements (a 1-D column).
    pub fn single(len: usize) -> Self {
        Layout::Strided {
            outer: 1,
            len,
            inner: 1,
        }
    }

    /// The number of elements the layout covers.
    pub fn len(&self) -> usize {
        match *self {
            Layout::Strided { outer, len, inner } => outer * len * inner,
            Layout::Offsets32(o) => o.last().map_or(0, |&e| (e - o[0]) as usize),
            Layout::Offsets64(o) => o.last().map_or(0, |&e| (e - o[0]) as usize),
        }
    }

    /// Whether the layout covers no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many lanes carry state from one call to the next.
    pub fn carried_lanes(&self) -> usize {
        match *self {
            Layout::Strided {
                outer: 1, inner, ..
            } => inner,
            _ => 0,
        }
    }
}

/// The operation and options of a scan, without any data.
#[derive(Debug, Clone, Copy)]
pub struct Scan<O> {
    /// The operation.
    pub op: O,
    /// What nulls do.
    pub nulls: NullPolicy,
    /// Report integer overflow instead of wrapping.
    pub checked: bool,
    /// Run each lane from its last element to its first.
    pub reverse: bool,
}

impl<O> Scan<O> {
    /// The value a null is replaced by before the operation sees it.
    fn fill<T>(&self) -> T
    where
        O: ScanOp<T>,
    {
        match self.nulls {
            NullPolicy::Identity => self.op.identity(),
            _ => self.op.neutral(),
        }
    }

    /// Whether the policy produces a validity of its own (rather than the input's or none).
    pub fn writes_validity(&self) -> bool {
        matches!(self.nulls, NullPolicy::Carry | NullPolicy::Propagate)
    }
}

/// The running state of lanes that continue from one chunk to the next: the running
/// value, whether a value was seen (for [`NullPolicy::Carry`]) and whether a null was
/// seen (for [`NullPolicy::Propagate`]). O(1) per lane.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanState<T> {
    acc: Vec<T>,
    seen: Vec<bool>,
    poisoned: Vec<bool>,
    any_poisoned: bool,
}

impl<T: Copy> ScanState<T> {
    /// Fresh state for `lanes` lanes, each starting from `start` (the operation's neutral).
    pub fn new(lanes: usize, start: T) -> Self {
        ScanState {
            acc: vec![start; lanes],
            seen: vec![false; lanes],
            poisoned: vec![false; lanes],
            any_poisoned: false,
        }
    }

    /// The number of lanes.
    pub fn lanes(&self) -> usize {
        self.acc.len()
    }

    /// The running values.
    pub fn running(&self) -> &[T] {
        &self.acc
    }

    fn reset(&mut self, start: T) {
        self.acc.fill(start);
        self.seen.fill(false);
        self.poisoned.fill(false);
        self.any_poisoned = false;
    }

    fn lane(&self, k: usize) -> Lane<T> {
        Lane {
            acc: self.acc[k],
            seen: self.seen[k],
            poisoned: self.poisoned[k],
        }
    }

    fn store(&mut self, k: usize, lane: Lane<T>) {
        self.acc[k] = lane.acc;
        self.seen[k] = lane.seen;
        self.poisoned[k] = lane.poisoned;
        self.any_poisoned |= lane.poisoned;
    }
}

#[derive(Debug, Clone, Copy)]
struct Lane<T> {
    acc: T,
    seen: bool,
    poisoned: bool,
}

impl<T> Lane<T> {
    fn fresh(start: T) -> Self {
        Lane {
            acc: start,
            seen: false,
            poisoned: false,
        }
    }
}

/// Scans `layout.len()` elements from `source` into `out`.
///
/// `validity` (if any) marks the valid input elements; elements under nulls never reach
/// the result. `out_validity` receives the output validity when the policy writes one
/// ([`Scan::writes_validity`]: Carry and Propagate), one bit per element from bit 0;
/// under Skip the output validity is the input's and under Identity there is none.
/// `state` must have [`Layout::carried_lanes`] lanes; it is read and updated, so
/// consecutive calls continue the same lanes.
///
/// ```
/// use cumulus::NullPolicy;
/// use cumulus::kernels::{scan, Bits, Copied, Layout, Scan, ScanOp, ScanState, Sum};
///
/// let values = [1i64, 99, 2, 3];
/// let validity = [0b1101u8]; // element 1 is null
/// let config = Scan { op: Sum, nulls: NullPolicy::Skip, checked: false, reverse: false };
/// let mut out = [0i64; 4];
/// let mut state = ScanState::new(1, ScanOp::<i64>::neutral(&Sum));
/// scan(&config, &Copied(&values), Some(Bits::new(&validity, 0, 4)), Layout::single(4),
///      &mut out, None, &mut state).unwrap();
/// assert_eq!([out[0], out[2], out[3]], [1, 3, 6]);
/// assert_eq!(state.running(), &[6]);
/// ```
///
/// # Errors
/// The index of the first element whose result (or checked cast) overflows, when
/// `config.checked`; elements already written before it are partial results.
///
/// # Panics
/// If `out`, `validity` or `out_validity` are shorter than the layout, or `state` has the
/// wrong number of lanes: these are bugs in the caller, not properties of the data.
pub fn scan<T, O>(
    config: &Scan<O>,
    source: &dyn Source<T>,
    validity: Option<Bits<'_>>,
    layout: Layout<'_>,
    out: &mut [T],
    mut out_validity: Option<&mut [u8]>,
    state: &mut ScanState<T>,
) -> Result<(), usize>
where
    T: Arith,
    O: ScanOp<T>,
{
    let total = layout.len();
    assert!(out.len() >= total, "output shorter than the layout");
    assert!(validity.is_none_or(|v| v.len() >= total));
    if !config.writes_validity() {
        out_validity = None;
    }
    if total == 0 {
        return Ok(());
    }
    match layout {
        Layout::Strided {
            outer: 1,
            len,
            inner: 1,
        } => {
            assert_eq!(state.lanes(), 1, "a single lane carries one state");
            let mut lane = state.lane(0);
            scan_lane(
                config,
                source,
                validity,
                0..len,
                out,
                &mut out_validity,
                &mut lane,
            )?;
            state.store(0, lane);
            Ok(())
        }
        Layout::Strided {
            outer,
            len,
            inner: 1,
        } => scan_rows(config, source, validity, outer, len, out, &mut out_validity),
        Layout::Strided { outer, len, inner } => {
            let mut fresh = ScanState::new(if outer == 1 { 0 } else { inner }, config.op.neutral());
            for o in 0..outer {
                let lanes = if outer == 1 {
                    assert_eq!(state.lanes(), inner, "one state per interleaved lane");
                    &mut *state
                } else {
                    fresh.reset(config.op.neutral());
                    &mut fresh
                };
                let base = o * len * inner;
                scan_interleaved(
                    config,
                    source,
                    validity,
                    base,
                    len,
                    inner,
                    out,
                    &mut out_validity,
                    lanes,
                )?;
            }
            Ok(())
        }
        Layout::Offsets32(offsets) => {
            let base = offsets.first().map_or(0, |&o| o as usize);
            let ranges = offsets
                .windows(2)
                .map(|w| w[0] as usize - base..w[1] as usize - base);
            scan_lanes(config, source, validity, ranges, out, &mut out_validity)
        }
        Layout::Offsets64(offsets) => {
            let base = offsets.first().map_or(0, |&o| o as usize);
            let ranges = offsets
                .windows(2)
                .map(|w| w[0] as usize - base..w[1] as usize - base);
            scan_lanes(config, source, validity, ranges, out, &mut out_validity)
        }
    }
}

/// Independent lanes over the given ranges of consecutive elements.
fn scan_lanes<T: Arith, O: ScanOp<T>>(
    config: &Scan<O>,
    source: &dyn Source<T>,
    validity: Option<Bits<'_>>,
    ranges: impl Iterator<Item = std::ops::Range<usize>>,
    out: &mut [T],
    out_validity: &mut Option<&mut [u8]>,
) -> Result<(), usize> {
    for range in ranges {
        let mut lane = Lane::fresh(config.op.neutral());
        scan_lane(
            config,
            source,
            validity,
            range,
            out,
            out_validity,
            &mut lane,
        )?;
    }
    Ok(())
}

/// `outer` lanes of `len` consecutive elements (the last axis of a fixed-size column).
fn scan_rows<T: Arith, O: ScanOp<T>>(
    config: &Scan<O>,
    source: &dyn Source<T>,
    validity: Option<Bits<'_>>,
    outer: usize,
    len: usize,
    out: &mut [T],
    out_validity: &mut Option<&mut [u8]>,
) -> Result<(), usize> {
    // Carry and Propagate with nulls need each row's own policy state; short rows without
    // them are scanned many at a time so a row costs no more than its elements.
    let policy_per_row = validity.is_some() && config.writes_validity();
    if policy_per_row || len == 0 || len > BLOCK {
        let ranges = (0..outer).map(|o| o * len..(o + 1) * len);
        return scan_lanes(config, source, validity, ranges, out, out_validity);
    }
    let direct = source.values();
    if let Some(values) = direct.filter(|_| validity.is_none() && !config.checked) {
        let total = outer * len;
        if short_rows(config, &values[..total], &mut out[..total], len) {
            if let Some(bits) = out_validity.as_deref_mut() {
                set_range(bits, 0, total, true);
            }
            return Ok(());
        }
    }
    let rows_per_block = BLOCK / len;
    let fill = config.fill();
    for first_row in (0..outer).step_by(rows_per_block) {
        let rows = rows_per_block.min(outer - first_row);
        let (start, end) = (first_row * len, (first_row + rows) * len);
        let block = &mut out[start..end];
        if direct.is_none() {
            source.load(start, block)?;
        }
        for (r, row) in block.chunks_exact_mut(len).enumerate() {
            let at = start + r * len;
            let input = direct.map_or(Input::Loaded, |values| Input::Slice(&values[at..at + len]));
            let row_validity = validity.map(|v| v.slice(at, len));
            let mut acc = config.op.neutral();
            run(config, input, row, row_validity, fill, &mut acc).map_err(|i| at + i)?;
        }
        if let Some(bits) = out_validity.as_deref_mut() {
            set_range(bits, start, end, true);
        }
    }
    Ok(())
}

/// The last axis of a column of short rows (up to 8 elements) without nulls, in one pass
/// with the row length known at compile time: for `m x 4` columns the per-row cost of the
/// general path exceeds the scan. `false` when `len` is not short.
fn short_rows<T: Arith, O: ScanOp<T>>(
    config: &Scan<O>,
    values: &[T],
    out: &mut [T],
    len: usize,
) -> bool {
    fn rows<T: Arith, O: ScanOp<T>, const N: usize>(config: &Scan<O>, values: &[T], out: &mut [T]) {
        let op = config.op;
        for (row, row_out) in values.chunks_exact(N).zip(out.chunks_exact_mut(N)) {
            let mut a = op.neutral();
            let mut step = |k: usize| {
                a = op.combine(a, row[k]);
                row_out[k] = a;
            };
            if config.reverse {
                (0..N).rev().for_each(&mut step);
            } else {
                (0..N).for_each(&mut step);
            }
        }
    }
    match len {
        1 => rows::<T, O, 1>(config, values, out),
        2 => rows::<T, O, 2>(config, values, out),
        3 => rows::<T, O, 3>(config, values, out),
        4 => rows::<T, O, 4>(config, values, out),
        5 => rows::<T, O, 5>(config, values, out),
        6 => rows::<T, O, 6>(config, values, out),
        7 => rows::<T, O, 7>(config, values, out),
        8 => rows::<T, O, 8>(config, values, out),
        _ => return false,
    }
    true
}

/// Axis 0 of a column of short rows without nulls: the running vector held in registers
/// for its exact width. `false` when `inner` is not short.
fn short_lanes<T: Arith, O: ScanOp<T>>(
    config: &Scan<O>,
    values: &[T],
    out: &mut [T],
    inner: usize,
    lanes: &mut ScanState<T>,
) -> bool {
    fn run<T: Arith, O: ScanOp<T>, const N: usize>(
        config: &Scan<O>,
        values: &[T],
        out: &mut [T],
        acc: &mut [T],
    ) {
        let op = config.op;
        let mut a: [T; N] = std::array::from_fn(|k| acc[k]);
        let mut step = |(row, row_out): (&[T], &mut [T])| {
            for k in 0..N {
                a[k] = op.combine(a[k], row[k]);
                row_out[k] = a[k];
            }
        };
        let rows = values.chunks_exact(N).zip(out.chunks_exact_mut(N));
        if config.reverse {
            rows.rev().for_each(&mut step);
        } else {
            rows.for_each(&mut step);
        }
        acc.copy_from_slice(&a);
    }
    let acc = &mut lanes.acc;
    match inner {
        1 => run::<T, O, 1>(config, values, out, acc),
        2 => run::<T, O, 2>(config, values, out, acc),
        3 => run::<T, O, 3>(config, values, out, acc),
        4 => run::<T, O, 4>(config, values, out, acc),
        5 => run::<T, O, 5>(config, values, out, acc),
        6 => run::<T, O, 6>(config, values, out, acc),
        7 => run::<T, O, 7>(config, values, out, acc),
        8 => run::<T, O, 8>(config, values, out, acc),
        _ => return false,
    }
    true
}

/// One lane of consecutive elements, block by block in scan order.
fn scan_lane<T: Arith, O: ScanOp<T>>(
    config: &Scan<O>,
    source: &dyn Source<T>,
    validity: Option<Bits<'_>>,
    range: std::ops::Range<usize>,
    out: &mut [T],
    out_validity: &mut Option<&mut [u8]>,
    lane: &mut Lane<T>,
) -> Result<(), usize> {
    let starts = range.clone().step_by(BLOCK);
    let direct = source.values();
    let mut step = |start: usize| -> Result<(), usize> {
        let end = (start + BLOCK).min(range.end);
        let block = &mut out[start..end];
        let block_validity = validity.map(|v| v.slice(start, end - start));
        let input = match direct {
            Some(values) => Input::Slice(&values[start..end]),
            None => {
                source.load(start, block)?;
                Input::Loaded
            }
        };
        let block_out_validity = out_validity.as_deref_mut().map(|bits| (bits, start));
        apply_policy(
            config,
            input,
            block,
            block_validity,
            lane,
            block_out_validity,
        )
        .map_err(|i| start + i)
    };
    if config.reverse {
        starts.rev().try_for_each(&mut step)
    } else {
        starts.into_iter().try_for_each(&mut step)
    }
}

/// Where a block's elements are: already loaded into the output block, or still in the
/// input (the scan reads them there and writes the output once).
#[derive(Clone, Copy)]
enum Input<'a, T> {
    Loaded,
    Slice(&'a [T]),
}

/// Applies the null policy to one block of a lane and runs the operation over it.
/// Errors are indices into the block.
fn apply_policy<T: Arith, O: ScanOp<T>>(
    config: &Scan<O>,
    input: Input<'_, T>,
    block: &mut [T],
    validity: Option<Bits<'_>>,
    lane: &mut Lane<T>,
    out_validity: Option<(&mut [u8], usize)>,
) -> Result<(), usize> {
    let n = block.len();
    match config.nulls {
        NullPolicy::Skip | NullPolicy::Identity => {
            run(config, input, block, validity, config.fill(), &mut lane.acc)
        }
        NullPolicy::Carry => {
            // The output turns valid at the first valid element in scan order.
            let scan_start = (n > 0).then(|| if config.reverse { n - 1 } else { 0 });
            let first_valid = match validity {
                Some(v) if !lane.seen => v.first_one(config.reverse),
                _ => scan_start,
            };
            if let Some((bits, at)) = out_validity {
                let valid = match first_valid {
                    None => 0..0,
                    Some(q) if config.reverse => 0..q + 1,
                    Some(q) => q..n,
                };
                set_range(bits, at, at + n, false);
                set_range(bits, at + valid.start, at + valid.end, true);
            }
            lane.seen |= first_valid.is_some();
            run(
                config,
                input,
                block,
                validity,
                config.op.neutral(),
                &mut lane.acc,
            )
        }
        NullPolicy::Propagate => {
            // Elements from the first null on (in scan order) are neither scanned nor valid.
            let live = if lane.poisoned {
                0..0
            } else {
                match validity.and_then(|v| v.first_zero(config.reverse)) {
                    None => 0..n,
                    Some(q) => {
                        lane.poisoned = true;
                        if config.reverse { q + 1..n } else { 0..q }
                    }
                }
            };
            if let Some((bits, at)) = out_validity {
                set_range(bits, at, at + n, false);
                set_range(bits, at + live.start, at + live.end, true);
            }
            let input = match input {
                Input::Slice(values) => Input::Slice(&values[live.clone()]),
                Input::Loaded => Input::Loaded,
            };
            let offset = live.start;
            let fill = config.op.neutral();
            run(config, input, &mut block[live], None, fill, &mut lane.acc).map_err(|i| offset + i)
        }
    }
}

/// The operation over a block in scan order, writing `block`. Elements marked null in
/// `validity` count as `fill`. Errors are indices into the block.
#[inline]
fn run<T: Arith, O: ScanOp<T>>(
    config: &Scan<O>,
    input: Input<'_, T>,
    block: &mut [T],
    validity: Option<Bits<'_>>,
    fill: T,
    acc: &mut T,
) -> Result<(), usize> {
    let op = config.op;
    match (config.checked, config.reverse) {
        (false, false) => run_in::<T, O, false, false>(op, input, block, validity, fill, acc),
        (false, true) => run_in::<T, O, false, true>(op, input, block, validity, fill, acc),
        (true, false) => run_in::<T, O, true, false>(op, input, block, validity, fill, acc),
        (true, true) => run_in::<T, O, true, true>(op, input, block, validity, fill, acc),
    }
}

#[inline(always)]
fn combine<T: Arith, O: ScanOp<T>, const CHECKED: bool>(op: O, acc: T, x: T) -> Option<T> {
    if CHECKED {
        op.checked_combine(acc, x)
    } else {
        Some(op.combine(acc, x))
    }
}

// Plain loops with the running value in a local: capturing it in closures can keep it in
// memory and put a store-to-load forward on the dependency chain of every element. The
// index is the element's position in the output and in an overflow error, hence the
// indexed loops.
#[inline(always)]
#[allow(clippy::needless_range_loop)]
fn run_in<T: Arith, O: ScanOp<T>, const CHECKED: bool, const REVERSE: bool>(
    op: O,
    input: Input<'_, T>,
    block: &mut [T],
    validity: Option<Bits<'_>>,
    fill: T,
    acc: &mut T,
) -> Result<(), usize> {
    let n = block.len();
    let mut a = *acc;
    // `x` joins the running value at position `i`, whose output it becomes.
    macro_rules! step {
        ($i:expr, $x:expr) => {{
            let i = $i;
            a = match combine::<T, O, CHECKED>(op, a, $x) {
                Some(v) => v,
                None => return Err(i),
            };
            block[i] = a;
        }};
    }
    // The positions of `range` in scan order.
    macro_rules! in_scan_order {
        ($range:expr, |$i:ident| $body:expr) => {
            if REVERSE {
                for $i in ($range).rev() {
                    $body;
                }
            } else {
                for $i in $range {
                    $body;
                }
            }
        };
    }
    match (input, validity) {
        (Input::Loaded, validity) => {
            if let Some(v) = validity {
                v.for_each_zero(|i| block[i] = fill);
            }
            in_scan_order!(0..n, |i| step!(i, block[i]));
        }
        (Input::Slice(values), None) => {
            let values = &values[..n];
            in_scan_order!(0..n, |i| step!(i, values[i]));
        }
        (Input::Slice(values), Some(bits)) => {
            // A null selects `fill` without a branch (nulls are unpredictable, and a branch
            // per element would mispredict on every one), 64 validity bits at a time.
            let values = &values[..n];
            let chunks = n.div_ceil(64);
            for c in 0..chunks {
                let start = if REVERSE { chunks - 1 - c } else { c } * 64;
                let end = (start + 64).min(n);
                let word = bits.word(start);
                let pick = |i: usize| T::pick(values, i, (word >> (i - start)) & 1 != 0, fill);
                in_scan_order!(start..end, |i| step!(i, pick(i)));
            }
        }
    }
    *acc = a;
    Ok(())
}

/// `inner` interleaved lanes over `len` rows starting at element `base`: each row is one
/// step of every lane, a loop the compiler vectorises when there are no nulls.
#[allow(clippy::too_many_arguments)]
fn scan_interleaved<T: Arith, O: ScanOp<T>>(
    config: &Scan<O>,
    source: &dyn Source<T>,
    validity: Option<Bits<'_>>,
    base: usize,
    len: usize,
    inner: usize,
    out: &mut [T],
    out_validity: &mut Option<&mut [u8]>,
    lanes: &mut ScanState<T>,
) -> Result<(), usize> {
    let direct = source.values();
    if let Some(values) = direct {
        let simple = validity.is_none() && !lanes.any_poisoned && !config.checked;
        let rows = base..base + len * inner;
        if simple
            && short_lanes(
                config,
                &values[rows.clone()],
                &mut out[rows.clone()],
                inner,
                lanes,
            )
        {
            if config.nulls == NullPolicy::Carry && len > 0 {
                lanes.seen.fill(true);
            }
            if let Some(bits) = out_validity.as_deref_mut() {
                set_range(bits, rows.start, rows.end, true);
            }
            return Ok(());
        }
    }
    let rows_per_block = (BLOCK / inner).max(1);
    let first_rows = (0..len).step_by(rows_per_block);
    let mut step = |first_row: usize| -> Result<(), usize> {
        let rows = rows_per_block.min(len - first_row);
        let start = base + first_row * inner;
        if direct.is_none() {
            source.load(start, &mut out[start..start + rows * inner])?;
        }
        let mut row_step = |r: usize| {
            let at = start + r * inner;
            let input = direct.map_or(Input::Loaded, |values| {
                Input::Slice(&values[at..at + inner])
            });
            let row_validity = validity.map(|v| v.slice(at, inner));
            let row_out_validity = out_validity.as_deref_mut().map(|bits| (bits, at));
            step_row(
                config,
                input,
                &mut out[at..at + inner],
                row_validity,
                lanes,
                row_out_validity,
            )
            .map_err(|k| at + k)
        };
        if config.reverse {
            (0..rows).rev().try_for_each(&mut row_step)
        } else {
            (0..rows).try_for_each(&mut row_step)
        }
    };
    if config.reverse {
        first_rows.rev().try_for_each(&mut step)
    } else {
        first_rows.into_iter().try_for_each(&mut step)
    }
}

/// One row: one step of each interleaved lane. Errors are lane indices.
fn step_row<T: Arith, O: ScanOp<T>>(
    config: &Scan<O>,
    input: Input<'_, T>,
    row: &mut [T],
    validity: Option<Bits<'_>>,
    lanes: &mut ScanState<T>,
    out_validity: Option<(&mut [u8], usize)>,
) -> Result<(), usize> {
    let op = config.op;
    let no_nulls_to_track = validity.is_none() && !lanes.any_poisoned;
    if no_nulls_to_track {
        match (input, config.checked) {
            (Input::Slice(values), false) => {
                let lanes_and_values = lanes.acc.iter_mut().zip(values);
                for ((a, x), o) in lanes_and_values.zip(row.iter_mut()) {
                    *a = op.combine(*a, *x);
                    *o = *a;
                }
            }
            (Input::Loaded, false) => {
                for (a, x) in lanes.acc.iter_mut().zip(row.iter_mut()) {
                    *a = op.combine(*a, *x);
                    *x = *a;
                }
            }
            (input, true) => {
                if let Input::Slice(values) = input {
                    row.copy_from_slice(values);
                }
                for (k, (a, x)) in lanes.acc.iter_mut().zip(row.iter_mut()).enumerate() {
                    *a = op.checked_combine(*a, *x).ok_or(k)?;
                    *x = *a;
                }
            }
        }
        if config.nulls == NullPolicy::Carry {
            lanes.seen.fill(true);
        }
        if let Some((bits, at)) = out_validity {
            set_range(bits, at, at + row.len(), true);
        }
        return Ok(());
    }
    if let Input::Slice(values) = input {
        row.copy_from_slice(values);
    }
    let (neutral, fill) = (op.neutral(), config.fill());
    let mut out_validity = out_validity;
    for (k, x) in row.iter_mut().enumerate() {
        let valid = validity.is_none_or(|v| v.get(k));
        let (input, out_valid) = match config.nulls {
            NullPolicy::Skip => (if valid { *x } else { neutral }, valid),
            NullPolicy::Identity => (if valid { *x } else { fill }, true),
            NullPolicy::Carry => {
                lanes.seen[k] |= valid;
                (if valid { *x } else { neutral }, lanes.seen[k])
            }
            NullPolicy::Propagate => {
                lanes.poisoned[k] |= !valid;
                lanes.any_poisoned |= !valid;
                let live = !lanes.poisoned[k];
                (if live { *x } else { neutral }, live)
            }
        };
        let acc = if config.checked {
            op.checked_combine(lanes.acc[k], input).ok_or(k)?
        } else {
            op.combine(lanes.acc[k], input)
        };
        lanes.acc[k] = acc;
        *x = acc;
        if let Some((bits, at)) = out_validity.as_mut() {
            set_range(bits, *at + k, *at + k + 1, out_valid);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::ops::Sum;

    /// A reversed Carry scan of `values`; returns the output and its written validity.
    fn carry_reverse(values: &[i64], validity: Option<u8>) -> (Vec<i64>, u8) {
        let config = Scan {
            op: Sum,
            nulls: NullPolicy::Carry,
            checked: false,
            reverse: true,
        };
        let validity_bytes = validity.map(|v| [v]);
        let bits = validity_bytes
            .as_ref()
            .map(|b| Bits::new(b, 0, values.len()));
        let mut out = vec![0i64; values.len()];
        let mut written = [0u8; 1];
        let mut state = ScanState::new(1, 0i64);
        let layout = Layout::single(values.len());
        scan(
            &config,
            &Copied(values),
            bits,
            layout,
            &mut out,
            Some(&mut written),
            &mut state,
        )
        .unwrap();
        (out, written[0])
    }

    #[test]
    fn carry_reverse_without_nulls_is_all_valid() {
        let (out, written) = carry_reverse(&[1, 2, 3], None);
        assert_eq!(written & 0b111, 0b111);
        assert_eq!(out, [6, 5, 3]);
    }

    #[test]
    fn carry_reverse_turns_valid_at_the_last_valid_element() {
        // Element 0 is null: scanning from the end it carries the value of element 1.
        let (out, written) = carry_reverse(&[5, 7], Some(0b10));
        assert_eq!(written & 0b11, 0b11, "both outputs valid: {written:#b}");
        assert_eq!(out, [7, 7]);
    }
}
