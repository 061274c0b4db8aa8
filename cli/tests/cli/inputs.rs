//! Inputs that are damaged, empty, hostile or unexpected: each is a one-line error naming
//! the file (exit status 1), never a panic, an abort or a hang.

use std::ops::Range;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, Int64Array};
use arrow::ipc::writer::{FileWriter, StreamWriter};
use arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;

use crate::*;

/// One Int64 column `x` = 1, 2, 3: its bytes are easy to find in the files.
fn one_column() -> RecordBatch {
    let x = Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef;
    RecordBatch::try_from_iter([("x", x)]).unwrap()
}

fn arrow_file_bytes(batch: &RecordBatch) -> Vec<u8> {
    let mut w = FileWriter::try_new(vec![], &batch.schema()).unwrap();
    w.write(batch).unwrap();
    w.finish().unwrap();
    w.into_inner().unwrap()
}

fn arrow_stream_bytes(batch: &RecordBatch) -> Vec<u8> {
    let mut w = StreamWriter::try_new(vec![], &batch.schema()).unwrap();
    w.write(batch).unwrap();
    w.finish().unwrap();
    w.into_inner().unwrap()
}

fn parquet_bytes(batch: &RecordBatch) -> Vec<u8> {
    let mut w = ArrowWriter::try_new(vec![], batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.into_inner().unwrap()
}

/// Replaces the `count` occurrences of `from` in `bytes[range]` by `to`.
fn patch(bytes: &mut [u8], range: Range<usize>, from: &[u8], to: &[u8], count: usize) {
    assert_eq!(from.len(), to.len());
    let hits: Vec<usize> = bytes[range.clone()]
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| range.start + i)
        .collect();
    assert_eq!(hits.len(), count, "occurrences of {from:?}");
    for hit in hits {
        bytes[hit..hit + to.len()].copy_from_slice(to);
    }
}

/// Where an Arrow IPC file's footer starts.
fn footer_start(bytes: &[u8]) -> usize {
    let len = bytes.len();
    let footer_len = i32::from_le_bytes(bytes[len - 10..len - 6].try_into().unwrap());
    len - 10 - footer_len as usize
}

/// Runs the query over `file` (written with `bytes`) and asserts the one-line error.
fn assert_unreadable(dir: &Path, file: &str, bytes: &[u8], needle: &str) {
    std::fs::write(dir.join(file), bytes).unwrap();
    let query = format!("SELECT * FROM '{file}'");
    let output = cumulus(&["sql", &query], dir);
    assert_fails_with(&output, &format!("cannot read '{file}': {needle}"));
    // Without columns DataFusion reads only row counts: still checked.
    let query = format!("SELECT 1 FROM '{file}'");
    assert_fails_with(&cumulus(&["sql", &query], dir), "cannot read");
}

#[test]
fn damaged_parquet_files_are_one_line_errors() {
    let dir = temp();
    let dir = dir.path();
    assert_unreadable(dir, "x.parquet", b"PAR1PAR1", "too short for Parquet");
    let mut footer_too_long = b"PAR1".to_vec();
    footer_too_long.extend([0; 8]);
    footer_too_long.extend(i32::MAX.to_le_bytes());
    footer_too_long.extend(b"PAR1");
    assert_unreadable(
        dir,
        "x.parquet",
        &footer_too_long,
        "damaged Parquet footer: it gives a metadata length of 2147483647 bytes",
    );
    // parquet 59 reserves a row-group list's stated size before reading it: metadata of 33
    // bytes stating 2^31-1 row groups aborted with "memory allocation of 206158430112 bytes
    // failed". FileMetaData {1: version 1, 2: [SchemaElement {4: "r"}], 3: 0 rows,
    // 4: a list of 2^31-1 structs}.
    let mut metadata = vec![0x15, 0x02, 0x19, 0x1c, 0x48, 0x01, b'r', 0x00, 0x16, 0x00];
    metadata.extend([0x19, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07]);
    metadata.extend([0; 16]);
    let mut row_groups = b"PAR1".to_vec();
    row_groups.extend(&metadata);
    row_groups.extend((metadata.len() as u32).to_le_bytes());
    row_groups.extend(b"PAR1");
    assert_unreadable(
        dir,
        "x.parquet",
        &row_groups,
        "damaged Parquet metadata: a list of 2147483647 elements in the 16 bytes that remain",
    );
    let good = parquet_bytes(&sample(100));
    assert_unreadable(
        dir,
        "x.parquet",
        &good[..good.len() / 2],
        "not a Parquet file",
    );
    let mut no_magic = good.clone();
    no_magic[..4].copy_from_slice(b"PAR0");
    assert_unreadable(
        dir,
        "x.parquet",
        &no_magic,
        "not a Parquet file: it does not start",
    );
    // A data page stating more bytes than its column chunk holds (page headers are walked
    // before the reader trusts their sizes).
    let mut long_page = parquet_bytes(&one_column());
    let end = long_page.len();
    // DataPageHeader: type 0, uncompressed 4 bytes, compressed 4 bytes (zigzag varints).
    let header = [0x15, 0x00, 0x15, 0x08, 0x15, 0x08];
    patch(
        &mut long_page,
        4..end,
        &header,
        &[0x15, 0x00, 0x15, 0x08, 0x15, 0x7e],
        1,
    );
    assert_unreadable(
        dir,
        "x.parquet",
        &long_page,
        "damaged Parquet page in column chunk 0 of row group 0: the page at offset",
    );
    // Column i's pages overwritten: the page decoder's error, naming the file.
    let mut pages = good.clone();
    pages[4..200].fill(0xff);
    std::fs::write(dir.join("x.parquet"), &pages).unwrap();
    let output = cumulus(&["sql", "SELECT sum(i) FROM 'x.parquet'"], dir);
    assert_fails_with(&output, "x.parquet");
}

#[test]
fn damaged_arrow_files_are_one_line_errors() {
    let dir = temp();
    let dir = dir.path();
    let good = arrow_file_bytes(&one_column());
    let footer = footer_start(&good);
    let block = *arrow::ipc::root_as_footer(&good[footer..good.len() - 10])
        .unwrap()
        .recordBatches()
        .unwrap()
        .get(0);
    let block_bytes = |body: i64| {
        let mut b = block.offset().to_le_bytes().to_vec();
        b.extend(block.metaDataLength().to_le_bytes());
        b.extend([0; 4]);
        b.extend(body.to_le_bytes());
        b
    };

    // The issue's abort: "memory allocation of 27866022694355936 bytes failed".
    let end = good.len();
    let mut huge_body = good.clone();
    let body = block.bodyLength();
    patch(
        &mut huge_body,
        footer..end,
        &block_bytes(body),
        &block_bytes(27_866_022_694_355_936),
        1,
    );
    assert_unreadable(
        dir,
        "x.arrow",
        &huge_body,
        "damaged Arrow IPC footer: block 0",
    );

    // The issue's panic "Int type with bit width of 12058688": arrow-ipc's schema
    // conversion panics; the command reports it as the file's error.
    // The footer's Int table: bitWidth 64 (an i32), padding, isSigned.
    let mut bad_int = good.clone();
    let int64 = [64, 0, 0, 0, 0, 0, 0, 1];
    patch(
        &mut bad_int,
        footer..end,
        &int64,
        &[64, 0, 0xb8, 0, 0, 0, 0, 1],
        1,
    );
    assert_unreadable(
        dir,
        "x.arrow",
        &bad_int,
        "the file is damaged or not in the format its extension names (Int type with bit \
         width of 12058688",
    );

    // A buffer beyond its message's body ("offset of the new Buffer cannot exceed").
    let metadata =
        block.offset() as usize..(block.offset() + block.metaDataLength() as i64) as usize;
    let mut far_buffer = good.clone();
    let values = [0i64.to_le_bytes(), 24i64.to_le_bytes()].concat();
    let far = [(1i64 << 40).to_le_bytes(), 24i64.to_le_bytes()].concat();
    patch(&mut far_buffer, metadata.clone(), &values, &far, 1);
    assert_unreadable(
        dir,
        "x.arrow",
        &far_buffer,
        "damaged Arrow IPC message at offset",
    );

    // A record batch claiming 2^60 rows (its length and its column's): `SELECT 1` reads no
    // column and would allocate for each row.
    let mut many_rows = good.clone();
    let rows = (1i64 << 60).to_le_bytes();
    patch(&mut many_rows, metadata, &3i64.to_le_bytes(), &rows, 2);
    assert_unreadable(
        dir,
        "x.arrow",
        &many_rows,
        "damaged Arrow IPC message at offset 192: a record batch of 1152921504606846976 rows",
    );

    let mut footer_too_long = good.clone();
    let len = footer_too_long.len();
    footer_too_long[len - 10..len - 6].copy_from_slice(&i32::MAX.to_le_bytes());
    assert_unreadable(
        dir,
        "x.arrow",
        &footer_too_long,
        "damaged Arrow IPC file: its footer length is 2147483647",
    );

    // The stream format: a body longer than the file.
    let stream = arrow_stream_bytes(&one_column());
    assert_unreadable(
        dir,
        "x.arrow",
        &stream[..stream.len() - 20],
        "damaged Arrow IPC stream",
    );
    assert_unreadable(
        dir,
        "x.arrow",
        b"\xff\xff\xff\xff\xff\xff\xff\x7f",
        "not an Arrow",
    );
    assert_unreadable(dir, "x.arrow", b"ARROW1", "too short for an Arrow IPC file");
}

#[test]
fn the_stream_format_is_read_too() {
    let dir = temp();
    std::fs::write(
        dir.path().join("s.arrow"),
        arrow_stream_bytes(&one_column()),
    )
    .unwrap();
    let output = cumulus(&["sql", "SELECT cumsum(x) AS s FROM 's.arrow'"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("| 6 |"), "{}", stdout(&output));
}

/// Every format the command reads, each file damaged a byte at a time (at up to 120 places
/// spread over it, including its footer), read in-process through the command's reading
/// path: an error naming the file or a result, never a panic out of it or an abort (which
/// would end this test binary). The fuzz target (`fuzz/`) explores much further.
#[test]
fn every_single_byte_damage_is_an_error_or_a_result() {
    let dir = temp();
    let batch = sample(3);
    let mut csv = vec![];
    arrow::csv::WriterBuilder::new()
        .with_header(true)
        .build(&mut csv)
        .write(&batch)
        .unwrap();
    let mut json = vec![];
    {
        let mut w = arrow::json::LineDelimitedWriter::new(&mut json);
        w.write(&batch).unwrap();
        w.finish().unwrap();
    }
    let files = [
        ("p.parquet", parquet_bytes(&batch)),
        ("f.arrow", arrow_file_bytes(&batch)),
        ("s.arrow", arrow_stream_bytes(&batch)),
        ("c.csv", csv),
        ("j.jsonl", json),
    ];
    let started = Instant::now();
    let mut reads = 0;
    for (name, good) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, &good).unwrap();
        assert_eq!(cumulus_cli::read_file(&path), Ok(3), "{name}");
        let step = good.len().div_ceil(120);
        for (n, position) in (0..good.len()).rev().step_by(step).enumerate() {
            let value = [0x00, 0xff, 0x7f, good[position] ^ 0x01][n % 4];
            let mut damaged = good.clone();
            damaged[position] = value;
            std::fs::write(&path, &damaged).unwrap();
            if let Err(message) = cumulus_cli::read_file(&path) {
                assert!(
                    message.contains(name) && !message.contains('\n'),
                    "{name}[{position}] = {value}: {message}"
                );
            }
            reads += 1;
        }
    }
    eprintln!("{reads} damaged files read in {:?}", started.elapsed());
}

#[test]
fn empty_files_are_errors() {
    let dir = temp();
    for (file, needle) in [
        (
            "e.parquet",
            "a Parquet file starts with the magic bytes PAR1",
        ),
        ("e.arrow", "an Arrow IPC file starts with ARROW1"),
        ("e.csv", "a CSV file starts with a header row"),
        ("e.jsonl", "a JSON lines file has a JSON object per line"),
    ] {
        std::fs::write(dir.path().join(file), b"").unwrap();
        let output = cumulus(&["sql", &format!("SELECT * FROM '{file}'")], dir.path());
        assert_fails_with(
            &output,
            &format!(
                "cannot read '{file}': the file is empty (0 bytes), so it has no columns; {needle}"
            ),
        );
    }
}

#[test]
fn a_directory_of_mixed_formats_is_an_error() {
    let dir = temp();
    let tables = dir.path().join("t");
    std::fs::create_dir(&tables).unwrap();
    write_file(&tables.join("a.parquet"), &sample(3));
    write_file(&tables.join("b.csv"), &sample(3));
    let output = cumulus(
        &["sql", "SELECT count(*) FROM t", "--table", "t=t"],
        dir.path(),
    );
    assert_fails_with(
        &output,
        "cannot read 't': it mixes formats ('t/a.parquet' is Parquet, 't/b.csv' is CSV); a \
         directory table reads files of one format",
    );
    // One format (in any letter case), hidden files and other extensions ignored: read.
    std::fs::remove_file(tables.join("b.csv")).unwrap();
    write_file(&tables.join("c.parquet"), &sample(4));
    std::fs::rename(tables.join("c.parquet"), tables.join("c.PARQUET")).unwrap();
    std::fs::write(tables.join(".c.parquet.1234.partial"), b"partial").unwrap();
    std::fs::write(tables.join("README.txt"), b"notes").unwrap();
    let output = cumulus(
        &["sql", "SELECT count(*) AS n FROM t", "--table", "t=t"],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("| 7 |"), "{}", stdout(&output));
    // An empty file in a directory is named.
    std::fs::write(tables.join("d.parquet"), b"").unwrap();
    let output = cumulus(&["sql", "SELECT * FROM t", "--table", "t=t"], dir.path());
    assert_fails_with(&output, "cannot read 't/d.parquet': the file is empty");
}

#[test]
fn extensions_are_read_in_any_letter_case() {
    let dir = temp();
    write_file(&dir.path().join("d.parquet"), &sample(3));
    std::fs::rename(dir.path().join("d.parquet"), dir.path().join("D.PARQUET")).unwrap();
    write_file(&dir.path().join("e.csv"), &sample(3));
    std::fs::rename(dir.path().join("e.csv"), dir.path().join("e.Csv")).unwrap();
    let query = "SELECT sum(d.x) AS s FROM 'D.PARQUET' d JOIN 'e.Csv' e ON d.i = e.i";
    let output = cumulus(&["sql", query], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("| 60 |"), "{}", stdout(&output));
}

/// A file name is a name: DataFusion would read `*`, `?` and `[...]` in a path as a glob.
#[test]
fn file_names_with_glob_characters_are_read_as_names() {
    let dir = temp();
    write_file(&dir.path().join("a[1].csv"), &sample(2));
    write_file(&dir.path().join("a1.csv"), &sample(5));
    let output = cumulus(&["sql", "SELECT count(*) AS n FROM 'a[1].csv'"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("| 2 |"), "{}", stdout(&output));
}

/// Runs the command, killing it (and failing) if it has not ended within `limit`.
fn cumulus_within(args: &[&str], dir: &Path, limit: Duration) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cumulus"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("cumulus {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_instead_of_blocking() {
    let dir = temp();
    mkfifo(&dir.path().join("pipe.csv"));
    let limit = Duration::from_secs(30);
    let output = cumulus_within(&["sql", "SELECT * FROM 'pipe.csv'"], dir.path(), limit);
    assert_fails_with(
        &output,
        "cannot read 'pipe.csv': not a regular file or a directory (a FIFO, which would block)",
    );
    let tables = dir.path().join("t");
    std::fs::create_dir(&tables).unwrap();
    write_file(&tables.join("a.csv"), &sample(2));
    mkfifo(&tables.join("b.csv"));
    let output = cumulus_within(
        &["sql", "SELECT * FROM t", "--table", "t=t"],
        dir.path(),
        limit,
    );
    assert_fails_with(
        &output,
        "cannot read 't/b.csv': not a regular file (a FIFO, which would block)",
    );
    let output = cumulus_within(
        &["sql", "SELECT 1", "--output", "/dev/null/x.csv"],
        dir.path(),
        limit,
    );
    assert_fails_with(&output, "cannot write '/dev/null/x.csv'");
    let output = cumulus_within(
        &["sql", "SELECT * FROM t", "--table", "t=/dev/zero"],
        dir.path(),
        limit,
    );
    assert_fails_with(
        &output,
        "cannot read '/dev/zero': not a regular file or a directory (a device)",
    );
}

/// Files that made arrow, parquet or DataFusion panic or abort, found by fuzzing
/// (`fuzz/`) and kept in `cli/tests/data/`: each is a one-line error naming it. The file
/// name says what the reader did with it.
#[test]
fn fuzzing_findings_are_one_line_errors() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let name = file.to_str().unwrap();
        let output = cumulus(&["sql", &format!("SELECT * FROM '{name}'")], &data);
        assert_fails_with(&output, &format!("cannot read '{name}'"));
        // Without columns DataFusion may read only row counts: a count or the error.
        let output = cumulus(&["sql", &format!("SELECT count(*) FROM '{name}'")], &data);
        if !output.status.success() {
            assert_fails_with(&output, &format!("cannot read '{name}'"));
        }
    }
}
