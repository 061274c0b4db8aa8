//! The array side of N-dimensional columns: splitting a chunk into its list levels and
//! elements, the validity of each element once null rows are counted, nesting the scanned
//! elements again, and where an element index lies in a row.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, FixedSizeListArray, LargeListArray, ListArray};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer};
use arrow::datatypes::DataType;

use crate::array::out::copy_validity;
use crate::array::shape::{ColumnShape, Level};
use crate::kernels::bits::set_range;
use crate::kernels::{Bits, Layout};
use crate::{NullPolicy, Result};

impl ColumnShape {
    /// Splits a column into its list levels and its elements.
    pub fn decompose<'a>(&self, column: &'a dyn Array) -> Result<Decomposed<'a>> {
        let mut levels: Vec<&'a dyn Array> = Vec::with_capacity(self.levels.len());
        let mut current: &'a dyn Array = column;
        let mut list_offsets = None;
        for level in &self.levels {
            levels.push(current);
            current = match level {
                Level::Fixed { size, .. } => {
                    let list = downcast::<FixedSizeListArray>(current)?;
                    let expected = list.len() * size;
                    if list.values().len() < expected {
                        return Err(arrow::error::ArrowError::InvalidArgumentError(format!(
                            "FixedSizeList child has {} values, fewer than {expected}",
                            list.values().len()
                        ))
                        .into());
                    }
                    list.values().as_ref()
                }
                Level::List { large: false, .. } => {
                    let list = downcast::<ListArray>(current)?;
                    list_offsets = Some(ListOffsets::I32(list.offsets().clone()));
                    list.values().as_ref()
                }
                Level::List { large: true, .. } => {
                    let list = downcast::<LargeListArray>(current)?;
                    list_offsets = Some(ListOffsets::I64(list.offsets().clone()));
                    list.values().as_ref()
                }
            };
        }
        // Fixed-size list children are sliced with their parent; list children are not.
        let (start, len) = match &list_offsets {
            Some(offsets) => (offsets.first(), offsets.span()),
            None => (0, column.len() * self.row_elements()),
        };
        Ok(Decomposed {
            rows: column.len(),
            levels,
            leaf: current.slice(start, len),
            offsets: list_offsets,
        })
    }

    /// Which elements are valid once null rows (and null inner lists) are accounted for.
    pub fn effective_validity(&self, parts: &Decomposed<'_>) -> Option<NullBuffer> {
        let n = parts.leaf.len();
        let level_has_nulls = parts.levels.iter().any(|a| a.null_count() > 0);
        if !level_has_nulls {
            return parts
                .leaf
                .logical_nulls()
                .filter(|nulls| nulls.null_count() > 0);
        }
        let mut bits = vec![0u8; n.div_ceil(8)];
        match parts.leaf.logical_nulls() {
            Some(nulls) => copy_validity(&mut bits, 0, &nulls),
            None => set_range(&mut bits, 0, n, true),
        }
        for (depth, level) in parts.levels.iter().enumerate() {
            let Some(nulls) = level.logical_nulls().filter(|n| n.null_count() > 0) else {
                continue;
            };
            match &parts.offsets {
                Some(offsets) => {
                    let base = offsets.first();
                    null_bits(&nulls).for_each_zero(|row| {
                        let (start, end) = offsets.range(row);
                        set_range(&mut bits, start - base, end - base, false);
                    });
                }
                None => {
                    let span: usize = self.levels[depth..]
                        .iter()
                        .map(|l| match l {
                            Level::Fixed { size, .. } => *size,
                            Level::List { .. } => 1,
                        })
                        .product();
                    null_bits(&nulls).for_each_zero(|entry| {
                        set_range(&mut bits, entry * span, (entry + 1) * span, false);
                    });
                }
            }
        }
        Some(NullBuffer::new(BooleanBuffer::new(
            Buffer::from_vec(bits),
            0,
            n,
        )))
    }

    /// Nests the scanned elements as the input was nested. Under Skip and Propagate the
    /// list levels keep their nulls; under Carry and Identity they have none.
    pub fn rebuild(
        &self,
        parts: &Decomposed<'_>,
        leaf: ArrayRef,
        output_type: &DataType,
        nulls: NullPolicy,
    ) -> Result<ArrayRef> {
        let keep_level_nulls = nulls.keeps_null_rows();
        // The output types of every level, from the outermost in.
        let mut types = vec![output_type.clone()];
        for _ in 1..self.levels.len() {
            let inner = match types.last() {
                Some(DataType::FixedSizeList(f, _)) => f.data_type().clone(),
                _ => unreachable!("only fixed-size lists nest"),
            };
            types.push(inner);
        }
        let mut child = leaf;
        for (depth, level) in self.levels.iter().enumerate().rev() {
            let level_nulls = keep_level_nulls
                .then(|| parts.levels[depth].logical_nulls())
                .flatten();
            child = match (level, &types[depth]) {
                (Level::Fixed { size, .. }, DataType::FixedSizeList(field, _)) => {
                    // The length is explicit: a list of width 0 has rows but no values.
                    Arc::new(FixedSizeListArray::try_new_with_length(
                        field.clone(),
                        *size as i32,
                        child,
                        level_nulls,
                        parts.levels[depth].len(),
                    )?)
                }
                (Level::List { .. }, DataType::List(field) | DataType::LargeList(field)) => {
                    match parts.offsets.as_ref() {
                        Some(ListOffsets::I32(o)) => Arc::new(ListArray::try_new(
                            field.clone(),
                            rebase(o),
                            child,
                            level_nulls,
                        )?),
                        Some(ListOffsets::I64(o)) => Arc::new(LargeListArray::try_new(
                            field.clone(),
                            rebase(o),
                            child,
                            level_nulls,
                        )?),
                        None => unreachable!("a list level has offsets"),
                    }
                }
                _ => unreachable!("output type mirrors the input nesting"),
            };
        }
        Ok(child)
    }

    /// Where a flat element index of a chunk lies: its row (counting `rows_before` rows
    /// of earlier chunks) and, for an N-dimensional or list column, its index within the
    /// row along each dimension.
    pub fn locate(
        &self,
        parts: &Decomposed<'_>,
        index: usize,
        rows_before: usize,
    ) -> (usize, Option<Vec<usize>>) {
        if let Some(offsets) = &parts.offsets {
            let base = offsets.first();
            // The first row whose list ends after the element.
            let (mut lo, mut hi) = (0, parts.rows);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if offsets.range(mid).1 - base <= index {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            let start = offsets.range(lo.min(parts.rows - 1)).0 - base;
            return (rows_before + lo, Some(vec![index - start]));
        }
        let per_row = self.row_elements();
        if self.dims.is_empty() || per_row == 0 {
            return (rows_before + index, None);
        }
        let (row, mut within) = (index / per_row, index % per_row);
        let mut position = vec![0; self.dims.len()];
        for (d, &dim) in self.dims.iter().enumerate().rev() {
            position[d] = within % dim;
            within /= dim;
        }
        (rows_before + row, Some(position))
    }
}

pub(crate) fn downcast<T: 'static>(array: &dyn Array) -> Result<&T> {
    array.as_any().downcast_ref::<T>().ok_or_else(|| {
        arrow::error::ArrowError::InvalidArgumentError(format!(
            "array of type {} does not match its declared layout",
            array.data_type()
        ))
        .into()
    })
}

/// The list offsets of a List or LargeList chunk (already sliced to the chunk's rows).
#[derive(Debug, Clone)]
pub(crate) enum ListOffsets {
    I32(OffsetBuffer<i32>),
    I64(OffsetBuffer<i64>),
}

impl ListOffsets {
    fn first(&self) -> usize {
        match self {
            ListOffsets::I32(o) => o[0] as usize,
            ListOffsets::I64(o) => o[0] as usize,
        }
    }

    fn span(&self) -> usize {
        match self {
            ListOffsets::I32(o) => (o[o.len() - 1] - o[0]) as usize,
            ListOffsets::I64(o) => (o[o.len() - 1] - o[0]) as usize,
        }
    }

    fn range(&self, row: usize) -> (usize, usize) {
        match self {
            ListOffsets::I32(o) => (o[row] as usize, o[row + 1] as usize),
            ListOffsets::I64(o) => (o[row] as usize, o[row + 1] as usize),
        }
    }

    /// The lanes: one per list.
    pub fn layout(&self) -> Layout<'_> {
        match self {
            ListOffsets::I32(o) => Layout::Offsets32(o),
            ListOffsets::I64(o) => Layout::Offsets64(o),
        }
    }
}

/// Offsets starting at zero: the same buffer when they already do.
fn rebase<O: arrow::datatypes::ArrowNativeType + std::ops::Sub<Output = O>>(
    offsets: &OffsetBuffer<O>,
) -> OffsetBuffer<O> {
    let first = offsets[0];
    if first == O::usize_as(0) {
        return offsets.clone();
    }
    OffsetBuffer::new(offsets.iter().map(|&o| o - first).collect())
}

/// A chunk split into its list levels and elements.
pub(crate) struct Decomposed<'a> {
    /// The rows of the chunk.
    pub rows: usize,
    /// The array at each list level, the column first (not the elements).
    pub levels: Vec<&'a dyn Array>,
    /// The elements the chunk covers, sliced to exactly those.
    pub leaf: ArrayRef,
    /// The offsets of a List column.
    pub offsets: Option<ListOffsets>,
}

/// The bits of a null buffer.
pub(crate) fn null_bits(nulls: &NullBuffer) -> Bits<'_> {
    Bits::new(nulls.validity(), nulls.offset(), nulls.len())
}
