//! Integration tests of the Polars adapter, in one binary (every test binary links the
//! whole dependency tree, so they are grouped). Helpers shared by the modules live here.

mod agree;
mod cumulative;
mod errors;
mod groups;
mod nested;
mod nulls;
mod streaming;
mod types;
mod zero_copy;

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType as ArrowType;
use polars::prelude::*;

/// Every row of a Series as text (`None` for null): integers in decimal, floats with
/// `{:?}` (exact: `-0.0`, `0.70000005`), arrays and lists as `[a, b]`.
pub fn polars_rows(series: &Series) -> Vec<Option<String>> {
    series.iter().map(polars_text).collect()
}

fn polars_text(value: AnyValue<'_>) -> Option<String> {
    Some(match value {
        AnyValue::Null => return None,
        AnyValue::Boolean(v) => v.to_string(),
        AnyValue::Int8(v) => v.to_string(),
        AnyValue::Int16(v) => v.to_string(),
        AnyValue::Int32(v) => v.to_string(),
        AnyValue::Int64(v) => v.to_string(),
        AnyValue::UInt8(v) => v.to_string(),
        AnyValue::UInt16(v) => v.to_string(),
        AnyValue::UInt32(v) => v.to_string(),
        AnyValue::UInt64(v) => v.to_string(),
        AnyValue::Float16(v) => format!("{:?}", v.0),
        AnyValue::Float32(v) => format!("{v:?}"),
        AnyValue::Float64(v) => format!("{v:?}"),
        AnyValue::Decimal(v, _, _) => v.to_string(),
        AnyValue::Duration(v, _) => v.to_string(),
        AnyValue::Array(inner, _) | AnyValue::List(inner) => bracket(polars_rows(&inner)),
        other => panic!("no text for {other:?}"),
    })
}

/// Every row of an arrow-rs array as text, in the format of [`polars_rows`].
pub fn arrow_rows(array: &dyn Array) -> Vec<Option<String>> {
    (0..array.len())
        .map(|i| array.is_valid(i).then(|| arrow_text(array, i)))
        .collect()
}

fn arrow_text(array: &dyn Array, i: usize) -> String {
    use arrow::datatypes::*;
    match array.data_type() {
        ArrowType::Boolean => array.as_boolean().value(i).to_string(),
        ArrowType::FixedSizeList(..) => bracket(arrow_rows(&array.as_fixed_size_list().value(i))),
        ArrowType::LargeList(_) => bracket(arrow_rows(&array.as_list::<i64>().value(i))),
        ArrowType::Float16 => format!("{:?}", array.as_primitive::<Float16Type>().value(i)),
        ArrowType::Float32 => format!("{:?}", array.as_primitive::<Float32Type>().value(i)),
        ArrowType::Float64 => format!("{:?}", array.as_primitive::<Float64Type>().value(i)),
        _ => arrow::array::downcast_integer_array!(
            array => array.value(i).to_string(),
            ArrowType::Decimal128(..) => array.as_primitive::<Decimal128Type>().value(i).to_string(),
            ArrowType::Duration(TimeUnit::Millisecond) => array.as_primitive::<DurationMillisecondType>().value(i).to_string(),
            ArrowType::Duration(TimeUnit::Microsecond) => array.as_primitive::<DurationMicrosecondType>().value(i).to_string(),
            ArrowType::Duration(TimeUnit::Nanosecond) => array.as_primitive::<DurationNanosecondType>().value(i).to_string(),
            t => panic!("no text for {t}")
        ),
    }
}

fn bracket(rows: Vec<Option<String>>) -> String {
    let items: Vec<String> = rows
        .into_iter()
        .map(|r| r.unwrap_or_else(|| "null".into()))
        .collect();
    format!("[{}]", items.join(", "))
}

/// The arrow-rs type a Polars type is expected to correspond to (the test's own oracle).
pub fn arrow_type(dtype: &DataType) -> ArrowType {
    use arrow::datatypes::{Field, TimeUnit as U};
    use std::sync::Arc;
    match dtype {
        DataType::Boolean => ArrowType::Boolean,
        DataType::Int8 => ArrowType::Int8,
        DataType::Int16 => ArrowType::Int16,
        DataType::Int32 => ArrowType::Int32,
        DataType::Int64 => ArrowType::Int64,
        DataType::UInt8 => ArrowType::UInt8,
        DataType::UInt16 => ArrowType::UInt16,
        DataType::UInt32 => ArrowType::UInt32,
        DataType::UInt64 => ArrowType::UInt64,
        DataType::Float16 => ArrowType::Float16,
        DataType::Float32 => ArrowType::Float32,
        DataType::Float64 => ArrowType::Float64,
        DataType::Decimal(p, s) => ArrowType::Decimal128(*p as u8, *s as i8),
        DataType::Duration(TimeUnit::Milliseconds) => ArrowType::Duration(U::Millisecond),
        DataType::Duration(TimeUnit::Microseconds) => ArrowType::Duration(U::Microsecond),
        DataType::Duration(TimeUnit::Nanoseconds) => ArrowType::Duration(U::Nanosecond),
        DataType::Array(inner, w) => ArrowType::FixedSizeList(
            Arc::new(Field::new("item", arrow_type(inner), true)),
            *w as i32,
        ),
        DataType::List(inner) => {
            ArrowType::LargeList(Arc::new(Field::new("item", arrow_type(inner), true)))
        }
        other => panic!("no arrow type for {other}"),
    }
}

/// `series` cut into chunks of the given sizes (the rest in a last chunk), glued with
/// `append`: a multi-chunk Series whose later chunks start at bit offsets.
pub fn chunked(series: &Series, sizes: &[usize]) -> Series {
    let mut at = 0;
    let mut out = series.slice(0, 0);
    for &size in sizes.iter().chain(std::iter::once(&usize::MAX)) {
        let take = size.min(series.len() - at);
        out.append(&series.slice(at as i64, take)).unwrap();
        at += take;
        if at == series.len() {
            break;
        }
    }
    assert_eq!(out.len(), series.len());
    out
}

/// A column of a frame as `Option<i64>`s.
pub fn ints(df: &DataFrame, name: &str) -> Vec<Option<i64>> {
    df.column(name).unwrap().i64().unwrap().iter().collect()
}

/// The innermost message of a (possibly context-wrapped) Polars error, with its kind.
pub fn root_error(err: &PolarsError) -> (&'static str, String) {
    match err {
        PolarsError::Context { error, .. } | PolarsError::ExprContext { error, .. } => {
            root_error(error)
        }
        PolarsError::InvalidOperation(m) => ("InvalidOperation", m.to_string()),
        PolarsError::ComputeError(m) => ("ComputeError", m.to_string()),
        other => ("other", other.to_string()),
    }
}

/// Deterministic pseudo-random picks from `pool`, null at every `null_every`-th row.
pub fn sample<T: Copy>(pool: &[T], n: usize, null_every: usize, seed: u64) -> Vec<Option<T>> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|i| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pick = pool[(state >> 33) as usize % pool.len()];
            (null_every == 0 || i % null_every != null_every - 1).then_some(pick)
        })
        .collect()
}
