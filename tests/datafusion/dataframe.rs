//! The DataFrame API builders, and the registered functions called by hand.

use std::sync::Arc;

use arrow::array::Int32Array;
use arrow::datatypes::{DataType, Field};
use cumulus::datafusion::{cumsum, cumsum_udwf, nancumprod, sql_defaults};
use cumulus::{NullPolicy, Operation, Overflow};
use datafusion::common::ScalarValue;
use datafusion::prelude::*;

use crate::common::{Lcg, assert_same, check_groups, ctx, grouped_table, register_batch};

fn data(ctx: &SessionContext) {
    let mut rng = Lcg(77);
    let x = Int32Array::from(
        (0..800)
            .map(|_| (rng.below(6) != 0).then(|| rng.below(300) as i32 - 150))
            .collect::<Vec<_>>(),
    );
    let batch = grouped_table(
        800,
        40,
        vec![(Field::new("x", DataType::Int32, true), Arc::new(x))],
        78,
    );
    register_batch(ctx, "data", batch);
}

async fn collect(df: DataFrame) -> arrow::array::RecordBatch {
    let schema = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await.unwrap();
    arrow::compute::concat_batches(&schema, &batches).unwrap()
}

#[tokio::test]
async fn builders_with_options_match_sql_and_the_core() {
    let ctx = ctx();
    data(&ctx);
    let window = cumsum(col("x"))
        .dtype(DataType::Int8)
        .nulls(NullPolicy::Skip)
        .partition_by(vec![col("g")])
        .order_by(vec![col("t").sort(true, false)])
        .build()
        .unwrap()
        .alias("y");
    let df = ctx
        .table("data")
        .await
        .unwrap()
        .select(vec![col("g"), col("t"), col("x"), window])
        .unwrap()
        .sort(vec![col("g").sort(true, false), col("t").sort(true, false)])
        .unwrap();
    // The output type follows dtype before anything runs.
    assert_eq!(
        df.schema().field_with_name(None, "y").unwrap().data_type(),
        &DataType::Int8
    );
    let out = collect(df).await;
    let options = sql_defaults()
        .with_dtype(DataType::Int8)
        .with_nulls(NullPolicy::Skip);
    check_groups(&out, "x", "y", Operation::Cumsum, &options);

    let sql = crate::common::query(
        &ctx,
        "SELECT cumsum(x, 'int8', 'skip') OVER (PARTITION BY g ORDER BY t) AS y FROM data ORDER BY g, t",
    )
    .await
    .unwrap();
    assert_same(
        sql.column(0).as_ref(),
        out.column_by_name("y").unwrap().as_ref(),
        "DataFrame = SQL",
    );
}

#[tokio::test]
async fn builder_without_window_clauses_and_with_every_option() {
    let ctx = ctx();
    data(&ctx);
    let e = nancumprod(col("x"))
        .dtype(DataType::Float64)
        .overflow(Overflow::Error)
        .axis(0)
        .reverse(true)
        .into_expr()
        .alias("y");
    let df = ctx
        .table("data")
        .await
        .unwrap()
        .select(vec![col("x"), e])
        .unwrap();
    let out = collect(df).await;
    let options = sql_defaults()
        .with_dtype(DataType::Float64)
        .with_overflow(Overflow::Error)
        .with_reverse(true);
    let expected = cumulus::scan(Operation::NanCumprod, out.column(0).as_ref(), &options).unwrap();
    assert_same(
        expected.as_ref(),
        out.column(1).as_ref(),
        "whole input, reversed",
    );
}

/// The registered (generic) function called by hand with option arguments: options that
/// keep the announced type are honoured, others are a plan error that says what to do.
#[tokio::test]
async fn generic_function_with_option_arguments() {
    let ctx = ctx();
    data(&ctx);
    let table = || async { ctx.table("data").await.unwrap() };
    // Positionally as before, and by value.
    for args in [vec![lit(ScalarValue::Null), lit("skip")], vec![lit("skip")]] {
        let skip = cumsum_udwf()
            .call([vec![col("x")], args].concat())
            .partition_by(vec![col("g")])
            .order_by(vec![col("t").sort(true, false)])
            .build()
            .unwrap()
            .alias("y");
        let df = table()
            .await
            .select(vec![col("g"), col("t"), col("x"), skip])
            .unwrap()
            .sort(vec![col("g").sort(true, false), col("t").sort(true, false)])
            .unwrap();
        let out = collect(df).await;
        check_groups(
            &out,
            "x",
            "y",
            Operation::Cumsum,
            &sql_defaults().with_nulls(NullPolicy::Skip),
        );
    }

    let float = cumsum_udwf()
        .call(vec![col("x"), lit("float64")])
        .order_by(vec![col("t").sort(true, false)])
        .build()
        .unwrap();
    let err = table()
        .await
        .select(vec![float])
        .unwrap()
        .collect()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cumsum: the options")
            && err.contains("give type Float64 but the call was planned for Int64"),
        "{err}"
    );
}

/// Column names include the options, so equal calls share a name and different ones don't.
#[test]
fn builder_expressions_spell_their_options() {
    let e = cumsum(col("x"))
        .dtype(DataType::Decimal128(20, 2))
        .into_expr();
    assert_eq!(
        e.schema_name().to_string(),
        "cumsum(x,Utf8(\"Decimal128(20, 2)\")) ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
    );
    let plain = cumsum(col("x")).into_expr();
    assert_eq!(
        plain.schema_name().to_string(),
        "cumsum(x) ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
    );
}
