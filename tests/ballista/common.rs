//! Helpers: the test table (as Parquet files), the local and Ballista sessions, and the
//! bit-for-bit comparison of two results.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, FixedSizeListArray, Float32Array, Float64Array,
    Int8Array, Int32Array, Int64Array, RecordBatch, UInt16Array,
};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::error::Result;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};

/// A deterministic pseudo-random generator (Knuth's MMIX LCG).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The test table: `g` (PARTITION BY key, `groups` groups), `t` (unique, the window
/// order), and columns of several types with nulls, NaN, -0.0 and values that overflow
/// int8: `b`, `i8`, `i32`, `i64`, `u16`, `f32`, `f64`, `d` (Decimal128(12, 2)) and `v`
/// (FixedSizeList<Float64, 3>, some rows and elements null).
pub fn table(rows: usize, groups: u64, seed: u64) -> RecordBatch {
    let mut r = Lcg(seed);
    let opt = |r: &mut Lcg| r.below(11) != 0;
    let mut g = Vec::with_capacity(rows);
    let mut t = Vec::with_capacity(rows);
    let (mut b, mut i8s, mut i32s, mut i64s, mut u16s) = (vec![], vec![], vec![], vec![], vec![]);
    let (mut f32s, mut f64s, mut ds, mut vs) = (vec![], vec![], vec![], vec![]);
    for i in 0..rows {
        g.push(r.below(groups) as i64);
        // unique, not in row order
        t.push(((i as u64 * 7919) % rows as u64) as i64);
        b.push(opt(&mut r).then(|| r.below(2) == 1));
        i8s.push(opt(&mut r).then(|| (r.below(200) as i64 - 100) as i8));
        i32s.push(opt(&mut r).then(|| r.next() as i32));
        i64s.push(opt(&mut r).then(|| (r.below(2_000_001) as i64) - 1_000_000));
        u16s.push(opt(&mut r).then(|| r.next() as u16));
        let special = |r: &mut Lcg| match r.below(40) {
            0 => f64::NAN,
            1 => -0.0,
            2 => f64::INFINITY,
            _ => (r.below(2_000_001) as f64 - 1_000_000.0) / 1024.0 + 0.1,
        };
        f32s.push(opt(&mut r).then(|| special(&mut r) as f32));
        f64s.push(opt(&mut r).then(|| special(&mut r)));
        ds.push(opt(&mut r).then(|| r.below(2_000_001) as i128 - 1_000_000));
        vs.push(opt(&mut r).then(|| {
            (0..3)
                .map(|_| opt(&mut r).then(|| (r.below(2001) as f64 - 1000.0) / 8.0))
                .collect::<Vec<_>>()
        }));
    }
    let v = FixedSizeListArray::from_iter_primitive::<arrow::datatypes::Float64Type, _, _>(vs, 3);
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("g", Arc::new(Int64Array::from(g))),
        ("t", Arc::new(Int64Array::from(t))),
        ("b", Arc::new(BooleanArray::from(b))),
        ("i8", Arc::new(Int8Array::from(i8s))),
        ("i32", Arc::new(Int32Array::from(i32s))),
        ("i64", Arc::new(Int64Array::from(i64s))),
        ("u16", Arc::new(UInt16Array::from(u16s))),
        ("f32", Arc::new(Float32Array::from(f32s))),
        ("f64", Arc::new(Float64Array::from(f64s))),
        (
            "d",
            Arc::new(
                Decimal128Array::from(ds)
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
        ),
        ("v", Arc::new(v)),
    ];
    let schema = Schema::new(
        columns
            .iter()
            .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
            .collect::<Vec<_>>(),
    );
    RecordBatch::try_new(
        Arc::new(schema),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

/// Writes `batch` as `files` Parquet files (consecutive row ranges) into `dir`.
pub fn write_parquet(dir: &Path, batch: &RecordBatch, files: usize) {
    let per_file = batch.num_rows().div_ceil(files);
    for (i, start) in (0..batch.num_rows()).step_by(per_file).enumerate() {
        let part = batch.slice(start, per_file.min(batch.num_rows() - start));
        let file = File::create(dir.join(format!("part-{i}.parquet"))).unwrap();
        let mut writer = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        writer.write(&part).unwrap();
        writer.close().unwrap();
    }
}

/// Registers the Parquet files in `dir` as table `t`.
pub async fn register_dir(ctx: &SessionContext, dir: &Path) -> Result<()> {
    ctx.register_parquet("t", dir.to_str().unwrap(), ParquetReadOptions::default())
        .await
}

/// The settings both sessions share: four partitions, so that PARTITION BY goes through
/// a hash repartition (a shuffle on Ballista).
pub fn config() -> SessionConfig {
    SessionConfig::new().with_target_partitions(4)
}

/// A local session with the functions registered and Ballista's DataFusion settings (the
/// comparison is about the functions, not about Ballista's choice of, say, string
/// types).
pub fn local() -> SessionContext {
    let config = cumulus::ballista::session_config(config());
    let ctx = SessionContext::new_with_config(config);
    cumulus::datafusion::register(&ctx).unwrap();
    ctx
}

/// Runs `sql` and concatenates the result.
pub async fn run(ctx: &SessionContext, sql: &str) -> Result<RecordBatch> {
    let df = ctx.sql(sql).await?;
    let schema = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await?;
    let schema = batches.first().map(|b| b.schema()).unwrap_or(schema);
    Ok(concat_batches(&schema, &batches)?)
}

/// Asserts two results are equal bit for bit: the same column names and types, the same
/// validity, the same bytes for every valid value (NaN payloads and -0.0 included; arrow's
/// equality compares primitive values as bytes).
pub fn assert_bits_eq(expected: &RecordBatch, actual: &RecordBatch, what: &str) {
    let names = |b: &RecordBatch| -> Vec<(String, DataType)> {
        b.schema()
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect()
    };
    assert_eq!(names(expected), names(actual), "{what}: columns");
    assert_eq!(expected.num_rows(), actual.num_rows(), "{what}: rows");
    for (i, (e, a)) in expected.columns().iter().zip(actual.columns()).enumerate() {
        if e.to_data() != a.to_data() {
            let row = (0..e.len())
                .find(|&r| e.slice(r, 1).to_data() != a.slice(r, 1).to_data())
                .unwrap_or(0);
            panic!(
                "{what}: column {} differs first at row {row}: expected {:?}, got {:?}",
                expected.schema().field(i).name(),
                e.slice(row, 1),
                a.slice(row, 1)
            );
        }
    }
}

/// Non-null count of a column, to make sure a comparison is not over empty data.
pub fn valid(batch: &RecordBatch, column: usize) -> usize {
    let c = batch.column(column);
    c.len() - c.null_count()
}
