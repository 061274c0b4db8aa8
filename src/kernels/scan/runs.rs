//! Lanes of consecutive elements: 1-D columns, the last axis, lists. Each lane is
//! scanned block by block in scan order; the null policy is applied to whole runs of a
//! block at once.

use super::state::Lane;
use super::{BLOCK, Scan, Source};
use crate::kernels::bits::{Bits, set_range};
use crate::kernels::ops::{Arith, ScanOp};
use crate::policy::NullPolicy;

/// Independent lanes over the given ranges of consecutive elements, the last first in a
/// reverse scan (a reverse scan runs through the column from its end, so its first
/// failure is the same whether the column comes whole or in chunks pushed last first).
pub(super) fn scan_lanes<T: Arith, O: ScanOp<T>>(
    config: &Scan<O>,
    source: &dyn Source<T>,
    validity: Option<Bits<'_>>,
    ranges: impl DoubleEndedIterator<Item = std::ops::Range<usize>>,
    out: &mut [T],
    out_validity: &mut Option<&mut [u8]>,
) -> Result<(), usize> {
    for range in in_scan_order(ranges, config.reverse) {
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
pub(super) fn scan_rows<T: Arith, O: ScanOp<T>>(
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
        plain_rows(config, &values[..total], &mut out[..total], len);
        if let Some(bits) = out_validity.as_deref_mut() {
            set_range(bits, 0, total, true);
        }
        return Ok(());
    }
    let rows_per_block = BLOCK / len;
    let fill = config.fill();
    // Rows (and blocks of rows) run last first in a reverse scan, as in `scan_lanes`.
    for first_row in in_scan_order((0..outer).step_by(rows_per_block), config.reverse) {
        let rows = rows_per_block.min(outer - first_row);
        let (start, end) = (first_row * len, (first_row + rows) * len);
        if direct.is_none() && source.load(start, &mut out[start..end]).is_err() {
            // A cast failed in these rows, found front to back; one lane at a time the
            // error names the first failure in scan order (a cast or an overflow).
            let ranges = (first_row..first_row + rows).map(|o| o * len..(o + 1) * len);
            scan_lanes(config, source, validity, ranges, out, out_validity)?;
            continue;
        }
        let block = &mut out[start..end];
        for (r, row) in in_scan_order(block.chunks_exact_mut(len).enumerate(), config.reverse) {
            let at = start + r * len;
            let input = direct.map_or(Input::Loaded, |values| Input::Slice(&values[at..at + len]));
            let row_validity = validity.map(|v| v.slice(at, len));
            let (mut acc, mut start) = (config.op.neutral(), Start::Fresh);
            run(config, input, row, row_validity, fill, &mut acc, &mut start)
                .map_err(|i| at + i)?;
        }
        if let Some(bits) = out_validity.as_deref_mut() {
            set_range(bits, start, end, true);
        }
    }
    Ok(())
}

/// The last axis of a column without nulls, read straight from the input, one row after
/// the other: the first element of a row is copied, the rest combined. Rows of up to 8
/// elements get the row length at compile time (for `m x 4` columns the per-row cost of
/// a general loop exceeds the scan).
fn plain_rows<T: Arith, O: ScanOp<T>>(config: &Scan<O>, values: &[T], out: &mut [T], len: usize) {
    fn rows<T: Arith, O: ScanOp<T>, const N: usize>(config: &Scan<O>, values: &[T], out: &mut [T]) {
        for (row, row_out) in values.chunks_exact(N).zip(out.chunks_exact_mut(N)) {
            plain_row(config, row, row_out);
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
        _ => {
            for (row, row_out) in values.chunks_exact(len).zip(out.chunks_exact_mut(len)) {
                plain_row(config, row, row_out);
            }
        }
    }
}

/// One row of [`plain_rows`]: its first element (in scan order) copied, as NumPy copies
/// `a[0]`, the rest combined.
#[inline(always)]
fn plain_row<T: Arith, O: ScanOp<T>>(config: &Scan<O>, row: &[T], row_out: &mut [T]) {
    let (op, n) = (config.op, row.len());
    let first = if config.reverse { n - 1 } else { 0 };
    let x = row[first];
    let mut a = op.first(x).unwrap_or_else(|| op.combine(op.neutral(), x));
    row_out[first] = a;
    if config.reverse {
        for k in (0..n - 1).rev() {
            a = op.combine(a, row[k]);
            row_out[k] = a;
        }
    } else {
        for k in 1..n {
            a = op.combine(a, row[k]);
            row_out[k] = a;
        }
    }
}

/// One lane of consecutive elements, block by block in scan order.
pub(super) fn scan_lane<T: Arith, O: ScanOp<T>>(
    config: &Scan<O>,
    source: &dyn Source<T>,
    validity: Option<Bits<'_>>,
    range: std::ops::Range<usize>,
    out: &mut [T],
    out_validity: &mut Option<&mut [u8]>,
    lane: &mut Lane<T>,
) -> Result<(), usize> {
    let direct = source.values();
    // Elements `start..end` of the lane: loaded (a failed checked cast stops the part
    // before any of it is scanned), then scanned.
    let mut part = |start: usize, end: usize| -> Result<(), Stop> {
        let block = &mut out[start..end];
        let block_validity = validity.map(|v| v.slice(start, end - start));
        let input = match direct {
            Some(values) => Input::Slice(&values[start..end]),
            None => {
                // Under Propagate only the elements before the first null reach an
                // output: the others are not loaded (and so cannot fail a checked cast).
                let live = match config.nulls {
                    NullPolicy::Propagate => {
                        propagate_live(config, lane, block_validity, end - start)
                    }
                    _ => 0..block.len(),
                };
                source
                    .load(start + live.start, &mut block[live])
                    .map_err(Stop::Load)?;
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
        .map_err(|i| Stop::Scan(start + i))
    };
    let mut step = |start: usize| -> Result<(), usize> {
        let end = (start + BLOCK).min(range.end);
        match part(start, end) {
            Ok(()) => Ok(()),
            Err(Stop::Scan(index)) => Err(index),
            // A cast failed somewhere in the block, found front to back; the error must
            // name the first failure in scan order, which may be another cast (reverse)
            // or an overflow of the running value before it. The block is redone one
            // element at a time in scan order (the lane state carries over, as it does
            // from block to block). Only a failing scan pays for this.
            Err(Stop::Load(_)) => in_scan_order(start..end, config.reverse).try_for_each(|i| {
                part(i, i + 1).map_err(|(Stop::Load(index) | Stop::Scan(index))| index)
            }),
        }
    };
    in_scan_order(range.clone().step_by(BLOCK), config.reverse).try_for_each(&mut step)
}

/// Why part of a lane stopped, with the element's index.
enum Stop {
    /// A checked cast failed while the part was loaded; nothing of it was scanned.
    Load(usize),
    /// The running value overflowed.
    Scan(usize),
}

/// The items of `items` forward, or backward for a reverse scan.
pub(super) fn in_scan_order<I: DoubleEndedIterator>(
    items: I,
    reverse: bool,
) -> impl Iterator<Item = I::Item> {
    let (forward, backward) = if reverse {
        (None, Some(items.rev()))
    } else {
        (Some(items), None)
    };
    forward
        .into_iter()
        .flatten()
        .chain(backward.into_iter().flatten())
}

/// Where a block's elements are: already loaded into the output block, or still in the
/// input (the scan reads them there and writes the output once).
#[derive(Clone, Copy)]
pub(super) enum Input<'a, T> {
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
        NullPolicy::Skip | NullPolicy::Identity => run(
            config,
            input,
            block,
            validity,
            config.fill(),
            &mut lane.acc,
            &mut lane.start,
        ),
        NullPolicy::Carry => {
            // The output turns valid at the first valid element in scan order.
            let scan_start = (n > 0).then(|| if config.reverse { n - 1 } else { 0 });
            let first_valid = match validity {
                Some(v) if !lane.nulls.seen => v.first_one(config.reverse),
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
            lane.nulls.seen |= first_valid.is_some();
            run(
                config,
                input,
                block,
                validity,
                config.op.neutral(),
                &mut lane.acc,
                &mut lane.start,
            )
        }
        NullPolicy::Propagate => {
            // Elements from the first null on (in scan order) are neither scanned nor valid.
            let live = propagate_live(config, lane, validity, n);
            lane.nulls.poisoned |= live.len() < n;
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
            let block = &mut block[live];
            run(
                config,
                input,
                block,
                None,
                fill,
                &mut lane.acc,
                &mut lane.start,
            )
            .map_err(|i| offset + i)
        }
    }
}

/// The positions of a block that Propagate still scans: those before the first null in
/// scan order, none once the lane has seen a null.
fn propagate_live<T, O>(
    config: &Scan<O>,
    lane: &Lane<T>,
    validity: Option<Bits<'_>>,
    n: usize,
) -> std::ops::Range<usize> {
    if lane.nulls.poisoned {
        return 0..0;
    }
    match validity.and_then(|v| v.first_zero(config.reverse)) {
        None => 0..n,
        Some(q) if config.reverse => q + 1..n,
        Some(q) => 0..q,
    }
}

/// The operation over a block in scan order, writing `block`. Elements marked null in
/// `validity` count as `fill`. Errors are indices into the block.
///
/// A lane's first joining element (the first valid one, or the first of all when nulls
/// join as the identity) is copied into the running value instead of being combined with
/// the neutral start, as NumPy copies `a[0]`: `-0.0 + x` would quiet a signalling NaN.
/// Until the next element joins, the running value is that copy, and the nulls in
/// between show it as it is ([`Start::Copied`]).
#[inline]
pub(super) fn run<T: Arith, O: ScanOp<T>>(
    config: &Scan<O>,
    input: Input<'_, T>,
    block: &mut [T],
    validity: Option<Bits<'_>>,
    fill: T,
    acc: &mut T,
    start: &mut Start,
) -> Result<(), usize> {
    let n = block.len();
    if *start == Start::Running || n == 0 {
        return run_all(config, input, block, validity, fill, acc);
    }
    if validity.is_none() {
        // Every element joins: copy the first in scan order, scan the rest. (The common
        // case, once per lane: short lanes pay for every instruction here.)
        let (p, rest) = if config.reverse {
            (n - 1, 0..n - 1)
        } else {
            (0, 1..n)
        };
        let x = match input {
            Input::Slice(values) => values[p],
            Input::Loaded => block[p],
        };
        *acc = match (*start, config.op.first(x)) {
            (Start::Fresh, Some(v)) => v,
            _ if config.checked => config.op.checked_combine(*acc, x).ok_or(p)?,
            _ => config.op.combine(*acc, x),
        };
        block[p] = *acc;
        *start = Start::Running;
        let offset = rest.start;
        let input = match input {
            Input::Slice(values) => Input::Slice(&values[rest.clone()]),
            Input::Loaded => Input::Loaded,
        };
        return run_all(config, input, &mut block[rest], None, fill, acc).map_err(|i| offset + i);
    }
    let first = match validity {
        Some(v) if !config.nulls.null_is_identity() => v.first_one(config.reverse),
        _ => Some(if config.reverse { n - 1 } else { 0 }),
    };
    let Some(p) = first else {
        // Nothing joins in this block: its nulls show the running value.
        block.fill(*acc);
        return Ok(());
    };
    let x = match input {
        _ if !validity.is_none_or(|v| v.get(p)) => fill,
        Input::Slice(values) => values[p],
        Input::Loaded => block[p],
    };
    let (before, after) = if config.reverse {
        (p + 1..n, 0..p)
    } else {
        (0..p, p + 1..n)
    };
    block[before].fill(*acc);
    let next = match *start {
        Start::Fresh => config.op.first(x),
        _ => None,
    };
    *acc = match next {
        Some(v) => v,
        None if config.checked => config.op.checked_combine(*acc, x).ok_or(p)?,
        None => config.op.combine(*acc, x),
    };
    block[p] = *acc;
    // The copy only shows as it is through Carry's nulls; every other policy (and a lane
    // without nulls) goes straight on with arithmetic.
    let copy_shows = config.nulls == NullPolicy::Carry && validity.is_some();
    *start = if *start == Start::Fresh && copy_shows {
        Start::Copied
    } else {
        Start::Running
    };
    let rest = match input {
        Input::Slice(values) => Input::Slice(&values[after.clone()]),
        Input::Loaded => Input::Loaded,
    };
    let rest_validity = validity.map(|v| v.slice(after.start, after.len()));
    let offset = after.start;
    run(
        config,
        rest,
        &mut block[after],
        rest_validity,
        fill,
        acc,
        start,
    )
    .map_err(|i| offset + i)
}

/// How far a lane is from its first element (see [`run`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Start {
    /// No element joined yet.
    #[default]
    Fresh,
    /// One element joined: the running value is its copy.
    Copied,
    /// Two or more joined: the running value is arithmetic's.
    Running,
}

/// [`run`] for a lane that has started.
#[inline]
fn run_all<T: Arith, O: ScanOp<T>>(
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
