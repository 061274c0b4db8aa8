//! The crate's error type: every failure names the operation, the type or option at
//! fault, and what would have been accepted, and carries those facts as fields a caller
//! can read ([`Error::kind`] sorts them the way Python's exceptions do).

use std::fmt;

use arrow::datatypes::DataType;
use arrow::error::ArrowError;

use crate::Operation;

/// Everything that can go wrong in a scan.
///
/// ```
/// use arrow::array::StringArray;
/// use cumulus::ErrorKind;
/// let strings = StringArray::from(vec!["a"]);
/// let err = cumulus::cumsum(&strings, &Default::default()).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::UnsupportedType);
/// assert!(err.to_string().starts_with("cumsum: unsupported input type Utf8"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input type cannot be scanned by this operation.
    #[error("{op}: unsupported input type {data_type}; accepted: {accepted}")]
    UnsupportedType {
        /// The operation.
        op: Operation,
        /// The rejected type.
        data_type: DataType,
        /// What the operation accepts.
        accepted: String,
    },

    /// The `dtype=` option cannot be used with this input.
    #[error("{op}: dtype {dtype} is not supported for input type {input}; accepted: {accepted}")]
    UnsupportedDtype {
        /// The operation.
        op: Operation,
        /// The input (element) type.
        input: DataType,
        /// The requested `dtype`.
        dtype: DataType,
        /// What would be accepted for this input.
        accepted: String,
    },

    /// NumPy's `AxisError`, in NumPy's words.
    #[error("{op}: axis {axis} is out of bounds for array of dimension {ndim}")]
    AxisOutOfBounds {
        /// The operation.
        op: Operation,
        /// The requested axis.
        axis: i64,
        /// The number of dimensions of the input.
        ndim: usize,
    },

    /// The axis exists but this column layout cannot be scanned along it.
    #[error("{op}: axis {axis} is not supported for {data_type}; accepted: {accepted}")]
    UnsupportedAxis {
        /// The operation.
        op: Operation,
        /// The requested axis.
        axis: crate::Axis,
        /// The column type.
        data_type: DataType,
        /// The axes that work for this column.
        accepted: String,
    },

    /// An integer result (or a `dtype=` cast) did not fit under [`crate::Overflow::Error`].
    #[error(
        "{op}: {data_type} overflow at row {row}{}; accepted: values whose running result fits {data_type}, or overflow => wrap for NumPy's modular arithmetic",
        ElementIndex(element.as_deref())
    )]
    Overflow {
        /// The operation.
        op: Operation,
        /// The type the scan runs in.
        data_type: DataType,
        /// The row, counted from 0 at the first row of the column (or of the stream).
        row: usize,
        /// Where in the row, for an N-dimensional or list column: the index along each
        /// dimension of one row (`[1, 2]`).
        element: Option<Vec<usize>>,
    },

    /// NumPy's `out=` size check, in NumPy's words.
    #[error(
        "{op}: provided out is the wrong size for the accumulation. expected {expected} elements, got {actual}"
    )]
    OutSize {
        /// The operation.
        op: Operation,
        /// The number of output elements the scan produces.
        expected: usize,
        /// The length of the buffer provided.
        actual: usize,
    },

    /// A chunk given to a [`crate::Scanner`] does not have the type it was built for.
    #[error("{op}: chunk has type {actual} but the scanner was built for {expected}")]
    ChunkType {
        /// The operation.
        op: Operation,
        /// The type the scanner was built for.
        expected: DataType,
        /// The type of the chunk.
        actual: DataType,
    },

    /// A [`crate::Scanner`] was pushed another chunk after it failed.
    #[error("{op}: the scanner stopped at an earlier error; call reset() to start a new scan")]
    ScannerFailed {
        /// The operation.
        op: Operation,
    },

    /// An option's value (given as text by an engine, the command line or Python, or as
    /// a value that does not fit) is not understood.
    #[error(
        "{}invalid value '{value}' for option {option}{}; accepted: {accepted}",
        op.map(|o| format!("{o}: ")).unwrap_or_default(),
        reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()
    )]
    InvalidOption {
        /// The operation, when known.
        op: Option<Operation>,
        /// The option's name (`nulls`, `dtype`, ...).
        option: &'static str,
        /// The rejected value.
        value: String,
        /// Why the value is refused, when more can be said than "unknown".
        reason: Option<String>,
        /// The accepted values.
        accepted: String,
    },

    /// `arrow.fixed_shape_tensor` metadata that cannot be read.
    #[error("{op}: invalid arrow.fixed_shape_tensor metadata '{metadata}': {reason}")]
    InvalidTensor {
        /// The operation.
        op: Operation,
        /// The metadata as found on the field.
        metadata: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A broken invariant inside cumulus: a bug, never a property of the input. Please
    /// report it with the input that caused it.
    #[error("{op}: internal error ({reason}); this is a bug in cumulus, please report it")]
    Internal {
        /// The operation.
        op: Operation,
        /// What went wrong.
        reason: String,
    },

    /// An error from arrow-rs: an input array whose buffers contradict its type, or a
    /// failure while assembling the output.
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

/// What kind of failure an [`Error`] is: the distinction a caller (or a language binding
/// choosing an exception class) acts on.
///
/// ```
/// use arrow::array::Int8Array;
/// use arrow::datatypes::DataType;
/// use cumulus::{ErrorKind, Overflow, ScanOptions};
/// let options = ScanOptions::default().with_dtype(DataType::Int8).with_overflow(Overflow::Error);
/// let err = cumulus::cumsum(&Int8Array::from(vec![100, 100]), &options).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Overflow);
/// assert!(matches!(err, cumulus::Error::Overflow { row: 1, .. }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An option has a value that is not understood or does not apply (Python: `ValueError`).
    InvalidOption,
    /// The input (or chunk, or `dtype`) type is not supported (Python: `TypeError`).
    UnsupportedType,
    /// The axis does not exist or cannot be scanned along (NumPy's `AxisError`).
    Axis,
    /// An integer overflow under [`crate::Overflow::Error`] (Python: `OverflowError`).
    Overflow,
    /// `out=` has the wrong size (Python: `ValueError`).
    OutSize,
    /// The input's data or metadata is invalid (Python: `ValueError`).
    InvalidInput,
    /// A [`crate::Scanner`] was used after it failed (Python: `RuntimeError`).
    ScannerState,
    /// A bug in cumulus (Python: `RuntimeError`).
    Internal,
}

impl Error {
    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::UnsupportedType { .. }
            | Error::UnsupportedDtype { .. }
            | Error::ChunkType { .. } => ErrorKind::UnsupportedType,
            Error::AxisOutOfBounds { .. } | Error::UnsupportedAxis { .. } => ErrorKind::Axis,
            Error::Overflow { .. } => ErrorKind::Overflow,
            Error::OutSize { .. } => ErrorKind::OutSize,
            Error::ScannerFailed { .. } => ErrorKind::ScannerState,
            Error::InvalidOption { .. } => ErrorKind::InvalidOption,
            Error::InvalidTensor { .. } | Error::Arrow(_) => ErrorKind::InvalidInput,
            Error::Internal { .. } => ErrorKind::Internal,
        }
    }

    /// The operation the error is about, when one is known.
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Error::UnsupportedType { op, .. }
            | Error::UnsupportedDtype { op, .. }
            | Error::AxisOutOfBounds { op, .. }
            | Error::UnsupportedAxis { op, .. }
            | Error::Overflow { op, .. }
            | Error::OutSize { op, .. }
            | Error::ChunkType { op, .. }
            | Error::ScannerFailed { op }
            | Error::InvalidTensor { op, .. }
            | Error::Internal { op, .. } => Some(*op),
            Error::InvalidOption { op, .. } => *op,
            Error::Arrow(_) => None,
        }
    }

    /// Attaches the operation to an option error raised while parsing text.
    ///
    /// ```
    /// use cumulus::{NullPolicy, Operation};
    /// let err = "sometimes".parse::<NullPolicy>().unwrap_err().for_op(Operation::Cummax);
    /// assert!(err.to_string().starts_with("cummax: invalid value 'sometimes' for option nulls"));
    /// ```
    pub fn for_op(self, operation: Operation) -> Self {
        match self {
            Error::InvalidOption {
                op: None,
                option,
                value,
                reason,
                accepted,
            } => Error::InvalidOption {
                op: Some(operation),
                option,
                value,
                reason,
                accepted,
            },
            other => other,
        }
    }
}

/// Formats an overflow's place in a row: `, element [1, 2]`, or nothing.
struct ElementIndex<'a>(Option<&'a [usize]>);

impl fmt::Display for ElementIndex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(index) = self.0 else {
            return Ok(());
        };
        f.write_str(", element [")?;
        for (i, p) in index.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{p}")?;
        }
        f.write_str("]")
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
