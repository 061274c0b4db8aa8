//! Planning a scan (types, shape, axis) and running it chunk by chunk.

use std::collections::HashMap;

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::{DataType, Field};

use crate::array::leaf::{Failure, LeafJob, RunningState, scan_keyed_leaf, scan_leaf};
use crate::array::nested::null_bits;
use crate::array::shape::{AxisPlan, ColumnShape};
use crate::array::types::element_result_type;
use crate::policy::OutputNulls;
use crate::{Error, Operation, Overflow, Result, ScanOptions};

/// Everything decided before any data is seen.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub op: Operation,
    pub options: ScanOptions,
    pub input_type: DataType,
    pub shape: ColumnShape,
    pub axis: AxisPlan,
    /// The element type of the result.
    pub leaf_out: DataType,
    /// The column type of the result.
    pub output_type: DataType,
}

impl Plan {
    pub fn new(
        op: Operation,
        input_type: &DataType,
        metadata: Option<&HashMap<String, String>>,
        options: &ScanOptions,
    ) -> Result<Self> {
        let shape = ColumnShape::of(op, input_type, metadata)?;
        let leaf_out = element_result_type(op, &shape.leaf, options.dtype.as_ref()).map_err(
            |err| match err {
                // Name the column's type, not only its elements'.
                Error::UnsupportedType { .. } => Error::UnsupportedType {
                    op,
                    data_type: input_type.clone(),
                    accepted: op.accepted_types(),
                },
                other => other,
            },
        )?;
        let axis = shape.plan_axis(op, options.axis, input_type)?;
        let output_type = shape.output_type(&leaf_out, axis, options.nulls);
        Ok(Plan {
            op,
            options: options.clone(),
            input_type: input_type.clone(),
            shape,
            axis,
            leaf_out,
            output_type,
        })
    }

    /// The output field for an input field: same name, the output type, the metadata kept
    /// (an `arrow.fixed_shape_tensor` stays one unless flattened). Nullable exactly when
    /// the policy can leave a null row ([`crate::NullPolicy::output_nullable`]); the
    /// element fields of a nested output say the same of the elements.
    pub fn output_field(&self, input: &Field) -> Field {
        let mut metadata = input.metadata().clone();
        let flat_output = self.axis == AxisPlan::Flatten || self.shape.levels.is_empty();
        if self.axis == AxisPlan::Flatten {
            metadata.retain(|k, _| !k.starts_with("ARROW:extension:"));
        }
        let nulls = self.options.nulls;
        let nullable = if flat_output {
            // Every element of a flattened column is a row of the output: it is null
            // where the element, or a list holding it, is null.
            nulls.output_nullable(input.is_nullable() || self.shape.has_nullable_levels())
        } else {
            input.is_nullable() && nulls.keeps_null_rows()
        };
        Field::new(input.name(), self.output_type.clone(), nullable).with_metadata(metadata)
    }

    /// The error of a failed leaf scan; `locate` turns an element index into its row
    /// and position.
    pub fn failure_error(
        &self,
        failure: Failure,
        locate: impl FnOnce(usize) -> (usize, Option<Vec<usize>>),
    ) -> Error {
        match failure {
            Failure::Overflow(index) => {
                let (row, element) = locate(index);
                Error::Overflow {
                    op: self.op,
                    data_type: self.leaf_out.clone(),
                    row,
                    element,
                }
            }
            Failure::Bug(what) => Error::Internal {
                op: self.op,
                reason: what.to_string(),
            },
        }
    }
}

/// A scan over a column that arrives in chunks: RecordBatches of a stream, Polars chunks,
/// row groups of a file. It carries the running state (the running value or, along
/// axis 0, the running vector; whether a value or a null was seen), so the outputs of
/// any chunking concatenate to the one-shot result on the concatenated input.
///
/// With [`ScanOptions::reverse`], push the chunks from the last to the first.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Array, Int32Array, Int64Array};
/// use arrow::datatypes::DataType;
/// use cumulus::{Operation, ScanOptions, Scanner};
///
/// let mut scanner = Scanner::try_new(Operation::Cumsum, &DataType::Int32, &ScanOptions::default())?;
/// assert_eq!(scanner.output_type(), &DataType::Int64);
/// let first = scanner.push(&Int32Array::from(vec![1, 2]))?;
/// let second = scanner.push(&Int32Array::from(vec![Some(3), None, Some(4)]))?;
/// assert_eq!(first.as_ref(), &Int64Array::from(vec![1, 3]) as &dyn Array);
/// assert_eq!(second.as_ref(), &Int64Array::from(vec![Some(6), None, Some(10)]) as &dyn Array);
/// # Ok::<(), cumulus::Error>(())
/// ```
#[derive(Debug)]
pub struct Scanner {
    plan: Plan,
    state: RunningState,
    rows_seen: usize,
    /// Where the next chunk starts, for error messages, when the caller said so.
    next_chunk_row: Option<usize>,
    failed: bool,
}

/// The running state of one scan without its plan: what [`Scanner::swap_progress`]
/// exchanges. The default is a scan that has seen nothing.
#[derive(Debug, Default)]
#[cfg_attr(not(feature = "datafusion"), allow(dead_code))]
pub(crate) struct ScanProgress {
    state: RunningState,
    rows_seen: usize,
    failed: bool,
}

impl Scanner {
    /// A scanner for columns of `input_type`.
    ///
    /// # Errors
    /// When the operation does not accept the type, the `dtype` does not apply to it, or
    /// the axis does not exist: the same errors as the one-shot functions.
    pub fn try_new(op: Operation, input_type: &DataType, options: &ScanOptions) -> Result<Self> {
        Ok(Self::from_plan(Plan::new(op, input_type, None, options)?))
    }

    /// A scanner for the column described by `field`, reading its metadata: an
    /// `arrow.fixed_shape_tensor` field is scanned with the tensor's dimensions.
    ///
    /// # Errors
    /// As [`Scanner::try_new`], and for unreadable tensor metadata.
    pub fn for_field(op: Operation, field: &Field, options: &ScanOptions) -> Result<Self> {
        Ok(Self::from_plan(Plan::new(
            op,
            field.data_type(),
            Some(field.metadata()),
            options,
        )?))
    }

    /// Exchanges this scanner's running state (the running value, the rows seen, whether
    /// it failed) with `progress`: one scanner, one plan, and a progress per key lets a
    /// caller run many independent scans of the same kind (one per PARTITION BY key)
    /// with O(1) memory per key.
    #[cfg_attr(not(feature = "datafusion"), allow(dead_code))]
    pub(crate) fn swap_progress(&mut self, progress: &mut ScanProgress) {
        std::mem::swap(&mut self.state, &mut progress.state);
        std::mem::swap(&mut self.rows_seen, &mut progress.rows_seen);
        std::mem::swap(&mut self.failed, &mut progress.failed);
        self.next_chunk_row = None;
    }

    pub(crate) fn from_plan(plan: Plan) -> Self {
        Scanner {
            plan,
            state: RunningState::Empty,
            rows_seen: 0,
            next_chunk_row: None,
            failed: false,
        }
    }

    /// The type of every output chunk.
    pub fn output_type(&self) -> &DataType {
        &self.plan.output_type
    }

    /// The output field for the input field (same name and metadata, output type).
    pub fn output_field(&self, input: &Field) -> Field {
        self.plan.output_field(input)
    }

    /// The rows pushed since creation or the last [`Scanner::reset`].
    pub fn rows_seen(&self) -> usize {
        self.rows_seen
    }

    /// The row number that error messages give the next chunk's first row; by default
    /// the rows pushed so far. A caller that pushes chunks out of order (last first, for a
    /// `reverse` scan of a chunked column) says where each one starts in the column, so
    /// that an overflow names the same row as the one-shot scan of the whole column.
    ///
    /// ```
    /// use arrow::array::Int8Array;
    /// use arrow::datatypes::DataType;
    /// use cumulus::{Operation, Overflow, ScanOptions, Scanner};
    ///
    /// let options = ScanOptions::default()
    ///     .with_dtype(DataType::Int8)
    ///     .with_overflow(Overflow::Error)
    ///     .with_reverse(true);
    /// let mut scanner = Scanner::try_new(Operation::Cumsum, &DataType::Int8, &options)?;
    /// // The column is [100, 100, 1, 1]: its second chunk is pushed first.
    /// scanner.set_next_chunk_row(2);
    /// scanner.push(&Int8Array::from(vec![1, 1]))?;
    /// scanner.set_next_chunk_row(0);
    /// let err = scanner.push(&Int8Array::from(vec![100, 100])).unwrap_err();
    /// let whole = Int8Array::from(vec![100, 100, 1, 1]);
    /// let expected = cumulus::cumsum(&whole, &options).unwrap_err();
    /// assert_eq!(err.to_string(), expected.to_string());
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    pub fn set_next_chunk_row(&mut self, row: usize) {
        self.next_chunk_row = Some(row);
    }

    /// Scans a whole chunked column (the chunks of an Arrow `ChunkedArray`, a Polars
    /// Series, a stream) in one call and returns the output chunks in the input's order:
    /// with [`ScanOptions::reverse`] the chunks are pushed last first and the rows named
    /// in errors are the column's. The output of any chunking equals the one-shot scan of
    /// the concatenated column, which is never built.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use arrow::array::{Array, ArrayRef, Int64Array};
    /// use arrow::datatypes::DataType;
    /// use cumulus::{Operation, ScanOptions, Scanner};
    ///
    /// let chunks: Vec<ArrayRef> = vec![
    ///     Arc::new(Int64Array::from(vec![1, 2])),
    ///     Arc::new(Int64Array::from(vec![3])),
    /// ];
    /// let options = ScanOptions::default().with_reverse(true);
    /// let mut scanner = Scanner::try_new(Operation::Cumsum, &DataType::Int64, &options)?;
    /// let out = scanner.scan_chunks(&chunks)?;
    /// assert_eq!(out[0].as_ref(), &Int64Array::from(vec![6, 5]) as &dyn Array);
    /// assert_eq!(out[1].as_ref(), &Int64Array::from(vec![3]) as &dyn Array);
    /// # Ok::<(), cumulus::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Scanner::push`]; the scanner is reset first, so it may be reused.
    pub fn scan_chunks(&mut self, chunks: &[ArrayRef]) -> Result<Vec<ArrayRef>> {
        self.reset();
        if !self.plan.options.reverse {
            return chunks
                .iter()
                .map(|chunk| self.push(chunk.as_ref()))
                .collect();
        }
        let mut starts = Vec::with_capacity(chunks.len());
        let mut row = 0;
        for chunk in chunks {
            starts.push(row);
            row += chunk.len();
        }
        let mut outputs = Vec::with_capacity(chunks.len());
        for (chunk, &start) in chunks.iter().zip(&starts).rev() {
            self.set_next_chunk_row(start);
            outputs.push(self.push(chunk.as_ref())?);
        }
        outputs.reverse();
        Ok(outputs)
    }

    /// Scans `chunk`, whose rows belong to many independent scans of this scanner's plan
    /// (one per PARTITION BY key): row `i` continues the scan whose progress is
    /// `progress[slots[i]]`, and gets the value it would get were that key's rows pushed
    /// alone. One pass over the rows, in their order; this scanner's own state is not
    /// used.
    ///
    /// Only for what a step of one running value covers: a plain column (no lists or
    /// tensors) without nulls, wrapping arithmetic, forward, a primitive result, and every
    /// key's scan past its first row and settled under the null policy. `Ok(None)`, with
    /// nothing changed, for anything else (a key's first rows, say): the caller then
    /// pushes each key's rows with [`Scanner::push`].
    ///
    /// # Errors
    /// [`Error::ChunkType`] as [`Scanner::push`].
    #[cfg_attr(not(feature = "datafusion"), allow(dead_code))]
    pub(crate) fn push_keyed(
        &self,
        chunk: &dyn Array,
        slots: &[u32],
        progress: &mut [ScanProgress],
    ) -> Result<Option<ArrayRef>> {
        let plan = &self.plan;
        if chunk.data_type() != &plan.input_type {
            return Err(Error::ChunkType {
                op: plan.op,
                expected: plan.input_type.clone(),
                actual: chunk.data_type().clone(),
            });
        }
        let options = &plan.options;
        let plain = plan.shape.levels.is_empty() && plan.axis.crosses_rows();
        if !plain
            || options.overflow == Overflow::Error
            || options.reverse
            || chunk.logical_null_count() > 0
            || slots.len() != chunk.len()
            || progress.iter().any(|p| p.failed)
        {
            return Ok(None);
        }
        let mut states: Vec<&mut RunningState> =
            progress.iter_mut().map(|p| &mut p.state).collect();
        let scanned = scan_keyed_leaf(
            plan.op,
            options.nulls,
            &plan.leaf_out,
            chunk,
            slots,
            &mut states,
        )
        .map_err(|failure| plan.failure_error(failure, |index| (index, None)))?;
        if scanned.is_some() {
            for &slot in slots {
                if let Some(p) = progress.get_mut(slot as usize) {
                    p.rows_seen += 1;
                }
            }
        }
        Ok(scanned)
    }

    /// Forgets the running state: the next chunk starts a new scan.
    pub fn reset(&mut self) {
        self.state = RunningState::Empty;
        self.rows_seen = 0;
        self.next_chunk_row = None;
        self.failed = false;
    }

    /// Scans the next chunk.
    ///
    /// # Errors
    /// [`Error::ChunkType`] when the chunk's type differs from the scanner's input type;
    /// [`Error::Overflow`] under [`Overflow::Error`], naming the row counted from the first
    /// chunk pushed (or from where [`Scanner::set_next_chunk_row`] put this chunk). An overflow leaves the running state half updated, so every later
    /// push fails with [`Error::ScannerFailed`] until [`Scanner::reset`].
    pub fn push(&mut self, chunk: &dyn Array) -> Result<ArrayRef> {
        let plan = &self.plan;
        if self.failed {
            return Err(Error::ScannerFailed { op: plan.op });
        }
        if chunk.data_type() != &plan.input_type {
            return Err(Error::ChunkType {
                op: plan.op,
                expected: plan.input_type.clone(),
                actual: chunk.data_type().clone(),
            });
        }
        let parts = plan.shape.decompose(chunk)?;
        let first_row = self.next_chunk_row.unwrap_or(self.rows_seen);
        let n = parts.leaf.len();
        let validity = plan.shape.effective_validity(&parts);
        let layout = match &parts.offsets {
            Some(offsets) => offsets.layout(),
            None => plan.shape.layout(plan.axis, parts.rows),
        };
        let flat_output = plan.axis == AxisPlan::Flatten || plan.shape.levels.is_empty();
        // The input's nulls, as the output keeps them under Skip: every null element
        // when the output is flat, the elements' own nulls when it is nested again (null
        // rows stay on the rebuilt lists).
        let input_nulls = match (plan.options.nulls.output_nulls(), flat_output) {
            (OutputNulls::Input, true) => validity.clone(),
            (OutputNulls::Input, false) => parts.leaf.logical_nulls(),
            _ => None,
        };
        let job = LeafJob {
            op: plan.op,
            nulls: plan.options.nulls,
            checked: plan.options.overflow == Overflow::Error,
            reverse: plan.options.reverse,
            out_type: &plan.leaf_out,
            layout,
            validity: validity.as_ref().map(null_bits),
            input_nulls,
        };
        // Lanes within a row start afresh in every chunk; lanes across rows continue.
        let mut fresh = RunningState::Empty;
        let state = if plan.axis.crosses_rows() {
            &mut self.state
        } else {
            &mut fresh
        };
        let leaf = match scan_leaf(&job, parts.leaf.as_ref(), state) {
            Ok(leaf) => leaf,
            Err(failure) => {
                // The running state is half updated: the scan cannot go on.
                self.failed = true;
                return Err(plan
                    .failure_error(failure, |index| plan.shape.locate(&parts, index, first_row)));
            }
        };
        debug_assert_eq!(leaf.len(), n);
        let output = if flat_output {
            leaf
        } else {
            plan.shape
                .rebuild(&parts, leaf, &plan.output_type, plan.options.nulls)?
        };
        self.rows_seen += parts.rows;
        self.next_chunk_row = None;
        Ok(output)
    }
}
