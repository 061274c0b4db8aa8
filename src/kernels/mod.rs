//! Slice-level scan kernels: plain loops over `&[T]` plus an LSB-first validity bitmap.
//! They know no Arrow arrays, data types or engines (only the crate's [`NullPolicy`],
//! which is plain data); the Arrow layer (`crate::array`) is their one caller.
//!
//! - [`element`]: the element types and NumPy's unsafe casts between them;
//! - [`ops`]: the four operations as combine functions;
//! - [`bits`]: validity bitmaps;
//! - [`scan`](mod@scan): the driver, its element [`Source`]s, lane [`Layout`]s and the
//!   carried [`ScanState`].
//!
//! [`NullPolicy`]: crate::NullPolicy

pub(crate) mod bits;
pub(crate) mod element;
pub(crate) mod ops;
pub(crate) mod scan;

pub(crate) use bits::Bits;
pub(crate) use element::Element;
pub(crate) use ops::{Arith, BoundedSum, Max, Min, Prod, ScanOp, Sum};
pub(crate) use scan::{
    BoolBits, Cast, Copied, InPlace, Layout, Scan, ScanState, Source, Widened, scan, scan_keyed,
};
