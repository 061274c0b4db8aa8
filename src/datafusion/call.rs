//! [`Cumulative`]: the DataFrame-API builder behind [`super::cumsum`] and its siblings.

use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::logical_expr::expr::NullTreatment;
use datafusion::logical_expr::{
    Expr, ExprFuncBuilder, ExprFunctionExt, SortExpr, WindowFrame, WindowUDF,
};

use super::options::{option_literals, sql_defaults};
use super::window::udwf;
use crate::{Axis, NullPolicy, Operation, Overflow, ScanOptions};

/// A call of one of the six functions being built for the DataFrame API.
///
/// Start from [`super::cumsum`] (or `cumprod`, `nancumsum`, `nancumprod`, `cummax`,
/// `cummin`), set options, then either add the window clauses with DataFusion's
/// [`ExprFunctionExt`] (`partition_by`, `order_by`, then `build()`), or turn it into an
/// [`Expr`] as is (one window over the whole input, in its order).
///
/// The defaults are SQL's ([`super::sql_defaults`]): nulls carry the running value and
/// N-dimensional columns scan along axis 0. The output type follows `dtype` from the
/// start: the call is made with a window function built for these options.
///
/// ```
/// use cumulus::NullPolicy;
/// use cumulus::datafusion::cumsum;
/// use datafusion::arrow::datatypes::DataType;
/// use datafusion::prelude::*;
///
/// let running = cumsum(col("x"))
///     .dtype(DataType::Float64)
///     .nulls(NullPolicy::Skip)
///     .partition_by(vec![col("g")])
///     .order_by(vec![col("t").sort(true, false)])
///     .build()?
///     .alias("running");
/// assert!(running.to_string().starts_with(r#"cumsum(x, Utf8("float64"), Utf8("skip"))"#));
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a call does nothing until it is turned into an expression"]
pub struct Cumulative {
    op: Operation,
    x: Expr,
    options: ScanOptions,
}

impl Cumulative {
    /// A call of `op` on `x` with SQL's defaults.
    ///
    /// ```
    /// use cumulus::Operation;
    /// use cumulus::datafusion::{Cumulative, sql_defaults};
    /// use datafusion::prelude::col;
    /// let call = Cumulative::new(Operation::NanCumprod, col("x"));
    /// assert_eq!(call.scan_options(), &sql_defaults());
    /// ```
    pub fn new(op: Operation, x: Expr) -> Self {
        Cumulative {
            op,
            x,
            options: sql_defaults(),
        }
    }

    /// NumPy's `dtype=`: cast each value to `dtype` (NumPy's unsafe cast) and scan in it.
    ///
    /// ```
    /// use datafusion::arrow::datatypes::DataType;
    /// let call = cumulus::datafusion::cumsum(datafusion::prelude::col("x")).dtype(DataType::Float32);
    /// assert_eq!(call.scan_options().dtype, Some(DataType::Float32));
    /// ```
    pub fn dtype(mut self, dtype: DataType) -> Self {
        self.options = self.options.with_dtype(dtype);
        self
    }

    /// What nulls do ([`NullPolicy::Carry`] by default).
    ///
    /// ```
    /// use cumulus::NullPolicy;
    /// let call = cumulus::datafusion::cumsum(datafusion::prelude::col("x")).nulls(NullPolicy::Skip);
    /// assert_eq!(call.scan_options().nulls, NullPolicy::Skip);
    /// ```
    pub fn nulls(mut self, nulls: NullPolicy) -> Self {
        self.options = self.options.with_nulls(nulls);
        self
    }

    /// What integer overflow does ([`Overflow::Wrap`] by default).
    ///
    /// ```
    /// use cumulus::Overflow;
    /// let call = cumulus::datafusion::cumprod(datafusion::prelude::col("x")).overflow(Overflow::Error);
    /// assert_eq!(call.scan_options().overflow, Overflow::Error);
    /// ```
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.options = self.options.with_overflow(overflow);
        self
    }

    /// The axis of FixedSizeList and tensor columns (0 by default: down the rows).
    ///
    /// ```
    /// use cumulus::Axis;
    /// let call = cumulus::datafusion::cummax(datafusion::prelude::col("v")).axis(-1);
    /// assert_eq!(call.scan_options().axis, Axis::Index(-1));
    /// ```
    pub fn axis(mut self, axis: impl Into<Axis>) -> Self {
        self.options = self.options.with_axis(axis);
        self
    }

    /// Scan from the last row of each window partition to the first.
    ///
    /// ```
    /// let call = cumulus::datafusion::cummin(datafusion::prelude::col("x")).reverse(true);
    /// assert!(call.scan_options().reverse);
    /// ```
    pub fn reverse(mut self, reverse: bool) -> Self {
        self.options = self.options.with_reverse(reverse);
        self
    }

    /// Replaces every option. Note that [`ScanOptions::default`] is NumPy's (flatten,
    /// nulls skipped), not SQL's: flattening an N-dimensional column is a plan error in
    /// a window function.
    ///
    /// ```
    /// use cumulus::ScanOptions;
    /// let options = cumulus::datafusion::sql_defaults().with_reverse(true);
    /// let call = cumulus::datafusion::cumsum(datafusion::prelude::col("x")).options(options.clone());
    /// assert_eq!(call.scan_options(), &options);
    /// ```
    pub fn options(mut self, options: ScanOptions) -> Self {
        self.options = options;
        self
    }

    /// The options the call will use.
    ///
    /// ```
    /// let call = cumulus::datafusion::cumsum(datafusion::prelude::col("x"));
    /// assert_eq!(call.scan_options(), &cumulus::datafusion::sql_defaults());
    /// ```
    pub fn scan_options(&self) -> &ScanOptions {
        &self.options
    }

    /// The window function made for these options.
    ///
    /// ```
    /// use datafusion::arrow::datatypes::DataType;
    /// let udwf = cumulus::datafusion::cumsum(datafusion::prelude::col("x"))
    ///     .dtype(DataType::Int8)
    ///     .udwf();
    /// assert_eq!(udwf.name(), "cumsum");
    /// ```
    pub fn udwf(&self) -> Arc<WindowUDF> {
        udwf(self.op, self.options.clone())
    }

    /// The call as an expression, with no PARTITION BY or ORDER BY.
    ///
    /// ```
    /// use cumulus::datafusion::cummax;
    /// use datafusion::prelude::col;
    /// let e = cummax(col("x")).reverse(true).into_expr();
    /// assert_eq!(
    ///     e.to_string(),
    ///     "cummax(x, NULL, NULL, NULL, NULL, Boolean(true)) ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
    /// );
    /// ```
    pub fn into_expr(self) -> Expr {
        let mut args = vec![self.x];
        args.extend(option_literals(&self.options));
        udwf(self.op, self.options).call(args)
    }
}

impl From<Cumulative> for Expr {
    fn from(call: Cumulative) -> Self {
        call.into_expr()
    }
}

/// The window clauses, as on any window function [`Expr`].
impl ExprFunctionExt for Cumulative {
    fn order_by(self, order_by: Vec<SortExpr>) -> ExprFuncBuilder {
        self.into_expr().order_by(order_by)
    }

    fn filter(self, filter: Expr) -> ExprFuncBuilder {
        self.into_expr().filter(filter)
    }

    fn distinct(self) -> ExprFuncBuilder {
        self.into_expr().distinct()
    }

    fn null_treatment(self, null_treatment: impl Into<Option<NullTreatment>>) -> ExprFuncBuilder {
        self.into_expr().null_treatment(null_treatment)
    }

    fn partition_by(self, partition_by: Vec<Expr>) -> ExprFuncBuilder {
        self.into_expr().partition_by(partition_by)
    }

    fn window_frame(self, window_frame: WindowFrame) -> ExprFuncBuilder {
        self.into_expr().window_frame(window_frame)
    }
}
