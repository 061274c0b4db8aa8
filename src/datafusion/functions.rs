//! The six SQL functions as one table: for each [`Operation`], the `xxx_udwf()` accessor
//! of its registered window function and the `xxx(expr)` DataFrame builder (both
//! generated, with their documentation and a runnable example), and the example its
//! DataFusion [`Documentation`] shows. Everything else a function's documentation says
//! comes from the core: the description from [`Operation::summary`], the options from
//! [`ScanOption`].

use std::sync::{Arc, LazyLock};

use datafusion::logical_expr::window_doc_sections::DOC_SECTION_ANALYTICAL;
use datafusion::logical_expr::{Documentation, Expr, WindowUDF};

use super::call::Cumulative;
use super::options::{sql_accepted, sql_defaults, syntax};
use super::window::udwf as make_udwf;
use crate::{Operation, ScanOption};

/// Generates, for each row `Variant: name, name_udwf, "VALUES ...", [output table];`,
/// the two public functions and the SQL example of the function's documentation: the
/// query `SELECT t, x, name(x) OVER (ORDER BY t) AS running FROM (VALUES ...) AS v(t, x)`
/// and its output, which the accessor's doctest runs.
macro_rules! sql_functions {
    ($(
        $Variant:ident: $name:ident, $udwf:ident, $values:literal, [$($row:literal),+ $(,)?];
    )+) => {
        $(
            #[doc = concat!(
                "The `", stringify!($name), "` window function with SQL's defaults ",
                "([`super::sql_defaults`]), as [`super::register`] registers it: ",
                "[`Operation::", stringify!($Variant), "`]."
            )]
            ///
            /// Calls with options need an instance made for them (the output type depends
            /// on `dtype`): write them in SQL once [`super::register`] ran, or build them
            #[doc = concat!("with [`", stringify!($name), "`].")]
            ///
            /// ```
            /// # tokio::runtime::Runtime::new()?.block_on(async {
            /// let ctx = datafusion::prelude::SessionContext::new();
            /// cumulus::datafusion::register(&ctx)?;
            #[doc = concat!(
                "assert_eq!(cumulus::datafusion::", stringify!($udwf), "().name(), \"",
                stringify!($name), "\");"
            )]
            #[doc = concat!(
                "let sql = \"SELECT t, x, ", stringify!($name),
                "(x) OVER (ORDER BY t) AS running FROM ", $values, " AS v(t, x)\";"
            )]
            /// let batches = ctx.sql(sql).await?.collect().await?;
            /// datafusion::assert_batches_eq!(
            ///     [
            $(#[doc = concat!("        \"", $row, "\",")])+
            ///     ],
            ///     &batches
            /// );
            /// # Ok::<(), datafusion::error::DataFusionError>(())
            /// # })?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn $udwf() -> Arc<WindowUDF> {
                super::udwf(Operation::$Variant)
            }

            #[doc = concat!(
                "Builds a `", stringify!($name), "(x)` window call for the DataFrame API: ",
                "[`Operation::", stringify!($Variant), "`]."
            )]
            ///
            /// Set options on the returned [`Cumulative`], then add window clauses with
            /// [`datafusion::logical_expr::ExprFunctionExt`] or use it as an [`Expr`] as is.
            ///
            /// ```
            /// use datafusion::prelude::*;
            #[doc = concat!("let e = cumulus::datafusion::", stringify!($name), "(col(\"x\"))")]
            ///     .partition_by(vec![col("g")])
            ///     .order_by(vec![col("t").sort(true, false)])
            ///     .build()?
            ///     .alias("running");
            #[doc = concat!(
                "assert!(e.to_string().starts_with(\"", stringify!($name), "(x) PARTITION BY [g]\"));"
            )]
            /// # Ok::<(), datafusion::error::DataFusionError>(())
            /// ```
            pub fn $name(x: Expr) -> Cumulative {
                Cumulative::new(Operation::$Variant, x)
            }
        )+

        /// The SQL example of `op`'s documentation: the query and its output.
        fn sql_example(op: Operation) -> String {
            let (values, rows): (&str, &[&str]) = match op {
                $(Operation::$Variant => ($values, &[$($row),+]),)+
            };
            format!(
                "```sql\nSELECT t, x, {op}(x) OVER (ORDER BY t) AS running\nFROM {values} AS v(t, x);\n{}\n```",
                rows.join("\n")
            )
        }
    };
}

sql_functions! {
    Cumsum: cumsum, cumsum_udwf, "(VALUES (1, 1), (2, NULL), (3, 2))", [
        "+---+---+---------+",
        "| t | x | running |",
        "+---+---+---------+",
        "| 1 | 1 | 1       |",
        "| 2 |   | 1       |",
        "| 3 | 2 | 3       |",
        "+---+---+---------+",
    ];
    Cumprod: cumprod, cumprod_udwf, "(VALUES (1, 2), (2, 3), (3, 4))", [
        "+---+---+---------+",
        "| t | x | running |",
        "+---+---+---------+",
        "| 1 | 2 | 2       |",
        "| 2 | 3 | 6       |",
        "| 3 | 4 | 24      |",
        "+---+---+---------+",
    ];
    NanCumsum: nancumsum, nancumsum_udwf, "(VALUES (1, 1.5), (2, 'NaN'::double), (3, 2.5))", [
        "+---+-----+---------+",
        "| t | x   | running |",
        "+---+-----+---------+",
        "| 1 | 1.5 | 1.5     |",
        "| 2 | NaN | 1.5     |",
        "| 3 | 2.5 | 4.0     |",
        "+---+-----+---------+",
    ];
    NanCumprod: nancumprod, nancumprod_udwf, "(VALUES (1, 2.0), (2, 'NaN'::double), (3, 3.0))", [
        "+---+-----+---------+",
        "| t | x   | running |",
        "+---+-----+---------+",
        "| 1 | 2.0 | 2.0     |",
        "| 2 | NaN | 2.0     |",
        "| 3 | 3.0 | 6.0     |",
        "+---+-----+---------+",
    ];
    Cummax: cummax, cummax_udwf, "(VALUES (1, 1), (2, 3), (3, 2))", [
        "+---+---+---------+",
        "| t | x | running |",
        "+---+---+---------+",
        "| 1 | 1 | 1       |",
        "| 2 | 3 | 3       |",
        "| 3 | 2 | 3       |",
        "+---+---+---------+",
    ];
    Cummin: cummin, cummin_udwf, "(VALUES (1, 3), (2, 1), (3, 2))", [
        "+---+---+---------+",
        "| t | x | running |",
        "+---+---+---------+",
        "| 1 | 3 | 3       |",
        "| 2 | 1 | 1       |",
        "| 3 | 2 | 1       |",
        "+---+---+---------+",
    ];
}

/// The registered instances, in [`Operation::ALL`] order.
static REGISTERED: LazyLock<Vec<Arc<WindowUDF>>> = LazyLock::new(|| {
    Operation::ALL
        .into_iter()
        .map(|op| make_udwf(op, sql_defaults()))
        .collect()
});

/// The registered instance of `op` (SQL defaults).
pub(super) fn registered(op: Operation) -> Arc<WindowUDF> {
    let index = Operation::ALL
        .iter()
        .position(|o| *o == op)
        .expect("Operation::ALL lists every operation");
    Arc::clone(&REGISTERED[index])
}

/// The documentation of each function, in [`Operation::ALL`] order.
static DOCUMENTATION: LazyLock<Vec<Documentation>> =
    LazyLock::new(|| Operation::ALL.into_iter().map(document).collect());

/// The documentation of `op`'s SQL function (DataFusion's function docs).
pub(crate) fn documentation(op: Operation) -> &'static Documentation {
    let index = Operation::ALL
        .iter()
        .position(|o| *o == op)
        .expect("Operation::ALL lists every operation");
    &DOCUMENTATION[index]
}

/// `op`'s documentation: the core's summary of the operation and of each option, the
/// SQL rules, the syntax (shortest form first) and the example.
fn document(op: Operation) -> Documentation {
    let mut builder = Documentation::builder(
        DOC_SECTION_ANALYTICAL,
        format!(
            "{} NumPy's result types and arithmetic, bit for bit (cumulus). \
             Options are constant arguments recognised by their value, in any order: \
             `{op}(x, 'skip')`, `{op}(x, 'float64', 'error')`; by name they must be a prefix \
             of the parameter list (`{op}(x, dtype => NULL, nulls => 'skip')`). \
             The scan runs over each window partition in the window's ORDER BY order, one \
             row at a time; the frame, if given, must run from UNBOUNDED PRECEDING to \
             CURRENT ROW. Without OVER, `{op}(x [ORDER BY ...])` scans the whole input as \
             one partition.",
            op.summary()
        ),
        format!("{} [OVER ([PARTITION BY ...] [ORDER BY ...])]", syntax(op)),
    )
    .with_standard_argument(
        "x",
        Some("Numeric, boolean, decimal, duration, FixedSizeList or tensor"),
    );
    for option in ScanOption::ALL {
        let summary = option.summary();
        let mut first = summary.chars();
        let capitalized: String = first
            .next()
            .map(|c| c.to_ascii_uppercase())
            .into_iter()
            .chain(first)
            .collect();
        builder = builder.with_argument(
            option.name(),
            format!("{capitalized}. Accepted: {}.", sql_accepted(option)),
        );
    }
    builder
        .with_sql_example(sql_example(op))
        .with_related_udf(if op == Operation::Cumsum {
            "cumprod"
        } else {
            "cumsum"
        })
        .build()
}
