//! Output allocation. A fresh output buffer costs more in page faults than the scan that
//! fills it, so large outputs are allocated zeroed (the allocator maps fresh zero pages
//! without touching them) and advised to use transparent huge pages, as NumPy does for
//! arrays of 4 MiB and more: one fault per 2 MiB instead of one per 4 KiB.

use std::alloc::{Layout, alloc_zeroed, handle_alloc_error};

use arrow::datatypes::i256;
use half::f16;

/// Outputs at least this large ask for huge pages (NumPy's threshold).
const HUGE_PAGE_THRESHOLD: usize = 4 << 20;

/// Types for which all-zero bytes are a valid value.
///
/// # Safety
/// Implementors must be plain data for which every all-zero bit pattern is a valid value.
pub unsafe trait Zeroable: Copy {}

macro_rules! zeroable {
    ($($t:ty),*) => {$(
        // SAFETY: integers, floats and bool are valid (0, 0.0, false) when zeroed.
        unsafe impl Zeroable for $t {}
    )*};
}

zeroable!(
    bool, i8, i16, i32, i64, i128, u8, u16, u32, u64, f16, f32, f64, i256
);

/// A vector of `len` zeroed elements, allocated the way cumulus allocates its outputs.
///
/// The pages are not touched here: the first write to each page pays for it, and large
/// vectors are advised to use huge pages so that costs few faults. Benchmarks use this
/// for their copy baseline so kernel and baseline pay the same allocation.
///
/// ```
/// let v: Vec<i64> = cumulus::buffer::zeroed_vec(1 << 20);
/// assert!(v.iter().all(|&x| x == 0));
/// ```
pub fn zeroed_vec<T: Zeroable>(len: usize) -> Vec<T> {
    let layout = match Layout::array::<T>(len) {
        Ok(layout) if layout.size() > 0 => layout,
        Ok(_) => return Vec::new(),
        Err(_) => panic!("capacity overflow: {len} elements"),
    };
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { alloc_zeroed(layout) };
    if ptr.is_null() {
        handle_alloc_error(layout);
    }
    if layout.size() >= HUGE_PAGE_THRESHOLD {
        advise_huge_pages(ptr, layout.size());
    }
    // SAFETY: allocated by the global allocator with `Layout::array::<T>(len)`, and
    // `T: Zeroable` makes the zeroed elements initialised values.
    unsafe { Vec::from_raw_parts(ptr.cast::<T>(), len, len) }
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, size: usize) {
    const PAGE: usize = 4096;
    let start = (ptr as usize).next_multiple_of(PAGE);
    let end = (ptr as usize + size) / PAGE * PAGE;
    if end > start {
        // SAFETY: the range lies inside a live allocation and is page aligned; the advice
        // changes no contents. A refusal (THP disabled) is harmless and ignored.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _size: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_and_small_vectors_are_zeroed() {
        for len in [0, 1, 7, 1 << 10, (8 << 20) + 3] {
            let v: Vec<f64> = zeroed_vec(len);
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|x| x.to_bits() == 0));
        }
        let v: Vec<f16> = zeroed_vec(3);
        assert_eq!(v, vec![f16::ZERO; 3]);
    }
}
