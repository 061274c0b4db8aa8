//! Writing a result: streamed batch by batch into a temporary file next to the target,
//! renamed over the target only when everything was written, so a failure never leaves a
//! partial or truncated file (and never touches an existing one).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use datafusion::arrow::csv;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::writer::FileWriter;
use datafusion::arrow::json::LineDelimitedWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;

use crate::tables::{ACCEPTED_EXTENSIONS, Format};

/// A file being written; dropped without [`Output::finish`], it removes itself.
pub struct Output {
    target: PathBuf,
    temporary: PathBuf,
    writer: Option<Writer>,
}

enum Writer {
    Parquet(ArrowWriter<File>),
    Csv(csv::Writer<BufWriter<File>>),
    JsonLines(LineDelimitedWriter<BufWriter<File>>),
    ArrowIpc(FileWriter<BufWriter<File>>),
}

/// Checks that `path` names a format the command can write, before any work is done.
pub fn check_target(path: &Path) -> Result<Format, String> {
    let format = Format::of(path).ok_or_else(|| {
        format!(
            "cannot write '{}': unknown file extension; accepted: {ACCEPTED_EXTENSIONS}",
            path.display()
        )
    })?;
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(format!(
            "cannot write '{}': directory '{}' does not exist",
            path.display(),
            parent.display()
        ));
    }
    Ok(format)
}

impl Output {
    pub fn create(target: &Path, schema: &SchemaRef) -> Result<Self, String> {
        let format = check_target(target)?;
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("output");
        let temporary = target.with_file_name(format!(".{name}.{}.partial", std::process::id()));
        let file = File::create(&temporary)
            .map_err(|e| format!("cannot write '{}': {e}", temporary.display()))?;
        let mut output = Output {
            target: target.to_path_buf(),
            temporary,
            writer: None,
        };
        let writer = match format {
            Format::Parquet => ArrowWriter::try_new(file, schema.clone(), None)
                .map(Writer::Parquet)
                .map_err(|e| e.to_string()),
            Format::Csv => Ok(Writer::Csv(
                csv::WriterBuilder::new()
                    .with_header(true)
                    .build(BufWriter::new(file)),
            )),
            Format::JsonLines => Ok(Writer::JsonLines(LineDelimitedWriter::new(BufWriter::new(
                file,
            )))),
            Format::ArrowIpc => FileWriter::try_new(BufWriter::new(file), schema)
                .map(Writer::ArrowIpc)
                .map_err(|e| e.to_string()),
        }
        .map_err(|e| output.fail(&e))?;
        output.writer = Some(writer);
        Ok(output)
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        let result = match self.writer.as_mut() {
            Some(Writer::Parquet(w)) => w.write(batch).map_err(|e| e.to_string()),
            Some(Writer::Csv(w)) => w.write(batch).map_err(|e| e.to_string()),
            Some(Writer::JsonLines(w)) => w.write(batch).map_err(|e| e.to_string()),
            Some(Writer::ArrowIpc(w)) => w.write(batch).map_err(|e| e.to_string()),
            None => Ok(()),
        };
        result.map_err(|e| self.fail(&e))
    }

    /// Completes the file and moves it over the target.
    pub fn finish(mut self) -> Result<(), String> {
        let closed = match self.writer.take() {
            Some(Writer::Parquet(w)) => w.close().map(drop).map_err(|e| e.to_string()),
            Some(Writer::Csv(w)) => w.into_inner().flush().map_err(|e| e.to_string()),
            Some(Writer::JsonLines(mut w)) => w
                .finish()
                .map_err(|e| e.to_string())
                .and_then(|()| w.into_inner().flush().map_err(|e| e.to_string())),
            Some(Writer::ArrowIpc(mut w)) => w.finish().map_err(|e| e.to_string()).and_then(|()| {
                w.into_inner()
                    .map_err(|e| e.to_string())?
                    .flush()
                    .map_err(|e| e.to_string())
            }),
            None => Ok(()),
        };
        closed.map_err(|e| self.fail(&e))?;
        File::open(&self.temporary)
            .and_then(|f| f.sync_all())
            .map_err(|e| self.fail(&e.to_string()))?;
        std::fs::rename(&self.temporary, &self.target).map_err(|e| self.fail(&e.to_string()))?;
        Ok(())
    }

    fn fail(&self, reason: &str) -> String {
        format!("cannot write '{}': {reason}", self.target.display())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Unfinished (an error, or a panic), the partial file goes; after `finish` it was
        // renamed and there is nothing left to remove.
        let _ = std::fs::remove_file(&self.temporary);
    }
}
