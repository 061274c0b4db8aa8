//! The streaming operator (`CumulativeWindowAggExec`, installed by `register`): which
//! window nodes it replaces, and that its results, errors and column types are those of
//! the `WindowAggExec` it replaces, on groups straddling many small batches.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, FixedSizeListArray, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Field, Schema};
use cumulus::Operation;
use cumulus::datafusion::{
    CumulativeHashWindowRule, CumulativeWindowRule, physical_optimizer_rules, register,
    register_rule, register_with_state, sql_defaults,
};
use datafusion::datasource::MemTable;
use datafusion::execution::SessionStateBuilder;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::common::{Lcg, assert_same, check_groups, error_of, grouped_table, query};

const POLICIES: [&str; 4] = ["carry", "skip", "propagate", "identity"];

/// Small batches everywhere: sorts and repartitions emit at most `batch_size` rows, so
/// PARTITION BY groups straddle many batches.
fn config(batch_size: usize, target_partitions: usize) -> SessionConfig {
    SessionConfig::new()
        .with_batch_size(batch_size)
        .with_target_partitions(target_partitions)
}

/// A session with `register`: the functions and the streaming operator. The hash-state
/// operator, which `register` plans for windows over input not sorted by the PARTITION
/// BY keys (see `hash_state`), is held back to windows whose input is in ORDER BY order,
/// so that DataFusion sorts the shuffled tables here and the run-by-run operator scans.
fn streaming(batch_size: usize, target_partitions: usize) -> SessionContext {
    let mut rules = PhysicalOptimizer::new().rules;
    CumulativeHashWindowRule::new(false).insert_into(&mut rules);
    let state = SessionStateBuilder::new()
        .with_config(config(batch_size, target_partitions))
        .with_default_features()
        .with_physical_optimizer_rules(rules)
        .build();
    let ctx = SessionContext::new_with_state(state);
    register(&ctx).unwrap();
    ctx
}

/// The same functions without the rule: every window runs in `WindowAggExec`.
fn buffered(batch_size: usize, target_partitions: usize) -> SessionContext {
    let ctx = SessionContext::new_with_config(config(batch_size, target_partitions));
    let state = ctx.state_ref();
    register_with_state(&mut *state.write()).unwrap();
    ctx
}

/// Registers `batch` in both sessions as a MemTable of `chunk`-row batches.
fn register_chunks(ctxs: &[&SessionContext], name: &str, batch: &RecordBatch, chunk: usize) {
    let chunks: Vec<RecordBatch> = (0..batch.num_rows())
        .step_by(chunk)
        .map(|s| batch.slice(s, chunk.min(batch.num_rows() - s)))
        .collect();
    for ctx in ctxs {
        let table = MemTable::try_new(batch.schema(), vec![chunks.clone()]).unwrap();
        ctx.register_table(name, Arc::new(table)).unwrap();
    }
}

/// The operators of the physical plan `EXPLAIN` prints, top to bottom.
async fn operators(ctx: &SessionContext, sql: &str) -> Vec<String> {
    let out = query(ctx, &format!("EXPLAIN {sql}")).await.unwrap();
    let kinds = out
        .column(0)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    let plans = out
        .column(1)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    let physical = (0..out.num_rows())
        .find(|&i| kinds.value(i) == "physical_plan")
        .map(|i| plans.value(i).to_string())
        .expect("a physical plan");
    physical
        .lines()
        .filter_map(|l| l.trim().split(':').next())
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}

fn has(ops: &[String], name: &str) -> bool {
    ops.iter().any(|o| o == name)
}

/// Runs `sql` in both sessions: the streaming one must plan the new operator and the
/// other `WindowAggExec`, and every column must be equal (bitwise for floats).
async fn same_as_window_agg_exec(ours: &SessionContext, theirs: &SessionContext, sql: &str) {
    let ops = operators(ours, sql).await;
    assert!(has(&ops, "CumulativeWindowAggExec"), "{sql}\n{ops:?}");
    assert!(!has(&ops, "WindowAggExec"), "{sql}\n{ops:?}");
    let ops = operators(theirs, sql).await;
    assert!(has(&ops, "WindowAggExec"), "{sql}\n{ops:?}");
    let expected = query(theirs, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let actual = query(ours, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_eq!(expected.schema(), actual.schema(), "{sql}");
    assert!(expected.num_rows() > 0, "{sql}");
    for (i, field) in expected.schema().fields().iter().enumerate() {
        assert_same(
            expected.column(i).as_ref(),
            actual.column(i).as_ref(),
            &format!("{sql}: column {}", field.name()),
        );
    }
}

/// `g, t, i, f`: int32 with long null runs and wrapping values, float64 with nulls, NaN
/// and -0.0, in `groups` groups, shuffled so that DataFusion sorts.
fn numbers(rows: usize, groups: u64, seed: u64) -> RecordBatch {
    let mut rng = Lcg(seed);
    let ints = Int32Array::from(
        (0..rows)
            .map(|k| {
                let v = rng.next() as i32;
                // The first quarter of `t` is null in every group: each group starts
                // with a run of nulls that covers whole 7-row batches.
                (k >= rows / 4 && k % 37 < 30 && rng.below(5) != 0).then_some(v)
            })
            .collect::<Vec<_>>(),
    );
    let floats = Float64Array::from(
        (0..rows)
            .map(|_| match rng.below(30) {
                0 => Some(f64::NAN),
                1 => Some(-0.0),
                2..=7 => None,
                _ => Some((rng.below(2001) as f64 - 1000.0) / 64.0),
            })
            .collect::<Vec<_>>(),
    );
    grouped_table(
        rows,
        groups,
        vec![
            (Field::new("i", DataType::Int32, true), Arc::new(ints)),
            (Field::new("f", DataType::Float64, true), Arc::new(floats)),
        ],
        seed + 1,
    )
}

#[tokio::test]
async fn explain_shows_the_operator_that_runs() {
    let ctx = streaming(8192, 4);
    register_chunks(&[&ctx], "data", &numbers(100, 5, 1), 10);
    for sql in [
        "SELECT cumsum(f) OVER (ORDER BY t) FROM data",
        "SELECT cumsum(f) OVER (PARTITION BY g ORDER BY t) FROM data",
        "SELECT cumsum(f), cummax(i) FROM data",
        "SELECT cumsum(f ORDER BY t DESC) FROM data",
        "SELECT cumsum(f) OVER (PARTITION BY g ORDER BY t), cumprod(i, 'float64') OVER (PARTITION BY g ORDER BY t) FROM data",
    ] {
        let ops = operators(&ctx, sql).await;
        assert!(has(&ops, "CumulativeWindowAggExec"), "{sql}\n{ops:?}");
        assert!(!has(&ops, "WindowAggExec"), "{sql}\n{ops:?}");
    }
    // A window node shared with another function, or a reverse scan (which needs the
    // partition's last row first), stays in WindowAggExec.
    for sql in [
        "SELECT cumsum(f) OVER (ORDER BY t), sum(f) OVER (ORDER BY t) FROM data",
        "SELECT cumsum(f) OVER (PARTITION BY g ORDER BY t), row_number() OVER (PARTITION BY g ORDER BY t) FROM data",
        "SELECT cumsum(f, NULL, NULL, NULL, NULL, true) OVER (ORDER BY t) FROM data",
        "SELECT cumsum(f) OVER (ORDER BY t), cumsum(f, NULL, NULL, NULL, NULL, true) OVER (ORDER BY t) FROM data",
    ] {
        let ops = operators(&ctx, sql).await;
        assert!(has(&ops, "WindowAggExec"), "{sql}\n{ops:?}");
        assert!(!has(&ops, "CumulativeWindowAggExec"), "{sql}\n{ops:?}");
    }
    // Two window nodes: each is judged on its own.
    let ops = operators(
        &ctx,
        "SELECT cumsum(f) OVER (PARTITION BY g ORDER BY t), sum(f) OVER (ORDER BY t) FROM data",
    )
    .await;
    assert!(has(&ops, "CumulativeWindowAggExec"), "{ops:?}");
    assert!(has(&ops, "BoundedWindowAggExec"), "{ops:?}");
}

/// Apart from the window operator's name, the plans are the same with and without the
/// rule: the new node declares the same ordering, partitioning and equivalences, so the
/// operators around it (sorts above it elided or not, repartitions) do not change.
#[tokio::test]
async fn plans_around_the_operator_are_unchanged() {
    let data = numbers(300, 7, 10);
    for partitions in [1, 4] {
        let (ours, theirs) = (streaming(8192, partitions), buffered(8192, partitions));
        register_chunks(&[&ours, &theirs], "data", &data, 50);
        for sql in [
            "SELECT g, t, cumsum(f) OVER (PARTITION BY g ORDER BY t) AS s FROM data ORDER BY g, t",
            "SELECT g, t, cumsum(f) OVER (PARTITION BY g ORDER BY t) AS s FROM data ORDER BY s",
            "SELECT t, cumsum(f) OVER (ORDER BY t) AS s FROM data ORDER BY t DESC LIMIT 5",
            "SELECT g, count(*) FROM (SELECT g, cumsum(f) OVER (PARTITION BY g ORDER BY t) AS s FROM data) WHERE s > 0 GROUP BY g",
            "SELECT cumsum(f) OVER (PARTITION BY g ORDER BY t) AS a, cummin(i) OVER (ORDER BY t) AS b FROM data",
        ] {
            let ours_ops: Vec<String> = operators(&ours, sql)
                .await
                .into_iter()
                .map(|o| o.replace("CumulativeWindowAggExec", "WindowAggExec"))
                .collect();
            assert!(ours_ops.contains(&"WindowAggExec".to_string()), "{sql}");
            assert_eq!(ours_ops, operators(&theirs, sql).await, "{sql}");
            same_rows(&ours, &theirs, sql).await;
        }
    }
}

/// The same rows in both sessions, in any order (the queries above do not all fix one).
async fn same_rows(ours: &SessionContext, theirs: &SessionContext, sql: &str) {
    let rows = |batch: RecordBatch| -> Vec<String> {
        let mut rows: Vec<String> = (0..batch.num_rows())
            .map(|r| {
                (0..batch.num_columns())
                    .map(|c| crate::common::cell(batch.column(c).as_ref(), r))
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(
        rows(query(ours, sql).await.unwrap()),
        rows(query(theirs, sql).await.unwrap()),
        "{sql}"
    );
}

/// All six operations under every null policy, many small groups over 7-row batches, one
/// SELECT with 48 cumulus expressions, ascending and descending, 1 and 4 partitions.
#[tokio::test]
async fn every_operation_and_policy_equals_window_agg_exec() {
    let data = numbers(3000, 97, 2);
    for partitions in [1, 4] {
        let (ours, theirs) = (streaming(7, partitions), buffered(7, partitions));
        register_chunks(&[&ours, &theirs], "data", &data, 5);
        for dir in ["ASC", "DESC"] {
            let w = format!("PARTITION BY g ORDER BY t {dir}");
            let mut calls = vec![];
            for op in Operation::ALL {
                for policy in POLICIES {
                    for x in ["i", "f"] {
                        calls.push(format!(
                            "{op}({x}, NULL, '{policy}') OVER ({w}) AS {op}_{policy}_{x}"
                        ));
                    }
                }
            }
            let sql = format!(
                "SELECT g, t, i, f, {} FROM data ORDER BY g, t {dir}",
                calls.join(", ")
            );
            same_as_window_agg_exec(&ours, &theirs, &sql).await;
            // And against the core, group by group.
            let out = query(&ours, &sql).await.unwrap();
            for op in Operation::ALL {
                for (policy, nulls) in POLICIES.iter().zip([
                    cumulus::NullPolicy::Carry,
                    cumulus::NullPolicy::Skip,
                    cumulus::NullPolicy::Propagate,
                    cumulus::NullPolicy::Identity,
                ]) {
                    let options = sql_defaults().with_nulls(nulls);
                    check_groups(&out, "f", &format!("{op}_{policy}_f"), op, &options);
                    check_groups(&out, "i", &format!("{op}_{policy}_i"), op, &options);
                }
            }
        }
    }
}

/// Without PARTITION BY the whole input is one group running through every batch; with
/// dtype, overflow wrapping and the no-OVER form.
#[tokio::test]
async fn one_group_over_many_batches() {
    let data = numbers(2000, 13, 3);
    let (ours, theirs) = (streaming(7, 4), buffered(7, 4));
    register_chunks(&[&ours, &theirs], "data", &data, 3);
    for sql in [
        "SELECT t, i, f, cumsum(i) OVER (ORDER BY t) AS a, cumprod(f, NULL, 'propagate') OVER (ORDER BY t) AS b, \
         nancumsum(f, 'float32') OVER (ORDER BY t) AS c, cummin(i, NULL, 'skip') OVER (ORDER BY t) AS d FROM data ORDER BY t",
        "SELECT t, cummax(f) OVER (ORDER BY t DESC) AS m, nancumprod(f, NULL, 'identity') OVER (ORDER BY t DESC) AS p FROM data ORDER BY t",
        // No OVER: one window over the input in its order (a single MemTable partition).
        "SELECT t, i, cumsum(i) AS s, cummax(f, NULL, 'skip') AS m FROM data",
        "SELECT t, cumsum(f ORDER BY t DESC) AS s, nancumsum(i ORDER BY t) AS n FROM data ORDER BY t",
    ] {
        same_as_window_agg_exec(&ours, &theirs, sql).await;
    }
}

/// A FixedSizeList column scans along axis 0 (a running vector carried across batches)
/// and along axis 1 (within rows), with nulls at both levels.
#[tokio::test]
async fn fixed_size_lists_along_both_axes() {
    let rows = 1500;
    let mut rng = Lcg(4);
    let values = Int32Array::from(
        (0..rows * 3)
            .map(|_| (rng.below(10) != 0).then(|| rng.below(200) as i32 - 100))
            .collect::<Vec<_>>(),
    );
    let valid = NullBuffer::from((0..rows).map(|_| rng.below(9) != 0).collect::<Vec<_>>());
    let v = FixedSizeListArray::new(
        Arc::new(Field::new("item", DataType::Int32, true)),
        3,
        Arc::new(values),
        Some(valid),
    );
    let data = grouped_table(
        rows,
        41,
        vec![(
            Field::new("v", v.data_type().clone(), true),
            Arc::new(v) as ArrayRef,
        )],
        5,
    );
    let (ours, theirs) = (streaming(7, 4), buffered(7, 4));
    register_chunks(&[&ours, &theirs], "data", &data, 11);
    let mut calls = vec![];
    for op in Operation::ALL {
        for policy in POLICIES {
            calls.push(format!(
                "{op}(v, NULL, '{policy}') OVER (PARTITION BY g ORDER BY t) AS {op}_{policy}"
            ));
        }
        calls.push(format!(
            "{op}(v, NULL, NULL, NULL, 1) OVER (PARTITION BY g ORDER BY t) AS {op}_axis1"
        ));
    }
    let sql = format!(
        "SELECT g, t, v, {} FROM data ORDER BY g, t",
        calls.join(", ")
    );
    same_as_window_agg_exec(&ours, &theirs, &sql).await;
}

/// PARTITION BY keys of several columns, strings and nulls: runs are found exactly as
/// `WindowAggExec` finds them, across batch boundaries.
#[tokio::test]
async fn composite_and_null_keys() {
    let rows = 1200;
    let mut rng = Lcg(6);
    let k = StringArray::from(
        (0..rows)
            .map(|_| match rng.below(4) {
                0 => None,
                n => Some(["a", "b", "c"][n as usize - 1]),
            })
            .collect::<Vec<_>>(),
    );
    let h = Int64Array::from(
        (0..rows)
            .map(|_| (rng.below(5) != 0).then(|| rng.below(3) as i64))
            .collect::<Vec<_>>(),
    );
    let x = Float64Array::from(
        (0..rows)
            .map(|_| (rng.below(6) != 0).then(|| rng.below(100) as f64 / 4.0))
            .collect::<Vec<_>>(),
    );
    let data = grouped_table(
        rows,
        3,
        vec![
            (
                Field::new("k", DataType::Utf8, true),
                Arc::new(k) as ArrayRef,
            ),
            (Field::new("h", DataType::Int64, true), Arc::new(h)),
            (Field::new("x", DataType::Float64, true), Arc::new(x)),
        ],
        7,
    );
    for partitions in [1, 3] {
        let (ours, theirs) = (streaming(7, partitions), buffered(7, partitions));
        register_chunks(&[&ours, &theirs], "data", &data, 4);
        same_as_window_agg_exec(
            &ours,
            &theirs,
            "SELECT g, k, h, t, x, cumsum(x) OVER (PARTITION BY k, h ORDER BY t) AS s, \
             cumprod(x, NULL, 'skip') OVER (PARTITION BY k, h ORDER BY t) AS p \
             FROM data ORDER BY k, h, t",
        )
        .await;
    }
    // A key of the null type (no row comparator in arrow) splits nothing.
    let nulls = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("n", DataType::Null, true),
            Field::new("t", DataType::Int64, false),
            Field::new("x", DataType::Int64, false),
        ])),
        vec![
            Arc::new(arrow::array::NullArray::new(50)),
            Arc::new(Int64Array::from_iter_values(0..50)),
            Arc::new(Int64Array::from_iter_values((0..50).map(|v| v * 3 % 7))),
        ],
    )
    .unwrap();
    let (ours, theirs) = (streaming(7, 1), buffered(7, 1));
    register_chunks(&[&ours, &theirs], "nulls", &nulls, 6);
    same_as_window_agg_exec(
        &ours,
        &theirs,
        "SELECT t, x, cummax(x) OVER (PARTITION BY n ORDER BY t) AS m FROM nulls ORDER BY t",
    )
    .await;
}

/// Larger batches holding many tiny groups, a few long ones, or both: every way the
/// operator splits a batch into runs.
#[tokio::test]
async fn tiny_and_long_groups_in_large_batches() {
    for (rows, groups) in [(6000, 2500), (6000, 3), (6000, 60)] {
        let data = numbers(rows, groups, 9);
        for partitions in [1, 2] {
            let (ours, theirs) = (streaming(1000, partitions), buffered(1000, partitions));
            register_chunks(&[&ours, &theirs], "data", &data, 700);
            same_as_window_agg_exec(
                &ours,
                &theirs,
                "SELECT g, t, i, f, cumsum(i) OVER (PARTITION BY g ORDER BY t) AS s, \
                 cummax(f, NULL, 'propagate') OVER (PARTITION BY g ORDER BY t) AS m \
                 FROM data ORDER BY g, t",
            )
            .await;
        }
    }
}

/// The output arrives batch by batch, each as soon as its input batch is scanned, where
/// `WindowAggExec` returns one batch per partition after reading everything.
#[tokio::test]
async fn output_streams_in_several_batches() {
    let data = numbers(500, 1, 8);
    // Sorted by t already and declared so: no sort, the table's 10-row batches flow
    // straight through.
    let sorted = arrow::compute::take_record_batch(
        &data,
        &arrow::compute::sort_to_indices(data.column_by_name("t").unwrap(), None, None).unwrap(),
    )
    .unwrap();
    let config = config(8192, 1);
    let ours = SessionContext::new_with_config(config.clone());
    register(&ours).unwrap();
    let theirs = SessionContext::new_with_config(config);
    register_with_state(&mut *theirs.state_ref().write()).unwrap();
    for ctx in [&ours, &theirs] {
        let chunks: Vec<RecordBatch> = (0..50).map(|k| sorted.slice(k * 10, 10)).collect();
        let table = MemTable::try_new(sorted.schema(), vec![chunks])
            .unwrap()
            .with_sort_order(vec![vec![datafusion::prelude::col("t").sort(true, false)]]);
        ctx.register_table("data", Arc::new(table)).unwrap();
    }
    let sql = "SELECT t, cumsum(f) OVER (ORDER BY t) AS s FROM data";
    let batches = ours.sql(sql).await.unwrap().collect().await.unwrap();
    assert_eq!(batches.len(), 50);
    assert!(batches.iter().all(|b| b.num_rows() == 10));
    let batches = theirs.sql(sql).await.unwrap().collect().await.unwrap();
    assert_eq!(batches.len(), 1, "WindowAggExec emits one batch");
    // A LIMIT stops after the first batches.
    let out = query(&ours, &format!("{sql} LIMIT 15")).await.unwrap();
    assert_eq!(out.num_rows(), 15);
}

/// An overflow under `overflow => 'error'` in a group that spans several batches stops
/// the query with the same message as under `WindowAggExec`: the row is counted from the
/// group's first row.
#[tokio::test]
async fn overflow_error_is_unchanged() {
    let rows = 60;
    // Group 0: t 0..30, group 1: t 30..60; the overflow is in group 1 at its row 17.
    let x: Vec<i64> = (0..rows)
        .map(|k| if k == 47 { i64::MAX } else { 1 })
        .collect();
    let data = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("g", DataType::Int64, false),
            Field::new("t", DataType::Int64, false),
            Field::new("x", DataType::Int64, false),
        ])),
        vec![
            Arc::new(Int64Array::from_iter_values((0..rows).map(|k| k / 30))),
            Arc::new(Int64Array::from_iter_values(0..rows)),
            Arc::new(Int64Array::from(x)),
        ],
    )
    .unwrap();
    for partitions in [1, 4] {
        let (ours, theirs) = (streaming(7, partitions), buffered(7, partitions));
        register_chunks(&[&ours, &theirs], "data", &data, 6);
        let sql = "SELECT g, t, cumsum(x, NULL, NULL, 'error') OVER (PARTITION BY g ORDER BY t) FROM data";
        assert!(has(&operators(&ours, sql).await, "CumulativeWindowAggExec"));
        let expected = error_of(&theirs, sql).await;
        let actual = error_of(&ours, sql).await;
        assert_eq!(actual, expected);
        assert!(
            actual.starts_with(&crate::common::execution(
                "cumsum: Int64 overflow at row 17"
            )),
            "{actual}"
        );
    }
}

/// The rule goes just before the sanity checker, once, whichever way it is installed.
#[tokio::test]
async fn the_rule_is_installed_once_before_the_sanity_check() {
    let names = |ctx: &SessionContext| -> Vec<String> {
        ctx.state()
            .physical_optimizers()
            .iter()
            .map(|r| r.name().to_string())
            .collect()
    };
    let ctx = SessionContext::new_with_config(config(8192, 2));
    let session_id = ctx.state().session_id().to_string();
    ctx.sql("CREATE TABLE t AS VALUES (1, 2.0), (2, 3.0)")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    register(&ctx).unwrap();
    register(&ctx).unwrap();
    let rules = names(&ctx);
    assert_eq!(
        rules
            .iter()
            .filter(|r| *r == CumulativeWindowRule::NAME)
            .count(),
        1
    );
    assert_eq!(
        rules[rules.len() - 2..],
        [CumulativeWindowRule::NAME, "SanityCheckPlan"]
    );
    // The rest of the session is kept: its id, settings and tables.
    assert_eq!(ctx.state().session_id(), session_id);
    assert_eq!(ctx.state().config().target_partitions(), 2);
    assert!(
        ctx.state()
            .config()
            .options()
            .catalog
            .create_default_catalog_and_schema
    );
    let out = query(
        &ctx,
        "SELECT cumsum(column2) OVER (ORDER BY column1) AS s FROM t",
    )
    .await
    .unwrap();
    assert_eq!(out.num_rows(), 2);

    // A hand-built state: the builder's rule list, or register_rule.
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_physical_optimizer_rules(physical_optimizer_rules())
        .build();
    let ctx = SessionContext::new_with_state(state);
    register_with_state(&mut *ctx.state_ref().write()).unwrap();
    assert!(names(&ctx).contains(&CumulativeWindowRule::NAME.to_string()));
    let mut state = SessionStateBuilder::new().with_default_features().build();
    register_with_state(&mut state).unwrap();
    register_rule(&mut state);
    let ctx = SessionContext::new_with_state(state);
    let ops = operators(
        &ctx,
        "SELECT cumsum(x) OVER (ORDER BY t) FROM (VALUES (1, 2)) AS v(t, x)",
    )
    .await;
    assert!(has(&ops, "CumulativeWindowAggExec"), "{ops:?}");
}
