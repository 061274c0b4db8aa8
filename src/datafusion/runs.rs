//! Finding the PARTITION BY groups of a sorted batch: the runs of equal keys, and whether a
//! batch continues the previous batch's last group. [`super::CumulativeWindowAggExec`] uses
//! them to cut each batch into the pieces it pushes into its scanners.

use std::ops::Range;

use arrow::array::{ArrayRef, DynComparator, make_comparator};
use arrow::compute::{SortOptions, concat, partition};
use datafusion::common::Result;

/// After this many runs in one batch, the rest of the batch is split by one vectorised
/// pass (`arrow::compute::partition`) rather than by searching: groups are small.
const SEARCHED_RUNS: usize = 16;

/// The runs of equal keys in a batch of `rows` rows, in order.
///
/// The input is sorted on the keys, so each group is a run of consecutive rows: equal
/// first and last keys mean the batch is one run (the common case, found with one
/// comparison), and the end of a run is found by galloping and binary search, in
/// O(log length) comparisons instead of one per row. Keys compare as `WindowAggExec`
/// compares them (`arrow::compute::partition`: nulls equal each other, floats by their
/// total order).
pub(super) fn runs(keys: &[ArrayRef], rows: usize) -> Result<Vec<Range<usize>>> {
    let Ok(key) = KeyEq::new(keys, keys) else {
        // A key type arrow has no row comparator for (none in arrow 59, but the list
        // may change): one vectorised pass, as `WindowAggExec` splits its groups.
        return Ok(partition(keys)?.ranges());
    };
    let mut runs = Vec::new();
    let mut start = 0;
    while start < rows {
        let last = rows - 1;
        if key.eq(start, last) {
            runs.push(start..rows);
            break;
        }
        if runs.len() == SEARCHED_RUNS {
            let rest: Vec<ArrayRef> = keys.iter().map(|k| k.slice(start, rows - start)).collect();
            let ranges = partition(&rest)?.ranges();
            runs.extend(ranges.into_iter().map(|r| r.start + start..r.end + start));
            break;
        }
        // Rows `start..=same` have the key of `start`; row `differs` does not.
        let (mut same, mut differs) = (start, last);
        let mut step = 1;
        while start + step < last {
            if !key.eq(start, start + step) {
                differs = start + step;
                break;
            }
            same = start + step;
            step *= 2;
        }
        while differs - same > 1 {
            let mid = same + (differs - same) / 2;
            if key.eq(start, mid) {
                same = mid;
            } else {
                differs = mid;
            }
        }
        runs.push(start..differs);
        start = differs;
    }
    Ok(runs)
}

/// Whether the first row of `keys` has the key `last` (one-row arrays) holds.
pub(super) fn same_key(last: &[ArrayRef], keys: &[ArrayRef]) -> Result<bool> {
    if let Ok(key) = KeyEq::new(last, keys) {
        return Ok(key.eq(0, 0));
    }
    // No row comparator for the key type: split the two rows as `runs` does.
    let pairs = last
        .iter()
        .zip(keys)
        .map(|(a, b)| concat(&[a.as_ref(), b.slice(0, 1).as_ref()]))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(partition(&pairs)?.len() == 1)
}

/// Compares the keys of two batches (or of one with itself) row against row.
struct KeyEq(Vec<DynComparator>);

impl KeyEq {
    /// `a` and `b` hold the same key columns.
    fn new(a: &[ArrayRef], b: &[ArrayRef]) -> Result<Self> {
        let comparators = a
            .iter()
            .zip(b)
            .map(|(a, b)| make_comparator(a.as_ref(), b.as_ref(), SortOptions::default()))
            .collect::<Result<_, _>>()?;
        Ok(KeyEq(comparators))
    }

    /// Whether row `i` of `a` has the key of row `j` of `b` (always, without keys).
    fn eq(&self, i: usize, j: usize) -> bool {
        self.0.iter().all(|cmp| cmp(i, j).is_eq())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, Int64Array, StringArray};

    use super::*;

    /// A small deterministic generator.
    fn next(state: &mut u64) -> u64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *state >> 33
    }

    /// The searched runs equal `arrow::compute::partition`'s on sorted keys of every shape:
    /// one run, long runs, runs of one row (past `SEARCHED_RUNS`), nulls, NaN and -0.0,
    /// several key columns.
    #[test]
    fn runs_equal_partition_ranges() {
        let mut state = 7;
        for rows in [1, 2, 3, 5, 17, 100, 1000, 4097] {
            for distinct in [1, 2, 3, 10, 40, rows as u64] {
                let mut a: Vec<Option<i64>> = (0..rows)
                    .map(|_| {
                        let v = next(&mut state) % distinct;
                        (v != 0).then_some(v as i64)
                    })
                    .collect();
                a.sort();
                let mut f: Vec<f64> = (0..rows)
                    .map(|_| match next(&mut state) % 4 {
                        0 => f64::NAN,
                        1 => -0.0,
                        2 => 0.0,
                        _ => 1.5,
                    })
                    .collect();
                f.sort_by(f64::total_cmp);
                let s: Vec<&str> = (0..rows)
                    .map(|i| if i < rows / 3 { "a" } else { "b" })
                    .collect();
                let cases: Vec<Vec<ArrayRef>> = vec![
                    vec![Arc::new(Int64Array::from(a.clone()))],
                    vec![Arc::new(Float64Array::from(f))],
                    vec![
                        Arc::new(StringArray::from(s)),
                        Arc::new(Int64Array::from(a)),
                    ],
                ];
                for keys in cases {
                    let expected = partition(&keys).unwrap().ranges();
                    assert_eq!(
                        runs(&keys, rows).unwrap(),
                        expected,
                        "{rows} rows, {distinct}"
                    );
                }
            }
        }
        assert_eq!(runs(&[], 5).unwrap(), [Range { start: 0, end: 5 }]);
    }

    /// Keys of the null type are all equal; keys continue across batches by value.
    #[test]
    fn null_type_keys_and_continuation() {
        let nulls: Vec<ArrayRef> = vec![Arc::new(arrow::array::NullArray::new(9))];
        assert_eq!(runs(&nulls, 9).unwrap(), [Range { start: 0, end: 9 }]);
        let last: Vec<ArrayRef> = vec![nulls[0].slice(8, 1)];
        assert!(same_key(&last, &nulls).unwrap());
        let ints: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(vec![1, 1, 2]))];
        assert!(same_key(&[ints[0].slice(0, 1)], &ints).unwrap());
        assert!(!same_key(&[ints[0].slice(2, 1)], &ints).unwrap());
    }
}
