//! NumPy's result-type rules, in one place: what each operation returns for each element
//! type and `dtype=`, and the type promotion NumPy applies to `out=`.

use arrow::datatypes::{DECIMAL128_MAX_PRECISION, DECIMAL256_MAX_PRECISION, DataType};

use crate::options::{DTYPE_NAMES, OpKind};
use crate::{Error, Operation, Result};

/// What the sums and max/min accept, as listed in error messages.
pub(crate) const ACCEPTED_SUMS: &str = "bool, int8-int64, uint8-uint64, float16, float32, float64, Decimal128, Decimal256, Duration, and FixedSizeList, List or LargeList columns of these";
/// What the products accept, as listed in error messages.
pub(crate) const ACCEPTED_PRODUCTS: &str = "bool, int8-int64, uint8-uint64, float16, float32, float64, and FixedSizeList, List or LargeList columns of these (products of decimals and durations are not defined, as in NumPy and Polars)";

pub(crate) fn accepted_types(op: Operation) -> &'static str {
    match op.kind() {
        OpKind::Prod => ACCEPTED_PRODUCTS,
        _ => ACCEPTED_SUMS,
    }
}

/// The element types NumPy has: bool, the integers and the floats.
pub(crate) fn is_numpy_type(t: &DataType) -> bool {
    use DataType::*;
    matches!(
        t,
        Boolean
            | Int8
            | Int16
            | Int32
            | Int64
            | UInt8
            | UInt16
            | UInt32
            | UInt64
            | Float16
            | Float32
            | Float64
    )
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
                accepted: DTYPE_NAMES.to_string(),
            }),
        };
    }
    let unsupported = || Error::UnsupportedType {
        op,
        data_type: input.clone(),
        accepted: accepted_types(op),
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

/// NumPy's default result type for a NumPy element type.
fn default_numpy_result(kind: OpKind, input: &DataType) -> DataType {
    use DataType::*;
    match (kind, input) {
        (OpKind::Max | OpKind::Min, t) => t.clone(),
        (_, Boolean | Int8 | Int16 | Int32) => Int64,
        (_, UInt8 | UInt16 | UInt32) => UInt64,
        (_, t) => t.clone(),
    }
}

/// NumPy's `np.promote_types(a, b)` for its element types: the type a scan with `out=`
/// but no `dtype=` runs in. `None` when either is not a NumPy element type.
pub(crate) fn promote_types(a: &DataType, b: &DataType) -> Option<DataType> {
    use DataType::*;
    #[derive(PartialEq, Clone, Copy)]
    enum Kind {
        Bool,
        Signed,
        Unsigned,
        Float,
    }
    fn describe(t: &DataType) -> Option<(Kind, u8)> {
        Some(match t {
            Boolean => (Kind::Bool, 1),
            Int8 => (Kind::Signed, 1),
            Int16 => (Kind::Signed, 2),
            Int32 => (Kind::Signed, 4),
            Int64 => (Kind::Signed, 8),
            UInt8 => (Kind::Unsigned, 1),
            UInt16 => (Kind::Unsigned, 2),
            UInt32 => (Kind::Unsigned, 4),
            UInt64 => (Kind::Unsigned, 8),
            Float16 => (Kind::Float, 2),
            Float32 => (Kind::Float, 4),
            Float64 => (Kind::Float, 8),
            _ => return None,
        })
    }
    fn build(kind: Kind, size: u8) -> DataType {
        match (kind, size) {
            (Kind::Bool, _) => Boolean,
            (Kind::Signed, 1) => Int8,
            (Kind::Signed, 2) => Int16,
            (Kind::Signed, 4) => Int32,
            (Kind::Signed, 8) => Int64,
            (Kind::Unsigned, 1) => UInt8,
            (Kind::Unsigned, 2) => UInt16,
            (Kind::Unsigned, 4) => UInt32,
            (Kind::Unsigned, 8) => UInt64,
            (Kind::Float, 2) => Float16,
            (Kind::Float, 4) => Float32,
            _ => Float64,
        }
    }
    let ((ka, sa), (kb, sb)) = (describe(a)?, describe(b)?);
    let promoted = match (ka, kb) {
        (Kind::Bool, _) => b.clone(),
        (_, Kind::Bool) => a.clone(),
        (x, y) if x == y => build(x, sa.max(sb)),
        (Kind::Float, _) | (_, Kind::Float) => {
            let (float, int) = if ka == Kind::Float {
                (sa, sb)
            } else {
                (sb, sa)
            };
            // The smallest float that holds every value of the integer: 8-bit integers fit
            // half, 16-bit float, wider ones only double.
            let needed = match int {
                1 => 2,
                2 => 4,
                _ => 8,
            };
            build(Kind::Float, float.max(needed))
        }
        _ => {
            let (signed, unsigned) = if ka == Kind::Signed {
                (sa, sb)
            } else {
                (sb, sa)
            };
            if signed > unsigned {
                build(Kind::Signed, signed)
            } else if unsigned < 8 {
                build(Kind::Signed, unsigned * 2)
            } else {
                Float64
            }
        }
    };
    Some(promoted)
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

    #[test]
    fn promotion_follows_numpy() {
        for (a, b, expected) in [
            (Int8, UInt8, Int16),
            (Int64, UInt64, Float64),
            (UInt32, Int32, Int64),
            (Int8, Float16, Float16),
            (Int16, Float16, Float32),
            (Int32, Float32, Float64),
            (UInt8, Float32, Float32),
            (Boolean, Int8, Int8),
            (Float16, Float64, Float64),
            (Int64, Int8, Int64),
        ] {
            assert_eq!(promote_types(&a, &b), Some(expected.clone()), "{a} {b}");
            assert_eq!(promote_types(&b, &a), Some(expected), "{b} {a}");
        }
    }
}
