//! `--output`: what is written is read back (in any letter case), an existing target keeps
//! its permissions, and a run interrupted, terminated or killed while writing leaves no
//! partial file and the old target untouched.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::*;

#[test]
fn what_is_written_in_any_letter_case_is_read_back() {
    let dir = temp();
    write_file(&dir.path().join("d.parquet"), &sample(4));
    std::fs::create_dir(dir.path().join("out")).unwrap();
    for target in ["out/x.PARQUET", "out/x.Arrow", "out/x.CSV", "out/x.JSONL"] {
        let query = "SELECT i, cumsum(x) OVER (ORDER BY i) AS s FROM 'd.parquet'";
        let output = cumulus(&["sql", query, "--output", target], dir.path());
        assert!(output.status.success(), "{target}: {}", stderr(&output));
        let query = format!("SELECT max(s) AS m FROM '{target}'");
        let output = cumulus(&["sql", &query], dir.path());
        assert!(output.status.success(), "{target}: {}", stderr(&output));
        assert!(stdout(&output).contains("| 100 |"), "{}", stdout(&output));
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The process's umask, read without changing it (other tests create files meanwhile).
#[cfg(target_os = "linux")]
fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
    u32::from_str_radix(line["Umask:".len()..].trim(), 8).unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn an_overwritten_target_keeps_its_permissions() {
    let dir = temp();
    write_file(&dir.path().join("d.parquet"), &sample(3));
    for named in [false, true] {
        for (target, old_mode) in [("private.csv", 0o600), ("shared.parquet", 0o664)] {
            let path = dir.path().join(target);
            std::fs::write(&path, b"old").unwrap();
            set_mode(&path, old_mode);
            let output = cumulus_env(
                &["sql", "SELECT * FROM 'd.parquet'", "--output", target],
                dir.path(),
                named,
            );
            assert!(output.status.success(), "{}", stderr(&output));
            assert_ne!(std::fs::read(&path).unwrap(), b"old");
            assert_eq!(mode(&path), old_mode, "{target}, named temporary: {named}");
            std::fs::remove_file(&path).unwrap();
        }
        // A new file gets the usual 0666 less the umask (not a temporary file's 0600).
        let output = cumulus_env(
            &["sql", "SELECT 1 AS one", "--output", "new.csv"],
            dir.path(),
            named,
        );
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(mode(&dir.path().join("new.csv")), 0o666 & !umask());
        std::fs::remove_file(dir.path().join("new.csv")).unwrap();
    }
}

fn cumulus_env(args: &[&str], dir: &Path, named_temporary: bool) -> std::process::Output {
    command(args, dir, named_temporary).output().unwrap()
}

fn command(args: &[&str], dir: &Path, named_temporary: bool) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cumulus"));
    command.args(args).current_dir(dir);
    if named_temporary {
        command.env("CUMULUS_NAMED_TEMPORARY", "1");
    }
    // The command keeps a signal its parent ignores ignored (as `nohup` and a shell's
    // background jobs, which ignore SIGINT and SIGQUIT, expect), so a test runner started
    // that way would hand that on: the child starts with the default dispositions.
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: between fork and exec only async-signal-safe calls: `signal` is one.
        unsafe {
            command.pre_exec(|| {
                for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
                    libc::signal(signal, libc::SIG_DFL);
                }
                Ok(())
            });
        }
    }
    command
}

/// A CSV of `n` rows: its cross join with itself streams n² rows into `--output` for
/// many seconds, time to signal the command while it writes.
fn slow_query(dir: &Path, n: usize) -> &'static str {
    let mut csv = String::from("i\n");
    for i in 0..n {
        csv.push_str(&format!("{i}\n"));
    }
    std::fs::write(dir.join("n.csv"), csv).unwrap();
    "SELECT a.i AS a, b.i AS b FROM 'n.csv' a, 'n.csv' b"
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The hidden temporaries in `dir` (a named temporary: `.NAME.RANDOM.partial`).
fn partial_files(dir: &Path) -> Vec<std::path::PathBuf> {
    listing(dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect()
}

/// Whether `child` has a file open that was created in `dir` and has no name
/// (`O_TMPFILE`: `/proc/PID/fd/N -> /dir/#123 (deleted)`).
#[cfg(target_os = "linux")]
fn writes_unnamed_file(child: &Child, dir: &Path) -> bool {
    let fds = format!("/proc/{}/fd", child.id());
    let Ok(entries) = std::fs::read_dir(fds) else {
        return false;
    };
    entries.filter_map(|e| e.ok()).any(|e| {
        std::fs::read_link(e.path()).is_ok_and(|target| {
            let target = target.to_string_lossy().into_owned();
            target.starts_with(&*dir.to_string_lossy()) && target.ends_with("(deleted)")
        })
    })
}

/// Starts the slow query writing `out.csv` (which holds "previous", mode 0640) and waits
/// until it is writing its temporary; returns the child and the listing before the run.
#[cfg(target_os = "linux")]
fn start_writing(dir: &Path, named: bool) -> (Child, Vec<std::path::PathBuf>) {
    let query = slow_query(dir, 4000);
    let target = dir.join("out.csv");
    std::fs::write(&target, b"previous").unwrap();
    set_mode(&target, 0o640);
    let before = listing(dir);
    let child = command(&["sql", query, "--output", "out.csv"], dir, named)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let limit = Duration::from_secs(60);
    if named {
        wait_until("a non-empty named temporary", limit, || {
            partial_files(dir)
                .first()
                .is_some_and(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
        });
        // Created exclusively under a random name: a regular file, not a planted link,
        // and nothing a user who knows the process id could predict.
        let partial = &partial_files(dir)[0];
        let name = partial.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(".out.csv.") && name.ends_with(".partial"),
            "{name}"
        );
        assert!(!name.contains(&child.id().to_string()), "{name}");
        assert!(std::fs::symlink_metadata(partial).unwrap().is_file());
    } else {
        wait_until("an unnamed temporary", limit, || {
            writes_unnamed_file(&child, dir)
        });
        // The temporary has no name: the directory is as it was.
        assert_eq!(listing(dir), before);
    }
    (child, before)
}

#[cfg(target_os = "linux")]
fn assert_untouched(dir: &Path, before: &[std::path::PathBuf]) {
    assert_eq!(listing(dir), before, "no partial file left");
    assert_eq!(std::fs::read(dir.join("out.csv")).unwrap(), b"previous");
    assert_eq!(mode(&dir.join("out.csv")), 0o640);
}

#[cfg(target_os = "linux")]
#[test]
fn sigint_and_sigterm_while_writing_leave_no_partial_file() {
    use std::os::unix::process::ExitStatusExt;
    for named in [false, true] {
        for signal in [libc::SIGINT, libc::SIGTERM] {
            let dir = temp();
            let (child, before) = start_writing(dir.path(), named);
            // SAFETY: signalling our own child.
            assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
            let output = child.wait_with_output().unwrap();
            assert_eq!(
                output.status.signal(),
                Some(signal),
                "ended by the signal (named temporary: {named}); stderr: {}",
                stderr(&output)
            );
            assert_untouched(dir.path(), &before);
        }
    }
}

/// SIGKILL (and the OOM killer) cannot be handled: only a temporary without a name leaves
/// nothing, which is what the command uses where the filesystem allows.
#[cfg(target_os = "linux")]
#[test]
fn a_killed_run_leaves_no_partial_file() {
    let dir = temp();
    let (mut child, before) = start_writing(dir.path(), false);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_untouched(dir.path(), &before);
}

#[test]
fn a_failed_run_leaves_no_partial_file_with_either_temporary() {
    let dir = temp();
    write_file(&dir.path().join("d.parquet"), &sample(5));
    std::fs::write(dir.path().join("old.csv"), b"previous result").unwrap();
    let before = listing(dir.path());
    let query = "SELECT cumprod(x, dtype => 'int8', nulls => NULL, overflow => 'error') OVER (ORDER BY i) FROM 'd.parquet'";
    for named in [false, true] {
        for target in ["new.csv", "old.csv"] {
            let output = cumulus_env(&["sql", query, "--output", target], dir.path(), named);
            assert_fails_with(&output, "overflow at row");
            assert_eq!(listing(dir.path()), before);
        }
    }
    assert_eq!(
        std::fs::read(dir.path().join("old.csv")).unwrap(),
        b"previous result"
    );
    let output = cumulus(&["sql", "SELECT 1", "--output", "."], dir.path());
    assert_fails_with(&output, "unknown file extension");
    std::fs::create_dir(dir.path().join("d.csv")).unwrap();
    let output = cumulus(&["sql", "SELECT 1", "--output", "d.csv"], dir.path());
    assert_fails_with(&output, "cannot write 'd.csv': it is a directory");
}
