//! FixedSizeList and tensor columns: a running vector down the rows by default.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, FixedSizeListArray, Float64Array, Int32Array, RecordBatch};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Field, Schema};
use cumulus::datafusion::sql_defaults;
use cumulus::{NullPolicy, Operation};
use datafusion::assert_batches_eq;

use crate::common::{Lcg, check_groups, ctx, grouped_table, query, register_batch};

fn vectors(rows: usize, width: i32, seed: u64) -> FixedSizeListArray {
    let mut rng = Lcg(seed);
    let n = rows * width as usize;
    let values = Int32Array::from(
        (0..n)
            .map(|_| (rng.below(10) != 0).then(|| rng.below(200) as i32 - 100))
            .collect::<Vec<_>>(),
    );
    let rows_valid = NullBuffer::from((0..rows).map(|_| rng.below(12) != 0).collect::<Vec<_>>());
    FixedSizeListArray::new(
        Arc::new(Field::new("item", DataType::Int32, true)),
        width,
        Arc::new(values),
        Some(rows_valid),
    )
}

#[tokio::test]
async fn small_vectors_read_well() {
    let item = Arc::new(Field::new("item", DataType::Int32, false));
    let v = FixedSizeListArray::new(
        Arc::clone(&item),
        2,
        Arc::new(Int32Array::from(vec![1, 2, 0, 0, 3, 4])),
        Some(NullBuffer::from(vec![true, false, true])),
    );
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("t", DataType::Int64, false),
            Field::new("v", v.data_type().clone(), true),
        ])),
        vec![
            Arc::new(arrow::array::Int64Array::from(vec![1, 2, 3])),
            Arc::new(v),
        ],
    )
    .unwrap();
    let ctx = ctx();
    register_batch(&ctx, "vs", batch);
    let out = query(
        &ctx,
        "SELECT t, v, cumsum(v) OVER (ORDER BY t) AS carry, \
         cumsum(v, NULL, 'skip') OVER (ORDER BY t) AS skip, \
         cumsum(v, NULL, NULL, NULL, 1) OVER (ORDER BY t) AS within_rows FROM vs",
    )
    .await
    .unwrap();
    assert_batches_eq!(
        [
            "+---+--------+--------+--------+-------------+",
            "| t | v      | carry  | skip   | within_rows |",
            "+---+--------+--------+--------+-------------+",
            "| 1 | [1, 2] | [1, 2] | [1, 2] | [1, 3]      |",
            // Carry within a null row: the row becomes a list of lanes with no value yet.
            "| 2 |        | [1, 2] |        | [, ]        |",
            "| 3 | [3, 4] | [4, 6] | [4, 6] | [3, 7]      |",
            "+---+--------+--------+--------+-------------+",
        ],
        &[out]
    );
}

/// FixedSizeList columns with nulls at both levels, PARTITION BY many groups, each axis
/// and policy, against the core.
#[tokio::test]
async fn fixed_size_lists_match_the_core() {
    let rows = 1200;
    let v = vectors(rows, 3, 5);
    let batch = grouped_table(
        rows,
        80,
        vec![(
            Field::new("v", v.data_type().clone(), true),
            Arc::new(v) as ArrayRef,
        )],
        6,
    );
    let ctx = ctx();
    register_batch(&ctx, "data", batch);
    for (args, options) in [
        ("", sql_defaults()),
        (
            ", NULL, 'skip'",
            sql_defaults().with_nulls(NullPolicy::Skip),
        ),
        (
            ", NULL, 'propagate'",
            sql_defaults().with_nulls(NullPolicy::Propagate),
        ),
        (
            ", NULL, 'identity', NULL, -1",
            sql_defaults()
                .with_nulls(NullPolicy::Identity)
                .with_axis(-1),
        ),
        (
            ", 'float32', NULL, NULL, 1",
            sql_defaults().with_dtype(DataType::Float32).with_axis(1),
        ),
    ] {
        for op in [Operation::Cumsum, Operation::Cummin, Operation::Cumprod] {
            let sql = format!(
                "SELECT g, t, v, {op}(v{args}) OVER (PARTITION BY g ORDER BY t) AS y FROM data ORDER BY g, t"
            );
            let out = query(&ctx, &sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            check_groups(&out, "v", "y", op, &options);
        }
    }
}

/// An `arrow.fixed_shape_tensor` column keeps its metadata and scans with the tensor's
/// dimensions: axis 2 runs along the rows of each 2 x 2 tensor.
#[tokio::test]
async fn tensors_keep_their_metadata_and_shape() {
    let rows = 300;
    let mut rng = Lcg(8);
    let values = Float64Array::from(
        (0..rows * 4)
            .map(|_| rng.below(1000) as f64 / 8.0)
            .collect::<Vec<_>>(),
    );
    let item = Arc::new(Field::new("item", DataType::Float64, false));
    let tensors = FixedSizeListArray::new(item, 4, Arc::new(values), None);
    let metadata: HashMap<String, String> = [
        (
            "ARROW:extension:name".to_string(),
            "arrow.fixed_shape_tensor".to_string(),
        ),
        (
            "ARROW:extension:metadata".to_string(),
            r#"{"shape":[2,2]}"#.to_string(),
        ),
    ]
    .into();
    let field = Field::new("m", tensors.data_type().clone(), false).with_metadata(metadata.clone());
    let batch = grouped_table(rows, 10, vec![(field, Arc::new(tensors) as ArrayRef)], 9);
    let ctx = ctx();
    register_batch(&ctx, "data", batch);
    for (axis, options) in [
        ("NULL", sql_defaults()),
        ("1", sql_defaults().with_axis(1)),
        ("2", sql_defaults().with_axis(2)),
    ] {
        let sql = format!(
            "SELECT g, t, m, cumsum(m, NULL, NULL, NULL, {axis}) OVER (PARTITION BY g ORDER BY t) AS y FROM data ORDER BY g, t"
        );
        let out = query(&ctx, &sql).await.unwrap();
        assert_eq!(
            out.schema().field_with_name("y").unwrap().metadata(),
            &metadata,
            "{sql}"
        );
        check_groups(&out, "m", "y", Operation::Cumsum, &options);
    }
    let message = crate::common::error_of(
        &ctx,
        "SELECT cumsum(m, NULL, NULL, NULL, 3) OVER (ORDER BY t) FROM data",
    )
    .await;
    assert_eq!(
        message,
        crate::common::planning("cumsum: axis 3 is out of bounds for array of dimension 3")
    );
}
