//! Interleaved lanes: axis 0 (or a middle axis) of an N-dimensional column, where every
//! row is one step of `inner` running values side by side.

use super::runs::Input;
use super::{BLOCK, Scan, ScanState, Source};
use crate::kernels::bits::{Bits, set_range};
use crate::kernels::ops::{Arith, ScanOp};
use crate::policy::NullPolicy;

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
    let mut out_validity = out_validity;
    for (k, x) in row.iter_mut().enumerate() {
        let valid = validity.is_none_or(|v| v.get(k));
        let admit = lanes.nulls[k].admit(config.nulls, valid);
        lanes.any_poisoned |= lanes.nulls[k].poisoned;
        let input = match (admit.contributes, valid) {
            (true, _) => *x,
            (false, false) => fill,
            // A valid element after Propagate's null: the lane is dead.
            (false, true) => neutral,
        };
        let out_valid = admit.output_valid;
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
