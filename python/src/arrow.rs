//! Arrow data in, pyarrow out, through the Arrow PyCapsule interface (pyo3-arrow):
//! pyarrow Arrays and ChunkedArrays, Polars Series, DuckDB results, arro3 and anything
//! else with `__arrow_c_array__` or `__arrow_c_stream__`.
//!
//! The input's buffers are imported without copying (the C Data Interface hands over
//! pointers and a release callback), read by the core with the GIL released, and the
//! output's buffers are exported to pyarrow without copying. A stream or ChunkedArray is
//! scanned chunk by chunk with one [`Scanner`] (never concatenated), its running value
//! carried from chunk to chunk; a reverse scan pushes the chunks last first.

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::Field;
use arrow::error::ArrowError;
use cumulus::{Operation, ScanOptions, Scanner};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3_arrow::input::AnyArray;
use pyo3_arrow::{PyArray, PyChunkedArray};

use crate::errors::IntoPy;
use crate::guarded;
use crate::options::{PyOptions, operation};

/// `cumulus.<op>(x, ...)` for an Arrow array or stream `x` (see the Python package's
/// docstrings): a `pyarrow.Array` for an array, a `pyarrow.ChunkedArray` for a stream.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan_arrow<'py>(
    py: Python<'py>,
    op: &str,
    x: &Bound<'py, PyAny>,
    axis: &Bound<'py, PyAny>,
    dtype: &Bound<'py, PyAny>,
    nulls: &Bound<'py, PyAny>,
    overflow: &Bound<'py, PyAny>,
    reverse: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    guarded(|| {
        let op = operation(py, op)?;
        let raw = PyOptions {
            axis,
            dtype,
            nulls,
            overflow,
            reverse,
        };
        let options = raw.parse(py, op, ScanOptions::default())?;
        match x.extract::<AnyArray>()? {
            AnyArray::Array(array) => {
                let (array, field) = array.into_inner();
                let (field, output) = py
                    .detach(|| cumulus::scan_field(op, &field, array.as_ref(), &options))
                    .py_err(py)?;
                let output = PyArray::try_new(output, Arc::new(field))
                    .map_err(|e| PyValueError::new_err(format!("{op}: {e}")))?;
                // `pyarrow.array` imports it through `__arrow_c_array__`.
                py.import("pyarrow")?.getattr("array")?.call1((output,))
            }
            AnyArray::Stream(stream) => {
                let reader = stream.into_reader()?;
                let field = reader.field();
                let chunks = reader
                    .collect::<Result<Vec<ArrayRef>, ArrowError>>()
                    .map_err(|e| PyValueError::new_err(format!("{op}: reading the stream: {e}")))?;
                let (field, output) = py
                    .detach(|| scan_chunks(op, &field, &chunks, &options))
                    .py_err(py)?;
                PyChunkedArray::try_new(output, Arc::new(field))?.into_pyarrow(py)
            }
        }
    })
}

/// Scans a chunked column with one [`Scanner`]: the chunks in order, or last first for a
/// reverse scan, each told where it starts so that an overflow names the column's row.
/// Returns the output field and one output chunk per input chunk, in the input's order.
fn scan_chunks(
    op: Operation,
    field: &Field,
    chunks: &[ArrayRef],
    options: &ScanOptions,
) -> cumulus::Result<(Field, Vec<ArrayRef>)> {
    let mut scanner = Scanner::for_field(op, field, options)?;
    let starts: Vec<usize> = chunks
        .iter()
        .scan(0, |row, chunk| {
            let start = *row;
            *row += chunk.len();
            Some(start)
        })
        .collect();
    let mut order: Vec<usize> = (0..chunks.len()).collect();
    if options.reverse {
        order.reverse();
    }
    let mut output: Vec<Option<ArrayRef>> = vec![None; chunks.len()];
    for i in order {
        scanner.set_next_chunk_row(starts[i]);
        output[i] = Some(scanner.push(chunks[i].as_ref())?);
    }
    let output = output.into_iter().flatten().collect();
    Ok((scanner.output_field(field), output))
}
