//! `np_cumsum` beside Polars' own `cum_sum` on the same frame of 10^7 rows, in the same
//! group so the ratio shows in one run: int64 and float64, without and with 10% nulls,
//! over the whole column and `.over()` 1000 groups. Both run through the same lazy
//! query (in-memory engine), so planning and the group-by cost the same on both sides.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use cumulus::ScanOptions;
use cumulus::polars::CumulusExpr;
use polars::prelude::*;

#[path = "support/noise.rs"]
mod support;
use support::noise;

const ROWS: usize = 10_000_000;
const GROUPS: u64 = 1000;

/// Column `x` of `dtype` (small values, so int64 sums do not overflow), null at 10% of
/// the rows when `nulls`; column `g` with 1000 groups in random order.
fn frame(dtype: &DataType, nulls: bool) -> DataFrame {
    let valid = noise(ROWS, 7).map(|r| !nulls || r % 10 != 0);
    let x: Vec<Option<i64>> = noise(ROWS, 3)
        .zip(valid)
        .map(|(r, v)| v.then_some((r % 201) as i64 - 100))
        .collect();
    let g: Vec<u32> = noise(ROWS, 5).map(|r| (r % GROUPS) as u32).collect();
    let x = Series::new("x".into(), x).cast(dtype).unwrap();
    DataFrame::new(ROWS, vec![x.into_column(), Column::new("g".into(), g)]).unwrap()
}

fn run(df: &DataFrame, expr: Expr) -> DataFrame {
    df.clone()
        .lazy()
        .select([expr.alias("cs")])
        .collect()
        .unwrap()
}

fn cumsum_group(c: &mut Criterion, name: &str, dtype: DataType) {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS as u64));
    for (nulls, label) in [(false, "nulls_0pct"), (true, "nulls_10pct")] {
        let df = frame(&dtype, nulls);
        let cumulus = || col("x").np_cumsum(ScanOptions::default());
        let polars = || col("x").cum_sum(false);
        group.bench_function(BenchmarkId::new("cumulus", label), |b| {
            b.iter(|| black_box(run(black_box(&df), cumulus())))
        });
        group.bench_function(BenchmarkId::new("polars", label), |b| {
            b.iter(|| black_box(run(black_box(&df), polars())))
        });
        let over = format!("{label}_over_{GROUPS}_groups");
        group.bench_function(BenchmarkId::new("cumulus", &over), |b| {
            b.iter(|| black_box(run(black_box(&df), cumulus().over([col("g")]).unwrap())))
        });
        group.bench_function(BenchmarkId::new("polars", &over), |b| {
            b.iter(|| black_box(run(black_box(&df), polars().over([col("g")]).unwrap())))
        });
    }
    group.finish();
}

fn cumsum_int64(c: &mut Criterion) {
    cumsum_group(c, "cumsum_int64_1e7", DataType::Int64);
}

fn cumsum_float64(c: &mut Criterion) {
    cumsum_group(c, "cumsum_float64_1e7", DataType::Float64);
}

criterion_group!(benches, cumsum_int64, cumsum_float64);
criterion_main!(benches);
