//! Polars 0.55 integration: NumPy's cumulative operations as Polars expressions
//! ([`CumulusExpr`]) and on Series ([`scan_series`]).
//!
//! ```
//! use cumulus::{NullPolicy, ScanOptions};
//! use cumulus::polars::CumulusExpr;
//! use polars::prelude::*;
//!
//! let df = df!["g" => ["a", "a", "b", "b"], "x" => [Some(1i64), None, Some(3), Some(4)]]?;
//! let carry = ScanOptions::default().with_nulls(NullPolicy::Carry);
//! let out = df
//!     .lazy()
//!     .with_columns([col("x").np_cumsum(carry).over([col("g")])?.alias("cs")])
//!     .collect()?;
//! let cs: Vec<_> = out.column("cs")?.i64()?.iter().collect();
//! assert_eq!(cs, [Some(1), Some(1), Some(3), Some(7)]);
//! # Ok::<(), PolarsError>(())
//! ```
//!
//! ## Names
//! The methods are `np_cumsum`, `np_cumprod`, `np_nancumsum`, `np_nancumprod`,
//! `np_cummax`, `np_cummin` and the generic `np_scan(op, options)`: the `np_` prefix says
//! "NumPy's semantics" and keeps Polars' own `cum_sum`, `cum_prod`, `cum_max`, `cum_min`
//! (with Polars' semantics) callable on the same `Expr` without ambiguity.
//!
//! ## How it differs from Polars' built-ins
//! | input        | `np_cumsum`         | `cum_sum`        | `np_cumprod`   | `cum_prod` | `np_cummax`/`np_cummin` | `cum_max`/`cum_min` |
//! |--------------|---------------------|------------------|----------------|------------|-------------------------|---------------------|
//! | Boolean      | **Int64**           | UInt32           | Int64          | Int64      | Boolean                 | Boolean             |
//! | Int8, Int16  | Int64               | Int64            | Int64          | Int64      | unchanged               | unchanged           |
//! | Int32        | **Int64**           | Int32            | Int64          | Int64      | unchanged               | unchanged           |
//! | UInt8, UInt16 | **UInt64**         | Int64            | **UInt64**     | Int64      | unchanged               | unchanged           |
//! | UInt32       | **UInt64**          | UInt32           | **UInt64**     | Int64      | unchanged               | unchanged           |
//! | Int64, UInt64 | unchanged          | unchanged        | unchanged      | unchanged  | unchanged               | unchanged           |
//! | Float16, Float32 | unchanged, **summed in its own type** | unchanged, summed in Float64 | unchanged | unchanged | unchanged, **NaN propagates** | unchanged, NaN skipped |
//! | Float64      | Float64             | Float64          | Float64        | Float64    | **NaN propagates**      | NaN skipped         |
//! | Decimal(p, s) | Decimal(38, s), checked | Decimal(38, s), checked | error | error  | unchanged               | unchanged           |
//! | Duration     | Duration            | Duration         | error          | error      | unchanged               | unchanged           |
//! | Array(T, n)  | **scans along `axis`** | error         | **along `axis`** | error    | **along `axis`**        | error               |
//! | List(T)      | **within each list** | error           | **within each list** | error | **within each list**  | error               |
//!
//! Also unlike the built-ins: integer overflow wraps as in NumPy (or fails under
//! [`crate::Overflow::Error`]) instead of panicking in debug builds; `dtype=` chooses the
//! type to accumulate in; the first output is the first input (`np_cumsum([-0.0]) ==
//! [-0.0]`); nulls follow a [`crate::NullPolicy`] (the default, `Skip`, is what Polars
//! does); `reverse` is [`ScanOptions::reverse`].
//!
//! ## N-dimensional columns
//! An `Array(T, n)` column is the core's FixedSizeList column: [`ScanOptions::axis`] has
//! the same meaning (axis 0 down the rows, -1 within each row; nested arrays add axes).
//! `Axis::Flatten` (the default, NumPy's `axis=None`) returns every element of a
//! multi-dimensional column in one flat column, as NumPy does, so its length is rows
//! times the row size: use it in a `select` of its own, in `group_by(..).agg(..)` (one
//! list of all the group's elements) or on a Series; `with_columns` and `.over()` need
//! one output row per input row and answer with Polars' `ShapeMismatch` error. `List`
//! columns scan within each list (axis 1 or -1).
//!
//! ## Engines and groups
//! The expression is not row-separable (the flags of Polars' own `cum_sum`), so Polars
//! gives it the whole column in `select`/`with_columns` and one whole group per call in
//! `.over(..)` and `group_by(..).agg(..)`; the streaming engine gathers the column first.
//! A column arrives in several chunks; the core's [`crate::Scanner`] carries the running
//! state across them, so the result never restarts at a chunk boundary.
//!
//! ## Errors
//! The core's errors become [`PolarsError`]s with the same text: `InvalidOperation` for
//! types and options (raised when the query is planned), `ComputeError` for failures
//! while scanning (an overflow under `Overflow::Error`).
//!
//! ## Memory
//! No element buffer is copied on the way in or out. Polars' values, validity bitmaps
//! and list offsets are lent to the core as arrow-rs buffers that hold a reference to the
//! Polars buffer; the core's output vectors are handed to Polars as they are, and a
//! bitmap the core passes through (nulls skipped) is Polars' own bitmap again. Boolean
//! results (`np_cummax` of a bool column) are packed by the core into a `Vec<u8>` that
//! Polars adopts as its bitmap.

mod convert;
mod cumulative;
mod dtype;
mod expr;

pub use cumulative::cumulative_series;
pub use expr::CumulusExpr;

use polars::prelude::{CompatLevel, PolarsError, PolarsResult, Series, polars_ensure};

use crate::{Error, Operation, ScanOptions, Scanner};

/// Runs `op` over a whole Series, all its chunks in order as one column.
///
/// The result has one chunk per input chunk and the Series' name; its type is NumPy's
/// result type (see the [module documentation](self)). The expression methods of
/// [`CumulusExpr`] call this once per column or group.
///
/// ```
/// use cumulus::{Operation, ScanOptions};
/// use polars::prelude::*;
///
/// let mut s = Series::new("x".into(), [1i32, 2]);
/// s.append(&Series::new("x".into(), [3i32, 4]))?; // two chunks
/// let out = cumulus::polars::scan_series(Operation::Cumsum, &s, &ScanOptions::default())?;
/// assert_eq!(out.dtype(), &DataType::Int64);
/// let v: Vec<_> = out.i64()?.into_no_null_iter().collect();
/// assert_eq!(v, [1, 3, 6, 10]); // carried across the chunk boundary
/// # Ok::<(), PolarsError>(())
/// ```
///
/// # Errors
/// `InvalidOperation` when the type or an option is not accepted, `ComputeError` for
/// an overflow under [`crate::Overflow::Error`]: the core's [`Error`]s with their text.
pub fn scan_series(op: Operation, series: &Series, options: &ScanOptions) -> PolarsResult<Series> {
    let input = dtype::input_type(op, series.dtype())?;
    let mut scanner = Scanner::try_new(op, &input, options)?;
    let output = dtype::polars_output(op, scanner.output_type())?;
    let physical = output.to_physical().try_to_arrow(CompatLevel::newest())?;
    // A chunk's buffers are lent to arrow-rs only while that chunk is scanned.
    let mut scan_chunk = |(first_row, chunk): (usize, &polars::prelude::ArrayRef)| {
        let mut lent = convert::Lent::default();
        scanner.set_next_chunk_row(first_row);
        let result = scanner.push(lent.import(chunk.as_ref(), &input)?.as_ref())?;
        lent.export(result, &physical)
    };
    let chunks = series.chunks();
    let first_rows = chunks.iter().scan(0, |row, chunk| {
        let first = *row;
        *row += chunk.len();
        Some(first)
    });
    let numbered = first_rows.zip(chunks.iter());
    let out = if options.reverse {
        // The scanner runs from the last element: feed it the chunks last first.
        let mut out = numbered
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .map(&mut scan_chunk)
            .collect::<PolarsResult<Vec<_>>>()?;
        out.reverse();
        out
    } else {
        numbered
            .map(&mut scan_chunk)
            .collect::<PolarsResult<Vec<_>>>()?
    };
    if out.is_empty() {
        return Ok(Series::new_empty(series.name().clone(), &output));
    }
    for chunk in &out {
        polars_ensure!(chunk.dtype() == &physical, ComputeError:
            "{op}: output chunk of type {:?} where {physical:?} was planned", chunk.dtype());
    }
    // SAFETY: every chunk has the physical arrow type of `output`, checked just above.
    Ok(unsafe { Series::from_chunks_and_dtype_unchecked(series.name().clone(), out, &output) })
}

/// The Polars type `op` returns for a column of type `input` with `options`, without
/// computing anything: the core's result type ([`crate::result_type`]) in Polars' terms.
/// Plugins and planners call it to announce the output type before running.
///
/// ```
/// use cumulus::{Operation, ScanOptions};
/// use polars::prelude::DataType;
///
/// let t = cumulus::polars::output_dtype(Operation::Cumsum, &DataType::Int32, &ScanOptions::default())?;
/// assert_eq!(t, DataType::Int64); // NumPy's widening
/// # Ok::<(), polars::prelude::PolarsError>(())
/// ```
///
/// # Errors
/// `InvalidOperation` when the type or an option is not accepted, or the result has no
/// Polars type.
pub fn output_dtype(
    op: Operation,
    input: &polars::prelude::DataType,
    options: &ScanOptions,
) -> PolarsResult<polars::prelude::DataType> {
    dtype::output_type(op, input, options)
}

/// The core's errors in Polars: `InvalidOperation` for a type, option or axis the core
/// does not accept, `ComputeError` for the rest; the message is the core's, unchanged.
///
/// ```
/// use arrow::datatypes::DataType;
/// use cumulus::{Operation, ScanOptions};
/// use polars::prelude::PolarsError;
///
/// let core = cumulus::result_type(Operation::Cumsum, &DataType::Utf8, &ScanOptions::default()).unwrap_err();
/// let text = core.to_string();
/// let polars = PolarsError::from(core);
/// assert!(matches!(&polars, PolarsError::InvalidOperation(m) if **m == *text));
/// ```
impl From<Error> for PolarsError {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::UnsupportedType { .. }
            | Error::UnsupportedDtype { .. }
            | Error::AxisOutOfBounds { .. }
            | Error::UnsupportedAxis { .. }
            | Error::InvalidOption { .. }
            | Error::InvalidTensor { .. } => PolarsError::InvalidOperation(message.into()),
            _ => PolarsError::ComputeError(message.into()),
        }
    }
}
