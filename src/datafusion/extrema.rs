//! Running extremes: `cummax` and `cummin`.

use std::sync::{Arc, LazyLock};

use datafusion::logical_expr::{Documentation, Expr, WindowUDF};

use super::call::Cumulative;
use super::options::sql_defaults;
use super::window::{document, udwf};
use crate::Operation;

static CUMMAX: LazyLock<Arc<WindowUDF>> = LazyLock::new(|| udwf(Operation::Cummax, sql_defaults()));

pub(super) static CUMMAX_DOC: LazyLock<Documentation> = LazyLock::new(|| {
    document(
        Operation::Cummax,
        "NumPy's `np.maximum.accumulate`: the running maximum; NaN propagates.",
        r#"```sql
SELECT t, x, cummax(x) OVER (ORDER BY t) AS running
FROM (VALUES (1, 1), (2, 3), (3, 2)) AS v(t, x);
+---+---+---------+
| t | x | running |
+---+---+---------+
| 1 | 1 | 1       |
| 2 | 3 | 3       |
| 3 | 2 | 3       |
+---+---+---------+
```"#,
    )
});

/// The `cummax` window function with SQL's defaults ([`super::sql_defaults`]), as
/// [`super::register`] registers it. NumPy's `np.maximum.accumulate`: the running maximum; NaN propagates.
///
/// Calls with options need an instance made for them (the output type depends on
/// `dtype`): write them in SQL once [`super::register`] ran, or build them with [`cummax`].
///
/// ```
/// use datafusion::prelude::*;
/// let udwf = cumulus::datafusion::cummax_udwf();
/// assert_eq!(udwf.name(), "cummax");
/// let e = udwf.call(vec![col("x")]).order_by(vec![col("t").sort(true, false)]).build()?;
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn cummax_udwf() -> Arc<WindowUDF> {
    Arc::clone(&CUMMAX)
}

/// Builds a `cummax(x)` window call for the DataFrame API. NumPy's `np.maximum.accumulate`: the running maximum; NaN propagates.
///
/// Set options on the returned [`Cumulative`], then add window clauses with
/// [`datafusion::logical_expr::ExprFunctionExt`] or use it as an [`Expr`] as is.
///
/// ```
/// use datafusion::prelude::*;
/// let e = cumulus::datafusion::cummax(col("x"))
///     .partition_by(vec![col("g")])
///     .order_by(vec![col("t").sort(true, false)])
///     .build()?
///     .alias("running");
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn cummax(x: Expr) -> Cumulative {
    Cumulative::new(Operation::Cummax, x)
}

static CUMMIN: LazyLock<Arc<WindowUDF>> = LazyLock::new(|| udwf(Operation::Cummin, sql_defaults()));

pub(super) static CUMMIN_DOC: LazyLock<Documentation> = LazyLock::new(|| {
    document(
        Operation::Cummin,
        "NumPy's `np.minimum.accumulate`: the running minimum; NaN propagates.",
        r#"```sql
SELECT t, x, cummin(x) OVER (ORDER BY t) AS running
FROM (VALUES (1, 3), (2, 1), (3, 2)) AS v(t, x);
+---+---+---------+
| t | x | running |
+---+---+---------+
| 1 | 3 | 3       |
| 2 | 1 | 1       |
| 3 | 2 | 1       |
+---+---+---------+
```"#,
    )
});

/// The `cummin` window function with SQL's defaults ([`super::sql_defaults`]), as
/// [`super::register`] registers it. NumPy's `np.minimum.accumulate`: the running minimum; NaN propagates.
///
/// Calls with options need an instance made for them (the output type depends on
/// `dtype`): write them in SQL once [`super::register`] ran, or build them with [`cummin`].
///
/// ```
/// use datafusion::prelude::*;
/// let udwf = cumulus::datafusion::cummin_udwf();
/// assert_eq!(udwf.name(), "cummin");
/// let e = udwf.call(vec![col("x")]).order_by(vec![col("t").sort(true, false)]).build()?;
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn cummin_udwf() -> Arc<WindowUDF> {
    Arc::clone(&CUMMIN)
}

/// Builds a `cummin(x)` window call for the DataFrame API. NumPy's `np.minimum.accumulate`: the running minimum; NaN propagates.
///
/// Set options on the returned [`Cumulative`], then add window clauses with
/// [`datafusion::logical_expr::ExprFunctionExt`] or use it as an [`Expr`] as is.
///
/// ```
/// use datafusion::prelude::*;
/// let e = cumulus::datafusion::cummin(col("x"))
///     .partition_by(vec![col("g")])
///     .order_by(vec![col("t").sort(true, false)])
///     .build()?
///     .alias("running");
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn cummin(x: Expr) -> Cumulative {
    Cumulative::new(Operation::Cummin, x)
}
