//! A Parquet file written with its columns encoded in parallel: one encoder thread per
//! leaf column and row group, while the query goes on producing the next batches.
//!
//! `ArrowWriter` encodes every column of a row group one after the other on the thread
//! that calls it; for a files-to-files job that thread is the one waiting for the query,
//! so encoding and the query take turns. Here the calling thread only splits batches into
//! leaf columns (references, no copy) and hands them on, and a row group that is full is
//! handed to a closing thread, which waits for its encoders and appends it to the file
//! while the next row group fills. The file has the same schema, row groups, properties
//! (compression, sorting columns) and Arrow schema metadata as `ArrowWriter` would write,
//! which is used to set it up.
//!
//! Memory: the encoded pages of at most two row groups (the one filling and the one
//! closing) and, per column, at most [`LEAVES_IN_FLIGHT`] arrays its encoder has not
//! consumed yet: a query faster than the encoders waits for them rather than piling up
//! its batches. `ArrowWriter` holds one row group.

use std::fs::File;
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use cumulus::datafusion::encodings_from_sample;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowLeafColumn, ArrowRowGroupWriterFactory, compute_leaves,
};
use datafusion::parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use datafusion::parquet::errors::ParquetError;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::file::writer::SerializedFileWriter;

/// A Parquet file being written; see the module documentation. Dropped without
/// [`ParquetOutput::finish`] (the query failed), its threads finish what they were given
/// and end; the command then discards the unnamed temporary file. The file is set up when
/// the first rows come: their values decide each column's encoding
/// ([`cumulus::datafusion::encodings_from_sample`]).
pub struct ParquetOutput {
    schema: SchemaRef,
    /// Before the first rows: the file and the properties it will be written with.
    waiting: Option<(File, WriterProperties)>,
    /// From the first rows on.
    writer: Option<Writer>,
}

impl ParquetOutput {
    /// A writer of `file` with `schema` and `properties`.
    pub fn try_new(
        file: File,
        schema: &SchemaRef,
        properties: WriterProperties,
    ) -> Result<Self, String> {
        // What ArrowWriter would refuse, refused now rather than at the first rows.
        ArrowSchemaConverter::new()
            .convert(schema)
            .map_err(|e| e.to_string())?;
        Ok(ParquetOutput {
            schema: Arc::clone(schema),
            waiting: Some((file, properties)),
            writer: None,
        })
    }

    /// Hands `batch` to the encoders, closing row groups as they fill.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if let Some((file, properties)) = self.waiting.take() {
            let properties = encodings_from_sample(properties, batch);
            self.writer = Some(Writer::try_new(file, &self.schema, properties)?);
        }
        let Some(writer) = &mut self.writer else {
            return Err("the Parquet writer stopped on an earlier error".into());
        };
        let written = writer.write(batch);
        if written.is_err() {
            // Nothing more goes to this file: `finish` then fails too.
            self.writer = None;
        }
        written
    }

    /// Encodes what is left and writes the footer.
    pub fn finish(self) -> Result<(), String> {
        match (self.writer, self.waiting) {
            (Some(writer), _) => writer.finish(),
            (None, Some((file, properties))) => {
                Writer::try_new(file, &self.schema, properties)?.finish()
            }
            (None, None) => Err("the Parquet writer stopped on an earlier error".into()),
        }
    }
}

/// The file set up and its row groups being encoded.
struct Writer {
    schema: SchemaRef,
    factory: ArrowRowGroupWriterFactory,
    row_group_rows: usize,
    /// The row group being encoded, if any rows were written since the last one closed.
    current: Option<RowGroup>,
    /// Row groups handed on so far (the index of the next one).
    row_groups: usize,
    /// Full row groups go there, in order; `None` once finished.
    closing: Option<SyncSender<RowGroup>>,
    /// The thread that owns the file: it appends the row groups and writes the footer.
    closer: Option<JoinHandle<Result<(), String>>>,
}

/// The encoders of one row group: a thread per leaf column, fed through a channel.
struct RowGroup {
    encoders: Vec<(Encoder, SyncSender<ArrowLeafColumn>)>,
    rows: usize,
}

/// The leaf arrays (one per batch) an encoder may have waiting: past them, the query
/// waits for the encoder, so that a query faster than its writer does not pile up a row
/// group of arrays in memory.
const LEAVES_IN_FLIGHT: usize = 16;

/// A thread encoding one leaf column of a row group into a column chunk.
type Encoder = JoinHandle<Result<ArrowColumnChunk, ParquetError>>;

impl Writer {
    fn try_new(
        file: File,
        schema: &SchemaRef,
        properties: WriterProperties,
    ) -> Result<Self, String> {
        // Row groups are cut by rows (the command sets 2^20), as ArrowWriter cuts them; a
        // byte limit is not applied here.
        let row_group_rows = properties
            .max_row_group_row_count()
            .unwrap_or(usize::MAX)
            .max(1);
        // ArrowWriter puts the Arrow schema into the file's metadata and converts the
        // schema; its lower half then takes the row groups.
        let writer = ArrowWriter::try_new(file, Arc::clone(schema), Some(properties))
            .map_err(|e| e.to_string())?;
        let (file, factory) = writer.into_serialized_writer().map_err(|e| e.to_string())?;
        // A rendezvous: a full row group waits until the one before it is in the file.
        let (closing, full) = sync_channel::<RowGroup>(0);
        let closer = std::thread::Builder::new()
            .name("parquet-row-groups".into())
            .spawn(move || {
                let mut file = file;
                for group in full {
                    append(&mut file, group)?;
                }
                file.close().map(drop).map_err(|e| e.to_string())
            })
            .map_err(|e| format!("cannot start the Parquet row group writer: {e}"))?;
        Ok(Writer {
            schema: Arc::clone(schema),
            factory,
            row_group_rows,
            current: None,
            row_groups: 0,
            closing: Some(closing),
            closer: Some(closer),
        })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        let mut offset = 0;
        while offset < batch.num_rows() {
            let group = match self.current.as_mut() {
                Some(group) => group,
                None => self.current.insert(self.start_row_group()?),
            };
            let take = (self.row_group_rows - group.rows).min(batch.num_rows() - offset);
            let part = batch.slice(offset, take);
            let mut encoders = group.encoders.iter();
            for (field, column) in self.schema.fields().iter().zip(part.columns()) {
                for leaf in compute_leaves(field, column).map_err(|e| e.to_string())? {
                    let Some((_, sender)) = encoders.next() else {
                        return Err("more leaf columns than the schema has".into());
                    };
                    // A closed channel means the encoder stopped on an error, which
                    // closing the row group reports.
                    let _ = sender.send(leaf);
                }
            }
            group.rows += take;
            offset += take;
            if group.rows == self.row_group_rows {
                self.close_row_group()?;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), String> {
        self.close_row_group()?;
        self.stop_closer()
    }

    /// Closes the closing thread's channel and waits for it: its result, the footer
    /// written or the first error.
    fn stop_closer(&mut self) -> Result<(), String> {
        drop(self.closing.take());
        match self.closer.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err("the Parquet row group writer failed unexpectedly".into()),
            None => Err("the Parquet writer stopped on an earlier error".into()),
        }
    }

    fn start_row_group(&self) -> Result<RowGroup, String> {
        let writers = self
            .factory
            .create_column_writers(self.row_groups)
            .map_err(|e| e.to_string())?;
        let mut encoders = Vec::with_capacity(writers.len());
        for mut writer in writers {
            let (sender, receiver) = sync_channel::<ArrowLeafColumn>(LEAVES_IN_FLIGHT);
            let handle = std::thread::Builder::new()
                .name("parquet-encoder".into())
                .spawn(move || {
                    for leaf in receiver {
                        writer.write(&leaf)?;
                    }
                    writer.close()
                })
                .map_err(|e| format!("cannot start a Parquet column encoder: {e}"))?;
            encoders.push((handle, sender));
        }
        Ok(RowGroup { encoders, rows: 0 })
    }

    /// Hands the current row group to the closing thread.
    fn close_row_group(&mut self) -> Result<(), String> {
        let Some(group) = self.current.take() else {
            return Ok(());
        };
        self.row_groups += 1;
        let sent = match &self.closing {
            Some(closing) => closing.send(group).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The closing thread stopped: its error says why.
        match self.stop_closer() {
            Err(e) => Err(e),
            Ok(()) => Err("the Parquet row group writer stopped early".into()),
        }
    }
}

/// Waits for the encoders of `group` and appends it to `file`.
fn append(file: &mut SerializedFileWriter<File>, group: RowGroup) -> Result<(), String> {
    let mut chunks = Vec::with_capacity(group.encoders.len());
    for (handle, sender) in group.encoders {
        drop(sender);
        let chunk = handle
            .join()
            .map_err(|_| "a Parquet column encoder failed unexpectedly".to_string())?
            .map_err(|e| e.to_string())?;
        chunks.push(chunk);
    }
    let mut row_group = file.next_row_group().map_err(|e| e.to_string())?;
    for chunk in chunks {
        chunk
            .append_to_row_group(&mut row_group)
            .map_err(|e| e.to_string())?;
    }
    row_group.close().map(drop).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        ArrayRef, FixedSizeListArray, Float64Array, Int32Array, StringArray,
    };
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use datafusion::parquet::file::metadata::SortingColumn;

    fn batches() -> (SchemaRef, Vec<RecordBatch>) {
        let item = Arc::new(Field::new("item", DataType::Float64, true));
        let schema = Arc::new(Schema::new(vec![
            Field::new("g", DataType::Int32, false),
            Field::new("x", DataType::Float64, true),
            Field::new("s", DataType::Utf8, true),
            Field::new("v", DataType::FixedSizeList(Arc::clone(&item), 2), true),
        ]));
        let batch = |start: i32, n: i32| {
            let g: Vec<i32> = (start..start + n).collect();
            let x: Vec<Option<f64>> = g
                .iter()
                .map(|&i| (i % 3 != 0).then_some(i as f64 * 0.5))
                .collect();
            let s: Vec<Option<String>> = g
                .iter()
                .map(|&i| (i % 4 != 1).then(|| format!("r{i}")))
                .collect();
            let values =
                Float64Array::from_iter((0..2 * n).map(|k| (k % 5 != 2).then_some(k as f64)));
            let v =
                FixedSizeListArray::try_new(Arc::clone(&item), 2, Arc::new(values), None).unwrap();
            let columns: Vec<ArrayRef> = vec![
                Arc::new(Int32Array::from(g)),
                Arc::new(Float64Array::from(x)),
                Arc::new(StringArray::from(s)),
                Arc::new(v),
            ];
            RecordBatch::try_new(Arc::clone(&schema), columns).unwrap()
        };
        (
            Arc::clone(&schema),
            vec![batch(0, 5), batch(5, 0), batch(5, 9), batch(14, 2)],
        )
    }

    fn properties() -> WriterProperties {
        WriterProperties::builder()
            .set_max_row_group_row_count(Some(4))
            .set_sorting_columns(Some(vec![SortingColumn {
                column_idx: 0,
                descending: false,
                nulls_first: false,
            }]))
            .build()
    }

    #[test]
    fn writes_the_file_arrow_writer_writes() {
        let (schema, batches) = batches();
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("ours.parquet");
        let mut writer =
            ParquetOutput::try_new(File::create(&ours).unwrap(), &schema, properties()).unwrap();
        for batch in &batches {
            writer.write(batch).unwrap();
        }
        writer.finish().unwrap();
        let theirs = dir.path().join("theirs.parquet");
        let mut reference = ArrowWriter::try_new(
            File::create(&theirs).unwrap(),
            Arc::clone(&schema),
            Some(properties()),
        )
        .unwrap();
        for batch in &batches {
            reference.write(batch).unwrap();
        }
        reference.close().unwrap();
        // Same encoders, same row groups, same metadata: the same bytes.
        assert_eq!(
            std::fs::read(&ours).unwrap(),
            std::fs::read(&theirs).unwrap()
        );

        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&ours).unwrap()).unwrap();
        let metadata = reader.metadata().clone();
        assert_eq!(metadata.num_row_groups(), 4, "16 rows in groups of 4");
        assert!(
            metadata
                .row_groups()
                .iter()
                .all(|g| g.sorting_columns().is_some())
        );
        let read: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
        let read = datafusion::arrow::compute::concat_batches(&schema, &read).unwrap();
        let written = datafusion::arrow::compute::concat_batches(&schema, &batches).unwrap();
        assert_eq!(read, written);
    }

    /// The first rows decide: a column of keys keeps its dictionary, a column of distinct
    /// integers in order is written as deltas, one of distinct integers in no order
    /// plain; the rows read back as written.
    #[test]
    fn distinct_columns_are_written_plain() {
        use datafusion::arrow::array::Int64Array;
        use datafusion::parquet::basic::Encoding;
        let schema = Arc::new(Schema::new(vec![
            Field::new("g", DataType::Int32, false),
            Field::new("t", DataType::Int64, false),
            Field::new("h", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(Int32Array::from_iter_values((0..5000).map(|i| i % 10))),
                Arc::new(Int64Array::from_iter_values(0..5000)),
                Arc::new(Int64Array::from_iter_values(
                    (0..5000_i64).map(|i| (i * 7919 % 8191) << 40),
                )),
            ],
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.parquet");
        let properties = WriterProperties::builder()
            .set_max_row_group_row_count(Some(2048))
            .build();
        let mut writer =
            ParquetOutput::try_new(File::create(&path).unwrap(), &schema, properties).unwrap();
        writer.write(&batch.slice(0, 3000)).unwrap();
        writer.write(&batch.slice(3000, 2000)).unwrap();
        writer.finish().unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        for group in reader.metadata().row_groups() {
            let dictionary = |i: usize| {
                group
                    .column(i)
                    .encodings()
                    .any(|e| e == Encoding::RLE_DICTIONARY)
            };
            let data = |i: usize| {
                group
                    .column(i)
                    .encodings()
                    .filter(|e| *e != Encoding::RLE && *e != Encoding::RLE_DICTIONARY)
                    .collect::<Vec<_>>()
            };
            assert!(dictionary(0), "g: keys keep their dictionary");
            assert!(!dictionary(1), "t: distinct values have no dictionary");
            assert_eq!(data(1), [Encoding::DELTA_BINARY_PACKED], "t: in order");
            assert!(!dictionary(2), "h: distinct values have no dictionary");
            assert_eq!(data(2), [Encoding::PLAIN], "h: in no order");
        }
        let read: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
        let read = datafusion::arrow::compute::concat_batches(&schema, &read).unwrap();
        assert_eq!(read, batch);
    }

    #[test]
    fn an_empty_result_is_a_valid_file() {
        let (schema, _) = batches();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.parquet");
        let writer =
            ParquetOutput::try_new(File::create(&path).unwrap(), &schema, properties()).unwrap();
        writer.finish().unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 0);
        assert_eq!(reader.schema().as_ref(), schema.as_ref());
    }
}
