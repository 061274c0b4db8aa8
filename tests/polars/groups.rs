//! Groups: `.over(..)` and `group_by(..).agg(..)` scan each group on its own, in order.

use cumulus::polars::{CumulusExpr, scan_series};
use cumulus::{Operation, ScanOptions};
use polars::prelude::*;

use crate::{ints, polars_rows, sample};

fn frame() -> DataFrame {
    df![
        "g" => [1i64, 1, 2, 2, 1, 2],
        "t" => [6i64, 5, 4, 3, 2, 1],
        "x" => [Some(1i32), Some(2), Some(3), Some(4), Some(5), None],
    ]
    .unwrap()
}

fn cumsum() -> ScanOptions {
    ScanOptions::default()
}

#[test]
fn over_restarts_in_each_group() {
    for engine in [Engine::InMemory, Engine::Streaming] {
        let out = frame()
            .lazy()
            .with_columns([col("x")
                .np_cumsum(cumsum())
                .over([col("g")])
                .unwrap()
                .alias("cs")])
            .collect_with_engine(engine)
            .unwrap()
            .unwrap_single();
        assert_eq!(out.column("cs").unwrap().dtype(), &DataType::Int64);
        assert_eq!(
            ints(&out, "cs"),
            [Some(1), Some(3), Some(3), Some(7), Some(8), None]
        );
    }
}

#[test]
fn over_follows_the_order_by_within_groups() {
    let expr = col("x")
        .np_cumsum(cumsum())
        .over_with_options(
            Some([col("g")]),
            Some(([col("t")], SortOptions::default())),
            WindowMapping::GroupsToRows,
        )
        .unwrap();
    let out = frame()
        .lazy()
        .with_columns([expr.alias("cs")])
        .collect()
        .unwrap();
    // Group 1 in t order: rows 4, 1, 0 -> 5, 7, 8; group 2: rows 5, 3, 2 -> null, 4, 7.
    assert_eq!(
        ints(&out, "cs"),
        [Some(8), Some(7), Some(7), Some(4), Some(5), None]
    );
}

#[test]
fn group_by_agg_gives_one_list_per_group() {
    for engine in [Engine::InMemory, Engine::Streaming] {
        let out = frame()
            .lazy()
            .group_by_stable([col("g")])
            .agg([
                col("x").np_cumsum(cumsum()).alias("cs"),
                col("x").np_cummax(cumsum()).last().alias("max"),
            ])
            .collect_with_engine(engine)
            .unwrap()
            .unwrap_single();
        let cs = out.column("cs").unwrap();
        assert_eq!(cs.dtype(), &DataType::List(Box::new(DataType::Int64)));
        assert_eq!(
            polars_rows(cs.as_materialized_series()),
            [
                Some("[1, 3, 8]".to_string()),
                Some("[3, 7, null]".to_string())
            ]
        );
        let max = out.column("max").unwrap();
        assert_eq!(max.dtype(), &DataType::Int32);
        assert_eq!(
            polars_rows(max.as_materialized_series()),
            [Some("5".to_string()), None]
        );
    }
}

/// Many groups of random sizes: `.over()` equals the adapter run on each group alone,
/// and that equals a running sum written out by hand.
#[test]
fn over_on_many_groups_equals_each_group_scanned_alone() {
    let n = 20_000;
    let groups: Vec<i64> = sample(&(0..97).collect::<Vec<i64>>(), n, 0, 23)
        .into_iter()
        .flatten()
        .collect();
    let x = sample(&[1i64, -2, 3, 40, -5], n, 9, 29);
    let df = df!["g" => &groups, "x" => &x].unwrap();
    let out = df
        .clone()
        .lazy()
        .with_columns([col("x")
            .np_cumsum(cumsum())
            .over([col("g")])
            .unwrap()
            .alias("cs")])
        .collect()
        .unwrap();
    let cs = ints(&out, "cs");
    let mut running = std::collections::HashMap::new();
    for i in 0..n {
        let total = running.entry(groups[i]).or_insert(0i64);
        let expected = x[i].map(|v| {
            *total += v;
            *total
        });
        assert_eq!(cs[i], expected, "row {i}");
    }
    // The same rows through `scan_series`, one group at a time.
    let group = df.lazy().filter(col("g").eq(lit(5i64))).collect().unwrap();
    let alone = scan_series(
        Operation::Cumsum,
        group.column("x").unwrap().as_materialized_series(),
        &cumsum(),
    )
    .unwrap();
    let from_over: Vec<Option<i64>> = (0..n).filter(|&i| groups[i] == 5).map(|i| cs[i]).collect();
    let alone: Vec<Option<i64>> = alone.i64().unwrap().iter().collect();
    assert_eq!(alone, from_over);
}

#[test]
fn reverse_scans_each_group_from_its_end() {
    let options = ScanOptions::default().with_reverse(true);
    let out = frame()
        .lazy()
        .with_columns([col("x")
            .np_cumsum(options)
            .over([col("g")])
            .unwrap()
            .alias("cs")])
        .collect()
        .unwrap();
    // Group 1: 1, 2, 5 -> 8, 7, 5; group 2: 3, 4, null -> 7, 4, null (as Polars' reverse).
    assert_eq!(
        ints(&out, "cs"),
        [Some(8), Some(7), Some(7), Some(4), Some(5), None]
    );
}
