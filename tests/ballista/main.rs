//! Ballista tests: every query runs on Ballista and on a local `SessionContext`, and the
//! two results must be equal bit for bit.
//!
//! - `standalone`: an in-process scheduler and executor (Ballista's standalone mode,
//!   loopback gRPC, real serialization of every plan);
//! - `cluster`: a scheduler and two executors as separate processes on 127.0.0.1, one of
//!   them killed during a query.
#![cfg(feature = "ballista")]

mod cluster;
mod common;
mod standalone;
