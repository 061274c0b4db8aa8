//! Result types (NumPy's, beside Polars' built-ins), float arithmetic, empty frames and
//! literal inputs.

use cumulus::polars::{CumulusExpr, scan_series};
use cumulus::{Operation, ScanOptions};
use polars::prelude::*;

fn typed_frame() -> DataFrame {
    let df = df![
        "b" => [true, false, true],
        "i8" => [1i8, 2, 3],
        "i16" => [1i16, 2, 3],
        "i32" => [1i32, 2, 3],
        "i64" => [1i64, 2, 3],
        "u8" => [1u8, 2, 3],
        "u16" => [1u16, 2, 3],
        "u32" => [1u32, 2, 3],
        "u64" => [1u64, 2, 3],
        "f32" => [1f32, 2., 3.],
        "f64" => [1f64, 2., 3.],
    ]
    .unwrap();
    let f16 = df.column("f32").unwrap().cast(&DataType::Float16).unwrap();
    df.hstack(&[f16.with_name("f16".into())]).unwrap()
}

fn schema_of(exprs: Vec<Expr>) -> Vec<(String, DataType)> {
    let out = typed_frame().lazy().select(exprs).collect().unwrap();
    out.columns()
        .iter()
        .map(|c| (c.name().to_string(), c.dtype().clone()))
        .collect()
}

const NAMES: [&str; 12] = [
    "b", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f16", "f32", "f64",
];

#[test]
fn numpy_result_types_beside_polars_built_ins() {
    use DataType::*;
    let exprs = |f: fn(Expr) -> Expr| NAMES.iter().map(|n| f(col(*n))).collect::<Vec<_>>();
    let types = |schema: Vec<(std::string::String, DataType)>| {
        schema.into_iter().map(|(_, t)| t).collect::<Vec<_>>()
    };
    let ours = types(schema_of(exprs(|e| e.np_cumsum(ScanOptions::default()))));
    let theirs = types(schema_of(exprs(|e| e.cum_sum(false))));
    assert_eq!(
        ours,
        [
            Int64, Int64, Int64, Int64, Int64, UInt64, UInt64, UInt64, UInt64, Float16, Float32,
            Float64
        ]
    );
    assert_eq!(
        theirs,
        [
            UInt32, Int64, Int64, Int32, Int64, Int64, Int64, UInt32, UInt64, Float16, Float32,
            Float64
        ]
    );
    let prod = types(schema_of(exprs(|e| e.np_cumprod(ScanOptions::default()))));
    assert_eq!(prod, ours);
    let max = types(schema_of(exprs(|e| e.np_cummax(ScanOptions::default()))));
    assert_eq!(
        max,
        [
            Boolean, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Float16, Float32,
            Float64
        ]
    );
    // The planned types are the computed ones.
    let planned = typed_frame()
        .lazy()
        .select(exprs(|e| e.np_cumsum(ScanOptions::default())))
        .collect_schema()
        .unwrap();
    assert_eq!(planned.iter_values().cloned().collect::<Vec<_>>(), ours);
}

#[test]
fn float32_sums_round_in_float32_unlike_polars() {
    let df = df!["x" => vec![0.1f32; 10]].unwrap();
    let out = df
        .lazy()
        .select([
            col("x").np_cumsum(ScanOptions::default()).alias("numpy"),
            col("x").cum_sum(false).alias("polars"),
        ])
        .collect()
        .unwrap();
    let bits = |name: &str| {
        out.column(name)
            .unwrap()
            .f32()
            .unwrap()
            .get(6)
            .unwrap()
            .to_bits()
    };
    assert_eq!(bits("numpy"), 0x3f33_3334); // np.cumsum, step by step in float32
    assert_eq!(bits("polars"), 0x3f33_3333); // accumulated in float64
}

#[test]
fn nan_propagates_in_cummax_and_the_first_output_is_the_first_input() {
    let df = df!["x" => [-0.0f64, f64::NAN, 2.0]].unwrap();
    let out = df
        .lazy()
        .select([
            col("x").np_cummax(ScanOptions::default()).alias("numpy"),
            col("x").cum_max(false).alias("polars"),
            col("x").np_cumsum(ScanOptions::default()).alias("sum"),
        ])
        .collect()
        .unwrap();
    let numpy: Vec<f64> = out
        .column("numpy")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    let polars: Vec<f64> = out
        .column("polars")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert!(numpy[1].is_nan() && numpy[2].is_nan());
    assert_eq!(polars[2], 2.0);
    let sum = out.column("sum").unwrap().f64().unwrap().get(0).unwrap();
    assert!(sum == 0.0 && sum.is_sign_negative());
}

#[test]
fn empty_frames_promote_in_every_context() {
    let empty = df!["g" => Vec::<i64>::new(), "x" => Vec::<i8>::new()].unwrap();
    for engine in [Engine::InMemory, Engine::Streaming] {
        let run = |lf: LazyFrame| lf.collect_with_engine(engine).unwrap().unwrap_single();
        let sum = || col("x").np_cumsum(ScanOptions::default());
        let out = run(empty.clone().lazy().select([sum()]));
        assert_eq!(
            (out.height(), out.column("x").unwrap().dtype()),
            (0, &DataType::Int64)
        );
        let out = run(empty
            .clone()
            .lazy()
            .with_columns([sum().over([col("g")]).unwrap().alias("cs")]));
        assert_eq!(
            (out.height(), out.column("cs").unwrap().dtype()),
            (0, &DataType::Int64)
        );
        let out = run(empty.clone().lazy().group_by([col("g")]).agg([sum()]));
        assert_eq!(out.height(), 0);
        assert_eq!(
            out.column("x").unwrap().dtype(),
            &DataType::List(Box::new(DataType::Int64))
        );
    }
    // The zero-groups call hands the function a length-0 scalar column.
    let scalar = Column::full_null("x".into(), 0, &DataType::Int8);
    let out = scan_series(
        Operation::Cumsum,
        scalar.as_materialized_series(),
        &ScanOptions::default(),
    )
    .unwrap();
    assert_eq!((out.len(), out.dtype()), (0, &DataType::Int64));
}

#[test]
fn a_literal_input_is_scanned_as_its_one_value() {
    let df = df!["x" => [1i64, 2, 3]].unwrap();
    let out = df
        .lazy()
        .select([
            col("x"),
            lit(5).np_cumsum(ScanOptions::default()).alias("five"),
        ])
        .collect()
        .unwrap();
    let five = out.column("five").unwrap();
    assert_eq!(five.dtype(), &DataType::Int64);
    assert_eq!(five.len(), 3);
}

/// The README's claim: Polars' own `cum_sum` does not scan an `Array` column; ours does.
#[test]
fn polars_cum_sum_rejects_array_columns_and_np_cumsum_scans_them() {
    let df = df!["x" => [1i64, 2, 3, 4]]
        .unwrap()
        .lazy()
        .select([col("x").reshape(&[-1, 2]).alias("a")])
        .collect()
        .unwrap();
    assert!(matches!(
        df.column("a").unwrap().dtype(),
        DataType::Array(_, 2)
    ));
    let theirs = df
        .clone()
        .lazy()
        .select([col("a").cum_sum(false)])
        .collect();
    assert!(theirs.is_err(), "{theirs:?}");
    let ours = df
        .lazy()
        .select([col("a").np_cumsum(ScanOptions::default().with_axis(0))])
        .collect()
        .unwrap();
    let values = ours.column("a").unwrap().array().unwrap().get_inner();
    let values: Vec<_> = values.i64().unwrap().into_no_null_iter().collect();
    assert_eq!(values, [1, 2, 4, 6]);
}
