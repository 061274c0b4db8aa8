//! Arbitrary bytes read as each input format through the command's own reading path
//! (`cumulus_cli::read_file`: the checks, the panic boundary, DataFusion's readers, as
//! `cumulus sql "SELECT * FROM t" --table t=FILE` runs them). The first byte picks the
//! extension; the rest is the file. An error is fine; a panic that escapes, an abort, an
//! allocation over libFuzzer's limit or a hang (`-timeout`) is a finding.
//!
//! The command reports a panic inside a reader as an error, so by default such panics are
//! quiet here too; set `CUMULUS_FUZZ_STRICT=1` to stop at every panic, even caught ones
//! (to find upstream bugs the command only survives).

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// Every extension family the command reads: Parquet, Arrow IPC (file or stream, told
/// apart by their bytes), CSV, JSON lines.
const EXTENSIONS: [&str; 4] = ["parquet", "arrow", "csv", "jsonl"];

/// One file per extension in a directory that lives as long as the process.
fn path(extension: &str) -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
        .path()
        .join(format!("input.{extension}"))
}

fuzz_target!(
    init: {
        if std::env::var_os("CUMULUS_FUZZ_STRICT").is_none() {
            cumulus_cli::quiet_panics();
        }
    },
    |data: &[u8]| {
        let Some((&selector, bytes)) = data.split_first() else {
            return;
        };
        let path = path(EXTENSIONS[selector as usize % EXTENSIONS.len()]);
        std::fs::write(&path, bytes).expect("the input is written");
        let _ = cumulus_cli::read_file(&path);
    }
);
