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

use arrow::datatypes::{DataType, Field, FieldRef};

use crate::array::tensor::{EXTENSION_METADATA, tensor_dims};
use crate::kernels::Layout;
use crate::{Axis, Error, NullPolicy, Operation, Result};

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
            accepted: op.accepted_types(),
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

    /// Whether an element or an inner list can be null (a list level's child field is
    /// nullable).
    pub fn has_nullable_levels(&self) -> bool {
        self.levels.iter().any(|level| match level {
            Level::Fixed { field, .. } | Level::List { field, .. } => field.is_nullable(),
        })
    }

    /// NumPy's `ndim`.
    pub fn ndim(&self) -> usize {
        1 + self.dims.len()
    }

    pub(crate) fn is_list(&self) -> bool {
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
                axis,
                data_type: data_type.clone(),
                accepted: "1 or -1 (within each list); variable-length lists have no other axis"
                    .into(),
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
    pub(crate) fn row_elements(&self) -> usize {
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
            let adds_nulls = nulls.can_add_nulls();
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
}

/// A field with a new type; nullable also when `make_nullable`.
fn rebuild_field(field: &FieldRef, data_type: DataType, make_nullable: bool) -> FieldRef {
    Arc::new(
        Field::clone(field)
            .with_data_type(data_type)
            .with_nullable(field.is_nullable() || make_nullable),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
