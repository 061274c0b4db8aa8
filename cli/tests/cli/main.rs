//! The `cumulus` command, driven as a user would: files written by the test, every input
//! and output format, the demo, each error with its message and exit status, damaged and
//! hostile inputs, and the safety of `--output` (no partial file after a failure, a signal
//! or a kill; permissions kept).

#[cfg(feature = "ballista")]
mod cluster;
mod inputs;
mod jobs;
mod output;
mod queries;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

pub(crate) fn cumulus(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cumulus"))
        .args(args)
        // Progress would show at once, so "no progress on a pipe" is really tested.
        .env("CUMULUS_PROGRESS_MS", "0")
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts a failure: exit status 1 and exactly one line on stderr containing `needle`.
pub(crate) fn assert_fails_with(output: &Output, needle: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line on stderr: {err}");
    assert!(
        err.starts_with("cumulus: ") && err.contains(needle),
        "'{needle}' not in: {err}"
    );
}

/// i = 1..=n, x = i * 10 (the last value optionally a huge one), g = i % 3 as text.
pub(crate) fn sample(n: i64) -> RecordBatch {
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("i", Arc::new(Int64Array::from_iter_values(1..=n))),
        (
            "x",
            Arc::new(Int64Array::from_iter_values((1..=n).map(|i| i * 10))),
        ),
        (
            "g",
            Arc::new(StringArray::from_iter_values(
                (1..=n).map(|i| format!("g{}", i % 3)),
            )),
        ),
        (
            "f",
            Arc::new(Float64Array::from_iter(
                (1..=n).map(|i| (i % 4 != 0).then_some(i as f64 / 2.0)),
            )),
        ),
    ];
    RecordBatch::try_from_iter(columns).unwrap()
}

pub(crate) fn write_file(path: &Path, batch: &RecordBatch) {
    let file = File::create(path).unwrap();
    match path.extension().and_then(|e| e.to_str()).unwrap() {
        "parquet" => {
            let mut w = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
            w.write(batch).unwrap();
            w.close().unwrap();
        }
        "csv" => {
            let mut w = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(file);
            w.write(batch).unwrap();
        }
        "jsonl" | "json" => {
            let mut w = arrow::json::LineDelimitedWriter::new(file);
            w.write(batch).unwrap();
            w.finish().unwrap();
        }
        "arrow" => {
            let mut w = arrow::ipc::writer::FileWriter::try_new(file, &batch.schema()).unwrap();
            w.write(batch).unwrap();
            w.finish().unwrap();
        }
        other => panic!("no writer for {other}"),
    }
}

pub(crate) fn read_back(path: &Path) -> Vec<RecordBatch> {
    let file = File::open(path).unwrap();
    match path.extension().and_then(|e| e.to_str()).unwrap() {
        "parquet" => ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap(),
        "arrow" => arrow::ipc::reader::FileReader::try_new(file, None)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap(),
        other => panic!("read {other} as text"),
    }
}

pub(crate) fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// The files in a directory, to check nothing partial was left behind.
pub(crate) fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}
