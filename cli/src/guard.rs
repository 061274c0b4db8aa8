//! The panic boundary: a panic in a reader (arrow, parquet, DataFusion) on a damaged file
//! becomes the command's one-line error naming the file, never a backtrace.
//!
//! DataFusion resumes a panic of a spawned task in the task that awaits it
//! (`SpawnedTask::join_unwind`), so every panic of a query reaches the thread that runs it,
//! where [`catch`] stops it. What cannot be caught (an allocation that fails, which aborts)
//! is prevented by the checks in `check.rs`.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Mutex, Once};

/// Where the first panic since the last [`catch`] happened (the hook sees it, the payload
/// does not carry it).
static LOCATION: Mutex<Option<String>> = Mutex::new(None);

/// Replaces the default panic hook (which prints a message and a backtrace) by one that
/// only notes where the panic happened, for the error message. Idempotent.
pub fn quiet_panics() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            if let Some(location) = info.location() {
                let mut slot = LOCATION.lock().unwrap_or_else(|e| e.into_inner());
                slot.get_or_insert_with(|| {
                    format!("{}:{}", short_path(location.file()), location.line())
                });
            }
        }));
    });
}

/// `~/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/parquet-59.3.2/src/x.rs` as
/// `parquet-59.3.2/src/x.rs`.
fn short_path(file: &str) -> &str {
    match file.find("/index.crates.io-") {
        Some(start) => {
            let rest = &file[start + 1..];
            rest.find('/').map_or(rest, |slash| &rest[slash + 1..])
        }
        None => file,
    }
}

/// Runs `f`; a panic inside it becomes an error naming the `files` being read then.
pub fn catch<T>(
    files: &Mutex<Vec<PathBuf>>,
    f: impl FnOnce() -> Result<T, String>,
) -> Result<T, String> {
    take_location();
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let files = files.lock().unwrap_or_else(|e| e.into_inner());
        Err(describe(payload.as_ref(), &files))
    })
}

/// The message of a panic that reached the top of a thread, outside any file.
pub fn internal_error(payload: Box<dyn Any + Send>) -> String {
    describe(payload.as_ref(), &[])
}

fn take_location() -> Option<String> {
    LOCATION.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// `cannot read 'x.arrow': <panic message> (a panic at arrow-buffer-59.3.2/src/...)`, or,
/// with no file being read, an internal error to report.
pub fn describe(payload: &(dyn Any + Send), files: &[PathBuf]) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let at = take_location().map_or(String::new(), |l| format!(" at {l}"));
    if files.is_empty() {
        return format!("internal error: {message} (a panic{at}; please report it)");
    }
    let names: Vec<String> = files.iter().map(|f| format!("'{}'", f.display())).collect();
    format!(
        "cannot read {}: the file is damaged or not in the format its extension names \
         ({message}: a panic in the reader{at})",
        names.join(" or ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_naming_the_files() {
        quiet_panics();
        let files = Mutex::new(vec![PathBuf::from("x.arrow")]);
        let result: Result<(), String> = catch(&files, || panic!("offset too\nlarge"));
        let message = result.unwrap_err();
        assert!(
            message.starts_with("cannot read 'x.arrow': the file is damaged"),
            "{message}"
        );
        assert!(
            message.contains("(offset too large: a panic in the reader at cli/src/guard.rs:"),
            "{message}"
        );
        let none = Mutex::new(vec![]);
        let result: Result<(), String> = catch(&none, || panic!("bug"));
        assert!(
            result
                .unwrap_err()
                .starts_with("internal error: bug (a panic at ")
        );
        assert_eq!(catch(&none, || Ok(3)), Ok(3));
    }

    #[test]
    fn registry_paths_are_shortened() {
        assert_eq!(
            short_path("/root/.cargo/registry/src/index.crates.io-19/parquet-59.3.2/src/a.rs"),
            "parquet-59.3.2/src/a.rs"
        );
        assert_eq!(short_path("cli/src/guard.rs"), "cli/src/guard.rs");
    }
}
