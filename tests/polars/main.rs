//! Integration tests of the Polars adapter, in one binary (every test binary links the
//! whole dependency tree, so they are grouped). Helpers shared by the modules live here.

#[path = "../support/mod.rs"]
mod support;

mod agree;
mod cumulative;
mod errors;
mod groups;
mod nested;
mod nulls;
mod streaming;
mod types;
mod zero_copy;

use arrow::datatypes::DataType as ArrowType;
use polars::prelude::*;
pub use support::{arrow_rows, bracket};

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
    support::Lcg(seed).sample(pool, n, null_every)
}
