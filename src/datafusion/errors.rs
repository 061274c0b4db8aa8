//! How cumulus errors travel through DataFusion, and clearer messages for the errors
//! DataFusion itself raises about calls of the functions.
//!
//! DataFusion 55's `Plan` and `Execution` errors hold only a string, so an error with a
//! source has to be another variant. A [`crate::Error`] therefore travels as
//! `DataFusionError::External`, wrapped in a `DataFusionError::Context` that says where it
//! happened: `Error during planning` (a bad option, an input type the operation cannot
//! scan) or `Execution error` (an overflow under `overflow => 'error'`). Displayed, that
//! reads
//!
//! ```text
//! Error during planning
//! caused by
//! External error: cumsum: invalid value 'Decimal128(100, 2)' for option dtype (...); accepted: ...
//! ```
//!
//! and `error.find_root()` is the `External` error holding the [`crate::Error`], which
//! [`cumulus_error`] finds through any wrapping. [`explain_error`] gives one line for a
//! person instead.
//!
//! Errors about how a call is written in SQL (a value no option takes, two values for one
//! option, a frame or a clause the scan does not honour) are DataFusion plan errors, as
//! DataFusion's own checks are: `Error during planning: cumsum: ...`.

use std::ops::ControlFlow;

use datafusion::common::DataFusionError;
use datafusion::sql::parser::{DFParser, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Query,
    SelectItem, SetExpr, Visit, Visitor,
};

use super::options::PARAMETER_NAMES;
use crate::Operation;

/// What the context of a cumulus error raised while planning says.
const PLANNING: &str = "Error during planning";
/// What the context of a cumulus error raised while executing says.
const EXECUTION: &str = "Execution error";

/// A cumulus error raised while planning: a plan error that keeps `err` as its source.
pub(crate) fn plan_error(err: crate::Error) -> DataFusionError {
    DataFusionError::External(Box::new(err)).context(PLANNING)
}

/// A cumulus error raised while executing: an execution error that keeps `err` as its
/// source.
pub(crate) fn exec_error(err: crate::Error) -> DataFusionError {
    DataFusionError::External(Box::new(err)).context(EXECUTION)
}

/// The [`crate::Error`] behind a DataFusion error, through whatever DataFusion wrapped it
/// in (contexts, shared errors, Arrow's external errors, collections of errors).
///
/// ```
/// use cumulus::ErrorKind;
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let ctx = datafusion::prelude::SessionContext::new();
/// cumulus::datafusion::register(&ctx)?;
/// let err = ctx
///     .sql("SELECT cumsum(x, 'int8', 'error') OVER (ORDER BY x) FROM (VALUES (100), (100)) AS v(x)")
///     .await?
///     .collect()
///     .await
///     .unwrap_err();
/// let cause = cumulus::datafusion::cumulus_error(&err).unwrap();
/// assert_eq!(cause.kind(), ErrorKind::Overflow);
/// assert!(matches!(cause, cumulus::Error::Overflow { row: 1, .. }));
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cumulus_error(error: &DataFusionError) -> Option<&crate::Error> {
    let mut current: &(dyn std::error::Error + 'static) = error;
    loop {
        if let Some(found) = current.downcast_ref::<crate::Error>() {
            return Some(found);
        }
        if let Some(DataFusionError::Collection(errors)) = current.downcast_ref() {
            return errors.iter().find_map(cumulus_error);
        }
        current = current.source()?;
    }
}

/// One line for a person about a failed query, when cumulus can say more than
/// DataFusion's message; `None` otherwise. `sql` is the query that failed.
///
/// - A cumulus error: `Error during planning: ` or `Execution error: ` and the error's
///   message, on one line.
/// - DataFusion's `Missing required parameter 'dtype'` for a call of a cumulus function
///   with named options: DataFusion fills named arguments from the first parameter on,
///   so the line shows the two forms that work, by value and by name.
/// - DataFusion's `... must appear in the GROUP BY clause` for a query that calls a
///   cumulus function without OVER next to GROUP BY or an aggregate: the function is a
///   window function and cannot aggregate groups.
///
/// ```
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let ctx = datafusion::prelude::SessionContext::new();
/// cumulus::datafusion::register(&ctx)?;
/// let sql = "SELECT cumsum(x, nulls => 'skip') OVER (ORDER BY x) FROM (VALUES (1)) AS v(x)";
/// let err = ctx.sql(sql).await.unwrap_err();
/// assert_eq!(err.to_string(), "Error during planning: Missing required parameter 'dtype'");
/// assert_eq!(
///     cumulus::datafusion::explain_error(&err, sql).unwrap(),
///     "Error during planning: Missing required parameter 'dtype' in cumsum(x, nulls => 'skip'): \
///      DataFusion fills named arguments from the first parameter on; \
///      write cumsum(x, 'skip') or cumsum(x, dtype => NULL, nulls => 'skip')"
/// );
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn explain_error(error: &DataFusionError, sql: &str) -> Option<String> {
    if let Some(cause) = cumulus_error(error) {
        let context = contexts(error)
            .find(|c| *c == PLANNING || *c == EXECUTION)
            .unwrap_or(PLANNING);
        return Some(format!("{context}: {cause}"));
    }
    let root = error.find_root();
    let message = root.to_string();
    let message = message.lines().next().unwrap_or_default();
    if let Some(parameter) = missing_parameter(root) {
        return named_arguments_hint(sql, parameter).map(|hint| format!("{message} in {hint}"));
    }
    if message.contains("must appear in the GROUP BY clause") {
        let op = call_without_over_beside_grouping(sql)?;
        return Some(format!(
            "Error during planning: {op} is a window function and cannot aggregate a group; accepted: {op}(x) OVER (PARTITION BY ... ORDER BY ...), or {op}(x) without OVER in a query without GROUP BY or aggregates"
        ));
    }
    None
}

/// The descriptions of the contexts around an error, outermost first.
fn contexts(error: &DataFusionError) -> impl Iterator<Item = &str> {
    let mut current = Some(error);
    std::iter::from_fn(move || {
        while let Some(e) = current {
            current = std::error::Error::source(e).and_then(|s| s.downcast_ref());
            if let DataFusionError::Context(description, _) = e {
                return Some(description.as_str());
            }
        }
        None
    })
}

/// The parameter of DataFusion's `Missing required parameter '...'` when it is one of
/// the cumulus options.
fn missing_parameter(error: &DataFusionError) -> Option<&'static str> {
    let DataFusionError::Plan(message) = error else {
        return None;
    };
    let name = message
        .strip_prefix("Missing required parameter '")?
        .split('\'')
        .next()?;
    PARAMETER_NAMES[1..].iter().copied().find(|p| *p == name)
}

/// The operation a SQL function name calls, when it is one of the six.
fn operation_of(function: &Function) -> Option<Operation> {
    let name = function.name.0.last()?.to_string();
    Operation::ALL
        .into_iter()
        .find(|op| op.name().eq_ignore_ascii_case(&name))
}

/// The argument list of a call, when it has one.
fn arguments(function: &Function) -> &[FunctionArg] {
    match &function.args {
        FunctionArguments::List(list) => &list.args,
        _ => &[],
    }
}

/// `call: DataFusion fills ...; write <by value> or <by name>` for the first call of a
/// cumulus function with named options in `sql`.
fn named_arguments_hint(sql: &str, missing: &str) -> Option<String> {
    let statements = DFParser::parse_sql(sql).ok()?;
    let mut found = None;
    for statement in &statements {
        let DfStatement::Statement(statement) = statement else {
            continue;
        };
        let _ = datafusion::sql::sqlparser::ast::visit_expressions(statement, |expr| {
            if let SqlExpr::Function(function) = expr
                && let Some(op) = operation_of(function)
                && arguments(function)
                    .iter()
                    .any(|a| matches!(a, FunctionArg::Named { .. }))
            {
                found = Some((op, function.clone()));
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        if found.is_some() {
            break;
        }
    }
    let (op, function) = found?;
    let mut x = String::from("x");
    let mut values = Vec::new();
    let mut named: Vec<(String, String)> = Vec::new();
    for (i, arg) in arguments(&function).iter().enumerate() {
        match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) if i == 0 => x = e.to_string(),
            FunctionArg::Unnamed(e) => values.push(e.to_string()),
            FunctionArg::Named { name, arg, .. } => {
                named.push((name.value.to_ascii_lowercase(), arg.to_string()))
            }
            FunctionArg::ExprNamed { name, arg, .. } => {
                named.push((name.to_string(), arg.to_string()))
            }
        }
    }
    let written = format!(
        "{op}({})",
        std::iter::once(x.clone())
            .chain(values.iter().cloned())
            .chain(named.iter().map(|(n, v)| format!("{n} => {v}")))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // By value: the positional values, then the named ones, NULLs dropped.
    let by_value: Vec<String> = std::iter::once(x.clone())
        .chain(values.iter().cloned())
        .chain(named.iter().map(|(_, v)| v.clone()))
        .filter(|v| !v.eq_ignore_ascii_case("NULL"))
        .collect();
    // By name: every parameter up to the last one named, NULL for the others.
    let last = named
        .iter()
        .filter_map(|(n, _)| PARAMETER_NAMES.iter().position(|p| p == n))
        .chain(PARAMETER_NAMES.iter().position(|p| *p == missing))
        .max()?;
    // `get`: the call found may not be the one DataFusion refused (the SQL may hold
    // several), so its values can outnumber the parameters before `last`.
    let named_span = PARAMETER_NAMES.get(1 + values.len()..=last)?;
    let by_name: Vec<String> = std::iter::once(x)
        .chain(values.iter().cloned())
        .chain(
            named_span
                .iter()
                .map(|p| match named.iter().find(|(n, _)| n == p) {
                    Some((_, v)) => format!("{p} => {v}"),
                    None => format!("{p} => NULL"),
                }),
        )
        .collect();
    Some(format!(
        "{written}: DataFusion fills named arguments from the first parameter on; write {op}({}) or {op}({})",
        by_value.join(", "),
        by_name.join(", ")
    ))
}

/// The first cumulus function called without OVER in a SELECT that groups (GROUP BY, or
/// an aggregate beside it, which DataFusion reports the same way).
fn call_without_over_beside_grouping(sql: &str) -> Option<Operation> {
    struct Finder(Option<Operation>);

    impl Finder {
        fn set_expr(&mut self, body: &SetExpr) {
            match body {
                SetExpr::Select(select) => {
                    let groups = match &select.group_by {
                        GroupByExpr::All(_) => true,
                        GroupByExpr::Expressions(exprs, _) => !exprs.is_empty(),
                    };
                    let mut ours = None;
                    let mut other_calls = false;
                    for item in &select.projection {
                        let (SelectItem::UnnamedExpr(e)
                        | SelectItem::ExprWithAlias { expr: e, .. }) = item
                        else {
                            continue;
                        };
                        let _ = datafusion::sql::sqlparser::ast::visit_expressions(e, |expr| {
                            if let SqlExpr::Function(f) = expr
                                && f.over.is_none()
                            {
                                match operation_of(f) {
                                    Some(op) => ours = ours.or(Some(op)),
                                    None => other_calls = true,
                                }
                            }
                            ControlFlow::<()>::Continue(())
                        });
                    }
                    // Without GROUP BY, DataFusion only asks for one when an aggregate
                    // (some other call without OVER) makes the SELECT an aggregation.
                    if groups || other_calls {
                        self.0 = self.0.or(ours);
                    }
                }
                SetExpr::SetOperation { left, right, .. } => {
                    self.set_expr(left);
                    self.set_expr(right);
                }
                _ => {}
            }
        }
    }

    impl Visitor for Finder {
        type Break = ();

        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            self.set_expr(&query.body);
            ControlFlow::Continue(())
        }
    }

    let statements = DFParser::parse_sql(sql).ok()?;
    let mut finder = Finder(None);
    for statement in &statements {
        if let DfStatement::Statement(statement) = statement {
            let _ = statement.visit(&mut finder);
        }
    }
    finder.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hint is built from the first call with named options, which need not be the
    /// one DataFusion refused: it never panics on a call that does not fit the error.
    #[test]
    fn a_hint_for_another_call_does_not_panic() {
        let sql = "SELECT cumsum(x, 1, 2, 3, 4, 5, dtype => 1), cumsum(y, nulls => 'skip') FROM t";
        assert_eq!(named_arguments_hint(sql, "dtype"), None);
        assert_eq!(named_arguments_hint("SELECT", "dtype"), None);
        assert_eq!(named_arguments_hint("not sql at all (", "dtype"), None);
    }
}
