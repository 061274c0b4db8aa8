//! The window function shared by all six operations: [`CumulativeWindow`], its
//! evaluator (one core call per window partition) and the documentation they share.

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::function::{
    ExpressionArgs, PartitionEvaluatorArgs, WindowUDFFieldArgs,
};
use datafusion::logical_expr::{
    Documentation, PartitionEvaluator, Signature, WindowUDF, WindowUDFImpl,
};
use datafusion::physical_expr::expressions::Literal;
use datafusion::physical_expr_common::physical_expr::PhysicalExpr;

use super::errors::{exec_error, plan_error};
use super::options::{OptionArg, missing_column, parse_options, signature};
use crate::{Axis, Operation, ScanOptions, Scanner};

/// One of the six operations as a DataFusion window function, with its options fixed.
///
/// The options are part of the function, not read from its arguments, because DataFusion
/// fixes a window function's output type from the input *types* alone
/// ([`WindowUDFImpl::field`] never sees argument values) while `dtype` changes the type.
/// The SQL planner ([`super::CumulusPlanner`]) and the builders ([`super::Cumulative`])
/// therefore parse the options once and call an instance made for them; the registered
/// instances ([`super::cumsum_udwf`], ...) carry [`super::sql_defaults`].
///
/// ```
/// use cumulus::datafusion::CumulativeWindow;
/// use cumulus::{Operation, ScanOptions};
/// use datafusion::logical_expr::WindowUDF;
///
/// let udwf = WindowUDF::from(CumulativeWindow::new(
///     Operation::Cumsum,
///     ScanOptions::default().with_axis(0),
/// ));
/// assert_eq!(udwf.name(), "cumsum");
/// ```
///
/// Running a call: [`WindowUDFImpl::field`] derives the output field with
/// [`crate::result_field`] (same metadata, so tensors stay tensors). At execution the
/// streaming [`super::CumulativeWindowAggExec`] (installed by [`super::register`]) pushes
/// each input batch's PARTITION BY runs into the evaluator's [`Scanner`]; in DataFusion's
/// `WindowAggExec` the evaluator gets each PARTITION BY group as one array and scans it
/// with one push. Either way nothing runs per row outside the scan.
///
/// Option arguments that reach an instance without going through the planner (a
/// hand-built `cumsum_udwf().call(vec![col("x"), lit("skip")])`) are read, by value as in
/// SQL and over the instance's own options, when the physical plan is made: they are
/// honoured when they give the output type the instance announced, and otherwise are a
/// plan error that names both types and points to the planner and the builders.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CumulativeWindow {
    op: Operation,
    options: ScanOptions,
    signature: Signature,
}

impl CumulativeWindow {
    /// The window function computing `op` with `options`.
    ///
    /// ```
    /// use cumulus::datafusion::{CumulativeWindow, sql_defaults};
    /// use cumulus::Operation;
    /// let window = CumulativeWindow::new(Operation::Cumsum, sql_defaults().with_reverse(true));
    /// assert!(window.options().reverse);
    /// ```
    pub fn new(op: Operation, options: ScanOptions) -> Self {
        CumulativeWindow {
            op,
            options,
            signature: signature(),
        }
    }

    /// The operation.
    ///
    /// ```
    /// use cumulus::Operation;
    /// let window = cumulus::datafusion::CumulativeWindow::new(Operation::Cummax, Default::default());
    /// assert_eq!(window.operation(), Operation::Cummax);
    /// ```
    pub fn operation(&self) -> Operation {
        self.op
    }

    /// The options every call of this instance uses.
    ///
    /// ```
    /// use cumulus::{NullPolicy, Operation, ScanOptions};
    /// let options = ScanOptions::default().with_nulls(NullPolicy::Identity);
    /// let window = cumulus::datafusion::CumulativeWindow::new(Operation::Cumsum, options.clone());
    /// assert_eq!(window.options(), &options);
    /// ```
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// The output field for `input` with `options`, named `name`.
    fn output_field(
        &self,
        input: &FieldRef,
        options: &ScanOptions,
        name: &str,
    ) -> Result<FieldRef> {
        let op = self.op;
        // NumPy's flatten returns more values than rows; a window function must return
        // exactly one per row.
        if options.axis == Axis::Flatten && input.data_type().is_nested() {
            return plan_err!(
                "{op}: axis none (flatten) is not supported for {} in a window function, which must return one value per row; accepted: an axis index, 0 (the default) for a running vector down the rows",
                input.data_type()
            );
        }
        let field = crate::result_field(op, input, options).map_err(plan_error)?;
        Ok(Arc::new(field.with_name(name)))
    }
}

impl WindowUDFImpl for CumulativeWindow {
    fn name(&self) -> &str {
        self.op.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Arguments pass through unchanged (the scan decides what it accepts, and a
    /// FixedSizeList must not become a List), except that a dictionary-encoded column is
    /// scanned as its values: DataFusion adds the cast.
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(arg_types
            .iter()
            .enumerate()
            .map(|(i, t)| match t {
                DataType::Dictionary(_, values) if i == 0 => values.as_ref().clone(),
                t => t.clone(),
            })
            .collect())
    }

    /// Only `x` is evaluated; the options are constants read once (otherwise DataFusion
    /// would expand each literal into an array as long as the partition).
    fn expressions(&self, expr_args: ExpressionArgs) -> Vec<Arc<dyn PhysicalExpr>> {
        expr_args.input_exprs().iter().take(1).cloned().collect()
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        let Some(input) = field_args.get_input_field(0) else {
            return Err(missing_column(self.op));
        };
        self.output_field(&input, &self.options, field_args.name())
    }

    fn partition_evaluator(
        &self,
        args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        let op = self.op;
        let Some(field) = args.input_fields().first() else {
            return Err(missing_column(op));
        };
        let options = if args.input_exprs().len() > 1 {
            self.options_from_arguments(field, args.input_exprs())?
        } else {
            self.options.clone()
        };
        let scanner = Scanner::for_field(op, field, &options).map_err(plan_error)?;
        Ok(Box::new(CumulativeEvaluator {
            op,
            scanner,
            reverse: options.reverse,
        }))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(super::functions::documentation(self.op))
    }
}

impl CumulativeWindow {
    /// The options spelled by constant arguments, when they are compatible with the type
    /// [`WindowUDFImpl::field`] announced for this instance.
    fn options_from_arguments(
        &self,
        field: &FieldRef,
        exprs: &[Arc<dyn PhysicalExpr>],
    ) -> Result<ScanOptions> {
        let op = self.op;
        let args: Vec<OptionArg<'_>> = exprs
            .iter()
            .skip(1)
            .map(|e| match e.downcast_ref::<Literal>() {
                Some(l) => OptionArg::Value(std::borrow::Cow::Borrowed(l.value())),
                None => OptionArg::NotConstant(e.to_string()),
            })
            .collect();
        // Over this instance's options: a planner-made instance already holds what the
        // arguments say (and the session's defaults for the rest).
        let parsed = parse_options(op, &args, &self.options)?;
        if parsed == self.options {
            return Ok(parsed);
        }
        let announced = self.output_field(field, &self.options, field.name())?;
        let asked = self.output_field(field, &parsed, field.name())?;
        if asked.data_type() != announced.data_type()
            || (asked.is_nullable() && !announced.is_nullable())
        {
            return plan_err!(
                "{op}: the options {parsed:?} give type {} but the call was planned for {}; the output type is fixed when the query is planned, so register the functions with cumulus::datafusion::register (its SQL planner reads the options) or build the call with cumulus::datafusion::{op}(x) and its option methods",
                asked.data_type(),
                announced.data_type()
            );
        }
        Ok(parsed)
    }
}

/// Scans one window partition per call.
#[derive(Debug)]
pub(super) struct CumulativeEvaluator {
    op: Operation,
    scanner: Scanner,
    /// A reverse scan needs the partition's last row first, so only `WindowAggExec`
    /// (which hands over whole partitions) can run it.
    reverse: bool,
}

impl CumulativeEvaluator {
    /// The operation and the scanner of an evaluator made by [`CumulativeWindow`], when it
    /// scans forward; `None` for any other evaluator or a reverse scan.
    ///
    /// The streaming operator ([`super::CumulativeWindowAggExec`]) takes its scanners
    /// from here, so it runs exactly the options `partition_evaluator` read (including
    /// those spelled by constant arguments).
    pub(super) fn forward_scanner(
        evaluator: Box<dyn PartitionEvaluator>,
    ) -> Option<(Operation, Scanner)> {
        let evaluator: Box<dyn std::any::Any> = evaluator;
        let ours = evaluator.downcast::<CumulativeEvaluator>().ok()?;
        (!ours.reverse).then_some((ours.op, ours.scanner))
    }
}

impl PartitionEvaluator for CumulativeEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        let Some(x) = values.first() else {
            return exec_err!("{}: no input column", self.op);
        };
        // Each call is a new window partition: the running value starts afresh.
        self.scanner.reset();
        let out = self.scanner.push(x.as_ref()).map_err(exec_error)?;
        if out.len() != num_rows {
            return exec_err!(
                "{}: the scan returned {} values for {num_rows} rows",
                self.op,
                out.len()
            );
        }
        Ok(out)
    }
}

/// Makes the [`WindowUDF`] for `op` with `options`.
pub(crate) fn udwf(op: Operation, options: ScanOptions) -> Arc<WindowUDF> {
    Arc::new(WindowUDF::from(CumulativeWindow::new(op, options)))
}
