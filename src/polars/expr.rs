//! The expression builder: [`CumulusExpr`] on Polars' `Expr`.

use polars::prelude::{
    BaseColumnUdf, Column, Expr, Field, PlSmallStr, PolarsResult, Schema, new_column_udf,
    polars_err,
};
use polars_plan::prelude::FunctionOptions;

use crate::polars::{cumulative_series, dtype, scan_series};
use crate::{Operation, ScanOptions};

/// NumPy's cumulative operations as Polars expressions.
///
/// The methods carry an `np_` prefix so that they sit beside Polars' own
/// `cum_sum`/`cum_prod`/`cum_max`/`cum_min` (which differ in result types, NaN handling
/// and float32 rounding; see the [module documentation](crate::polars)) without shadowing
/// them: `np_cumsum` is NumPy's `np.cumsum`, `cum_sum` stays Polars'.
///
/// Every method returns an expression that scans the whole column in `select` and
/// `with_columns`, each group in `.over(..)` and `group_by(..).agg(..)`, in both the
/// in-memory and the streaming engine. The options are the core's [`ScanOptions`];
/// invalid ones (a `dtype` or `axis` the input does not accept) fail when the query is
/// planned, with the core's message.
///
/// ```
/// use cumulus::ScanOptions;
/// use cumulus::polars::CumulusExpr;
/// use polars::prelude::*;
///
/// let df = df!["g" => [1, 1, 2, 2, 1], "x" => [1i32, 2, 3, 4, 5]]?;
/// let out = df
///     .lazy()
///     .with_columns([
///         col("x").np_cumsum(ScanOptions::default()).alias("cs"),
///         col("x").np_cumsum(ScanOptions::default()).over([col("g")])?.alias("cs_g"),
///     ])
///     .collect()?;
/// // int32 widens to int64, as in NumPy (Polars' cum_sum keeps Int32).
/// assert_eq!(out.column("cs")?.dtype(), &DataType::Int64);
/// let cs: Vec<_> = out.column("cs")?.i64()?.into_no_null_iter().collect();
/// assert_eq!(cs, [1, 3, 6, 10, 15]);
/// let cs_g: Vec<_> = out.column("cs_g")?.i64()?.into_no_null_iter().collect();
/// assert_eq!(cs_g, [1, 3, 3, 7, 8]);
/// # Ok::<(), PolarsError>(())
/// ```
pub trait CumulusExpr {
    /// Runs `op` with `options`; the six named methods call this.
    ///
    /// ```
    /// use cumulus::{Operation, ScanOptions};
    /// use cumulus::polars::CumulusExpr;
    /// use polars::prelude::*;
    ///
    /// let op: Operation = "cumprod".parse()?; // e.g. chosen at run time
    /// let df = df!["x" => [1i64, 2, 3, 4]]?;
    /// let reverse = ScanOptions::default().with_reverse(true);
    /// let out = df.lazy().select([col("x").np_scan(op, reverse)]).collect()?;
    /// let x: Vec<_> = out.column("x")?.i64()?.into_no_null_iter().collect();
    /// assert_eq!(x, [24, 24, 12, 4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn np_scan(self, op: Operation, options: ScanOptions) -> Expr;

    /// NumPy 2's array-API functions for `op` (a sum or product): the axis is required
    /// for Array columns and there is no flattening; with `include_initial` the output
    /// starts with the identity and is one longer than the column (or each group), so
    /// use it in `select` or `agg`, not `with_columns`.
    ///
    /// ```
    /// use cumulus::{Operation, ScanOptions};
    /// use cumulus::polars::CumulusExpr;
    /// use polars::prelude::*;
    ///
    /// let df = df!["x" => [1i64, 2, 3]]?;
    /// let out = df
    ///     .lazy()
    ///     .select([col("x").np_cumulative(Operation::Cumsum, ScanOptions::default(), true)])
    ///     .collect()?;
    /// let x: Vec<_> = out.column("x")?.i64()?.into_no_null_iter().collect();
    /// assert_eq!(x, [0, 1, 3, 6]);
    /// # Ok::<(), PolarsError>(())
    /// ```
    fn np_cumulative(self, op: Operation, options: ScanOptions, include_initial: bool) -> Expr;

    /// NumPy 2's `np.cumulative_sum` ([`CumulusExpr::np_cumulative`] with `cumsum`).
    fn np_cumulative_sum(self, options: ScanOptions, include_initial: bool) -> Expr
    where
        Self: Sized,
    {
        self.np_cumulative(Operation::Cumsum, options, include_initial)
    }

    /// NumPy 2's `np.cumulative_prod` ([`CumulusExpr::np_cumulative`] with `cumprod`).
    fn np_cumulative_prod(self, options: ScanOptions, include_initial: bool) -> Expr
    where
        Self: Sized,
    {
        self.np_cumulative(Operation::Cumprod, options, include_initial)
    }

    /// NumPy's `np.cumsum`.
    ///
    /// ```
    /// use cumulus::ScanOptions;
    /// use cumulus::polars::CumulusExpr;
    /// use polars::prelude::*;
    ///
    /// let df = df!["x" => [true, true, false]]?;
    /// let out = df.lazy().select([col("x").np_cumsum(ScanOptions::default())]).collect()?;
    /// let x: Vec<_> = out.column("x")?.i64()?.into_no_null_iter().collect();
    /// assert_eq!(x, [1, 2, 2]); // bool counts as int64, as in NumPy
    /// # Ok::<(), PolarsError>(())
    /// ```
    fn np_cumsum(self, options: ScanOptions) -> Expr
    where
        Self: Sized,
    {
        self.np_scan(Operation::Cumsum, options)
    }

    /// NumPy's `np.cumprod`.
    ///
    /// ```
    /// use cumulus::ScanOptions;
    /// use cumulus::polars::CumulusExpr;
    /// use polars::prelude::*;
    ///
    /// let df = df!["x" => [1u8, 2, 3]]?;
    /// let out = df.lazy().select([col("x").np_cumprod(ScanOptions::default())]).collect()?;
    /// let x: Vec<_> = out.column("x")?.u64()?.into_no_null_iter().collect();
    /// assert_eq!(x, [1, 2, 6]); // uint8 widens to uint64
    /// # Ok::<(), PolarsError>(())
    /// ```
    fn np_cumprod(self, options: ScanOptions) -> Expr
    where
        Self: Sized,
    {
        self.np_scan(Operation::Cumprod, options)
    }

    /// NumPy's `np.nancumsum`: NaN counts as 0.
    ///
    /// ```
    /// use cumulus::ScanOptions;
    /// use cumulus::polars::CumulusExpr;
    /// use polars::prelude::*;
    ///
    /// let df = df!["x" => [f64::NAN, 1.0, f64::NAN, 2.0]]?;
    /// let out = df.lazy().select([col("x").np_nancumsum(ScanOptions::default())]).collect()?;
    /// let x: Vec<_> = out.column("x")?.f64()?.into_no_null_iter().collect();
    /// assert_eq!(x, [0.0, 1.0, 1.0, 3.0]);
    /// # Ok::<(), PolarsError>(())
    /// ```
    fn np_nancumsum(self, options: ScanOptions) -> Expr
    where
        Self: Sized,
    {
        self.np_scan(Operation::NanCumsum, options)
    }

    /// NumPy's `np.nancumprod`: NaN counts as 1.
    ///
    /// ```
    /// use cumulus::ScanOptions;
    /// use cumulus::polars::CumulusExpr;
    /// use polars::prelude::*;
    ///
    /// let df = df!["x" => [2.0, f64::NAN, 3.0]]?;
    /// let out = df.lazy().select([col("x").np_nancumprod(ScanOptions::default())]).collect()?;
    /// let x: Vec<_> = out.column("x")?.f64()?.into_no_null_iter().collect();
    /// assert_eq!(x, [2.0, 2.0, 6.0]);
    /// # Ok::<(), PolarsError>(())
    /// ```
    fn np_nancumprod(self, options: ScanOptions) -> Expr
    where
        Self: Sized,
    {
        self.np_scan(Operation::NanCumprod, options)
    }

    /// NumPy's `np.maximum.accumulate`: NaN propagates (Polars' `cum_max` skips it).
    ///
    /// ```
    /// use cumulus::ScanOptions;
    /// use cumulus::polars::CumulusExpr;
    /// use polars::prelude::*;
    ///
    /// let df = df!["x" => [1.0, f64::NAN, 2.0]]?;
    /// let out = df.lazy().select([col("x").np_cummax(ScanOptions::default())]).collect()?;
    /// let x: Vec<_> = out.column("x")?.f64()?.into_no_null_iter().collect();
    /// assert!(x[0] == 1.0 && x[1].is_nan() && x[2].is_nan());
    /// # Ok::<(), PolarsError>(())
    /// ```
    fn np_cummax(self, options: ScanOptions) -> Expr
    where
        Self: Sized,
    {
        self.np_scan(Operation::Cummax, options)
    }

    /// NumPy's `np.minimum.accumulate`: NaN propagates (Polars' `cum_min` skips it).
    ///
    /// ```
    /// use cumulus::ScanOptions;
    /// use cumulus::polars::CumulusExpr;
    /// use polars::prelude::*;
    ///
    /// let df = df!["x" => [3i16, 1, 2]]?;
    /// let out = df.lazy().select([col("x").np_cummin(ScanOptions::default())]).collect()?;
    /// assert_eq!(out.column("x")?.dtype(), &DataType::Int16); // max/min keep the type
    /// let x: Vec<_> = out.column("x")?.i16()?.into_no_null_iter().collect();
    /// assert_eq!(x, [3, 1, 1]);
    /// # Ok::<(), PolarsError>(())
    /// ```
    fn np_cummin(self, options: ScanOptions) -> Expr
    where
        Self: Sized,
    {
        self.np_scan(Operation::Cummin, options)
    }
}

impl CumulusExpr for Expr {
    fn np_scan(self, op: Operation, options: ScanOptions) -> Expr {
        let planning = options.clone();
        let udf = BaseColumnUdf::new(
            move |columns: &mut [Column]| {
                let column = only_input(op, columns)?;
                scan_series(op, column.as_materialized_series(), &options).map(Column::from)
            },
            move |_schema: &Schema, fields: &[Field]| {
                let field = only_input(op, fields)?;
                // A literal arrives as `Unknown(Int(5))`; the result must be a known type.
                let input = field.dtype().clone().materialize_unknown(false)?;
                let output = dtype::output_type(op, &input, &planning)?;
                Ok(Field::new(field.name().clone(), output))
            },
        );
        Expr::AnonymousFunction {
            input: vec![self],
            function: new_column_udf(udf),
            // Polars' own cum_sum flags: not row-separable, so every call sees a whole
            // column or a whole group (never a morsel), in order; length preserving.
            options: FunctionOptions::length_preserving(),
            fmt_str: Box::new(PlSmallStr::from_string(format!("np_{}", op.name()))),
        }
    }

    fn np_cumulative(self, op: Operation, options: ScanOptions, include_initial: bool) -> Expr {
        let planning = options.clone();
        let udf = BaseColumnUdf::new(
            move |columns: &mut [Column]| {
                let column = only_input(op, columns)?;
                let series = column.as_materialized_series();
                cumulative_series(op, series, &options, include_initial).map(Column::from)
            },
            move |_schema: &Schema, fields: &[Field]| {
                let field = only_input(op, fields)?;
                let input = field.dtype().clone().materialize_unknown(false)?;
                let output = dtype::cumulative_output_type(op, &input, &planning, include_initial)?;
                Ok(Field::new(field.name().clone(), output))
            },
        );
        // One longer with `include_initial`: not length preserving, but still a function
        // of the whole column (or group).
        let options = if include_initial {
            FunctionOptions::groupwise()
        } else {
            FunctionOptions::length_preserving()
        };
        Expr::AnonymousFunction {
            input: vec![self],
            function: new_column_udf(udf),
            options,
            fmt_str: Box::new(PlSmallStr::from_string(format!(
                "np_cumulative_{}",
                op.name()
            ))),
        }
    }
}

fn only_input<T>(op: Operation, inputs: &[T]) -> PolarsResult<&T> {
    match inputs {
        [input] => Ok(input),
        _ => Err(polars_err!(ComputeError:
            "{op}: expected one input column, got {}", inputs.len())),
    }
}
