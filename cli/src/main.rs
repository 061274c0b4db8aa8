//! The `cumulus` command; `cumulus --help` documents it. The work is in the library
//! (`lib.rs`), which the fuzz targets call too.

use std::process::ExitCode;

fn main() -> ExitCode {
    cumulus_cli::run(std::env::args_os().skip(1))
}
