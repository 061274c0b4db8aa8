//! The SQL spelling of [`ScanOptions`], derived from the core's one table of options
//! ([`ScanOption`]): the parameter list, the defaults SQL uses, the syntax line, and the one
//! parser that turns constant arguments into options (used by the planner, and by the
//! window functions when they are reached without it).
//!
//! An option is recognised by its value, wherever it stands: the options' value sets do not
//! overlap ([`ScanOption::recognize`] reads text; an integer is an axis, a boolean is
//! `reverse`), so `cumsum(x, 'skip')`, `cumsum(x, 'int8', 'error')` and the named form
//! `cumsum(x, dtype => NULL, nulls => 'skip')` each mean one thing.

use std::borrow::Cow;
use std::sync::LazyLock;

use arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result, ScalarValue, plan_err};
use datafusion::logical_expr::{Expr, Signature, Volatility, lit};

use super::errors::plan_error;
use crate::{Axis, Error, NullPolicy, Operation, ScanOption, ScanOptions};

/// The parameters of every function, in order: `x`, then the options in the order of
/// [`ScanOption::ALL`] (`dtype`, `nulls`, `overflow`, `axis`, `reverse`).
///
/// An option can be given by value in any position (`cumsum(x, 'skip')`), because no
/// two options accept the same value; the names are for the named form,
/// `cumsum(x, dtype => NULL, nulls => 'skip')`. DataFusion 55 fills named arguments by
/// position and then requires the first `k` parameters when `k` arguments are given, so
/// named options must form a prefix of this list, with `NULL` for the ones you skip.
///
/// ```
/// assert_eq!(cumulus::datafusion::PARAMETER_NAMES, ["x", "dtype", "nulls", "overflow", "axis", "reverse"]);
/// ```
pub const PARAMETER_NAMES: [&str; 1 + ScanOption::ALL.len()] = {
    let mut names = ["x"; 1 + ScanOption::ALL.len()];
    let mut i = 0;
    while i < ScanOption::ALL.len() {
        names[i + 1] = ScanOption::ALL[i].name();
        i += 1;
    }
    names
};

/// The options a call gets when it gives none: NumPy's, except for two choices SQL needs.
///
/// - nulls: [`NullPolicy::Carry`], SQL's window semantics. A null row repeats the running
///   value, so `cumsum(x) OVER (ORDER BY t)` equals DataFusion's
///   `sum(x) OVER (ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)` (the
///   query SQL users check it against), and rows before the first value stay null as in
///   SQL. `cumsum(x, 'skip')` gives the core's default (a null stays null).
/// - axis: `0`, a running vector down the rows, for FixedSizeList and tensor columns.
///   NumPy's default (flatten) would return more values than rows, which no window
///   function can. Plain columns have one axis, so nothing changes for them.
///
/// ```
/// use cumulus::{Axis, NullPolicy};
/// let defaults = cumulus::datafusion::sql_defaults();
/// assert_eq!(defaults.nulls, NullPolicy::Carry);
/// assert_eq!(defaults.axis, Axis::Index(0));
/// assert_eq!(defaults.dtype, None);
/// ```
pub fn sql_defaults() -> ScanOptions {
    ScanOptions::default()
        .with_nulls(NullPolicy::Carry)
        .with_axis(0)
}

/// The signature shared by the window functions and their placeholder aggregates: any
/// types (checked in `field()`, where the errors read best), parameter names for
/// `name => value` arguments.
pub(crate) fn signature() -> Signature {
    Signature::user_defined(Volatility::Immutable)
        .with_parameter_names(PARAMETER_NAMES.to_vec())
        .expect("user-defined signatures accept any parameter names")
}

/// The call's syntax: `cumsum(x [, option ...])`, options by value in any order or by name.
pub(crate) fn syntax(op: Operation) -> String {
    format!("{op}(x [, option ...])")
}

/// What an option accepts in SQL: the core's accepted values and what NULL means.
pub(crate) fn sql_accepted(option: ScanOption) -> String {
    let default = option
        .value_text(&sql_defaults())
        .unwrap_or_else(|| "NumPy's result type".to_string());
    format!(
        "{}; NULL for the default ({default})",
        option.accepted_values()
    )
}

/// The accepted values of every option, as listed when a value fits none of them.
fn all_accepted() -> &'static str {
    static ALL: LazyLock<String> = LazyLock::new(|| {
        let each: Vec<String> = ScanOption::ALL
            .iter()
            .map(|o| format!("{}: {}", o.name(), o.accepted_values()))
            .collect();
        format!(
            "{}; each option at most once, by value in any order or as name => value, NULL for the default",
            each.join("; ")
        )
    });
    &ALL
}

/// One option argument as the parser sees it.
#[derive(Debug)]
pub(crate) enum OptionArg<'a> {
    /// A constant.
    Value(Cow<'a, ScalarValue>),
    /// Anything else, with its text for the error message.
    NotConstant(String),
}

/// The option arguments of a logical call (everything after `x`), folded to constants
/// where the SQL planner leaves simple wrappers around them.
pub(crate) fn logical_option_args(args: &[Expr]) -> Vec<OptionArg<'_>> {
    args.iter().skip(1).map(constant_of).collect()
}

fn constant_of(expr: &Expr) -> OptionArg<'_> {
    let not_constant = || OptionArg::NotConstant(expr.to_string());
    match expr {
        Expr::Literal(value, _) => OptionArg::Value(Cow::Borrowed(value)),
        Expr::Alias(alias) => constant_of(&alias.expr),
        // `-1` may arrive as a negation of `1`; `'x'::varchar` as a cast.
        Expr::Negative(inner) => match constant_of(inner) {
            OptionArg::Value(v) => v
                .arithmetic_negate()
                .map(|v| OptionArg::Value(Cow::Owned(v)))
                .unwrap_or_else(|_| not_constant()),
            OptionArg::NotConstant(_) => not_constant(),
        },
        Expr::Cast(cast) => match constant_of(&cast.expr) {
            OptionArg::Value(v) => v
                .cast_to(cast.field.data_type())
                .map(|v| OptionArg::Value(Cow::Owned(v)))
                .unwrap_or_else(|_| not_constant()),
            OptionArg::NotConstant(_) => not_constant(),
        },
        _ => not_constant(),
    }
}

/// Which option a constant sets, and its value as text: an integer is an axis, a boolean
/// `reverse`, text whatever option [`ScanOption::recognize`] finds.
///
/// # Errors
/// A plan error for a value no option takes: a non-integer number (named as an axis,
/// the only numeric option), text that fits no option (with the core's reason when one
/// option's parser gives one), or a value of another type.
fn recognize(op: Operation, value: &ScalarValue) -> Result<(ScanOption, String)> {
    if let ScalarValue::Boolean(Some(b)) = value {
        return Ok((ScanOption::Reverse, b.to_string()));
    }
    let data_type = value.data_type();
    if data_type.is_integer() {
        return match value.cast_to(&DataType::Int64) {
            Ok(ScalarValue::Int64(Some(i))) => Ok((ScanOption::Axis, i.to_string())),
            // A UInt64 beyond i64::MAX: no axis is that large.
            _ => Err(plan_error(Error::InvalidOption {
                op: Some(op),
                option: ScanOption::Axis.name(),
                value: value.to_string(),
                reason: Some("it is beyond the largest axis".to_string()),
                accepted: ScanOption::Axis.accepted_values(),
            })),
        };
    }
    if data_type.is_floating() || data_type.is_decimal() {
        // ScalarValue prints 0.0 as "0": name the value as written.
        let written = match value.cast_to(&DataType::Float64) {
            Ok(ScalarValue::Float64(Some(f))) if data_type.is_floating() => format!("{f:?}"),
            _ => value.to_string(),
        };
        return Err(plan_error(Error::InvalidOption {
            op: Some(op),
            option: ScanOption::Axis.name(),
            value: written,
            reason: Some(format!(
                "a {} number, and an axis is an integer",
                if data_type.is_floating() {
                    "floating-point"
                } else {
                    "decimal"
                }
            )),
            accepted: ScanOption::Axis.accepted_values(),
        }));
    }
    let Some(text) = value.try_as_str().flatten() else {
        return plan_err!(
            "{op}: {value} ({data_type}) is not a value of any option; accepted: {}",
            all_accepted()
        );
    };
    if let Some(option) = ScanOption::recognize(text) {
        return Ok((option, text.to_string()));
    }
    // No option takes the text. When exactly one option's parser says why (a dtype
    // `Decimal128(100, 2)` whose precision is too large), that is what the user meant.
    let mut reasons = ScanOption::ALL.iter().filter_map(|option| {
        match option.set_from_text(&mut ScanOptions::default(), text) {
            Err(
                err @ Error::InvalidOption {
                    reason: Some(_), ..
                },
            ) => Some(err),
            _ => None,
        }
    });
    if let (Some(err), None) = (reasons.next(), reasons.next()) {
        return Err(plan_error(err.for_op(op)));
    }
    plan_err!(
        "{op}: '{text}' is not a value of any option; accepted: {}",
        all_accepted()
    )
}

/// Parses the option arguments of a call of `op` (everything after `x`) over `defaults`.
/// Each constant sets the option its value belongs to, wherever it stands; a NULL sets
/// nothing.
///
/// # Errors
/// A plan error for too many arguments, a non-constant argument, a value that fits no
/// option, two values for one option, or a value the option refuses (the core's
/// [`Error::InvalidOption`], which the error keeps as its source).
pub(crate) fn parse_options(
    op: Operation,
    args: &[OptionArg<'_>],
    defaults: &ScanOptions,
) -> Result<ScanOptions> {
    if args.len() > ScanOption::ALL.len() {
        return plan_err!(
            "{op}: too many arguments ({}); accepted: at most {}, x and one value for each of {}",
            args.len() + 1,
            PARAMETER_NAMES.len(),
            PARAMETER_NAMES[1..].join(", ")
        );
    }
    let mut options = defaults.clone();
    let mut given: Vec<(ScanOption, String)> = Vec::with_capacity(args.len());
    for arg in args {
        let value = match arg {
            OptionArg::NotConstant(text) => {
                return plan_err!(
                    "{op}: options must be constants, not {text}; accepted: {}",
                    all_accepted()
                );
            }
            OptionArg::Value(v) if v.is_null() => continue,
            OptionArg::Value(v) => v.as_ref(),
        };
        let (option, text) = recognize(op, value)?;
        if let Some((_, first)) = given.iter().find(|(o, _)| *o == option) {
            return plan_err!(
                "{op}: two values for option {option}, '{first}' and '{text}'; accepted: one value for each option ({option}: {})",
                option.accepted_values()
            );
        }
        option
            .set_from_text(&mut options, &text)
            .map_err(|e| plan_error(e.for_op(op)))?;
        given.push((option, text));
    }
    Ok(options)
}

/// The arguments after `x` that spell `options` in a call: the shortest positional list
/// that gives every option that differs from [`sql_defaults`], with NULL for the defaults
/// before them. Builders put them in the call so that the column name says what was asked
/// for and calls with different options get different names.
pub(crate) fn option_literals(options: &ScanOptions) -> Vec<Expr> {
    let defaults = sql_defaults();
    let mut args: Vec<Expr> = ScanOption::ALL
        .iter()
        .map(|&option| {
            let text = option.value_text(options);
            if text == option.value_text(&defaults) {
                return lit(ScalarValue::Null);
            }
            // Integers and booleans as SQL writes them.
            match (option, options.axis, text) {
                (_, _, None) => lit(ScalarValue::Null),
                (ScanOption::Axis, Axis::Index(i), _) => lit(i),
                (ScanOption::Reverse, _, _) => lit(options.reverse),
                (_, _, Some(text)) => lit(text),
            }
        })
        .collect();
    while matches!(args.last(), Some(Expr::Literal(ScalarValue::Null, _))) {
        args.pop();
    }
    args
}

/// A plan error for a call of `op` whose argument list DataFusion rejected, used by the
/// window function when the planner did not run.
pub(crate) fn missing_column(op: Operation) -> DataFusionError {
    datafusion::common::plan_datafusion_err!(
        "{op}: missing the column argument; accepted: {}",
        syntax(op)
    )
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::TimeUnit;

    use super::*;
    use crate::Overflow;

    fn parse(args: &[Expr]) -> Result<ScanOptions> {
        let mut all = vec![lit(1)];
        all.extend_from_slice(args);
        parse_options(
            Operation::Cumsum,
            &logical_option_args(&all),
            &sql_defaults(),
        )
    }

    #[test]
    fn literals_round_trip_through_the_parser() {
        let cases = [
            sql_defaults(),
            sql_defaults().with_dtype(DataType::Float32),
            sql_defaults().with_dtype(DataType::Decimal128(20, 2)),
            sql_defaults().with_dtype(DataType::Duration(TimeUnit::Millisecond)),
            sql_defaults().with_nulls(NullPolicy::Skip),
            sql_defaults().with_overflow(Overflow::Error),
            sql_defaults().with_axis(-1),
            sql_defaults().with_axis(Axis::Flatten),
            sql_defaults().with_reverse(true),
            ScanOptions::default(),
        ];
        for options in cases {
            assert_eq!(parse(&option_literals(&options)).unwrap(), options);
        }
        assert!(option_literals(&sql_defaults()).is_empty());
        assert_eq!(
            option_literals(&sql_defaults().with_reverse(true)).len(),
            5,
            "NULLs before the last option"
        );
    }

    #[test]
    fn nulls_keep_the_defaults() {
        let null = lit(ScalarValue::Null);
        let parsed = parse(&[null.clone(), null.clone(), null.clone(), null, lit(true)]).unwrap();
        assert_eq!(parsed, sql_defaults().with_reverse(true));
        let typed_null = lit(ScalarValue::Utf8(None));
        assert_eq!(parse(&[typed_null]).unwrap(), sql_defaults());
    }

    #[test]
    fn values_set_their_option_wherever_they_stand() {
        let parsed = parse(&[lit(true), lit(-1), lit("error"), lit("skip"), lit("int8")]).unwrap();
        let expected = sql_defaults()
            .with_reverse(true)
            .with_axis(-1)
            .with_overflow(Overflow::Error)
            .with_nulls(NullPolicy::Skip)
            .with_dtype(DataType::Int8);
        assert_eq!(parsed, expected);
    }

    #[test]
    fn parameter_names_follow_the_core_table() {
        let names: Vec<&str> = ScanOption::ALL.iter().map(|o| o.name()).collect();
        assert_eq!(PARAMETER_NAMES[1..], names[..]);
    }

    #[test]
    fn axis_accepts_integers_of_any_width_and_negations() {
        let parsed = parse_options(
            Operation::Cummax,
            &[OptionArg::Value(Cow::Owned(ScalarValue::UInt8(Some(1))))],
            &sql_defaults(),
        )
        .unwrap();
        assert_eq!(parsed.axis, Axis::Index(1));
        let negated = Expr::Negative(Box::new(lit(2i64)));
        assert_eq!(parse(&[negated]).unwrap().axis, Axis::Index(-2));
    }

    #[test]
    fn defaults_are_what_the_arguments_do_not_set() {
        let session = sql_defaults().with_nulls(NullPolicy::Skip);
        let args = [lit("float64")];
        let mut all = vec![lit(1)];
        all.extend_from_slice(&args);
        let parsed =
            parse_options(Operation::Cumsum, &logical_option_args(&all), &session).unwrap();
        assert_eq!(parsed, session.with_dtype(DataType::Float64));
    }
}
