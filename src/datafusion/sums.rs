//! Running sums: `cumsum` and `nancumsum`.

use std::sync::{Arc, LazyLock};

use datafusion::logical_expr::{Documentation, Expr, WindowUDF};

use super::call::Cumulative;
use super::options::sql_defaults;
use super::window::{document, udwf};
use crate::Operation;

static CUMSUM: LazyLock<Arc<WindowUDF>> = LazyLock::new(|| udwf(Operation::Cumsum, sql_defaults()));

pub(super) static CUMSUM_DOC: LazyLock<Documentation> = LazyLock::new(|| {
    document(
        Operation::Cumsum,
        "NumPy's `np.cumsum`: the running sum.",
        r#"```sql
SELECT t, x, cumsum(x) OVER (ORDER BY t) AS running
FROM (VALUES (1, 1), (2, NULL), (3, 2)) AS v(t, x);
+---+---+---------+
| t | x | running |
+---+---+---------+
| 1 | 1 | 1       |
| 2 |   | 1       |
| 3 | 2 | 3       |
+---+---+---------+
```"#,
    )
});

/// The `cumsum` window function with SQL's defaults ([`super::sql_defaults`]), as
/// [`super::register`] registers it. NumPy's `np.cumsum`: the running sum.
///
/// Calls with options need an instance made for them (the output type depends on
/// `dtype`): write them in SQL once [`super::register`] ran, or build them with [`cumsum`].
///
/// ```
/// use datafusion::prelude::*;
/// let udwf = cumulus::datafusion::cumsum_udwf();
/// assert_eq!(udwf.name(), "cumsum");
/// let e = udwf.call(vec![col("x")]).order_by(vec![col("t").sort(true, false)]).build()?;
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn cumsum_udwf() -> Arc<WindowUDF> {
    Arc::clone(&CUMSUM)
}

/// Builds a `cumsum(x)` window call for the DataFrame API. NumPy's `np.cumsum`: the running sum.
///
/// Set options on the returned [`Cumulative`], then add window clauses with
/// [`datafusion::logical_expr::ExprFunctionExt`] or use it as an [`Expr`] as is.
///
/// ```
/// use datafusion::prelude::*;
/// let e = cumulus::datafusion::cumsum(col("x"))
///     .partition_by(vec![col("g")])
///     .order_by(vec![col("t").sort(true, false)])
///     .build()?
///     .alias("running");
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn cumsum(x: Expr) -> Cumulative {
    Cumulative::new(Operation::Cumsum, x)
}

static NANCUMSUM: LazyLock<Arc<WindowUDF>> =
    LazyLock::new(|| udwf(Operation::NanCumsum, sql_defaults()));

pub(super) static NANCUMSUM_DOC: LazyLock<Documentation> = LazyLock::new(|| {
    document(
        Operation::NanCumsum,
        "NumPy's `np.nancumsum`: the running sum with NaN counted as 0.",
        r#"```sql
SELECT t, x, nancumsum(x) OVER (ORDER BY t) AS running
FROM (VALUES (1, 1.5), (2, 'NaN'::double), (3, 2.5)) AS v(t, x);
+---+-----+---------+
| t | x   | running |
+---+-----+---------+
| 1 | 1.5 | 1.5     |
| 2 | NaN | 1.5     |
| 3 | 2.5 | 4.0     |
+---+-----+---------+
```"#,
    )
});

/// The `nancumsum` window function with SQL's defaults ([`super::sql_defaults`]), as
/// [`super::register`] registers it. NumPy's `np.nancumsum`: the running sum with NaN counted as 0.
///
/// Calls with options need an instance made for them (the output type depends on
/// `dtype`): write them in SQL once [`super::register`] ran, or build them with [`nancumsum`].
///
/// ```
/// use datafusion::prelude::*;
/// let udwf = cumulus::datafusion::nancumsum_udwf();
/// assert_eq!(udwf.name(), "nancumsum");
/// let e = udwf.call(vec![col("x")]).order_by(vec![col("t").sort(true, false)]).build()?;
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn nancumsum_udwf() -> Arc<WindowUDF> {
    Arc::clone(&NANCUMSUM)
}

/// Builds a `nancumsum(x)` window call for the DataFrame API. NumPy's `np.nancumsum`: the running sum with NaN counted as 0.
///
/// Set options on the returned [`Cumulative`], then add window clauses with
/// [`datafusion::logical_expr::ExprFunctionExt`] or use it as an [`Expr`] as is.
///
/// ```
/// use datafusion::prelude::*;
/// let e = cumulus::datafusion::nancumsum(col("x"))
///     .partition_by(vec![col("g")])
///     .order_by(vec![col("t").sort(true, false)])
///     .build()?
///     .alias("running");
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn nancumsum(x: Expr) -> Cumulative {
    Cumulative::new(Operation::NanCumsum, x)
}
