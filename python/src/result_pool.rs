//! Memory for the NumPy arrays cumulus returns: a NumPy memory handler (NEP 49) that is
//! set only while cumulus creates an output array, and that keeps a few large freed
//! outputs for the next ones.
//!
//! Why: a fresh output of 80 MB costs more than the scan that fills it. The C library
//! maps large blocks anew and unmaps them when freed, so every call has the kernel find,
//! zero and map 80 MB of pages (for int64 `cumsum` at 10^7 elements, 0.75 of the 1.25 ns
//! per element that NumPy and cumulus both spend). With the handler, an output freed by
//! Python goes back to a small pool, and the next output of about the same size reuses
//! those pages, already mapped: a loop over arrays runs at the speed of `out=`.
//!
//! What it keeps: at most [`MAX_BLOCKS`] blocks of at least [`MIN_BLOCK`] bytes, and at
//! most `limit` bytes in all (512 MiB unless `cumulus.set_result_pool_limit` says
//! otherwise; 0 turns pooling off and frees what is kept). Blocks come from the C
//! library (`posix_memalign`, aligned to 2 MiB and advised to use transparent huge pages,
//! as NumPy advises its own large blocks), so `realloc` (`ndarray.resize`) and `free`
//! work on them as on any other. Arrays keep a reference to the handler they were
//! allocated with, so they own their memory as NumPy's own do (`flags.owndata`), and
//! they free it through this handler whenever they die. Only Linux has the handler;
//! elsewhere outputs come from `numpy.empty` as before.

use pyo3::prelude::*;

/// Runs `create` (a call to `numpy.empty` or `numpy.zeros`) with the pool's handler set
/// as NumPy's current one, and sets the previous one back afterwards.
pub(crate) fn with_result_memory<'py>(
    py: Python<'py>,
    create: impl FnOnce() -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    #[cfg(target_os = "linux")]
    {
        linux::with_handler(py, create)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = py;
        create()
    }
}

/// The most bytes of freed outputs kept for reuse: `limit` sets it (0 turns pooling off
/// and frees what is kept); the previous limit is returned.
#[pyfunction]
#[pyo3(signature = (limit))]
pub fn set_result_pool_limit(limit: usize) -> usize {
    #[cfg(target_os = "linux")]
    {
        linux::set_limit(limit)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = limit;
        0
    }
}

/// (blocks, bytes) kept in the pool now.
#[pyfunction]
pub fn result_pool_usage() -> (usize, usize) {
    #[cfg(target_os = "linux")]
    {
        linux::usage()
    }
    #[cfg(not(target_os = "linux"))]
    {
        (0, 0)
    }
}

/// Blocks smaller than this are not pooled (NumPy's own threshold for huge pages).
pub const MIN_BLOCK: usize = 4 << 20;
/// The most blocks the pool keeps.
pub const MAX_BLOCKS: usize = 4;

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::{CStr, c_char, c_void};
    use std::ptr::NonNull;
    use std::sync::{Mutex, MutexGuard};

    use pyo3::exceptions::PyRuntimeError;
    use pyo3::ffi;
    use pyo3::prelude::*;
    use pyo3::sync::PyOnceLock;
    use pyo3::types::PyCapsule;

    use super::{MAX_BLOCKS, MIN_BLOCK};

    /// NumPy's `PyDataMemAllocator` (numpy/ndarraytypes.h).
    #[repr(C)]
    struct Allocator {
        ctx: *mut c_void,
        malloc: unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void,
        calloc: unsafe extern "C" fn(*mut c_void, usize, usize) -> *mut c_void,
        realloc: unsafe extern "C" fn(*mut c_void, *mut c_void, usize) -> *mut c_void,
        free: unsafe extern "C" fn(*mut c_void, *mut c_void, usize),
    }

    /// NumPy's `PyDataMem_Handler`: a name, version 1, the allocator.
    #[repr(C)]
    struct Handler {
        name: [c_char; 127],
        version: u8,
        allocator: Allocator,
    }

    // SAFETY: the handler is immutable; `ctx` is null and never dereferenced.
    unsafe impl Sync for Handler {}

    const fn name(text: &[u8]) -> [c_char; 127] {
        let mut out = [0 as c_char; 127];
        let mut i = 0;
        while i < text.len() && i < 126 {
            out[i] = text[i] as c_char;
            i += 1;
        }
        out
    }

    static HANDLER: Handler = Handler {
        name: name(b"cumulus_result_pool"),
        version: 1,
        allocator: Allocator {
            ctx: std::ptr::null_mut(),
            malloc: pool_malloc,
            calloc: pool_calloc,
            realloc: pool_realloc,
            free: pool_free,
        },
    };

    /// The freed blocks kept: (address, usable size), the newest last. A fixed array, so
    /// that `free` never allocates.
    struct Pool {
        blocks: [(usize, usize); MAX_BLOCKS],
        count: usize,
        bytes: usize,
        limit: usize,
    }

    static POOL: Mutex<Pool> = Mutex::new(Pool {
        blocks: [(0, 0); MAX_BLOCKS],
        count: 0,
        bytes: 0,
        limit: 512 << 20,
    });

    fn pool() -> MutexGuard<'static, Pool> {
        POOL.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Blocks taken out of the pool, to be freed once its lock is released (unmapping
    /// hundreds of MiB under the lock would stall every other allocation).
    struct Evicted([usize; MAX_BLOCKS], usize);

    impl Drop for Evicted {
        fn drop(&mut self) {
            for &address in &self.0[..self.1] {
                // SAFETY: every kept block came from the C library's allocator.
                unsafe { libc::free(address as *mut c_void) };
            }
        }
    }

    impl Pool {
        /// A kept block that fits `size` without wasting more than a quarter of it, plus
        /// the up to 2 MiB that an aligned block may have beyond what it was asked for.
        fn take(&mut self, size: usize) -> Option<*mut c_void> {
            let slack = size / 4 + HUGE_PAGE + PAGE;
            let at = (0..self.count).rev().find(|&i| {
                let usable = self.blocks[i].1;
                usable >= size && usable - size <= slack
            })?;
            let (address, usable) = self.blocks[at];
            self.blocks.copy_within(at + 1..self.count, at);
            self.count -= 1;
            self.bytes -= usable;
            Some(address as *mut c_void)
        }

        /// Keeps `block` if it is large enough and fits the limit, making room by taking
        /// out the oldest blocks (returned, to be freed after the lock); `Err(evicted)`
        /// when the caller should free `block` itself.
        fn keep(&mut self, block: *mut c_void, usable: usize) -> Result<Evicted, Evicted> {
            let mut evicted = Evicted([0; MAX_BLOCKS], 0);
            if usable < MIN_BLOCK || usable > self.limit {
                return Err(evicted);
            }
            while self.count > 0 && (self.count == MAX_BLOCKS || self.bytes + usable > self.limit) {
                let (oldest, size) = self.blocks[0];
                self.blocks.copy_within(1..self.count, 0);
                self.count -= 1;
                self.bytes -= size;
                evicted.0[evicted.1] = oldest;
                evicted.1 += 1;
            }
            self.blocks[self.count] = (block as usize, usable);
            self.count += 1;
            self.bytes += usable;
            Ok(evicted)
        }

        /// Takes every block out (to be freed after the lock).
        fn take_all(&mut self) -> Evicted {
            let mut evicted = Evicted([0; MAX_BLOCKS], 0);
            for &(address, _) in &self.blocks[..self.count] {
                evicted.0[evicted.1] = address;
                evicted.1 += 1;
            }
            self.count = 0;
            self.bytes = 0;
            evicted
        }
    }

    const HUGE_PAGE: usize = 2 << 20;
    const PAGE: usize = 4096;

    /// A new block of `size` bytes: 2 MiB-aligned and advised to use huge pages when
    /// large (one fault per 2 MiB instead of 512), from `malloc` otherwise.
    fn fresh(size: usize) -> *mut c_void {
        if size < MIN_BLOCK {
            // SAFETY: plain C allocation.
            return unsafe { libc::malloc(size) };
        }
        let mut block = std::ptr::null_mut();
        // SAFETY: the alignment is a power of two and a multiple of the pointer size.
        if unsafe { libc::posix_memalign(&mut block, HUGE_PAGE, size) } != 0 {
            return std::ptr::null_mut();
        }
        // SAFETY: `block` is a live allocation of at least `size` bytes; the advice
        // changes no contents. Failure (no transparent huge pages) is harmless.
        unsafe { libc::madvise(block, size, libc::MADV_HUGEPAGE) };
        block
    }

    unsafe extern "C" fn pool_malloc(_ctx: *mut c_void, size: usize) -> *mut c_void {
        if size >= MIN_BLOCK {
            let reused = pool().take(size);
            if let Some(block) = reused {
                return block;
            }
        }
        fresh(size)
    }

    unsafe extern "C" fn pool_calloc(_ctx: *mut c_void, count: usize, size: usize) -> *mut c_void {
        let Some(bytes) = count.checked_mul(size) else {
            return std::ptr::null_mut();
        };
        let reused = if bytes >= MIN_BLOCK {
            pool().take(bytes)
        } else {
            None
        };
        if let Some(block) = reused {
            // SAFETY: the block holds at least `bytes` bytes.
            unsafe { std::ptr::write_bytes(block.cast::<u8>(), 0, bytes) };
            return block;
        }
        // SAFETY: plain C allocation (fresh pages from the kernel are already zero).
        unsafe { libc::calloc(count, size) }
    }

    unsafe extern "C" fn pool_realloc(
        _ctx: *mut c_void,
        block: *mut c_void,
        size: usize,
    ) -> *mut c_void {
        // SAFETY: every block this handler gives out comes from the C library.
        unsafe { libc::realloc(block, size) }
    }

    /// NumPy passes the array's size in bytes, which some paths understate: the block's
    /// real size is asked of the C library.
    unsafe extern "C" fn pool_free(_ctx: *mut c_void, block: *mut c_void, _size: usize) {
        if block.is_null() {
            return;
        }
        // SAFETY: every block this handler gives out comes from the C library.
        let usable = unsafe { libc::malloc_usable_size(block) };
        let kept = pool().keep(block, usable);
        // The lock is released here; evicted blocks are freed as `kept` drops.
        if kept.is_err() {
            // SAFETY: as above.
            unsafe { libc::free(block) };
        }
    }

    pub(super) fn set_limit(limit: usize) -> usize {
        let mut pool = pool();
        let previous = pool.limit;
        pool.limit = limit;
        let evicted = (pool.bytes > limit).then(|| pool.take_all());
        drop(pool);
        drop(evicted);
        previous
    }

    pub(super) fn usage() -> (usize, usize) {
        let pool = pool();
        (pool.count, pool.bytes)
    }

    type SetHandler = unsafe extern "C" fn(*mut ffi::PyObject) -> *mut ffi::PyObject;

    /// NumPy's `PyDataMem_SetHandler` (slot 304 of its C API table, NumPy 1.22 on) and
    /// the capsule of this handler; `None` when NumPy is older.
    struct Api {
        set_handler: SetHandler,
        capsule: Py<PyCapsule>,
    }

    static API: PyOnceLock<Option<Api>> = PyOnceLock::new();

    fn api(py: Python<'_>) -> PyResult<Option<&'static Api>> {
        const GET_FEATURE_VERSION: usize = 211;
        const SET_HANDLER: usize = 304;
        const FEATURE_VERSION_1_22: u32 = 0x0f;
        let api = API.get_or_try_init(py, || -> PyResult<Option<Api>> {
            let module = py
                .import("numpy._core._multiarray_umath")
                .or_else(|_| py.import("numpy.core._multiarray_umath"))?;
            let table = module.getattr("_ARRAY_API")?;
            let table = table
                .cast::<PyCapsule>()
                .map_err(|_| PyRuntimeError::new_err("numpy's _ARRAY_API is not a capsule"))?;
            let table = table.pointer_checked(None)?.as_ptr() as *const *const c_void;
            // SAFETY: `_ARRAY_API` is NumPy's function table, which lives as long as the
            // module; slot 211 is `PyArray_GetNDArrayCFeatureVersion` in every NumPy.
            let version: unsafe extern "C" fn() -> u32 =
                unsafe { std::mem::transmute(*table.add(GET_FEATURE_VERSION)) };
            // SAFETY: `PyArray_GetNDArrayCFeatureVersion` takes nothing and only returns a
            // constant.
            if unsafe { version() } < FEATURE_VERSION_1_22 {
                return Ok(None);
            }
            // SAFETY: slot 304 is `PyDataMem_SetHandler` from NumPy 1.22 (feature
            // version 0x0f) on.
            let set_handler: SetHandler = unsafe { std::mem::transmute(*table.add(SET_HANDLER)) };
            const CAPSULE_NAME: &CStr = c"mem_handler";
            let pointer = NonNull::from(&HANDLER).cast::<c_void>();
            // SAFETY: the handler is a static, valid for the life of the process.
            let capsule = unsafe { PyCapsule::new_with_pointer(py, pointer, CAPSULE_NAME) }?;
            Ok(Some(Api {
                set_handler,
                capsule: capsule.unbind(),
            }))
        })?;
        Ok(api.as_ref())
    }

    /// Sets the previous handler back when dropped.
    struct Restore<'a> {
        api: &'a Api,
        previous: *mut ffi::PyObject,
    }

    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            // SAFETY: the thread is attached (the guard lives inside a call that holds a
            // `Python` token); `previous` is the owned reference `PyDataMem_SetHandler`
            // returned; the result is a new reference (or null with an error set).
            unsafe {
                let ours = (self.api.set_handler)(self.previous);
                if ours.is_null() {
                    ffi::PyErr_Clear();
                } else {
                    ffi::Py_DecRef(ours);
                }
                ffi::Py_DecRef(self.previous);
            }
        }
    }

    pub(super) fn with_handler<'py>(
        py: Python<'py>,
        create: impl FnOnce() -> PyResult<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        // Without the handler (NumPy older than 1.22, or its C API not found), NumPy's
        // own allocator makes the result.
        let Ok(Some(api)) = api(py) else {
            return create();
        };
        // SAFETY: the capsule is named "mem_handler" and points at a valid handler; the
        // call returns a new reference to the previous handler, or null with an error.
        let previous = unsafe { (api.set_handler)(api.capsule.as_ptr()) };
        if previous.is_null() {
            return Err(PyErr::fetch(py));
        }
        let _restore = Restore { api, previous };
        create()
    }
}
