//! Rows of many independent lanes in any order: each row steps the lane its key names
//! (the running totals of a PARTITION BY over rows that do not come grouped by key).

use super::Source;
use crate::kernels::ops::{Arith, ScanOp};

/// Steps lane `slots[i]` with element `i` of `source` for every row `i`, writing the
/// lane's new running value to `out[i]`. `accs` holds each lane's running value; every
/// lane must be past its first element ([`super::ScanState::settled_value`]), the rows
/// without nulls, the arithmetic wrapping and the scan forward: the step is then the
/// interleaved lanes' (`op.combine`, the running value's NaN pinned first), element by
/// element in row order, so each lane's values are those of its rows scanned alone.
///
/// # Errors
/// The index of an element the source could not load (never, for an unchecked cast).
///
/// # Panics
/// If a slot is not an index into `accs` or `out` is shorter than `slots`: bugs in the
/// caller, not properties of the data.
pub(crate) fn scan_keyed<T: Arith, O: ScanOp<T>>(
    op: O,
    source: &dyn Source<T>,
    slots: &[u32],
    accs: &mut [T],
    out: &mut [T],
) -> Result<(), usize> {
    let out = &mut out[..slots.len()];
    let step = |acc: &mut T, x: T| {
        *acc = op.pin_nan(*acc, op.combine(*acc, x));
        *acc
    };
    match source.values() {
        Some(values) => {
            for ((o, &x), &s) in out.iter_mut().zip(&values[..slots.len()]).zip(slots) {
                *o = step(&mut accs[s as usize], x);
            }
        }
        None => {
            source.load(0, out)?;
            for (o, &s) in out.iter_mut().zip(slots) {
                *o = step(&mut accs[s as usize], *o);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::ops::Sum;
    use crate::kernels::scan::{Copied, Layout, Scan, ScanState, scan};
    use crate::policy::NullPolicy;

    /// Each lane's outputs equal a plain scan of its rows alone, NaN payloads included.
    #[test]
    fn each_lane_is_its_rows_scanned_alone() {
        let nan = f64::from_bits(0x7ff8_0000_0000_0abc);
        let values = [1.5, -2.0, nan, 0.25, 1e300, 1e300, -0.0, 3.0];
        let slots = [0u32, 1, 0, 2, 1, 1, 2, 0];
        let mut accs = [10.0, -0.0, 7.0];
        let mut out = [0.0; 8];
        scan_keyed(Sum, &Copied(&values), &slots, &mut accs, &mut out).unwrap();
        for lane in 0..3u32 {
            let rows: Vec<usize> = (0..8).filter(|&i| slots[i] == lane).collect();
            let mine: Vec<f64> = rows.iter().map(|&i| values[i]).collect();
            let config = Scan {
                op: Sum,
                nulls: NullPolicy::Skip,
                checked: false,
                reverse: false,
            };
            let start = [10.0, -0.0, 7.0][lane as usize];
            // A lane already running from `start`: its first element joined before.
            let mut state = ScanState::new(1, 0.0);
            let mut first = [0.0];
            scan(
                &config,
                &Copied(&[start]),
                None,
                Layout::single(1),
                &mut first,
                None,
                &mut state,
            )
            .unwrap();
            let mut alone = vec![0.0; mine.len()];
            scan(
                &config,
                &Copied(&mine),
                None,
                Layout::single(mine.len()),
                &mut alone,
                None,
                &mut state,
            )
            .unwrap();
            let got: Vec<u64> = rows.iter().map(|&i| out[i].to_bits()).collect();
            let want: Vec<u64> = alone.iter().map(|v| v.to_bits()).collect();
            assert_eq!(got, want, "lane {lane}");
            assert_eq!(accs[lane as usize].to_bits(), state_value(&state).to_bits());
        }
    }

    fn state_value(state: &ScanState<f64>) -> f64 {
        state
            .settled_value(NullPolicy::Skip)
            .expect("a running lane")
    }
}
