//! Polars data types as arrow-rs data types and back, matched by name; the result-type
//! rule itself stays in the core ([`crate::result_type`]).

use std::sync::Arc;

use arrow::datatypes::{
    DECIMAL128_MAX_PRECISION, DataType as ArrowType, Field as ArrowField, TimeUnit as ArrowUnit,
};
use polars::prelude::{DataType, PolarsError, PolarsResult, TimeUnit, polars_err};

use crate::{Operation, ScanOptions};

/// The child field name of lists in both libraries.
const ITEM: &str = "item";

/// The arrow-rs type of a Polars type the core can scan (or reject with its own words):
/// `None` for Polars types arrow-rs has no name for (strings, temporal types but
/// durations, `Int128`, categoricals, ...).
pub(crate) fn to_arrow(dtype: &DataType) -> Option<ArrowType> {
    use DataType as P;
    if let Some(numpy) = numpy_to_arrow(dtype) {
        return Some(numpy);
    }
    Some(match dtype {
        P::Decimal(precision, scale) => {
            ArrowType::Decimal128(u8::try_from(*precision).ok()?, i8::try_from(*scale).ok()?)
        }
        P::Duration(unit) => ArrowType::Duration(match unit {
            TimeUnit::Milliseconds => ArrowUnit::Millisecond,
            TimeUnit::Microseconds => ArrowUnit::Microsecond,
            TimeUnit::Nanoseconds => ArrowUnit::Nanosecond,
        }),
        P::Array(inner, width) => {
            ArrowType::FixedSizeList(item(to_arrow(inner)?), i32::try_from(*width).ok()?)
        }
        P::List(inner) => ArrowType::LargeList(item(to_arrow(inner)?)),
        _ => return None,
    })
}

/// The Polars type of an arrow-rs type; `None` where Polars has no equivalent
/// (`Decimal256`, second durations, ...).
pub(crate) fn from_arrow(dtype: &ArrowType) -> Option<DataType> {
    use ArrowType as A;
    if let Some(numpy) = numpy_from_arrow(dtype) {
        return Some(numpy);
    }
    Some(match dtype {
        A::Decimal128(precision @ 1..=DECIMAL128_MAX_PRECISION, scale @ 0..) => {
            DataType::Decimal(usize::from(*precision), usize::try_from(*scale).ok()?)
        }
        A::Duration(unit) => DataType::Duration(match unit {
            ArrowUnit::Millisecond => TimeUnit::Milliseconds,
            ArrowUnit::Microsecond => TimeUnit::Microseconds,
            ArrowUnit::Nanosecond => TimeUnit::Nanoseconds,
            ArrowUnit::Second => return None,
        }),
        A::FixedSizeList(field, width) => DataType::Array(
            Box::new(from_arrow(field.data_type())?),
            usize::try_from(*width).ok()?,
        ),
        A::List(field) | A::LargeList(field) => {
            DataType::List(Box::new(from_arrow(field.data_type())?))
        }
        _ => return None,
    })
}

/// NumPy's element types have the same names in Polars and Arrow.
macro_rules! __same_names {
    (
        []
        bits { $(($bv:ident, $bt:ty, $bn:literal, $bk:ident, [$($ba:literal),*]),)* }
        numeric { $(($v:ident, $t:ty, $arrow:ident, $n:literal, $k:ident, [$($a:literal),*]),)* }
        duration { $(($unit:ident, $darrow:ident),)* }
    ) => {
        /// The Arrow type of one of NumPy's element types in Polars.
        fn numpy_to_arrow(dtype: &DataType) -> Option<ArrowType> {
            match dtype {
                $(DataType::$bv => Some(ArrowType::$bv),)*
                $(DataType::$v => Some(ArrowType::$v),)*
                _ => None,
            }
        }

        /// The Polars type of one of NumPy's element types in Arrow.
        fn numpy_from_arrow(dtype: &ArrowType) -> Option<DataType> {
            match dtype {
                $(ArrowType::$bv => Some(DataType::$bv),)*
                $(ArrowType::$v => Some(DataType::$v),)*
                _ => None,
            }
        }
    };
}
crate::dtype::element_types!(__same_names!);

fn item(data_type: ArrowType) -> Arc<ArrowField> {
    Arc::new(ArrowField::new(ITEM, data_type, true))
}

/// The arrow-rs type the core scans for a Polars input type.
///
/// # Errors
/// `InvalidOperation` for a type arrow-rs has no name for, worded as the core words its
/// own `UnsupportedType` error but naming the Polars type.
pub(crate) fn input_type(op: Operation, dtype: &DataType) -> PolarsResult<ArrowType> {
    to_arrow(dtype).ok_or_else(|| unsupported_input(op, dtype))
}

/// The Polars type `op` returns for `input`: the core's rule, translated.
///
/// # Errors
/// The core's planning errors, and `InvalidOperation` when the result has no Polars type.
pub(crate) fn output_type(
    op: Operation,
    input: &DataType,
    options: &ScanOptions,
) -> PolarsResult<DataType> {
    let arrow_out = crate::result_type(op, &input_type(op, input)?, options)?;
    polars_output(op, &arrow_out)
}

/// The Polars type of [`crate::cumulative`]'s result for `input`.
///
/// # Errors
/// As [`output_type`].
pub(crate) fn cumulative_output_type(
    op: Operation,
    input: &DataType,
    options: &ScanOptions,
    include_initial: bool,
) -> PolarsResult<DataType> {
    let field = ArrowField::new("x", input_type(op, input)?, true);
    let out = crate::cumulative_result_field(op, &field, options, include_initial)?;
    polars_output(op, out.data_type())
}

/// The Polars type of a result type the core chose.
pub(crate) fn polars_output(op: Operation, arrow_out: &ArrowType) -> PolarsResult<DataType> {
    from_arrow(arrow_out).ok_or_else(|| {
        polars_err!(InvalidOperation:
            "{op}: result type {arrow_out} has no Polars data type; accepted: a dtype option whose result Polars can hold (Decimal128 up to precision 38, durations in ms, us or ns)"
        )
    })
}

/// The core's [`crate::Error::UnsupportedType`] message, with the type named the Polars way.
fn unsupported_input(op: Operation, dtype: &DataType) -> PolarsError {
    let accepted = op.accepted_types();
    polars_err!(InvalidOperation: "{op}: unsupported input type {dtype}; accepted: {accepted}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_type_round_trips() {
        let types = [
            DataType::Boolean,
            DataType::Int8,
            DataType::UInt64,
            DataType::Float16,
            DataType::Decimal(38, 4),
            DataType::Duration(TimeUnit::Microseconds),
            DataType::Array(Box::new(DataType::Array(Box::new(DataType::Float32), 3)), 2),
            DataType::List(Box::new(DataType::Int16)),
        ];
        for dtype in types {
            let arrow = to_arrow(&dtype).unwrap();
            assert_eq!(from_arrow(&arrow), Some(dtype));
        }
    }

    #[test]
    fn unmapped_types_are_named_in_polars_terms() {
        assert_eq!(to_arrow(&DataType::String), None);
        let err = input_type(Operation::Cumsum, &DataType::String).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("cumsum: unsupported input type str; accepted: bool, int8"),
            "{message}"
        );
        assert_eq!(from_arrow(&ArrowType::Decimal256(76, 2)), None);
    }
}
