//! The scans behind [`super::CumulativeHashWindowExec`]: [`KeyedScan`] runs every
//! window expression over rows of many PARTITION BY keys at once, one running state per
//! key, rows in the order they come; [`sort_and_scan`] orders a buffered partition by
//! (key, ORDER BY) first when its rows do not come in order.

use std::ops::Range;
use std::sync::Arc;

use std::collections::HashSet;

use arrow::array::{ArrayRef, NullArray, RecordBatch, RecordBatchOptions, UInt32Array};
use arrow::compute::{SortOptions, concat, interleave, take};
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use datafusion::common::{Result, exec_err, internal_err};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_expr::window::WindowExpr;
use datafusion::physical_plan::PhysicalExpr;

use super::errors::exec_error;
use super::exec::forward_scanner;
use super::keys::{GroupIds, KeyIds, OrderKeys, sortable_words};
use crate::array::ScanProgress;
use crate::{Operation, Scanner};

/// A chunk whose runs of equal keys average at least this many rows is scanned run by
/// run in place; otherwise its rows are first gathered key by key.
const RUN_ROWS: usize = 8;
/// When gathering, chunks grow until each key present has about this many rows, so that
/// a push into a key's scan covers many rows.
const ROWS_PER_KEY: usize = 64;
/// The largest chunk gathered at once.
const MAX_CHUNK: usize = 1 << 20;

/// One window expression: its argument, one scanner (the plan, shared) and the running
/// state of each key.
struct KeyedLane {
    expr: Arc<dyn WindowExpr>,
    op: Operation,
    scanner: Scanner,
    progress: Vec<ScanProgress>,
}

/// The window expressions of one execution partition, scanned with a running state per
/// PARTITION BY key.
pub(super) struct KeyedScan {
    schema: SchemaRef,
    partition_by: Vec<Arc<dyn PhysicalExpr>>,
    order_by: Vec<Arc<dyn PhysicalExpr>>,
    order_options: Vec<SortOptions>,
    ids: GroupIds,
    lanes: Vec<KeyedLane>,
    /// Per key, the chunk that last saw it (`generation`) and its slot in that chunk.
    stamp: Vec<u32>,
    slot: Vec<u32>,
    generation: u32,
    /// Rows to gather before scanning, learnt from the chunks so far (0: scan each batch
    /// as it comes).
    target: usize,
    /// The input columns a buffered partition holds as key ids only.
    key_columns: KeyColumns,
}

/// Input columns that are PARTITION BY keys and nothing else (no ORDER BY or argument
/// reads them): every row's value there is its key's, so a buffered partition need not
/// hold them. [`KeyedScan::strip`] replaces them with placeholders that hold no memory,
/// and each row's value comes back from its key id ([`KeyedScan::restore`] and the
/// sorted pieces). For a buffered `PARTITION BY g` of ints that is 4 bytes a row the
/// partition does not hold; for text keys, their bytes.
struct KeyColumns {
    /// `(input column, position in PARTITION BY)` of each such column.
    columns: Vec<(usize, usize)>,
    /// The input schema, and the one of stripped batches (those columns of type Null).
    input: SchemaRef,
    stripped: SchemaRef,
    /// Whether key values are being recorded ([`KeyedScan::hold_keys_as_ids`]).
    recording: bool,
    /// Per column, the values of keys `0..recorded` in id order, in chunks.
    values: Vec<Vec<ArrayRef>>,
    recorded: usize,
}

/// Where the rows of one key sit in a gathered chunk, and which key.
struct Segment {
    rows: Range<usize>,
    key: u32,
}

impl KeyedScan {
    pub fn try_new(
        exprs: &[Arc<dyn WindowExpr>],
        schema: SchemaRef,
        input: &SchemaRef,
    ) -> Result<Self> {
        let Some(first) = exprs.first() else {
            return internal_err!("CumulativeHashWindowExec: no window expression");
        };
        let lanes = exprs
            .iter()
            .map(|expr| match forward_scanner(expr)? {
                Some((op, scanner)) => Ok(KeyedLane {
                    expr: Arc::clone(expr),
                    op,
                    scanner,
                    progress: vec![],
                }),
                None => internal_err!(
                    "CumulativeHashWindowExec: {} is not a forward cumulus scan",
                    expr.name()
                ),
            })
            .collect::<Result<_>>()?;
        let partition_by = first.partition_by().to_vec();
        let key_types = partition_by
            .iter()
            .map(|e| e.data_type(input))
            .collect::<Result<Vec<_>>>()?;
        let key_columns = KeyColumns::new(exprs, input);
        Ok(KeyedScan {
            key_columns,
            schema,
            order_by: first
                .order_by()
                .iter()
                .map(|s| Arc::clone(&s.expr))
                .collect(),
            order_options: first.order_by().iter().map(|s| s.options).collect(),
            partition_by,
            ids: GroupIds::new(&key_types)?,
            lanes,
            stamp: vec![],
            slot: vec![],
            generation: 0,
            target: 0,
        })
    }

    /// The rows to gather before calling [`KeyedScan::scan_batches`].
    pub fn target_rows(&self) -> usize {
        self.target
    }

    /// Memory held per key and for the ids, roughly.
    pub fn state_size(&self) -> usize {
        let per_key = self.lanes.len() * (std::mem::size_of::<ScanProgress>() + 64) + 8;
        let values: usize = (self.key_columns.values.iter())
            .flatten()
            .map(|a| a.get_array_memory_size())
            .sum();
        self.ids.size() + self.ids.len() * per_key + values
    }

    /// The PARTITION BY key ids of `batch`'s rows, appended to `ids`.
    pub fn key_ids(&mut self, batch: &RecordBatch, ids: &mut Vec<u32>) -> Result<()> {
        let rows = batch.num_rows();
        let keys = self
            .partition_by
            .iter()
            .map(|e| e.evaluate(batch)?.into_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let (before, first) = (self.ids.len(), ids.len());
        self.ids.assign(&keys, rows, ids)?;
        if self.key_columns.recording && self.ids.len() > before {
            self.key_columns.record(&keys, &ids[first..], before)?;
        }
        Ok(())
    }

    /// From now on, records the values of new keys' PARTITION BY columns, so that
    /// [`KeyedScan::strip`] can leave those columns out of buffered batches. Call it
    /// before the first [`KeyedScan::key_ids`].
    pub fn hold_keys_as_ids(&mut self) -> Result<()> {
        if self.ids.len() > 0 {
            return internal_err!("CumulativeHashWindowExec: key values recorded too late");
        }
        self.key_columns.recording = !self.key_columns.columns.is_empty();
        Ok(())
    }

    /// `batch` (whose key ids were assigned) without the columns that are only
    /// PARTITION BY keys: placeholders of type Null stand in for them.
    pub fn strip(&self, batch: RecordBatch) -> Result<RecordBatch> {
        let kc = &self.key_columns;
        if !kc.recording {
            return Ok(batch);
        }
        let rows = batch.num_rows();
        let (_, mut columns, _) = batch.into_parts();
        for &(c, _) in &kc.columns {
            columns[c] = Arc::new(NullArray::new(rows));
        }
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(&kc.stripped),
            columns,
            &options,
        )?)
    }

    /// A batch [`KeyedScan::strip`] made, with its key columns put back from `ids`.
    pub fn restore(&mut self, batch: &RecordBatch, ids: &[u32]) -> Result<RecordBatch> {
        if !self.key_columns.recording {
            return Ok(batch.clone());
        }
        let ids = UInt32Array::from(ids.to_vec());
        let mut columns = batch.columns().to_vec();
        for k in 0..self.key_columns.columns.len() {
            let c = self.key_columns.columns[k].0;
            columns[c] = take(self.key_columns.values(k)?.as_ref(), &ids, None)?;
        }
        let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(&self.key_columns.input),
            columns,
            &options,
        )?)
    }

    /// The ORDER BY columns of `batch`, and their sort options.
    pub fn order_columns(&self, batch: &RecordBatch) -> Result<Vec<ArrayRef>> {
        let rows = batch.num_rows();
        self.order_by
            .iter()
            .map(|e| e.evaluate(batch)?.into_array(rows))
            .collect()
    }

    pub fn order_options(&self) -> &[SortOptions] {
        &self.order_options
    }

    /// How many keys have been seen.
    pub fn keys(&self) -> usize {
        self.ids.len()
    }

    /// Each window expression's argument over `batch`.
    fn arguments(&self, batch: &RecordBatch) -> Result<Vec<ArrayRef>> {
        self.lanes
            .iter()
            .map(|lane| {
                let values = lane.expr.evaluate_args(batch)?;
                match values.into_iter().next() {
                    Some(x) => Ok(x),
                    None => exec_err!("{}: no input column", lane.op),
                }
            })
            .collect()
    }

    /// Scans `batches` (consecutive input rows; `ids` their key ids if already known)
    /// and returns each with one column per window expression appended.
    pub fn scan_batches(
        &mut self,
        batches: &[RecordBatch],
        ids: Option<&[u32]>,
    ) -> Result<Vec<RecordBatch>> {
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        let owned;
        let ids = match ids {
            Some(ids) => ids,
            None => {
                let mut fresh = Vec::with_capacity(rows);
                for batch in batches {
                    self.key_ids(batch, &mut fresh)?;
                }
                owned = fresh;
                &owned
            }
        };
        if ids.len() != rows {
            return internal_err!(
                "CumulativeHashWindowExec: {} key ids for {rows} rows",
                ids.len()
            );
        }
        let per_batch = batches
            .iter()
            .map(|b| self.arguments(b))
            .collect::<Result<Vec<_>>>()?;
        let xs = (0..self.lanes.len())
            .map(|lane| match per_batch.as_slice() {
                [one] => Ok(Arc::clone(&one[lane])),
                many => Ok(concat(
                    &many.iter().map(|a| a[lane].as_ref()).collect::<Vec<_>>(),
                )?),
            })
            .collect::<Result<Vec<_>>>()?;
        let outputs = self.scan_rows(&xs, ids)?;
        let mut start = 0;
        batches
            .iter()
            .map(|batch| {
                let n = batch.num_rows();
                let mut columns = batch.columns().to_vec();
                columns.extend(outputs.iter().map(|o| {
                    if n == rows {
                        Arc::clone(o)
                    } else {
                        o.slice(start, n)
                    }
                }));
                start += n;
                Ok(RecordBatch::try_new(Arc::clone(&self.schema), columns)?)
            })
            .collect()
    }

    /// Scans rows whose keys are `ids` and arguments `xs` (one per lane), each key
    /// continuing its running state; returns one output per lane, rows in input order.
    fn scan_rows(&mut self, xs: &[ArrayRef], ids: &[u32]) -> Result<Vec<ArrayRef>> {
        let keys = self.ids.len();
        for lane in &mut self.lanes {
            lane.progress.resize_with(keys, ScanProgress::default);
        }
        let rows = ids.len();
        let mut runs: Vec<Segment> = vec![];
        let mut start = 0;
        for i in 1..=rows {
            if i == rows || ids[i] != ids[start] {
                runs.push(Segment {
                    rows: start..i,
                    key: ids[start],
                });
                start = i;
                if runs.len() * RUN_ROWS > rows {
                    break;
                }
            }
        }
        if runs.len() * RUN_ROWS <= rows {
            // Long runs (rows grouped by key): push each run where it is.
            self.target = 0;
            return self
                .lanes
                .iter_mut()
                .zip(xs)
                .map(|(lane, x)| lane.scan_segments(x, &runs))
                .collect();
        }
        // Short runs: one pass in row order, each row stepping its key's running value,
        // where the scanner can (`Scanner::push_keyed`: every key past its first row, no
        // nulls, ...). Otherwise gather the rows key by key (a stable counting sort), scan
        // each key's rows with one push, and put the results back in input order.
        // Gathering pays per key pushed, so chunks then grow until each key has rows
        // enough; the keyed step does not, and batches go as they come (no copy).
        self.target = 0;
        // The keyed step reads every key's state it is given: all of them, by key id, when
        // there are no more keys than rows; else, or when a key absent from the batch is
        // not settled (it saw a null, say), only those present, numbered by slot.
        let all_keys = keys <= rows;
        let mut slotted: Option<(Vec<u32>, Vec<u32>, Vec<u32>)> = None;
        let mut grouped: Option<(UInt32Array, Vec<Segment>, UInt32Array)> = None;
        let mut outputs = Vec::with_capacity(xs.len());
        for (lane_index, x) in xs.iter().enumerate() {
            let lane = &mut self.lanes[lane_index];
            let mut keyed = Ok(None);
            if all_keys {
                keyed = lane.scanner.push_keyed(x.as_ref(), ids, &mut lane.progress);
            }
            if matches!(keyed, Ok(None)) {
                let (slots, present, _) = match &slotted {
                    Some(s) => s,
                    None => slotted.insert(self.slot_rows(ids)),
                };
                let lane = &mut self.lanes[lane_index];
                let mut progress: Vec<ScanProgress> = present
                    .iter()
                    .map(|&k| std::mem::take(&mut lane.progress[k as usize]))
                    .collect();
                keyed = lane.scanner.push_keyed(x.as_ref(), slots, &mut progress);
                for (&k, p) in present.iter().zip(progress) {
                    lane.progress[k as usize] = p;
                }
            }
            if let Some(out) = keyed.map_err(exec_error)? {
                outputs.push(out);
                continue;
            }
            let Some((slots, present, counts)) = &slotted else {
                return internal_err!("CumulativeHashWindowExec: rows not numbered by key");
            };
            let (perm, segments, inverse) =
                grouped.get_or_insert_with(|| group_rows(slots, present, counts));
            self.target = (present.len() * ROWS_PER_KEY).min(MAX_CHUNK);
            let lane = &mut self.lanes[lane_index];
            let gathered = take(x.as_ref(), &*perm, None)?;
            let out = lane.scan_segments(&gathered, segments)?;
            outputs.push(take(out.as_ref(), &*inverse, None)?);
        }
        Ok(outputs)
    }

    /// Each row's slot among the keys present in `ids` (numbered in order of first
    /// appearance), those keys, and each one's number of rows.
    fn slot_rows(&mut self, ids: &[u32]) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
        let keys = self.ids.len();
        self.stamp.resize(keys, u32::MAX);
        self.slot.resize(keys, 0);
        self.generation = self.generation.wrapping_add(1);
        if self.generation == u32::MAX {
            self.stamp.fill(u32::MAX);
            self.generation = 0;
        }
        let mut present: Vec<u32> = vec![];
        let mut counts: Vec<u32> = vec![];
        let mut local = Vec::with_capacity(ids.len());
        for &id in ids {
            let k = id as usize;
            if self.stamp[k] != self.generation {
                self.stamp[k] = self.generation;
                self.slot[k] = present.len() as u32;
                present.push(id);
                counts.push(0);
            }
            let s = self.slot[k];
            counts[s as usize] += 1;
            local.push(s);
        }
        (local, present, counts)
    }
}

/// A stable counting sort of rows by key, from [`KeyedScan::slot_rows`]: the row order,
/// each key's rows in it, and the inverse order (where each row went).
fn group_rows(
    slots: &[u32],
    present: &[u32],
    counts: &[u32],
) -> (UInt32Array, Vec<Segment>, UInt32Array) {
    let mut segments = Vec::with_capacity(present.len());
    let mut next = Vec::with_capacity(present.len());
    let mut at = 0usize;
    for (&key, &count) in present.iter().zip(counts) {
        next.push(at as u32);
        segments.push(Segment {
            rows: at..at + count as usize,
            key,
        });
        at += count as usize;
    }
    let mut perm = vec![0u32; slots.len()];
    let mut inverse = vec![0u32; slots.len()];
    for (i, &s) in slots.iter().enumerate() {
        let p = &mut next[s as usize];
        perm[*p as usize] = i as u32;
        inverse[i] = *p;
        *p += 1;
    }
    (
        UInt32Array::from(perm),
        segments,
        UInt32Array::from(inverse),
    )
}

impl KeyColumns {
    fn new(exprs: &[Arc<dyn WindowExpr>], input: &SchemaRef) -> Self {
        let mut read = HashSet::new();
        for expr in exprs {
            let order = expr.order_by().iter().map(|s| &s.expr);
            for e in expr.expressions().iter().chain(order) {
                read.extend(collect_columns(e).into_iter().map(|c| c.index()));
            }
        }
        let mut columns: Vec<(usize, usize)> = vec![];
        if let Some(first) = exprs.first() {
            for (p, e) in first.partition_by().iter().enumerate() {
                let Some(column) = e.downcast_ref::<Column>() else {
                    continue;
                };
                let c = column.index();
                let Some(field) = input.fields().get(c) else {
                    continue;
                };
                if !read.contains(&c)
                    && field.data_type() != &DataType::Null
                    && !columns.iter().any(|&(seen, _)| seen == c)
                {
                    columns.push((c, p));
                }
            }
        }
        let mut fields: Vec<FieldRef> = input.fields().iter().cloned().collect();
        for &(c, _) in &columns {
            fields[c] = Arc::new(Field::new(fields[c].name(), DataType::Null, true));
        }
        KeyColumns {
            values: vec![vec![]; columns.len()],
            columns,
            input: Arc::clone(input),
            stripped: Arc::new(Schema::new(fields)),
            recording: false,
            recorded: 0,
        }
    }

    /// Records the values of the keys numbered from `before` on, first seen in a batch
    /// whose PARTITION BY columns are `keys` and key ids `ids`.
    fn record(&mut self, keys: &[ArrayRef], ids: &[u32], before: usize) -> Result<()> {
        if self.recorded != before {
            return internal_err!("CumulativeHashWindowExec: key values out of step");
        }
        // Ids are given in order of first appearance: new keys' first rows come in id order.
        let mut rows = vec![];
        let mut next = before as u32;
        for (row, &id) in ids.iter().enumerate() {
            if id == next {
                rows.push(row as u32);
                next += 1;
            }
        }
        let rows = UInt32Array::from(rows);
        for (values, &(_, p)) in self.values.iter_mut().zip(&self.columns) {
            values.push(take(keys[p].as_ref(), &rows, None)?);
        }
        self.recorded = next as usize;
        Ok(())
    }

    /// The values of every key recorded, in id order, for column `k` of `columns`.
    fn values(&mut self, k: usize) -> Result<ArrayRef> {
        let chunks = &mut self.values[k];
        if chunks.len() > 1 {
            let whole = concat(&chunks.iter().map(|a| a.as_ref()).collect::<Vec<_>>())?;
            *chunks = vec![whole];
        }
        match chunks.first() {
            Some(values) => Ok(Arc::clone(values)),
            None => internal_err!("CumulativeHashWindowExec: no key values recorded"),
        }
    }
}

impl KeyedLane {
    /// Pushes each segment of `x` into its key's scan; the outputs concatenated.
    fn scan_segments(&mut self, x: &ArrayRef, segments: &[Segment]) -> Result<ArrayRef> {
        let mut outputs = Vec::with_capacity(segments.len());
        for segment in segments {
            let Some(progress) = self.progress.get_mut(segment.key as usize) else {
                return internal_err!("CumulativeHashWindowExec: a key without a running state");
            };
            let chunk = if segment.rows.len() == x.len() {
                Arc::clone(x)
            } else {
                x.slice(segment.rows.start, segment.rows.len())
            };
            self.scanner.swap_progress(progress);
            let out = self.scanner.push(chunk.as_ref());
            self.scanner.swap_progress(progress);
            let out = out.map_err(exec_error)?;
            if out.len() != segment.rows.len() {
                return exec_err!(
                    "{}: the scan returned {} values for {} rows",
                    self.op,
                    out.len(),
                    segment.rows.len()
                );
            }
            outputs.push(out);
        }
        Ok(match outputs.as_slice() {
            [one] => Arc::clone(one),
            many => concat(&many.iter().map(|a| a.as_ref()).collect::<Vec<_>>())?,
        })
    }
}

/// Rows per gathered piece (and output batch) in [`sort_and_scan`].
const PIECE: usize = 1 << 16;

/// A whole partition whose rows do not come in the window's order: `batches` with key
/// ids `ids` (one per row, all batches in order) and ORDER BY keys found by `order`. Sorts the
/// rows by (key, ORDER BY key, input position) with a counting sort by key and a sort of
/// each key's rows that are out of order (`unsorted`, by key id), and returns the
/// batches of the result in that order, [`PIECE`] rows at a time as they are asked for:
/// each gathers its rows' columns from `batches`, scans each key's rows (a scanner reset
/// at each key) and appends the results. Memory: the sort's permutation (4 bytes a row)
/// and one piece beside the buffered input, which the caller releases once the last
/// piece is out.
pub(super) fn sort_and_scan<'a>(
    scan: &'a mut KeyedScan,
    batches: &'a [RecordBatch],
    ids: KeyIds,
    order: SortKeys,
    unsorted: &[bool],
) -> Result<SortedScan<'a>> {
    let rows = ids.len();
    let keys = scan.keys();
    let mut batch_starts = Vec::with_capacity(batches.len() + 1);
    let mut total = 0;
    for batch in batches {
        batch_starts.push(total);
        total += batch.num_rows();
    }
    batch_starts.push(total);
    if total != rows {
        return internal_err!("CumulativeHashWindowExec: {rows} key ids for {total} rows");
    }
    // Counting sort by key.
    let mut starts = vec![0usize; keys + 1];
    ids.for_each(|_, id| starts[id as usize + 1] += 1);
    for k in 0..keys {
        starts[k + 1] += starts[k];
    }
    let mut next = starts.clone();
    let mut perm = vec![0u32; rows];
    ids.for_each(|i, id| {
        let p = &mut next[id as usize];
        perm[*p] = i as u32;
        *p += 1;
    });
    drop(ids);
    drop(next);
    // Each key's rows in the window's order (ties in input order).
    let mut pairs: Vec<(u64, u32)> = vec![];
    for k in 0..keys {
        if !unsorted.get(k).copied().unwrap_or(true) {
            continue;
        }
        let segment = &mut perm[starts[k]..starts[k + 1]];
        match &order {
            SortKeys::All(OrderKeys::Words(words)) => {
                pairs.clear();
                pairs.extend(segment.iter().map(|&i| (words[i as usize], i)));
            }
            SortKeys::All(keys @ OrderKeys::Rows(_)) => {
                segment.sort_by(|&a, &b| keys.cmp(a as usize, b as usize).then(a.cmp(&b)));
                continue;
            }
            SortKeys::Column {
                columns,
                descending,
            } => {
                let indices: Vec<(usize, usize)> =
                    segment.iter().map(|&i| locate(&batch_starts, i)).collect();
                let parts: Vec<&dyn arrow::array::Array> =
                    columns.iter().map(|c| c.as_ref()).collect();
                let values = interleave(&parts, &indices)?;
                let Some(words) = sortable_words(values.as_ref(), *descending) else {
                    return internal_err!(
                        "CumulativeHashWindowExec: cannot order {}",
                        values.data_type()
                    );
                };
                pairs.clear();
                pairs.extend(words.into_iter().zip(segment.iter().copied()));
            }
        }
        pairs.sort_unstable();
        for (slot, (_, i)) in segment.iter_mut().zip(&pairs) {
            *slot = *i;
        }
    }
    drop(order);
    drop(pairs);
    let per_batch = batches
        .iter()
        .map(|b| scan.arguments(b))
        .collect::<Result<Vec<_>>>()?;
    Ok(SortedScan {
        scan,
        batches,
        per_batch,
        perm,
        starts,
        batch_starts,
        at: 0,
        key: 0,
    })
}

/// How [`sort_and_scan`] finds each row's ORDER BY key.
pub(super) enum SortKeys {
    /// The keys of every row, numbered across the batches.
    All(OrderKeys),
    /// One primitive ORDER BY column without nulls, left where it is (`columns[b]` is
    /// batch `b`'s): a key's values are gathered and encoded when its rows are sorted,
    /// so that no copy of the whole column is held.
    Column {
        columns: Vec<ArrayRef>,
        descending: bool,
    },
}

/// The batch holding input row `row` and the row's position in it, `batch_starts` being
/// the first row of each batch (and the total).
fn locate(batch_starts: &[usize], row: u32) -> (usize, usize) {
    let row = row as usize;
    let batch = batch_starts
        .partition_point(|&s| s <= row)
        .saturating_sub(1);
    (batch, row - batch_starts[batch])
}

/// The output of [`sort_and_scan`], a piece at a time.
pub(super) struct SortedScan<'a> {
    scan: &'a mut KeyedScan,
    batches: &'a [RecordBatch],
    /// Each batch's window arguments, one per lane.
    per_batch: Vec<Vec<ArrayRef>>,
    /// Input rows in (key, ORDER BY) order.
    perm: Vec<u32>,
    /// Where each key's rows start in `perm` (one more entry than keys).
    starts: Vec<usize>,
    /// The first input row of each batch, and the number of rows.
    batch_starts: Vec<usize>,
    /// The next position in `perm`.
    at: usize,
    /// The key whose rows `at` is in.
    key: usize,
}

impl SortedScan<'_> {
    fn piece(&mut self) -> Result<RecordBatch> {
        let end = (self.at + PIECE).min(self.perm.len());
        let indices: Vec<(usize, usize)> = self.perm[self.at..end]
            .iter()
            .map(|&i| locate(&self.batch_starts, i))
            .collect();
        let width = self.batches.first().map_or(0, |b| b.num_columns());
        let mut columns = Vec::with_capacity(width + self.scan.lanes.len());
        for c in 0..width {
            let parts: Vec<&dyn arrow::array::Array> =
                self.batches.iter().map(|b| b.column(c).as_ref()).collect();
            columns.push(interleave(&parts, &indices)?);
        }
        // Columns held as key ids: rows come key by key, each taking its key's value.
        if self.scan.key_columns.recording {
            let mut keys = Vec::with_capacity(end - self.at);
            let mut key = self.key;
            for at in self.at..end {
                while self.starts[key + 1] <= at {
                    key += 1;
                }
                keys.push(key as u32);
            }
            let keys = UInt32Array::from(keys);
            for k in 0..self.scan.key_columns.columns.len() {
                let c = self.scan.key_columns.columns[k].0;
                let values = self.scan.key_columns.values(k)?;
                columns[c] = take(values.as_ref(), &keys, None)?;
            }
        }
        for (l, lane) in self.scan.lanes.iter_mut().enumerate() {
            let parts: Vec<&dyn arrow::array::Array> =
                self.per_batch.iter().map(|a| a[l].as_ref()).collect();
            let gathered = interleave(&parts, &indices)?;
            let mut outputs = vec![];
            let (mut at, mut key) = (self.at, self.key);
            while at < end {
                while self.starts[key + 1] <= at {
                    key += 1;
                }
                if self.starts[key] == at {
                    // A new key: its scan starts afresh, rows counted from 0.
                    lane.scanner.reset();
                }
                let stop = self.starts[key + 1].min(end);
                let out = lane
                    .scanner
                    .push(gathered.slice(at - self.at, stop - at).as_ref())
                    .map_err(exec_error)?;
                if out.len() != stop - at {
                    return exec_err!(
                        "{}: the scan returned {} values for {} rows",
                        lane.op,
                        out.len(),
                        stop - at
                    );
                }
                outputs.push(out);
                at = stop;
            }
            columns.push(match outputs.as_slice() {
                [one] => Arc::clone(one),
                many => concat(&many.iter().map(|a| a.as_ref()).collect::<Vec<_>>())?,
            });
        }
        while self.key + 1 < self.starts.len() && self.starts[self.key + 1] <= end {
            self.key += 1;
        }
        self.at = end;
        Ok(RecordBatch::try_new(
            Arc::clone(&self.scan.schema),
            columns,
        )?)
    }
}

impl Iterator for SortedScan<'_> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        (self.at < self.perm.len()).then(|| self.piece())
    }
}
