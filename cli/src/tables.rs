//! Files as tables: chosen by extension, registered under the name the query uses.

use std::path::Path;

use datafusion::common::TableReference;
use datafusion::datasource::file_format::options::{ArrowReadOptions, JsonReadOptions};
use datafusion::error::DataFusionError;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionContext};

/// The file formats the command reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Parquet,
    Csv,
    JsonLines,
    ArrowIpc,
}

pub const ACCEPTED_EXTENSIONS: &str =
    ".parquet, .csv, .json, .jsonl, .ndjson, .arrow, .ipc, .feather";

impl Format {
    /// The format a path's extension names, if any.
    pub fn of(path: &Path) -> Option<(Format, String)> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        let format = match extension.as_str() {
            "parquet" | "pq" => Format::Parquet,
            "csv" => Format::Csv,
            "json" | "jsonl" | "ndjson" => Format::JsonLines,
            "arrow" | "ipc" | "feather" => Format::ArrowIpc,
            _ => return None,
        };
        Some((format, extension))
    }
}

/// Registers the file (or directory of files) at `path` as table `name`.
pub async fn register(ctx: &SessionContext, name: &str, path: &Path) -> Result<(), String> {
    let shown = path.display();
    let metadata = std::fs::metadata(path)
        .map_err(|e| format!("cannot read table '{name}' from '{shown}': {e}"))?;
    let format_path = if metadata.is_dir() {
        first_file(path)?
    } else {
        path.to_path_buf()
    };
    let (format, extension) = Format::of(&format_path).ok_or_else(|| {
        format!("cannot read '{shown}': unknown file extension; accepted: {ACCEPTED_EXTENSIONS}")
    })?;
    let location = path
        .to_str()
        .ok_or_else(|| format!("path '{shown}' is not valid UTF-8"))?;
    let extension = format!(".{extension}");
    let frame = match format {
        Format::Parquet => {
            ctx.read_parquet(
                location,
                ParquetReadOptions::new().file_extension(&extension),
            )
            .await
        }
        Format::Csv => {
            ctx.read_csv(
                location,
                CsvReadOptions::new()
                    .has_header(true)
                    .file_extension(&extension),
            )
            .await
        }
        Format::JsonLines => {
            ctx.read_json(
                location,
                JsonReadOptions::default().file_extension(&extension),
            )
            .await
        }
        Format::ArrowIpc => {
            ctx.read_arrow(
                location,
                ArrowReadOptions {
                    file_extension: &extension,
                    ..Default::default()
                },
            )
            .await
        }
    }
    .map_err(|e| format!("cannot read '{shown}': {}", one_line(&e)))?;
    ctx.register_table(TableReference::bare(name), frame.into_view())
        .map_err(|e| format!("cannot register table '{name}': {}", one_line(&e)))?;
    Ok(())
}

fn first_file(dir: &Path) -> Result<std::path::PathBuf, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read '{}': {e}", dir.display()))?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.is_file() && Format::of(p).is_some())
        .ok_or_else(|| {
            format!(
                "directory '{}' holds no file with an extension of {ACCEPTED_EXTENSIONS}",
                dir.display()
            )
        })
}

/// Registers every table the query names that is not known yet but names a file.
pub async fn register_referenced_files(ctx: &SessionContext, query: &str) -> Result<(), String> {
    let state = ctx.state();
    let statement = state
        .sql_to_statement(query, &state.config_options().sql_parser.dialect)
        .map_err(|e| one_line(&e))?;
    let references = state
        .resolve_table_references(&statement)
        .map_err(|e| one_line(&e))?;
    for reference in references {
        let name = reference.table().to_string();
        let unqualified = reference.schema().is_none() && reference.catalog().is_none();
        let looks_like_file = name.contains('/') || Format::of(Path::new(&name)).is_some();
        if unqualified && looks_like_file && !ctx.table_exist(name.as_str()).unwrap_or(false) {
            register(ctx, &name, Path::new(&name)).await?;
        }
    }
    Ok(())
}

/// A DataFusion error as one line (some carry a backtrace or a newline).
pub fn one_line(error: &DataFusionError) -> String {
    let text = error.to_string();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
