//! [`CumulativeWindowAggExec`]: the streaming operator that runs a window node made only
//! of cumulus functions one input batch at a time.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::compute::concat;
use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result, Statistics, exec_err, internal_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext, async_try_stream};
use datafusion::physical_expr::OrderingRequirements;
use datafusion::physical_expr::window::{StandardWindowExpr, WindowExpr};
use datafusion::physical_plan::execution_plan::{CardinalityEffect, EmissionType};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::windows::WindowAggExec;
use datafusion::physical_plan::{
    ChildStats, DisplayAs, DisplayFormatType, Distribution, ExecutionPlan, ExecutionPlanProperties,
    InputDistributionRequirements, PhysicalExpr, PlanProperties, ReplaceChildrenOptions,
    StatisticsArgs,
};

use super::errors::exec_error;
use super::runs::{runs, same_key};
use super::window::CumulativeEvaluator;
use crate::{Operation, Scanner};

/// Runs a window node whose expressions are all cumulus functions scanning forward,
/// streaming: one output batch per input batch, the input's columns followed by one
/// column per window expression.
///
/// It stands in for the `WindowAggExec` DataFusion planned (see
/// [`super::CumulativeWindowRule`], which makes the swap) and keeps that node: the
/// window expressions, the output schema, the required input ordering and distribution,
/// the output ordering, partitioning and equivalences, and the statistics are all the
/// `WindowAggExec`'s. Only execution differs. DataFusion has already sorted the input by
/// the PARTITION BY keys and then the ORDER BY keys and hash-partitioned it by the
/// PARTITION BY keys (or gathered it into one partition), so each PARTITION BY group is
/// a run of consecutive rows, possibly spread over several batches. For every batch the
/// operator evaluates each expression's argument, splits the batch into runs of equal
/// PARTITION BY keys (one run when the batch's first and last keys are equal; otherwise
/// each run's end by galloping and binary search, and one vectorised pass once a batch
/// holds many small groups; the first run continues the previous batch's group when its
/// key equals the last key seen), and pushes each run into that expression's
/// [`Scanner`], reset whenever a group starts. The scan carries the running value from
/// one batch to the next, so the results are those of `WindowAggExec`, bit for bit,
/// errors included (an overflow's row is counted from the group's first row).
///
/// Memory: the batch being processed and its output, the last PARTITION BY key, and one
/// scanner (a running value, or a running vector along axis 0) per expression. The
/// output order is the input order, and every input batch gives one output batch (the
/// outputs of its runs concatenated) as soon as it is scanned, so a LIMIT above stops
/// the scan early.
///
/// ```
/// use cumulus::datafusion::{CumulativeWindowAggExec, register};
/// use datafusion::physical_plan::displayable;
/// use datafusion::prelude::*;
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let ctx = SessionContext::new();
/// register(&ctx)?; // installs CumulativeWindowRule
/// let df = ctx
///     .sql("SELECT cumsum(x) OVER (ORDER BY t) AS s FROM (VALUES (1, 10), (2, 20)) AS v(t, x)")
///     .await?;
/// let plan = df.create_physical_plan().await?;
/// let text = displayable(plan.as_ref()).indent(false).to_string();
/// assert!(text.contains("CumulativeWindowAggExec: wdw=[cumsum"), "{text}");
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CumulativeWindowAggExec {
    /// The replaced node: it holds the input and the window expressions, answers every
    /// planning question, and is what `replace_children` rebuilds.
    window: Arc<WindowAggExec>,
    /// The window's properties, except that the output is emitted incrementally.
    properties: Arc<PlanProperties>,
    /// See [`CumulativeWindowAggExec::streams_one_partition`].
    one_partition: bool,
    metrics: ExecutionPlanMetricsSet,
}

impl CumulativeWindowAggExec {
    /// The streaming replacement of `window`, or `None` when it cannot stream it: a window
    /// expression that is not a cumulus function, one with `reverse => true` (its scan
    /// starts at the partition's last row), or PARTITION BY keys the input is not sorted
    /// on (`WindowAggExec` reports that itself when it runs).
    ///
    /// # Errors
    /// When a window expression's evaluator cannot be created (the planner created it
    /// once already, so this does not happen for a plan DataFusion made).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use cumulus::datafusion::CumulativeWindowAggExec;
    /// use datafusion::physical_plan::windows::WindowAggExec;
    /// use datafusion::prelude::*;
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// // A session without the rule plans DataFusion's WindowAggExec; swap it by hand.
    /// let mut state = datafusion::execution::SessionStateBuilder::new().with_default_features().build();
    /// cumulus::datafusion::register_with_state(&mut state)?;
    /// let ctx = SessionContext::new_with_state(state);
    /// let plan = ctx
    ///     .sql("SELECT cumsum(x) OVER (ORDER BY x) FROM (VALUES (1), (2)) AS v(x)")
    ///     .await?
    ///     .create_physical_plan()
    ///     .await?;
    /// let mut window = None;
    /// datafusion::common::tree_node::TreeNode::apply(&plan, |node| {
    ///     if let Some(w) = node.downcast_ref::<WindowAggExec>() {
    ///         window = Some(Arc::new(w.clone()));
    ///     }
    ///     Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    /// })?;
    /// let exec = CumulativeWindowAggExec::try_new(window.unwrap())?.expect("a cumulus window");
    /// assert_eq!(exec.window_expr().len(), 1);
    /// assert!(Arc::ptr_eq(exec.input(), exec.window_agg().input()));
    /// # Ok::<(), datafusion::error::DataFusionError>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_new(window: Arc<WindowAggExec>) -> Result<Option<Self>> {
        let exprs = window.window_expr();
        let Some(first) = exprs.first() else {
            return Ok(None);
        };
        for expr in exprs {
            if forward_scanner(expr)?.is_none() {
                return Ok(None);
            }
        }
        // `WindowAggExec` refuses to run unless every PARTITION BY key is sorted; keep it
        // then, so the error stays its own.
        let sorted_keys = window.partition_by_sort_keys().map(|keys| keys.len());
        if sorted_keys.ok() != Some(first.partition_by().len()) {
            return Ok(None);
        }
        let properties = window
            .properties()
            .as_ref()
            .clone()
            .with_emission_type(EmissionType::Incremental);
        let one_partition = !first.partition_by().is_empty()
            && window.input().output_partitioning().partition_count() == 1
            && input_sorted_for(&window)?;
        Ok(Some(CumulativeWindowAggExec {
            window,
            properties: Arc::new(properties),
            one_partition,
            metrics: ExecutionPlanMetricsSet::new(),
        }))
    }

    /// Whether the rows come as one partition already sorted by the PARTITION BY keys and
    /// then the ORDER BY keys (a file declared in that order): the operator then asks for
    /// them as they are, one partition, instead of having them split by key onto several
    /// and merged back into order after it. Splitting costs more than the second core
    /// gives: 10^7 rows of 1000 groups, Parquet to Parquet, took 0.63 s in one partition
    /// and 0.92 s in two (whole process, 2 cores).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use cumulus::datafusion::{CumulativeWindowAggExec, register};
    /// use datafusion::arrow::array::{Float64Array, Int64Array, RecordBatch};
    /// use datafusion::arrow::datatypes::{DataType, Field, Schema};
    /// use datafusion::datasource::MemTable;
    /// use datafusion::prelude::*;
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let schema = Arc::new(Schema::new(vec![
    ///     Field::new("g", DataType::Int64, false),
    ///     Field::new("t", DataType::Int64, false),
    ///     Field::new("x", DataType::Float64, false),
    /// ]));
    /// let batch = RecordBatch::try_new(schema.clone(), vec![
    ///     Arc::new(Int64Array::from(vec![1, 1, 2])),
    ///     Arc::new(Int64Array::from(vec![1, 2, 1])),
    ///     Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0])),
    /// ])?;
    /// // One partition, declared in (g, t) order.
    /// let table = MemTable::try_new(schema, vec![vec![batch]])?
    ///     .with_sort_order(vec![vec![col("g").sort(true, false), col("t").sort(true, false)]]);
    /// let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(4));
    /// register(&ctx)?;
    /// ctx.register_table("trades", Arc::new(table))?;
    /// let plan = ctx
    ///     .sql("SELECT cumsum(x) OVER (PARTITION BY g ORDER BY t) FROM trades")
    ///     .await?
    ///     .create_physical_plan()
    ///     .await?;
    /// let mut found = None;
    /// datafusion::common::tree_node::TreeNode::apply(&plan, |node| {
    ///     if let Some(w) = node.downcast_ref::<CumulativeWindowAggExec>() {
    ///         found = Some(w.streams_one_partition());
    ///     }
    ///     Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    /// })?;
    /// assert_eq!(found, Some(true));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn streams_one_partition(&self) -> bool {
        self.one_partition
    }

    /// The `WindowAggExec` this operator runs in place of.
    ///
    /// See [`CumulativeWindowAggExec::try_new`] for an example.
    pub fn window_agg(&self) -> &Arc<WindowAggExec> {
        &self.window
    }

    /// The input plan.
    ///
    /// See [`CumulativeWindowAggExec::try_new`] for an example.
    pub fn input(&self) -> &Arc<dyn ExecutionPlan> {
        self.window.input()
    }

    /// The window expressions, one output column each.
    ///
    /// See [`CumulativeWindowAggExec::try_new`] for an example.
    pub fn window_expr(&self) -> &[Arc<dyn WindowExpr>] {
        self.window.window_expr()
    }

    fn wrap(&self, window: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(window) = window.downcast_ref::<WindowAggExec>() else {
            return internal_err!(
                "CumulativeWindowAggExec: WindowAggExec::replace_children returned {}",
                window.name()
            );
        };
        match Self::try_new(Arc::new(window.clone()))? {
            Some(exec) => Ok(Arc::new(exec)),
            // The new input no longer allows streaming: run the WindowAggExec.
            None => Ok(Arc::new(window.clone())),
        }
    }
}

/// Whether `window`'s input is sorted as the window requires: by the PARTITION BY keys,
/// then the ORDER BY keys.
pub(super) fn input_sorted_for(window: &WindowAggExec) -> Result<bool> {
    let Some(requirement) = window
        .required_input_ordering()
        .into_iter()
        .next()
        .flatten()
    else {
        return Ok(true);
    };
    let eq = window.input().equivalence_properties();
    Ok(requirement
        .into_alternatives()
        .0
        .into_iter()
        .next()
        .map(|lex| eq.ordering_satisfy_requirement(lex))
        .transpose()?
        .unwrap_or(true))
}

/// The operation and a fresh scanner for `expr`, when it is a cumulus function scanning
/// forward.
pub(super) fn forward_scanner(expr: &Arc<dyn WindowExpr>) -> Result<Option<(Operation, Scanner)>> {
    let Some(standard) = expr.as_any().downcast_ref::<StandardWindowExpr>() else {
        return Ok(None);
    };
    let evaluator = standard.get_standard_func_expr().create_evaluator()?;
    // Frames and ranks never reach a cumulus evaluator (it uses neither), so
    // `WindowAggExec` would call `evaluate_all` on the whole group: the scan below.
    if evaluator.uses_window_frame() || evaluator.include_rank() {
        return Ok(None);
    }
    Ok(CumulativeEvaluator::forward_scanner(evaluator))
}

impl DisplayAs for CumulativeWindowAggExec {
    /// As `WindowAggExec` shows itself, under this operator's name.
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => {
                let exprs: Vec<String> = self
                    .window_expr()
                    .iter()
                    .map(|e| {
                        format!(
                            "{}: {:?}, frame: {:?}",
                            e.name(),
                            e.field(),
                            e.get_window_frame()
                        )
                    })
                    .collect();
                write!(f, "CumulativeWindowAggExec: wdw=[{}]", exprs.join(", "))
            }
            DisplayFormatType::TreeRender => {
                let names: Vec<&str> = self.window_expr().iter().map(|e| e.name()).collect();
                writeln!(f, "select_list={}", names.join(", "))
            }
        }
    }
}

impl ExecutionPlan for CumulativeWindowAggExec {
    fn name(&self) -> &str {
        "CumulativeWindowAggExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![self.window.input()]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        self.window.apply_expressions(f)
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        self.window.maintains_input_order()
    }

    fn required_input_ordering(&self) -> Vec<Option<OrderingRequirements>> {
        self.window.required_input_ordering()
    }

    fn input_distribution_requirements(&self) -> InputDistributionRequirements {
        if self.one_partition {
            return InputDistributionRequirements::new(vec![Distribution::SinglePartition]);
        }
        self.window.input_distribution_requirements()
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        if self.one_partition {
            return vec![false];
        }
        self.window.benefits_from_input_partitioning()
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let window = Arc::clone(&self.window).replace_children(children, options)?;
        self.wrap(window)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        #[allow(deprecated)] // the trait still requires it; `replace_children` is the new way
        let window = Arc::clone(&self.window).with_new_children(children)?;
        self.wrap(window)
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let mut scan = PartitionScan::try_new(self.window_expr(), self.schema())?;
        let mut input = self.window.input().execute(partition, context)?;
        let metrics = BaselineMetrics::new(&self.metrics, partition);
        let stream = async_try_stream(move |mut emitter| async move {
            while let Some(batch) = std::future::poll_fn(|cx| input.as_mut().poll_next(cx)).await {
                let batch = batch?;
                let out = {
                    let _timer = metrics.elapsed_compute().timer();
                    scan.push(&batch)?
                };
                if let Some(out) = out {
                    metrics.record_output(out.num_rows());
                    metrics.output_batches().add(1);
                    emitter.emit(out).await;
                }
            }
            metrics.done();
            Ok::<(), DataFusionError>(())
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema(),
            stream,
        )))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn child_stats_requests(&self, partition: Option<usize>) -> Vec<ChildStats> {
        self.window.child_stats_requests(partition)
    }

    fn statistics_from_inputs(
        &self,
        input_stats: &[Arc<Statistics>],
        args: &StatisticsArgs,
    ) -> Result<Arc<Statistics>> {
        self.window.statistics_from_inputs(input_stats, args)
    }

    fn cardinality_effect(&self) -> CardinalityEffect {
        CardinalityEffect::Equal
    }
}

/// The state of one execution partition: the scanners and the last key seen.
struct PartitionScan {
    schema: SchemaRef,
    partition_by: Vec<Arc<dyn PhysicalExpr>>,
    lanes: Vec<Lane>,
    /// The PARTITION BY key of the last row seen, as one-row arrays (empty without
    /// PARTITION BY); `None` before the first row.
    last_key: Option<Vec<ArrayRef>>,
}

/// One window expression: its argument and its running scan.
struct Lane {
    expr: Arc<dyn WindowExpr>,
    op: Operation,
    scanner: Scanner,
}

impl PartitionScan {
    fn try_new(exprs: &[Arc<dyn WindowExpr>], schema: SchemaRef) -> Result<Self> {
        let Some(first) = exprs.first() else {
            return internal_err!("CumulativeWindowAggExec: no window expression");
        };
        let lanes = exprs
            .iter()
            .map(|expr| match forward_scanner(expr)? {
                Some((op, scanner)) => Ok(Lane {
                    expr: Arc::clone(expr),
                    op,
                    scanner,
                }),
                None => internal_err!(
                    "CumulativeWindowAggExec: {} is not a forward cumulus scan",
                    expr.name()
                ),
            })
            .collect::<Result<_>>()?;
        Ok(PartitionScan {
            schema,
            // As in `WindowAggExec`, the first expression's PARTITION BY splits the rows
            // for all of them (DataFusion only groups expressions with the same one).
            partition_by: first.partition_by().to_vec(),
            lanes,
            last_key: None,
        })
    }

    /// Scans one input batch; `None` for an empty one.
    fn push(&mut self, batch: &RecordBatch) -> Result<Option<RecordBatch>> {
        let rows = batch.num_rows();
        if rows == 0 {
            return Ok(None);
        }
        let keys = self
            .partition_by
            .iter()
            .map(|e| e.evaluate(batch)?.into_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let runs = runs(&keys, rows)?;
        let continues = match &self.last_key {
            Some(last) => same_key(last, &keys)?,
            None => false,
        };
        let mut columns = batch.columns().to_vec();
        for lane in &mut self.lanes {
            let values = lane.expr.evaluate_args(batch)?;
            let Some(x) = values.first() else {
                return exec_err!("{}: no input column", lane.op);
            };
            let mut outputs = Vec::with_capacity(runs.len());
            for (i, run) in runs.iter().enumerate() {
                // A new group: the running value starts afresh and rows count from 0.
                if i > 0 || !continues {
                    lane.scanner.reset();
                }
                let chunk = if run.len() == rows {
                    Arc::clone(x)
                } else {
                    x.slice(run.start, run.len())
                };
                let out = lane.scanner.push(chunk.as_ref()).map_err(exec_error)?;
                if out.len() != run.len() {
                    return exec_err!(
                        "{}: the scan returned {} values for {} rows",
                        lane.op,
                        out.len(),
                        run.len()
                    );
                }
                outputs.push(out);
            }
            columns.push(match outputs.as_slice() {
                [one] => Arc::clone(one),
                many => concat(&many.iter().map(|a| a.as_ref()).collect::<Vec<_>>())?,
            });
        }
        self.last_key = Some(keys.iter().map(|k| k.slice(rows - 1, 1)).collect());
        Ok(Some(RecordBatch::try_new(
            Arc::clone(&self.schema),
            columns,
        )?))
    }
}
