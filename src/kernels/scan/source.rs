//! Where the elements of a scan come from: the input itself, a cast of it, bits, or the
//! output buffer (in place).

use crate::kernels::bits::Bits;
use crate::kernels::element::Element;

/// Where the elements of a scan come from.
pub(crate) trait Source<T> {
    /// Writes elements `start..start + out.len()`, as `T`, into `out`.
    ///
    /// # Errors
    /// The absolute index of a valid element that does not fit `T` under a checked cast.
    fn load(&self, start: usize, out: &mut [T]) -> Result<(), usize>;

    /// [`Source::load`] where only the elements `reaches` says reach an output may fail
    /// a checked cast (the others are cast and wrap, as their results are never seen).
    ///
    /// # Errors
    /// As [`Source::load`], for elements that reach an output.
    fn load_where(
        &self,
        start: usize,
        out: &mut [T],
        reaches: &dyn Fn(usize) -> bool,
    ) -> Result<(), usize> {
        let _ = reaches;
        self.load(start, out)
    }

    /// The elements themselves when they already have the result type: the scan then
    /// reads them directly instead of loading a copy, overlapping the memory stream with
    /// the dependency chain of the operation.
    fn values(&self) -> Option<&[T]> {
        None
    }
}

/// Elements already of the result type: a plain copy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Copied<'a, T>(pub &'a [T]);

impl<T: Copy> Source<T> for Copied<'_, T> {
    #[inline]
    fn load(&self, start: usize, out: &mut [T]) -> Result<(), usize> {
        out.copy_from_slice(&self.0[start..start + out.len()]);
        Ok(())
    }

    fn values(&self) -> Option<&[T]> {
        Some(self.0)
    }
}

/// Elements of another type, converted with NumPy's unsafe cast (or a checked cast),
/// with NaN optionally replaced first (the `nan*` operations).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cast<'a, I, T> {
    values: &'a [I],
    validity: Option<Bits<'a>>,
    checked: bool,
    nan_as: Option<T>,
}

impl<'a, I: Element, T: Element> Cast<'a, I, T> {
    /// A cast source over `values`. With `checked`, a valid element that does not fit `T`
    /// is an error; elements under nulls (per `validity`) never are. With `nan_as`, a NaN
    /// becomes that value instead of being cast.
    pub fn new(
        values: &'a [I],
        validity: Option<Bits<'a>>,
        checked: bool,
        nan_as: Option<T>,
    ) -> Self {
        Cast {
            values,
            validity,
            checked,
            nan_as,
        }
    }
}

impl<I: Element, T> Cast<'_, I, T> {
    /// Whether a cast that does not fit at `index` is an error: the element is valid (a
    /// value under a null is never seen) and reaches an output.
    fn fails(&self, index: usize, reaches: &dyn Fn(usize) -> bool) -> bool {
        self.validity.is_none_or(|v| v.get(index)) && reaches(index)
    }
}

impl<I: Element, T: Element> Source<T> for Cast<'_, I, T> {
    fn load(&self, start: usize, out: &mut [T]) -> Result<(), usize> {
        let values = &self.values[start..start + out.len()];
        match (self.checked, self.nan_as) {
            (false, None) => {
                for (o, &x) in out.iter_mut().zip(values) {
                    *o = x.cast();
                }
            }
            (false, Some(nan_as)) => {
                for (o, &x) in out.iter_mut().zip(values) {
                    *o = if x.is_nan() { nan_as } else { x.cast() };
                }
            }
            (true, _) => return self.load_where(start, out, &|_| true),
        }
        Ok(())
    }

    fn load_where(
        &self,
        start: usize,
        out: &mut [T],
        reaches: &dyn Fn(usize) -> bool,
    ) -> Result<(), usize> {
        if !self.checked {
            return self.load(start, out);
        }
        let values = &self.values[start..start + out.len()];
        for (i, (o, &x)) in out.iter_mut().zip(values).enumerate() {
            *o = match (self.nan_as, x.checked_cast()) {
                (Some(nan_as), _) if x.is_nan() => nan_as,
                (_, Some(v)) => v,
                (_, None) if self.fails(start + i, reaches) => return Err(start + i),
                (_, None) => x.cast(),
            };
        }
        Ok(())
    }
}

/// Bit-packed booleans (Arrow's boolean layout), as `0`/`1` of the result type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BoolBits<'a>(pub Bits<'a>);

impl<T: Element> Source<T> for BoolBits<'_> {
    fn load(&self, start: usize, out: &mut [T]) -> Result<(), usize> {
        for (i, o) in out.iter_mut().enumerate() {
            *o = T::from_bool(self.0.get(start + i));
        }
        Ok(())
    }
}

/// Elements widened by a lossless conversion (decimal `i128` to `i256`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Widened<'a, I, F> {
    values: &'a [I],
    widen: F,
}

impl<'a, I, F> Widened<'a, I, F> {
    /// A source converting each of `values` with `widen`.
    pub fn new(values: &'a [I], widen: F) -> Self {
        Widened { values, widen }
    }
}

impl<I: Copy, T, F: Fn(I) -> T> Source<T> for Widened<'_, I, F> {
    fn load(&self, start: usize, out: &mut [T]) -> Result<(), usize> {
        let values = &self.values[start..start + out.len()];
        for (o, &x) in out.iter_mut().zip(values) {
            *o = (self.widen)(x);
        }
        Ok(())
    }
}

/// The elements are already in the output (an in-place scan); NaN is optionally replaced.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InPlace<T> {
    nan_as: Option<T>,
}

impl<T> InPlace<T> {
    /// An in-place source; with `nan_as`, NaNs in the output are replaced before the scan.
    pub fn new(nan_as: Option<T>) -> Self {
        InPlace { nan_as }
    }
}

impl<T: Element> Source<T> for InPlace<T> {
    fn load(&self, _start: usize, out: &mut [T]) -> Result<(), usize> {
        if let Some(nan_as) = self.nan_as {
            for x in out.iter_mut().filter(|x| x.is_nan()) {
                *x = nan_as;
            }
        }
        Ok(())
    }
}
