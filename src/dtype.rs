//! The one list of element types the scans know, and everything derived from it: NumPy's
//! names (`dtype=` parsing and printing), kinds and sizes (result types, `out=`
//! promotion), the runtime-typed `out=` slices, and the dispatch from an Arrow
//! `DataType` to a Rust element type.
//!
//! Adding an element type is one line in [`element_types!`] (plus its kernel arithmetic in
//! `kernels/element.rs` and `kernels/ops.rs`, which the dispatch requires at compile time).

use std::fmt;

use arrow::datatypes::DataType;

use crate::{Error, Result};

/// Calls `$callback! { [$args] bits {..} numeric {..} duration {..} }` with the element
/// types:
/// - `bits`: NumPy's bool, bit-packed in Arrow (`DataType` variant, Rust element, NumPy
///   name, kind, aliases);
/// - `numeric`: NumPy's integers and floats (`DataType` variant, Rust element, Arrow
///   primitive type, NumPy name, kind, aliases);
/// - `duration`: Arrow durations, scanned as their `i64` (time unit, Arrow primitive type).
///
/// Every list of types in the crate is generated from these lines.
macro_rules! element_types {
    ($($callback:ident)::+ ! $($args:tt)*) => {
        $($callback)::+! {
            [$($args)*]
            bits {
                (Boolean, bool, "bool", Bool, ["boolean", "?"]),
            }
            numeric {
                (Int8, i8, Int8Type, "int8", Signed, ["i8", "byte"]),
                (Int16, i16, Int16Type, "int16", Signed, ["i16", "short"]),
                (Int32, i32, Int32Type, "int32", Signed, ["i32", "intc"]),
                (Int64, i64, Int64Type, "int64", Signed, ["i64", "int", "long", "intp"]),
                (UInt8, u8, UInt8Type, "uint8", Unsigned, ["u8", "ubyte"]),
                (UInt16, u16, UInt16Type, "uint16", Unsigned, ["u16", "ushort"]),
                (UInt32, u32, UInt32Type, "uint32", Unsigned, ["u32", "uintc"]),
                (UInt64, u64, UInt64Type, "uint64", Unsigned, ["u64", "ulong", "uintp", "uint"]),
                (Float16, ::half::f16, Float16Type, "float16", Float, ["f16", "half"]),
                (Float32, f32, Float32Type, "float32", Float, ["f32", "single"]),
                (Float64, f64, Float64Type, "float64", Float, ["f64", "double", "float"]),
            }
            duration {
                (Second, DurationSecondType),
                (Millisecond, DurationMillisecondType),
                (Microsecond, DurationMicrosecondType),
                (Nanosecond, DurationNanosecondType),
            }
        }
    };
}
pub(crate) use element_types;

/// Runs `$body` with `$P` the Arrow primitive type of `$data_type` (NumPy's integers and
/// floats, and durations), or evaluates `$fallback` for any other type (bool included:
/// it is bit-packed, not primitive).
///
/// ```ignore
/// dispatch_primitive!(array.data_type(), |P| scan_new::<P>(job, array), _ => Err(..))
/// ```
macro_rules! dispatch_primitive {
    ($data_type:expr, |$P:ident| $body:expr, _ => $fallback:expr) => {
        $crate::dtype::element_types!(crate::dtype::__dispatch_primitive!(
            $data_type, $P, $body, $fallback
        ))
    };
}
pub(crate) use dispatch_primitive;

macro_rules! __dispatch_primitive {
    (
        [($data_type:expr, $P:ident, $body:expr, $fallback:expr)]
        bits { $(($bv:ident, $bt:ty, $bn:literal, $bk:ident, [$($ba:literal),*]),)* }
        numeric { $(($v:ident, $t:ty, $arrow:ident, $n:literal, $k:ident, [$($a:literal),*]),)* }
        duration { $(($unit:ident, $darrow:ident),)* }
    ) => {
        match $data_type {
            $(::arrow::datatypes::DataType::$v => {
                #[allow(dead_code)]
                type $P = ::arrow::datatypes::$arrow;
                $body
            })*
            $(::arrow::datatypes::DataType::Duration(::arrow::datatypes::TimeUnit::$unit) => {
                #[allow(dead_code)]
                type $P = ::arrow::datatypes::$darrow;
                $body
            })*
            _ => $fallback,
        }
    };
}
pub(crate) use __dispatch_primitive;

/// What kind of number a NumPy element type holds; with the size it decides NumPy's type
/// promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `bool`.
    Bool,
    /// Signed integers.
    Signed,
    /// Unsigned integers.
    Unsigned,
    /// IEEE floats.
    Float,
}

/// One of NumPy's element types as cumulus knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumpyDtype {
    /// The Arrow type.
    pub data_type: DataType,
    /// NumPy's name (`"int8"`, `"float64"`, `"bool"`).
    pub name: &'static str,
    /// Other names `dtype=` accepts (NumPy's aliases and Rust's short names).
    pub aliases: &'static [&'static str],
    /// The kind of number.
    pub kind: Kind,
    /// The size of one element in bytes (NumPy's `itemsize`).
    pub size: usize,
}

macro_rules! __numpy_dtypes {
    (
        []
        bits { $(($bv:ident, $bt:ty, $bn:literal, $bk:ident, [$($ba:literal),*]),)* }
        numeric { $(($v:ident, $t:ty, $arrow:ident, $n:literal, $k:ident, [$($a:literal),*]),)* }
        duration { $(($unit:ident, $darrow:ident),)* }
    ) => {
        /// NumPy's element types in NumPy's order (bool, the signed integers, the unsigned
        /// ones, the floats), with their names, kinds and sizes.
        pub const NUMPY_DTYPES: &[NumpyDtype] = &[
            $(NumpyDtype {
                data_type: DataType::$bv,
                name: $bn,
                aliases: &[$($ba),*],
                kind: Kind::$bk,
                size: size_of::<$bt>(),
            },)*
            $(NumpyDtype {
                data_type: DataType::$v,
                name: $n,
                aliases: &[$($a),*],
                kind: Kind::$k,
                size: size_of::<$t>(),
            },)*
        ];

        /// A mutable slice of one of NumPy's element types, its type known at run time:
        /// the `out=` of [`crate::scan_into_dyn`].
        ///
        /// ```
        /// use arrow::datatypes::DataType;
        /// let mut out = [0i64; 3];
        /// let slice = cumulus::OutSlice::from(&mut out[..]);
        /// assert_eq!(slice.data_type(), DataType::Int64);
        /// assert_eq!(slice.len(), 3);
        /// ```
        #[derive(Debug)]
        #[non_exhaustive]
        pub enum OutSlice<'a> {
            $(
                #[doc = concat!("NumPy's `", $bn, "`.")]
                $bv(&'a mut [$bt]),
            )*
            $(
                #[doc = concat!("NumPy's `", $n, "`.")]
                $v(&'a mut [$t]),
            )*
        }

        impl OutSlice<'_> {
            /// The Arrow type of the elements.
            pub fn data_type(&self) -> DataType {
                match self {
                    $(OutSlice::$bv(_) => DataType::$bv,)*
                    $(OutSlice::$v(_) => DataType::$v,)*
                }
            }

            /// The number of elements.
            pub fn len(&self) -> usize {
                match self {
                    $(OutSlice::$bv(s) => s.len(),)*
                    $(OutSlice::$v(s) => s.len(),)*
                }
            }

            /// Whether the slice holds no element.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }
        }

        impl<'a> OutSlice<'a> {
            /// Views `bytes` as elements of `data_type` (one of NumPy's element types), as
            /// a caller holding a raw buffer (a NumPy array, an Arrow `MutableBuffer`)
            /// does. A `bool` buffer must hold only the bytes 0 and 1, as NumPy's do.
            ///
            /// ```
            /// use arrow::datatypes::DataType;
            /// let mut raw = vec![0u64; 4]; // 32 bytes, 8-byte aligned
            /// let bytes: &mut [u8] = bytemuck_free(&mut raw);
            /// # fn bytemuck_free(v: &mut [u64]) -> &mut [u8] {
            /// #     unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast(), v.len() * 8) }
            /// # }
            /// let out = cumulus::OutSlice::try_from_bytes(&DataType::Float32, bytes)?;
            /// assert_eq!(out.len(), 8);
            /// assert!(cumulus::OutSlice::try_from_bytes(&DataType::Utf8, &mut [0u8; 4]).is_err());
            /// # Ok::<(), cumulus::Error>(())
            /// ```
            ///
            /// # Errors
            /// [`Error::InvalidOption`] (option `out`) when the type is not one of NumPy's,
            /// the length is not a whole number of elements, the bytes are not aligned
            /// for the type, or a `bool` byte is neither 0 nor 1.
            pub fn try_from_bytes(data_type: &DataType, bytes: &'a mut [u8]) -> Result<Self> {
                match data_type {
                    $(DataType::$bv => {
                        if let Some(at) = bytes.iter().position(|&b| b > 1) {
                            return Err(out_error(format!(
                                "byte {at} of a bool out= buffer is {}", bytes[at]
                            )));
                        }
                        // SAFETY: every byte is 0 or 1 (checked above), the valid bit
                        // patterns of `bool`, which has the size and alignment of `u8`.
                        Ok(OutSlice::$bv(unsafe {
                            std::slice::from_raw_parts_mut(bytes.as_mut_ptr().cast::<bool>(), bytes.len())
                        }))
                    })*
                    $(DataType::$v => Ok(OutSlice::$v(cast_bytes::<$t>(data_type, bytes)?)),)*
                    other => Err(out_error(format!(
                        "{other} is not one of NumPy's element types ({})", dtype_names()
                    ))),
                }
            }
        }

        $(
            impl<'a> From<&'a mut [$bt]> for OutSlice<'a> {
                fn from(values: &'a mut [$bt]) -> Self {
                    OutSlice::$bv(values)
                }
            }
            impl sealed::Sealed for $bt {}
            impl NumpyElement for $bt {
                const DATA_TYPE: DataType = DataType::$bv;
                fn out_slice(values: &mut [Self]) -> OutSlice<'_> {
                    OutSlice::$bv(values)
                }
            }
        )*
        $(
            impl<'a> From<&'a mut [$t]> for OutSlice<'a> {
                fn from(values: &'a mut [$t]) -> Self {
                    OutSlice::$v(values)
                }
            }
            impl sealed::Sealed for $t {}
            impl NumpyElement for $t {
                const DATA_TYPE: DataType = DataType::$v;
                fn out_slice(values: &mut [Self]) -> OutSlice<'_> {
                    OutSlice::$v(values)
                }
            }
        )*
    };
}
element_types!(__numpy_dtypes!);

/// Runs `$body` with `$out` bound to the typed slice inside an [`OutSlice`] (one arm per
/// NumPy element type).
macro_rules! with_out_slice {
    ($slice:expr, |$out:ident| $body:expr) => {
        $crate::dtype::element_types!(crate::dtype::__with_out_slice!($slice, $out, $body))
    };
}
pub(crate) use with_out_slice;

macro_rules! __with_out_slice {
    (
        [($slice:expr, $out:ident, $body:expr)]
        bits { $(($bv:ident, $bt:ty, $bn:literal, $bk:ident, [$($ba:literal),*]),)* }
        numeric { $(($v:ident, $t:ty, $arrow:ident, $n:literal, $k:ident, [$($a:literal),*]),)* }
        duration { $(($unit:ident, $darrow:ident),)* }
    ) => {
        match $slice {
            $($crate::OutSlice::$bv($out) => $body,)*
            $($crate::OutSlice::$v($out) => $body,)*
        }
    };
}
pub(crate) use __with_out_slice;

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that is one of NumPy's element types (`bool`, `i8` ... `u64`, `f16`, `f32`,
/// `f64`): what [`crate::scan_into`] can write into. Sealed: the list is
/// [`NUMPY_DTYPES`].
pub trait NumpyElement: Copy + Send + Sync + 'static + sealed::Sealed {
    /// The Arrow type of the element.
    const DATA_TYPE: DataType;
    /// The slice as a runtime-typed [`OutSlice`].
    fn out_slice(values: &mut [Self]) -> OutSlice<'_>;
}

fn out_error(reason: String) -> Error {
    Error::InvalidOption {
        op: None,
        option: "out",
        value: "the given buffer".into(),
        reason: Some(reason),
        accepted: "a buffer of one of NumPy's element types, aligned for it and a whole number of elements long".into(),
    }
}

fn cast_bytes<'a, T: Copy>(data_type: &DataType, bytes: &'a mut [u8]) -> Result<&'a mut [T]> {
    let size = size_of::<T>();
    if !bytes.len().is_multiple_of(size) {
        return Err(out_error(format!(
            "{} bytes is not a whole number of {data_type} elements ({size} bytes each)",
            bytes.len()
        )));
    }
    if bytes.as_ptr().align_offset(align_of::<T>()) != 0 {
        return Err(out_error(format!(
            "the buffer is not aligned to {} bytes for {data_type}",
            align_of::<T>()
        )));
    }
    // SAFETY: the pointer is aligned for `T` and the length is a whole number of `T`s
    // (both checked above); `T` is an integer or float type, for which every bit pattern
    // is valid, and the slice keeps the exclusive borrow of `bytes`.
    Ok(unsafe {
        std::slice::from_raw_parts_mut(bytes.as_mut_ptr().cast::<T>(), bytes.len() / size)
    })
}

/// The NumPy element type behind an Arrow type, if it is one.
pub fn numpy_dtype(data_type: &DataType) -> Option<&'static NumpyDtype> {
    NUMPY_DTYPES.iter().find(|d| d.data_type == *data_type)
}

/// The NumPy element type of a kind and size.
fn numpy_dtype_of(kind: Kind, size: usize) -> Option<&'static NumpyDtype> {
    NUMPY_DTYPES
        .iter()
        .find(|d| d.kind == kind && d.size == size)
}

/// NumPy's names of its element types, as listed in messages: `bool, int8, ..., float64`.
pub fn dtype_names() -> DtypeNames {
    DtypeNames
}

/// The list of NumPy's element type names; displays as `bool, int8, ..., float64`.
#[derive(Debug, Clone, Copy)]
pub struct DtypeNames;

impl fmt::Display for DtypeNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in NUMPY_DTYPES.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(d.name)?;
        }
        Ok(())
    }
}

/// What `dtype=` accepts, as listed in error messages.
pub(crate) fn accepted_dtypes() -> String {
    format!(
        "{} (or an alias such as double), or an Arrow type name such as Int64, Decimal128(38, 2) or Duration(Millisecond)",
        dtype_names()
    )
}

/// Parses a `dtype=` name: NumPy's names (`int8`, `uint64`, `float16`, `bool`, ...) and
/// aliases (`half`, `single`, `double`, `float`, `int`), Arrow's names of the same types
/// (`Int64`, `Float64`, `Boolean`, ...), in any case, and Arrow's type syntax for the
/// decimals and durations a `dtype=` can choose (`Decimal128(20, 2)`,
/// `Duration(Millisecond)`).
///
/// ```
/// use arrow::datatypes::DataType;
/// assert_eq!(cumulus::parse_dtype("float32")?, DataType::Float32);
/// assert_eq!(cumulus::parse_dtype("UInt16")?, DataType::UInt16);
/// assert_eq!(cumulus::parse_dtype("Decimal128(20, 2)")?, DataType::Decimal128(20, 2));
/// assert!(cumulus::parse_dtype("utf8").is_err());
/// # Ok::<(), cumulus::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidOption`] naming the accepted names, and why an Arrow type is refused.
pub fn parse_dtype(name: &str) -> Result<DataType> {
    let text = name.trim();
    let found = NUMPY_DTYPES.iter().find(|d| {
        d.name.eq_ignore_ascii_case(text)
            || d.aliases.iter().any(|a| a.eq_ignore_ascii_case(text))
            || d.data_type.to_string().eq_ignore_ascii_case(text)
    });
    if let Some(dtype) = found {
        return Ok(dtype.data_type.clone());
    }
    let invalid = |reason: Option<String>| Error::InvalidOption {
        op: None,
        option: "dtype",
        value: name.to_string(),
        reason,
        accepted: accepted_dtypes(),
    };
    if let Some(decimal) = parse_decimal(text) {
        return decimal.map_err(|reason| invalid(Some(reason)));
    }
    match canonical_spelling(text).parse::<DataType>() {
        Ok(t @ DataType::Duration(_)) => Ok(t),
        Ok(other) => Err(invalid(Some(format!(
            "{other} is not a type a scan can run in"
        )))),
        Err(_) => Err(invalid(None)),
    }
}

/// Arrow's type syntax is case-sensitive (`Decimal128(20, 2)`, `Duration(Millisecond)`);
/// `dtype=` names are not, so the names a `dtype=` can choose are respelled first.
fn canonical_spelling(text: &str) -> String {
    const WORDS: [&str; 5] = [
        "Duration",
        "Second",
        "Millisecond",
        "Microsecond",
        "Nanosecond",
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let word_len = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len())
            .max(1);
        let (word, tail) = rest.split_at(word_len);
        match WORDS.iter().find(|w| w.eq_ignore_ascii_case(word)) {
            Some(canonical) => out.push_str(canonical),
            None => out.push_str(word),
        }
        rest = tail;
    }
    out
}

/// `Decimal128(p, s)` or `Decimal256(p, s)` in any case: `None` for other text, else the
/// type or why it cannot exist.
fn parse_decimal(text: &str) -> Option<std::result::Result<DataType, String>> {
    use arrow::datatypes::{DECIMAL128_MAX_PRECISION, DECIMAL256_MAX_PRECISION};
    let lower = text.to_ascii_lowercase();
    let (wide, args) = if let Some(args) = lower.strip_prefix("decimal128") {
        (false, args)
    } else {
        (true, lower.strip_prefix("decimal256")?)
    };
    let args = args.trim().strip_prefix('(')?.strip_suffix(')')?;
    let parse = || -> std::result::Result<DataType, String> {
        let (p, s) = args
            .split_once(',')
            .ok_or("expected a precision and a scale")?;
        let p: i64 = p
            .trim()
            .parse()
            .map_err(|_| format!("precision '{}' is not an integer", p.trim()))?;
        let s: i64 = s
            .trim()
            .parse()
            .map_err(|_| format!("scale '{}' is not an integer", s.trim()))?;
        let max = i64::from(if wide {
            DECIMAL256_MAX_PRECISION
        } else {
            DECIMAL128_MAX_PRECISION
        });
        if !(1..=max).contains(&p) {
            return Err(format!("precision {p} is outside 1..={max}"));
        }
        if !(-128..=p).contains(&s) {
            return Err(format!("scale {s} is outside -128..={p} (the precision)"));
        }
        // Both fit: p <= 76 and -128 <= s <= p.
        let (p, s) = (p as u8, s as i8);
        Ok(if wide {
            DataType::Decimal256(p, s)
        } else {
            DataType::Decimal128(p, s)
        })
    };
    Some(parse())
}

/// The name [`parse_dtype`] reads back as `dtype`: NumPy's name for its element types,
/// Arrow's type syntax otherwise (`Decimal128(20, 2)`).
///
/// ```
/// use arrow::datatypes::DataType;
/// assert_eq!(cumulus::dtype_name(&DataType::UInt8), "uint8");
/// assert_eq!(cumulus::dtype_name(&DataType::Decimal128(20, 2)), "Decimal128(20, 2)");
/// ```
pub fn dtype_name(dtype: &DataType) -> String {
    match numpy_dtype(dtype) {
        Some(d) => d.name.to_string(),
        None => dtype.to_string(),
    }
}

/// NumPy's `np.promote_types(a, b)` for its element types: the type a scan with `out=`
/// but no `dtype=` runs in. `None` when either is not a NumPy element type.
pub(crate) fn promote_types(a: &DataType, b: &DataType) -> Option<DataType> {
    let (da, db) = (numpy_dtype(a)?, numpy_dtype(b)?);
    let promoted = match (da.kind, db.kind) {
        (Kind::Bool, _) => db,
        (_, Kind::Bool) => da,
        (x, y) if x == y => numpy_dtype_of(x, da.size.max(db.size))?,
        (Kind::Float, _) | (_, Kind::Float) => {
            let (float, int) = if da.kind == Kind::Float {
                (da, db)
            } else {
                (db, da)
            };
            // The smallest float that holds every value of the integer: 8-bit integers
            // fit half, 16-bit float, wider ones only double.
            let needed = (int.size * 2).min(8);
            numpy_dtype_of(Kind::Float, float.size.max(needed))?
        }
        _ => {
            let (signed, unsigned) = if da.kind == Kind::Signed {
                (da, db)
            } else {
                (db, da)
            };
            if signed.size > unsigned.size {
                signed
            } else if unsigned.size < 8 {
                numpy_dtype_of(Kind::Signed, unsigned.size * 2)?
            } else {
                numpy_dtype_of(Kind::Float, 8)?
            }
        }
    };
    Some(promoted.data_type.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataType::*;

    #[test]
    fn every_name_and_alias_round_trips() {
        for d in NUMPY_DTYPES {
            assert_eq!(parse_dtype(d.name).unwrap(), d.data_type);
            assert_eq!(dtype_name(&d.data_type), d.name);
            for alias in d.aliases {
                assert_eq!(parse_dtype(alias).unwrap(), d.data_type, "{alias}");
            }
            let arrow_name = d.data_type.to_string();
            assert_eq!(parse_dtype(&arrow_name).unwrap(), d.data_type);
        }
        assert_eq!(dtype_names().to_string().split(", ").count(), 12);
    }

    #[test]
    fn arrow_types_beyond_numpy() {
        assert_eq!(parse_dtype("decimal128(20, 2)").unwrap(), Decimal128(20, 2));
        assert_eq!(
            parse_dtype("Duration(Millisecond)").unwrap(),
            Duration(arrow::datatypes::TimeUnit::Millisecond)
        );
        let err = parse_dtype("Decimal128(100, 2)").unwrap_err().to_string();
        assert!(err.contains("precision 100 is outside 1..=38"), "{err}");
        let err = parse_dtype("Utf8").unwrap_err().to_string();
        assert!(
            err.contains("Utf8 is not a type a scan can run in"),
            "{err}"
        );
        let err = parse_dtype("int128").unwrap_err().to_string();
        assert!(
            err.contains("'int128' for option dtype") && err.contains("uint64"),
            "{err}"
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

    #[test]
    fn out_slices_check_their_bytes() {
        let mut words = [0u64; 2];
        // SAFETY: test-only view of 16 initialised bytes.
        let bytes = unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), 16) };
        assert!(OutSlice::try_from_bytes(&Int64, &mut bytes[..15]).is_err());
        assert!(OutSlice::try_from_bytes(&Int32, &mut bytes[4..12]).is_ok());
        assert!(OutSlice::try_from_bytes(&Int64, &mut bytes[4..12]).is_err());
        bytes[0] = 2;
        let err = OutSlice::try_from_bytes(&Boolean, bytes).unwrap_err();
        assert!(err.to_string().contains("byte 0"), "{err}");
    }
}
