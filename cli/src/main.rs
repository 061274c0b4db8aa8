//! The `cumulus` command; `cumulus --help` documents it. The work is in the library
//! (`lib.rs`), which the fuzz targets call too.

use std::process::ExitCode;

fn main() -> ExitCode {
    limit_malloc_arenas();
    cumulus_cli::run(std::env::args_os().skip(1))
}

/// glibc gives threads that allocate at once arenas of their own, up to 8 per core, and
/// memory freed in one is not reused by another: a query's threads (the runtime's
/// workers, one Parquet encoder per column) left the peak of a buffered 10^7-row job
/// 35 MiB higher than with 2 per core, for no measurable speed. Set before any thread
/// starts; a `MALLOC_ARENA_MAX` in the environment is left to decide.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let arenas = libc::c_int::try_from(2 * cores).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt only sets a parameter of glibc's allocator, here before any other
    // thread exists; a value it refuses leaves the default (its result is 0).
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
