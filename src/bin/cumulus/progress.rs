//! Progress on stderr (rows written, rate) when stderr is a terminal; silent otherwise.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub struct Progress {
    enabled: bool,
    started: Instant,
    last_shown: Instant,
    rows: usize,
}

const EVERY: Duration = Duration::from_millis(250);

impl Progress {
    pub fn new() -> Self {
        let now = Instant::now();
        Progress {
            enabled: std::io::stderr().is_terminal(),
            started: now,
            last_shown: now,
            rows: 0,
        }
    }

    pub fn add(&mut self, rows: usize) {
        self.rows += rows;
        if self.enabled && self.last_shown.elapsed() >= EVERY {
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
        if self.enabled && self.started.elapsed() >= EVERY {
            self.show();
            eprintln!();
        }
    }
}
