//! Writing a result: streamed batch by batch into a temporary file in the target's
//! directory, which becomes the target only when everything was written. A failure, an
//! interrupt or a kill never leaves a partial file and never touches an existing target.
//!
//! On Linux the temporary has no name at all (`O_TMPFILE`): the kernel frees it however the
//! process ends, even on SIGKILL or the OOM killer; when complete it is linked in under the
//! target's name. Where `O_TMPFILE` is not available (another OS, a filesystem without it)
//! it is a hidden file with a random name, created exclusively (never through a planted
//! symlink), removed on failure and by a handler of SIGINT, SIGTERM, SIGHUP, SIGQUIT and
//! SIGABRT (an allocation failure aborts). An existing target keeps its permissions.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use datafusion::arrow::csv;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::writer::FileWriter;
use datafusion::arrow::json::LineDelimitedWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::file::properties::WriterProperties;

use crate::parquet_output::ParquetOutput;
use crate::tables::{ACCEPTED_EXTENSIONS, Format};

/// Set (to anything) to use a named temporary even where `O_TMPFILE` works: for the tests
/// of the fallback, and for a filesystem whose `O_TMPFILE` misbehaves.
const NAMED_TEMPORARY_VARIABLE: &str = "CUMULUS_NAMED_TEMPORARY";

/// A file being written; dropped without [`Output::finish`], it leaves nothing.
pub struct Output {
    target: PathBuf,
    temporary: Temporary,
    /// The temporary's permissions when complete: the target's if it exists.
    mode: Option<std::fs::Permissions>,
    writer: Option<Writer>,
}

enum Writer {
    Parquet(ParquetOutput),
    Csv(csv::Writer<BufWriter<File>>),
    JsonLines(LineDelimitedWriter<BufWriter<File>>),
    ArrowIpc(FileWriter<BufWriter<File>>),
}

/// Checks that `path` names a format the command can write, in a directory that exists,
/// and is not a directory itself, before any work is done.
pub fn check_target(path: &Path) -> Result<Format, String> {
    let shown = path.display();
    let format = Format::of(path).ok_or_else(|| {
        format!("cannot write '{shown}': unknown file extension; accepted: {ACCEPTED_EXTENSIONS}")
    })?;
    let parent = directory_of(path);
    if !parent.is_dir() {
        return Err(format!(
            "cannot write '{shown}': directory '{}' does not exist",
            parent.display()
        ));
    }
    if path.is_dir() {
        return Err(format!(
            "cannot write '{shown}': it is a directory; --output takes a file name"
        ));
    }
    Ok(format)
}

fn directory_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

impl Output {
    /// A writer of `target` in the format its extension names; a Parquet file gets
    /// `parquet` (compression, the order of the rows it will hold).
    pub fn create(
        target: &Path,
        schema: &SchemaRef,
        parquet: WriterProperties,
    ) -> Result<Self, String> {
        let fail = |e: &dyn std::fmt::Display| format!("cannot write '{}': {e}", target.display());
        let format = check_target(target)?;
        // Following a symlink target: its file's permissions are the ones the user set.
        let mode = std::fs::metadata(target)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.permissions());
        let temporary = Temporary::create(target).map_err(|e| fail(&e))?;
        let file = temporary.file().try_clone().map_err(|e| fail(&e))?;
        let writer = match format {
            Format::Parquet => ParquetOutput::try_new(file, schema, parquet).map(Writer::Parquet),
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
        .map_err(|e| fail(&e))?;
        Ok(Output {
            target: target.to_path_buf(),
            temporary,
            mode,
            writer: Some(writer),
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        let result = match self.writer.as_mut() {
            Some(Writer::Parquet(w)) => w.write(batch),
            Some(Writer::Csv(w)) => w.write(batch).map_err(|e| e.to_string()),
            Some(Writer::JsonLines(w)) => w.write(batch).map_err(|e| e.to_string()),
            Some(Writer::ArrowIpc(w)) => w.write(batch).map_err(|e| e.to_string()),
            None => Ok(()),
        };
        result.map_err(|e| self.fail(&e))
    }

    /// Completes the file and puts it in the target's place.
    pub fn finish(mut self) -> Result<(), String> {
        let closed = match self.writer.take() {
            Some(Writer::Parquet(w)) => w.finish(),
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
        let file = self.temporary.file();
        if let Some(mode) = self.mode.take() {
            file.set_permissions(mode)
                .map_err(|e| self.fail(&e.to_string()))?;
        }
        file.sync_all().map_err(|e| self.fail(&e.to_string()))?;
        self.temporary
            .persist(&self.target)
            .map_err(|e| self.fail(&e.to_string()))?;
        // The new directory entry survives a crash too (best effort: not every filesystem
        // syncs a directory).
        if let Ok(dir) = File::open(directory_of(&self.target)) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    fn fail(&self, reason: &str) -> String {
        format!("cannot write '{}': {reason}", self.target.display())
    }
}

/// The file being written, and how it becomes the target.
enum Temporary {
    /// `O_TMPFILE`: no name; the descriptor's `/proc/self/fd` link is linked in at the end.
    #[cfg(target_os = "linux")]
    Unnamed(File),
    /// A hidden `.NAME.RANDOM.partial` beside the target, removed when dropped unpersisted.
    Named(File, Option<tempfile::TempPath>),
}

impl Temporary {
    fn create(target: &Path) -> std::io::Result<Temporary> {
        let dir = directory_of(target);
        #[cfg(target_os = "linux")]
        if std::env::var_os(NAMED_TEMPORARY_VARIABLE).is_none()
            && let Some(file) = unnamed::create(dir)?
        {
            return Ok(Temporary::Unnamed(file));
        }
        let name = target
            .file_name()
            .map_or("output".into(), |n| n.to_string_lossy());
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".partial");
        // The default for a new file (0666 less the umask), not tempfile's 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let (file, path) = builder.tempfile_in(dir)?.into_parts();
        signals::remove_on_signal(Some(&path));
        Ok(Temporary::Named(file, Some(path)))
    }

    fn file(&self) -> &File {
        match self {
            #[cfg(target_os = "linux")]
            Temporary::Unnamed(file) => file,
            Temporary::Named(file, _) => file,
        }
    }

    fn persist(&mut self, target: &Path) -> std::io::Result<()> {
        match self {
            #[cfg(target_os = "linux")]
            Temporary::Unnamed(file) => unnamed::link(file, target),
            Temporary::Named(_, path) => {
                let Some(path) = path.take() else {
                    return Ok(());
                };
                let result = path.persist(target).map_err(|e| {
                    let reason = e.error.to_string();
                    drop(e.path); // removes the temporary
                    std::io::Error::other(reason)
                });
                signals::remove_on_signal(None);
                result
            }
        }
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        // A `TempPath` removes its file when dropped; the signal handler must not remove
        // it again (nor a file created later under the same name).
        if let Temporary::Named(_, Some(_)) = self {
            signals::remove_on_signal(None);
        }
    }
}

#[cfg(target_os = "linux")]
mod unnamed {
    use std::ffi::CString;
    use std::fs::{File, OpenOptions};
    use std::io;
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::{Path, PathBuf};

    /// An unnamed file in `dir`, or `None` where the filesystem (or kernel) has no
    /// `O_TMPFILE` or `/proc` is not mounted (the link at the end needs it).
    pub fn create(dir: &Path) -> io::Result<Option<File>> {
        if !Path::new("/proc/self/fd").is_dir() {
            return Ok(None);
        }
        let opened = OpenOptions::new()
            .write(true)
            .mode(0o666)
            .custom_flags(libc::O_TMPFILE)
            .open(dir);
        match opened {
            Ok(file) => Ok(Some(file)),
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL | libc::ENOENT)
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Gives the unnamed `file` the name `target`: linked in directly when there is no
    /// target, else under a random name that is then renamed over the target (a link
    /// cannot replace a file). Only in that instant does a name exist to clean up.
    pub fn link(file: &File, target: &Path) -> io::Result<()> {
        match link_at(file, target) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            other => return other,
        }
        let name = target
            .file_name()
            .map_or("output".into(), |n| n.to_string_lossy());
        let mut attempts = 0;
        let temporary = loop {
            let candidate = target.with_file_name(format!(".{name}.{:016x}.partial", random()));
            match link_at(file, &candidate) {
                Ok(()) => break candidate,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 16 => {
                    attempts += 1;
                }
                Err(e) => return Err(e),
            }
        };
        super::signals::remove_on_signal(Some(&temporary));
        let renamed = std::fs::rename(&temporary, target);
        if renamed.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        super::signals::remove_on_signal(None);
        renamed
    }

    /// `linkat(AT_FDCWD, "/proc/self/fd/N", AT_FDCWD, name, AT_SYMLINK_FOLLOW)`: never
    /// replaces nor follows an existing `name`.
    fn link_at(file: &File, name: &Path) -> io::Result<()> {
        let from = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
        let to = CString::new(PathBuf::from(name).as_os_str().as_bytes())?;
        // SAFETY: both are NUL-terminated strings that outlive the call.
        let status = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if status == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    fn random() -> u64 {
        use std::hash::{BuildHasher, RandomState};
        RandomState::new().hash_one(std::time::SystemTime::now())
    }
}

/// Removing the named temporary when the process is interrupted or terminated.
pub mod signals {
    use std::path::Path;

    /// Installs the handler (once, before any temporary exists).
    pub fn handle_signals() {
        #[cfg(unix)]
        unix::install();
    }

    /// The file the handler removes (`None`: nothing).
    pub fn remove_on_signal(path: Option<&Path>) {
        #[cfg(unix)]
        unix::set(path);
        #[cfg(not(unix))]
        let _ = path;
    }

    #[cfg(unix)]
    mod unix {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        use std::path::Path;
        use std::sync::Once;
        use std::sync::atomic::{AtomicPtr, Ordering};

        use libc::c_char;

        /// The path to remove, as a C string the handler can pass to `unlink` (the only
        /// async-signal-safe way to share it). Replaced strings are leaked: a run sets
        /// at most two, and the handler may be reading one at any time.
        static PATH: AtomicPtr<c_char> = AtomicPtr::new(std::ptr::null_mut());

        const SIGNALS: [libc::c_int; 5] = [
            libc::SIGINT,
            libc::SIGTERM,
            libc::SIGHUP,
            libc::SIGQUIT,
            libc::SIGABRT,
        ];

        pub fn set(path: Option<&Path>) {
            let new = path
                .and_then(|p| CString::new(p.as_os_str().as_bytes()).ok())
                .map_or(std::ptr::null_mut(), CString::into_raw);
            PATH.swap(new, Ordering::SeqCst);
        }

        extern "C" fn on_signal(signal: libc::c_int) {
            let path = PATH.swap(std::ptr::null_mut(), Ordering::SeqCst);
            // SAFETY: `path` is null or a leaked NUL-terminated string; unlink and raise
            // are async-signal-safe. The handler was reset to the default on entry
            // (SA_RESETHAND), so raising the signal again ends the process as it would
            // have ended without the handler (status 130 for SIGINT in a shell).
            unsafe {
                if !path.is_null() {
                    libc::unlink(path);
                }
                libc::raise(signal);
            }
        }

        pub fn install() {
            static INSTALLED: Once = Once::new();
            INSTALLED.call_once(|| {
                for signal in SIGNALS {
                    // SAFETY: a zeroed sigaction is valid; the handler only calls
                    // async-signal-safe functions.
                    unsafe {
                        let mut previous: libc::sigaction = std::mem::zeroed();
                        libc::sigaction(signal, std::ptr::null(), &mut previous);
                        // A signal the caller ignores (`nohup`) stays ignored.
                        if previous.sa_sigaction == libc::SIG_IGN {
                            continue;
                        }
                        let mut action: libc::sigaction = std::mem::zeroed();
                        action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                        action.sa_flags = libc::SA_RESETHAND | libc::SA_ONSTACK;
                        libc::sigemptyset(&mut action.sa_mask);
                        libc::sigaction(signal, &action, std::ptr::null_mut());
                    }
                }
            });
        }
    }
}

pub use signals::handle_signals;
