//! Options in SQL (issue 13): each recognised by its value in any position, the
//! positional and named forms of before, NULL placeholders, duplicates and unknown values,
//! the output type following a dtype given by value, and the hint for DataFusion's
//! named-argument error.

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use cumulus::datafusion::{PARAMETER_NAMES, explain_error, sql_defaults};
use cumulus::{NullPolicy, Operation, Overflow, ScanOption, ScanOptions};
use datafusion::prelude::SessionContext;

use crate::common::{assert_same, ctx, error_of, query, register_batch};
use crate::errors::ALL_ACCEPTED;

/// `t, x` with nulls, in t order.
fn table() -> RecordBatch {
    RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("t", DataType::Int64, false),
            Field::new("x", DataType::Int64, true),
        ])),
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5])),
            Arc::new(Int64Array::from(vec![
                Some(3),
                None,
                Some(-7),
                Some(100),
                None,
            ])),
        ],
    )
    .unwrap()
}

fn session() -> SessionContext {
    let ctx = ctx();
    register_batch(&ctx, "t", table());
    ctx
}

/// A value of each option that differs from SQL's default, as SQL writes it, and the
/// options it gives.
fn values() -> Vec<(ScanOption, &'static str, ScanOptions)> {
    let d = sql_defaults;
    vec![
        (
            ScanOption::Dtype,
            "'float32'",
            d().with_dtype(DataType::Float32),
        ),
        (
            ScanOption::Nulls,
            "'skip'",
            d().with_nulls(NullPolicy::Skip),
        ),
        (
            ScanOption::Overflow,
            "'error'",
            d().with_overflow(Overflow::Error),
        ),
        (ScanOption::Axis, "-1", d().with_axis(-1)),
        (ScanOption::Reverse, "true", d().with_reverse(true)),
    ]
}

/// Combines the options two values set.
fn both(a: &ScanOptions, b: &ScanOptions) -> ScanOptions {
    let defaults = sql_defaults();
    let mut out = a.clone();
    for option in ScanOption::ALL {
        let text = option.value_text(b);
        if text != option.value_text(&defaults) {
            option.set_from_text(&mut out, &text.unwrap()).unwrap();
        }
    }
    out
}

/// Runs `cumsum(<args>) OVER (ORDER BY t)` and checks it against the core with `options`:
/// values and output type.
async fn check(ctx: &SessionContext, args: &str, options: &ScanOptions) {
    let sql = format!("SELECT x, cumsum({args}) OVER (ORDER BY t) AS y FROM t ORDER BY t");
    let out = query(ctx, &sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let x = table().column(1).clone();
    let expected = cumulus::scan(Operation::Cumsum, x.as_ref(), options).unwrap();
    assert_same(expected.as_ref(), out.column(1).as_ref(), &sql);
}

#[tokio::test]
async fn every_option_alone_in_every_position() {
    let ctx = session();
    for (option, value, options) in values() {
        for position in 1..PARAMETER_NAMES.len() {
            let nulls = "NULL, ".repeat(position - 1);
            check(&ctx, &format!("x, {nulls}{value}"), &options).await;
        }
        // And in its own position by name, the names before it NULL, in any order.
        let k = ScanOption::ALL.iter().position(|o| *o == option).unwrap() + 1;
        let mut named: Vec<String> = PARAMETER_NAMES[1..k]
            .iter()
            .map(|n| format!("{n} => NULL"))
            .collect();
        named.push(format!("{} => {value}", option.name()));
        check(&ctx, &format!("x, {}", named.join(", ")), &options).await;
        named.reverse();
        check(&ctx, &format!("x, {}", named.join(", ")), &options).await;
    }
}

#[tokio::test]
async fn every_pair_of_options_in_both_orders() {
    let ctx = session();
    let values = values();
    for (a, a_value, a_options) in &values {
        for (b, b_value, b_options) in &values {
            if a == b {
                continue;
            }
            let options = both(a_options, b_options);
            check(&ctx, &format!("x, {a_value}, {b_value}"), &options).await;
        }
    }
}

/// Positional values before named ones: DataFusion places the named ones by name, the
/// values speak for themselves.
#[tokio::test]
async fn mixed_positional_and_named() {
    let ctx = session();
    let d = sql_defaults;
    check(
        &ctx,
        "x, 'float32', nulls => 'skip'",
        &d().with_dtype(DataType::Float32)
            .with_nulls(NullPolicy::Skip),
    )
    .await;
    check(
        &ctx,
        "x, 'skip', nulls => NULL, overflow => 'error'",
        &d().with_nulls(NullPolicy::Skip)
            .with_overflow(Overflow::Error),
    )
    .await;
    check(
        &ctx,
        "x, true, -1, overflow => 'error'",
        &d().with_reverse(true)
            .with_axis(-1)
            .with_overflow(Overflow::Error),
    )
    .await;
}

/// Today's calls keep their meaning: NULL keeps a default wherever it stands, typed or
/// not, and a positional call puts each option where its value already says what it is.
#[tokio::test]
async fn null_placeholders_and_positional_calls_of_before() {
    let ctx = session();
    let d = sql_defaults;
    check(&ctx, "x, NULL", &d()).await;
    check(&ctx, "x, NULL, NULL, NULL, NULL, NULL", &d()).await;
    check(
        &ctx,
        "x, CAST(NULL AS VARCHAR), 'skip'",
        &d().with_nulls(NullPolicy::Skip),
    )
    .await;
    check(
        &ctx,
        "x, NULL, NULL, NULL, NULL, true",
        &d().with_reverse(true),
    )
    .await;
    check(
        &ctx,
        "x, 'float32', 'skip', 'error', 0, true",
        &d().with_dtype(DataType::Float32)
            .with_nulls(NullPolicy::Skip)
            .with_overflow(Overflow::Error)
            .with_reverse(true),
    )
    .await;
    check(
        &ctx,
        "x, dtype => NULL, nulls => 'identity'",
        &d().with_nulls(NullPolicy::Identity),
    )
    .await;
}

#[tokio::test]
async fn two_values_for_one_option() {
    let ctx = session();
    for (args, option, first, second) in [
        ("'skip', 'carry'", ScanOption::Nulls, "skip", "carry"),
        (
            "'float64', NULL, 'int8'",
            ScanOption::Dtype,
            "float64",
            "int8",
        ),
        ("1, -1", ScanOption::Axis, "1", "-1"),
        ("true, false", ScanOption::Reverse, "true", "false"),
        ("'wrap', 'error'", ScanOption::Overflow, "wrap", "error"),
        // A positional value and a named one.
        (
            "'skip', nulls => 'carry'",
            ScanOption::Nulls,
            "skip",
            "carry",
        ),
    ] {
        let sql = format!("SELECT cumsum(x, {args}) OVER (ORDER BY t) FROM t");
        assert_eq!(
            error_of(&ctx, &sql).await,
            format!(
                "Error during planning: cumsum: two values for option {option}, '{first}' and '{second}'; accepted: one value for each option ({option}: {})",
                option.accepted_values()
            ),
            "{sql}"
        );
    }
    assert_eq!(
        error_of(
            &ctx,
            "SELECT cumsum(x, 'skip', 'carry') OVER (ORDER BY t) FROM t"
        )
        .await,
        "Error during planning: cumsum: two values for option nulls, 'skip' and 'carry'; accepted: one value for each option (nulls: skip, propagate, carry, identity)"
    );
}

#[tokio::test]
async fn values_no_option_takes() {
    let ctx = session();
    for (args, shown) in [
        ("'sometimes'", "'sometimes'"),
        ("'skip', 'saturate'", "'saturate'"),
        ("nulls => NULL, dtype => 'int128'", "'int128'"),
        ("'1.5'", "'1.5'"),
        ("DATE '2020-01-02'", "2020-01-02 (Date32)"),
    ] {
        let sql = format!("SELECT cumsum(x, {args}) OVER (ORDER BY t) FROM t");
        assert_eq!(
            error_of(&ctx, &sql).await,
            format!(
                "Error during planning: cumsum: {shown} is not a value of any option; accepted: {ALL_ACCEPTED}"
            ),
            "{sql}"
        );
    }
}

/// The output type follows a dtype given by value, wherever it stands, with OVER and
/// without.
#[tokio::test]
async fn output_type_follows_a_dtype_given_by_value() {
    let ctx = session();
    for (sql, expected) in [
        (
            "SELECT cumsum(x, 'skip', 'float32') OVER (ORDER BY t) AS y FROM t",
            DataType::Float32,
        ),
        (
            "SELECT cummax(x, true, 'int8') OVER (ORDER BY t) AS y FROM t",
            DataType::Int8,
        ),
        (
            "SELECT cumprod(x, 'wrap', 'UInt16') AS y FROM t",
            DataType::UInt16,
        ),
        (
            "SELECT nancumsum(x, NULL, NULL, 'double') AS y FROM t",
            DataType::Float64,
        ),
        (
            "SELECT cumsum(x, 'identity', 'I16') AS y FROM t",
            DataType::Int16,
        ),
    ] {
        let df = ctx.sql(sql).await.unwrap();
        assert_eq!(
            df.schema().field_with_name(None, "y").unwrap().data_type(),
            &expected,
            "{sql}: planned type"
        );
        let out = df.collect().await.unwrap();
        assert_eq!(out[0].column(0).data_type(), &expected, "{sql}");
    }
}

/// DataFusion's "Missing required parameter" names an option the user never wrote;
/// `explain_error` adds the two forms that work, built from the call.
#[tokio::test]
async fn named_argument_error_gets_a_hint() {
    let ctx = session();
    for (call, hint) in [
        (
            "cumsum(x, nulls => 'skip')",
            "Error during planning: Missing required parameter 'dtype' in cumsum(x, nulls => 'skip'): DataFusion fills named arguments from the first parameter on; write cumsum(x, 'skip') or cumsum(x, dtype => NULL, nulls => 'skip')",
        ),
        (
            "CUMPROD(x, reverse => true)",
            "Error during planning: Missing required parameter 'dtype' in cumprod(x, reverse => true): DataFusion fills named arguments from the first parameter on; write cumprod(x, true) or cumprod(x, dtype => NULL, nulls => NULL, overflow => NULL, axis => NULL, reverse => true)",
        ),
        (
            "cumsum(x, 'float64', overflow => 'error')",
            "Error during planning: Missing required parameter 'nulls' in cumsum(x, 'float64', overflow => 'error'): DataFusion fills named arguments from the first parameter on; write cumsum(x, 'float64', 'error') or cumsum(x, 'float64', nulls => NULL, overflow => 'error')",
        ),
    ] {
        let sql = format!("SELECT {call} OVER (ORDER BY t) FROM t");
        let err = ctx.sql(&sql).await.unwrap_err();
        assert_eq!(explain_error(&err, &sql).as_deref(), Some(hint), "{sql}");
        // Both suggested forms run.
        let (_, forms) = hint.split_once("; write ").unwrap();
        for form in forms.split(" or ") {
            query(&ctx, &format!("SELECT {form} OVER (ORDER BY t) FROM t"))
                .await
                .unwrap_or_else(|e| panic!("{form}: {e}"));
        }
    }
    // Another function's error, or one that is not about named arguments: no hint.
    let sql = "SELECT cumsum(x, foo => 1) OVER (ORDER BY t) FROM t";
    let err = ctx.sql(sql).await.unwrap_err();
    assert_eq!(explain_error(&err, sql), None);
}

/// `SET cumulus.<option>` gives the session's defaults; a call's own values win.
#[tokio::test]
async fn session_defaults_through_set() {
    let ctx = session();
    let d = sql_defaults;
    ctx.sql("SET cumulus.nulls = 'skip'").await.unwrap();
    check(&ctx, "x", &d().with_nulls(NullPolicy::Skip)).await;
    check(&ctx, "x, 'carry'", &d()).await;
    check(
        &ctx,
        "x, 'float32'",
        &d().with_nulls(NullPolicy::Skip)
            .with_dtype(DataType::Float32),
    )
    .await;
    // Without OVER too.
    let out = query(&ctx, "SELECT cumsum(x) AS y FROM t").await.unwrap();
    assert_eq!(out.column(0).null_count(), 2, "skip: nulls stay null");

    // The output type follows a session dtype at planning.
    ctx.sql("SET cumulus.dtype = 'float32'").await.unwrap();
    let df = ctx
        .sql("SELECT cumsum(x) OVER (ORDER BY t) AS y FROM t")
        .await
        .unwrap();
    assert_eq!(
        df.schema().field_with_name(None, "y").unwrap().data_type(),
        &DataType::Float32
    );
    ctx.sql("SET cumulus.reverse = true").await.unwrap();
    ctx.sql("SET cumulus.axis = -1").await.unwrap();
    check(
        &ctx,
        "x",
        &d().with_nulls(NullPolicy::Skip)
            .with_dtype(DataType::Float32)
            .with_reverse(true)
            .with_axis(-1),
    )
    .await;
    let entries: Vec<(String, Option<String>)> = ctx
        .state()
        .config()
        .options()
        .entries()
        .into_iter()
        .filter(|e| e.key.starts_with("cumulus."))
        .map(|e| (e.key, e.value))
        .collect();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        entries,
        [
            ("cumulus.dtype".to_string(), some("float32")),
            ("cumulus.nulls".to_string(), some("skip")),
            ("cumulus.overflow".to_string(), some("wrap")),
            ("cumulus.axis".to_string(), some("-1")),
            ("cumulus.reverse".to_string(), some("true")),
        ]
    );

    // 'default' (or 'null') goes back to SQL's default; RESET does not reach extensions.
    for option in ["dtype", "nulls", "axis", "reverse"] {
        ctx.sql(&format!("SET cumulus.{option} = 'default'"))
            .await
            .unwrap();
    }
    ctx.sql("SET cumulus.overflow = 'error'").await.unwrap();
    let message = error_of(
        &ctx,
        "SELECT cumsum(x, 'int8') OVER (ORDER BY t) FROM (VALUES (1, 100), (2, 100)) AS v(t, x)",
    )
    .await;
    assert!(message.contains("Int8 overflow at row 1"), "{message}");
    ctx.sql("SET cumulus.overflow = 'null'").await.unwrap();
    check(&ctx, "x", &d()).await;

    // Another session keeps its own defaults.
    let other = session();
    check(&other, "x", &d()).await;
}

#[tokio::test]
async fn session_defaults_refuse_what_a_call_would_refuse() {
    let ctx = session();
    assert_eq!(
        error_of(&ctx, "SET cumulus.nulls = 'sometimes'").await,
        "Invalid or Unsupported Configuration\ncaused by\nExternal error: invalid value 'sometimes' for option nulls; accepted: skip, propagate, carry, identity"
    );
    assert_eq!(
        error_of(&ctx, "SET cumulus.speed = 'fast'").await,
        "Invalid or Unsupported Configuration: cumulus.speed is not a cumulus option; accepted: cumulus.dtype, cumulus.nulls, cumulus.overflow, cumulus.axis, cumulus.reverse"
    );
    // Without cumulus::datafusion::register there is no cumulus namespace.
    let plain = SessionContext::new();
    assert_eq!(
        error_of(&plain, "SET cumulus.nulls = 'skip'").await,
        "Invalid or Unsupported Configuration: Could not find config namespace \"cumulus\""
    );
}
