//! The SQL spelling of [`ScanOptions`]: the parameter list, the defaults SQL uses, and the
//! one parser that turns constant arguments into options (used by the planner, and by the
//! window functions when they are reached without it).

use std::str::FromStr;

use arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{Expr, Signature, Volatility, lit};

use crate::{Axis, Error, NullPolicy, Operation, Overflow, ScanOptions, dtype_name, parse_dtype};

/// The parameters of every function, in order: `cumsum(x, dtype, nulls, overflow, axis,
/// reverse)`.
///
/// The order follows how often an option is needed in SQL: `dtype` first (it is NumPy's
/// most used keyword and the one that avoids overflow), then the null policy, then
/// `overflow`; `axis` only matters for FixedSizeList and tensor columns, and `reverse`
/// mostly duplicates `ORDER BY ... DESC`.
///
/// DataFusion 55 fills named arguments by position and then requires the first `k`
/// parameters to be present when `k` arguments are given, so named options must form a
/// prefix of this list; pass `NULL` for an option to keep its default:
/// `cumsum(x, dtype => NULL, nulls => 'skip')`.
///
/// ```
/// assert_eq!(cumulus::datafusion::PARAMETER_NAMES[1], "dtype");
/// ```
pub const PARAMETER_NAMES: [&str; 6] = ["x", "dtype", "nulls", "overflow", "axis", "reverse"];

/// The options a call gets when it gives none: NumPy's, except for two choices SQL needs.
///
/// - nulls: [`NullPolicy::Carry`], SQL's window semantics. A null row repeats the running
///   value, so `cumsum(x) OVER (ORDER BY t)` equals DataFusion's
///   `sum(x) OVER (ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)` (the
///   query SQL users check it against), and rows before the first value stay null as in
///   SQL. `nulls => 'skip'` gives the core's default (a null stays null).
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

/// What the accepted values of each option are, for error messages.
const ACCEPTED_DTYPE: &str = "a string naming the type (bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32, float64, or an Arrow type such as 'Decimal128(38, 2)'), or NULL for the default";
const ACCEPTED_NULLS: &str = "skip, propagate, carry, identity (or NULL for carry)";
const ACCEPTED_OVERFLOW: &str = "wrap, error (or NULL for wrap)";
const ACCEPTED_AXIS: &str = "an integer (negative counts from the end), or NULL for 0";
const ACCEPTED_REVERSE: &str = "true or false (or NULL for false)";

/// One option argument as the parser sees it.
#[derive(Debug)]
pub(crate) enum OptionArg<'a> {
    /// A constant.
    Value(std::borrow::Cow<'a, ScalarValue>),
    /// Anything else, with its text for the error message.
    NotConstant(String),
}

/// The option arguments of a logical call (everything after `x`), folded to constants
/// where the SQL planner leaves simple wrappers around them.
pub(crate) fn logical_option_args(args: &[Expr]) -> Vec<OptionArg<'_>> {
    args.iter().skip(1).map(constant_of).collect()
}

fn constant_of(expr: &Expr) -> OptionArg<'_> {
    use std::borrow::Cow;
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

/// A plan error carrying the core's message.
pub(crate) fn plan_error(err: Error) -> DataFusionError {
    DataFusionError::Plan(err.to_string())
}

/// Parses the option arguments of a call of `op` (in [`PARAMETER_NAMES`] order after `x`)
/// over [`sql_defaults`]. A NULL keeps the default.
///
/// # Errors
/// A plan error naming the option and its accepted values for too many arguments, a
/// non-constant argument, a value of the wrong type or an unknown value.
pub(crate) fn parse_options(op: Operation, args: &[OptionArg<'_>]) -> Result<ScanOptions> {
    let max = PARAMETER_NAMES.len() - 1;
    if args.len() > max {
        return Err(DataFusionError::Plan(format!(
            "{op}: too many arguments ({}); accepted: at most {} ({})",
            args.len() + 1,
            PARAMETER_NAMES.len(),
            PARAMETER_NAMES.join(", ")
        )));
    }
    let mut options = sql_defaults();
    for (arg, name) in args.iter().zip(&PARAMETER_NAMES[1..]) {
        let accepted = match *name {
            "dtype" => ACCEPTED_DTYPE,
            "nulls" => ACCEPTED_NULLS,
            "overflow" => ACCEPTED_OVERFLOW,
            "axis" => ACCEPTED_AXIS,
            _ => ACCEPTED_REVERSE,
        };
        let value = match arg {
            OptionArg::NotConstant(text) => {
                return Err(DataFusionError::Plan(format!(
                    "{op}: option {name} must be a constant, not {text}; accepted: {accepted}"
                )));
            }
            OptionArg::Value(v) if v.is_null() => continue,
            OptionArg::Value(v) => v.as_ref(),
        };
        let wrong_type = || {
            plan_error(Error::InvalidOption {
                op: Some(op),
                option: name,
                value: value.to_string(),
                reason: None,
                accepted: accepted.to_string(),
            })
        };
        // The value as text, when it is a string of any flavour.
        let text = value.try_as_str().flatten();
        match *name {
            "dtype" => {
                let text = text.ok_or_else(wrong_type)?;
                options.dtype = Some(parse_dtype(text).map_err(|e| plan_error(e.for_op(op)))?);
            }
            "nulls" => {
                let text = text.ok_or_else(wrong_type)?;
                options.nulls = NullPolicy::from_str(text).map_err(|e| plan_error(e.for_op(op)))?;
            }
            "overflow" => {
                let text = text.ok_or_else(wrong_type)?;
                options.overflow =
                    Overflow::from_str(text).map_err(|e| plan_error(e.for_op(op)))?;
            }
            "axis" => {
                options.axis = match text {
                    // `axis => 'none'` is NumPy's flatten; the window layer rejects it for
                    // N-dimensional columns, where it would change the number of rows.
                    Some(text) => Axis::from_str(text).map_err(|e| plan_error(e.for_op(op)))?,
                    None if value.data_type().is_integer() => {
                        match value.cast_to(&DataType::Int64) {
                            Ok(ScalarValue::Int64(Some(i))) => Axis::Index(i),
                            _ => return Err(wrong_type()),
                        }
                    }
                    None => return Err(wrong_type()),
                };
            }
            _ => match value {
                ScalarValue::Boolean(Some(b)) => options.reverse = *b,
                _ => return Err(wrong_type()),
            },
        }
    }
    Ok(options)
}

/// The arguments after `x` that spell `options` in a call: the shortest list that gives
/// every option that differs from [`sql_defaults`], with NULL for the defaults before them.
/// Builders put them in the call so that the column name says what was asked for and
/// calls with different options get different names.
pub(crate) fn option_literals(options: &ScanOptions) -> Vec<Expr> {
    let defaults = sql_defaults();
    let null = || lit(ScalarValue::Null);
    let mut args = vec![
        match &options.dtype {
            None => null(),
            Some(t) => lit(dtype_name(t)),
        },
        if options.nulls == defaults.nulls {
            null()
        } else {
            lit(options.nulls.name())
        },
        if options.overflow == defaults.overflow {
            null()
        } else {
            lit(options.overflow.name())
        },
        match options.axis {
            a if a == defaults.axis => null(),
            Axis::Index(i) => lit(i),
            Axis::Flatten => lit("none"),
        },
        if options.reverse == defaults.reverse {
            null()
        } else {
            lit(options.reverse)
        },
    ];
    while matches!(args.last(), Some(Expr::Literal(ScalarValue::Null, _))) {
        args.pop();
    }
    args
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use arrow::datatypes::TimeUnit;

    use super::*;

    fn parse(args: &[Expr]) -> Result<ScanOptions> {
        let mut all = vec![lit(1)];
        all.extend_from_slice(args);
        parse_options(Operation::Cumsum, &logical_option_args(&all))
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
    fn errors_name_the_option_and_the_accepted_values() {
        let err = parse(&[lit(ScalarValue::Null), lit("sometimes")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Error during planning: cumsum: invalid value 'sometimes' for option nulls; accepted: skip, propagate, carry, identity"
        );
        let err = parse(&[lit(3)]).unwrap_err().to_string();
        assert!(
            err.contains("option dtype") && err.contains("float64"),
            "{err}"
        );
        let err = parse(&[lit("int128")]).unwrap_err().to_string();
        assert!(
            err.contains("'int128' for option dtype") && err.contains("uint64"),
            "{err}"
        );
        let nulls = |n: usize| vec![lit(ScalarValue::Null); n];
        let err = parse(&[nulls(4), vec![lit("yes")]].concat())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("option reverse") && err.contains("true or false"),
            "{err}"
        );
        let err = parse(&[datafusion::prelude::col("g")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("option dtype must be a constant, not g"),
            "{err}"
        );
        let err = parse(&nulls(6)).unwrap_err().to_string();
        assert!(err.contains("too many arguments (7)"), "{err}");
    }

    #[test]
    fn axis_accepts_integers_of_any_width_and_negations() {
        assert_eq!(
            parse_options(
                Operation::Cummax,
                &[
                    OptionArg::Value(Cow::Owned(ScalarValue::Null)),
                    OptionArg::Value(Cow::Owned(ScalarValue::Null)),
                    OptionArg::Value(Cow::Owned(ScalarValue::Null)),
                    OptionArg::Value(Cow::Owned(ScalarValue::UInt8(Some(1)))),
                ]
            )
            .unwrap()
            .axis,
            Axis::Index(1)
        );
        let null = lit(ScalarValue::Null);
        let negated = Expr::Negative(Box::new(lit(2i64)));
        let parsed = parse(&[null.clone(), null.clone(), null, negated]).unwrap();
        assert_eq!(parsed.axis, Axis::Index(-2));
    }
}
