//! The adapter gives what the core gives on the same data: every element type, every
//! operation, null policy and direction, multi-chunk and sliced Series, through both
//! `scan_series` and the expression.

use arrow::array::{
    Array, BooleanArray, Decimal128Array, DurationMillisecondArray, Float16Array, PrimitiveArray,
};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType as ArrowType, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use cumulus::polars::{CumulusExpr, scan_series};
use cumulus::{NullPolicy, Operation, Overflow, ScanOptions};
use polars::prelude::{
    DataFrame, DataType, Int64Chunked, Int128Chunked, IntoColumn, IntoLazy, IntoSeries, NamedFrom,
    Series, TimeUnit, col,
};

use crate::{arrow_rows, arrow_type, chunked, polars_rows, root_error, sample};

const POLICIES: [NullPolicy; 4] = [
    NullPolicy::Skip,
    NullPolicy::Propagate,
    NullPolicy::Carry,
    NullPolicy::Identity,
];

/// Chunk sizes that put chunk starts at bit offsets 3, 4 and 5.
const CHUNKS: [usize; 3] = [3, 9, 1];

/// Every operation under every policy, both directions, plus `extra` options.
fn agree(series: &Series, arrow: &dyn Array, extra: &[ScanOptions]) {
    let mut all = vec![];
    for nulls in POLICIES {
        for reverse in [false, true] {
            all.push(
                ScanOptions::default()
                    .with_nulls(nulls)
                    .with_reverse(reverse),
            );
        }
    }
    all.extend_from_slice(extra);
    for options in &all {
        for op in Operation::ALL {
            check(op, series, arrow, options);
        }
    }
}

/// `scan_series` and the expression agree with `cumulus::scan` on `arrow`: same type
/// and rows, or an error with the same text.
pub fn check(op: Operation, series: &Series, arrow: &dyn Array, options: &ScanOptions) {
    let what = format!("{op} {options:?} on {}", series.dtype());
    let core = cumulus::scan(op, arrow, options);
    let ours = scan_series(op, series, options);
    let frame = DataFrame::new(series.len(), vec![series.clone().into_column()]).unwrap();
    let expr = frame
        .lazy()
        .select([col(series.name().clone()).np_scan(op, options.clone())])
        .collect();
    match (core, ours, expr) {
        (Ok(core), Ok(ours), Ok(expr)) => {
            assert_eq!(&arrow_type(ours.dtype()), core.data_type(), "{what}");
            assert_eq!(polars_rows(&ours), arrow_rows(core.as_ref()), "{what}");
            assert_eq!(ours.n_chunks(), series.n_chunks(), "{what}");
            let expr = expr.column(series.name()).unwrap().as_materialized_series();
            assert_eq!(expr.dtype(), ours.dtype(), "{what}");
            assert_eq!(polars_rows(expr), polars_rows(&ours), "{what}");
        }
        (Err(core), Err(ours), Err(expr)) => {
            assert_eq!(root_error(&ours).1, core.to_string(), "{what}");
            // Planning errors come back with Polars' plan appended to the core's text.
            let (kind, message) = root_error(&expr);
            assert_eq!(kind, root_error(&ours).0, "{what}");
            assert!(message.starts_with(&core.to_string()), "{what}: {message}");
        }
        (core, ours, expr) => panic!(
            "{what}: core {:?}, scan_series {:?}, expression {:?}",
            core.map(|_| ()),
            ours.map(|_| ()),
            expr.map(|_| ())
        ),
    }
}

/// Options that exercise NumPy's `dtype=` and checked overflow on integer input.
fn integer_extras() -> Vec<ScanOptions> {
    vec![
        ScanOptions::default().with_dtype(ArrowType::Int8),
        ScanOptions::default().with_dtype(ArrowType::Float32),
        ScanOptions::default().with_overflow(Overflow::Error),
        ScanOptions::default()
            .with_dtype(ArrowType::Int8)
            .with_overflow(Overflow::Error),
    ]
}

macro_rules! agree_integers {
    ($($name:ident: $t:ty => $arrow:ty),* $(,)?) => {$(
        #[test]
        fn $name() {
            let pool = [<$t>::MIN, <$t>::MAX, 0, 1, 2, 3, 7];
            let values = sample(&pool, 40, 7, 11);
            let series = chunked(&Series::new("x".into(), &values), &CHUNKS);
            assert_eq!(series.dtype(), &arrow_dtype_back(&<$arrow>::DATA_TYPE));
            let arrow = PrimitiveArray::<$arrow>::from(values);
            agree(&series, &arrow, &integer_extras());
        }
    )*};
}

agree_integers!(
    int8: i8 => Int8Type,
    int16: i16 => Int16Type,
    int32: i32 => Int32Type,
    int64: i64 => Int64Type,
    uint8: u8 => UInt8Type,
    uint16: u16 => UInt16Type,
    uint32: u32 => UInt32Type,
    uint64: u64 => UInt64Type,
);

/// The Polars type the integer series above must have (their small-integer features on).
fn arrow_dtype_back(arrow: &ArrowType) -> DataType {
    match arrow {
        ArrowType::Int8 => DataType::Int8,
        ArrowType::Int16 => DataType::Int16,
        ArrowType::Int32 => DataType::Int32,
        ArrowType::Int64 => DataType::Int64,
        ArrowType::UInt8 => DataType::UInt8,
        ArrowType::UInt16 => DataType::UInt16,
        ArrowType::UInt32 => DataType::UInt32,
        _ => DataType::UInt64,
    }
}

#[test]
fn booleans() {
    let values = sample(&[true, false, true], 30, 5, 3);
    let series = chunked(&Series::new("b".into(), &values), &CHUNKS);
    let arrow = BooleanArray::from(values);
    agree(
        &series,
        &arrow,
        &[ScanOptions::default().with_dtype(ArrowType::Boolean)],
    );
}

const FLOATS: [f64; 9] = [
    0.1,
    -0.0,
    1.5,
    -2.25,
    f64::NAN,
    f64::INFINITY,
    1e300,
    3.0,
    -7.0,
];

#[test]
fn float64() {
    let values = sample(&FLOATS, 40, 6, 5);
    let series = chunked(&Series::new("f".into(), &values), &CHUNKS);
    let arrow = PrimitiveArray::<Float64Type>::from(values);
    agree(
        &series,
        &arrow,
        &[ScanOptions::default().with_dtype(ArrowType::Int64)],
    );
}

#[test]
fn float32() {
    let pool: Vec<f32> = FLOATS.iter().map(|&v| v as f32).collect();
    let values = sample(&pool, 40, 6, 7);
    let series = chunked(&Series::new("f".into(), &values), &CHUNKS);
    let arrow = PrimitiveArray::<Float32Type>::from(values);
    agree(
        &series,
        &arrow,
        &[ScanOptions::default().with_dtype(ArrowType::Float64)],
    );
}

#[test]
fn float16() {
    let pool: Vec<f32> = [0.1, -0.0, 2048.0, 1.0, f32::NAN, 65504.0, -3.5].to_vec();
    let values = sample(&pool, 40, 6, 9);
    let series = Series::new("h".into(), &values)
        .cast(&DataType::Float16)
        .unwrap();
    let halves: Vec<Option<half::f16>> = series
        .f16()
        .unwrap()
        .iter()
        .map(|v| v.map(|h| h.0))
        .collect();
    let series = chunked(&series, &CHUNKS);
    agree(&series, &Float16Array::from(halves), &[]);
}

#[test]
fn decimals() {
    let pool = [12345i128, -1, 0, 99_999_999, -50_000_000];
    let values = sample(&pool, 30, 4, 13);
    let series = Int128Chunked::new("d".into(), &values)
        .into_decimal_unchecked(10, 2)
        .into_series();
    let series = chunked(&series, &CHUNKS);
    let arrow = Decimal128Array::from(values)
        .with_precision_and_scale(10, 2)
        .unwrap();
    // Products of decimals fail in both with the core's message.
    agree(
        &series,
        &arrow,
        &[ScanOptions::default().with_dtype(ArrowType::Decimal128(12, 2))],
    );
}

#[test]
fn durations() {
    let values = sample(&[1000i64, -5, 0, 86_400_000, i64::MAX], 30, 4, 17);
    let series = Int64Chunked::new("t".into(), &values)
        .into_duration(TimeUnit::Milliseconds)
        .into_series();
    let series = chunked(&series, &CHUNKS);
    agree(&series, &DurationMillisecondArray::from(values), &[]);
}

#[test]
fn a_sliced_series_scans_only_its_rows() {
    let values = sample(&[1i64, 2, 3, -4], 50, 3, 19);
    let whole = Series::new("x".into(), &values);
    let series = chunked(&whole.slice(5, 37), &[6]);
    let arrow = PrimitiveArray::<Int64Type>::from(values).slice(5, 37);
    agree(&series, &arrow, &[]);
}
