//! The running state carried from one chunk to the next.

use super::runs::Start;
use crate::policy::{self, NullPolicy};

/// The running state of lanes that continue from one chunk to the next: the running
/// value of each lane and its null bookkeeping ([`policy::Lane`]: whether a value was
/// seen, for Carry, and whether a null was seen, for Propagate). O(1) per lane.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScanState<T> {
    pub(super) acc: Vec<T>,
    pub(super) nulls: Vec<policy::Lane>,
    /// How far each lane is from its first element: the first one is copied into the
    /// running value, not combined with the neutral start.
    pub(super) start: Vec<Start>,
    /// Every lane is [`Start::Running`] (the fast paths then need no per-lane check).
    pub(super) all_started: bool,
    /// Whether any lane saw a null under Propagate (the fast paths then do not apply).
    pub(super) any_poisoned: bool,
}

impl<T: Copy> ScanState<T> {
    /// Fresh state for `lanes` lanes, each starting from `start` (the operation's neutral).
    pub fn new(lanes: usize, start: T) -> Self {
        ScanState {
            acc: vec![start; lanes],
            nulls: vec![policy::Lane::default(); lanes],
            start: vec![Start::Fresh; lanes],
            all_started: lanes == 0,
            any_poisoned: false,
        }
    }

    /// The number of lanes.
    pub fn lanes(&self) -> usize {
        self.acc.len()
    }

    /// The running values.
    #[cfg(test)]
    pub fn running(&self) -> &[T] {
        &self.acc
    }

    /// The running value of a single lane that a keyed step may combine into as it is
    /// ([`super::scan_keyed`]): past its first element, and under `policy` not stopped by
    /// a null (Propagate) and already showing a value (Carry). `None` otherwise.
    pub(crate) fn settled_value(&self, policy: NullPolicy) -> Option<T> {
        let ([acc], [nulls], [Start::Running]) = (&self.acc[..], &self.nulls[..], &self.start[..])
        else {
            return None;
        };
        let settled = !nulls.poisoned && (policy != NullPolicy::Carry || nulls.seen);
        settled.then_some(*acc)
    }

    /// Sets the running value of a lane [`ScanState::settled_value`] returned.
    pub(crate) fn set_settled_value(&mut self, value: T) {
        if let [acc] = &mut self.acc[..] {
            *acc = value;
        }
    }

    pub(super) fn reset(&mut self, start: T) {
        self.acc.fill(start);
        self.nulls.fill(policy::Lane::default());
        self.start.fill(Start::Fresh);
        self.all_started = self.acc.is_empty();
        self.any_poisoned = false;
    }

    pub(super) fn lane(&self, k: usize) -> Lane<T> {
        Lane {
            acc: self.acc[k],
            nulls: self.nulls[k],
            start: self.start[k],
        }
    }

    pub(super) fn store(&mut self, k: usize, lane: Lane<T>) {
        self.acc[k] = lane.acc;
        self.nulls[k] = lane.nulls;
        self.start[k] = lane.start;
        self.any_poisoned |= lane.nulls.poisoned;
        self.all_started = self.start.iter().all(|&s| s == Start::Running);
    }
}

/// One lane's running value and null bookkeeping, held in locals while it is scanned.
#[derive(Debug, Clone, Copy)]
pub(super) struct Lane<T> {
    pub acc: T,
    pub nulls: policy::Lane,
    pub start: Start,
}

impl<T> Lane<T> {
    pub fn fresh(start: T) -> Self {
        Lane {
            acc: start,
            nulls: policy::Lane::default(),
            start: Start::Fresh,
        }
    }
}
