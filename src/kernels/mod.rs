//! Slice-level scan kernels: plain loops over `&[T]` plus an LSB-first validity bitmap,
//! knowing nothing of Arrow arrays or of any engine. The Arrow layer, the DataFusion and
//! the Polars adapters all call [`scan`].
//!
//! - [`element`]: the element types and NumPy's unsafe casts between them;
//! - [`ops`]: the four operations as combine functions;
//! - [`bits`]: validity bitmaps;
//! - [`scan`](mod@scan): the driver, its element [`Source`]s, lane [`Layout`]s and the
//!   carried [`ScanState`].

pub mod bits;
pub mod element;
pub mod ops;
pub mod scan;

pub use bits::Bits;
pub use element::Element;
pub use ops::{Arith, BoundedSum, Max, Min, Prod, ScanOp, Sum};
pub use scan::{BoolBits, Cast, Copied, InPlace, Layout, Scan, ScanState, Source, Widened, scan};
