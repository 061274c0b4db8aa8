//! The Polars expression plugin: `_polars_plugin_<op>` and `_polars_plugin_field_<op>`
//! for the six operations, which `cumulus.polars` registers with
//! `polars.plugins.register_plugin_function(..., is_elementwise=False)`.
//!
//! Each call gets a whole column, or a whole group under `.over()` and
//! `group_by().agg()` (never a morsel: the plugin is not elementwise), and runs
//! [`cumulus::polars::scan_series`], which carries the running value across the column's
//! chunks. Data crosses between Python Polars and this library as Arrow C data, so the
//! plugin loads in any Python Polars speaking plugin protocol 0.1 (1.x and 2.x). The
//! options arrive as a pickled dict of the core's text forms (checked in Python first by
//! `normalize_options`) and are read back with [`ScanOption::set_from_text`].

use cumulus::{Operation, ScanOption, ScanOptions};
use polars::prelude::{Field, PolarsResult, Series, polars_bail};
use pyo3_polars::derive::polars_expr;
#[allow(unused_imports)] // the crates `polars_expr` expands to
use pyo3_polars::export::*;
use serde::Deserialize;

/// The options as `normalize_options` writes them.
#[derive(Debug, Deserialize)]
struct Kwargs {
    dtype: Option<String>,
    nulls: String,
    overflow: String,
    axis: String,
    reverse: String,
}

impl Kwargs {
    fn options(&self, op: Operation) -> PolarsResult<ScanOptions> {
        let mut options = ScanOptions::default();
        let texts = [
            (ScanOption::Dtype, self.dtype.as_deref()),
            (ScanOption::Nulls, Some(self.nulls.as_str())),
            (ScanOption::Overflow, Some(self.overflow.as_str())),
            (ScanOption::Axis, Some(self.axis.as_str())),
            (ScanOption::Reverse, Some(self.reverse.as_str())),
        ];
        for (option, text) in texts {
            if let Some(text) = text {
                option
                    .set_from_text(&mut options, text)
                    .map_err(|e| e.for_op(op))?;
            }
        }
        Ok(options)
    }
}

/// The output field: the input's name, the core's result type (known before running).
fn output_field(op: Operation, inputs: &[Field], kwargs: &Kwargs) -> PolarsResult<Field> {
    let [input] = inputs else {
        polars_bail!(ComputeError: "{op}: expected one input column, got {}", inputs.len());
    };
    // A literal arrives as `Unknown(Int(5))`; the result must be a known type.
    let dtype = input.dtype().clone().materialize_unknown(false)?;
    let output = cumulus::polars::output_dtype(op, &dtype, &kwargs.options(op)?)?;
    Ok(Field::new(input.name().clone(), output))
}

/// The scan of one column or group.
fn scan(op: Operation, inputs: &[Series], kwargs: &Kwargs) -> PolarsResult<Series> {
    let [input] = inputs else {
        polars_bail!(ComputeError: "{op}: expected one input column, got {}", inputs.len());
    };
    cumulus::polars::scan_series(op, input, &kwargs.options(op)?)
}

macro_rules! plugin_functions {
    ($($name:ident, $field:ident, $op:expr;)*) => {$(
        fn $field(inputs: &[Field], kwargs: Kwargs) -> PolarsResult<Field> {
            output_field($op, inputs, &kwargs)
        }

        #[polars_expr(output_type_func_with_kwargs = $field)]
        fn $name(inputs: &[Series], kwargs: Kwargs) -> PolarsResult<Series> {
            scan($op, inputs, &kwargs)
        }
    )*};
}

plugin_functions! {
    cumsum, cumsum_field, Operation::Cumsum;
    cumprod, cumprod_field, Operation::Cumprod;
    nancumsum, nancumsum_field, Operation::NanCumsum;
    nancumprod, nancumprod_field, Operation::NanCumprod;
    cummax, cummax_field, Operation::Cummax;
    cummin, cummin_field, Operation::Cummin;
}
