//! Output allocation. A fresh output buffer costs more in page faults than the scan that
//! fills it. Small outputs are plain zeroed vectors (the allocator maps fresh zero pages
//! without touching them). Outputs of 4 MiB and more (NumPy's threshold for asking for huge
//! pages) are anonymous mappings aligned to 2 MiB and advised to use transparent huge
//! pages: every 2 MiB of the buffer then costs one fault instead of 512. The alignment
//! matters: a mapping from `malloc` starts at an arbitrary page, and on this kind of machine
//! it then took five times as many faults.

use std::alloc::{Layout, alloc_zeroed, handle_alloc_error};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::Arc;

use arrow::buffer::{Buffer, ScalarBuffer};
use arrow::datatypes::{ArrowNativeType, i256};
use half::f16;

/// Outputs at least this large are mapped with huge pages (NumPy's threshold).
const HUGE_PAGE_THRESHOLD: usize = 4 << 20;

/// Types for which all-zero bytes are a valid value.
///
/// # Safety
/// Implementors must be plain data for which every all-zero bit pattern is a valid value.
pub unsafe trait Zeroable: Copy + Send + Sync + std::panic::RefUnwindSafe + 'static {}

macro_rules! zeroable {
    ($($t:ty),*) => {$(
        // SAFETY: integers, floats and bool are valid (0, 0.0, false) when zeroed.
        unsafe impl Zeroable for $t {}
    )*};
}

zeroable!(
    bool, i8, i16, i32, i64, i128, u8, u16, u32, u64, f16, f32, f64, i256
);

/// A zeroed buffer of `len` elements allocated the way cumulus allocates its outputs:
/// huge-page mappings for large buffers, a plain vector otherwise. It dereferences to a
/// slice and becomes an Arrow buffer without a copy.
///
/// Benchmarks use it for their copy baseline, so that kernel and baseline pay the same
/// allocation.
///
/// ```
/// let mut out = cumulus::buffer::OutputBuffer::<i64>::zeroed(1 << 20);
/// assert!(out.iter().all(|&x| x == 0));
/// out[7] = 3;
/// let values = out.into_scalar_buffer();
/// assert_eq!(values[7], 3);
/// ```
pub struct OutputBuffer<T> {
    storage: Storage<T>,
}

enum Storage<T> {
    Vec(Vec<T>),
    Mapped(Mapping<T>),
}

impl<T: Zeroable> OutputBuffer<T> {
    /// `len` zeroed elements; the pages are not touched until written.
    pub fn zeroed(len: usize) -> Self {
        let bytes = len.saturating_mul(std::mem::size_of::<T>());
        let storage = if bytes >= HUGE_PAGE_THRESHOLD {
            Mapping::new(len).map_or_else(|| Storage::Vec(zeroed_vec(len)), Storage::Mapped)
        } else {
            Storage::Vec(zeroed_vec(len))
        };
        OutputBuffer { storage }
    }
}

impl<T: ArrowNativeType + Zeroable> OutputBuffer<T> {
    /// The buffer as Arrow values, without a copy.
    pub fn into_scalar_buffer(self) -> ScalarBuffer<T> {
        match self.storage {
            Storage::Vec(values) => ScalarBuffer::from(values),
            Storage::Mapped(mapping) => {
                let (ptr, elements) = (mapping.ptr.cast::<u8>(), mapping.len);
                let bytes = elements * size_of::<T>();
                // SAFETY: the mapping holds `bytes` initialised bytes (zeroed, then written)
                // and stays alive as long as the buffer, which owns it.
                let buffer =
                    unsafe { Buffer::from_custom_allocation(ptr, bytes, Arc::new(mapping)) };
                ScalarBuffer::new(buffer, 0, elements)
            }
        }
    }
}

impl<T> Deref for OutputBuffer<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match &self.storage {
            Storage::Vec(values) => values,
            Storage::Mapped(mapping) => mapping.as_slice(),
        }
    }
}

impl<T> DerefMut for OutputBuffer<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.storage {
            Storage::Vec(values) => values,
            Storage::Mapped(mapping) => mapping.as_mut_slice(),
        }
    }
}

/// A vector of `len` zeroed elements, allocated without touching its pages.
///
/// ```
/// let v: Vec<i64> = cumulus::buffer::zeroed_vec(1 << 10);
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
    // SAFETY: allocated by the global allocator with `Layout::array::<T>(len)`, and
    // `T: Zeroable` makes the zeroed elements initialised values.
    unsafe { Vec::from_raw_parts(ptr.cast::<T>(), len, len) }
}

/// An anonymous mapping of `len` zeroed elements, aligned to 2 MiB, advised to use huge
/// pages, unmapped on drop.
struct Mapping<T> {
    ptr: NonNull<T>,
    len: usize,
    mapped: usize,
}

// SAFETY: the mapping is exclusively owned memory of plain values, like a `Vec<T>`.
unsafe impl<T: Send> Send for Mapping<T> {}
// SAFETY: shared access only reads.
unsafe impl<T: Sync> Sync for Mapping<T> {}

impl<T> Mapping<T> {
    fn as_slice(&self) -> &[T] {
        // SAFETY: `len` elements, zeroed by the kernel (valid for `Zeroable` types, the only
        // ones `Mapping::new` accepts) and owned by `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in `as_slice`, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

#[cfg(target_os = "linux")]
impl<T: Zeroable> Mapping<T> {
    /// `None` when the system refuses the mapping (the caller falls back to a vector).
    fn new(len: usize) -> Option<Self> {
        const PAGE: usize = 4096;
        const HUGE: usize = 2 << 20;
        let size = len.checked_mul(size_of::<T>())?.next_multiple_of(PAGE);
        let reserve = size.checked_add(HUGE)?;
        // SAFETY: a fresh private anonymous mapping; no existing memory is affected.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                reserve,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return None;
        }
        let base = base as usize;
        let start = base.next_multiple_of(HUGE);
        let end = start + size;
        // SAFETY: the head and tail lie inside the mapping just made and hold nothing; the
        // advice changes no contents (a refusal, with huge pages disabled, is harmless).
        unsafe {
            if start > base {
                libc::munmap(base as *mut libc::c_void, start - base);
            }
            if base + reserve > end {
                libc::munmap(end as *mut libc::c_void, base + reserve - end);
            }
            libc::madvise(start as *mut libc::c_void, size, libc::MADV_HUGEPAGE);
        }
        Some(Mapping {
            ptr: NonNull::new(start as *mut T)?,
            len,
            mapped: size,
        })
    }
}

#[cfg(not(target_os = "linux"))]
impl<T: Zeroable> Mapping<T> {
    fn new(_len: usize) -> Option<Self> {
        None
    }
}

impl<T> Drop for Mapping<T> {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        // SAFETY: the range is the mapping this value owns, unmapped exactly once.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.mapped);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_and_small_buffers_are_zeroed_and_writable() {
        for len in [0, 1, 7, 1 << 10, (8 << 20) + 3] {
            let mut buffer = OutputBuffer::<f64>::zeroed(len);
            assert_eq!(buffer.len(), len);
            assert!(buffer.iter().all(|x| x.to_bits() == 0));
            if let Some(last) = buffer.last_mut() {
                *last = 1.5;
            }
            let values = buffer.into_scalar_buffer();
            assert_eq!(values.len(), len);
            assert_eq!(values.last().copied().unwrap_or(1.5), 1.5);
        }
        let v: Vec<f16> = zeroed_vec(3);
        assert_eq!(v, vec![f16::ZERO; 3]);
    }

    #[test]
    fn large_buffers_are_aligned_to_huge_pages() {
        let buffer = OutputBuffer::<u8>::zeroed(8 << 20);
        if cfg!(target_os = "linux") {
            assert_eq!(buffer.as_ptr() as usize % (2 << 20), 0);
        }
    }
}
