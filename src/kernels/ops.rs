//! The four scan operations as tiny combine functions, generic over the element type.

use half::f16;

/// `values[i]` if `keep`, else `fill`, for a float type `F` with bit pattern type `B`,
/// without a branch.
///
/// The obvious forms (`select_unpredictable`, a mask blend of the bit patterns) are turned
/// back into a float select by the optimiser, and a float select on baseline x86-64 (no
/// blend instructions) is a branch: one mispredict per null. So on x86-64 the choice is one
/// `cmov` on the bit patterns that the optimiser cannot see through.
#[inline(always)]
fn pick_bits<F: Copy, B: Copy + Into<u64> + TryFrom<u64>>(
    values: &[F],
    i: usize,
    keep: bool,
    fill: B,
    to_bits: impl Fn(F) -> B,
) -> B {
    let value: u64 = to_bits(values[i]).into();
    let fill_wide: u64 = fill.into();
    #[cfg(target_arch = "x86_64")]
    let chosen = {
        let mut chosen = fill_wide;
        // SAFETY: register-only instructions; they touch no memory and only the flags,
        // which `asm!` assumes clobbered unless told otherwise.
        unsafe {
            std::arch::asm!(
                "test {keep}, {keep}",
                "cmovnz {chosen}, {value}",
                keep = in(reg_byte) keep as u8,
                value = in(reg) value,
                chosen = inout(reg) chosen,
                options(pure, nomem, nostack),
            );
        }
        chosen
    };
    #[cfg(not(target_arch = "x86_64"))]
    let chosen = std::hint::select_unpredictable(keep, value, fill_wide);
    // The chosen value is one of two `B`s, so it fits.
    B::try_from(chosen).unwrap_or(fill)
}

/// The arithmetic a scan needs from an element type.
///
/// `bool` follows NumPy: addition is a logical or, multiplication a logical and.
pub trait Arith: Copy + PartialOrd + Send + Sync + std::fmt::Debug + 'static {
    /// The additive identity NumPy substitutes for NaN and for nulls under
    /// `NullPolicy::Identity` (`+0.0` for floats).
    const ZERO: Self;
    /// The multiplicative identity.
    const ONE: Self;
    /// The value that leaves every running sum bit for bit unchanged: `-0.0` for floats
    /// (`-0.0 + x == x` even for `x == -0.0`), so the first output is the first input.
    const SUM_NEUTRAL: Self;
    /// The lowest value (`-inf` for floats): the identity of `max`.
    const LOWEST: Self;
    /// The highest value (`+inf` for floats): the identity of `min`.
    const HIGHEST: Self;

    /// Addition that wraps (integers) or rounds (floats).
    fn add_wrapping(self, other: Self) -> Self;
    /// Addition, `None` on integer overflow.
    fn add_checked(self, other: Self) -> Option<Self>;
    /// Multiplication that wraps (integers) or rounds (floats).
    fn mul_wrapping(self, other: Self) -> Self;
    /// Multiplication, `None` on integer overflow.
    fn mul_checked(self, other: Self) -> Option<Self>;
    /// Whether the value is a float NaN.
    fn is_nan(self) -> bool {
        false
    }
    /// `values[i]` if `keep`, else `fill`, without a branch: which elements are null is
    /// unpredictable, and a branch per element mispredicts on every null.
    ///
    /// # Panics
    /// If `i` is out of bounds.
    #[inline(always)]
    fn pick(values: &[Self], i: usize, keep: bool, fill: Self) -> Self {
        std::hint::select_unpredictable(keep, values[i], fill)
    }
    /// `result` of combining `acc` with an element, with the running value's NaN kept
    /// when `acc` is one: x86 returns the first operand's NaN when both are NaN, and NumPy
    /// puts the running value first, but the compiler may swap the operands of a float
    /// addition. Paths that compile to such a swap use this to pin NumPy's choice.
    #[inline(always)]
    fn first_nan_wins(acc: Self, result: Self) -> Self {
        let _ = acc;
        result
    }
    /// NumPy's `maximum(running, x)`. A NaN, running or new, wins; on a tie the running
    /// value stays, except for float32/float64 where NumPy's SIMD loops return the new
    /// element (so `maximum.accumulate([0.0, -0.0])` is `[0.0, -0.0]`).
    #[inline(always)]
    fn numpy_max(self, x: Self) -> Self {
        if self >= x || self.is_nan() { self } else { x }
    }
    /// NumPy's `minimum(running, x)`, with the same rules as [`Arith::numpy_max`].
    #[inline(always)]
    fn numpy_min(self, x: Self) -> Self {
        if self <= x || self.is_nan() { self } else { x }
    }
}

macro_rules! integer_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            const ZERO: Self = 0;
            const ONE: Self = 1;
            const SUM_NEUTRAL: Self = 0;
            const LOWEST: Self = <$t>::MIN;
            const HIGHEST: Self = <$t>::MAX;

            #[inline(always)]
            fn add_wrapping(self, other: Self) -> Self {
                self.wrapping_add(other)
            }
            #[inline(always)]
            fn add_checked(self, other: Self) -> Option<Self> {
                self.checked_add(other)
            }
            #[inline(always)]
            fn mul_wrapping(self, other: Self) -> Self {
                self.wrapping_mul(other)
            }
            #[inline(always)]
            fn mul_checked(self, other: Self) -> Option<Self> {
                self.checked_mul(other)
            }
        }
    )*};
}

integer_arith!(i8, i16, i32, i64, i128, u8, u16, u32, u64);

macro_rules! float_arith {
    ($t:ty, $neg_inf:expr, $inf:expr, $quiet:expr) => {
        impl Arith for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const SUM_NEUTRAL: Self = -0.0;
            const LOWEST: Self = $neg_inf;
            const HIGHEST: Self = $inf;

            #[inline(always)]
            fn add_wrapping(self, other: Self) -> Self {
                self + other
            }
            #[inline(always)]
            fn add_checked(self, other: Self) -> Option<Self> {
                Some(self + other)
            }
            #[inline(always)]
            fn mul_wrapping(self, other: Self) -> Self {
                self * other
            }
            #[inline(always)]
            fn mul_checked(self, other: Self) -> Option<Self> {
                Some(self * other)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                self.is_nan()
            }
            #[inline(always)]
            fn pick(values: &[Self], i: usize, keep: bool, fill: Self) -> Self {
                Self::from_bits(pick_bits(values, i, keep, fill.to_bits(), Self::to_bits))
            }
            #[inline(always)]
            fn first_nan_wins(acc: Self, result: Self) -> Self {
                if acc.is_nan() && result.is_nan() {
                    // The running NaN, quieted as the hardware quiets it.
                    Self::from_bits(acc.to_bits() | $quiet)
                } else {
                    result
                }
            }
            #[inline(always)]
            fn numpy_max(self, x: Self) -> Self {
                if self > x || self.is_nan() { self } else { x }
            }
            #[inline(always)]
            fn numpy_min(self, x: Self) -> Self {
                if self < x || self.is_nan() { self } else { x }
            }
        }
    };
}

float_arith!(f64, f64::NEG_INFINITY, f64::INFINITY, 1 << 51);
float_arith!(f32, f32::NEG_INFINITY, f32::INFINITY, 1 << 22);

// NumPy computes half arithmetic in float and rounds back; float has more than
// 2 * 11 + 2 bits of precision, so that is the correctly rounded half result. Its compiled
// loop adds the new element to the running value in that order, which decides which NaN
// payload survives when both are NaN.
impl Arith for f16 {
    const ZERO: Self = f16::ZERO;
    const ONE: Self = f16::ONE;
    const SUM_NEUTRAL: Self = f16::NEG_ZERO;
    const LOWEST: Self = f16::NEG_INFINITY;
    const HIGHEST: Self = f16::INFINITY;

    fn add_wrapping(self, other: Self) -> Self {
        f16::from_f32(other.to_f32() + self.to_f32())
    }
    fn add_checked(self, other: Self) -> Option<Self> {
        Some(self.add_wrapping(other))
    }
    fn mul_wrapping(self, other: Self) -> Self {
        f16::from_f32(other.to_f32() * self.to_f32())
    }
    fn mul_checked(self, other: Self) -> Option<Self> {
        Some(self.mul_wrapping(other))
    }
    fn is_nan(self) -> bool {
        self.is_nan()
    }
    fn pick(values: &[Self], i: usize, keep: bool, fill: Self) -> Self {
        f16::from_bits(pick_bits(values, i, keep, fill.to_bits(), f16::to_bits))
    }
}

impl Arith for bool {
    const ZERO: Self = false;
    const ONE: Self = true;
    const SUM_NEUTRAL: Self = false;
    const LOWEST: Self = false;
    const HIGHEST: Self = true;

    fn add_wrapping(self, other: Self) -> Self {
        self | other
    }
    fn add_checked(self, other: Self) -> Option<Self> {
        Some(self | other)
    }
    fn mul_wrapping(self, other: Self) -> Self {
        self & other
    }
    fn mul_checked(self, other: Self) -> Option<Self> {
        Some(self & other)
    }
}

/// A scan operation: how the running value absorbs the next element.
pub trait ScanOp<T>: Copy + Send + Sync {
    /// The element that leaves the running value unchanged bit for bit. Nulls that must
    /// not affect the running value are replaced by it, and every lane starts from it.
    fn neutral(&self) -> T;
    /// The value a null counts as under `NullPolicy::Identity` and a NaN counts
    /// as in the `nan*` operations.
    fn identity(&self) -> T;
    /// The next running value, wrapping on integer overflow.
    fn combine(&self, acc: T, x: T) -> T;
    /// The next running value, `None` on integer overflow.
    fn checked_combine(&self, acc: T, x: T) -> Option<T>;
    /// The running value after the first element of a lane: the element itself, as
    /// NumPy copies `a[0]` (combining it with the neutral start would quiet a signalling
    /// NaN); `None` where even one element is out of range (a bounded sum).
    #[inline(always)]
    fn first(&self, x: T) -> Option<T> {
        Some(x)
    }
    /// `result` (of combining `acc` with an element) with NumPy's choice between two NaNs
    /// pinned: see [`Arith::first_nan_wins`]. Max and min choose without arithmetic.
    #[inline(always)]
    fn pin_nan(&self, acc: T, result: T) -> T {
        let _ = acc;
        result
    }
}

/// Running sum.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sum;

/// Running product.
#[derive(Debug, Clone, Copy, Default)]
pub struct Prod;

/// Running maximum with NumPy's rules ([`Arith::numpy_max`]: a NaN wins and stays).
#[derive(Debug, Clone, Copy, Default)]
pub struct Max;

/// Running minimum with NumPy's rules ([`Arith::numpy_min`]: a NaN wins and stays).
#[derive(Debug, Clone, Copy, Default)]
pub struct Min;

impl<T: Arith> ScanOp<T> for Sum {
    #[inline(always)]
    fn pin_nan(&self, acc: T, result: T) -> T {
        T::first_nan_wins(acc, result)
    }
    #[inline(always)]
    fn neutral(&self) -> T {
        T::SUM_NEUTRAL
    }
    #[inline(always)]
    fn identity(&self) -> T {
        T::ZERO
    }
    #[inline(always)]
    fn combine(&self, acc: T, x: T) -> T {
        acc.add_wrapping(x)
    }
    #[inline(always)]
    fn checked_combine(&self, acc: T, x: T) -> Option<T> {
        acc.add_checked(x)
    }
}

impl<T: Arith> ScanOp<T> for Prod {
    #[inline(always)]
    fn pin_nan(&self, acc: T, result: T) -> T {
        T::first_nan_wins(acc, result)
    }
    #[inline(always)]
    fn neutral(&self) -> T {
        T::ONE
    }
    #[inline(always)]
    fn identity(&self) -> T {
        T::ONE
    }
    #[inline(always)]
    fn combine(&self, acc: T, x: T) -> T {
        acc.mul_wrapping(x)
    }
    #[inline(always)]
    fn checked_combine(&self, acc: T, x: T) -> Option<T> {
        acc.mul_checked(x)
    }
}

impl<T: Arith> ScanOp<T> for Max {
    #[inline(always)]
    fn neutral(&self) -> T {
        T::LOWEST
    }
    #[inline(always)]
    fn identity(&self) -> T {
        T::LOWEST
    }
    #[inline(always)]
    fn combine(&self, acc: T, x: T) -> T {
        acc.numpy_max(x)
    }
    #[inline(always)]
    fn checked_combine(&self, acc: T, x: T) -> Option<T> {
        Some(self.combine(acc, x))
    }
}

impl<T: Arith> ScanOp<T> for Min {
    #[inline(always)]
    fn neutral(&self) -> T {
        T::HIGHEST
    }
    #[inline(always)]
    fn identity(&self) -> T {
        T::HIGHEST
    }
    #[inline(always)]
    fn combine(&self, acc: T, x: T) -> T {
        acc.numpy_min(x)
    }
    #[inline(always)]
    fn checked_combine(&self, acc: T, x: T) -> Option<T> {
        Some(self.combine(acc, x))
    }
}

/// Running sum whose every result must lie within `[-bound, bound]`: decimal sums, where
/// the bound is the largest value of the result precision. Wrapping a decimal has no
/// meaning, so [`ScanOp::combine`] checks too and saturates; callers use
/// [`ScanOp::checked_combine`] to report the overflow.
#[derive(Debug, Clone, Copy)]
pub struct BoundedSum<T> {
    /// The largest magnitude a result may have.
    pub bound: T,
}

impl<T: Arith + std::ops::Neg<Output = T>> ScanOp<T> for BoundedSum<T> {
    fn neutral(&self) -> T {
        T::ZERO
    }
    fn identity(&self) -> T {
        T::ZERO
    }
    fn combine(&self, acc: T, x: T) -> T {
        self.checked_combine(acc, x).unwrap_or(acc)
    }
    fn first(&self, x: T) -> Option<T> {
        self.checked_combine(T::ZERO, x)
    }
    fn checked_combine(&self, acc: T, x: T) -> Option<T> {
        let sum = acc.add_checked(x)?;
        (sum <= self.bound && sum >= -self.bound).then_some(sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutral_leaves_signed_zeros_and_nans_alone() {
        for x in [0.0f64, -0.0, f64::NAN, f64::INFINITY, 1.5] {
            let first = Sum.combine(Sum.neutral(), x);
            assert_eq!(first.to_bits(), x.to_bits());
            assert_eq!(Prod.combine(Prod.neutral(), x).to_bits(), x.to_bits());
            assert_eq!(Max.combine(Max.neutral(), x).to_bits(), x.to_bits());
            assert_eq!(Min.combine(Min.neutral(), x).to_bits(), x.to_bits());
        }
    }

    #[test]
    fn max_and_min_propagate_nan() {
        assert!(Max.combine(1.0f64, f64::NAN).is_nan());
        assert!(Max.combine(f64::NAN, 1.0f64).is_nan());
        assert!(Min.combine(f64::NAN, -1.0f64).is_nan());
        assert_eq!(Max.combine(0.0f64, -0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(Max.combine(f16::ZERO, f16::NEG_ZERO).to_bits(), 0);
    }

    #[test]
    fn integers_wrap_or_report() {
        assert_eq!(Sum.combine(i64::MAX, 1), i64::MIN);
        assert_eq!(Sum.checked_combine(i64::MAX, 1i64), None);
        assert_eq!(Prod.combine(1i64 << 62, 4), 0);
        assert!(Sum.combine(true, false));
        assert!(!Prod.combine(true, false));
    }

    #[test]
    fn bounded_sums_stop_at_the_bound() {
        let op = BoundedSum { bound: 999i128 };
        assert_eq!(op.checked_combine(990, 9), Some(999));
        assert_eq!(op.checked_combine(990, 10), None);
        assert_eq!(op.checked_combine(-990, -10), None);
    }
}
