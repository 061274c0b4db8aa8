//! Python values of the options (`axis`, `dtype`, `nulls`, `overflow`, `reverse`) read
//! through the core's own tables: each value becomes its text form and goes through
//! [`ScanOption::set_from_text`], so the accepted values and the messages are the core's.

use cumulus::{Operation, ScanOption, ScanOptions, parse_dtype};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString};
use pyo3_arrow::{PyArrayReader, PyDataType};

use crate::errors::IntoPy;
use crate::guarded;

/// The options of one call, as Python passed them.
pub(crate) struct PyOptions<'a, 'py> {
    pub axis: &'a Bound<'py, PyAny>,
    pub dtype: &'a Bound<'py, PyAny>,
    pub nulls: &'a Bound<'py, PyAny>,
    pub overflow: &'a Bound<'py, PyAny>,
    pub reverse: &'a Bound<'py, PyAny>,
}

impl PyOptions<'_, '_> {
    /// The options over `defaults`; an error names `op`.
    pub fn parse(
        &self,
        py: Python<'_>,
        op: Operation,
        defaults: ScanOptions,
    ) -> PyResult<ScanOptions> {
        let mut options = defaults;
        if let Some(dtype) = dtype_text(py, self.dtype)? {
            ScanOption::Dtype
                .set_from_text(&mut options, &dtype)
                .map_err(|e| e.for_op(op))
                .py_err(py)?;
        }
        for (option, value) in [
            (ScanOption::Axis, self.axis),
            (ScanOption::Nulls, self.nulls),
            (ScanOption::Overflow, self.overflow),
            (ScanOption::Reverse, self.reverse),
        ] {
            option
                .set_from_text(&mut options, &value_text(value)?)
                .map_err(|e| e.for_op(op))
                .py_err(py)?;
        }
        Ok(options)
    }
}

/// An operation by name (`cumsum`, ...).
pub(crate) fn operation(py: Python<'_>, name: &str) -> PyResult<Operation> {
    name.parse::<Operation>().py_err(py)
}

/// The text form of an option value: `true`/`false` for booleans (Python's and NumPy's),
/// `none` for `None` (the flattening axis), `str()` of anything else (integers, strings),
/// which the core then accepts or refuses with its list of accepted values.
fn value_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(flag.is_true().to_string());
    }
    if value.is_none() {
        return Ok("none".into());
    }
    Ok(value.str()?.to_string())
}

/// The text form of a `dtype=` value, or `None` for NumPy's rule:
/// - a string the core reads (`"int8"`, `"double"`, `"Decimal128(20, 2)"`); otherwise
///   NumPy's reading of it when NumPy is importable (`"f4"`, `"<i8"`);
/// - an Arrow type (anything with `__arrow_c_schema__`: pyarrow types and fields), or
///   the type of an Arrow stream (an empty Polars Series of the type);
/// - anything `numpy.dtype()` accepts (`np.float32`, `float`, a NumPy dtype);
/// - else its `str()` (Polars' type names such as `pl.Int64` read that way).
pub(crate) fn dtype_text(py: Python<'_>, dtype: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if dtype.is_none() {
        return Ok(None);
    }
    if let Ok(text) = dtype.cast::<PyString>() {
        let text = text.to_str()?;
        if parse_dtype(text).is_ok() {
            return Ok(Some(text.to_string()));
        }
        let numpy = numpy_dtype_name(py, dtype).filter(|name| parse_dtype(name).is_ok());
        return Ok(Some(numpy.unwrap_or_else(|| text.to_string())));
    }
    if dtype.hasattr("__arrow_c_schema__")? {
        let arrow: PyDataType = dtype.extract()?;
        return Ok(Some(cumulus::dtype_name(arrow.as_ref())));
    }
    if dtype.hasattr("__arrow_c_stream__")? {
        // An empty column of the type (`cumulus.polars` passes Polars types this way).
        let stream: PyArrayReader = dtype.extract()?;
        return Ok(Some(cumulus::dtype_name(stream.field_ref()?.data_type())));
    }
    if let Some(name) = numpy_dtype_name(py, dtype) {
        return Ok(Some(name));
    }
    Ok(Some(dtype.str()?.to_string()))
}

/// `numpy.dtype(value).name`, when NumPy is importable and understands `value`.
fn numpy_dtype_name(py: Python<'_>, value: &Bound<'_, PyAny>) -> Option<String> {
    py.import("numpy")
        .ok()?
        .getattr("dtype")
        .ok()?
        .call1((value,))
        .ok()?
        .getattr("name")
        .ok()?
        .extract()
        .ok()
}

/// The options as a dict of text forms (`None` for a `dtype` left to NumPy's rule).
pub(crate) fn options_dict<'py>(
    py: Python<'py>,
    options: &ScanOptions,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for option in ScanOption::ALL {
        dict.set_item(option.name(), option.value_text(options))?;
    }
    Ok(dict)
}

/// Checks the options of `op` and returns their text forms, which the Polars plugin
/// reads back.
#[pyfunction]
pub(crate) fn normalize_options<'py>(
    py: Python<'py>,
    op: &str,
    axis: &Bound<'py, PyAny>,
    dtype: &Bound<'py, PyAny>,
    nulls: &Bound<'py, PyAny>,
    overflow: &Bound<'py, PyAny>,
    reverse: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    guarded(|| {
        let op = operation(py, op)?;
        let raw = PyOptions {
            axis,
            dtype,
            nulls,
            overflow,
            reverse,
        };
        options_dict(py, &raw.parse(py, op, ScanOptions::default())?)
    })
}

/// The core's default options (NumPy's behaviour), as text forms.
#[pyfunction]
pub(crate) fn default_options(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    guarded(|| options_dict(py, &ScanOptions::default()))
}

/// The six operations' names, in the core's order.
#[pyfunction]
pub(crate) fn operations() -> Vec<&'static str> {
    Operation::ALL.iter().map(|op| op.name()).collect()
}
