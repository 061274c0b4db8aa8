//! The Python extension module `cumulus._cumulus`: NumPy arrays through the buffer
//! protocol ([`numpy`]), Arrow data through the Arrow PyCapsule interface ([`arrow`]), a
//! Polars expression plugin ([`plugin`]) and DataFusion window functions through
//! `FFI_WindowUDF` ([`datafusion`]). The Python package `cumulus` (python/cumulus/) wraps
//! these functions; they are not meant to be called directly.
//!
//! Every function runs its body under [`guarded`], so a Rust panic becomes a
//! `RuntimeError` instead of pyo3's `PanicException`; the plugin's exported functions
//! catch panics themselves (pyo3-polars' macro does).

mod arrow;
mod datafusion;
mod errors;
mod numpy;
mod options;
mod plugin;
mod result_pool;

use pyo3::prelude::*;

/// Every allocation of this library goes through Polars' allocator when Polars is
/// installed, as pyo3-polars requires of a plugin (Series cross between the two
/// libraries). The allocator is chosen once, at the first allocation, which module
/// initialisation makes while holding the GIL; see `python/README.md` ("Memory").
#[global_allocator]
static ALLOCATOR: pyo3_polars::PolarsAllocator = pyo3_polars::PolarsAllocator::new();

pub(crate) use errors::guarded;

/// The extension module.
#[pymodule]
fn _cumulus(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(numpy::scan_numpy, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::scan_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(result_pool::set_result_pool_limit, m)?)?;
    m.add_function(wrap_pyfunction!(result_pool::result_pool_usage, m)?)?;
    m.add_function(wrap_pyfunction!(options::normalize_options, m)?)?;
    m.add_function(wrap_pyfunction!(options::default_options, m)?)?;
    m.add_function(wrap_pyfunction!(options::operations, m)?)?;
    m.add_function(wrap_pyfunction!(datafusion::window_function, m)?)?;
    m.add_function(wrap_pyfunction!(datafusion::sql_default_options, m)?)?;
    m.add_class::<datafusion::WindowFunction>()?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    Ok(())
}

/// Panics under [`guarded`]: the tests check that a Rust panic reaches Python as a
/// `RuntimeError` (not pyo3's `PanicException`, not an abort).
#[pyfunction]
fn _panic_for_tests() -> PyResult<()> {
    guarded(|| panic!("a panic raised on purpose by the tests"))
}
