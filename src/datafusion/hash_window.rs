//! [`CumulativeHashWindowExec`]: cumulus window functions with one running state per
//! PARTITION BY key, for input that is not sorted by the PARTITION BY keys.

use std::fmt;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, RecordBatchOptions};
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::execution::spill_file::{SpillFile, SpillWriter};
use datafusion::physical_plan::metrics::SpillMetrics;

use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{
    DataFusionError, Result, Statistics, exec_err, internal_err, not_impl_err,
};
use datafusion::execution::memory_pool::MemoryConsumer;
use datafusion::execution::{SendableRecordBatchStream, TaskContext, async_try_stream};
use datafusion::physical_expr::window::WindowExpr;
use datafusion::physical_expr::{
    Distribution, EquivalenceProperties, LexRequirement, OrderingRequirements,
    PhysicalSortRequirement,
};
use datafusion::physical_plan::execution_plan::{CardinalityEffect, EmissionType};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::windows::WindowAggExec;
use datafusion::physical_plan::{
    ChildStats, ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan,
    ExecutionPlanProperties, InputDistributionRequirements, PhysicalExpr, PlanProperties,
    ReplaceChildrenOptions, StatisticsArgs,
};

use super::exec::{forward_scanner, input_sorted_for};
use super::keyed::{KeyedScan, SortKeys, sort_and_scan};
use super::keys::{KeyIds, KeyOrderCheck, OrderKeys};

/// What [`CumulativeHashWindowExec`] may assume about the order of its input rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputOrder {
    /// Within each execution partition, rows come in the window's ORDER BY order
    /// (required of the input, so DataFusion sorts it if need be; with no ORDER BY any
    /// order is the window's). One pass in input order, output streamed.
    Sorted,
    /// Any order. Each execution partition is buffered; when every key's rows turn out
    /// to be in ORDER BY order already (an O(n) check) they are scanned as they are,
    /// otherwise the rows are sorted by (key, ORDER BY) first and put out in that order,
    /// 64Ki rows at a time, so that only the sort's permutation and one piece are held
    /// beside the input. The input is held with its buffers trimmed to its rows, and
    /// without the columns that are only PARTITION BY keys (their values come back from
    /// each row's key id). Output in input order where no sort was needed.
    Any,
    /// One partition whose rows of each key come in ORDER BY order (one primitive ORDER
    /// BY column), though the input declares no order: rows grouped by key, or in time
    /// order, in a file that does not say so. [`super::CumulativeProbedWindowExec`] plans
    /// it after reading the keys and ORDER BY values once. One pass in input order, as
    /// [`InputOrder::Sorted`]; each row is checked against its key's previous one as it
    /// streams, and a row out of order stops the query with an execution error.
    ByKey,
}

/// Runs a window node whose expressions are all cumulus functions scanning forward with
/// the same PARTITION BY keys, holding one running state per key in a hash map, so that
/// the input needs no sort by the PARTITION BY keys.
///
/// [`super::CumulativeWindowRule`] plans it (in place of DataFusion's sort and
/// `WindowAggExec`) when the input's order already satisfies the window's ORDER BY but
/// not its PARTITION BY, e.g. rows in time order with `PARTITION BY symbol ORDER BY
/// time` ([`InputOrder::Sorted`]): every row gets its value in one pass in input order,
/// memory O(keys), output streamed in input order. With [`InputOrder::Any`] it sorts
/// each key's rows itself (a counting sort by key, then a sort of each key's rows by the
/// ORDER BY keys, skipped for keys already in order).
///
/// Its input must be partitioned by the PARTITION BY keys (or be one partition), as
/// `WindowAggExec`'s; output partitioning is the input's. With [`InputOrder::Sorted`] and
/// [`InputOrder::ByKey`] the output order is the input order (so it satisfies the ORDER
/// BY, not the PARTITION BY: DataFusion adds a sort above it where a parent needs (key,
/// order) order); with [`InputOrder::Any`] it promises no order. Results, column types and errors are
/// those of the sorted path bit for bit (an overflow's row counts from the key's first
/// row in the window's order); rows tied on the ORDER BY keys are scanned in input order.
///
/// ```
/// use std::sync::Arc;
/// use cumulus::datafusion::register;
/// use datafusion::arrow::array::{Float64Array, Int64Array, RecordBatch};
/// use datafusion::arrow::datatypes::{DataType, Field, Schema};
/// use datafusion::datasource::MemTable;
/// use datafusion::physical_plan::displayable;
/// use datafusion::prelude::*;
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let schema = Arc::new(Schema::new(vec![
///     Field::new("g", DataType::Int64, false),
///     Field::new("t", DataType::Int64, false),
///     Field::new("x", DataType::Float64, false),
/// ]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![
///     Arc::new(Int64Array::from(vec![1, 2, 1])),
///     Arc::new(Int64Array::from(vec![1, 2, 3])),
///     Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0])),
/// ])?;
/// // Rows in time order, declared: the window needs no sort.
/// let trades = MemTable::try_new(schema, vec![vec![batch]])?
///     .with_sort_order(vec![vec![col("t").sort(true, false)]]);
/// let ctx = SessionContext::new();
/// register(&ctx)?;
/// ctx.register_table("trades", Arc::new(trades))?;
/// let df = ctx.sql("SELECT g, cumsum(x) OVER (PARTITION BY g ORDER BY t) AS c FROM trades").await?;
/// let plan = df.clone().create_physical_plan().await?;
/// let text = displayable(plan.as_ref()).indent(false).to_string();
/// assert!(text.contains("CumulativeHashWindowExec: input_order=sorted"), "{text}");
/// assert!(!text.contains("SortExec"), "{text}");
/// let batches = df.collect().await?;
/// datafusion::assert_batches_sorted_eq!(
///     ["+---+-----+", "| g | c   |", "+---+-----+", "| 1 | 1.0 |", "| 1 | 4.0 |", "| 2 | 2.0 |", "+---+-----+"],
///     &batches
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CumulativeHashWindowExec {
    input: Arc<dyn ExecutionPlan>,
    window_expr: Vec<Arc<dyn WindowExpr>>,
    schema: SchemaRef,
    order: InputOrder,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl CumulativeHashWindowExec {
    /// Whether the rows come as one partition already in ORDER BY order: they then stream
    /// through as they are. Splitting them by key onto several partitions would need a
    /// merge back into input order for the result to keep (and declare) it, which costs
    /// more than the second core gives (10^7 rows in time order: 0.76 s in one partition,
    /// 0.98 s in two, whole process); buffering input (`InputOrder::Any`) still gains.
    fn streams_one_partition(&self) -> bool {
        match self.order {
            InputOrder::Sorted => self.input.output_partitioning().partition_count() == 1,
            InputOrder::ByKey => true,
            InputOrder::Any => false,
        }
    }

    /// The operator for `window_expr` (all cumulus functions scanning forward, with the
    /// same non-empty PARTITION BY and ORDER BY) over `input`, producing `schema` (the
    /// input's columns and one per expression).
    ///
    /// # Errors
    /// When an expression is not a forward cumulus scan, the expressions' PARTITION BY
    /// or ORDER BY differ, there is no PARTITION BY, or `schema` does not fit.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use cumulus::datafusion::{CumulativeHashWindowExec, InputOrder};
    /// use datafusion::physical_plan::windows::WindowAggExec;
    /// use datafusion::physical_plan::ExecutionPlan;
    /// use datafusion::prelude::*;
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let mut state = datafusion::execution::SessionStateBuilder::new().with_default_features().build();
    /// cumulus::datafusion::register_with_state(&mut state)?;
    /// let ctx = SessionContext::new_with_state(state);
    /// let plan = ctx
    ///     .sql("SELECT cumsum(x) OVER (PARTITION BY g ORDER BY x) FROM (VALUES (1, 2), (1, 3)) AS v(g, x)")
    ///     .await?
    ///     .create_physical_plan()
    ///     .await?;
    /// let mut window = None;
    /// datafusion::common::tree_node::TreeNode::apply(&plan, |node| {
    ///     if let Some(w) = node.downcast_ref::<WindowAggExec>() {
    ///         window = Some(w.clone());
    ///     }
    ///     Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    /// })?;
    /// let window = window.unwrap();
    /// let exec = CumulativeHashWindowExec::try_new(
    ///     window.window_expr().to_vec(),
    ///     Arc::clone(window.input()),
    ///     window.schema(),
    ///     InputOrder::Any,
    /// )?;
    /// assert_eq!(exec.input_order(), InputOrder::Any);
    /// # Ok::<(), datafusion::error::DataFusionError>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_new(
        window_expr: Vec<Arc<dyn WindowExpr>>,
        input: Arc<dyn ExecutionPlan>,
        schema: SchemaRef,
        order: InputOrder,
    ) -> Result<Self> {
        let Some(first) = window_expr.first() else {
            return internal_err!("CumulativeHashWindowExec: no window expression");
        };
        if first.partition_by().is_empty() {
            return internal_err!("CumulativeHashWindowExec: no PARTITION BY");
        }
        for expr in &window_expr {
            if forward_scanner(expr)?.is_none() {
                return internal_err!(
                    "CumulativeHashWindowExec: {} is not a forward cumulus scan",
                    expr.name()
                );
            }
            if expr.partition_by() != first.partition_by() || expr.order_by() != first.order_by() {
                return internal_err!(
                    "CumulativeHashWindowExec: the window expressions have different PARTITION BY or ORDER BY"
                );
            }
        }
        let input_fields = input.schema().fields().len();
        if schema.fields().len() != input_fields + window_expr.len() {
            return internal_err!("CumulativeHashWindowExec: the schema does not fit");
        }
        if order == InputOrder::ByKey {
            let checkable = match first.order_by() {
                [only] => KeyOrderCheck::supports(&only.expr.data_type(&input.schema())?),
                _ => false,
            };
            if !checkable {
                return internal_err!(
                    "CumulativeHashWindowExec: input_order=by_key needs one primitive ORDER BY column"
                );
            }
        }
        let mut eq = EquivalenceProperties::new(Arc::clone(&schema))
            .extend(input.equivalence_properties().clone())?;
        let emission = match order {
            InputOrder::Sorted | InputOrder::ByKey => EmissionType::Incremental,
            InputOrder::Any => {
                // Rows come in input order or (key, order) order, and a spilled
                // partition comes back key group by key group: promise no order.
                eq.clear_orderings();
                EmissionType::Final
            }
        };
        let properties = PlanProperties::new(
            eq,
            input.output_partitioning().clone(),
            emission,
            input.boundedness(),
        );
        Ok(CumulativeHashWindowExec {
            input,
            window_expr,
            schema,
            order,
            properties: Arc::new(properties),
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }

    /// The hash-state replacement of `window` when its expressions allow it and its input
    /// is not sorted on the PARTITION BY keys (then DataFusion's sort plus
    /// [`super::CumulativeWindowAggExec`] is the better plan): [`InputOrder::Sorted`] when
    /// the input's order satisfies the ORDER BY, else [`InputOrder::Any`] when `any` is set.
    ///
    /// # Errors
    /// As `WindowAggExec`'s planning (an evaluator that cannot be created).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use datafusion::physical_plan::windows::WindowAggExec;
    /// let mut state = datafusion::execution::SessionStateBuilder::new().with_default_features().build();
    /// cumulus::datafusion::register_with_state(&mut state)?;
    /// let ctx = datafusion::prelude::SessionContext::new_with_state(state);
    /// let plan = ctx
    ///     .sql("SELECT cumsum(x) OVER (PARTITION BY g) FROM (VALUES (1, 2), (1, 3)) AS v(g, x)")
    ///     .await?
    ///     .create_physical_plan()
    ///     .await?;
    /// let mut windows = 0;
    /// datafusion::common::tree_node::TreeNode::apply(&plan, |node| {
    ///     if let Some(w) = node.downcast_ref::<WindowAggExec>() {
    ///         windows += 1;
    ///         // Planned without the rules, DataFusion sorted the input by g already: the
    ///         // streaming run-by-run operator needs no hash state there.
    ///         assert!(cumulus::datafusion::CumulativeHashWindowExec::from_window(w, true)?.is_none());
    ///     }
    ///     Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    /// })?;
    /// assert_eq!(windows, 1);
    /// # Ok::<(), datafusion::error::DataFusionError>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_window(window: &WindowAggExec, any: bool) -> Result<Option<Self>> {
        let exprs = window.window_expr();
        let Some(first) = exprs.first() else {
            return Ok(None);
        };
        if first.partition_by().is_empty() {
            return Ok(None);
        }
        for expr in exprs {
            if forward_scanner(expr)?.is_none()
                || expr.partition_by() != first.partition_by()
                || expr.order_by() != first.order_by()
            {
                return Ok(None);
            }
        }
        let input = window.input();
        let eq = input.equivalence_properties();
        // Sorted on (PARTITION BY, ORDER BY) already: the run-by-run streaming operator
        // needs no hashing.
        if input_sorted_for(window)?
            && window
                .partition_by_sort_keys()
                .is_ok_and(|k| k.len() == first.partition_by().len())
        {
            return Ok(None);
        }
        let ordered = match order_requirement(first.as_ref()) {
            None => true,
            Some(lex) => eq.ordering_satisfy_requirement(lex)?,
        };
        let order = match (ordered, any) {
            (true, _) => InputOrder::Sorted,
            (false, true) => InputOrder::Any,
            (false, false) => return Ok(None),
        };
        Self::try_new(exprs.to_vec(), Arc::clone(input), window.schema(), order).map(Some)
    }

    /// What the operator assumes about its input's order.
    ///
    /// See [`CumulativeHashWindowExec::try_new`] for an example.
    pub fn input_order(&self) -> InputOrder {
        self.order
    }

    /// The input plan.
    ///
    /// ```
    /// # // See CumulativeHashWindowExec::try_new.
    /// ```
    pub fn input(&self) -> &Arc<dyn ExecutionPlan> {
        &self.input
    }

    /// The window expressions, one output column each.
    ///
    /// ```
    /// # // See CumulativeHashWindowExec::try_new.
    /// ```
    pub fn window_expr(&self) -> &[Arc<dyn WindowExpr>] {
        &self.window_expr
    }
}

/// The window's ORDER BY as an ordering requirement (`None` without ORDER BY).
fn order_requirement(expr: &dyn WindowExpr) -> Option<LexRequirement> {
    LexRequirement::new(
        expr.order_by()
            .iter()
            .map(|s| PhysicalSortRequirement::new(Arc::clone(&s.expr), Some(s.options))),
    )
}

impl DisplayAs for CumulativeHashWindowExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let order = match self.order {
            InputOrder::Sorted => "sorted",
            InputOrder::Any => "any",
            InputOrder::ByKey => "by_key",
        };
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => {
                let exprs: Vec<String> = self
                    .window_expr
                    .iter()
                    .map(|e| format!("{}: {:?}", e.name(), e.field()))
                    .collect();
                write!(
                    f,
                    "CumulativeHashWindowExec: input_order={order}, wdw=[{}]",
                    exprs.join(", ")
                )
            }
            DisplayFormatType::TreeRender => {
                let names: Vec<&str> = self.window_expr.iter().map(|e| e.name()).collect();
                writeln!(f, "input_order={order}")?;
                writeln!(f, "select_list={}", names.join(", "))
            }
        }
    }
}

impl ExecutionPlan for CumulativeHashWindowExec {
    fn name(&self) -> &str {
        "CumulativeHashWindowExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        for window in &self.window_expr {
            let all = window.all_expressions();
            for e in all
                .args
                .iter()
                .chain(&all.partition_by_exprs)
                .chain(&all.order_by_exprs)
            {
                if f(e)? == TreeNodeRecursion::Stop {
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![self.order != InputOrder::Any]
    }

    fn required_input_ordering(&self) -> Vec<Option<OrderingRequirements>> {
        match self.order {
            InputOrder::Sorted => vec![
                self.window_expr
                    .first()
                    .and_then(|e| order_requirement(e.as_ref()))
                    .map(OrderingRequirements::new),
            ],
            InputOrder::Any | InputOrder::ByKey => vec![None],
        }
    }

    fn input_distribution_requirements(&self) -> InputDistributionRequirements {
        if self.streams_one_partition() {
            return InputDistributionRequirements::new(vec![Distribution::SinglePartition]);
        }
        let keys = self
            .window_expr
            .first()
            .map(|e| e.partition_by().to_vec())
            .unwrap_or_default();
        InputDistributionRequirements::new(vec![Distribution::KeyPartitioned(keys)])
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![!self.streams_one_partition()]
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.len() != 1 {
            return internal_err!("CumulativeHashWindowExec takes one child");
        }
        let input = children.swap_remove(0);
        match options.children_properties {
            ChildrenPropertiesMode::Keep => Ok(Arc::new(CumulativeHashWindowExec {
                input,
                metrics: ExecutionPlanMetricsSet::new(),
                ..(*self).clone()
            })),
            ChildrenPropertiesMode::Recompute => Ok(Arc::new(Self::try_new(
                self.window_expr.clone(),
                input,
                Arc::clone(&self.schema),
                self.order,
            )?)),
        }
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let mut scan = KeyedScan::try_new(
            &self.window_expr,
            Arc::clone(&self.schema),
            &self.input.schema(),
        )?;
        let mut input = self.input.execute(partition, Arc::clone(&context))?;
        let metrics = BaselineMetrics::new(&self.metrics, partition);
        let reservation = MemoryConsumer::new(format!("CumulativeHashWindowExec[{partition}]"))
            .with_can_spill(self.order == InputOrder::Any)
            .register(context.memory_pool());
        let order = self.order;
        let input_schema = self.input.schema();
        let spill_metrics = SpillMetrics::new(&self.metrics, partition);
        let stream = async_try_stream(move |mut emitter| async move {
            match order {
                InputOrder::Sorted | InputOrder::ByKey => {
                    let mut pending = vec![];
                    let mut pending_rows = 0;
                    // ByKey: the key ids of the pending rows, found while checking them.
                    let mut check = (order == InputOrder::ByKey).then(|| {
                        let options = scan.order_options().first().copied().unwrap_or_default();
                        (KeyOrderCheck::new(options), Vec::<u32>::new())
                    });
                    loop {
                        let next = std::future::poll_fn(|cx| input.as_mut().poll_next(cx)).await;
                        let done = next.is_none();
                        if let Some(batch) = next {
                            let batch = batch?;
                            if batch.num_rows() > 0 {
                                if let Some((check, ids)) = check.as_mut() {
                                    let _timer = metrics.elapsed_compute().timer();
                                    let from = ids.len();
                                    scan.key_ids(&batch, ids)?;
                                    let order = scan.order_columns(&batch)?;
                                    let [order] = order.as_slice() else {
                                        return internal_err!(
                                            "CumulativeHashWindowExec: one ORDER BY column expected"
                                        );
                                    };
                                    if let Some(row) = check.check(&ids[from..], order.as_ref())? {
                                        return exec_err!(
                                            "CumulativeHashWindowExec: input row {row} comes before the previous row of its PARTITION BY key in the window's ORDER BY order, although the keys and ORDER BY values read before the query ran were in that order: did the input change while the query ran?"
                                        );
                                    }
                                }
                                pending_rows += batch.num_rows();
                                pending.push(batch);
                            }
                        }
                        if pending.is_empty() || (!done && pending_rows < scan.target_rows()) {
                            if done {
                                break;
                            }
                            continue;
                        }
                        let outputs = {
                            let _timer = metrics.elapsed_compute().timer();
                            match check.as_mut() {
                                Some((check, ids)) => {
                                    let outputs = scan.scan_batches(&pending, Some(ids))?;
                                    ids.clear();
                                    reservation.try_resize(scan.state_size() + check.size())?;
                                    outputs
                                }
                                None => {
                                    let outputs = scan.scan_batches(&pending, None)?;
                                    reservation.try_resize(scan.state_size())?;
                                    outputs
                                }
                            }
                        };
                        pending.clear();
                        pending_rows = 0;
                        for out in outputs {
                            metrics.record_output(out.num_rows());
                            emitter.emit(out).await;
                        }
                        if done {
                            break;
                        }
                    }
                }
                InputOrder::Any => {
                    // Buffer the partition while the memory pool allows; past that, the
                    // rows go to spill files by key (every key's rows in one file, in
                    // input order), each then read back and scanned on its own.
                    let mut batches = vec![];
                    let mut ids = KeyIds::default();
                    let mut batch_ids = vec![];
                    let mut spill: Option<Spill> = None;
                    // Columns that are only PARTITION BY keys are held as key ids.
                    scan.hold_keys_as_ids()?;
                    // The keys (their ids and values) are held whatever happens, spilled or
                    // not: counted apart, so that the rows spill sooner when they grow.
                    let key_state =
                        MemoryConsumer::new(format!("CumulativeHashWindowExec[{partition}] keys"))
                            .register(context.memory_pool());
                    while let Some(batch) =
                        std::future::poll_fn(|cx| input.as_mut().poll_next(cx)).await
                    {
                        let batch = batch?;
                        if batch.num_rows() == 0 {
                            continue;
                        }
                        let _timer = metrics.elapsed_compute().timer();
                        let batch = shrink_to_fit(batch)?;
                        if spill.is_none() {
                            let size = batch.get_array_memory_size() + 4 * batch.num_rows();
                            if reservation.try_grow(size).is_ok() {
                                batch_ids.clear();
                                scan.key_ids(&batch, &mut batch_ids)?;
                                key_state.resize(scan.state_size());
                                ids.extend(&batch_ids);
                                batches.push(scan.strip(batch)?);
                                continue;
                            }
                            let mut fresh = Spill::try_new(&context, &input_schema, partition)?;
                            let mut start = 0;
                            for b in batches.drain(..) {
                                let rows = ids.to_vec(start..start + b.num_rows());
                                fresh.write(&scan.restore(&b, &rows)?, &rows)?;
                                start += b.num_rows();
                            }
                            ids = KeyIds::default();
                            reservation.free();
                            spill = Some(fresh);
                        }
                        if let Some(spill) = spill.as_mut() {
                            batch_ids.clear();
                            scan.key_ids(&batch, &mut batch_ids)?;
                            key_state.resize(scan.state_size());
                            spill.write(&batch, &batch_ids)?;
                        }
                    }
                    // What to scan: the buffered partition, or each spill file in turn.
                    let mut files = match spill {
                        None => vec![],
                        Some(spill) => {
                            spill_metrics.spill_file_count.add(spill.files.len());
                            spill_metrics.spilled_rows.add(spill.rows);
                            let mut files = spill.finish()?;
                            files.reverse();
                            batches.clear();
                            ids = KeyIds::default();
                            files
                        }
                    };
                    let mut buffered = files.is_empty();
                    while buffered || !files.is_empty() {
                        if let Some(file) = files.pop() {
                            for batch in Spill::read(&file)? {
                                // One key's rows must be scanned together: hold the file
                                // even past the limit.
                                reservation
                                    .grow(batch.get_array_memory_size() + 4 * batch.num_rows());
                                batch_ids.clear();
                                scan.key_ids(&batch, &mut batch_ids)?;
                                key_state.resize(scan.state_size());
                                ids.extend(&batch_ids);
                                batches.push(scan.strip(batch)?);
                            }
                        }
                        buffered = false;
                        let mut outputs = {
                            let _timer = metrics.elapsed_compute().timer();
                            scan_buffered(&mut scan, &batches, std::mem::take(&mut ids))?
                        };
                        loop {
                            let next = {
                                let _timer = metrics.elapsed_compute().timer();
                                outputs.next()
                            };
                            let Some(out) = next else { break };
                            let out = out?;
                            metrics.record_output(out.num_rows());
                            emitter.emit(out).await;
                        }
                        drop(outputs);
                        batches.clear();
                        reservation.free();
                    }
                }
            }
            metrics.done();
            Ok::<(), DataFusionError>(())
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            stream,
        )))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn child_stats_requests(&self, partition: Option<usize>) -> Vec<ChildStats> {
        vec![ChildStats::At(partition)]
    }

    fn statistics_from_inputs(
        &self,
        input_stats: &[Arc<Statistics>],
        _args: &StatisticsArgs,
    ) -> Result<Arc<Statistics>> {
        let Some(input) = input_stats.first() else {
            return Ok(Arc::new(Statistics::new_unknown(&self.schema)));
        };
        let mut stats = input.as_ref().clone();
        stats.column_statistics.extend(std::iter::repeat_n(
            Default::default(),
            self.window_expr.len(),
        ));
        Ok(Arc::new(stats))
    }

    fn cardinality_effect(&self) -> CardinalityEffect {
        CardinalityEffect::Equal
    }
}

/// Spill files per partition: rows go to file `key id % SPILL_FILES`.
const SPILL_FILES: usize = 32;

/// The spill files of one partition whose input did not fit in memory.
struct Spill {
    writers: Vec<StreamWriter<BufWriter<Box<dyn SpillWriter>>>>,
    files: Vec<Arc<dyn SpillFile>>,
    rows: usize,
}

impl Spill {
    fn try_new(context: &TaskContext, schema: &SchemaRef, partition: usize) -> Result<Self> {
        let mut writers = Vec::with_capacity(SPILL_FILES);
        let mut files = Vec::with_capacity(SPILL_FILES);
        for _ in 0..SPILL_FILES {
            let file = context
                .runtime_env()
                .disk_manager
                .create_tmp_file(&format!("CumulativeHashWindowExec[{partition}]"))?;
            writers.push(StreamWriter::try_new(
                BufWriter::new(file.open_writer()?),
                schema,
            )?);
            files.push(file);
        }
        Ok(Spill {
            writers,
            files,
            rows: 0,
        })
    }

    /// Appends the rows of `batch` (key ids `ids`) to their files.
    fn write(&mut self, batch: &RecordBatch, ids: &[u32]) -> Result<()> {
        self.rows += batch.num_rows();
        let first = ids.first().map_or(0, |&id| id as usize % SPILL_FILES);
        if ids.iter().all(|&id| id as usize % SPILL_FILES == first) {
            return Ok(self.writers[first].write(batch)?);
        }
        let mut rows: Vec<Vec<u32>> = vec![vec![]; SPILL_FILES];
        for (i, &id) in ids.iter().enumerate() {
            rows[id as usize % SPILL_FILES].push(i as u32);
        }
        for (file, indices) in rows.into_iter().enumerate() {
            if indices.is_empty() {
                continue;
            }
            let indices = arrow::array::UInt32Array::from(indices);
            let columns = batch
                .columns()
                .iter()
                .map(|c| arrow::compute::take(c.as_ref(), &indices, None))
                .collect::<Result<Vec<_>, _>>()?;
            self.writers[file].write(&RecordBatch::try_new(batch.schema(), columns)?)?;
        }
        Ok(())
    }

    /// Closes the files.
    fn finish(self) -> Result<Vec<Arc<dyn SpillFile>>> {
        for mut writer in self.writers {
            writer.finish()?;
            let mut inner = writer
                .into_inner()?
                .into_inner()
                .map_err(|e| e.into_error())?;
            inner.finish()?;
        }
        Ok(self.files)
    }

    /// The batches of one file.
    fn read(file: &Arc<dyn SpillFile>) -> Result<Vec<RecordBatch>> {
        let Some(path) = file.path() else {
            return not_impl_err!("CumulativeHashWindowExec spills to local files only");
        };
        let reader = StreamReader::try_new(BufReader::new(File::open(path)?), None)?;
        Ok(reader.collect::<Result<Vec<_>, _>>()?)
    }
}

/// `batch` with buffers no larger than its rows need. Batches that DataFusion coalesced
/// (after a repartition, say) keep the capacity of a whole target batch however few rows
/// they hold, which for a buffered partition came to half again the input's size.
fn shrink_to_fit(batch: RecordBatch) -> Result<RecordBatch> {
    let (schema, mut columns, rows) = batch.into_parts();
    for column in &mut columns {
        <ArrayRef as Array>::shrink_to_fit(column);
    }
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        schema, columns, &options,
    )?)
}

/// The output batches of a buffered partition: its rows scanned as they come (and in
/// that order) when every key's rows are in the window's order; otherwise sorted by
/// (key, ORDER BY) and put out in that order, a piece at a time.
fn scan_buffered<'a>(
    scan: &'a mut KeyedScan,
    batches: &'a [RecordBatch],
    ids: KeyIds,
) -> Result<Box<dyn Iterator<Item = Result<RecordBatch>> + Send + 'a>> {
    fn done(batches: Vec<RecordBatch>) -> Box<dyn Iterator<Item = Result<RecordBatch>> + Send> {
        Box::new(batches.into_iter().map(Ok))
    }
    if batches.is_empty() {
        return Ok(done(vec![]));
    }
    let order_columns = batches
        .iter()
        .map(|b| scan.order_columns(b))
        .collect::<Result<Vec<_>>>()?;
    if order_columns[0].is_empty() {
        return scan_in_order(scan, batches, &ids).map(done);
    }
    let keys = scan.keys();
    // One primitive ORDER BY column without nulls: each key's last value is enough to
    // find the keys out of order, and a key's values are gathered only if it is sorted.
    if let [options] = scan.order_options()
        && order_columns.iter().all(|b| {
            matches!(b.as_slice(), [c] if c.null_count() == 0 && KeyOrderCheck::supports(c.data_type()))
        })
    {
        let options = *options;
        let mut check = KeyOrderCheck::new(options);
        let mut unsorted = vec![false; keys];
        let mut start = 0;
        for columns in &order_columns {
            let rows = columns[0].len();
            let batch_ids = ids.to_vec(start..start + rows);
            check.mark(&batch_ids, columns[0].as_ref(), &mut unsorted)?;
            start += rows;
        }
        drop(check);
        if !unsorted.contains(&true) {
            return scan_in_order(scan, batches, &ids).map(done);
        }
        let columns = order_columns
            .into_iter()
            .map(|mut c| c.swap_remove(0))
            .collect();
        let order = SortKeys::Column {
            columns,
            descending: options.descending,
        };
        return Ok(Box::new(sort_and_scan(scan, batches, ids, order, &unsorted)?));
    }
    let order = OrderKeys::from_batches(&order_columns, scan.order_options())?;
    drop(order_columns);
    // Which keys have rows out of order: one comparison per row with the key's last row.
    let mut last = vec![u32::MAX; keys];
    let mut unsorted = vec![false; keys];
    let mut any = false;
    ids.for_each(|i, id| {
        let l = &mut last[id as usize];
        if *l != u32::MAX && order.after(*l as usize, i) {
            unsorted[id as usize] = true;
            any = true;
        }
        *l = i as u32;
    });
    drop(last);
    if !any {
        drop(order);
        return scan_in_order(scan, batches, &ids).map(done);
    }
    Ok(Box::new(sort_and_scan(
        scan,
        batches,
        ids,
        SortKeys::All(order),
        &unsorted,
    )?))
}

/// Scans buffered batches in input order, gathering as many as the scan asks for.
fn scan_in_order(
    scan: &mut KeyedScan,
    batches: &[RecordBatch],
    ids: &KeyIds,
) -> Result<Vec<RecordBatch>> {
    let mut outputs = Vec::with_capacity(batches.len());
    let (mut first, mut row) = (0, 0);
    while first < batches.len() {
        let mut last = first + 1;
        let mut rows = batches[first].num_rows();
        while last < batches.len() && rows < scan.target_rows() {
            rows += batches[last].num_rows();
            last += 1;
        }
        let mut start = row;
        let restored = batches[first..last]
            .iter()
            .map(|b| {
                start += b.num_rows();
                scan.restore(b, &ids.to_vec(start - b.num_rows()..start))
            })
            .collect::<Result<Vec<_>>>()?;
        let chunk_ids = ids.to_vec(row..row + rows);
        outputs.extend(scan.scan_batches(&restored, Some(&chunk_ids))?);
        first = last;
        row += rows;
    }
    Ok(outputs)
}
