//! [`CumulativeProbedWindowExec`]: a hash-state window over input that declares no
//! order, run without buffering when the rows turn out to be in order key by key.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::UInt32Array;
use datafusion::arrow::compute::{SortOptions, take};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::runtime::SpawnedTask;
use datafusion::datasource::physical_plan::FileScanConfig;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{DataFusionError, Result, Statistics, internal_err};
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, TaskContext, async_try_stream};
use datafusion::physical_expr::Partitioning;
use datafusion::physical_expr_common::physical_expr::is_volatile;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::projection_pushdown::ProjectionPushdown;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::execution_plan::reset_plan_states;
use datafusion::physical_plan::execution_plan::{CardinalityEffect, EmissionType};
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::metrics::{
    BaselineMetrics, Count, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet,
};
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildStats, DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PhysicalExpr,
    PlanProperties, StatisticsArgs,
};

use super::hash_window::{CumulativeHashWindowExec, InputOrder};
use super::keys::{GroupIds, KeyOrderCheck};

/// Runs a hash-state window ([`CumulativeHashWindowExec`] with [`InputOrder::Any`])
/// over input that declares no order by first reading only the PARTITION BY and ORDER
/// BY columns of that input, and then the plan their order allows:
///
/// - every key's rows in ORDER BY order (rows grouped by key, or in time order, in a
///   file that does not say so): one pass over the input in one partition, streamed,
///   memory O(keys) ([`InputOrder::ByKey`], which checks every row again as it goes);
/// - otherwise, as soon as one row is out of order: the buffered plan it was given
///   (usually split by key over the cores), unchanged.
///
/// The probe reads the key and ORDER BY columns only (the projection is pushed into
/// the scan), a byte range per core where the input is one file; each range stops at its
/// first row out of order, so rows in no order cost it about one batch per range. It
/// holds each key and its first and last ORDER BY value in the memory pool: past it, the
/// buffered plan (which spills) runs. Input in order key by key costs one more read of those columns, and saves
/// holding the whole input in memory and splitting it by key: 10^7 rows grouped by key
/// in a Parquet file that does not declare it, written back to Parquet, take 0.79 s and
/// 500 MiB buffered and about 0.5 s and 140 MiB probed.
///
/// [`super::CumulativeWindowRule`] plans it, after DataFusion has placed its
/// repartitions, where the input of a buffered hash-state window is one partition of
/// data sources, filters and projections (cheap to read twice, nothing volatile), the
/// window has one primitive ORDER BY column, and the parent needs no partitioning of it:
/// its output is one partition in no declared order, with the window's equivalences.
///
/// ```
/// use std::sync::Arc;
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
/// // Grouped by g and in t order within each group, but nothing says so.
/// let batch = RecordBatch::try_new(schema.clone(), vec![
///     Arc::new(Int64Array::from(vec![1, 1, 2, 2])),
///     Arc::new(Int64Array::from(vec![1, 3, 2, 4])),
///     Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0, 4.0])),
/// ])?;
/// let ctx = SessionContext::new();
/// cumulus::datafusion::register(&ctx)?;
/// ctx.register_table("trades", Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))?;
/// let df = ctx.sql("SELECT g, cumsum(x) OVER (PARTITION BY g ORDER BY t) AS c FROM trades").await?;
/// let plan = df.clone().create_physical_plan().await?;
/// let text = displayable(plan.as_ref()).indent(false).to_string();
/// assert!(text.contains("CumulativeProbedWindowExec"), "{text}");
/// let batches = df.collect().await?;
/// datafusion::assert_batches_eq!(
///     ["+---+-----+", "| g | c   |", "+---+-----+", "| 1 | 1.0 |", "| 1 | 3.0 |", "| 2 | 3.0 |", "| 2 | 7.0 |", "+---+-----+"],
///     &batches
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CumulativeProbedWindowExec {
    /// The PARTITION BY columns, then the ORDER BY column, of the window's input.
    probe: Arc<dyn ExecutionPlan>,
    /// The window over the input in one partition, rows of each key in order.
    by_key: Arc<dyn ExecutionPlan>,
    /// The plan for rows out of order.
    fallback: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl CumulativeProbedWindowExec {
    /// The probed form of `window` when it is a buffered hash-state window whose input
    /// (through repartitions of one partition) is one partition of data sources,
    /// filters and projections, with one primitive ORDER BY column; `None` otherwise.
    ///
    /// # Errors
    /// When planning the probe or the streaming window fails.
    ///
    /// ```
    /// # // See CumulativeProbedWindowExec.
    /// ```
    pub fn try_probe(
        window: &Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Option<Self>> {
        let Some(hash) = window.downcast_ref::<CumulativeHashWindowExec>() else {
            return Ok(None);
        };
        if hash.input_order() != InputOrder::Any {
            return Ok(None);
        }
        let Some(first) = hash.window_expr().first() else {
            return Ok(None);
        };
        let mut source = Arc::clone(hash.input());
        while let Some(repartition) = source.downcast_ref::<RepartitionExec>() {
            source = Arc::clone(repartition.input());
        }
        if source.output_partitioning().partition_count() != 1 || !cheap_to_read_twice(&source)? {
            return Ok(None);
        }
        let schema = source.schema();
        let [order] = first.order_by() else {
            return Ok(None);
        };
        if !KeyOrderCheck::supports(&order.expr.data_type(&schema)?)
            || GroupIds::new(
                &first
                    .partition_by()
                    .iter()
                    .map(|e| e.data_type(&schema))
                    .collect::<Result<Vec<_>>>()?,
            )
            .is_err()
        {
            return Ok(None);
        }
        let by_key = CumulativeHashWindowExec::try_new(
            hash.window_expr().to_vec(),
            Arc::clone(&source),
            hash.schema(),
            InputOrder::ByKey,
        )?;
        let columns = first
            .partition_by()
            .iter()
            .chain(std::iter::once(&order.expr))
            .enumerate()
            .map(|(i, e)| ProjectionExpr::new(Arc::clone(e), format!("probe_{i}")))
            .collect::<Vec<_>>();
        let probe: Arc<dyn ExecutionPlan> = Arc::new(ProjectionExec::try_new(columns, source)?);
        let probe = ProjectionPushdown::new().optimize(probe, config)?;
        let probe = split_in_file_order(probe, config)?;
        // A scan shares its state (the files its partitions still have to read) among
        // the executions of that node: the probe must not read the windows' own scan
        // where the projection stayed above it.
        let probe = reset_plan_states(probe)?;
        let fallback = if window.output_partitioning().partition_count() > 1 {
            Arc::new(CoalescePartitionsExec::new(Arc::clone(window))) as Arc<dyn ExecutionPlan>
        } else {
            Arc::clone(window)
        };
        Ok(Some(Self::new(probe, Arc::new(by_key), fallback)))
    }

    fn new(
        probe: Arc<dyn ExecutionPlan>,
        by_key: Arc<dyn ExecutionPlan>,
        fallback: Arc<dyn ExecutionPlan>,
    ) -> Self {
        // The fallback's equivalences (constants, equal columns) hold of both plans: they
        // read the same input and add the same window columns. Its order does not.
        let mut eq = fallback.equivalence_properties().clone();
        eq.clear_orderings();
        let properties = PlanProperties::new(
            eq,
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            fallback.boundedness(),
        );
        CumulativeProbedWindowExec {
            probe,
            by_key,
            fallback,
            properties: Arc::new(properties),
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }
}

/// Whether `plan` only reads data sources, filters and projects, reading it twice costing
/// no more than reading it, with no volatile expression (`random()`), so that a second
/// read gives the same rows.
fn cheap_to_read_twice(plan: &Arc<dyn ExecutionPlan>) -> Result<bool> {
    let mut cheap = true;
    plan.apply(|node| {
        let any = node.as_ref();
        if any.downcast_ref::<DataSourceExec>().is_none()
            && any.downcast_ref::<FilterExec>().is_none()
            && any.downcast_ref::<ProjectionExec>().is_none()
        {
            cheap = false;
            return Ok(TreeNodeRecursion::Stop);
        }
        node.apply_expressions(&mut |e| {
            if is_volatile(e) {
                cheap = false;
                return Ok(TreeNodeRecursion::Stop);
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        Ok(if cheap {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    })?;
    Ok(cheap)
}

/// `probe` read as several partitions, one per core, each a consecutive byte range of
/// its one file, in file order; `probe` itself when it is not a scan of one file or the
/// split does not keep that order.
fn split_in_file_order(
    probe: Arc<dyn ExecutionPlan>,
    config: &ConfigOptions,
) -> Result<Arc<dyn ExecutionPlan>> {
    fn one_file_in_order(plan: &Arc<dyn ExecutionPlan>) -> Option<Vec<(String, i64)>> {
        let scan = plan
            .downcast_ref::<DataSourceExec>()?
            .data_source()
            .downcast_ref::<FileScanConfig>()?;
        let mut ranges = vec![];
        for group in &scan.file_groups {
            let [file] = group.files() else {
                return None;
            };
            let start = file.range.as_ref().map_or(0, |r| r.start);
            ranges.push((file.object_meta.location.to_string(), start));
        }
        let same_file = ranges
            .windows(2)
            .all(|w| w[0].0 == w[1].0 && w[0].1 < w[1].1);
        same_file.then_some(ranges)
    }
    let cores = config.execution.target_partitions;
    match one_file_in_order(&probe) {
        Some(ranges) if ranges.len() == 1 && cores > 1 => {}
        _ => return Ok(probe),
    }
    // Each partition must read its own range: DataFusion lets sibling scans take each
    // other's files (byte ranges) unless the scan is told to keep their order.
    match probe
        .repartitioned(cores, config)?
        .and_then(|split| split.with_preserve_order(true))
    {
        Some(split) if one_file_in_order(&split).is_some() => Ok(split),
        _ => Ok(probe),
    }
}

/// What one partition of the probe found: whether its rows were in order key by key,
/// and each key's first and last ORDER BY value (as [`KeyOrderCheck`] ranks them) with
/// the key in arrow's row format.
struct ProbedRange {
    in_order: bool,
    keys: Vec<(Vec<u8>, u128, u128)>,
    /// The memory of `keys` (and of the ids found), held until the ranges are combined.
    reservation: MemoryReservation,
}

/// Reads `probe` (key columns, then the ORDER BY column) until a row comes before its
/// key's previous row. `probed` counts the rows read.
async fn probe_range(
    mut probe: SendableRecordBatchStream,
    options: SortOptions,
    probed: Count,
    reservation: MemoryReservation,
) -> Result<ProbedRange> {
    let not_in_order = |reservation| ProbedRange {
        in_order: false,
        keys: vec![],
        reservation,
    };
    let schema = probe.schema();
    let keys = schema.fields().len().saturating_sub(1);
    let types: Vec<_> = schema.fields()[..keys]
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    let mut ids = GroupIds::new(&types)?;
    let converter = RowConverter::new(types.into_iter().map(SortField::new).collect())?;
    let mut check = KeyOrderCheck::new(options);
    let mut found: Vec<(Vec<u8>, u128)> = vec![];
    let mut batch_ids = vec![];
    while let Some(batch) = std::future::poll_fn(|cx| probe.as_mut().poll_next(cx)).await {
        let batch = batch?;
        probed.add(batch.num_rows());
        batch_ids.clear();
        let known = ids.len();
        ids.assign(&batch.columns()[..keys], batch.num_rows(), &mut batch_ids)?;
        let order = batch.column(keys);
        if ids.len() > known {
            // The first row of each new key: its key and its first ORDER BY value.
            let mut firsts = vec![0u32; ids.len() - known];
            for (row, &id) in batch_ids.iter().enumerate().rev() {
                if id as usize >= known {
                    firsts[id as usize - known] = row as u32;
                }
            }
            let rows = UInt32Array::from(firsts);
            let key_columns = batch.columns()[..keys]
                .iter()
                .map(|c| take(c.as_ref(), &rows, None))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let converted = converter.convert_columns(&key_columns)?;
            for (i, &row) in rows.values().iter().enumerate() {
                let first = check.rank(order.as_ref(), row as usize)?;
                found.push((converted.row(i).as_ref().to_vec(), first));
            }
        }
        if check.check(&batch_ids, order.as_ref())?.is_some() {
            return Ok(not_in_order(reservation));
        }
        // The keys held here and, for the one-pass window, its state of about the same
        // size: past the memory pool, the buffered plan (which can spill) runs instead.
        let held =
            ids.size() + check.size() + found.iter().map(|(k, _)| k.len() + 40).sum::<usize>();
        if reservation.try_resize(held).is_err() {
            return Ok(not_in_order(reservation));
        }
    }
    let last = check.last_ranks();
    Ok(ProbedRange {
        in_order: true,
        keys: found
            .into_iter()
            .zip(last)
            .map(|((key, first), &last)| (key, first, last))
            .collect(),
        reservation,
    })
}

/// Whether the probe's partitions (consecutive ranges of the input, in order) found
/// every key's rows in order, within each range and from one range to the next.
async fn in_order_by_key(
    probe: &Arc<dyn ExecutionPlan>,
    context: &Arc<TaskContext>,
    options: SortOptions,
    probed: &Count,
) -> Result<bool> {
    let tasks = (0..probe.output_partitioning().partition_count())
        .map(|p| {
            let stream = probe.execute(p, Arc::clone(context))?;
            let reservation = MemoryConsumer::new(format!("CumulativeProbedWindowExec probe[{p}]"))
                .register(context.memory_pool());
            Ok(SpawnedTask::spawn(probe_range(
                stream,
                options,
                probed.clone(),
                reservation,
            )))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut last_of: HashMap<Vec<u8>, u128> = HashMap::new();
    // The ranges' memory stays reserved while `last_of` holds their keys.
    let mut held = Vec::with_capacity(tasks.len());
    for task in tasks {
        let range = task
            .join_unwind()
            .await
            .map_err(|e| DataFusionError::ExecutionJoin(Box::new(e)))??;
        held.push(range.reservation);
        if !range.in_order {
            return Ok(false);
        }
        for (key, first, last) in range.keys {
            if last_of.get(&key).is_some_and(|&before| first < before) {
                return Ok(false);
            }
            last_of.insert(key, last);
        }
    }
    Ok(true)
}

impl DisplayAs for CumulativeProbedWindowExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => write!(
                f,
                "CumulativeProbedWindowExec: children=[probe, in order by key, otherwise]"
            ),
            DisplayFormatType::TreeRender => writeln!(f, "children=probe, by_key, otherwise"),
        }
    }
}

impl ExecutionPlan for CumulativeProbedWindowExec {
    fn name(&self) -> &str {
        "CumulativeProbedWindowExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.probe, &self.by_key, &self.fallback]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![false; 3]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false; 3]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let [probe, by_key, fallback]: [Arc<dyn ExecutionPlan>; 3] = match children.try_into() {
            Ok(children) => children,
            Err(_) => return internal_err!("CumulativeProbedWindowExec takes three children"),
        };
        Ok(Arc::new(Self::new(probe, by_key, fallback)))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return internal_err!(
                "CumulativeProbedWindowExec has one partition, not partition {partition}"
            );
        }
        let Some(options) = self
            .by_key
            .downcast_ref::<CumulativeHashWindowExec>()
            .and_then(|w| w.window_expr().first())
            .and_then(|e| e.order_by().first())
            .map(|s| s.options)
        else {
            return internal_err!("CumulativeProbedWindowExec: no ORDER BY to probe");
        };
        let probe = Arc::clone(&self.probe);
        let (by_key, fallback) = (Arc::clone(&self.by_key), Arc::clone(&self.fallback));
        let metrics = BaselineMetrics::new(&self.metrics, partition);
        let probed = MetricBuilder::new(&self.metrics).counter("probed_rows", partition);
        let in_order = MetricBuilder::new(&self.metrics).counter("in_order_by_key", partition);
        let stream = async_try_stream(move |mut emitter| async move {
            let ordered = in_order_by_key(&probe, &context, options, &probed).await?;
            let mut chosen = if ordered {
                in_order.add(1);
                by_key.execute(0, context)?
            } else {
                fallback.execute(0, context)?
            };
            while let Some(batch) = std::future::poll_fn(|cx| chosen.as_mut().poll_next(cx)).await {
                let batch = batch?;
                metrics.record_output(batch.num_rows());
                emitter.emit(batch).await;
            }
            metrics.done();
            Ok::<(), DataFusionError>(())
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.fallback.schema(),
            stream,
        )))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn child_stats_requests(&self, _partition: Option<usize>) -> Vec<ChildStats> {
        vec![ChildStats::At(None); 3]
    }

    fn statistics_from_inputs(
        &self,
        input_stats: &[Arc<Statistics>],
        _args: &StatisticsArgs,
    ) -> Result<Arc<Statistics>> {
        match input_stats.get(2) {
            Some(stats) => Ok(Arc::clone(stats)),
            None => Ok(Arc::new(Statistics::new_unknown(&self.fallback.schema()))),
        }
    }

    fn cardinality_effect(&self) -> CardinalityEffect {
        CardinalityEffect::Equal
    }
}
