//! Progress on stderr (rows written, rate) when stderr is a terminal; silent otherwise.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub struct Progress {
    enabled: bool,
    started: Instant,
    last_shown: Instant,
    rows: usize,
    every: Duration,
}

/// How often progress is shown: every 250 ms, or every `CUMULUS_PROGRESS_MS`
/// milliseconds (the tests set 0 so that a short query would show it if it were enabled).
fn every() -> Duration {
    let ms = std::env::var("CUMULUS_PROGRESS_MS").ok();
    Duration::from_millis(ms.and_then(|v| v.parse().ok()).unwrap_or(250))
}

impl Progress {
    pub fn new() -> Self {
        let now = Instant::now();
        Progress {
            enabled: std::io::stderr().is_terminal(),
            every: every(),
            started: now,
            last_shown: now,
            rows: 0,
        }
    }

    pub fn add(&mut self, rows: usize) {
        self.rows += rows;
        if self.enabled && self.last_shown.elapsed() >= self.every {
            self.last_shown = Instant::now();
            self.show();
        }
    }

    fn show(&self) {
        let seconds = self.started.elapsed().as_secs_f64().max(1e-9);
        let rate = self.rows as f64 / seconds;
        let mut err = std::io::stderr();
        let _ = write!(
            err,
            "\r{} rows, {:.0} rows/s, {:.1} s   ",
            self.rows, rate, seconds
        );
        let _ = err.flush();
    }

    /// Shows the final count and ends the line.
    pub fn finish(&self) {
        if self.enabled && self.started.elapsed() >= self.every {
            self.show();
            eprintln!();
        }
    }
}
