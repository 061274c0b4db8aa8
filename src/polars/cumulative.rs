//! NumPy 2's `cumulative_sum` / `cumulative_prod` on a Series, whose output may be one
//! longer than its input (`include_initial`).

use polars::prelude::{CompatLevel, PolarsResult, Series, polars_ensure};

use crate::polars::{convert, dtype};
use crate::{Operation, ScanOptions};

/// Runs [`crate::cumulative`] over a whole Series: `op` is a sum or product, the axis
/// follows the array API (required for Array columns), and with `include_initial` the
/// output starts with the identity and is one longer along the axis.
///
/// The Series is scanned as one column: a Series of several chunks is first joined into
/// one (a copy), because the identity must go before the first chunk.
///
/// ```
/// use cumulus::{Operation, ScanOptions};
/// use polars::prelude::*;
///
/// let s = Series::new("x".into(), [1i64, 2, 3]);
/// let out = cumulus::polars::cumulative_series(Operation::Cumsum, &s, &ScanOptions::default(), true)?;
/// let v: Vec<_> = out.i64()?.into_no_null_iter().collect();
/// assert_eq!(v, [0, 1, 3, 6]);
/// # Ok::<(), PolarsError>(())
/// ```
///
/// # Errors
/// The core's errors, as [`crate::polars::scan_series`] reports them.
pub fn cumulative_series(
    op: Operation,
    series: &Series,
    options: &ScanOptions,
    include_initial: bool,
) -> PolarsResult<Series> {
    let input = dtype::input_type(op, series.dtype())?;
    let series = series.rechunk();
    let mut lent = convert::Lent::default();
    let column = match series.chunks().first() {
        Some(chunk) => lent.import(chunk.as_ref(), &input)?,
        None => arrow::array::new_empty_array(&input),
    };
    let out = crate::cumulative(op, column.as_ref(), options, include_initial)?;
    let output = dtype::polars_output(op, out.data_type())?;
    let physical = output.to_physical().try_to_arrow(CompatLevel::newest())?;
    let chunk = lent.export(out, &physical)?;
    polars_ensure!(chunk.dtype() == &physical, ComputeError:
        "{op}: output chunk of type {:?} where {physical:?} was planned", chunk.dtype());
    // SAFETY: the chunk has the physical arrow type of `output`, checked just above.
    Ok(unsafe {
        Series::from_chunks_and_dtype_unchecked(series.name().clone(), vec![chunk], &output)
    })
}
