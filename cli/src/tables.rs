//! Files as tables: chosen by extension (in any letter case), checked, registered under the
//! name the query uses.

use std::fs::Metadata;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use datafusion::common::Column;
use datafusion::common::TableReference;
use datafusion::datasource::file_format::options::{ArrowReadOptions, JsonReadOptions};
use datafusion::datasource::listing::{ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::execution::options::ReadOptions;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionContext, col};
use futures::FutureExt;

use crate::check;
use crate::guard;

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
    /// The format a path's extension names (in any letter case), if any.
    pub fn of(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        let format = match extension.as_str() {
            "parquet" | "pq" => Format::Parquet,
            "csv" => Format::Csv,
            "json" | "jsonl" | "ndjson" => Format::JsonLines,
            "arrow" | "ipc" | "feather" => Format::ArrowIpc,
            _ => return None,
        };
        Some(format)
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Parquet => "Parquet",
            Format::Csv => "CSV",
            Format::JsonLines => "JSON lines",
            Format::ArrowIpc => "Arrow IPC",
        }
    }
}

/// Registers the file (or directory of files) at `path` as table `name`, after checking
/// what DataFusion's readers do not (see `check.rs`). The files are added to `reading`
/// first, so that a panic while they are read names them.
pub async fn register(
    ctx: &SessionContext,
    name: &str,
    path: &Path,
    order: &[(String, bool)],
    reading: &Mutex<Vec<PathBuf>>,
) -> Result<(), String> {
    let (format, files) = table_files(name, path)?;
    let shown = path.display();
    let mut urls = vec![];
    for file in &files {
        check::file(format, file)?;
        let absolute = std::path::absolute(file)
            .map_err(|e| format!("cannot read '{}': {e}", file.display()))?;
        // A URL rather than a path string: DataFusion reads `*`, `?` and `[` in a path as a
        // glob; a file's name is only a name.
        let url = url::Url::from_file_path(&absolute)
            .map_err(|()| format!("cannot read '{}': not a local path", file.display()))?;
        urls.push(ListingTableUrl::try_new(url, None).map_err(|e| one_line(&e))?);
    }
    reading
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(path.to_path_buf());
    // The files are listed above: DataFusion's extension filter (case-sensitive) is off.
    let config = ctx.copied_config();
    let table_options = ctx.copied_table_options();
    let options = match format {
        Format::Parquet => ParquetReadOptions::new()
            .file_extension("")
            .to_listing_options(&config, table_options),
        Format::Csv => CsvReadOptions::new()
            .has_header(true)
            .file_extension("")
            .to_listing_options(&config, table_options),
        Format::JsonLines => JsonReadOptions::default()
            .file_extension("")
            .to_listing_options(&config, table_options),
        Format::ArrowIpc => ArrowReadOptions {
            file_extension: "",
            ..Default::default()
        }
        .to_listing_options(&config, table_options),
    };
    // A declared order (DataFusion trusts it; cumulus' OrderCheckRule checks it as rows
    // are read). Nulls first for ascending keys and last for descending ones, as SQL's
    // ORDER BY puts them by default.
    let options = if order.is_empty() {
        options
    } else {
        let keys = order
            .iter()
            .map(|(column, descending)| {
                col(Column::from_name(column)).sort(!descending, *descending)
            })
            .collect();
        options.with_file_sort_order(vec![keys])
    };
    let state = ctx.state();
    // Schema inference reads each file's footer or first rows: a reader's panic there names
    // this table's path exactly.
    let inferred = async {
        ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .infer_schema(&state)
            .await
    };
    let config = match AssertUnwindSafe(inferred).catch_unwind().await {
        Ok(config) => config.map_err(|e| format!("cannot read '{shown}': {}", one_line(&e)))?,
        Err(payload) => return Err(guard::describe(payload.as_ref(), &[path.to_path_buf()])),
    };
    let table = ListingTable::try_new(config)
        .map_err(|e| format!("cannot read '{shown}': {}", one_line(&e)))?
        .with_cache(ctx.runtime_env().cache_manager.get_file_statistic_cache());
    ctx.register_table(TableReference::bare(name), Arc::new(table))
        .map_err(|e| format!("cannot register table '{name}': {}", one_line(&e)))?;
    Ok(())
}

/// The regular files a table at `path` reads, all of one format: the file itself, or the
/// files of a directory whose extension names a format (hidden files and subdirectories
/// are not read). Anything that would block (a FIFO), read forever (a device) or read
/// some files in the wrong format is refused.
fn table_files(name: &str, path: &Path) -> Result<(Format, Vec<PathBuf>), String> {
    let shown = path.display();
    let metadata = std::fs::metadata(path)
        .map_err(|e| format!("cannot read table '{name}' from '{shown}': {e}"))?;
    if metadata.is_file() {
        let format = Format::of(path).ok_or_else(|| {
            format!(
                "cannot read '{shown}': unknown file extension; accepted: {ACCEPTED_EXTENSIONS}"
            )
        })?;
        check_not_empty(path, &metadata, format)?;
        return Ok((format, vec![path.to_path_buf()]));
    }
    if !metadata.is_dir() {
        return Err(format!(
            "cannot read '{shown}': not a regular file or a directory ({}); a table is a \
             file, or a directory of files, with an extension of {ACCEPTED_EXTENSIONS}",
            kind(&metadata)
        ));
    }
    let entries = std::fs::read_dir(path).map_err(|e| format!("cannot read '{shown}': {e}"))?;
    let mut candidates = vec![];
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read '{shown}': {e}"))?;
        let file = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && let Some(format) = Format::of(&file) {
            candidates.push((file, format));
        }
    }
    candidates.sort_by(|a, b| a.0.cmp(&b.0));
    let mut files = vec![];
    let mut first: Option<(PathBuf, Format)> = None;
    for (file, format) in candidates {
        let metadata = std::fs::metadata(&file)
            .map_err(|e| format!("cannot read '{}': {e}", file.display()))?;
        if metadata.is_dir() {
            continue;
        }
        if !metadata.is_file() {
            return Err(format!(
                "cannot read '{}': not a regular file ({}); a directory table reads regular \
                 files only",
                file.display(),
                kind(&metadata)
            ));
        }
        match &first {
            None => first = Some((file.clone(), format)),
            Some((first_file, first_format)) if *first_format != format => {
                return Err(format!(
                    "cannot read '{shown}': it mixes formats ('{}' is {}, '{}' is {}); a \
                     directory table reads files of one format",
                    first_file.display(),
                    first_format.name(),
                    file.display(),
                    format.name()
                ));
            }
            Some(_) => {}
        }
        check_not_empty(&file, &metadata, format)?;
        files.push(file);
    }
    match first {
        Some((_, format)) => Ok((format, files)),
        None => Err(format!(
            "directory '{shown}' holds no file with an extension of {ACCEPTED_EXTENSIONS}"
        )),
    }
}

/// An empty file has no schema: no Parquet footer, no Arrow schema message, no CSV header.
fn check_not_empty(file: &Path, metadata: &Metadata, format: Format) -> Result<(), String> {
    if metadata.len() == 0 {
        return Err(format!(
            "cannot read '{}': the file is empty (0 bytes), so it has no columns; {}",
            file.display(),
            match format {
                Format::Parquet => "a Parquet file starts with the magic bytes PAR1",
                Format::ArrowIpc => "an Arrow IPC file starts with ARROW1, a stream with a schema",
                Format::Csv => "a CSV file starts with a header row",
                Format::JsonLines => "a JSON lines file has a JSON object per line",
            }
        ));
    }
    Ok(())
}

/// What a non-regular file is, for a message.
fn kind(metadata: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = metadata.file_type();
        if t.is_fifo() {
            return "a FIFO, which would block";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    let _ = metadata;
    "an unknown kind of file"
}

/// Registers every table the query names that is not known yet but names a file.
pub async fn register_referenced_files(
    ctx: &SessionContext,
    query: &str,
    reading: &Mutex<Vec<PathBuf>>,
) -> Result<(), String> {
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
            register(ctx, &name, Path::new(&name), &[], reading).await?;
        }
    }
    Ok(())
}

/// A DataFusion error as one line (some carry a backtrace or a newline).
pub fn one_line(error: &DataFusionError) -> String {
    let text = error.to_string();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
