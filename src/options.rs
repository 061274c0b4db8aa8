//! The operations and the options every scan takes, and how they are spelled as text.

use std::fmt;
use std::str::FromStr;

use arrow::datatypes::DataType;

use crate::Error;

/// One of the six cumulative operations.
///
/// The text form (`Display`, `FromStr`) is the NumPy function name, which is also the
/// name the engine integrations register.
///
/// ```
/// use cumulus::Operation;
/// let op: Operation = "nancumsum".parse()?;
/// assert_eq!(op, Operation::NanCumsum);
/// assert_eq!(op.to_string(), "nancumsum");
/// # Ok::<(), cumulus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Running sum (`np.cumsum`).
    Cumsum,
    /// Running product (`np.cumprod`).
    Cumprod,
    /// Running sum where NaN counts as 0 (`np.nancumsum`).
    NanCumsum,
    /// Running product where NaN counts as 1 (`np.nancumprod`).
    NanCumprod,
    /// Running maximum (`np.maximum.accumulate`): NaN propagates.
    Cummax,
    /// Running minimum (`np.minimum.accumulate`): NaN propagates.
    Cummin,
}

impl Operation {
    /// All six operations, in the order of the documentation.
    pub const ALL: [Operation; 6] = [
        Operation::Cumsum,
        Operation::Cumprod,
        Operation::NanCumsum,
        Operation::NanCumprod,
        Operation::Cummax,
        Operation::Cummin,
    ];

    /// The NumPy name of the operation (`"cumsum"`, ...).
    ///
    /// ```
    /// assert_eq!(cumulus::Operation::Cummax.name(), "cummax");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Operation::Cumsum => "cumsum",
            Operation::Cumprod => "cumprod",
            Operation::NanCumsum => "nancumsum",
            Operation::NanCumprod => "nancumprod",
            Operation::Cummax => "cummax",
            Operation::Cummin => "cummin",
        }
    }

    /// The arithmetic behind the operation, ignoring the NaN treatment.
    pub(crate) const fn kind(self) -> OpKind {
        match self {
            Operation::Cumsum | Operation::NanCumsum => OpKind::Sum,
            Operation::Cumprod | Operation::NanCumprod => OpKind::Prod,
            Operation::Cummax => OpKind::Max,
            Operation::Cummin => OpKind::Min,
        }
    }

    /// Whether NaN counts as the identity (the `nan*` variants).
    pub(crate) const fn nan_is_identity(self) -> bool {
        matches!(self, Operation::NanCumsum | Operation::NanCumprod)
    }
}

/// The arithmetic of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    Sum,
    Prod,
    Max,
    Min,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Operation {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Operation::ALL
            .into_iter()
            .find(|op| op.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::InvalidOption {
                op: None,
                option: "operation",
                value: s.to_string(),
                accepted: "cumsum, cumprod, nancumsum, nancumprod, cummax, cummin",
            })
    }
}

/// What a null input does to the output and to the running value.
///
/// For the input `[1, null, 2]` with `cumsum`:
///
/// | policy      | output            | like                                        |
/// |-------------|-------------------|---------------------------------------------|
/// | `Skip`      | `[1, null, 3]`    | Polars, pandas, pyarrow `skip_nulls=True`   |
/// | `Propagate` | `[1, null, null]` | pyarrow's default `skip_nulls=False`        |
/// | `Carry`     | `[1, 1, 3]`       | SQL `sum(x) OVER (... ROWS UNBOUNDED PRECEDING)` |
/// | `Identity`  | `[1, 1, 3]`       | `np.nancumsum` (a null counts as 0, or 1 for products) |
///
/// `Carry` and `Identity` differ before the first value: `[null, 1]` gives
/// `[null, 1]` under `Carry` and `[0, 1]` under `Identity`. Under `Identity` a null
/// counts as the identity of the operation: 0 for sums, 1 for products, the lowest value
/// (`-inf` for floats) for `cummax` and the highest (`+inf`) for `cummin`.
///
/// Values stored under null slots never reach a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NullPolicy {
    /// A null gives a null; the running value carries on past it.
    #[default]
    Skip,
    /// From the first null on, every output is null.
    Propagate,
    /// A null gives the running value; null only before the first value.
    Carry,
    /// A null counts as the identity of the operation; no output is null.
    Identity,
}

impl NullPolicy {
    /// The text form accepted by [`FromStr`] and the engines' `nulls` option.
    pub const fn name(self) -> &'static str {
        match self {
            NullPolicy::Skip => "skip",
            NullPolicy::Propagate => "propagate",
            NullPolicy::Carry => "carry",
            NullPolicy::Identity => "identity",
        }
    }
}

impl fmt::Display for NullPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for NullPolicy {
    type Err = Error;

    /// Parses `skip`, `propagate`, `carry` or `identity` (any case).
    ///
    /// ```
    /// use cumulus::NullPolicy;
    /// assert_eq!("Carry".parse::<NullPolicy>()?, NullPolicy::Carry);
    /// assert!("ignore".parse::<NullPolicy>().is_err());
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    fn from_str(s: &str) -> Result<Self, Error> {
        [
            NullPolicy::Skip,
            NullPolicy::Propagate,
            NullPolicy::Carry,
            NullPolicy::Identity,
        ]
        .into_iter()
        .find(|p| p.name().eq_ignore_ascii_case(s))
        .ok_or_else(|| Error::InvalidOption {
            op: None,
            option: "nulls",
            value: s.to_string(),
            accepted: "skip, propagate, carry, identity",
        })
    }
}

/// What an integer overflow does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Overflow {
    /// Wrap around in the result type, as NumPy does ("arithmetic is modular").
    #[default]
    Wrap,
    /// Stop with [`Error::Overflow`] naming the row. Also applies to the `dtype=` cast:
    /// a value that does not fit the requested type is an overflow, not a wrap.
    Error,
}

impl Overflow {
    /// The text form accepted by [`FromStr`] and the engines' `overflow` option.
    pub const fn name(self) -> &'static str {
        match self {
            Overflow::Wrap => "wrap",
            Overflow::Error => "error",
        }
    }
}

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Overflow {
    type Err = Error;

    /// Parses `wrap` or `error` (any case).
    ///
    /// ```
    /// assert_eq!("error".parse::<cumulus::Overflow>()?, cumulus::Overflow::Error);
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    fn from_str(s: &str) -> Result<Self, Error> {
        [Overflow::Wrap, Overflow::Error]
            .into_iter()
            .find(|o| o.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::InvalidOption {
                op: None,
                option: "overflow",
                value: s.to_string(),
                accepted: "wrap, error",
            })
    }
}

/// NumPy's `axis`: which dimension of an N-dimensional column the scan runs along.
///
/// A column of `m` rows of `FixedSizeList<T, n>` is the `m x n` array; see the crate
/// documentation for nested lists and tensors. For a plain (1-D) column every choice
/// means the same scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Axis {
    /// NumPy's `axis=None`: scan every element in row-major order and return a flat array.
    #[default]
    Flatten,
    /// A dimension index; negative values count from the end (`-1` is the last axis).
    Index(i64),
}

impl From<i64> for Axis {
    fn from(axis: i64) -> Self {
        Axis::Index(axis)
    }
}

impl From<Option<i64>> for Axis {
    fn from(axis: Option<i64>) -> Self {
        axis.map_or(Axis::Flatten, Axis::Index)
    }
}

impl fmt::Display for Axis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Axis::Flatten => f.write_str("none"),
            Axis::Index(i) => write!(f, "{i}"),
        }
    }
}

impl FromStr for Axis {
    type Err = Error;

    /// Parses an integer, or `none`/`flatten` for [`Axis::Flatten`].
    ///
    /// ```
    /// use cumulus::Axis;
    /// assert_eq!("-1".parse::<Axis>()?, Axis::Index(-1));
    /// assert_eq!("none".parse::<Axis>()?, Axis::Flatten);
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("none") || t.eq_ignore_ascii_case("flatten") {
            return Ok(Axis::Flatten);
        }
        t.parse::<i64>()
            .map(Axis::Index)
            .map_err(|_| Error::InvalidOption {
                op: None,
                option: "axis",
                value: s.to_string(),
                accepted: "an integer (negative counts from the end) or none",
            })
    }
}

/// Options of a scan. `Default` is NumPy's behaviour: flatten, the default result type,
/// nulls skipped, integers wrapping, left to right.
///
/// ```
/// use arrow::datatypes::DataType;
/// use cumulus::{NullPolicy, Overflow, ScanOptions};
///
/// let options = ScanOptions::default()
///     .with_dtype(DataType::Float64)
///     .with_nulls(NullPolicy::Carry)
///     .with_overflow(Overflow::Error)
///     .with_axis(0)
///     .with_reverse(true);
/// assert_eq!(options.dtype, Some(DataType::Float64));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ScanOptions {
    /// NumPy's `axis`.
    pub axis: Axis,
    /// NumPy's `dtype=`: each element is cast to this type with NumPy's unsafe cast and
    /// the scan runs (and wraps) in it. `None` uses the default result type.
    pub dtype: Option<DataType>,
    /// What nulls do.
    pub nulls: NullPolicy,
    /// What integer overflow does.
    pub overflow: Overflow,
    /// Scan from the last element to the first (Polars' `reverse`).
    pub reverse: bool,
}

impl ScanOptions {
    /// Sets [`ScanOptions::axis`]; accepts an [`Axis`], an `i64` index or `Option<i64>`.
    pub fn with_axis(mut self, axis: impl Into<Axis>) -> Self {
        self.axis = axis.into();
        self
    }

    /// Sets [`ScanOptions::dtype`].
    pub fn with_dtype(mut self, dtype: DataType) -> Self {
        self.dtype = Some(dtype);
        self
    }

    /// Sets [`ScanOptions::nulls`].
    pub fn with_nulls(mut self, nulls: NullPolicy) -> Self {
        self.nulls = nulls;
        self
    }

    /// Sets [`ScanOptions::overflow`].
    pub fn with_overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// Sets [`ScanOptions::reverse`].
    pub fn with_reverse(mut self, reverse: bool) -> Self {
        self.reverse = reverse;
        self
    }
}

/// Parses a `dtype=` name: NumPy's names (`int8`, `uint64`, `float16`, `bool`, ...), their
/// NumPy aliases (`half`, `single`, `double`, `float`, `int`) and Arrow's names (`Int64`,
/// `Float64`, `Boolean`, ...), in any case.
///
/// ```
/// use arrow::datatypes::DataType;
/// assert_eq!(cumulus::parse_dtype("float32")?, DataType::Float32);
/// assert_eq!(cumulus::parse_dtype("UInt16")?, DataType::UInt16);
/// assert!(cumulus::parse_dtype("utf8").is_err());
/// # Ok::<(), cumulus::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidOption`] naming the accepted names.
pub fn parse_dtype(name: &str) -> Result<DataType, Error> {
    let t = name.trim().to_ascii_lowercase();
    let dtype = match t.as_str() {
        "bool" | "boolean" => DataType::Boolean,
        "int8" | "i8" => DataType::Int8,
        "int16" | "i16" => DataType::Int16,
        "int32" | "i32" => DataType::Int32,
        "int64" | "i64" | "int" => DataType::Int64,
        "uint8" | "u8" => DataType::UInt8,
        "uint16" | "u16" => DataType::UInt16,
        "uint32" | "u32" => DataType::UInt32,
        "uint64" | "u64" => DataType::UInt64,
        "float16" | "f16" | "half" => DataType::Float16,
        "float32" | "f32" | "single" => DataType::Float32,
        "float64" | "f64" | "double" | "float" => DataType::Float64,
        _ => {
            return Err(Error::InvalidOption {
                op: None,
                option: "dtype",
                value: name.to_string(),
                accepted: DTYPE_NAMES,
            });
        }
    };
    Ok(dtype)
}

/// The `dtype=` names, as listed in error messages.
pub(crate) const DTYPE_NAMES: &str =
    "bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32, float64";

/// The NumPy name of a `dtype=` target, the inverse of [`parse_dtype`].
// Used by the engine adapters that print options as text (SQL).
#[cfg_attr(not(feature = "datafusion"), allow(dead_code))]
pub(crate) fn dtype_name(dtype: &DataType) -> Option<&'static str> {
    Some(match dtype {
        DataType::Boolean => "bool",
        DataType::Int8 => "int8",
        DataType::Int16 => "int16",
        DataType::Int32 => "int32",
        DataType::Int64 => "int64",
        DataType::UInt8 => "uint8",
        DataType::UInt16 => "uint16",
        DataType::UInt32 => "uint32",
        DataType::UInt64 => "uint64",
        DataType::Float16 => "float16",
        DataType::Float32 => "float32",
        DataType::Float64 => "float64",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dtype_name_round_trips() {
        for name in DTYPE_NAMES.split(", ") {
            let dtype = parse_dtype(name).unwrap();
            assert_eq!(dtype_name(&dtype), Some(name));
        }
    }

    #[test]
    fn bad_values_name_the_option_and_the_accepted_values() {
        let err = "sometimes".parse::<NullPolicy>().unwrap_err().to_string();
        assert!(err.contains("nulls") && err.contains("skip, propagate, carry, identity"));
        let err = parse_dtype("utf8").unwrap_err().to_string();
        assert!(err.contains("dtype") && err.contains("float64"), "{err}");
        let err = "x".parse::<Axis>().unwrap_err().to_string();
        assert!(err.contains("axis"), "{err}");
    }
}
