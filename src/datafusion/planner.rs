//! SQL planning: [`CumulusPlanner`] reads the options of every call once, when the query
//! is planned, and [`CumulativePlaceholder`] lets `cumsum(x)` be written without OVER.

use std::sync::Arc;

use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::expr::{AggregateFunction, WindowFunction, WindowFunctionParams};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::planner::{
    ExprPlanner, PlannerResult, RawAggregateExpr, RawWindowExpr,
};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Expr, Signature, SortExpr, WindowFrame,
    WindowFrameBound, WindowFunctionDefinition,
};
use datafusion::prelude::SessionContext;

use super::errors::plan_error;
use super::options::{
    logical_option_args, missing_column, parse_options, signature, sql_defaults, syntax,
};
use super::session::SessionLink;
use super::window::{CumulativeWindow, udwf};
use crate::{Operation, ScanOption, ScanOptions};

/// The [`ExprPlanner`] that turns `cumsum(x, ...)` calls into window functions specialised
/// for their options. [`super::register`] installs one made with
/// [`CumulusPlanner::for_session`]; install one yourself with
/// `SessionStateBuilder::with_expr_planners` or `FunctionRegistry::register_expr_planner`
/// when you assemble a session by hand.
///
/// For a call with OVER it checks the frame, parses the constant options (a plan error
/// names a bad one) and swaps in a [`CumulativeWindow`] made for them, whose output type
/// therefore follows `dtype`. For a call without OVER (which DataFusion only resolves
/// through an aggregate, hence [`CumulativePlaceholder`]) it returns the same window over
/// the whole input, ordered by the call's `ORDER BY` if it has one, named like the call
/// (`cumsum(t.x)`). Options a call does not give are SQL's defaults
/// ([`super::sql_defaults`]), or the session's (`SET cumulus.nulls = 'skip'`) for a
/// planner made with [`CumulusPlanner::for_session`].
///
/// ```
/// use std::sync::Arc;
/// use cumulus::datafusion::CumulusPlanner;
/// use datafusion::execution::FunctionRegistry;
/// use datafusion::prelude::SessionContext;
///
/// let mut ctx = SessionContext::new();
/// ctx.register_expr_planner(Arc::new(CumulusPlanner::new()))?;
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct CumulusPlanner {
    session: Option<SessionLink>,
}

impl CumulusPlanner {
    /// A planner whose calls default to [`super::sql_defaults`].
    ///
    /// ```
    /// use datafusion::execution::FunctionRegistry;
    /// let mut ctx = datafusion::prelude::SessionContext::new();
    /// ctx.register_expr_planner(std::sync::Arc::new(cumulus::datafusion::CumulusPlanner::new()))?;
    /// # Ok::<(), datafusion::error::DataFusionError>(())
    /// ```
    pub fn new() -> Self {
        CumulusPlanner { session: None }
    }

    /// A planner whose calls default to the `SET cumulus.<option>` values of `ctx`'s
    /// session, read when each query is planned (what [`super::register`] installs; the
    /// settings exist once `register` has added them to the session's configuration).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let ctx = datafusion::prelude::SessionContext::new();
    /// cumulus::datafusion::register(&ctx)?; // uses CumulusPlanner::for_session(&ctx)
    /// ctx.sql("SET cumulus.nulls = 'skip'").await?;
    /// let batches = ctx
    ///     .sql("SELECT cumsum(x) AS s FROM (VALUES (1), (NULL), (2)) AS v(x)")
    ///     .await?
    ///     .collect()
    ///     .await?;
    /// datafusion::assert_batches_eq!(
    ///     ["+---+", "| s |", "+---+", "| 1 |", "|   |", "| 3 |", "+---+"],
    ///     &batches
    /// );
    /// # Ok::<(), datafusion::error::DataFusionError>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_session(ctx: &SessionContext) -> Self {
        CumulusPlanner {
            session: Some(SessionLink::new(ctx)),
        }
    }

    /// The options of a call that gives none.
    fn defaults(&self) -> ScanOptions {
        self.session
            .as_ref()
            .and_then(SessionLink::defaults)
            .unwrap_or_else(sql_defaults)
    }
}

/// The operation of a function definition when it is one of ours.
fn our_operation(def: &WindowFunctionDefinition) -> Option<Operation> {
    match def {
        WindowFunctionDefinition::AggregateUDF(udaf) => udaf
            .inner()
            .downcast_ref::<CumulativePlaceholder>()
            .map(|p| p.op),
        WindowFunctionDefinition::WindowUDF(udwf) => udwf
            .inner()
            .downcast_ref::<CumulativeWindow>()
            .map(CumulativeWindow::operation),
    }
}

/// The frames a scan honours: from the partition's first row to the current row. A
/// frame that starts later asks for a moving aggregate, and one that ends past the
/// current row (`UNBOUNDED FOLLOWING`, `n FOLLOWING`) for the total or a look-ahead;
/// either would be silently ignored, so both are errors.
///
/// Without ORDER BY, DataFusion gives every window the frame `ROWS BETWEEN UNBOUNDED
/// PRECEDING AND UNBOUNDED FOLLOWING`, and the same frame written out cannot be told from
/// it: both scan the partition in the order the rows arrive. With ORDER BY the default
/// frame ends at the current row, so a frame ending anywhere else was written.
/// (`RANGE ... UNBOUNDED FOLLOWING` without ORDER BY is written too: DataFusion gives it
/// a constant ORDER BY.)
fn check_frame(op: Operation, frame: &WindowFrame, ordered: bool) -> Result<()> {
    let starts_at_first_row =
        matches!(&frame.start_bound, WindowFrameBound::Preceding(v) if v.is_null());
    let ends_at_current_row = match &frame.end_bound {
        WindowFrameBound::CurrentRow => true,
        WindowFrameBound::Following(v) => v.is_null() && !ordered,
        WindowFrameBound::Preceding(_) => false,
    };
    if !(starts_at_first_row && ends_at_current_row) {
        let units = frame.units;
        return plan_err!(
            "{op}: window frame {frame} is not supported; accepted: no frame clause, or {units} BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW (a cumulative scan always runs from the first row of the partition to the current row)"
        );
    }
    Ok(())
}

/// DISTINCT, FILTER and IGNORE/RESPECT NULLS have no meaning for a scan; the `nulls`
/// option says what nulls do.
fn check_modifiers(
    op: Operation,
    distinct: bool,
    filter: bool,
    null_treatment: bool,
) -> Result<()> {
    let what = if distinct {
        "DISTINCT"
    } else if filter {
        "FILTER"
    } else if null_treatment {
        "IGNORE NULLS / RESPECT NULLS"
    } else {
        return Ok(());
    };
    plan_err!(
        "{op}: {what} is not supported; accepted: {}, with the nulls option ({}) to choose what nulls do",
        syntax(op),
        ScanOption::Nulls.accepted_values()
    )
}

impl ExprPlanner for CumulusPlanner {
    fn plan_window(&self, raw: RawWindowExpr) -> Result<PlannerResult<RawWindowExpr>> {
        let Some(op) = our_operation(&raw.func_def) else {
            return Ok(PlannerResult::Original(raw));
        };
        check_modifiers(
            op,
            raw.distinct,
            raw.filter.is_some(),
            raw.null_treatment.is_some(),
        )?;
        check_frame(op, &raw.window_frame, !raw.order_by.is_empty())?;
        // The arguments stay as written: they name the column (`cumsum(t.x,Utf8("skip"))`),
        // so two calls with different options never share a name.
        Ok(PlannerResult::Planned(window_call(
            op,
            &self.defaults(),
            raw.args,
            raw.partition_by,
            raw.order_by,
            raw.window_frame,
        )?))
    }

    fn plan_aggregate(&self, raw: RawAggregateExpr) -> Result<PlannerResult<RawAggregateExpr>> {
        let Some(op) = raw
            .func
            .inner()
            .downcast_ref::<CumulativePlaceholder>()
            .map(|p| p.op)
        else {
            return Ok(PlannerResult::Original(raw));
        };
        check_modifiers(
            op,
            raw.distinct,
            raw.filter.is_some(),
            raw.null_treatment.is_some(),
        )?;
        // Name the column as the call was written (`cumsum(t.x)`), not after the window
        // DataFusion would print (`... ROWS BETWEEN UNBOUNDED PRECEDING AND ...`).
        let call = Expr::AggregateFunction(AggregateFunction::new_udf(
            Arc::clone(&raw.func),
            raw.args.clone(),
            false,
            None,
            raw.order_by.clone(),
            None,
        ));
        let name = NamePreserver::new_for_projection().save(&call);
        let frame = WindowFrame::new((!raw.order_by.is_empty()).then_some(true));
        let window = window_call(op, &self.defaults(), raw.args, vec![], raw.order_by, frame)?;
        Ok(PlannerResult::Planned(name.restore(window)))
    }
}

/// The window call of `op` with the options its constant arguments give over
/// `defaults`, on a
/// [`CumulativeWindow`] made for them.
fn window_call(
    op: Operation,
    defaults: &ScanOptions,
    args: Vec<Expr>,
    partition_by: Vec<Expr>,
    order_by: Vec<SortExpr>,
    window_frame: WindowFrame,
) -> Result<Expr> {
    let options = parse_options(op, &logical_option_args(&args), defaults)?;
    Ok(Expr::from(WindowFunction {
        fun: WindowFunctionDefinition::WindowUDF(udwf(op, options)),
        params: WindowFunctionParams {
            args,
            partition_by,
            order_by,
            window_frame,
            filter: None,
            null_treatment: None,
            distinct: false,
        },
    }))
}

/// The aggregate registered under each function's name so that DataFusion's SQL planner
/// finds `cumsum(x)` without OVER (it only looks for aggregates there) and hands it to
/// [`CumulusPlanner`], which replaces it with the window function. It never aggregates:
/// reached without the planner it is a plan error.
///
/// It also answers for calls with OVER (DataFusion looks aggregates up first), so it
/// declares the window function's parameter names.
///
/// ```
/// use cumulus::Operation;
/// use cumulus::datafusion::CumulativePlaceholder;
/// use datafusion::logical_expr::AggregateUDF;
/// let udaf = AggregateUDF::from(CumulativePlaceholder::new(Operation::Cumprod));
/// assert_eq!(udaf.name(), "cumprod");
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CumulativePlaceholder {
    op: Operation,
    signature: Signature,
}

impl CumulativePlaceholder {
    /// The placeholder for `op`.
    ///
    /// ```
    /// use cumulus::Operation;
    /// let placeholder = cumulus::datafusion::CumulativePlaceholder::new(Operation::Cummin);
    /// let udaf = datafusion::logical_expr::AggregateUDF::from(placeholder);
    /// assert_eq!(udaf.name(), "cummin");
    /// ```
    pub fn new(op: Operation) -> Self {
        CumulativePlaceholder {
            op,
            signature: signature(),
        }
    }
}

impl AggregateUDFImpl for CumulativePlaceholder {
    fn name(&self) -> &str {
        self.op.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(arg_types.to_vec())
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let Some(input) = arg_types.first() else {
            return Err(missing_column(self.op));
        };
        crate::result_type(self.op, input, &sql_defaults()).map_err(plan_error)
    }

    fn return_field(&self, arg_fields: &[FieldRef]) -> Result<FieldRef> {
        let Some(input) = arg_fields.first() else {
            return Err(missing_column(self.op));
        };
        Ok(Arc::new(
            crate::result_field(self.op, input, &sql_defaults()).map_err(plan_error)?,
        ))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let op = self.op;
        plan_err!(
            "{op} is a window function and cannot aggregate; accepted: {op}(x) OVER (...), or {op}(x) without OVER in a query without GROUP BY once cumulus::datafusion::register has installed its SQL planner"
        )
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(super::functions::documentation(self.op))
    }
}
