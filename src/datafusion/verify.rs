//! Declared orders, checked: [`OrderCheckExec`] passes a data source's batches through
//! and stops the query with an execution error at the first row that breaks the order
//! the source declares (Parquet `sorting_columns`, `CREATE EXTERNAL TABLE ... WITH
//! ORDER`, a `file_sort_order` read option, a sorted MemTable), and
//! [`OrderCheckRule`] puts one above every such source. DataFusion trusts a declared
//! order (it skips the sorts it makes unnecessary); with the check a file that lies is an
//! error naming the row, never a wrong answer.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, DynComparator, RecordBatch, make_comparator};
use arrow::compute::SortOptions;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DataFusionError, Result, Statistics, exec_err, internal_err};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::{SendableRecordBatchStream, TaskContext, async_try_stream};
use datafusion::physical_expr::LexOrdering;
use datafusion::physical_expr::expressions::Column as ColumnExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildStats, DisplayAs, DisplayFormatType, ExecutionPlan, PhysicalExpr, PlanProperties,
    ReplaceChildrenOptions, StatisticsArgs,
};

/// Passes its input through unchanged, checking that every partition's rows come in the
/// order the input declares (its `output_ordering`); the first row out of order stops
/// the query with an execution error naming the source, the row (counted from 0 among
/// the rows the partition read; for a whole file without filters, the file's row) and
/// the values that break the order. One comparison per row and key column, typed for
/// primitive columns without nulls.
///
/// ```
/// use std::sync::Arc;
/// use cumulus::datafusion::OrderCheckExec;
/// use datafusion::arrow::array::{Int64Array, RecordBatch};
/// use datafusion::arrow::datatypes::{DataType, Field, Schema};
/// use datafusion::datasource::MemTable;
/// use datafusion::prelude::*;
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let schema = Arc::new(Schema::new(vec![Field::new("t", DataType::Int64, false)]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![1, 3, 2]))])?;
/// // Declared sorted by t, but it is not.
/// let table = MemTable::try_new(schema, vec![vec![batch]])?
///     .with_sort_order(vec![vec![col("t").sort(true, false)]]);
/// let ctx = SessionContext::new();
/// cumulus::datafusion::register(&ctx)?; // installs the check
/// ctx.register_table("t", Arc::new(table))?;
/// let err = ctx.sql("SELECT cumsum(t) OVER (ORDER BY t) FROM t").await?.collect().await.unwrap_err();
/// assert!(err.to_string().contains("row 2"), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct OrderCheckExec {
    input: Arc<dyn ExecutionPlan>,
    ordering: LexOrdering,
    metrics: ExecutionPlanMetricsSet,
}

impl OrderCheckExec {
    /// The check of `input`'s declared order; `None` when it declares none.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use datafusion::physical_plan::empty::EmptyExec;
    /// use datafusion::arrow::datatypes::Schema;
    /// let empty = Arc::new(EmptyExec::new(Arc::new(Schema::empty())));
    /// assert!(cumulus::datafusion::OrderCheckExec::new(empty).is_none());
    /// ```
    pub fn new(input: Arc<dyn ExecutionPlan>) -> Option<Self> {
        let ordering = input.properties().output_ordering()?.clone();
        Some(OrderCheckExec {
            input,
            ordering,
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }

    /// The order being checked.
    ///
    /// ```
    /// # // See OrderCheckExec.
    /// ```
    pub fn ordering(&self) -> &LexOrdering {
        &self.ordering
    }

    /// What the error names for partition `p`: the file when the partition reads one
    /// whole file.
    fn source_name(&self, partition: usize) -> String {
        if let Some(source) = self.input.downcast_ref::<DataSourceExec>()
            && let Some(config) = source.data_source().downcast_ref::<FileScanConfig>()
            && let Some(group) = config.file_groups.get(partition)
            && let [file] = group.files()
        {
            let name = file.object_meta.location.to_string();
            return match &file.range {
                None => format!("file '{name}'"),
                Some(r) => format!("file '{name}' (bytes {}..{})", r.start, r.end),
            };
        }
        format!("partition {partition} of {}", self.input.name())
    }
}

impl DisplayAs for OrderCheckExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => {
                write!(f, "OrderCheckExec: ordering=[{}]", self.ordering)
            }
            DisplayFormatType::TreeRender => writeln!(f, "ordering=[{}]", self.ordering),
        }
    }
}

impl ExecutionPlan for OrderCheckExec {
    fn name(&self) -> &str {
        "OrderCheckExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        for s in self.ordering.iter() {
            if f(&s.expr)? == TreeNodeRecursion::Stop {
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.len() != 1 {
            return internal_err!("OrderCheckExec takes one child");
        }
        let input = children.swap_remove(0);
        Ok(match OrderCheckExec::new(Arc::clone(&input)) {
            Some(check) => Arc::new(check),
            None => input,
        })
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(
                datafusion::physical_plan::ChildrenPropertiesMode::Recompute,
            ),
        )
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let mut input = self.input.execute(partition, context)?;
        let metrics = BaselineMetrics::new(&self.metrics, partition);
        let mut check = Check {
            exprs: self.ordering.iter().map(|s| Arc::clone(&s.expr)).collect(),
            options: self.ordering.iter().map(|s| s.options).collect(),
            shown: self
                .ordering
                .iter()
                .map(|s| {
                    let expr = match s.expr.downcast_ref::<ColumnExpr>() {
                        Some(c) => c.name().to_string(),
                        None => s.expr.to_string(),
                    };
                    let direction = if s.options.descending { "DESC" } else { "ASC" };
                    let nulls = if s.options.nulls_first {
                        "FIRST"
                    } else {
                        "LAST"
                    };
                    format!("{expr} {direction} NULLS {nulls}")
                })
                .collect::<Vec<_>>()
                .join(", "),
            source: self.source_name(partition),
            last: None,
            rows: 0,
        };
        let stream = async_try_stream(move |mut emitter| async move {
            while let Some(batch) = std::future::poll_fn(|cx| input.as_mut().poll_next(cx)).await {
                let batch = batch?;
                {
                    let _timer = metrics.elapsed_compute().timer();
                    check.batch(&batch)?;
                }
                metrics.record_output(batch.num_rows());
                emitter.emit(batch).await;
            }
            metrics.done();
            Ok::<(), DataFusionError>(())
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.input.schema(),
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
        match input_stats.first() {
            Some(s) => Ok(Arc::clone(s)),
            None => Ok(Arc::new(Statistics::new_unknown(&self.input.schema()))),
        }
    }

    fn supports_limit_pushdown(&self) -> bool {
        true
    }
}

/// The check of one partition's stream.
struct Check {
    exprs: Vec<Arc<dyn PhysicalExpr>>,
    options: Vec<SortOptions>,
    shown: String,
    source: String,
    /// The last row seen, as one-row arrays of the key columns.
    last: Option<Vec<ArrayRef>>,
    rows: usize,
}

/// One key column: its values as order-preserving words, or a comparator.
enum Column {
    Words(Vec<u64>),
    Compare(DynComparator),
}

impl Column {
    fn cmp(&self, i: usize, j: usize) -> std::cmp::Ordering {
        match self {
            Column::Words(w) => w[i].cmp(&w[j]),
            Column::Compare(c) => c(i, j),
        }
    }
}

impl Check {
    fn batch(&mut self, batch: &RecordBatch) -> Result<()> {
        let rows = batch.num_rows();
        if rows == 0 {
            return Ok(());
        }
        let keys = self
            .exprs
            .iter()
            .map(|e| e.evaluate(batch)?.into_array(rows))
            .collect::<Result<Vec<_>>>()?;
        if let Some(last) = &self.last {
            let boundary = last
                .iter()
                .zip(&keys)
                .zip(&self.options)
                .map(|((a, b), o)| make_comparator(a.as_ref(), b.as_ref(), *o))
                .collect::<Result<Vec<_>, _>>()?;
            for cmp in &boundary {
                match cmp(0, 0) {
                    std::cmp::Ordering::Less => break,
                    std::cmp::Ordering::Equal => continue,
                    std::cmp::Ordering::Greater => {
                        return self.broken(last, 0, &keys, 0);
                    }
                }
            }
        }
        let columns = keys
            .iter()
            .zip(&self.options)
            .map(|(k, o)| {
                if k.null_count() == 0
                    && let Some(words) = super::keys::sortable_words(k.as_ref(), o.descending)
                {
                    return Ok(Column::Words(words));
                }
                Ok(Column::Compare(make_comparator(
                    k.as_ref(),
                    k.as_ref(),
                    *o,
                )?))
            })
            .collect::<Result<Vec<_>>>()?;
        for i in 1..rows {
            for column in &columns {
                match column.cmp(i - 1, i) {
                    std::cmp::Ordering::Less => break,
                    std::cmp::Ordering::Equal => continue,
                    std::cmp::Ordering::Greater => {
                        return self.broken(&keys, i - 1, &keys, i);
                    }
                }
            }
        }
        self.last = Some(keys.iter().map(|k| k.slice(rows - 1, 1)).collect());
        self.rows += rows;
        Ok(())
    }

    /// The error for row `j` of `b` coming after row `i` of `a`.
    fn broken(&self, a: &[ArrayRef], i: usize, b: &[ArrayRef], j: usize) -> Result<()> {
        let show = |columns: &[ArrayRef], row: usize| -> String {
            let values: Vec<String> = columns
                .iter()
                .map(|c| {
                    ArrayFormatter::try_new(c.as_ref(), &FormatOptions::default().with_null("NULL"))
                        .map(|f| f.value(row).to_string())
                        .unwrap_or_else(|_| "?".to_string())
                })
                .collect();
            format!("({})", values.join(", "))
        };
        exec_err!(
            "cumulus: {} is not in its declared order [{}]: row {} {} comes after {}; sort it, or declare no order",
            self.source,
            self.shown,
            self.rows + j,
            show(b, j),
            show(a, i)
        )
    }
}

/// A physical optimizer rule: puts an [`OrderCheckExec`] above every data source that
/// declares an order, so that a source breaking it stops the query instead of giving
/// wrong answers. It runs at the end, just before [`super::CumulativeWindowRule`] and
/// DataFusion's `SanityCheckPlan` (the check keeps its input's properties, so nothing
/// else changes). [`super::register`] installs it.
///
/// ```
/// use cumulus::datafusion::{CumulativeWindowRule, OrderCheckRule};
/// use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
///
/// let mut rules = PhysicalOptimizer::new().rules;
/// OrderCheckRule::insert_into(&mut rules);
/// CumulativeWindowRule::insert_into(&mut rules);
/// let names: Vec<&str> = rules.iter().map(|r| r.name()).collect();
/// assert_eq!(names[names.len() - 3..], ["OrderCheckRule", "CumulativeWindowRule", "SanityCheckPlan"]);
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct OrderCheckRule;

impl OrderCheckRule {
    /// The rule's name, as `EXPLAIN VERBOSE` shows it.
    ///
    /// ```
    /// use datafusion::physical_optimizer::PhysicalOptimizerRule;
    /// assert_eq!(cumulus::datafusion::OrderCheckRule.name(), cumulus::datafusion::OrderCheckRule::NAME);
    /// ```
    pub const NAME: &'static str = "OrderCheckRule";

    /// Puts the rule into `rules` just before `CumulativeWindowRule` or else
    /// `SanityCheckPlan` (at the end when there is neither), once.
    ///
    /// ```
    /// let mut rules = vec![];
    /// cumulus::datafusion::OrderCheckRule::insert_into(&mut rules);
    /// cumulus::datafusion::OrderCheckRule::insert_into(&mut rules);
    /// assert_eq!(rules.len(), 1);
    /// ```
    pub fn insert_into(rules: &mut Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>>) {
        if rules.iter().any(|r| r.name() == Self::NAME) {
            return;
        }
        let at = rules
            .iter()
            .position(|r| r.name() == super::CumulativeWindowRule::NAME)
            .or_else(|| rules.iter().position(|r| r.name() == "SanityCheckPlan"))
            .unwrap_or(rules.len());
        rules.insert(at, Arc::new(OrderCheckRule));
    }
}

impl PhysicalOptimizerRule for OrderCheckRule {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_down(|node| {
            if node.downcast_ref::<OrderCheckExec>().is_some() {
                // Checked already (the plan was optimized before).
                return Ok(Transformed::new(node, false, TreeNodeRecursion::Jump));
            }
            if node.downcast_ref::<DataSourceExec>().is_none() {
                return Ok(Transformed::no(node));
            }
            match OrderCheckExec::new(Arc::clone(&node)) {
                Some(check) => Ok(Transformed::new(
                    Arc::new(check) as Arc<dyn ExecutionPlan>,
                    true,
                    TreeNodeRecursion::Jump,
                )),
                None => Ok(Transformed::no(node)),
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        Self::NAME
    }

    fn schema_check(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_comparators_agree() {
        let a: ArrayRef = Arc::new(arrow::array::Int32Array::from(vec![3, -1, 3]));
        let words = Column::Words(super::super::keys::sortable_words(a.as_ref(), false).unwrap());
        let cmp = Column::Compare(
            make_comparator(a.as_ref(), a.as_ref(), SortOptions::default()).unwrap(),
        );
        for i in 0..3 {
            for j in 0..3 {
                assert_eq!(words.cmp(i, j), cmp.cmp(i, j));
            }
        }
    }
}
