//! The crate's error type: every failure names the operation, the type or option at
//! fault, and what would have been accepted.

use arrow::datatypes::DataType;
use arrow::error::ArrowError;

use crate::Operation;

/// Everything that can go wrong in a scan.
///
/// ```
/// use arrow::array::StringArray;
/// let strings = StringArray::from(vec!["a"]);
/// let err = cumulus::cumsum(&strings, &Default::default()).unwrap_err();
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
        accepted: &'static str,
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
        /// The requested axis (`none` for flatten).
        axis: String,
        /// The column type.
        data_type: DataType,
        /// The axes that work for this column.
        accepted: &'static str,
    },

    /// An integer result (or a `dtype=` cast) did not fit under [`crate::Overflow::Error`].
    #[error(
        "{op}: {data_type} overflow at {location}; accepted: values whose running result fits {data_type}, or overflow => wrap for NumPy's modular arithmetic"
    )]
    Overflow {
        /// The operation.
        op: Operation,
        /// The type the scan runs in.
        data_type: DataType,
        /// Where: `row 7`, or `row 7, element [1, 2]` in an N-dimensional column.
        location: String,
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

    /// An option spelled as text (by an engine or the command line) is not understood.
    #[error("{}invalid value '{value}' for option {option}; accepted: {accepted}", op.map(|o| format!("{o}: ")).unwrap_or_default())]
    InvalidOption {
        /// The operation, when known.
        op: Option<Operation>,
        /// The option's name (`nulls`, `dtype`, ...).
        option: &'static str,
        /// The rejected value.
        value: String,
        /// The accepted values.
        accepted: &'static str,
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

    /// An error from arrow-rs while assembling the output.
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

impl Error {
    /// Attaches the operation to an option error raised while parsing.
    // Used by the engine adapters that parse options from text (SQL).
    #[cfg_attr(not(feature = "datafusion"), allow(dead_code))]
    pub(crate) fn for_op(self, operation: Operation) -> Self {
        match self {
            Error::InvalidOption {
                op: None,
                option,
                value,
                accepted,
            } => Error::InvalidOption {
                op: Some(operation),
                option,
                value,
                accepted,
            },
            other => other,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
