//! Running products: `cumprod` and `nancumprod`.

use std::sync::{Arc, LazyLock};

use datafusion::logical_expr::{Documentation, Expr, WindowUDF};

use super::call::Cumulative;
use super::options::sql_defaults;
use super::window::{document, udwf};
use crate::Operation;

static CUMPROD: LazyLock<Arc<WindowUDF>> =
    LazyLock::new(|| udwf(Operation::Cumprod, sql_defaults()));

pub(super) static CUMPROD_DOC: LazyLock<Documentation> = LazyLock::new(|| {
    document(
        Operation::Cumprod,
        "NumPy's `np.cumprod`: the running product.",
        r#"```sql
SELECT t, x, cumprod(x) OVER (ORDER BY t) AS running
FROM (VALUES (1, 2), (2, 3), (3, 4)) AS v(t, x);
+---+---+---------+
| t | x | running |
+---+---+---------+
| 1 | 2 | 2       |
| 2 | 3 | 6       |
| 3 | 4 | 24      |
+---+---+---------+
```"#,
    )
});

/// The `cumprod` window function with SQL's defaults ([`super::sql_defaults`]), as
/// [`super::register`] registers it. NumPy's `np.cumprod`: the running product.
///
/// Calls with options need an instance made for them (the output type depends on
/// `dtype`): write them in SQL once [`super::register`] ran, or build them with [`cumprod`].
///
/// ```
/// use datafusion::prelude::*;
/// let udwf = cumulus::datafusion::cumprod_udwf();
/// assert_eq!(udwf.name(), "cumprod");
/// let e = udwf.call(vec![col("x")]).order_by(vec![col("t").sort(true, false)]).build()?;
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn cumprod_udwf() -> Arc<WindowUDF> {
    Arc::clone(&CUMPROD)
}

/// Builds a `cumprod(x)` window call for the DataFrame API. NumPy's `np.cumprod`: the running product.
///
/// Set options on the returned [`Cumulative`], then add window clauses with
/// [`datafusion::logical_expr::ExprFunctionExt`] or use it as an [`Expr`] as is.
///
/// ```
/// use datafusion::prelude::*;
/// let e = cumulus::datafusion::cumprod(col("x"))
///     .partition_by(vec![col("g")])
///     .order_by(vec![col("t").sort(true, false)])
///     .build()?
///     .alias("running");
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn cumprod(x: Expr) -> Cumulative {
    Cumulative::new(Operation::Cumprod, x)
}

static NANCUMPROD: LazyLock<Arc<WindowUDF>> =
    LazyLock::new(|| udwf(Operation::NanCumprod, sql_defaults()));

pub(super) static NANCUMPROD_DOC: LazyLock<Documentation> = LazyLock::new(|| {
    document(
        Operation::NanCumprod,
        "NumPy's `np.nancumprod`: the running product with NaN counted as 1.",
        r#"```sql
SELECT t, x, nancumprod(x) OVER (ORDER BY t) AS running
FROM (VALUES (1, 2.0), (2, 'NaN'::double), (3, 3.0)) AS v(t, x);
+---+-----+---------+
| t | x   | running |
+---+-----+---------+
| 1 | 2.0 | 2.0     |
| 2 | NaN | 2.0     |
| 3 | 3.0 | 6.0     |
+---+-----+---------+
```"#,
    )
});

/// The `nancumprod` window function with SQL's defaults ([`super::sql_defaults`]), as
/// [`super::register`] registers it. NumPy's `np.nancumprod`: the running product with NaN counted as 1.
///
/// Calls with options need an instance made for them (the output type depends on
/// `dtype`): write them in SQL once [`super::register`] ran, or build them with [`nancumprod`].
///
/// ```
/// use datafusion::prelude::*;
/// let udwf = cumulus::datafusion::nancumprod_udwf();
/// assert_eq!(udwf.name(), "nancumprod");
/// let e = udwf.call(vec![col("x")]).order_by(vec![col("t").sort(true, false)]).build()?;
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn nancumprod_udwf() -> Arc<WindowUDF> {
    Arc::clone(&NANCUMPROD)
}

/// Builds a `nancumprod(x)` window call for the DataFrame API. NumPy's `np.nancumprod`: the running product with NaN counted as 1.
///
/// Set options on the returned [`Cumulative`], then add window clauses with
/// [`datafusion::logical_expr::ExprFunctionExt`] or use it as an [`Expr`] as is.
///
/// ```
/// use datafusion::prelude::*;
/// let e = cumulus::datafusion::nancumprod(col("x"))
///     .partition_by(vec![col("g")])
///     .order_by(vec![col("t").sort(true, false)])
///     .build()?
///     .alias("running");
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn nancumprod(x: Expr) -> Cumulative {
    Cumulative::new(Operation::NanCumprod, x)
}
