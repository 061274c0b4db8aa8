//! The operations and the options every scan takes, and how they are spelled as text.

use std::fmt;
use std::str::FromStr;

use arrow::datatypes::DataType;

use crate::{Error, NullPolicy};

/// Declares an enum whose variants have a text form, and derives from the one list of
/// (variant, text) pairs: `ALL`, `name()`, `accepted()`, `Display` and a case-insensitive
/// `FromStr` whose error names `$option` and the accepted values.
macro_rules! named_values {
    (
        $(#[$meta:meta])*
        $vis:vis enum $Name:ident as $option:literal {
            $($(#[$vmeta:meta])* $Variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        $vis enum $Name {
            $($(#[$vmeta])* $Variant,)+
        }

        impl $Name {
            /// Every value, in the order of the documentation.
            pub const ALL: [$Name; <[&str]>::len(&[$($text),+])] = [$($Name::$Variant),+];

            /// The text form of the value.
            pub const fn name(self) -> &'static str {
                match self {
                    $($Name::$Variant => $text,)+
                }
            }

            /// The text forms of every value, as listed in messages (`a, b, c`).
            pub fn accepted() -> String {
                [$($text),+].join(", ")
            }
        }

        impl ::std::fmt::Display for $Name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl ::std::str::FromStr for $Name {
            type Err = $crate::Error;

            fn from_str(s: &str) -> Result<Self, $crate::Error> {
                let s = s.trim();
                $Name::ALL
                    .into_iter()
                    .find(|v| v.name().eq_ignore_ascii_case(s))
                    .ok_or_else(|| $crate::Error::InvalidOption {
                        op: None,
                        option: $option,
                        value: s.to_string(),
                        reason: None,
                        accepted: $Name::accepted(),
                    })
            }
        }
    };
}
pub(crate) use named_values;

named_values! {
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
    /// assert_eq!(Operation::ALL.len(), 6);
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Operation as "operation" {
        /// Running sum (`np.cumsum`).
        Cumsum = "cumsum",
        /// Running product (`np.cumprod`).
        Cumprod = "cumprod",
        /// Running sum where NaN counts as 0 (`np.nancumsum`).
        NanCumsum = "nancumsum",
        /// Running product where NaN counts as 1 (`np.nancumprod`).
        NanCumprod = "nancumprod",
        /// Running maximum (`np.maximum.accumulate`): NaN propagates.
        Cummax = "cummax",
        /// Running minimum (`np.minimum.accumulate`): NaN propagates.
        Cummin = "cummin",
    }
}

impl Operation {
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

    /// The input types the operation accepts, as listed in messages.
    ///
    /// ```
    /// let accepted = cumulus::Operation::Cumprod.accepted_types();
    /// assert!(accepted.starts_with("bool, int8, int16"));
    /// assert!(accepted.contains("products of decimals and durations are not defined"));
    /// ```
    pub fn accepted_types(self) -> String {
        let numpy = crate::dtype::dtype_names();
        match self.kind() {
            OpKind::Prod => format!(
                "{numpy}, and FixedSizeList, List or LargeList columns of these (products of decimals and durations are not defined, as in NumPy and Polars)"
            ),
            _ => format!(
                "{numpy}, Decimal128, Decimal256, Duration, and FixedSizeList, List or LargeList columns of these"
            ),
        }
    }

    /// One line saying what the operation computes, for generated documentation.
    pub const fn summary(self) -> &'static str {
        match self {
            Operation::Cumsum => "The running sum, as NumPy's `np.cumsum`.",
            Operation::Cumprod => "The running product, as NumPy's `np.cumprod`.",
            Operation::NanCumsum => {
                "The running sum with NaN counted as 0, as NumPy's `np.nancumsum`."
            }
            Operation::NanCumprod => {
                "The running product with NaN counted as 1, as NumPy's `np.nancumprod`."
            }
            Operation::Cummax => {
                "The running maximum, as NumPy's `np.maximum.accumulate` (NaN propagates)."
            }
            Operation::Cummin => {
                "The running minimum, as NumPy's `np.minimum.accumulate` (NaN propagates)."
            }
        }
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

named_values! {
    /// What an integer overflow does.
    ///
    /// ```
    /// assert_eq!("error".parse::<cumulus::Overflow>()?, cumulus::Overflow::Error);
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum Overflow as "overflow" {
        /// Wrap around in the result type, as NumPy does ("arithmetic is modular").
        #[default]
        Wrap = "wrap",
        /// Stop with [`Error::Overflow`] naming the row. Also applies to the `dtype=`
        /// cast: a value that does not fit the requested type is an overflow, not a wrap.
        ///
        /// An overflow is an error only where it would change an output: a value under
        /// a null is never read, and under [`NullPolicy::Propagate`] the elements after
        /// a null (which reach no output) neither fail their cast nor their arithmetic.
        ///
        /// With several failures, the error names the first the scan meets: a reverse
        /// scan runs from the column's last row to its first (also across independent
        /// rows, lists and groups), and along axis 0 the row's lanes step in order. The
        /// one-shot scan and a [`crate::Scanner`] over any chunking name the same row.
        Error = "error",
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
                reason: None,
                accepted: ACCEPTED_AXIS.to_string(),
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

named_values! {
    /// The options of a scan, by name: the one list that every surface spells (the SQL
    /// parameters, the Python keywords, the command's help), with what each accepts.
    ///
    /// ```
    /// use cumulus::{NullPolicy, ScanOption, ScanOptions};
    /// let mut options = ScanOptions::default();
    /// ScanOption::Nulls.set_from_text(&mut options, "carry")?;
    /// assert_eq!(options.nulls, NullPolicy::Carry);
    /// // The value sets do not overlap, so a value says which option it is.
    /// assert_eq!(ScanOption::recognize("int8"), Some(ScanOption::Dtype));
    /// assert_eq!(ScanOption::recognize("skip"), Some(ScanOption::Nulls));
    /// assert_eq!(ScanOption::recognize("-1"), Some(ScanOption::Axis));
    /// assert_eq!(ScanOption::recognize("sometimes"), None);
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ScanOption as "option" {
        /// [`ScanOptions::dtype`].
        Dtype = "dtype",
        /// [`ScanOptions::nulls`].
        Nulls = "nulls",
        /// [`ScanOptions::overflow`].
        Overflow = "overflow",
        /// [`ScanOptions::axis`].
        Axis = "axis",
        /// [`ScanOptions::reverse`].
        Reverse = "reverse",
    }
}

impl ScanOption {
    /// What the option chooses, in one line.
    pub const fn summary(self) -> &'static str {
        match self {
            ScanOption::Dtype => {
                "the type every element is cast to (NumPy's unsafe cast) and the scan runs and wraps in"
            }
            ScanOption::Nulls => "what a null does to the output and to the running value",
            ScanOption::Overflow => {
                "what an integer overflow does: wrap as NumPy, or stop with an error naming the row"
            }
            ScanOption::Axis => {
                "the dimension of an N-dimensional column to scan along (NumPy's axis)"
            }
            ScanOption::Reverse => "scan from the last element to the first",
        }
    }

    /// What the option accepts as text, as listed in messages.
    ///
    /// ```
    /// assert_eq!(cumulus::ScanOption::Overflow.accepted_values(), "wrap, error");
    /// ```
    pub fn accepted_values(self) -> String {
        match self {
            ScanOption::Dtype => crate::dtype::accepted_dtypes(),
            ScanOption::Nulls => NullPolicy::accepted(),
            ScanOption::Overflow => Overflow::accepted(),
            ScanOption::Axis => ACCEPTED_AXIS.to_string(),
            ScanOption::Reverse => ACCEPTED_REVERSE.to_string(),
        }
    }

    /// Sets this option of `options` from its text form (what [`ScanOption::value_text`]
    /// writes).
    ///
    /// # Errors
    /// [`Error::InvalidOption`] naming the option and its accepted values.
    pub fn set_from_text(self, options: &mut ScanOptions, text: &str) -> Result<(), Error> {
        match self {
            ScanOption::Dtype => options.dtype = Some(crate::parse_dtype(text)?),
            ScanOption::Nulls => options.nulls = text.parse()?,
            ScanOption::Overflow => options.overflow = text.parse()?,
            ScanOption::Axis => options.axis = text.parse()?,
            ScanOption::Reverse => options.reverse = parse_bool(text)?,
        }
        Ok(())
    }

    /// The option's value in `options` as text, which [`ScanOption::set_from_text`] reads
    /// back; `None` for a `dtype` left to NumPy's rule.
    ///
    /// ```
    /// use cumulus::{ScanOption, ScanOptions};
    /// let options = ScanOptions::default().with_axis(-1);
    /// assert_eq!(ScanOption::Axis.value_text(&options).as_deref(), Some("-1"));
    /// assert_eq!(ScanOption::Dtype.value_text(&options), None);
    /// ```
    pub fn value_text(self, options: &ScanOptions) -> Option<String> {
        Some(match self {
            ScanOption::Dtype => crate::dtype_name(options.dtype.as_ref()?),
            ScanOption::Nulls => options.nulls.to_string(),
            ScanOption::Overflow => options.overflow.to_string(),
            ScanOption::Axis => options.axis.to_string(),
            ScanOption::Reverse => options.reverse.to_string(),
        })
    }

    /// The option a value written as text belongs to, if any. The options' value sets do
    /// not overlap (type names, policy names, `wrap`/`error`, integers and `none`,
    /// `true`/`false`), so a value alone says which option it sets.
    pub fn recognize(text: &str) -> Option<ScanOption> {
        ScanOption::ALL.into_iter().find(|option| {
            let mut probe = ScanOptions::default();
            option.set_from_text(&mut probe, text).is_ok()
        })
    }
}

const ACCEPTED_AXIS: &str = "an integer (negative counts from the end) or none";
const ACCEPTED_REVERSE: &str = "true or false";

fn parse_bool(text: &str) -> Result<bool, Error> {
    match text.trim() {
        t if t.eq_ignore_ascii_case("true") => Ok(true),
        t if t.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(Error::InvalidOption {
            op: None,
            option: "reverse",
            value: text.to_string(),
            reason: None,
            accepted: ACCEPTED_REVERSE.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_reads_back_what_it_writes() {
        let options = ScanOptions::default()
            .with_dtype(DataType::Decimal128(20, 2))
            .with_nulls(NullPolicy::Identity)
            .with_overflow(Overflow::Error)
            .with_axis(-2)
            .with_reverse(true);
        let mut read = ScanOptions::default();
        for option in ScanOption::ALL {
            let text = option.value_text(&options).unwrap();
            option.set_from_text(&mut read, &text).unwrap();
            assert_eq!(ScanOption::recognize(&text), Some(option), "{text}");
        }
        assert_eq!(read, options);
    }

    #[test]
    fn bad_values_name_the_option_and_the_accepted_values() {
        let err = "x".parse::<Axis>().unwrap_err().to_string();
        assert!(err.contains("option axis"), "{err}");
        let mut options = ScanOptions::default();
        let err = ScanOption::Reverse
            .set_from_text(&mut options, "yes")
            .unwrap_err()
            .to_string();
        assert!(err.contains("true or false"), "{err}");
        let err = "frobnicate".parse::<Operation>().unwrap_err().to_string();
        assert!(
            err.contains("cumsum, cumprod, nancumsum, nancumprod, cummax, cummin"),
            "{err}"
        );
    }
}
