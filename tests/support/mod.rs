//! Helpers shared by the test binaries (and the benches): one pseudo-random generator and
//! one way to show an Arrow array's rows. Each binary includes this file with
//! `#[path = "../support/mod.rs"] mod support;`, so not every binary uses every item.
#![allow(dead_code)]

use arrow::array::{Array, AsArray};
use arrow::datatypes::*;

/// A deterministic pseudo-random generator (Knuth's MMIX LCG): the same data on every run,
/// without a dependency.
#[derive(Debug, Clone)]
pub struct Lcg(pub u64);

impl Lcg {
    /// The next 53 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }

    /// In `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// `n` picks from `pool`, null at every `null_every`-th position (0: never).
    pub fn sample<T: Copy>(&mut self, pool: &[T], n: usize, null_every: usize) -> Vec<Option<T>> {
        (0..n)
            .map(|i| {
                let pick = pool[self.below(pool.len() as u64) as usize];
                (null_every == 0 || i % null_every != null_every - 1).then_some(pick)
            })
            .collect()
    }
}

/// Every row of an arrow-rs array as text (`None` for null): integers, decimals and
/// durations in decimal, floats with `{:?}` (exact: `-0.0`, `0.70000005`), lists as
/// `[a, b]`.
pub fn arrow_rows(array: &dyn Array) -> Vec<Option<String>> {
    (0..array.len())
        .map(|i| array.is_valid(i).then(|| arrow_text(array, i)))
        .collect()
}

fn arrow_text(array: &dyn Array, i: usize) -> String {
    match array.data_type() {
        DataType::Boolean => array.as_boolean().value(i).to_string(),
        DataType::FixedSizeList(..) => bracket(arrow_rows(&array.as_fixed_size_list().value(i))),
        DataType::List(_) => bracket(arrow_rows(&array.as_list::<i32>().value(i))),
        DataType::LargeList(_) => bracket(arrow_rows(&array.as_list::<i64>().value(i))),
        DataType::Float16 => format!("{:?}", array.as_primitive::<Float16Type>().value(i)),
        DataType::Float32 => format!("{:?}", array.as_primitive::<Float32Type>().value(i)),
        DataType::Float64 => format!("{:?}", array.as_primitive::<Float64Type>().value(i)),
        _ => arrow::array::downcast_integer_array!(
            array => array.value(i).to_string(),
            DataType::Decimal128(..) => array.as_primitive::<Decimal128Type>().value(i).to_string(),
            DataType::Decimal256(..) => array.as_primitive::<Decimal256Type>().value(i).to_string(),
            DataType::Duration(TimeUnit::Second) => array.as_primitive::<DurationSecondType>().value(i).to_string(),
            DataType::Duration(TimeUnit::Millisecond) => array.as_primitive::<DurationMillisecondType>().value(i).to_string(),
            DataType::Duration(TimeUnit::Microsecond) => array.as_primitive::<DurationMicrosecondType>().value(i).to_string(),
            DataType::Duration(TimeUnit::Nanosecond) => array.as_primitive::<DurationNanosecondType>().value(i).to_string(),
            t => panic!("no text for {t}")
        ),
    }
}

/// Rows as a list's text: `[a, null, b]`.
pub fn bracket(rows: Vec<Option<String>>) -> String {
    let items: Vec<String> = rows
        .into_iter()
        .map(|r| r.unwrap_or_else(|| "null".into()))
        .collect();
    format!("[{}]", items.join(", "))
}
