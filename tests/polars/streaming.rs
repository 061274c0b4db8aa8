//! The streaming engine: a frame large enough to be cut into morsels is still scanned as
//! one column (no restart at a morsel or chunk boundary), and groups stay whole.

use cumulus::ScanOptions;
use cumulus::polars::CumulusExpr;
use polars::prelude::*;

use crate::ints;

const ROWS: i64 = 300_000;

fn ones() -> DataFrame {
    df![
        "g" => (0..ROWS).map(|i| i % 3).collect::<Vec<_>>(),
        "x" => vec![1i64; ROWS as usize],
    ]
    .unwrap()
}

fn streaming(lf: LazyFrame) -> DataFrame {
    lf.collect_with_engine(Engine::Streaming)
        .unwrap()
        .unwrap_single()
}

/// A row-separable running sum (Polars' `Expr::map`), which the streaming engine runs
/// per morsel: it restarting proves the frame really was cut.
fn per_morsel_running_sum(x: Expr) -> Expr {
    x.map(
        |c: Column| {
            let mut total = 0i64;
            let sums: Vec<i64> = c
                .i64()?
                .iter()
                .map(|v| {
                    total += v.unwrap_or(0);
                    total
                })
                .collect();
            Ok(Column::new(c.name().clone(), sums))
        },
        |_: &Schema, f: &Field| Ok(f.clone()),
    )
}

#[test]
fn select_never_restarts_at_a_morsel_boundary() {
    let out = streaming(ones().lazy().select([
        col("x").np_cumsum(ScanOptions::default()).alias("cs"),
        per_morsel_running_sum(col("x")).alias("per_morsel"),
    ]));
    let per_morsel = ints(&out, "per_morsel");
    assert!(
        per_morsel.last().unwrap().unwrap() < ROWS,
        "the frame was not split into morsels; the test proves nothing"
    );
    let cs = ints(&out, "cs");
    assert_eq!(cs.len(), ROWS as usize);
    assert!(cs.iter().enumerate().all(|(i, v)| *v == Some(i as i64 + 1)));
    assert_eq!(cs.last(), Some(&Some(ROWS)));
}

#[test]
fn with_columns_after_a_filter_scans_the_filtered_column_whole() {
    let out = streaming(
        ones()
            .lazy()
            .filter(col("g").neq(lit(0i64)))
            .with_columns([col("x").np_cumsum(ScanOptions::default()).alias("cs")]),
    );
    let cs = ints(&out, "cs");
    assert_eq!(cs.len(), 200_000);
    assert!(cs.iter().enumerate().all(|(i, v)| *v == Some(i as i64 + 1)));
}

#[test]
fn over_and_group_by_keep_groups_whole() {
    let out = streaming(
        ones().lazy().with_columns([col("x")
            .np_cumsum(ScanOptions::default())
            .over([col("g")])
            .unwrap()
            .alias("cs")]),
    );
    let cs = ints(&out, "cs");
    // Row i is the (i / 3 + 1)-th row of its group.
    assert!(
        cs.iter()
            .enumerate()
            .all(|(i, v)| *v == Some(i as i64 / 3 + 1))
    );

    let out = streaming(
        ones()
            .lazy()
            .group_by([col("g")])
            .agg([col("x")
                .np_cumsum(ScanOptions::default())
                .last()
                .alias("last")])
            .sort(["g"], Default::default()),
    );
    assert_eq!(ints(&out, "last"), [Some(100_000); 3]);
}

#[test]
fn reverse_in_streaming_starts_from_the_last_row() {
    let options = ScanOptions::default().with_reverse(true);
    let out = streaming(
        ones()
            .lazy()
            .select([col("x").np_cumsum(options).alias("cs")]),
    );
    let cs = ints(&out, "cs");
    assert!(
        cs.iter()
            .enumerate()
            .all(|(i, v)| *v == Some(ROWS - i as i64))
    );
}
