//! Each null policy through the expression, in a whole column and in groups.

use cumulus::polars::{CumulusExpr, scan_series};
use cumulus::{NullPolicy, Operation, ScanOptions};
use polars::prelude::*;

use crate::ints;

fn policy(nulls: NullPolicy) -> ScanOptions {
    ScanOptions::default().with_nulls(nulls)
}

fn cumsum_of(x: &[Option<i64>], nulls: NullPolicy) -> Vec<Option<i64>> {
    let df = df!["x" => x].unwrap();
    let out = df
        .lazy()
        .select([col("x").np_cumsum(policy(nulls))])
        .collect()
        .unwrap();
    ints(&out, "x")
}

#[test]
fn each_policy_on_one_column() {
    let x = [Some(1), None, Some(2)];
    assert_eq!(cumsum_of(&x, NullPolicy::Skip), [Some(1), None, Some(3)]);
    assert_eq!(cumsum_of(&x, NullPolicy::Propagate), [Some(1), None, None]);
    assert_eq!(
        cumsum_of(&x, NullPolicy::Carry),
        [Some(1), Some(1), Some(3)]
    );
    assert_eq!(
        cumsum_of(&x, NullPolicy::Identity),
        [Some(1), Some(1), Some(3)]
    );
    // Carry and Identity differ before the first value.
    let x = [None, Some(1)];
    assert_eq!(cumsum_of(&x, NullPolicy::Carry), [None, Some(1)]);
    assert_eq!(cumsum_of(&x, NullPolicy::Identity), [Some(0), Some(1)]);
}

#[test]
fn each_policy_in_groups() {
    let df = df!["g" => ["a", "a", "b", "b"], "x" => [None, Some(1i64), Some(2), None]].unwrap();
    let cases = [
        (NullPolicy::Skip, [None, Some(1), Some(2), None]),
        (NullPolicy::Propagate, [None, None, Some(2), None]),
        (NullPolicy::Carry, [None, Some(1), Some(2), Some(2)]),
        (NullPolicy::Identity, [Some(0), Some(1), Some(2), Some(2)]),
    ];
    for (nulls, expected) in cases {
        let out = df
            .clone()
            .lazy()
            .with_columns([col("x")
                .np_cumsum(policy(nulls))
                .over([col("g")])
                .unwrap()
                .alias("cs")])
            .collect()
            .unwrap();
        assert_eq!(ints(&out, "cs"), expected, "{nulls}");
    }
}

#[test]
fn propagate_carries_across_chunks() {
    let mut s = Series::new("x".into(), [Some(1i64), None]);
    s.append(&Series::new("x".into(), [Some(5i64), Some(6)]))
        .unwrap();
    let out = scan_series(Operation::Cumsum, &s, &policy(NullPolicy::Propagate)).unwrap();
    let out: Vec<Option<i64>> = out.i64().unwrap().iter().collect();
    assert_eq!(out, [Some(1), None, None, None]);
}

#[test]
fn all_null_columns() {
    let x = [None, None, None];
    assert_eq!(cumsum_of(&x, NullPolicy::Skip), [None, None, None]);
    assert_eq!(cumsum_of(&x, NullPolicy::Carry), [None, None, None]);
    assert_eq!(cumsum_of(&x, NullPolicy::Identity), [Some(0); 3]);
}

#[test]
fn identity_of_max_and_min_on_floats() {
    let df = df!["x" => [None, Some(2.0f64), None]].unwrap();
    let out = df
        .lazy()
        .select([
            col("x")
                .np_cummax(policy(NullPolicy::Identity))
                .alias("max"),
            col("x")
                .np_cummin(policy(NullPolicy::Identity))
                .alias("min"),
        ])
        .collect()
        .unwrap();
    let max: Vec<Option<f64>> = out.column("max").unwrap().f64().unwrap().iter().collect();
    let min: Vec<Option<f64>> = out.column("min").unwrap().f64().unwrap().iter().collect();
    assert_eq!(max, [Some(f64::NEG_INFINITY), Some(2.0), Some(2.0)]);
    assert_eq!(min, [Some(f64::INFINITY), Some(2.0), Some(2.0)]);
}
