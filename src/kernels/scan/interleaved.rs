//! Interleaved lanes: axis 0 (or a middle axis) of an N-dimensional column, where every
//! row is one step of `inner` running values side by side.

use super::runs::{Input, Start};
use super::{BLOCK, Scan, ScanState, Source};
use crate::kernels::bits::{Bits, set_range};
use crate::kernels::ops::{Arith, ScanOp};
use crate::policy::NullPolicy;

/// The widest rows [`short_lanes`] handles.
const SHORT: usize = 8;

/// Axis 0 of a column of short rows without nulls: the running vector held in registers
/// for its exact width. `false` when `inner` is not short (wider than [`SHORT`]).
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

/// `inner` interleaved lanes over `len` rows starting at element `base`: each row is one
/// step of every lane, a loop the compiler vectorises when there are no nulls.
#[allow(clippy::too_many_arguments)]
pub(super) fn scan_interleaved<T: Arith, O: ScanOp<T>>(
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
        if simple && !lanes.all_started && len > 1 && inner <= SHORT {
            // The first row moves every lane on from its start (a fresh lane copies its
            // element); the rest takes the fast path.
            let (first, rest) = if config.reverse {
                (base + (len - 1) * inner, base)
            } else {
                (base, base + inner)
            };
            let first_rows = 1;
            scan_interleaved(
                config,
                source,
                None,
                first,
                first_rows,
                inner,
                out,
                out_validity,
                lanes,
            )?;
            return scan_interleaved(
                config,
                source,
                None,
                rest,
                len - first_rows,
                inner,
                out,
                out_validity,
                lanes,
            );
        }
        let rows = base..base + len * inner;
        if simple
            && lanes.all_started
            && short_lanes(
                config,
                &values[rows.clone()],
                &mut out[rows.clone()],
                inner,
                lanes,
            )
        {
            if config.nulls == NullPolicy::Carry && len > 0 {
                lanes.nulls.iter_mut().for_each(|lane| lane.seen = true);
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
        // Under Propagate with checked casts, an element after a null of its lane reaches
        // no output and must not fail its cast: rows are loaded one at a time, each once
        // the lanes' nulls before it are known.
        let mut load_by_row = config.checked && config.nulls == NullPolicy::Propagate;
        if direct.is_none() && !load_by_row {
            // A failed cast, found front to back, may not be the first failure in scan
            // order (rows run backward in a reverse scan, and an overflow may come
            // before it): the rows are then loaded and scanned one at a time.
            load_by_row = source
                .load(start, &mut out[start..start + rows * inner])
                .is_err();
        }
        let mut row_step = |r: usize| {
            let at = start + r * inner;
            if direct.is_none() && load_by_row {
                let row_validity = validity.map(|v| v.slice(at, inner));
                let reaches = |i: usize| {
                    let k = i - at;
                    !lanes.nulls[k].poisoned && row_validity.is_none_or(|v| v.get(k))
                };
                if let Err(failed) = source.load_where(at, &mut out[at..at + inner], &reaches) {
                    // Within a row the lanes run in order: those before the failed cast
                    // take their step first, and may overflow first.
                    let k = failed - at;
                    let before_validity = validity.map(|v| v.slice(at, k));
                    let before_out_validity = out_validity.as_deref_mut().map(|bits| (bits, at));
                    step_row(
                        config,
                        Input::Loaded,
                        &mut out[at..failed],
                        before_validity,
                        lanes,
                        before_out_validity,
                    )
                    .map_err(|lane| at + lane)?;
                    return Err(failed);
                }
            }
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
    let no_nulls_to_track = validity.is_none() && !lanes.any_poisoned && lanes.all_started;
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
            lanes.nulls.iter_mut().for_each(|lane| lane.seen = true);
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
    let null_joins = config.nulls.null_is_identity();
    let mut out_validity = out_validity;
    for (k, x) in row.iter_mut().enumerate() {
        let valid = validity.is_none_or(|v| v.get(k));
        let admit = lanes.nulls[k].admit(config.nulls, valid);
        lanes.any_poisoned |= lanes.nulls[k].poisoned;
        let (input, joins) = match (admit.contributes, valid) {
            (true, _) => (*x, true),
            (false, false) => (fill, null_joins),
            // A valid element after Propagate's null: the lane is dead.
            (false, true) => (neutral, false),
        };
        let first = match (joins, lanes.start[k]) {
            // Until an element joins, the lane shows its running value as it is.
            (false, Start::Fresh | Start::Copied) => Some(lanes.acc[k]),
            // The first element of a lane is copied, as NumPy copies `a[0]`.
            (true, Start::Fresh) => {
                lanes.start[k] = Start::Copied;
                op.first(input)
            }
            (true, Start::Copied) => {
                lanes.start[k] = Start::Running;
                None
            }
            (_, Start::Running) => None,
        };
        let acc = if let Some(v) = first {
            v
        } else if config.checked {
            let a = lanes.acc[k];
            op.pin_nan(a, op.checked_combine(a, input).ok_or(k)?)
        } else {
            let a = lanes.acc[k];
            op.pin_nan(a, op.combine(a, input))
        };
        lanes.acc[k] = acc;
        *x = acc;
        if let Some((bits, at)) = out_validity.as_mut() {
            set_range(bits, *at + k, *at + k + 1, admit.output_valid);
        }
    }
    if !lanes.all_started {
        lanes.all_started = lanes.start.iter().all(|&s| s == Start::Running);
    }
    Ok(())
}
