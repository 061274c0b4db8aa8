//! DataFusion window functions for datafusion-python, through `FFI_WindowUDF`.
//!
//! A [`WindowFunction`] wraps the core's [`CumulativeWindow`] for one operation and one
//! set of options; its `__datafusion_window_udf__` returns the PyCapsule
//! (`datafusion_window_udf`) that `datafusion.udwf()` / `WindowUDF.from_pycapsule()`
//! import. What the FFI does not carry (the SQL planner that reads options, the
//! no-OVER form, the streaming operator) is listed in `cumulus/datafusion.py`.

use std::sync::Arc;

use cumulus::datafusion::CumulativeWindow;
use cumulus::{Operation, ScanOptions};
use datafusion::logical_expr::WindowUDF;
use datafusion_ffi::udwf::FFI_WindowUDF;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict};

use crate::guarded;
use crate::options::{PyOptions, operation, options_dict};

/// One of the six operations as a DataFusion window function with fixed options.
#[pyclass(frozen, module = "cumulus._cumulus")]
pub(crate) struct WindowFunction {
    op: Operation,
    options: ScanOptions,
    udwf: Arc<WindowUDF>,
}

#[pymethods]
impl WindowFunction {
    /// The `FFI_WindowUDF` in a PyCapsule named `datafusion_window_udf`, for
    /// datafusion-python.
    fn __datafusion_window_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        guarded(|| {
            let ffi = FFI_WindowUDF::from(self.udwf.clone());
            PyCapsule::new_with_value(py, ffi, c"datafusion_window_udf")
        })
    }

    /// The SQL name (the operation's).
    #[getter]
    fn name(&self) -> &'static str {
        self.op.name()
    }

    /// The options every call uses, as text.
    #[getter]
    fn options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        options_dict(py, &self.options)
    }

    fn __repr__(&self) -> String {
        let options = cumulus::ScanOption::ALL
            .iter()
            .filter_map(|o| Some(format!("{}={}", o.name(), o.value_text(&self.options)?)))
            .collect::<Vec<_>>()
            .join(", ");
        format!("cumulus.datafusion.window({:?}, {options})", self.op.name())
    }
}

/// The window function of `op` with the options given (SQL's defaults for the rest).
#[pyfunction]
pub(crate) fn window_function(
    py: Python<'_>,
    op: &str,
    axis: &Bound<'_, PyAny>,
    dtype: &Bound<'_, PyAny>,
    nulls: &Bound<'_, PyAny>,
    overflow: &Bound<'_, PyAny>,
    reverse: &Bound<'_, PyAny>,
) -> PyResult<WindowFunction> {
    guarded(|| {
        let op = operation(py, op)?;
        let raw = PyOptions {
            axis,
            dtype,
            nulls,
            overflow,
            reverse,
        };
        let options = raw.parse(py, op, cumulus::datafusion::sql_defaults())?;
        let udwf = Arc::new(WindowUDF::from(CumulativeWindow::new(op, options.clone())));
        Ok(WindowFunction { op, options, udwf })
    })
}

/// The options SQL calls use by default (nulls carry, axis 0), as text.
#[pyfunction]
pub(crate) fn sql_default_options(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    guarded(|| options_dict(py, &cumulus::datafusion::sql_defaults()))
}
