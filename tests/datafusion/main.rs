//! DataFusion integration tests: real SQL on MemTables, CSV and Parquet files, compared
//! with the core API (`cumulus::scan`) on the same data.
#![cfg(feature = "datafusion")]

#[path = "../support/mod.rs"]
mod support;

mod common;
mod dataframe;
mod errors;
mod etl;
mod files;
mod hash_state;
mod nested;
mod options;
mod plans;
mod sql;
mod streaming;
mod types;
