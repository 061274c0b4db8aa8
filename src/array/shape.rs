//! N-dimensional columns: how a column type maps to NumPy's shape, how an axis maps to
//! scan lanes, and how the output is nested again.
//!
//! A column of `m` rows is an array of shape `(m, d1, ..., dk)`:
//! - `FixedSizeList<T, n>` is `(m, n)`; `FixedSizeList<FixedSizeList<T, k>, n>` is
//!   `(m, n, k)`;
//! - an `arrow.fixed_shape_tensor` field of shape `[a, b]` is `(m, a, b)`. Axis numbers
//!   refer to the dimensions as stored (row-major, the order of `shape`); a `permutation`
//!   in the metadata only describes a logical view and does not renumber the axes, and
//!   `dim_names` name the stored dimensions in the same order;
//! - `List<T>`/`LargeList<T>` is `(m, variable)`: only the last axis exists as lanes.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, FixedSizeListArray, LargeListArray, ListArray};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, FieldRef};

use crate::array::types::accepted_types;
use crate::kernels::bits::{copy_bits, set_range};
use crate::kernels::{Bits, Layout};
use crate::{Axis, Error, NullPolicy, Operation, Result};

const EXTENSION_NAME: &str = "ARROW:extension:name";
const EXTENSION_METADATA: &str = "ARROW:extension:metadata";
const FIXED_SHAPE_TENSOR: &str = "arrow.fixed_shape_tensor";

/// One level of list nesting: the child field and how many elements each entry holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Level {
    Fixed { field: FieldRef, size: usize },
    List { field: FieldRef, large: bool },
}

/// How a column type maps to an N-dimensional array.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnShape {
    /// List levels from the outermost in; empty for a plain column.
    pub levels: Vec<Level>,
    /// The element type.
    pub leaf: DataType,
    /// The dimensions of one row (empty for a plain column); `[0]` stands for the
    /// variable length of a List column.
    pub dims: Vec<usize>,
}

/// A normalised axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AxisPlan {
    /// Every element in row-major order, returned flat.
    Flatten,
    /// A dimension, `0` being the rows.
    Dim(usize),
}

impl AxisPlan {
    /// Whether the lanes run across rows, so a stream of chunks continues them.
    pub fn crosses_rows(self) -> bool {
        matches!(self, AxisPlan::Flatten | AxisPlan::Dim(0))
    }
}

impl ColumnShape {
    /// The shape of a column of `data_type`; `metadata` is the field's metadata, read for
    /// the `arrow.fixed_shape_tensor` extension type.
    pub fn of(
        op: Operation,
        data_type: &DataType,
        metadata: Option<&HashMap<String, String>>,
    ) -> Result<Self> {
        let unsupported = || Error::UnsupportedType {
            op,
            data_type: data_type.clone(),
            accepted: accepted_types(op),
        };
        let mut levels = vec![];
        let mut dims = vec![];
        let mut current = data_type;
        loop {
            match current {
                DataType::FixedSizeList(field, size) => {
                    let size = usize::try_from(*size).map_err(|_| unsupported())?;
                    levels.push(Level::Fixed {
                        field: field.clone(),
                        size,
                    });
                    dims.push(size);
                    current = field.data_type();
                }
                DataType::List(field) | DataType::LargeList(field) if levels.is_empty() => {
                    levels.push(Level::List {
                        field: field.clone(),
                        large: matches!(current, DataType::LargeList(_)),
                    });
                    dims.push(0);
                    current = field.data_type();
                    if current.is_nested() {
                        return Err(unsupported());
                    }
                }
                DataType::List(_) | DataType::LargeList(_) => return Err(unsupported()),
                leaf => {
                    if leaf.is_nested() {
                        return Err(unsupported());
                    }
                    break;
                }
            }
        }
        let mut shape = ColumnShape {
            levels,
            leaf: current.clone(),
            dims,
        };
        if let Some(tensor_dims) = tensor_dims(op, metadata)? {
            match shape.levels.as_slice() {
                [Level::Fixed { size, .. }] if tensor_dims.iter().product::<usize>() == *size => {
                    shape.dims = tensor_dims;
                }
                _ => {
                    return Err(Error::InvalidTensor {
                        op,
                        metadata: metadata
                            .and_then(|m| m.get(EXTENSION_METADATA))
                            .cloned()
                            .unwrap_or_default(),
                        reason: format!(
                            "the shape's product must equal the list size of the storage type FixedSizeList<T, n>; found {data_type}"
                        ),
                    });
                }
            }
        }
        Ok(shape)
    }

    /// NumPy's `ndim`.
    pub fn ndim(&self) -> usize {
        1 + self.dims.len()
    }

    fn is_list(&self) -> bool {
        matches!(self.levels.first(), Some(Level::List { .. }))
    }

    /// Normalises `axis` as NumPy does, with NumPy's error for an axis out of range.
    pub fn plan_axis(&self, op: Operation, axis: Axis, data_type: &DataType) -> Result<AxisPlan> {
        let plan = match axis {
            Axis::Flatten if self.ndim() == 1 => AxisPlan::Dim(0),
            Axis::Flatten => AxisPlan::Flatten,
            Axis::Index(i) => {
                let ndim = self.ndim() as i64;
                if i < -ndim || i >= ndim {
                    return Err(Error::AxisOutOfBounds {
                        op,
                        axis: i,
                        ndim: self.ndim(),
                    });
                }
                AxisPlan::Dim(if i < 0 { i + ndim } else { i } as usize)
            }
        };
        if self.is_list() && plan != AxisPlan::Dim(1) {
            return Err(Error::UnsupportedAxis {
                op,
                axis: axis.to_string(),
                data_type: data_type.clone(),
                accepted: "1 or -1 (within each list); variable-length lists have no other axis",
            });
        }
        Ok(plan)
    }

    /// The lanes of a chunk of `rows` rows (fixed-size columns only).
    pub fn layout(&self, axis: AxisPlan, rows: usize) -> Layout<'static> {
        let mut full = Vec::with_capacity(self.ndim());
        full.push(rows);
        full.extend_from_slice(&self.dims);
        match axis {
            AxisPlan::Flatten => Layout::single(full.iter().product()),
            AxisPlan::Dim(a) => Layout::Strided {
                outer: full[..a].iter().product(),
                len: full[a],
                inner: full[a + 1..].iter().product(),
            },
        }
    }

    /// The number of leaf elements in one row of a fixed-size column.
    fn row_elements(&self) -> usize {
        self.dims.iter().product()
    }

    /// The output type: the nesting of the input around `leaf_out`, or `leaf_out` itself
    /// when flattening. Element fields become nullable where the policy can add nulls.
    pub fn output_type(&self, leaf_out: &DataType, axis: AxisPlan, nulls: NullPolicy) -> DataType {
        if axis == AxisPlan::Flatten {
            return leaf_out.clone();
        }
        let mut child = leaf_out.clone();
        for (depth, level) in self.levels.iter().enumerate().rev() {
            let innermost = depth + 1 == self.levels.len();
            let adds_nulls = matches!(nulls, NullPolicy::Carry | NullPolicy::Propagate);
            child = match level {
                Level::Fixed { field, size } => DataType::FixedSizeList(
                    rebuild_field(field, child, innermost && adds_nulls),
                    *size as i32,
                ),
                Level::List { field, large } => {
                    let field = rebuild_field(field, child, innermost && adds_nulls);
                    if *large {
                        DataType::LargeList(field)
                    } else {
                        DataType::List(field)
                    }
                }
            };
        }
        child
    }

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
            Some(nulls) => copy_bits(&mut bits, 0, null_bits(&nulls)),
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
        let keep_level_nulls = matches!(nulls, NullPolicy::Skip | NullPolicy::Propagate);
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

    /// Where a flat element index lies: `row 3` or `row 3, element [1, 2]`.
    pub fn locate(&self, parts: &Decomposed<'_>, index: usize, rows_before: usize) -> String {
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
            return format!("row {}, element [{}]", rows_before + lo, index - start);
        }
        let per_row = self.row_elements();
        if self.dims.is_empty() || per_row == 0 {
            return format!("row {}", rows_before + index);
        }
        let (row, mut within) = (index / per_row, index % per_row);
        let mut position = vec![0; self.dims.len()];
        for (d, &dim) in self.dims.iter().enumerate().rev() {
            position[d] = within % dim;
            within /= dim;
        }
        let position: Vec<String> = position.iter().map(|p| p.to_string()).collect();
        format!(
            "row {}, element [{}]",
            rows_before + row,
            position.join(", ")
        )
    }
}

/// A field with a new type; nullable also when `make_nullable`.
fn rebuild_field(field: &FieldRef, data_type: DataType, make_nullable: bool) -> FieldRef {
    Arc::new(
        Field::clone(field)
            .with_data_type(data_type)
            .with_nullable(field.is_nullable() || make_nullable),
    )
}

fn downcast<T: 'static>(array: &dyn Array) -> Result<&T> {
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

/// The dimensions of an `arrow.fixed_shape_tensor` field, if the metadata names one.
fn tensor_dims(
    op: Operation,
    metadata: Option<&HashMap<String, String>>,
) -> Result<Option<Vec<usize>>> {
    let Some(metadata) = metadata else {
        return Ok(None);
    };
    if metadata.get(EXTENSION_NAME).map(String::as_str) != Some(FIXED_SHAPE_TENSOR) {
        return Ok(None);
    }
    let json = metadata
        .get(EXTENSION_METADATA)
        .cloned()
        .unwrap_or_default();
    let invalid = |reason: &str| Error::InvalidTensor {
        op,
        metadata: json.clone(),
        reason: reason.to_string(),
    };
    let shape = json_int_array(&json, "shape")
        .map_err(|r| invalid(&r))?
        .ok_or_else(|| invalid("it has no \"shape\" array"))?;
    if let Some(permutation) = json_int_array(&json, "permutation").map_err(|r| invalid(&r))? {
        let mut sorted = permutation.clone();
        sorted.sort_unstable();
        if sorted != (0..shape.len()).collect::<Vec<_>>() {
            return Err(invalid(
                "\"permutation\" is not a permutation of the dimensions",
            ));
        }
    }
    Ok(Some(shape))
}

/// The array of non-negative integers under `"key"` in a flat JSON object, if present.
fn json_int_array(json: &str, key: &str) -> std::result::Result<Option<Vec<usize>>, String> {
    let quoted = format!("\"{key}\"");
    let mut rest = json;
    while let Some(at) = rest.find(&quoted) {
        let after = rest[at + quoted.len()..].trim_start();
        let Some(value) = after.strip_prefix(':') else {
            rest = &rest[at + quoted.len()..];
            continue;
        };
        let value = value.trim_start();
        let Some(body) = value.strip_prefix('[') else {
            return Err(format!("\"{key}\" is not an array"));
        };
        let end = body
            .find(']')
            .ok_or_else(|| format!("\"{key}\" is not closed"))?;
        let items = body[..end].trim();
        if items.is_empty() {
            return Ok(Some(vec![]));
        }
        return items
            .split(',')
            .map(|item| {
                item.trim().parse::<usize>().map_err(|_| {
                    format!(
                        "\"{key}\" holds '{}', not a non-negative integer",
                        item.trim()
                    )
                })
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(Some);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_metadata_is_read() {
        assert_eq!(
            json_int_array(r#"{"shape": [2, 3], "dim_names": ["shape", "x"]}"#, "shape"),
            Ok(Some(vec![2, 3]))
        );
        assert_eq!(
            json_int_array(r#"{"dim_names":["shape"],"shape":[4]}"#, "shape"),
            Ok(Some(vec![4]))
        );
        assert_eq!(json_int_array(r#"{"shape":[]}"#, "shape"), Ok(Some(vec![])));
        assert!(json_int_array(r#"{"shape":[1,-2]}"#, "shape").is_err());
        assert_eq!(json_int_array(r#"{}"#, "permutation"), Ok(None));
    }

    #[test]
    fn axes_map_to_lanes() {
        let shape = ColumnShape {
            levels: vec![],
            leaf: DataType::Int64,
            dims: vec![3, 4],
        };
        assert_eq!(
            shape.layout(AxisPlan::Dim(0), 2),
            Layout::Strided {
                outer: 1,
                len: 2,
                inner: 12
            }
        );
        assert_eq!(
            shape.layout(AxisPlan::Dim(1), 2),
            Layout::Strided {
                outer: 2,
                len: 3,
                inner: 4
            }
        );
        assert_eq!(
            shape.layout(AxisPlan::Dim(2), 2),
            Layout::Strided {
                outer: 6,
                len: 4,
                inner: 1
            }
        );
        assert_eq!(shape.layout(AxisPlan::Flatten, 2), Layout::single(24));
    }
}
