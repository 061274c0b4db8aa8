//! Integration tests of the core API, in one binary (every test binary links the whole
//! dependency tree, so they are grouped).

mod fixtures;
mod golden;
mod large;
mod nan_bits;
mod policies;
mod properties;
