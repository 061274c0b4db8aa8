//! The one scan driver. It walks the output in cache-sized blocks: a [`Source`] writes the
//! next block of elements (cast to the result type) into the output, the null policy
//! replaces what nulls must not contribute, and the operation runs over the block in place.
//! Lanes are either runs of consecutive elements (1-D columns, the last axis, lists) or
//! interleaved (axis 0 of an `m x n` column: `n` running values side by side, one
//! vectorisable step per row).

mod interleaved;
mod keyed;
mod runs;
mod source;
mod state;

pub(crate) use keyed::scan_keyed;
pub(crate) use source::{BoolBits, Cast, Copied, InPlace, Source, Widened};
pub(crate) use state::ScanState;

use crate::kernels::bits::Bits;
use crate::kernels::ops::{Arith, ScanOp};
use crate::policy::{NullPolicy, OutputNulls};
use interleaved::scan_interleaved;
use runs::{in_scan_order, scan_lane, scan_lanes, scan_rows};

/// Elements per block: a block of float64 results stays well inside L1.
const BLOCK: usize = 2048;

/// How the elements of a scan form lanes (the runs that accumulate independently).
///
/// Elements are numbered in row-major order. For an `m x n` column, the last axis is
/// `Strided { outer: m, len: n, inner: 1 }`, axis 0 is `Strided { outer: 1, len: m,
/// inner: n }`, and flattening is `Strided { outer: 1, len: m * n, inner: 1 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout<'a> {
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
pub(crate) struct Scan<O> {
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
        if self.nulls.null_is_identity() {
            self.op.identity()
        } else {
            self.op.neutral()
        }
    }

    /// Whether the policy produces a validity of its own (rather than the input's or none).
    pub fn writes_validity(&self) -> bool {
        self.nulls.output_nulls() == OutputNulls::Written
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
///
/// # Errors
/// The index of the first element in scan order whose result (or checked cast) overflows, when
/// `config.checked`; elements already written before it are partial results.
///
/// # Panics
/// If `out`, `validity` or `out_validity` are shorter than the layout, or `state` has the
/// wrong number of lanes: these are bugs in the caller, not properties of the data.
pub(crate) fn scan<T, O>(
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
            // Groups run last first in a reverse scan, as the lanes of `scan_lanes`.
            for o in in_scan_order(0..outer, config.reverse) {
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
            let ranges = list_ranges(offsets.iter().map(|&o| o as usize));
            scan_lanes(config, source, validity, ranges, out, &mut out_validity)
        }
        Layout::Offsets64(offsets) => {
            let ranges = list_ranges(offsets.iter().map(|&o| o as usize));
            scan_lanes(config, source, validity, ranges, out, &mut out_validity)
        }
    }
}

/// The element ranges of a list column's lanes, relative to its first offset.
fn list_ranges(
    offsets: impl DoubleEndedIterator<Item = usize> + ExactSizeIterator + Clone,
) -> impl DoubleEndedIterator<Item = std::ops::Range<usize>> {
    let base = offsets.clone().next().unwrap_or(0);
    offsets
        .clone()
        .zip(offsets.skip(1))
        .map(move |(start, end)| start - base..end - base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::ops::Sum;

    #[test]
    fn skip_leaves_nulls_out_of_the_running_value() {
        let values = [1i64, 99, 2, 3];
        let validity = [0b1101u8]; // element 1 is null
        let config = Scan {
            op: Sum,
            nulls: NullPolicy::Skip,
            checked: false,
            reverse: false,
        };
        let mut out = [0i64; 4];
        let mut state = ScanState::new(1, ScanOp::<i64>::neutral(&Sum));
        let bits = Some(Bits::new(&validity, 0, 4));
        scan(
            &config,
            &Copied(&values),
            bits,
            Layout::single(4),
            &mut out,
            None,
            &mut state,
        )
        .unwrap();
        assert_eq!([out[0], out[2], out[3]], [1, 3, 6]);
        assert_eq!(state.running(), &[6]);
    }

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
