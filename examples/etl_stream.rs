//! An ETL step with the streaming `Scanner`: read a Parquet file batch by batch, add running
//! totals, write a new Parquet file. Memory holds one batch plus O(1) scan state, whatever
//! the file size; the running totals continue across batches exactly as a one-shot scan.
//!
//! Run: `cargo run --release --example etl_stream [rows]` (default 2,000,000 rows)

use std::fs::File;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, RecordBatchReader,
};
use arrow::datatypes::{DataType, Field, Float64Type, Schema};
use cumulus::{NullPolicy, Operation, ScanOptions, Scanner};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const BATCH: usize = 65_536;

/// Writes `rows` trades (ts, amount with every 7th missing) batch by batch.
fn write_input(path: &std::path::Path, rows: usize) -> Result<f64, Box<dyn std::error::Error>> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Int64, false),
        Field::new("amount", DataType::Float64, true),
    ]));
    let mut writer = ArrowWriter::try_new(File::create(path)?, schema.clone(), None)?;
    let mut total = 0.0;
    for start in (0..rows).step_by(BATCH) {
        let end = (start + BATCH).min(rows);
        let amount: Float64Array = (start..end)
            .map(|i| (i % 7 != 3).then(|| ((i * 37) % 1000) as f64 / 100.0 - 5.0))
            .collect();
        total += amount.iter().flatten().sum::<f64>();
        let ts = Int64Array::from_iter_values(start as i64..end as i64);
        writer.write(&RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(ts), Arc::new(amount)],
        )?)?;
    }
    writer.close()?;
    Ok(total)
}

/// The process's peak resident memory in MiB (Linux), to show it does not grow with the file.
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = std::env::args()
        .nth(1)
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(2_000_000);
    let dir = tempfile::tempdir()?;
    let (input, output) = (
        dir.path().join("trades.parquet"),
        dir.path().join("running.parquet"),
    );
    let total = write_input(&input, rows)?;

    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&input)?)?
        .with_batch_size(BATCH)
        .build()?;
    let amount_field = reader.schema().field_with_name("amount")?.clone();
    // Skip: a missing amount stays missing in the running total, which carries on.
    let options = ScanOptions::default().with_nulls(NullPolicy::Skip);
    let mut running = Scanner::for_field(Operation::Cumsum, &amount_field, &options)?;
    let mut peak = Scanner::for_field(Operation::Cummax, &amount_field, &options)?;
    let schema = Arc::new(Schema::new(
        reader
            .schema()
            .fields()
            .iter()
            .cloned()
            .chain([
                Arc::new(
                    running
                        .output_field(&amount_field)
                        .with_name("running_amount"),
                ),
                Arc::new(peak.output_field(&amount_field).with_name("peak_amount")),
            ])
            .collect::<Vec<_>>(),
    ));
    let mut writer = ArrowWriter::try_new(File::create(&output)?, schema.clone(), None)?;
    let mut batches = 0;
    let mut last_running = None;
    for batch in reader {
        let batch = batch?;
        let amount = batch.column_by_name("amount").ok_or("no amount column")?;
        let running_amount = running.push(amount.as_ref())?;
        let peak_amount = peak.push(amount.as_ref())?;
        let values = running_amount.as_primitive::<Float64Type>();
        last_running = (0..values.len())
            .rev()
            .find(|&i| values.is_valid(i))
            .map(|i| values.value(i))
            .or(last_running);
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        columns.extend([running_amount, peak_amount]);
        writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
        batches += 1;
    }
    writer.close()?;

    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len() as f64 / 1_048_576.0);
    println!(
        "read {rows} rows in {batches} batches of up to {BATCH} ({:.1} MiB), wrote {:.1} MiB",
        size(&input)?,
        size(&output)?
    );
    println!(
        "running total after the last row: {:.6}",
        last_running.unwrap_or_default()
    );
    println!("sum of all amounts, computed apart:  {total:.6} (equal up to float rounding order)");
    if let Some(mib) = peak_memory_mib() {
        println!(
            "peak resident memory: {mib:.1} MiB (one batch plus O(1) state; try a larger row count)"
        );
    }
    Ok(())
}
