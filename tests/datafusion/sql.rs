//! SQL semantics: PARTITION BY, ORDER BY directions, null policies, the no-OVER form,
//! column names, and agreement with DataFusion's own running sum.

use std::sync::Arc;

use arrow::array::{Array, Float64Array, Int32Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use cumulus::datafusion::sql_defaults;
use cumulus::{NullPolicy, Operation};
use datafusion::assert_batches_eq;

use crate::common::{Lcg, assert_same, check_groups, ctx, grouped_table, query, register_batch};

/// `g, t, x` with `x = [1, null, 2]` in group 1, `[null, 5]` in group 2 and all null in 3.
fn small() -> RecordBatch {
    RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("g", DataType::Int64, false),
            Field::new("t", DataType::Int64, false),
            Field::new("x", DataType::Int32, true),
        ])),
        vec![
            Arc::new(Int64Array::from(vec![1, 1, 1, 2, 2, 3])),
            Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6])),
            Arc::new(Int32Array::from(vec![
                Some(1),
                None,
                Some(2),
                None,
                Some(5),
                None,
            ])),
        ],
    )
    .unwrap()
}

#[tokio::test]
async fn default_null_policy_is_carry_and_skip_is_an_option() {
    let ctx = ctx();
    register_batch(&ctx, "s", small());
    let out = query(
        &ctx,
        "SELECT g, t, x, cumsum(x) OVER (PARTITION BY g ORDER BY t) AS carry, \
         cumsum(x, nulls => 'skip', dtype => NULL) OVER (PARTITION BY g ORDER BY t) AS skip, \
         cumsum(x, NULL, 'propagate') OVER (PARTITION BY g ORDER BY t) AS propagate, \
         cumsum(x, NULL, 'identity') OVER (PARTITION BY g ORDER BY t) AS identity \
         FROM s ORDER BY t",
    )
    .await
    .unwrap();
    assert_batches_eq!(
        [
            "+---+---+---+-------+------+-----------+----------+",
            "| g | t | x | carry | skip | propagate | identity |",
            "+---+---+---+-------+------+-----------+----------+",
            "| 1 | 1 | 1 | 1     | 1    | 1         | 1        |",
            "| 1 | 2 |   | 1     |      |           | 1        |",
            "| 1 | 3 | 2 | 3     | 3    |           | 3        |",
            "| 2 | 4 |   |       |      |           | 0        |",
            "| 2 | 5 | 5 | 5     | 5    |           | 5        |",
            "| 3 | 6 |   |       |      |           | 0        |",
            "+---+---+---+-------+------+-----------+----------+",
        ],
        &[out]
    );
}

/// The default (Carry) equals DataFusion's running sum, on 300 groups, for integers
/// (int32 widens to int64 in both) and doubles (both add left to right).
#[tokio::test]
async fn default_equals_sql_running_sum_on_many_groups() {
    let mut rng = Lcg(3);
    let rows = 5000;
    let ints = Int32Array::from(
        (0..rows)
            .map(|_| (rng.below(5) != 0).then(|| rng.below(2001) as i32 - 1000))
            .collect::<Vec<_>>(),
    );
    let floats = Float64Array::from(
        (0..rows)
            .map(|_| (rng.below(5) != 0).then(|| rng.below(10_000) as f64 / 7.0))
            .collect::<Vec<_>>(),
    );
    let batch = grouped_table(
        rows,
        300,
        vec![
            (Field::new("i", DataType::Int32, true), Arc::new(ints)),
            (Field::new("f", DataType::Float64, true), Arc::new(floats)),
        ],
        5,
    );
    let ctx = ctx();
    register_batch(&ctx, "data", batch);
    for dir in ["ASC", "DESC"] {
        let w = format!("PARTITION BY g ORDER BY t {dir}");
        let out = query(
            &ctx,
            &format!(
                "SELECT g, t, i, f, cumsum(i) OVER ({w}) AS ci, cumsum(f) OVER ({w}) AS cf, \
                 sum(i) OVER ({w} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS si, \
                 sum(f) OVER ({w} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS sf \
                 FROM data ORDER BY g, t {dir}"
            ),
        )
        .await
        .unwrap();
        let col = |n: &str| Arc::clone(out.column_by_name(n).unwrap());
        assert_same(
            col("si").as_ref(),
            col("ci").as_ref(),
            &format!("int running sum {dir}"),
        );
        assert_same(
            col("sf").as_ref(),
            col("cf").as_ref(),
            &format!("double running sum {dir}"),
        );
        check_groups(&out, "i", "ci", Operation::Cumsum, &sql_defaults());
        assert!(out.num_rows() == rows);
    }
}

/// `reverse => true` scans each partition from its last row; it equals ORDER BY DESC
/// (with unique t) and the core's reverse scan.
#[tokio::test]
async fn reverse_scans_from_the_end_of_each_partition() {
    let ctx = ctx();
    let mut rng = Lcg(9);
    let x = Int64Array::from((0..400).map(|_| rng.below(100) as i64).collect::<Vec<_>>());
    register_batch(
        &ctx,
        "data",
        grouped_table(
            400,
            17,
            vec![(Field::new("x", DataType::Int64, false), Arc::new(x))],
            4,
        ),
    );
    let out = query(
        &ctx,
        "SELECT g, t, x, cumprod(x, NULL, NULL, NULL, NULL, true) OVER (PARTITION BY g ORDER BY t) AS r, \
         cumprod(x) OVER (PARTITION BY g ORDER BY t DESC) AS d FROM data ORDER BY g, t",
    )
    .await
    .unwrap();
    let options = sql_defaults().with_reverse(true);
    check_groups(&out, "x", "r", Operation::Cumprod, &options);
    assert_same(
        out.column_by_name("d").unwrap(),
        out.column_by_name("r").unwrap(),
        "DESC = reverse",
    );
}

/// Without OVER: one partition in the input's order, or in the call's ORDER BY; the column
/// is named like the call.
#[tokio::test]
async fn no_over_clause_scans_the_whole_input() {
    let ctx = ctx();
    let mut rng = Lcg(21);
    let n = 20_000; // several batches after the scan
    let x = Int32Array::from(
        (0..n)
            .map(|_| (rng.below(10) != 0).then(|| rng.below(100) as i32))
            .collect::<Vec<_>>(),
    );
    let t = Int64Array::from(
        (0..n as i64)
            .map(|i| (i * 7919) % n as i64)
            .collect::<Vec<_>>(),
    );
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("t", DataType::Int64, false),
            Field::new("x", DataType::Int32, true),
        ])),
        vec![Arc::new(t), Arc::new(x.clone())],
    )
    .unwrap();
    // Several batches in one partition: a stream in order.
    let batches: Vec<RecordBatch> = (0..n)
        .step_by(4096)
        .map(|s| batch.slice(s, 4096.min(n - s)))
        .collect();
    let table = datafusion::datasource::MemTable::try_new(batch.schema(), vec![batches]).unwrap();
    ctx.register_table("data", Arc::new(table)).unwrap();

    let out = query(&ctx, "SELECT t, x, cumsum(x) FROM data")
        .await
        .unwrap();
    assert_eq!(out.schema().field(2).name(), "cumsum(data.x)");
    let expected = cumulus::scan(Operation::Cumsum, &x, &sql_defaults()).unwrap();
    assert_same(
        expected.as_ref(),
        out.column(2).as_ref(),
        "no OVER, input order",
    );
    assert_same(&x, out.column(1).as_ref(), "rows kept in input order");

    let out = query(
        &ctx,
        "SELECT t, x, cumsum(x ORDER BY t DESC) AS y FROM data ORDER BY t DESC",
    )
    .await
    .unwrap();
    let x_sorted = out.column(1);
    let expected = cumulus::scan(Operation::Cumsum, x_sorted.as_ref(), &sql_defaults()).unwrap();
    assert_same(
        expected.as_ref(),
        out.column(2).as_ref(),
        "no OVER, ORDER BY t DESC",
    );

    let out = query(
        &ctx,
        "SELECT cummax(x, dtype => 'float64', nulls => 'skip') FROM data",
    )
    .await
    .unwrap();
    assert_eq!(out.schema().field(0).data_type(), &DataType::Float64);
    assert_eq!(
        out.schema().field(0).name(),
        "cummax(data.x,Utf8(\"float64\"),Utf8(\"skip\"))"
    );
    let options = sql_defaults()
        .with_nulls(NullPolicy::Skip)
        .with_dtype(DataType::Float64);
    let expected = cumulus::scan(Operation::Cummax, &x, &options).unwrap();
    assert_same(
        expected.as_ref(),
        out.column(0).as_ref(),
        "no OVER with options",
    );
}

#[tokio::test]
async fn no_over_small_table_reads_well() {
    let ctx = ctx();
    register_batch(&ctx, "s", small());
    let out = query(
        &ctx,
        "SELECT t, x, cumsum(x), cumprod(x, nulls => 'identity', dtype => NULL) AS p FROM s",
    )
    .await
    .unwrap();
    assert_batches_eq!(
        [
            "+---+---+-------------+----+",
            "| t | x | cumsum(s.x) | p  |",
            "+---+---+-------------+----+",
            "| 1 | 1 | 1           | 1  |",
            "| 2 |   | 1           | 1  |",
            "| 3 | 2 | 3           | 2  |",
            "| 4 |   | 3           | 2  |",
            "| 5 | 5 | 8           | 10 |",
            "| 6 |   | 8           | 10 |",
            "+---+---+-------------+----+",
        ],
        &[out]
    );
}

/// Two calls that differ only in options get different column names and values.
#[tokio::test]
async fn calls_with_different_options_coexist() {
    let ctx = ctx();
    register_batch(&ctx, "s", small());
    let out = query(
        &ctx,
        "SELECT cumsum(x) OVER (ORDER BY t), cumsum(x, NULL, 'skip') OVER (ORDER BY t) FROM s",
    )
    .await
    .unwrap();
    let names: Vec<_> = out
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        names,
        [
            "cumsum(s.x) ORDER BY [s.t ASC NULLS LAST] RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
            "cumsum(s.x,NULL,Utf8(\"skip\")) ORDER BY [s.t ASC NULLS LAST] RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
        ]
    );
    assert_eq!(out.column(0).null_count(), 0, "carry: [1, 1, 3, 3, 8, 8]");
    assert_eq!(
        out.column(1).null_count(),
        3,
        "skip: [1, null, 3, null, 8, null]"
    );
}

/// The window can feed expressions, subqueries and ORDER BY like any column.
#[tokio::test]
async fn results_compose_with_other_sql() {
    let ctx = ctx();
    register_batch(&ctx, "s", small());
    let out = query(
        &ctx,
        "SELECT t, c * 2 AS twice FROM (SELECT t, cumsum(x, 'float64') OVER (ORDER BY t) AS c FROM s) \
         WHERE c > 1 ORDER BY c DESC, t",
    )
    .await
    .unwrap();
    assert_batches_eq!(
        [
            "+---+-------+",
            "| t | twice |",
            "+---+-------+",
            "| 5 | 16.0  |",
            "| 6 | 16.0  |",
            "| 3 | 6.0   |",
            "| 4 | 6.0   |",
            "+---+-------+",
        ],
        &[out]
    );
}
