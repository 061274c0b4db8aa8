//! NumPy arrays in, NumPy arrays out, through the buffer protocol.
//!
//! The input's memory is lent to the core as an Arrow buffer owned by the buffer export
//! (no copy): a 1-D array is a primitive column, an N-dimensional one nested
//! FixedSizeLists over the same flat memory, so the core applies NumPy's axis rules
//! (and words their errors). The output is a NumPy array (new, or the caller's `out=`)
//! that the core writes straight into through [`cumulus::scan_into_dyn`], with the GIL
//! released. Copies remain where the memory cannot be read as Arrow or written as is:
//! - the input is strided (not C- or Fortran-contiguous, e.g. `x[::2]` or a negative
//!   stride), misaligned, or not in native byte order: NumPy makes a contiguous copy
//!   first (`numpy.require`);
//! - a Fortran-ordered input is scanned as the C-ordered transpose (no copy) along the
//!   mirrored axis, except with `axis=None`, which flattens in C order and needs the copy;
//! - bool inputs are packed into Arrow's bits (an eighth of the input's size);
//! - an `out=` that shares memory with the input (`out=x`), or whose memory order differs
//!   from the scan's, gets the result through a temporary array copied into it.

use std::ptr::NonNull;
use std::sync::Arc;

use arrow::array::{Array, ArrayData, ArrayRef, BooleanArray, FixedSizeListArray, make_array};
use arrow::buffer::{BooleanBuffer, Buffer};
use arrow::datatypes::{DataType, Field};
use cumulus::{Axis, Operation, OutSlice, ScanOptions};
use pyo3::buffer::{ElementType, PyUntypedBuffer};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::errors::IntoPy;
use crate::guarded;
use crate::options::{PyOptions, operation};

/// `cumulus.<op>(x, ...)` for a NumPy array `x` (see the Python package's docstrings).
/// `x` must be an `ndarray` with at least one dimension (the package reshapes 0-d
/// arrays as NumPy does); any memory layout is accepted.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan_numpy<'py>(
    py: Python<'py>,
    op: &str,
    x: &Bound<'py, PyAny>,
    axis: &Bound<'py, PyAny>,
    dtype: &Bound<'py, PyAny>,
    out: &Bound<'py, PyAny>,
    nulls: &Bound<'py, PyAny>,
    overflow: &Bound<'py, PyAny>,
    reverse: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    guarded(|| {
        let op = operation(py, op)?;
        let raw = PyOptions {
            axis,
            dtype,
            nulls,
            overflow,
            reverse,
        };
        let options = raw.parse(py, op, ScanOptions::default())?;
        let out = (!out.is_none()).then_some(out);
        NumpyScan::new(py, op, x, options)?.run(py, out)
    })
}

/// How the input's memory is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Row-major: the array as it is.
    C,
    /// Column-major: read as the row-major transpose.
    Fortran,
}

/// A planned scan of one NumPy array.
struct NumpyScan {
    op: Operation,
    /// The export of the input (or of NumPy's contiguous copy of it); it holds a
    /// reference to the array.
    buffer: Arc<PyUntypedBuffer>,
    leaf: DataType,
    shape: Vec<usize>,
    order: Order,
    /// The options as the user gave them (for the result type and the errors).
    options: ScanOptions,
    /// The options of the scan over the memory as laid out (a Fortran array's axis is
    /// mirrored).
    scan_options: ScanOptions,
    /// The element type of the result without `out=`.
    leaf_out: DataType,
}

impl NumpyScan {
    fn new<'py>(
        py: Python<'py>,
        op: Operation,
        x: &Bound<'py, PyAny>,
        options: ScanOptions,
    ) -> PyResult<Self> {
        let numpy = py.import("numpy")?;
        if !x.is_instance(&numpy.getattr("ndarray")?)? {
            return Err(PyTypeError::new_err(format!(
                "{op}: expected a NumPy array, got {}",
                x.get_type().name()?
            )));
        }
        let dtype = x.getattr("dtype")?;
        let mut array = x.clone();
        if array.getattr("ndim")?.extract::<usize>()? == 0 {
            // A 0-d array scans as its one element, as in NumPy.
            array = array.call_method1("reshape", (1,))?;
        }
        let mut buffer = match PyUntypedBuffer::get(&array) {
            Ok(buffer) => buffer,
            // NumPy exports no buffer for datetime, timedelta and some other types.
            Err(_) => return Err(unsupported_input(op, &dtype)),
        };
        let Some(leaf) = element_type_of(&buffer) else {
            return Err(unsupported_input(op, &dtype));
        };
        let mut shape = buffer.shape().to_vec();
        // The result type, the axis and `dtype=` checked by the core on the array's own
        // shape (so its errors name the axis and dimensions the user gave), before any
        // copy is made.
        let column = nested_type(op, &leaf, &shape[1..])?;
        cumulus::result_type(op, &column, &options).py_err(py)?;
        let mut element_options = options.clone();
        element_options.axis = Axis::Flatten;
        let leaf_out = cumulus::result_type(op, &leaf, &element_options).py_err(py)?;
        if !readable_in_place(&buffer, options.axis == Axis::Flatten) {
            // One contiguous, aligned, native-endian copy, made by NumPy.
            let native = dtype.call_method1("newbyteorder", ("=",))?;
            array = numpy.call_method1("require", (&array, native, "CA"))?;
            buffer = PyUntypedBuffer::get(&array)?;
            shape = buffer.shape().to_vec();
        }
        if element_type(&buffer).is_none() {
            return Err(unsupported_input(op, &dtype));
        }
        let order = if buffer.is_c_contiguous() {
            Order::C
        } else {
            Order::Fortran
        };
        let mut scan_options = options.clone();
        if order == Order::Fortran {
            shape.reverse();
            if let Axis::Index(axis) = options.axis {
                let ndim = shape.len() as i64;
                let axis = if axis < 0 { axis + ndim } else { axis };
                scan_options.axis = Axis::Index(ndim - 1 - axis);
            }
        }
        Ok(NumpyScan {
            op,
            buffer: Arc::new(buffer),
            leaf,
            shape,
            order,
            options,
            scan_options,
            leaf_out,
        })
    }

    /// The shape of the result as the user sees it.
    fn result_shape(&self) -> Vec<usize> {
        if self.options.axis == Axis::Flatten {
            return vec![self.shape.iter().product()];
        }
        let mut shape = self.shape.clone();
        if self.order == Order::Fortran {
            shape.reverse();
        }
        shape
    }

    fn run<'py>(
        self,
        py: Python<'py>,
        out: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let numpy = py.import("numpy")?;
        let result_shape = self.result_shape();
        let memory_order = match self.order {
            Order::C => "C",
            Order::Fortran => "F",
        };
        let Some(out) = out else {
            let name = cumulus::dtype_name(&self.leaf_out);
            let result = allocate(py, &result_shape, &name, memory_order)?;
            self.scan_into(py, &result)?;
            return Ok(result);
        };
        if !out.is_instance(&numpy.getattr("ndarray")?)? {
            return Err(PyTypeError::new_err(format!(
                "{}: out= must be a NumPy array, got {}",
                self.op,
                out.get_type().name()?
            )));
        }
        let out_shape: Vec<usize> = out.getattr("shape")?.extract()?;
        if out_shape != result_shape {
            return Err(PyValueError::new_err(format!(
                "{}: out= has shape {out_shape:?} but the result has shape {result_shape:?}",
                self.op
            )));
        }
        if self.writable_in_place(py, out)? {
            self.scan_into(py, out)?;
        } else {
            let temporary = allocate(
                py,
                &result_shape,
                &out.getattr("dtype")?.getattr("name")?.extract::<String>()?,
                memory_order,
            )?;
            self.scan_into(py, &temporary)?;
            numpy.call_method1("copyto", (out, temporary))?;
        }
        Ok(out.clone())
    }

    /// Whether `out` can be written directly: its memory has the scan's order, is
    /// aligned, native-endian, writable and apart from the input's.
    fn writable_in_place(&self, py: Python<'_>, out: &Bound<'_, PyAny>) -> PyResult<bool> {
        let flags = out.getattr("flags")?;
        if !flags.getattr("writeable")?.extract::<bool>()? {
            return Err(PyValueError::new_err(format!(
                "{}: out= is read-only",
                self.op
            )));
        }
        let Ok(buffer) = PyUntypedBuffer::get(out) else {
            return Ok(false);
        };
        let ordered = match self.order {
            Order::C => buffer.is_c_contiguous(),
            Order::Fortran => buffer.is_fortran_contiguous(),
        };
        let native = element_type(&buffer).is_some();
        let aligned = (buffer.buf_ptr() as usize).is_multiple_of(buffer.item_size().max(1));
        let apart = !overlaps(&self.buffer, &buffer);
        buffer.release(py);
        Ok(ordered && native && aligned && apart)
    }

    /// Scans into `out`, an array of the result's shape whose memory has the scan's
    /// order, with the GIL released.
    fn scan_into(&self, py: Python<'_>, out: &Bound<'_, PyAny>) -> PyResult<()> {
        let op = self.op;
        let out_buffer = PyUntypedBuffer::get(out)?;
        if out_buffer.readonly() {
            return Err(PyValueError::new_err(format!("{op}: out= is read-only")));
        }
        let Some(out_type) = element_type(&out_buffer) else {
            let dtype = out.getattr("dtype")?;
            return Err(PyTypeError::new_err(format!(
                "{op}: out= of type {} is not one of NumPy's element types ({})",
                dtype.str()?,
                cumulus::dtype::dtype_names()
            )));
        };
        let elements: usize = self.shape.iter().product();
        if elements == 0 {
            return Ok(());
        }
        let input = Input {
            buffer: self.buffer.clone(),
            leaf: self.leaf.clone(),
            shape: self.shape.clone(),
        };
        let address = out_buffer.buf_ptr() as usize;
        let bytes = out_buffer.len_bytes();
        let options = &self.scan_options;
        let result = py.detach(move || -> cumulus::Result<()> {
            let array = input.array()?;
            // SAFETY: the export of `out` is held (`out_buffer` lives until after this
            // call), so these `bytes` bytes stay allocated and unresized; the export is
            // writable (checked above) and, by `writable_in_place` or because `out` was
            // just allocated, shares no memory with the input, so this is the only
            // Rust reference to them.
            let out = unsafe { std::slice::from_raw_parts_mut(address as *mut u8, bytes) };
            let out = OutSlice::try_from_bytes(&out_type, out)?;
            let nulls = cumulus::scan_into_dyn(op, array.as_ref(), options, out)?;
            match nulls {
                Some(nulls) if nulls.null_count() > 0 => Err(cumulus::Error::Internal {
                    op,
                    reason: "a scan of a NumPy array produced nulls".into(),
                }),
                _ => Ok(()),
            }
        });
        drop(out_buffer);
        result.py_err(py)
    }
}

/// The input's memory and how to read it; `Send`, so the scan can run without the GIL.
struct Input {
    buffer: Arc<PyUntypedBuffer>,
    leaf: DataType,
    /// The shape of the memory in row-major order.
    shape: Vec<usize>,
}

impl Input {
    /// The memory as an Arrow column: the flat elements nested in FixedSizeLists for
    /// every dimension after the first. No copy, except for bools, which Arrow packs.
    fn array(&self) -> cumulus::Result<ArrayRef> {
        let elements: usize = self.shape.iter().product();
        let ptr = self.buffer.buf_ptr().cast::<u8>();
        let values: ArrayRef = if self.leaf == DataType::Boolean {
            // SAFETY: the export holds `elements` one-byte bools at `ptr` while `self`
            // (and so the export) lives.
            let bytes = unsafe { std::slice::from_raw_parts(ptr.cast_const(), elements) };
            Arc::new(BooleanArray::new(
                BooleanBuffer::collect_bool(elements, |i| bytes[i] != 0),
                None,
            ))
        } else {
            let Some(ptr) = NonNull::new(ptr) else {
                return Err(cumulus::Error::Internal {
                    op: Operation::Cumsum,
                    reason: "a NumPy buffer with a null data pointer".into(),
                });
            };
            // SAFETY: the export holds `len_bytes` readable bytes at `ptr` and is owned
            // by the Arrow buffer, which releases it when the last reference goes.
            let buffer = unsafe {
                Buffer::from_custom_allocation(ptr, self.buffer.len_bytes(), self.buffer.clone())
            };
            let data = ArrayData::builder(self.leaf.clone())
                .len(elements)
                .add_buffer(buffer)
                .build()?;
            make_array(data)
        };
        let mut array = values;
        for &size in self.shape[1..].iter().rev() {
            let field = Arc::new(Field::new("item", array.data_type().clone(), false));
            // Sizes were checked to fit an i32 by `nested_type`.
            let size = i32::try_from(size).unwrap_or(i32::MAX);
            array = Arc::new(FixedSizeListArray::try_new(field, size, array, None)?);
        }
        Ok(array)
    }
}

/// The Arrow column type of an array whose rows have the dimensions `dims`.
fn nested_type(op: Operation, leaf: &DataType, dims: &[usize]) -> PyResult<DataType> {
    let mut data_type = leaf.clone();
    for &size in dims.iter().rev() {
        let size = i32::try_from(size).map_err(|_| {
            PyValueError::new_err(format!(
                "{op}: a dimension of {size} elements exceeds the largest Arrow FixedSizeList (2^31 - 1)"
            ))
        })?;
        data_type = DataType::FixedSizeList(Arc::new(Field::new("item", data_type, false)), size);
    }
    Ok(data_type)
}

/// Whether the buffer can be read as it is: aligned, native-endian, one of NumPy's
/// numeric or bool types, and C-contiguous (or Fortran-contiguous, unless flattening).
fn readable_in_place(buffer: &PyUntypedBuffer, flatten: bool) -> bool {
    let ordered = buffer.is_c_contiguous() || (!flatten && buffer.is_fortran_contiguous());
    let aligned = (buffer.buf_ptr() as usize).is_multiple_of(buffer.item_size().max(1));
    ordered && aligned && native_order(buffer)
}

/// Whether the buffer's format is in the machine's byte order.
fn native_order(buffer: &PyUntypedBuffer) -> bool {
    let swapped: &[u8] = if cfg!(target_endian = "little") {
        b">!"
    } else {
        b"<"
    };
    buffer
        .format()
        .to_bytes()
        .first()
        .is_none_or(|c| !swapped.contains(c))
}

/// The Arrow element type of a native-endian buffer of one of NumPy's element types.
fn element_type(buffer: &PyUntypedBuffer) -> Option<DataType> {
    element_type_of(buffer).filter(|_| native_order(buffer))
}

/// The Arrow element type of a buffer of one of NumPy's element types, in any byte order.
fn element_type_of(buffer: &PyUntypedBuffer) -> Option<DataType> {
    let data_type = match ElementType::from_format(buffer.format()) {
        ElementType::Bool => DataType::Boolean,
        ElementType::SignedInteger { bytes: 1 } => DataType::Int8,
        ElementType::SignedInteger { bytes: 2 } => DataType::Int16,
        ElementType::SignedInteger { bytes: 4 } => DataType::Int32,
        ElementType::SignedInteger { bytes: 8 } => DataType::Int64,
        ElementType::UnsignedInteger { bytes: 1 } => DataType::UInt8,
        ElementType::UnsignedInteger { bytes: 2 } => DataType::UInt16,
        ElementType::UnsignedInteger { bytes: 4 } => DataType::UInt32,
        ElementType::UnsignedInteger { bytes: 8 } => DataType::UInt64,
        ElementType::Float { bytes: 2 } => DataType::Float16,
        ElementType::Float { bytes: 4 } => DataType::Float32,
        ElementType::Float { bytes: 8 } => DataType::Float64,
        _ => return None,
    };
    (data_type.primitive_width().unwrap_or(1) == buffer.item_size()).then_some(data_type)
}

/// Whether two exports' memory ranges overlap.
fn overlaps(a: &PyUntypedBuffer, b: &PyUntypedBuffer) -> bool {
    let (a0, b0) = (a.buf_ptr() as usize, b.buf_ptr() as usize);
    let (a1, b1) = (a0 + a.len_bytes(), b0 + b.len_bytes());
    a0 < b1 && b0 < a1
}

/// `numpy.empty(shape, dtype, order)` (`numpy.zeros` for bool, whose every byte the
/// core checks before writing), its memory from the result pool (`result_pool.rs`).
fn allocate<'py>(
    py: Python<'py>,
    shape: &[usize],
    dtype: &str,
    order: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let numpy = py.import("numpy")?;
    let function = if dtype == "bool" { "zeros" } else { "empty" };
    let shape = PyTuple::new(py, shape)?;
    crate::result_pool::with_result_memory(py, || {
        numpy.call_method1(function, (shape, dtype, order))
    })
}

/// The core's wording for an input type it does not scan, with NumPy's name of the type.
fn unsupported_input(op: Operation, dtype: &Bound<'_, PyAny>) -> PyErr {
    let name = dtype
        .str()
        .map(|s| s.to_string())
        .unwrap_or_else(|_| "unknown".into());
    PyTypeError::new_err(format!(
        "{op}: unsupported input type {name}; accepted: NumPy arrays of {}",
        cumulus::dtype::dtype_names()
    ))
}
