//! Every input type and every operation through SQL, against the core on the same data.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, Decimal256Array, DurationMicrosecondArray,
    DurationMillisecondArray, DurationNanosecondArray, DurationSecondArray, Float16Array,
    Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Int64Array, RecordBatch,
    UInt8Array, UInt16Array, UInt32Array, UInt64Array,
};
use arrow::datatypes::{DataType, Field, i256};
use cumulus::datafusion::sql_defaults;
use cumulus::{NullPolicy, Operation};
use half::f16;

use crate::common::{
    Lcg, check_groups, ctx, error_of, grouped_table, planning, query, register_batch,
};

/// `rows` values from `f`, null where the generator says so (about one in eight).
fn values<T>(rng: &mut Lcg, rows: usize, mut f: impl FnMut(&mut Lcg) -> T) -> Vec<Option<T>> {
    (0..rows)
        .map(|_| {
            let v = f(rng);
            (rng.below(8) != 0).then_some(v)
        })
        .collect()
}

fn small_float(rng: &mut Lcg) -> f64 {
    match rng.below(40) {
        0 => f64::NAN,
        1 => -0.0,
        _ => (rng.below(20_001) as f64 - 10_000.0) / 100.0,
    }
}

/// One column per supported type, named `x_<type>`.
pub fn all_types_table(rows: usize, groups: u64, seed: u64) -> RecordBatch {
    let mut rng = Lcg(seed);
    let r = &mut rng;
    let wide = |r: &mut Lcg| r.next().wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let cols: Vec<(&str, ArrayRef)> = vec![
        (
            "x_bool",
            Arc::new(BooleanArray::from(values(r, rows, |r| r.below(2) == 1))),
        ),
        (
            "x_int8",
            Arc::new(Int8Array::from(values(r, rows, |r| wide(r) as i8))),
        ),
        (
            "x_int16",
            Arc::new(Int16Array::from(values(r, rows, |r| wide(r) as i16))),
        ),
        (
            "x_int32",
            Arc::new(Int32Array::from(values(r, rows, |r| wide(r) as i32))),
        ),
        (
            "x_int64",
            Arc::new(Int64Array::from(values(r, rows, |r| wide(r) as i64))),
        ),
        (
            "x_uint8",
            Arc::new(UInt8Array::from(values(r, rows, |r| wide(r) as u8))),
        ),
        (
            "x_uint16",
            Arc::new(UInt16Array::from(values(r, rows, |r| wide(r) as u16))),
        ),
        (
            "x_uint32",
            Arc::new(UInt32Array::from(values(r, rows, |r| wide(r) as u32))),
        ),
        (
            "x_uint64",
            Arc::new(UInt64Array::from(values(r, rows, wide))),
        ),
        (
            "x_float16",
            Arc::new(Float16Array::from(values(r, rows, |r| {
                f16::from_f64(small_float(r))
            }))),
        ),
        (
            "x_float32",
            Arc::new(Float32Array::from(values(r, rows, |r| {
                small_float(r) as f32
            }))),
        ),
        (
            "x_float64",
            Arc::new(Float64Array::from(values(r, rows, small_float))),
        ),
        (
            "x_decimal128",
            Arc::new(
                Decimal128Array::from(values(r, rows, |r| {
                    r.below(2_000_000_001) as i128 - 1_000_000_000
                }))
                .with_precision_and_scale(10, 2)
                .unwrap(),
            ),
        ),
        (
            "x_decimal256",
            Arc::new(
                Decimal256Array::from(values(r, rows, |r| {
                    i256::from_i128(r.next() as i128 - (1 << 52))
                }))
                .with_precision_and_scale(20, 3)
                .unwrap(),
            ),
        ),
        (
            "x_duration_s",
            Arc::new(DurationSecondArray::from(values(r, rows, |r| {
                r.below(100_000) as i64
            }))),
        ),
        (
            "x_duration_ms",
            Arc::new(DurationMillisecondArray::from(values(r, rows, |r| {
                wide(r) as i64
            }))),
        ),
        (
            "x_duration_us",
            Arc::new(DurationMicrosecondArray::from(values(r, rows, |r| {
                r.below(1 << 40) as i64
            }))),
        ),
        (
            "x_duration_ns",
            Arc::new(DurationNanosecondArray::from(values(r, rows, |r| {
                r.below(1 << 50) as i64 - (1 << 49)
            }))),
        ),
    ];
    let columns = cols
        .into_iter()
        .map(|(name, a)| (Field::new(name, a.data_type().clone(), true), a))
        .collect();
    grouped_table(rows, groups, columns, seed + 1)
}

/// Every operation on every type, PARTITION BY 150 groups, ORDER BY ASC and DESC, equal to
/// `cumulus::scan` group by group; unsupported combinations fail with the core's message.
#[tokio::test]
async fn every_type_and_operation_matches_the_core() {
    let ctx = ctx();
    let batch = all_types_table(3000, 150, 7);
    let schema = batch.schema();
    register_batch(&ctx, "data", batch);
    let mut checked = 0;
    for field in schema.fields().iter().skip(2) {
        let x = field.name();
        for (i, op) in Operation::ALL.into_iter().enumerate() {
            let desc = (i + x.len()) % 2 == 1;
            let dir = if desc { "DESC" } else { "ASC" };
            let sql = format!(
                "SELECT g, t, {x}, {op}({x}) OVER (PARTITION BY g ORDER BY t {dir}) AS y FROM data ORDER BY g, t {dir}"
            );
            match cumulus::result_type(op, field.data_type(), &sql_defaults()) {
                Ok(expected_type) => {
                    let out = query(&ctx, &sql)
                        .await
                        .unwrap_or_else(|e| panic!("{sql}: {e}"));
                    assert_eq!(
                        out.schema().field_with_name("y").unwrap().data_type(),
                        &expected_type
                    );
                    check_groups(&out, x, "y", op, &sql_defaults());
                    checked += 1;
                }
                Err(core) => {
                    let err = error_of(&ctx, &sql).await;
                    assert_eq!(err, planning(&core), "{sql}");
                }
            }
        }
    }
    assert_eq!(
        checked,
        12 * 6 + 6 * 4,
        "products of decimals and durations are errors"
    );
}

/// Every null policy on a few types, against the core.
#[tokio::test]
async fn every_null_policy_matches_the_core() {
    let ctx = ctx();
    let batch = all_types_table(1500, 60, 11);
    register_batch(&ctx, "data", batch);
    for policy in ["skip", "propagate", "carry", "identity"] {
        let options = sql_defaults().with_nulls(policy.parse::<NullPolicy>().unwrap());
        for (x, op) in [
            ("x_int32", Operation::Cumsum),
            ("x_float64", Operation::NanCumsum),
            ("x_float32", Operation::Cumprod),
            ("x_uint16", Operation::Cummax),
            ("x_decimal128", Operation::Cummin),
            ("x_duration_ms", Operation::Cumsum),
            ("x_bool", Operation::Cumsum),
        ] {
            let sql = format!(
                "SELECT g, t, {x}, {op}({x}, nulls => '{policy}', dtype => NULL) OVER (PARTITION BY g ORDER BY t) AS y FROM data ORDER BY g, t"
            );
            let out = query(&ctx, &sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            check_groups(&out, x, "y", op, &options);
        }
    }
}

/// `dtype` changes the output type in the plan and in the data; the scan runs in it.
#[tokio::test]
async fn dtype_sets_the_output_type_at_planning() {
    let ctx = ctx();
    let batch = all_types_table(1000, 20, 13);
    register_batch(&ctx, "data", batch);
    for (x, dtype, expected) in [
        ("x_int32", "float64", DataType::Float64),
        ("x_int64", "int8", DataType::Int8),
        ("x_float64", "int64", DataType::Int64),
        ("x_uint8", "Float32", DataType::Float32),
        ("x_bool", "bool", DataType::Boolean),
        ("x_float16", "float16", DataType::Float16),
        (
            "x_decimal128",
            "Decimal128(30, 2)",
            DataType::Decimal128(30, 2),
        ),
    ] {
        let sql = format!(
            "SELECT g, t, {x}, cumsum({x}, dtype => '{dtype}') OVER (PARTITION BY g ORDER BY t) AS y FROM data ORDER BY g, t"
        );
        let df = ctx.sql(&sql).await.unwrap();
        let planned = df
            .schema()
            .field_with_name(None, "y")
            .unwrap()
            .data_type()
            .clone();
        assert_eq!(planned, expected, "{sql}: logical type");
        let out = query(&ctx, &sql).await.unwrap();
        let options = sql_defaults().with_dtype(expected.clone());
        check_groups(&out, x, "y", Operation::Cumsum, &options);
    }
}

/// A dictionary-encoded column scans as its values.
#[tokio::test]
async fn dictionary_columns_scan_their_values() {
    use arrow::array::{DictionaryArray, Int64Array as Values};
    use arrow::datatypes::Int32Type;
    let keys = arrow::array::Int32Array::from(vec![Some(0), Some(1), None, Some(1), Some(0)]);
    let dict =
        DictionaryArray::<Int32Type>::try_new(keys, Arc::new(Values::from(vec![10, 32]))).unwrap();
    let plain = arrow::compute::cast(&dict, &DataType::Int64).unwrap();
    let batch = grouped_table(
        5,
        1,
        vec![(
            Field::new("d", dict.data_type().clone(), true),
            Arc::new(dict) as ArrayRef,
        )],
        3,
    );
    let ctx = ctx();
    register_batch(&ctx, "data", batch);
    let out = query(
        &ctx,
        "SELECT t, cumsum(d) OVER (ORDER BY t) AS y FROM data ORDER BY t",
    )
    .await
    .unwrap();
    let expected = cumulus::scan(Operation::Cumsum, plain.as_ref(), &sql_defaults()).unwrap();
    // grouped_table shuffles rows; t is the original position.
    crate::common::assert_same(expected.as_ref(), out.column(1).as_ref(), "dictionary");
}
