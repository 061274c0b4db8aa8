//! Which operator runs, that declared sort orders avoid a sort (the bench's setup), and
//! that the functions appear in DataFusion's function documentation.

use std::sync::Arc;

use arrow::array::{Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use cumulus::datafusion::{PARAMETER_NAMES, register, window_functions};
use datafusion::datasource::MemTable;
use datafusion::prelude::*;

use crate::common::query;

/// The bench's session and table: rows sorted by (g, t) (so also by t), declared sorted,
/// and no repartitioning of the scan (which would drop the declared order).
fn sorted_ctx(rows: i64, groups: i64) -> SessionContext {
    let config = SessionConfig::new()
        .with_target_partitions(1)
        .with_repartition_file_scans(false)
        .with_prefer_existing_sort(true);
    let ctx = SessionContext::new_with_config(config);
    register(&ctx).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("g", DataType::Int64, false),
        Field::new("t", DataType::Int64, false),
        Field::new("x", DataType::Float64, false),
    ]));
    let per_group = rows / groups;
    let batches = (0..rows)
        .step_by(8192)
        .map(|s| {
            let r = s..(s + 8192).min(rows);
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(Int64Array::from(
                        r.clone().map(|i| i / per_group).collect::<Vec<_>>(),
                    )),
                    Arc::new(Int64Array::from(r.clone().collect::<Vec<_>>())),
                    Arc::new(Float64Array::from(
                        r.map(|i| (i % 100) as f64 * 0.5).collect::<Vec<_>>(),
                    )),
                ],
            )
            .unwrap()
        })
        .collect();
    let table = MemTable::try_new(schema, vec![batches])
        .unwrap()
        .with_sort_order(vec![
            vec![col("g").sort(true, false), col("t").sort(true, false)],
            vec![col("t").sort(true, false)],
        ]);
    ctx.register_table("trades", Arc::new(table)).unwrap();
    ctx
}

async fn physical_plan(ctx: &SessionContext, sql: &str) -> String {
    let out = query(ctx, &format!("EXPLAIN {sql}")).await.unwrap();
    let plans = arrow::util::pretty::pretty_format_batches(&[out])
        .unwrap()
        .to_string();
    plans
        .split("physical_plan")
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn declared_order_means_no_sort_and_the_streaming_operator_runs() {
    let ctx = sorted_ctx(200_000, 1000);
    for sql in [
        "SELECT cumsum(x) OVER (ORDER BY t) FROM trades",
        "SELECT cumsum(x) OVER (PARTITION BY g ORDER BY t) FROM trades",
    ] {
        let plan = physical_plan(&ctx, sql).await;
        // The name only: "CumulativeWindowAggExec" also contains "WindowAggExec".
        assert!(plan.contains("CumulativeWindowAggExec:"), "{sql}\n{plan}");
        assert!(!plan.contains(" WindowAggExec"), "{sql}\n{plan}");
        assert!(!plan.contains("BoundedWindowAggExec"), "{sql}\n{plan}");
        assert!(!plan.contains("SortExec"), "{sql}\n{plan}");
    }
    for sql in [
        "SELECT sum(x) OVER (ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM trades",
        "SELECT sum(x) OVER (PARTITION BY g ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM trades",
    ] {
        let plan = physical_plan(&ctx, sql).await;
        assert!(plan.contains("BoundedWindowAggExec"), "{sql}\n{plan}");
        assert!(!plan.contains("SortExec"), "{sql}\n{plan}");
    }
    // And the results agree with the built-in running sum.
    let out = query(
        &ctx,
        "SELECT cumsum(x) OVER (PARTITION BY g ORDER BY t) AS c, \
         sum(x) OVER (PARTITION BY g ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s FROM trades",
    )
    .await
    .unwrap();
    crate::common::assert_same(
        out.column(1).as_ref(),
        out.column(0).as_ref(),
        "cumsum = sum OVER",
    );
}

#[tokio::test]
async fn functions_are_documented() {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_information_schema(true));
    register(&ctx).unwrap();
    let out = query(
        &ctx,
        "SELECT DISTINCT routine_name, function_type FROM information_schema.routines \
         WHERE routine_name IN ('cumsum', 'cumprod', 'nancumsum', 'nancumprod', 'cummax', 'cummin') ORDER BY routine_name, function_type",
    )
    .await
    .unwrap();
    datafusion::assert_batches_eq!(
        [
            "+--------------+---------------+",
            "| routine_name | function_type |",
            "+--------------+---------------+",
            "| cummax       | AGGREGATE     |",
            "| cummax       | WINDOW        |",
            "| cummin       | AGGREGATE     |",
            "| cummin       | WINDOW        |",
            "| cumprod      | AGGREGATE     |",
            "| cumprod      | WINDOW        |",
            "| cumsum       | AGGREGATE     |",
            "| cumsum       | WINDOW        |",
            "| nancumprod   | AGGREGATE     |",
            "| nancumprod   | WINDOW        |",
            "| nancumsum    | AGGREGATE     |",
            "| nancumsum    | WINDOW        |",
            "+--------------+---------------+",
        ],
        &[out]
    );
    for f in window_functions() {
        let doc = f.documentation().expect("documented");
        assert!(doc.description.contains("NumPy"), "{}", f.name());
        assert!(
            doc.syntax_example
                .starts_with(&format!("{}(x [, option ...])", f.name()))
        );
        let args: Vec<&str> = doc
            .arguments
            .as_ref()
            .unwrap()
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(args, PARAMETER_NAMES);
        // Derived from the core's tables, not retyped.
        let op: cumulus::Operation = f.name().parse().unwrap();
        assert!(doc.description.starts_with(op.summary()), "{}", f.name());
        for (name, text) in &doc.arguments.as_ref().unwrap()[1..] {
            let option: cumulus::ScanOption = name.parse().unwrap();
            assert!(
                text[1..].starts_with(&option.summary()[1..]),
                "{name}: {text}"
            );
            assert!(text.contains(&option.accepted_values()), "{name}: {text}");
        }
        assert_eq!(doc.doc_section.label, "Analytical Functions");
        assert!(
            doc.sql_example
                .as_ref()
                .unwrap()
                .contains(&format!("{}(x) OVER", f.name()))
        );
    }
}

/// The SQL examples in the documentation give the tables they show.
#[tokio::test]
async fn documentation_examples_are_true() {
    let ctx = SessionContext::new();
    register(&ctx).unwrap();
    for f in window_functions() {
        let example = f.documentation().unwrap().sql_example.clone().unwrap();
        let body = example
            .trim_start_matches("```sql\n")
            .trim_end_matches("\n```");
        let (sql, table) = body.split_once(";\n").unwrap();
        let out = query(&ctx, &format!("{sql} ORDER BY t")).await.unwrap();
        let shown = arrow::util::pretty::pretty_format_batches(&[out])
            .unwrap()
            .to_string();
        assert_eq!(shown.trim(), table.trim(), "{}", f.name());
    }
}
