//! The core's errors as Python exceptions, and the guard that keeps Rust panics out of
//! Python.

use std::panic::{AssertUnwindSafe, catch_unwind};

use cumulus::{Error, ErrorKind};
use pyo3::exceptions::{PyOverflowError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;

/// The exception for a core error, with the core's message:
///
/// | kind | exception |
/// |------|-----------|
/// | InvalidOption, OutSize, InvalidInput | `ValueError` |
/// | UnsupportedType | `TypeError` |
/// | Axis | `numpy.exceptions.AxisError` (a `ValueError` and `IndexError`) when NumPy is importable, else `ValueError` |
/// | Overflow | `OverflowError` |
/// | ScannerState, Internal (and any later kind) | `RuntimeError` |
pub(crate) fn core_error(py: Python<'_>, err: &Error) -> PyErr {
    let message = err.to_string();
    match err.kind() {
        ErrorKind::InvalidOption | ErrorKind::OutSize | ErrorKind::InvalidInput => {
            PyValueError::new_err(message)
        }
        ErrorKind::UnsupportedType => PyTypeError::new_err(message),
        ErrorKind::Axis => axis_error(py, message),
        ErrorKind::Overflow => PyOverflowError::new_err(message),
        _ => PyRuntimeError::new_err(message),
    }
}

/// NumPy's `AxisError(message)`, or a `ValueError` without NumPy.
fn axis_error(py: Python<'_>, message: String) -> PyErr {
    let numpy = py
        .import("numpy.exceptions")
        .and_then(|m| m.getattr("AxisError"))
        .and_then(|class| class.call1((message.as_str(),)));
    match numpy {
        Ok(exception) => PyErr::from_value(exception),
        Err(_) => PyValueError::new_err(message),
    }
}

/// A `Result` of the core as a `PyResult`.
pub(crate) trait IntoPy<T> {
    /// Maps the error with [`core_error`].
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPy<T> for cumulus::Result<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| core_error(py, &e))
    }
}

/// Runs `body`, turning a Rust panic into a `RuntimeError` (pyo3 would raise
/// `PanicException`, which derives from `BaseException` and escapes `except Exception`).
pub(crate) fn guarded<T>(body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(PyRuntimeError::new_err(format!(
                "cumulus: internal error ({what}); this is a bug in cumulus, please report it"
            )))
        }
    }
}
