//! What the readers do not check: every size a file states is checked against the file's
//! length before a reader allocates that much, because a failed allocation aborts the
//! process (it cannot be caught like a panic; see `guard.rs`).
//!
//! - Parquet: the footer's metadata length must fit in the file (parquet 59's metadata
//!   decoder subtracts it from the file length unchecked: `PAR1PAR1` panics); no list in
//!   the metadata may state more elements than bytes remain (`thrift.rs`); every column
//!   chunk and page index must lie inside the file.
//! - Arrow IPC: every block and message must lie inside the file, every buffer inside its
//!   message body, a compressed buffer's stated size must be reachable from its compressed
//!   bytes, and a record batch may not claim more rows than its body can hold (DataFusion
//!   reads only the columns a query needs, so `SELECT 1` on a batch claiming 2^60 rows would
//!   allocate for them). arrow-ipc 59 trusts all of these.
//!
//! CSV and JSON lines are read by parsers that only allocate for what they read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use arrow::datatypes::{DataType, Schema};
use arrow::ipc::{self, Message, MessageHeader};
use datafusion::parquet::file::metadata::ParquetMetaDataReader;

use crate::guard;
use crate::tables::Format;

mod thrift;

/// Checks the file at `path` for the sizes its reader trusts; `Err` is the command's message.
pub fn file(format: Format, path: &Path) -> Result<(), String> {
    // flatbuffers' verifier errors carry a trace on further lines.
    let fail = |reason: String| {
        let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
        format!("cannot read '{}': {reason}", path.display())
    };
    let mut file = SizedFile::open(path).map_err(fail)?;
    match format {
        Format::Parquet => parquet(&mut file),
        Format::ArrowIpc => arrow_ipc(&mut file, path),
        Format::Csv | Format::JsonLines => Ok(()),
    }
    .map_err(fail)
}

/// A file and its length, read at offsets already checked against that length.
struct SizedFile {
    file: File,
    len: u64,
}

impl SizedFile {
    fn open(path: &Path) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let len = file.metadata().map_err(|e| e.to_string())?.len();
        Ok(SizedFile { file, len })
    }

    /// `len` bytes at `offset`; the caller checked that they lie inside the file.
    fn bytes(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, String> {
        debug_assert!(offset.checked_add(len).is_some_and(|end| end <= self.len));
        let mut buf = vec![0; len as usize];
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.read_exact(&mut buf))
            .map_err(|e| format!("cannot read {len} bytes at offset {offset}: {e}"))?;
        Ok(buf)
    }

    fn array<const N: usize>(&mut self, offset: u64) -> Result<[u8; N], String> {
        let bytes = self.bytes(offset, N as u64)?;
        Ok(bytes.try_into().expect("N bytes were read"))
    }
}

const PARQUET_MAGIC: &[u8; 4] = b"PAR1";
const PARQUET_ENCRYPTED_MAGIC: &[u8; 4] = b"PARE";

/// `PAR1`, the data, the metadata, its 4-byte length and `PAR1` (or `PARE`, encrypted).
fn parquet(file: &mut SizedFile) -> Result<(), String> {
    let len = file.len;
    if len < 12 {
        return Err(format!(
            "too short for Parquet ({len} bytes; a Parquet file has at least 12: PAR1, its \
             metadata, the metadata's 4-byte length and PAR1)"
        ));
    }
    if &file.array::<4>(0)? != PARQUET_MAGIC {
        return Err("not a Parquet file: it does not start with the magic bytes PAR1".into());
    }
    let tail = file.array::<8>(len - 8)?;
    if &tail[4..] != PARQUET_MAGIC && &tail[4..] != PARQUET_ENCRYPTED_MAGIC {
        return Err(
            "not a Parquet file, or a truncated one: it does not end with the magic bytes PAR1"
                .into(),
        );
    }
    let metadata_len = u64::from(u32::from_le_bytes(tail[..4].try_into().expect("4 bytes")));
    if metadata_len > len - 12 {
        return Err(format!(
            "damaged Parquet footer: it gives a metadata length of {metadata_len} bytes, but \
             the file holds {} bytes between its magic bytes",
            len - 12
        ));
    }
    if &tail[4..] == PARQUET_ENCRYPTED_MAGIC {
        // Encrypted metadata cannot be walked; the reader refuses it (no keys are given).
        return Ok(());
    }
    let data_end = len - 8 - metadata_len;
    let metadata = file.bytes(data_end, metadata_len)?;
    thrift::check_struct(&metadata).map_err(|e| format!("damaged Parquet metadata: {e}"))?;
    let reading = Mutex::new(vec![]);
    let decoded = guard::catch(&reading, || {
        ParquetMetaDataReader::decode_metadata(&metadata).map_err(|e| e.to_string())
    })
    .map_err(|e| format!("damaged Parquet metadata: {e}"))?;
    // Where the reader will read: every column chunk and page index inside the data.
    let inside = |start: Option<i64>, len: Option<i64>| match (start, len) {
        (Some(start), Some(len)) => {
            start >= 0
                && len >= 0
                && (start as u64)
                    .checked_add(len as u64)
                    .is_some_and(|end| end <= data_end)
        }
        (None, _) | (_, None) => true,
    };
    for (g, group) in decoded.row_groups().iter().enumerate() {
        if group.num_rows() < 0 {
            return Err(format!(
                "damaged Parquet metadata: row group {g} has {} rows",
                group.num_rows()
            ));
        }
        for (c, column) in group.columns().iter().enumerate() {
            let start = column
                .dictionary_page_offset()
                .unwrap_or(column.data_page_offset());
            let chunk = inside(Some(start), Some(column.compressed_size()));
            let column_index = inside(
                column.column_index_offset(),
                column.column_index_length().map(i64::from),
            );
            let offset_index = inside(
                column.offset_index_offset(),
                column.offset_index_length().map(i64::from),
            );
            let bloom_filter = inside(
                column.bloom_filter_offset(),
                column.bloom_filter_length().map(i64::from),
            );
            if column.num_values() < 0 {
                return Err(format!(
                    "damaged Parquet metadata: column chunk {c} of row group {g} has {} values",
                    column.num_values()
                ));
            }
            if !(chunk && column_index && offset_index && bloom_filter) {
                return Err(format!(
                    "damaged Parquet metadata: column chunk {c} of row group {g} lies outside \
                     the file's {data_end} bytes of data"
                ));
            }
            pages(file, start as u64, column.compressed_size() as u64).map_err(|e| {
                format!("damaged Parquet page in column chunk {c} of row group {g}: {e}")
            })?;
        }
    }
    Ok(())
}

/// The bytes read at a page's offset to find its header, at first (four times as many
/// each time a header does not fit).
const PAGE_HEADER_WINDOW: u64 = 4 << 10;

/// A page header larger than this is refused (writers keep them to a few hundred bytes,
/// with statistics truncated).
const MAX_PAGE_HEADER: u64 = 16 << 20;

/// Walks the page headers of the column chunk at `start` (Thrift, checked as the metadata
/// is: parquet 59 reserves a statistics value's stated length before reading it) and
/// their stated sizes, to the chunk's end.
fn pages(file: &mut SizedFile, start: u64, len: u64) -> Result<(), String> {
    let end = start + len;
    let mut position = start;
    // The bytes last read, at their offset: small pages are walked without a read each.
    // Headers are a few hundred bytes: a window of a few KiB reads one or several, where
    // 64 KiB read (and zeroed) more than the whole file for pages of about that size.
    let mut buffer: (u64, Vec<u8>) = (0, vec![]);
    while position < end {
        let mut window = PAGE_HEADER_WINDOW;
        let (header_len, fields) = loop {
            let want = (end - position).min(window);
            let covered =
                buffer.0 <= position && position + want <= buffer.0 + buffer.1.len() as u64;
            if !covered {
                buffer = (position, file.bytes(position, want)?);
            }
            let from = (position - buffer.0) as usize;
            match thrift::check_struct_fields(&buffer.1[from..from + want as usize]) {
                Ok(header) => break header,
                // Perhaps only cut by the window: read more.
                Err(_) if want < (end - position).min(MAX_PAGE_HEADER) => window *= 4,
                Err(e) => return Err(format!("its header at offset {position}: {e}")),
            }
        };
        // PageHeader: 2 uncompressed_page_size, 3 compressed_page_size (i32).
        let field = |id| fields.iter().find(|(f, _)| *f == id).map(|(_, v)| *v);
        let (Some(uncompressed), Some(compressed)) = (field(2), field(3)) else {
            return Err(format!(
                "the header at offset {position} lacks the page's sizes"
            ));
        };
        let body_end = (position + header_len as u64).checked_add(compressed as u64);
        if compressed < 0 || body_end.is_none_or(|body_end| body_end > end) {
            return Err(format!(
                "the page at offset {position} states {compressed} bytes, past the chunk's end"
            ));
        }
        let reachable = (compressed as u64 + 64).saturating_mul(MAX_EXPANSION);
        if uncompressed < 0 || uncompressed as u64 > reachable.min(physical_memory()) {
            return Err(format!(
                "the page at offset {position} states {uncompressed} bytes uncompressed from \
                 {compressed} compressed"
            ));
        }
        position = body_end.unwrap_or(end);
    }
    Ok(())
}

const ARROW_MAGIC: &[u8; 6] = b"ARROW1";

/// What precedes a message's metadata length since Arrow 0.15.
const CONTINUATION_MARKER: [u8; 4] = [0xff; 4];

/// The size of a compressed buffer's uncompressed-length prefix.
const COMPRESSED_PREFIX: u64 = 8;

/// No LZ4 frame or zstd frame expands its input more than this: zstd's densest block (a
/// repeated byte) is 4 bytes for up to 128 KiB, LZ4 at most about 255 times.
const MAX_EXPANSION: u64 = 1 << 16;

/// An Arrow IPC file (`ARROW1`, padding, a stream, the footer, its length, `ARROW1`) or,
/// without the leading magic, an IPC stream; DataFusion reads both, choosing by the first
/// bytes.
fn arrow_ipc(file: &mut SizedFile, path: &Path) -> Result<(), String> {
    let len = file.len;
    let starts = len >= 6 && &file.array::<6>(0)? == ARROW_MAGIC;
    let ends = len >= 6 && &file.array::<6>(len - 6)? == ARROW_MAGIC;
    match (starts, ends) {
        (true, _) => arrow_ipc_file(file, path),
        (false, true) => Err(
            "damaged Arrow IPC file: it ends with the magic bytes ARROW1 but does not start \
             with them"
                .into(),
        ),
        (false, false) => arrow_ipc_stream(file, path),
    }
}

fn arrow_ipc_file(file: &mut SizedFile, path: &Path) -> Result<(), String> {
    let len = file.len;
    // ARROW1, 2 bytes of padding, ..., footer, footer length, ARROW1.
    if len < 18 {
        return Err(format!(
            "too short for an Arrow IPC file ({len} bytes; it has at least 18: ARROW1, \
             padding, a footer, its 4-byte length and ARROW1)"
        ));
    }
    let footer_len = i32::from_le_bytes(file.array::<4>(len - 10)?);
    let data_end = len - 10;
    if footer_len < 0 || footer_len as u64 > data_end - 8 {
        return Err(format!(
            "damaged Arrow IPC file: its footer length is {footer_len} bytes, but the file \
             holds {} bytes between its magic bytes",
            data_end - 8
        ));
    }
    let footer_start = data_end - footer_len as u64;
    let footer_bytes = file.bytes(footer_start, footer_len as u64)?;
    let footer =
        ipc::root_as_footer(&footer_bytes).map_err(|e| format!("damaged Arrow IPC footer: {e}"))?;
    let fb_schema = footer
        .schema()
        .ok_or("damaged Arrow IPC footer: it has no schema")?;
    let schema = schema_of(fb_schema, path)?;
    if let Some(metadata) = footer.custom_metadata()
        && metadata
            .iter()
            .any(|kv| kv.key().is_none() || kv.value().is_none())
    {
        return Err("damaged Arrow IPC footer: a metadata entry lacks its key or value".into());
    }
    let dictionaries = footer.dictionaries().into_iter().flatten();
    let batches = footer.recordBatches().into_iter().flatten();
    for (index, block) in dictionaries.chain(batches).enumerate() {
        let (offset, meta_len, body_len) =
            (block.offset(), block.metaDataLength(), block.bodyLength());
        let fits = offset >= 8
            && meta_len >= 8
            && body_len >= 0
            && (offset as u64)
                .checked_add(meta_len as u64)
                .and_then(|end| end.checked_add(body_len as u64))
                .is_some_and(|end| end <= footer_start);
        if !fits {
            return Err(format!(
                "damaged Arrow IPC footer: block {index} (offset {offset}, metadata {meta_len} \
                 bytes, body {body_len} bytes) lies outside the file's {footer_start} bytes of \
                 data"
            ));
        }
        let metadata = file.bytes(offset as u64, meta_len as u64)?;
        let flatbuffer = if metadata[..4] == CONTINUATION_MARKER {
            &metadata[8..]
        } else {
            &metadata[4..]
        };
        let message = ipc::root_as_message(flatbuffer)
            .map_err(|e| format!("damaged Arrow IPC message at offset {offset}: {e}"))?;
        let body = Body {
            start: (offset + meta_len as i64) as u64,
            len: body_len as u64,
        };
        check_message(file, &message, body, &schema)
            .map_err(|e| format!("damaged Arrow IPC message at offset {offset}: {e}"))?;
    }
    Ok(())
}

/// Walks the messages as `StreamReader` does: `[0xFFFFFFFF] length metadata body`, until
/// the end-of-stream marker (a length of 0) or the end of the file.
fn arrow_ipc_stream(file: &mut SizedFile, path: &Path) -> Result<(), String> {
    let len = file.len;
    let mut position = 0u64;
    let mut schema: Option<Schema> = None;
    while len - position >= 4 {
        let at = position;
        let mut word = file.array::<4>(position)?;
        position += 4;
        if word == CONTINUATION_MARKER {
            if len - position < 4 {
                return Err(format!("truncated Arrow IPC stream at offset {at}"));
            }
            word = file.array::<4>(position)?;
            position += 4;
        }
        let meta_len = i32::from_le_bytes(word);
        if meta_len == 0 {
            break;
        }
        if meta_len < 0 || meta_len as u64 > len - position {
            return Err(format!(
                "not an Arrow IPC file or stream: the message at offset {at} gives a metadata \
                 length of {meta_len} bytes, but {} bytes follow",
                len - position
            ));
        }
        let metadata = file.bytes(position, meta_len as u64)?;
        position += meta_len as u64;
        let message = ipc::root_as_message(&metadata).map_err(|e| {
            format!("not an Arrow IPC file or stream: no valid message at offset {at}: {e}")
        })?;
        let body_len = message.bodyLength();
        if body_len < 0 || body_len as u64 > len - position {
            return Err(format!(
                "damaged Arrow IPC stream: the message at offset {at} gives a body of \
                 {body_len} bytes, but {} bytes follow",
                len - position
            ));
        }
        let body = Body {
            start: position,
            len: body_len as u64,
        };
        position += body_len as u64;
        match (&schema, message.header_type()) {
            (None, MessageHeader::Schema) => {
                let fb_schema = message
                    .header_as_schema()
                    .ok_or("damaged Arrow IPC stream: its schema message has no schema")?;
                schema = Some(schema_of(fb_schema, path)?);
            }
            (None, _) => {
                return Err(
                    "not an Arrow IPC file or stream: the first message is not a schema".into(),
                );
            }
            (Some(schema), _) => check_message(file, &message, body, schema)
                .map_err(|e| format!("damaged Arrow IPC message at offset {at}: {e}"))?,
        }
    }
    match schema {
        Some(_) => Ok(()),
        None => Err("not an Arrow IPC file or stream: it has no schema message".into()),
    }
}

/// The Arrow schema of a flatbuffer schema. arrow-ipc's conversion panics on what it does
/// not support (an `Int` of 12 bits, a union without children, ...): that becomes an error.
fn schema_of(fb_schema: ipc::Schema<'_>, path: &Path) -> Result<Schema, String> {
    let reading = Mutex::new(vec![PathBuf::from(path)]);
    guard::catch(&reading, || Ok(ipc::convert::fb_to_schema(fb_schema)))
        .map_err(|e| strip_path(&e, path))
}

/// `cannot read 'x': reason` as `reason` (the caller adds the path).
fn strip_path(message: &str, path: &Path) -> String {
    let prefix = format!("cannot read '{}': ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_string()
}

/// Where a message's body lies in the file.
#[derive(Clone, Copy)]
struct Body {
    start: u64,
    len: u64,
}

/// A record batch or dictionary batch message: its buffers inside its body, compressed
/// sizes reachable, and its row count within what the body can hold.
fn check_message(
    file: &mut SizedFile,
    message: &Message<'_>,
    body: Body,
    schema: &Schema,
) -> Result<(), String> {
    let (batch, is_dictionary) = match message.header_type() {
        MessageHeader::RecordBatch => (message.header_as_record_batch(), false),
        MessageHeader::DictionaryBatch => (
            message.header_as_dictionary_batch().and_then(|d| d.data()),
            true,
        ),
        // arrow-ipc stops reading at a NONE message (dropping the rest) and fails on
        // the others; no writer writes them.
        other => {
            return Err(format!(
                "a message of type {other:?} where a record batch or dictionary belongs"
            ));
        }
    };
    let batch = batch.ok_or("its header is missing")?;
    let rows = batch.length();
    if rows < 0 {
        return Err(format!("a negative row count ({rows})"));
    }
    for node in batch.nodes().into_iter().flatten() {
        if node.length() < 0 || node.null_count() < 0 || node.null_count() > node.length() {
            return Err(format!(
                "an array of {} rows with {} nulls",
                node.length(),
                node.null_count()
            ));
        }
    }
    let compressed = batch.compression().is_some();
    let mut data_bytes = 0u64;
    for buffer in batch.buffers().into_iter().flatten() {
        let (offset, len) = (buffer.offset(), buffer.length());
        let inside = offset >= 0
            && len >= 0
            && (offset as u64)
                .checked_add(len as u64)
                .is_some_and(|end| end <= body.len);
        if !inside {
            return Err(format!(
                "a buffer (offset {offset}, {len} bytes) outside its body of {} bytes",
                body.len
            ));
        }
        let (offset, len) = (offset as u64, len as u64);
        data_bytes += if compressed && len >= COMPRESSED_PREFIX {
            let stated = i64::from_le_bytes(file.array::<8>(body.start + offset)?);
            let reachable = (len - COMPRESSED_PREFIX).saturating_mul(MAX_EXPANSION);
            if stated > 0 && stated as u64 > reachable.min(physical_memory()) {
                return Err(format!(
                    "a compressed buffer of {len} bytes that states an uncompressed size of \
                     {stated} bytes"
                ));
            }
            len.max(stated.max(0) as u64)
        } else {
            len
        };
    }
    // Every column but a few kinds (Null, run-end encoded, ...) takes at least a bit per
    // row; dictionaries are decoded whole, which checks their length.
    let needs_bytes = schema.fields().iter().any(|f| needs_bytes(f.data_type()));
    if !is_dictionary && needs_bytes && rows as u64 > data_bytes.saturating_mul(8) {
        return Err(format!(
            "a record batch of {rows} rows in {data_bytes} bytes of data"
        ));
    }
    Ok(())
}

/// Whether an array of this type needs at least one bit per row in some buffer.
fn needs_bytes(data_type: &DataType) -> bool {
    match data_type {
        DataType::Null | DataType::RunEndEncoded(..) | DataType::FixedSizeBinary(0) => false,
        DataType::Struct(fields) => fields.iter().any(|f| needs_bytes(f.data_type())),
        DataType::FixedSizeList(field, size) => *size > 0 && needs_bytes(field.data_type()),
        _ => true,
    }
}

/// The machine's memory: a single buffer larger than that cannot be allocated, and a
/// failed allocation aborts. (Without `sysconf`, no bound.)
fn physical_memory() -> u64 {
    #[cfg(unix)]
    {
        // SAFETY: sysconf only reads system configuration.
        let (pages, page_size) = unsafe {
            (
                libc::sysconf(libc::_SC_PHYS_PAGES),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        if pages > 0 && page_size > 0 {
            return (pages as u64).saturating_mul(page_size as u64);
        }
    }
    u64::MAX
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};

    /// Page headers of every size are walked: headers far larger than the first window
    /// (page statistics of long strings, untruncated), pages smaller than one window
    /// (several headers per read) and larger ones.
    #[test]
    fn page_headers_larger_and_smaller_than_the_window_are_walked() {
        let rows = 3000;
        let long: Vec<String> = (0..rows)
            .map(|i| format!("{i:05}{}", "x".repeat(9000 + i % 7)))
            .collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(long)),
            Arc::new(Int64Array::from_iter_values(0..rows as i64)),
        ];
        let batch =
            RecordBatch::try_from_iter([("s", columns[0].clone()), ("n", columns[1].clone())])
                .unwrap();
        let properties = WriterProperties::builder()
            .set_statistics_enabled(EnabledStatistics::Page)
            .set_statistics_truncate_length(None)
            .set_write_page_header_statistics(true)
            .set_dictionary_enabled(false)
            .set_data_page_row_count_limit(7)
            .set_write_batch_size(7)
            .build();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("headers.parquet");
        let mut writer = ArrowWriter::try_new(
            File::create(&path).unwrap(),
            batch.schema(),
            Some(properties),
        )
        .unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        // The string pages' headers hold their minimum and maximum, about 9 KB each: more
        // than the first window (without its growth the walk fails here).
        file(Format::Parquet, &path).unwrap();
    }
}
