//! Kernels beside a copy of the same data (the memory-bandwidth floor), in the same group
//! so the ratio shows in one run.
//!
//! `copy` allocates its output exactly as cumulus does (`cumulus::buffer::OutputBuffer`:
//! lazily zeroed, 2 MiB-aligned huge pages for large buffers) and copies the input into it;
//! `*_into` variants write into a buffer allocated once outside the timed loop (NumPy's
//! `out=`), so the difference to the fresh variants is the cost of allocating the output.
//! The `allocation_int64` group compares that cost with a plain `Vec` allocation.

use std::hint::black_box;
use std::sync::Arc;

use arrow::array::*;
use arrow::buffer::NullBuffer;
use arrow::datatypes::*;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use cumulus::buffer::OutputBuffer;
use cumulus::{Axis, Operation, ScanOptions};

#[path = "support/noise.rs"]
mod support;
use support::noise;

const SIZES: [usize; 3] = [1_000, 1_000_000, 10_000_000];

/// Every tenth element null, at pseudo-random positions.
fn nulls_10pct(n: usize) -> NullBuffer {
    NullBuffer::from(noise(n, 7).map(|r| r % 10 != 0).collect::<Vec<bool>>())
}

fn copy_of<T: cumulus::buffer::Zeroable>(values: &[T]) -> OutputBuffer<T> {
    let mut out = OutputBuffer::zeroed(values.len());
    out.copy_from_slice(values);
    out
}

/// One group: the scan of `array` beside copies of its values, fresh and preallocated,
/// with and without 10% nulls.
fn scan_group<P>(
    c: &mut Criterion,
    name: &str,
    op: Operation,
    values: impl Fn(usize) -> Vec<P::Native>,
) where
    P: ArrowPrimitiveType,
    P::Native: cumulus::buffer::Zeroable + cumulus::NumpyElement,
{
    let mut group = c.benchmark_group(name);
    for n in SIZES {
        if n >= 10_000_000 {
            group.sample_size(20);
        }
        group.throughput(Throughput::Elements(n as u64));
        let raw = values(n);
        let dense = PrimitiveArray::<P>::from_iter_values(raw.iter().copied());
        let sparse = PrimitiveArray::<P>::new(raw.clone().into(), Some(nulls_10pct(n)));
        let options = ScanOptions::default();
        group.bench_with_input(BenchmarkId::new("copy", n), &raw, |b, raw| {
            b.iter(|| copy_of(black_box(raw)))
        });
        let mut preallocated = OutputBuffer::<P::Native>::zeroed(n);
        group.bench_with_input(BenchmarkId::new("copy_into", n), &raw, |b, raw| {
            b.iter(|| preallocated.copy_from_slice(black_box(raw)))
        });
        group.bench_with_input(BenchmarkId::new(op.name(), n), &dense, |b, x| {
            b.iter(|| cumulus::scan(op, black_box(x), &options).unwrap())
        });
        group.bench_with_input(
            BenchmarkId::new(format!("{op}_nulls_10pct"), n),
            &sparse,
            |b, x| b.iter(|| cumulus::scan(op, black_box(x), &options).unwrap()),
        );
        let result_type = cumulus::result_type(op, &P::DATA_TYPE, &options).unwrap();
        if result_type == P::DATA_TYPE {
            let mut out = OutputBuffer::<P::Native>::zeroed(n);
            group.bench_with_input(BenchmarkId::new(format!("{op}_into"), n), &dense, |b, x| {
                b.iter(|| cumulus::scan_into(op, black_box(x), &options, &mut out).unwrap())
            });
        }
    }
    group.finish();
}

fn one_dimensional(c: &mut Criterion) {
    let ints = |n| noise(n, 1).map(|r| (r % 2001) as i64 - 1000).collect();
    let floats = |n| {
        noise(n, 2)
            .map(|r| (r % 1_000_000) as f64 / 1000.0 - 500.0)
            .collect()
    };
    let floats32 = |n| {
        noise(n, 3)
            .map(|r| (r % 1_000_000) as f32 / 1000.0 - 500.0)
            .collect()
    };
    let ints32 = |n| noise(n, 4).map(|r| (r % 2001) as i32 - 1000).collect();
    let near_one = |n| {
        noise(n, 5)
            .map(|r| 1.0 + ((r % 2001) as f64 - 1000.0) * 1e-9)
            .collect()
    };
    scan_group::<Int64Type>(c, "cumsum_int64", Operation::Cumsum, ints);
    scan_group::<Float64Type>(c, "cumsum_float64", Operation::Cumsum, floats);
    scan_group::<Float32Type>(c, "cumsum_float32", Operation::Cumsum, floats32);
    scan_group::<Int32Type>(c, "cumsum_int32_to_int64", Operation::Cumsum, ints32);
    scan_group::<Float64Type>(c, "cumprod_float64", Operation::Cumprod, near_one);
}

/// An m x n FixedSizeList column of about 10^7 elements.
fn matrix<P: ArrowPrimitiveType>(n: usize, values: Vec<P::Native>) -> ArrayRef {
    let item = Arc::new(Field::new("item", P::DATA_TYPE, false));
    let values = Arc::new(PrimitiveArray::<P>::from_iter_values(values));
    Arc::new(FixedSizeListArray::new(item, n as i32, values, None))
}

fn axis_group<P>(c: &mut Criterion, name: &str, values: impl Fn(usize) -> Vec<P::Native>)
where
    P: ArrowPrimitiveType,
    P::Native: cumulus::buffer::Zeroable + cumulus::NumpyElement,
{
    let total = 10_000_000;
    let mut group = c.benchmark_group(name);
    group.sample_size(20);
    group.throughput(Throughput::Elements(total as u64));
    for n in [4usize, 64, 1024] {
        let m = total / n;
        let raw = values(m * n);
        let column = matrix::<P>(n, raw.clone());
        let shape = format!("{m}x{n}");
        group.bench_with_input(BenchmarkId::new("copy", &shape), &raw, |b, raw| {
            b.iter(|| copy_of(black_box(raw)))
        });
        let mut out = OutputBuffer::<P::Native>::zeroed(m * n);
        for (label, axis) in [("axis0", Axis::Index(0)), ("axis1", Axis::Index(1))] {
            let options = ScanOptions::default().with_axis(axis);
            group.bench_with_input(BenchmarkId::new(label, &shape), &column, |b, x| {
                b.iter(|| cumulus::cumsum(black_box(x.as_ref()), &options).unwrap())
            });
            // NumPy's `out=`: no output allocation, so no page faults.
            let into = format!("{label}_into");
            group.bench_with_input(BenchmarkId::new(into, &shape), &column, |b, x| {
                b.iter(|| {
                    cumulus::scan_into(Operation::Cumsum, black_box(x.as_ref()), &options, &mut out)
                        .unwrap()
                })
            });
        }
    }
    group.finish();
}

fn two_dimensional(c: &mut Criterion) {
    axis_group::<Float64Type>(c, "cumsum_2d_float64", |n| {
        noise(n, 8).map(|r| (r % 1000) as f64 / 7.0).collect()
    });
    axis_group::<Int64Type>(c, "cumsum_2d_int64", |n| {
        noise(n, 9).map(|r| (r % 1000) as i64).collect()
    });
}

/// What allocating the output costs: a copy into cumulus' output buffer (huge pages,
/// 2 MiB aligned), into a plain `Vec` (`to_vec`), and into a preallocated buffer. It runs
/// last because the plain allocation leaves physical memory fragmented, which makes the
/// next huge-page faults pay for compaction and would skew whatever ran after it.
fn allocation(c: &mut Criterion) {
    let n = 10_000_000;
    let raw: Vec<i64> = noise(n, 1).map(|r| r as i64).collect();
    let mut group = c.benchmark_group("allocation_int64");
    group.sample_size(20);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_with_input(BenchmarkId::new("copy_output_buffer", n), &raw, |b, raw| {
        b.iter(|| copy_of(black_box(raw)))
    });
    let mut preallocated = OutputBuffer::<i64>::zeroed(n);
    group.bench_with_input(BenchmarkId::new("copy_preallocated", n), &raw, |b, raw| {
        b.iter(|| preallocated.copy_from_slice(black_box(raw)))
    });
    group.bench_with_input(BenchmarkId::new("copy_std_vec", n), &raw, |b, raw| {
        b.iter(|| black_box(raw).to_vec())
    });
    group.finish();
}

criterion_group!(benches, one_dimensional, two_dimensional, allocation);
criterion_main!(benches);
