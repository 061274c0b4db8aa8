//! CSV and Parquet files written by the test, scanned through SQL.

use std::fmt::Write as _;
use std::fs::File;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, FixedSizeListArray, Int16Array};
use arrow::datatypes::{DataType, Field};
use cumulus::datafusion::sql_defaults;
use cumulus::{NullPolicy, Operation};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, col};

use crate::common::{Lcg, check_groups, ctx, query};
use crate::types::all_types_table;

#[tokio::test]
async fn csv_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trades.csv");
    let mut rng = Lcg(31);
    let mut text = String::from("g,t,qty,price\n");
    for t in 0..2000 {
        let g = rng.below(120);
        let qty = if rng.below(9) == 0 {
            String::new()
        } else {
            (rng.below(1000) as i64 - 500).to_string()
        };
        let price = if rng.below(9) == 0 {
            String::new()
        } else {
            format!("{:.3}", rng.below(100_000) as f64 / 1000.0)
        };
        writeln!(text, "{g},{t},{qty},{price}").unwrap();
    }
    std::fs::write(&path, text).unwrap();
    let ctx = ctx();
    ctx.register_csv("trades", path.to_str().unwrap(), CsvReadOptions::new())
        .await
        .unwrap();
    for (x, op, args, options) in [
        ("qty", Operation::Cumsum, "", sql_defaults()),
        (
            "qty",
            Operation::Cumprod,
            ", 'int32', 'skip'",
            sql_defaults()
                .with_dtype(DataType::Int32)
                .with_nulls(NullPolicy::Skip),
        ),
        ("price", Operation::Cumsum, "", sql_defaults()),
        (
            "price",
            Operation::Cummax,
            ", NULL, 'propagate'",
            sql_defaults().with_nulls(NullPolicy::Propagate),
        ),
    ] {
        for dir in ["ASC", "DESC"] {
            let sql = format!(
                "SELECT g, t, {x}, {op}({x}{args}) OVER (PARTITION BY g ORDER BY t {dir}) AS y FROM trades ORDER BY g, t {dir}"
            );
            let out = query(&ctx, &sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            assert_eq!(out.num_rows(), 2000);
            check_groups(&out, x, "y", op, &options);
        }
    }
    // The no-OVER form over a file: one partition in file order.
    let out = query(&ctx, "SELECT t, qty, cumsum(qty) AS y FROM trades")
        .await
        .unwrap();
    let expected =
        cumulus::scan(Operation::Cumsum, out.column(1).as_ref(), &sql_defaults()).unwrap();
    crate::common::assert_same(
        expected.as_ref(),
        out.column(2).as_ref(),
        "no OVER over CSV",
    );
}

/// Every type (and a FixedSizeList column) through a Parquet file, sorted by (g, t) and
/// declared so.
#[tokio::test]
async fn parquet_file_every_type() {
    let batch = all_types_table(2500, 90, 41);
    // Add a FixedSizeList column.
    let mut rng = Lcg(42);
    let values = Int16Array::from(
        (0..2500 * 2)
            .map(|_| (rng.below(7) != 0).then(|| rng.below(100) as i16))
            .collect::<Vec<_>>(),
    );
    let v = FixedSizeListArray::new(
        Arc::new(Field::new("item", DataType::Int16, true)),
        2,
        Arc::new(values),
        None,
    );
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    fields.push(Field::new("x_vector", v.data_type().clone(), true));
    columns.push(Arc::new(v));
    let batch = arrow::array::RecordBatch::try_new(
        Arc::new(arrow::datatypes::Schema::new(fields)),
        columns,
    )
    .unwrap();
    // Sort by (g, t) so the declared order is true.
    let batch = crate::common::sorted_by_first_two_columns(&batch);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.parquet");
    let mut writer =
        ArrowWriter::try_new(File::create(&path).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();

    let ctx = ctx();
    let order = vec![vec![col("g").sort(true, false), col("t").sort(true, false)]];
    ctx.register_parquet(
        "pq",
        path.to_str().unwrap(),
        ParquetReadOptions::default().file_sort_order(order),
    )
    .await
    .unwrap();
    let schema = ctx.table("pq").await.unwrap().schema().as_arrow().clone();
    assert!(schema.fields().len() == batch.num_columns());
    for field in schema.fields().iter().skip(2) {
        let x = field.name();
        for op in [Operation::Cumsum, Operation::Cummax] {
            let sql = format!(
                "SELECT g, t, {x}, {op}({x}) OVER (PARTITION BY g ORDER BY t) AS y FROM pq ORDER BY g, t"
            );
            let out = query(&ctx, &sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            assert_eq!(out.num_rows(), 2500);
            check_groups(&out, x, "y", op, &sql_defaults());
        }
    }
    // The types came back as written.
    assert_eq!(
        schema.field_with_name("x_float16").unwrap().data_type(),
        &DataType::Float16
    );
    assert_eq!(
        schema.field_with_name("x_vector").unwrap().data_type(),
        batch
            .schema()
            .field_with_name("x_vector")
            .unwrap()
            .data_type()
    );
}
