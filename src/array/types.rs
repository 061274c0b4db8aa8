//! NumPy's result-type rules, in one place: what each operation returns for each element
//! type and `dtype=`, and the type promotion NumPy applies to `out=`.

use arrow::datatypes::{DECIMAL128_MAX_PRECISION, DECIMAL256_MAX_PRECISION, DataType};

use crate::dtype::{Kind, dtype_names, numpy_dtype};
use crate::options::OpKind;
use crate::{Error, Operation, Result};

/// The element types NumPy has: bool, the integers and the floats.
pub(crate) fn is_numpy_type(t: &DataType) -> bool {
    numpy_dtype(t).is_some()
}

/// NumPy's result type of a scan over elements of type `input` with `dtype=` (the
/// element-level rule; nesting is handled by the caller).
///
/// - sums and products: bool, int8, int16, int32 give Int64; uint8, uint16, uint32 give
///   UInt64; the rest keep their type;
/// - cummax/cummin keep the input type;
/// - `dtype: Some(T)` gives `T` for every NumPy element type;
/// - Decimal128(p, s) sums give Decimal128(38, s), Decimal256(p, s) sums Decimal256(76, s)
///   (a `dtype` Decimal128/Decimal256 with the same scale chooses another precision);
///   Duration sums keep their unit; max/min keep the type; products are errors.
pub(crate) fn element_result_type(
    op: Operation,
    input: &DataType,
    dtype: Option<&DataType>,
) -> Result<DataType> {
    use DataType::*;
    let kind = op.kind();
    if is_numpy_type(input) {
        return match dtype {
            None => Ok(default_numpy_result(kind, input)),
            Some(d) if is_numpy_type(d) => Ok(d.clone()),
            Some(d) => Err(Error::UnsupportedDtype {
                op,
                input: input.clone(),
                dtype: d.clone(),
                accepted: dtype_names().to_string(),
            }),
        };
    }
    let unsupported = || Error::UnsupportedType {
        op,
        data_type: input.clone(),
        accepted: op.accepted_types(),
    };
    match input {
        Decimal128(_, s) | Decimal256(_, s) if kind != OpKind::Prod => {
            let scale = *s;
            let default = match (kind, input) {
                (OpKind::Sum, Decimal128(..)) => Decimal128(DECIMAL128_MAX_PRECISION, scale),
                (OpKind::Sum, _) => Decimal256(DECIMAL256_MAX_PRECISION, scale),
                _ => input.clone(),
            };
            match dtype {
                None => Ok(default),
                Some(d) if *d == default => Ok(default),
                Some(Decimal128(p, s2))
                    if kind == OpKind::Sum
                        && matches!(input, Decimal128(..))
                        && *s2 == scale
                        && (1..=DECIMAL128_MAX_PRECISION).contains(p) =>
                {
                    Ok(Decimal128(*p, scale))
                }
                Some(Decimal256(p, s2))
                    if kind == OpKind::Sum
                        && *s2 == scale
                        && (1..=DECIMAL256_MAX_PRECISION).contains(p) =>
                {
                    Ok(Decimal256(*p, scale))
                }
                Some(d) => Err(Error::UnsupportedDtype {
                    op,
                    input: input.clone(),
                    dtype: d.clone(),
                    accepted: if kind == OpKind::Sum {
                        format!(
                            "none, or Decimal128/Decimal256 with scale {scale} (the precision the running sum must fit)"
                        )
                    } else {
                        format!("none, or {input}")
                    },
                }),
            }
        }
        Duration(_) if kind != OpKind::Prod => match dtype {
            None => Ok(input.clone()),
            Some(d) if d == input => Ok(input.clone()),
            Some(d) => Err(Error::UnsupportedDtype {
                op,
                input: input.clone(),
                dtype: d.clone(),
                accepted: format!("none, or {input}"),
            }),
        },
        _ => Err(unsupported()),
    }
}

/// NumPy's default result type for a NumPy element type: sums and products widen bool
/// and the integers narrower than 64 bits to int64 (uint64 for unsigned ones).
fn default_numpy_result(kind: OpKind, input: &DataType) -> DataType {
    match (kind, numpy_dtype(input).map(|d| (d.kind, d.size))) {
        (OpKind::Max | OpKind::Min, _) => input.clone(),
        (_, Some((Kind::Bool | Kind::Signed, ..8))) => DataType::Int64,
        (_, Some((Kind::Unsigned, ..8))) => DataType::UInt64,
        _ => input.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataType::*;

    #[test]
    fn numpy_widens_small_integers_for_sums_only() {
        let op = Operation::Cumsum;
        for (input, expected) in [
            (Boolean, Int64),
            (Int8, Int64),
            (Int32, Int64),
            (UInt16, UInt64),
            (UInt64, UInt64),
            (Float16, Float16),
            (Float32, Float32),
        ] {
            assert_eq!(element_result_type(op, &input, None).unwrap(), expected);
        }
        assert_eq!(
            element_result_type(Operation::Cummax, &Int8, None).unwrap(),
            Int8
        );
        assert_eq!(
            element_result_type(op, &Int8, Some(&Float32)).unwrap(),
            Float32
        );
    }

    #[test]
    fn decimals_and_durations() {
        let op = Operation::Cumsum;
        assert_eq!(
            element_result_type(op, &Decimal128(10, 2), None).unwrap(),
            Decimal128(38, 2)
        );
        assert_eq!(
            element_result_type(op, &Decimal128(10, 2), Some(&Decimal128(12, 2))).unwrap(),
            Decimal128(12, 2)
        );
        assert!(element_result_type(op, &Decimal128(10, 2), Some(&Decimal128(12, 3))).is_err());
        assert!(element_result_type(Operation::Cumprod, &Decimal128(10, 2), None).is_err());
        let d = Duration(arrow::datatypes::TimeUnit::Millisecond);
        assert_eq!(element_result_type(op, &d, None).unwrap(), d);
        let err = element_result_type(Operation::Cumprod, &d, None).unwrap_err();
        assert!(
            err.to_string()
                .contains("products of decimals and durations")
        );
    }
}
