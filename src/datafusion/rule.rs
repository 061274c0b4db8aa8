//! The physical optimizer rules of the cumulus window functions, and the functions that
//! install them: [`CumulativeHashWindowRule`] (before DataFusion adds sorts) plans the
//! hash-state [`CumulativeHashWindowExec`] where the input is not sorted by the PARTITION
//! BY keys, and [`CumulativeWindowRule`] (at the end) swaps the remaining `WindowAggExec`
//! nodes made only of cumulus functions for the streaming [`CumulativeWindowAggExec`].

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::session_state::SessionState;
use datafusion::physical_expr::Distribution;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::windows::WindowAggExec;
use datafusion::physical_plan::{ChildrenPropertiesMode, ExecutionPlan, ReplaceChildrenOptions};

use super::exec::CumulativeWindowAggExec;
use super::hash_window::CumulativeHashWindowExec;
use super::probe::CumulativeProbedWindowExec;
use super::verify::OrderCheckRule;

/// A physical optimizer rule: a `WindowAggExec` whose window expressions are all cumulus
/// functions scanning forward, with a PARTITION BY, over an input that is not sorted by
/// the PARTITION BY keys becomes a [`CumulativeHashWindowExec`], which keeps one running
/// state per key instead of having the input sorted:
///
/// - when the input's order satisfies the window's ORDER BY (rows in time order, for
///   `PARTITION BY symbol ORDER BY time`; or no ORDER BY), it streams in one pass
///   ([`super::InputOrder::Sorted`]);
/// - otherwise, when [`CumulativeHashWindowRule::sorts`] is set (the default), it
///   buffers each execution partition and sorts each key's rows itself
///   ([`super::InputOrder::Any`]), which is faster than DataFusion's `SortExec`; unset,
///   DataFusion sorts and [`CumulativeWindowRule`] streams the sorted rows.
///
/// It must run before `EnsureRequirements`, which then adds what the new node needs (a
/// hash repartition by the keys; no sort, as its input is already in ORDER BY order or it
/// needs none) and sorts above it where a parent needs (key, order) order.
/// [`super::register`] puts it there; [`physical_optimizer_rules`] and [`register_rule`]
/// do it for hand-made sessions.
///
/// ```
/// use cumulus::datafusion::CumulativeHashWindowRule;
/// use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
///
/// let mut rules = PhysicalOptimizer::new().rules;
/// CumulativeHashWindowRule::default().insert_into(&mut rules);
/// let names: Vec<&str> = rules.iter().map(|r| r.name()).collect();
/// let at = names.iter().position(|n| *n == "CumulativeHashWindowRule").unwrap();
/// assert_eq!(names[at + 1], "EnsureRequirements");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CumulativeHashWindowRule {
    sorts: bool,
}

impl Default for CumulativeHashWindowRule {
    fn default() -> Self {
        CumulativeHashWindowRule { sorts: true }
    }
}

impl CumulativeHashWindowRule {
    /// The rule's name, as [`PhysicalOptimizerRule::name`] and `EXPLAIN VERBOSE` give it.
    ///
    /// ```
    /// use datafusion::physical_optimizer::PhysicalOptimizerRule;
    /// use cumulus::datafusion::CumulativeHashWindowRule;
    /// assert_eq!(CumulativeHashWindowRule::default().name(), CumulativeHashWindowRule::NAME);
    /// ```
    pub const NAME: &'static str = "CumulativeHashWindowRule";

    /// The rule; with `sorts` false it leaves windows whose input is not in ORDER BY order
    /// to DataFusion's sort.
    ///
    /// ```
    /// let rule = cumulus::datafusion::CumulativeHashWindowRule::new(false);
    /// assert!(!rule.sorts());
    /// ```
    pub fn new(sorts: bool) -> Self {
        CumulativeHashWindowRule { sorts }
    }

    /// Whether the rule plans [`super::InputOrder::Any`] (its own sort) for input that
    /// is not in ORDER BY order.
    ///
    /// ```
    /// assert!(cumulus::datafusion::CumulativeHashWindowRule::default().sorts());
    /// ```
    pub fn sorts(&self) -> bool {
        self.sorts
    }

    /// Puts the rule into `rules` just before `EnsureRequirements` (at the start when
    /// there is none); does nothing when a rule of this name is already there.
    ///
    /// ```
    /// let mut rules = vec![];
    /// cumulus::datafusion::CumulativeHashWindowRule::default().insert_into(&mut rules);
    /// cumulus::datafusion::CumulativeHashWindowRule::default().insert_into(&mut rules);
    /// assert_eq!(rules.len(), 1, "once");
    /// ```
    pub fn insert_into(self, rules: &mut Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>>) {
        if rules.iter().any(|r| r.name() == Self::NAME) {
            return;
        }
        let at = rules
            .iter()
            .position(|r| r.name() == "EnsureRequirements")
            .unwrap_or(0);
        rules.insert(at, Arc::new(self));
    }
}

impl PhysicalOptimizerRule for CumulativeHashWindowRule {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(window) = node.downcast_ref::<WindowAggExec>() else {
                return Ok(Transformed::no(node));
            };
            if let Some(exec) = CumulativeHashWindowExec::from_window(window, self.sorts)? {
                return Ok(Transformed::yes(Arc::new(exec) as Arc<dyn ExecutionPlan>));
            }
            // One partition already sorted by (PARTITION BY, ORDER BY): the streaming
            // operator now, so that its requirement (that one partition) is what
            // EnsureRequirements sees, and the rows are not split by key.
            match CumulativeWindowAggExec::try_new(Arc::new(window.clone()))? {
                Some(exec) if exec.streams_one_partition() => {
                    Ok(Transformed::yes(Arc::new(exec) as Arc<dyn ExecutionPlan>))
                }
                _ => Ok(Transformed::no(node)),
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        Self::NAME
    }

    /// The new node has the replaced node's schema.
    fn schema_check(&self) -> bool {
        true
    }
}

/// A physical optimizer rule: every `WindowAggExec` whose window expressions are all
/// cumulus functions scanning forward becomes a [`CumulativeWindowAggExec`], which
/// streams instead of buffering its whole input. Other window nodes, and those with a
/// `reverse => true` call, are left alone. It also turns a buffered hash-state window
/// over one partition of a data source into a [`super::CumulativeProbedWindowExec`],
/// which reads the keys and ORDER BY values first and streams when they are in order key
/// by key (it needs the repartitions `EnsureRequirements` placed for the buffered plan it
/// keeps for input in no order).
///
/// It must run once the plan under the window is final: after `EnsureRequirements` has
/// added the sorts and repartitions the window asks for (the operator relies on them, as
/// `WindowAggExec` does) and after the rules that still rewrite plans. Its place is
/// therefore just before DataFusion's last rule, `SanityCheckPlan`, which then checks
/// the new node's requirements (they are the `WindowAggExec`'s).
/// [`super::register`] puts it there; [`CumulativeWindowRule::insert_into`],
/// [`physical_optimizer_rules`] and [`register_rule`] do it for hand-made sessions.
///
/// ```
/// use std::sync::Arc;
/// use cumulus::datafusion::CumulativeWindowRule;
/// use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
///
/// let mut rules = PhysicalOptimizer::new().rules;
/// CumulativeWindowRule::insert_into(&mut rules);
/// let names: Vec<&str> = rules.iter().map(|r| r.name()).collect();
/// assert_eq!(names[names.len() - 2..], ["CumulativeWindowRule", "SanityCheckPlan"]);
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct CumulativeWindowRule;

impl CumulativeWindowRule {
    /// The rule's name, as [`PhysicalOptimizerRule::name`] and `EXPLAIN VERBOSE` give it.
    ///
    /// ```
    /// use datafusion::physical_optimizer::PhysicalOptimizerRule;
    /// use cumulus::datafusion::CumulativeWindowRule;
    /// assert_eq!(CumulativeWindowRule.name(), CumulativeWindowRule::NAME);
    /// ```
    pub const NAME: &'static str = "CumulativeWindowRule";

    /// Puts the rule into `rules` just before `SanityCheckPlan` (at the end when there is
    /// none); does nothing when a rule of this name is already there.
    ///
    /// ```
    /// let mut rules = vec![];
    /// cumulus::datafusion::CumulativeWindowRule::insert_into(&mut rules);
    /// cumulus::datafusion::CumulativeWindowRule::insert_into(&mut rules);
    /// assert_eq!(rules.len(), 1, "once");
    /// ```
    pub fn insert_into(rules: &mut Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>>) {
        if rules.iter().any(|r| r.name() == Self::NAME) {
            return;
        }
        let at = rules
            .iter()
            .position(|r| r.name() == "SanityCheckPlan")
            .unwrap_or(rules.len());
        rules.insert(at, Arc::new(CumulativeWindowRule));
    }
}

impl PhysicalOptimizerRule for CumulativeWindowRule {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = plan
            .transform_up(|node| {
                let Some(window) = node.downcast_ref::<WindowAggExec>() else {
                    return Ok(Transformed::no(node));
                };
                match CumulativeWindowAggExec::try_new(Arc::new(window.clone()))? {
                    Some(exec) => Ok(Transformed::yes(Arc::new(exec) as Arc<dyn ExecutionPlan>)),
                    None => Ok(Transformed::no(node)),
                }
            })?
            .data;
        probe_where_unpartitioned(plan, true, config)
    }

    fn name(&self) -> &str {
        Self::NAME
    }

    /// The new node has the replaced node's schema.
    fn schema_check(&self) -> bool {
        true
    }
}

/// `plan` with each buffered hash-state window whose partitioning no node above needs
/// (`free`: every node up to the root or to a repartition or merge asks no partitioning
/// of its input) replaced by its probed form ([`CumulativeProbedWindowExec`], one
/// partition) where that applies.
fn probe_where_unpartitioned(
    plan: Arc<dyn ExecutionPlan>,
    free: bool,
    config: &ConfigOptions,
) -> Result<Arc<dyn ExecutionPlan>> {
    // A node that makes its own partitioning (a repartition, a merge into one) hides its
    // input's from the nodes above; any other passes it on (a projection, a filter), so
    // its input is free only if the node itself is.
    let makes_own_partitioning = plan.downcast_ref::<RepartitionExec>().is_some()
        || plan.downcast_ref::<CoalescePartitionsExec>().is_some()
        || plan.downcast_ref::<SortPreservingMergeExec>().is_some();
    let requirements = plan.input_distribution_requirements();
    let children: Vec<Arc<dyn ExecutionPlan>> = plan.children().into_iter().cloned().collect();
    let mut changed = false;
    let mut new_children = Vec::with_capacity(children.len());
    for (i, child) in children.iter().enumerate() {
        let child_free = (free || makes_own_partitioning)
            && matches!(
                requirements.child_distribution(i),
                None | Some(Distribution::UnspecifiedDistribution | Distribution::SinglePartition)
            );
        let new = probe_where_unpartitioned(Arc::clone(child), child_free, config)?;
        changed |= !Arc::ptr_eq(&new, child);
        new_children.push(new);
    }
    let plan = if changed {
        plan.replace_children(
            new_children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )?
    } else {
        plan
    };
    if free && let Some(probed) = CumulativeProbedWindowExec::try_probe(&plan, config)? {
        return Ok(Arc::new(probed));
    }
    Ok(plan)
}

/// DataFusion's default physical optimizer rules with [`CumulativeWindowRule`] in its
/// place, for `SessionStateBuilder::with_physical_optimizer_rules`.
///
/// ```
/// use datafusion::execution::SessionStateBuilder;
/// use datafusion::prelude::SessionContext;
///
/// let state = SessionStateBuilder::new()
///     .with_default_features()
///     .with_physical_optimizer_rules(cumulus::datafusion::physical_optimizer_rules())
///     .build();
/// assert!(state.physical_optimizers().iter().any(|r| r.name() == "CumulativeWindowRule"));
/// ```
pub fn physical_optimizer_rules() -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    let mut rules = PhysicalOptimizer::new().rules;
    CumulativeHashWindowRule::default().insert_into(&mut rules);
    CumulativeWindowRule::insert_into(&mut rules);
    OrderCheckRule::insert_into(&mut rules);
    rules
}

/// Adds [`CumulativeWindowRule`] to a `SessionState`'s physical optimizer (before
/// `SanityCheckPlan`, see [`CumulativeWindowRule::insert_into`]); does nothing if it is
/// there already. [`super::register`] calls it; [`super::register_with_state`], which
/// takes any function registry, cannot.
///
/// DataFusion 55 has no method that adds a physical optimizer rule to an existing
/// `SessionState`, so the state is rebuilt through `SessionStateBuilder::new_from_existing`
/// with the same session id, configuration, catalogs, functions and runtime. Statements
/// prepared with `PREPARE` before the call are not carried over.
///
/// ```
/// use datafusion::execution::SessionStateBuilder;
///
/// let mut state = SessionStateBuilder::new().with_default_features().build();
/// cumulus::datafusion::register_with_state(&mut state)?;
/// cumulus::datafusion::register_rule(&mut state);
/// assert!(state.physical_optimizers().iter().any(|r| r.name() == "CumulativeWindowRule"));
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn register_rule(state: &mut SessionState) {
    let mut rules = state.physical_optimizers().to_vec();
    let has = |name: &str| rules.iter().any(|r| r.name() == name);
    if has(CumulativeWindowRule::NAME)
        && has(CumulativeHashWindowRule::NAME)
        && has(OrderCheckRule::NAME)
    {
        return;
    }
    CumulativeHashWindowRule::default().insert_into(&mut rules);
    CumulativeWindowRule::insert_into(&mut rules);
    OrderCheckRule::insert_into(&mut rules);
    let config = state.config().clone();
    let rebuilt = SessionStateBuilder::new_from_existing(state.clone())
        .with_session_id(state.session_id().to_string())
        .with_physical_optimizer_rules(rules)
        .build();
    *state = rebuilt;
    // The builder turns off `create_default_catalog_and_schema` when the catalog exists
    // (so that it is not made twice); give the session its own settings back.
    *state.config_mut() = config;
}
