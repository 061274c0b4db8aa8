//! Polars integration: an extension trait on `Expr` with the six cumulative operations.
