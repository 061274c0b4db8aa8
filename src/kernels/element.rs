//! Scalar element types and NumPy's unsafe casts between them.
//!
//! NumPy casts with C conversions. Integers wrap; floats round to nearest; float to
//! integer truncates toward zero. Out-of-range float to integer conversions are undefined
//! in C; NumPy's x86-64 builds produce what the SSE conversion instructions produce
//! (`cvttsd2si` returns the "integer indefinite" value `0x80..0`), and so do these casts,
//! so that even those results match NumPy on x86-64.
//!
//! NaN payloads follow NumPy too. Casts between float and double are the hardware's
//! (a signalling NaN comes out quiet); casts to and from half are NumPy's own bit
//! routines (`npy_halfbits_to_floatbits` and friends), which move the payload and keep a
//! signalling NaN signalling. So a cast from half or float never goes through double.

use half::f16;

/// A scalar that NumPy can cast to and from: `bool`, the eight integer types and the
/// three float types.
pub trait Element: Copy + Send + Sync + std::fmt::Debug + 'static {
    /// C's conversion from a signed integer (wrapping, or rounding to nearest).
    fn from_i64(v: i64) -> Self;
    /// C's conversion from an unsigned integer.
    fn from_u64(v: u64) -> Self;
    /// C's conversion from a double, as compiled for x86-64.
    fn from_f64(v: f64) -> Self;
    /// NumPy's conversion from a float (through double, except for half targets).
    fn from_f32(v: f32) -> Self {
        Self::from_f64(f64::from(v))
    }
    /// NumPy's conversion from a half: exact through double, except that a NaN keeps its
    /// payload bit for bit (and float targets get NumPy's half-to-float bits).
    fn from_f16(v: f16) -> Self {
        Self::from_f64(f16_to_f64(v))
    }
    /// `0` or `1`.
    fn from_bool(v: bool) -> Self;
    /// [`Element::from_i64`] when the value is representable, else `None`.
    fn checked_from_i64(v: i64) -> Option<Self>;
    /// [`Element::from_u64`] when the value is representable, else `None`.
    fn checked_from_u64(v: u64) -> Option<Self>;
    /// [`Element::from_f64`] when the truncated value is representable, else `None`.
    /// Float targets never fail (they overflow to infinity, as NumPy does).
    fn checked_from_f64(v: f64) -> Option<Self>;
    /// [`Element::from_f32`] when representable, else `None`.
    fn checked_from_f32(v: f32) -> Option<Self> {
        Self::checked_from_f64(f64::from(v))
    }
    /// [`Element::from_f16`] when representable, else `None`.
    fn checked_from_f16(v: f16) -> Option<Self> {
        Self::checked_from_f64(f16_to_f64(v))
    }

    /// NumPy's unsafe cast of `self` to `T`.
    fn cast<T: Element>(self) -> T;
    /// [`Element::cast`] when the value is representable in `T`, else `None`.
    fn checked_cast<T: Element>(self) -> Option<T>;

    /// Whether the value is a float NaN.
    fn is_nan(self) -> bool {
        false
    }
}

const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
const TWO_POW_31: f64 = 2_147_483_648.0;

/// `cvttsd2si` with a 64-bit destination: truncation, or `i64::MIN` when out of range or NaN.
fn cvtt_i64(v: f64) -> i64 {
    if (-TWO_POW_63..TWO_POW_63).contains(&v) {
        v as i64
    } else {
        i64::MIN
    }
}

/// `cvttsd2si` with a 32-bit destination: truncation, or `i32::MIN` when out of range or NaN.
fn cvtt_i32(v: f64) -> i32 {
    if (-TWO_POW_31..TWO_POW_31).contains(&v) {
        v as i32
    } else {
        i32::MIN
    }
}

/// GCC's double to `unsigned long` sequence: below 2^63 (or NaN) convert signed,
/// otherwise convert `v - 2^63` and flip the top bit.
fn cvtt_u64(v: f64) -> u64 {
    if v >= TWO_POW_63 {
        (cvtt_i64(v - TWO_POW_63) as u64) ^ (1 << 63)
    } else {
        cvtt_i64(v) as u64
    }
}

/// The truncated value when it lies in `[lo, hi)`, else `None` (also for NaN).
fn trunc_in(v: f64, lo: f64, hi: f64) -> Option<f64> {
    let t = v.trunc();
    (t >= lo && t < hi).then_some(t)
}

macro_rules! integer_element {
    ($t:ty, $from_f64:expr, $to_wide:ty, $from_wide:ident, $checked_from_wide:ident) => {
        impl Element for $t {
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            fn from_u64(v: u64) -> Self {
                v as $t
            }
            fn from_f64(v: f64) -> Self {
                $from_f64(v) as $t
            }
            fn from_bool(v: bool) -> Self {
                v as $t
            }
            fn checked_from_i64(v: i64) -> Option<Self> {
                <$t>::try_from(v).ok()
            }
            fn checked_from_u64(v: u64) -> Option<Self> {
                <$t>::try_from(v).ok()
            }
            fn checked_from_f64(v: f64) -> Option<Self> {
                // The exclusive upper bound is MAX + 1, a power of two and exact in f64.
                let t = trunc_in(v, <$t>::MIN as f64, (<$t>::MAX as f64) + 1.0)?;
                Some(t as $t)
            }
            fn cast<T: Element>(self) -> T {
                T::$from_wide(self as $to_wide)
            }
            fn checked_cast<T: Element>(self) -> Option<T> {
                T::$checked_from_wide(self as $to_wide)
            }
        }
    };
}

integer_element!(i8, cvtt_i32, i64, from_i64, checked_from_i64);
integer_element!(i16, cvtt_i32, i64, from_i64, checked_from_i64);
integer_element!(i32, cvtt_i32, i64, from_i64, checked_from_i64);
integer_element!(i64, cvtt_i64, i64, from_i64, checked_from_i64);
integer_element!(u8, cvtt_i32, u64, from_u64, checked_from_u64);
integer_element!(u16, cvtt_i32, u64, from_u64, checked_from_u64);
integer_element!(u32, cvtt_i64, u64, from_u64, checked_from_u64);
integer_element!(u64, cvtt_u64, u64, from_u64, checked_from_u64);

macro_rules! float_element {
    (
        $t:ty, $from_i64:expr, $from_u64:expr, $from_f64:expr,
        $from_f32:expr, $from_f16:expr, $cast:ident, $checked_cast:ident
    ) => {
        impl Element for $t {
            fn from_i64(v: i64) -> Self {
                $from_i64(v)
            }
            fn from_u64(v: u64) -> Self {
                $from_u64(v)
            }
            fn from_f64(v: f64) -> Self {
                $from_f64(v)
            }
            fn from_f32(v: f32) -> Self {
                $from_f32(v)
            }
            fn from_f16(v: f16) -> Self {
                $from_f16(v)
            }
            fn from_bool(v: bool) -> Self {
                $from_i64(v as i64)
            }
            fn checked_from_i64(v: i64) -> Option<Self> {
                Some(Self::from_i64(v))
            }
            fn checked_from_u64(v: u64) -> Option<Self> {
                Some(Self::from_u64(v))
            }
            fn checked_from_f64(v: f64) -> Option<Self> {
                Some(Self::from_f64(v))
            }
            fn checked_from_f32(v: f32) -> Option<Self> {
                Some(Self::from_f32(v))
            }
            fn checked_from_f16(v: f16) -> Option<Self> {
                Some(Self::from_f16(v))
            }
            fn cast<T: Element>(self) -> T {
                T::$cast(self)
            }
            fn checked_cast<T: Element>(self) -> Option<T> {
                T::$checked_cast(self)
            }
            fn is_nan(self) -> bool {
                self.is_nan()
            }
        }
    };
}

float_element!(
    f64,
    |v: i64| v as f64,
    |v: u64| v as f64,
    |v: f64| v,
    |v: f32| f64::from(v),
    f16_to_f64,
    from_f64,
    checked_from_f64
);
float_element!(
    f32,
    |v: i64| v as f32,
    |v: u64| v as f32,
    |v: f64| v as f32,
    |v: f32| v,
    f16_to_f32,
    from_f32,
    checked_from_f32
);
// NumPy converts integers to half through float; every integer that float rounds differently
// from double is far beyond half's range, so both routes give the same half.
float_element!(
    f16,
    |v: i64| f16::from_f32(v as f32),
    |v: u64| f16::from_f32(v as f32),
    f64_to_f16,
    f32_to_f16,
    |v: f16| v,
    from_f16,
    checked_from_f16
);

/// Half to double: exact; a NaN keeps sign and payload, shifted into place and never
/// quieted (NumPy's `npy_halfbits_to_doublebits`).
fn f16_to_f64(v: f16) -> f64 {
    if v.is_nan() {
        let bits = u64::from(v.to_bits());
        return f64::from_bits(
            ((bits & 0x8000) << 48) | 0x7ff0_0000_0000_0000 | ((bits & 0x03ff) << 42),
        );
    }
    v.to_f64()
}

/// Half to float: exact; a NaN as in [`f16_to_f64`] (`npy_halfbits_to_floatbits`).
fn f16_to_f32(v: f16) -> f32 {
    if v.is_nan() {
        let bits = u32::from(v.to_bits());
        return f32::from_bits(((bits & 0x8000) << 16) | 0x7f80_0000 | ((bits & 0x03ff) << 13));
    }
    v.to_f32()
}

/// A NaN's sign and the top ten bits of its payload as a half NaN; a payload whose top
/// bits are all zero becomes 1, so the result stays a NaN (`npy_*bits_to_halfbits`).
fn nan_to_f16(sign: bool, top_payload: u16) -> f16 {
    let payload = if top_payload == 0 { 1 } else { top_payload };
    f16::from_bits(if sign { 0x8000 } else { 0 } | 0x7c00 | payload)
}

/// Float to half, rounded to nearest even; NaN as NumPy's `npy_floatbits_to_halfbits`.
fn f32_to_f16(v: f32) -> f16 {
    if v.is_nan() {
        let bits = v.to_bits();
        return nan_to_f16(bits >> 31 != 0, ((bits & 0x007f_ffff) >> 13) as u16);
    }
    f16::from_f32(v)
}

/// Double to half rounded once, to nearest even, as NumPy's `npy_double_to_half`.
///
/// Going through float rounds twice (`1 + 2^-11 + 2^-40` would land on the tie and then
/// on 1.0). Rounding to float *to odd* first keeps the information the second rounding
/// needs: float has more than 11 + 2 bits, so the result is the correctly rounded half.
/// NaN payloads keep their top bits and a signalling NaN stays one, as in NumPy.
fn f64_to_f16(v: f64) -> f16 {
    if v.is_nan() {
        let bits = v.to_bits();
        return nan_to_f16(
            bits >> 63 != 0,
            ((bits & 0x000f_ffff_ffff_ffff) >> 42) as u16,
        );
    }
    let nearest = v as f32;
    let exact = nearest as f64 == v;
    if exact || !v.is_finite() || nearest.is_infinite() {
        return f16::from_f32(nearest);
    }
    // `nearest` lies on one side of `v`; the float on the zero side of `v` is the
    // truncation, and setting its last bit makes it odd.
    let bits = nearest.to_bits();
    let truncated = if (nearest as f64).abs() > v.abs() {
        bits - 1
    } else {
        bits
    };
    f16::from_f32(f32::from_bits(truncated | 1))
}

impl Element for bool {
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    fn from_u64(v: u64) -> Self {
        v != 0
    }
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    fn from_bool(v: bool) -> Self {
        v
    }
    fn checked_from_i64(v: i64) -> Option<Self> {
        Some(v != 0)
    }
    fn checked_from_u64(v: u64) -> Option<Self> {
        Some(v != 0)
    }
    fn checked_from_f64(v: f64) -> Option<Self> {
        Some(v != 0.0)
    }
    fn cast<T: Element>(self) -> T {
        T::from_bool(self)
    }
    fn checked_cast<T: Element>(self) -> Option<T> {
        Some(T::from_bool(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_wrap_and_floats_truncate() {
        assert_eq!(300i64.cast::<i8>(), 44);
        assert_eq!((1i64 << 40).cast::<i32>(), 0);
        assert_eq!((-1i8).cast::<u64>(), u64::MAX);
        assert_eq!(2.9f64.cast::<i64>(), 2);
        assert_eq!((-2.9f64).cast::<i64>(), -2);
        assert_eq!(0.6f64.cast::<i64>(), 0);
        assert!(f64::NAN.cast::<bool>());
        assert!(!(-0.0f64).cast::<bool>());
        assert_eq!(true.cast::<f32>(), 1.0);
    }

    #[test]
    fn out_of_range_float_to_int_follows_x86() {
        assert_eq!(f64::NAN.cast::<i64>(), i64::MIN);
        assert_eq!(1e300f64.cast::<i64>(), i64::MIN);
        assert_eq!(f64::NAN.cast::<i32>(), i32::MIN);
        assert_eq!(f64::NAN.cast::<i8>(), 0);
        assert_eq!(1e19f64.cast::<u64>(), 10_000_000_000_000_000_000);
        assert_eq!((-1.0f64).cast::<u64>(), u64::MAX);
    }

    #[test]
    fn checked_casts_reject_what_does_not_fit() {
        assert_eq!(300i64.checked_cast::<i8>(), None);
        assert_eq!(127i64.checked_cast::<i8>(), Some(127));
        assert_eq!((-1i64).checked_cast::<u8>(), None);
        assert_eq!(u64::MAX.checked_cast::<i64>(), None);
        assert_eq!(f64::NAN.checked_cast::<i64>(), None);
        assert_eq!(127.9f64.checked_cast::<i8>(), Some(127));
        assert_eq!(128.0f64.checked_cast::<i8>(), None);
        assert_eq!((-128.9f64).checked_cast::<i8>(), Some(-128));
        assert_eq!(TWO_POW_63.checked_cast::<i64>(), None);
        assert_eq!((-0.5f64).checked_cast::<u8>(), Some(0));
        assert_eq!(1e300f64.checked_cast::<f32>(), Some(f32::INFINITY));
    }

    #[test]
    fn half_conversions_round_to_nearest() {
        assert_eq!(65504.0f64.cast::<f16>(), f16::MAX);
        assert_eq!(65520.0f64.cast::<f16>(), f16::INFINITY);
        assert_eq!(2049i64.cast::<f16>(), f16::from_f32(2048.0));
        assert_eq!(f16::from_f32(2.5).cast::<i8>(), 2);
        // Once-rounded: just above the tie between 1.0 and its successor.
        let above_tie = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
        assert_eq!(above_tie.cast::<f16>().to_bits(), 0x3c01);
        assert_eq!((-above_tie).cast::<f16>().to_bits(), 0xbc01);
        assert_eq!((1.0 + 2f64.powi(-11)).cast::<f16>().to_bits(), 0x3c00);
        assert_eq!(1e-30f64.cast::<f16>().to_bits(), 0);
        assert_eq!(65519.0f64.cast::<f16>(), f16::MAX);
    }

    #[test]
    fn nan_payloads_cross_half_as_numpy() {
        let half_snan = f16::from_bits(0x7c01);
        assert_eq!(half_snan.cast::<f32>().to_bits(), 0x7f80_2000);
        assert_eq!(half_snan.cast::<f64>().to_bits(), 0x7ff0_0400_0000_0000);
        assert_eq!(
            f64::from_bits(0x7ff0_0000_0000_0001)
                .cast::<f16>()
                .to_bits(),
            0x7c01
        );
        assert_eq!(
            f64::from_bits(0x7ff4_0000_0000_0000)
                .cast::<f16>()
                .to_bits(),
            0x7d00
        );
        assert_eq!(
            f64::from_bits(0xfff8_0000_0000_0123)
                .cast::<f16>()
                .to_bits(),
            0xfe00
        );
        assert_eq!(f32::from_bits(0x7f80_0001).cast::<f16>().to_bits(), 0x7c01);
        assert_eq!(f32::from_bits(0x7fa0_0000).cast::<f16>().to_bits(), 0x7d00);
        // float <-> double is the hardware's: a signalling NaN comes out quiet.
        assert_eq!(
            f32::from_bits(0x7f80_0001).cast::<f64>().to_bits(),
            0x7ff8_0000_2000_0000
        );
        assert!(half_snan.cast::<i64>() == i64::MIN);
        assert_eq!(half_snan.checked_cast::<i64>(), None);
        assert_eq!(
            half_snan.checked_cast::<f32>().map(f32::to_bits),
            Some(0x7f80_2000)
        );
    }
}
