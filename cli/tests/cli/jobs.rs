//! Files-to-files jobs: a Parquet result records the order it is in, a declared order is
//! checked as rows are read, and a sort larger than `--memory-limit` spills and finishes.

use std::fs::File;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use arrow::compute::concat_batches;
use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};

use crate::*;

/// The sorting columns a Parquet file's row groups declare, as (column index, descending).
fn declared_order(path: &Path) -> Vec<Vec<(i32, bool)>> {
    let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
    reader
        .metadata()
        .row_groups()
        .iter()
        .map(|group| {
            group
                .sorting_columns()
                .into_iter()
                .flatten()
                .map(|c| (c.column_idx, c.descending))
                .collect()
        })
        .collect()
}

fn rows(path: &Path) -> RecordBatch {
    let batches = read_back(path);
    concat_batches(&batches[0].schema(), &batches).unwrap()
}

#[test]
fn an_ordered_result_records_its_order_and_an_unordered_one_does_not() {
    let dir = temp();
    write_file(&dir.path().join("d.parquet"), &sample(1000));
    let query = "SELECT g, i, cumsum(x) OVER (PARTITION BY g ORDER BY i) AS c FROM 'd.parquet' ORDER BY g, i DESC";
    let output = cumulus(&["sql", query, "--output", "sorted.parquet"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let order = declared_order(&dir.path().join("sorted.parquet"));
    assert!(!order.is_empty());
    assert!(
        order.iter().all(|g| g == &[(0, false), (1, true)]),
        "{order:?}"
    );
    // Read back with the order declared, a query asking for it runs and gives the same rows.
    let again = "SELECT g, i, c FROM 'sorted.parquet' ORDER BY g, i DESC";
    let output = cumulus(&["sql", again, "--output", "again.parquet"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        rows(&dir.path().join("again.parquet")),
        rows(&dir.path().join("sorted.parquet"))
    );

    let query = "SELECT g, i FROM 'd.parquet' WHERE i % 2 = 0";
    let output = cumulus(&["sql", query, "--output", "plain.parquet"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let order = declared_order(&dir.path().join("plain.parquet"));
    assert!(order.iter().all(Vec::is_empty), "{order:?}");
}

/// `--partitions 1` plans the query in one partition: rows in time order then stream
/// through the hash-state window with no repartitioning and no merge, and the file is the
/// one the default plan (a partition per core) writes.
#[test]
fn one_partition_writes_the_same_file() {
    let dir = temp();
    write_file(&dir.path().join("in-order.csv"), &sample(5000));
    let query = "SELECT g, i, cumsum(f) OVER (PARTITION BY g ORDER BY i) AS c FROM t";
    let run = |extra: &[&str], out: &str| {
        let mut args = vec![
            "sql",
            query,
            "--table",
            "t=in-order.csv",
            "--ordered",
            "t=i",
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--output", out]);
        let output = cumulus(&args, dir.path());
        assert!(output.status.success(), "{}", stderr(&output));
    };
    run(&["--partitions", "1"], "one.parquet");
    run(&[], "default.parquet");
    assert_eq!(
        rows(&dir.path().join("one.parquet")),
        rows(&dir.path().join("default.parquet"))
    );
    let order = declared_order(&dir.path().join("one.parquet"));
    assert!(order.iter().all(|g| g == &[(1, false)]), "{order:?}");
    assert_fails_with(
        &cumulus(&["sql", query, "--partitions", "0"], dir.path()),
        "accepted: a whole number from 1",
    );
}

#[test]
fn a_declared_order_saves_nothing_wrong_and_a_broken_one_is_an_error() {
    let dir = temp();
    write_file(&dir.path().join("in-order.csv"), &sample(200));
    let query = "SELECT i, cumsum(x) OVER (ORDER BY i) AS c FROM t";
    let declared = cumulus(
        &[
            "sql",
            query,
            "--table",
            "t=in-order.csv",
            "--ordered",
            "t=i",
            "--output",
            "a.arrow",
        ],
        dir.path(),
    );
    assert!(declared.status.success(), "{}", stderr(&declared));
    let plain = cumulus(
        &[
            "sql",
            query,
            "--table",
            "t=in-order.csv",
            "--output",
            "b.arrow",
        ],
        dir.path(),
    );
    assert!(plain.status.success(), "{}", stderr(&plain));
    assert_eq!(
        rows(&dir.path().join("a.arrow")),
        rows(&dir.path().join("b.arrow"))
    );

    // Rows 0..99 ascending, then the rest again: row 100 breaks `i ASC`.
    let n = 200;
    let i: Vec<i64> = (0..n).map(|r| r % 100).collect();
    let broken = RecordBatch::try_from_iter([
        ("i", std::sync::Arc::new(Int64Array::from(i)) as ArrayRef),
        (
            "x",
            std::sync::Arc::new(Float64Array::from_iter_values((0..n).map(|r| r as f64))),
        ),
    ])
    .unwrap();
    write_file(&dir.path().join("broken.csv"), &broken);
    let output = cumulus(
        &[
            "sql",
            query,
            "--table",
            "t=broken.csv",
            "--ordered",
            "t=i",
            "--output",
            "c.arrow",
        ],
        dir.path(),
    );
    assert_fails_with(&output, "is not in its declared order");
    assert_fails_with(&output, "row 100");
    assert!(!dir.path().join("c.arrow").exists());
}

#[test]
fn a_sort_larger_than_the_memory_limit_spills_and_finishes() {
    let dir = temp();
    // 1,000,000 rows in an order no key follows: sorting them holds about 32 MB.
    let n = 1_000_000i64;
    let scrambled = |r: i64| (r * 7_919) % n;
    let batch = RecordBatch::try_from_iter([
        (
            "i",
            std::sync::Arc::new(Int64Array::from_iter_values((0..n).map(scrambled))) as ArrayRef,
        ),
        (
            "g",
            std::sync::Arc::new(Int64Array::from_iter_values((0..n).map(|r| r % 97))),
        ),
        (
            "x",
            std::sync::Arc::new(Float64Array::from_iter_values(
                (0..n).map(|r| r as f64 * 0.5),
            )),
        ),
    ])
    .unwrap();
    write_file(&dir.path().join("d.parquet"), &batch);
    std::fs::create_dir(dir.path().join("spill")).unwrap();
    let query =
        "SELECT g, i, cumsum(x) OVER (PARTITION BY g ORDER BY i) AS c FROM 'd.parquet' ORDER BY i";
    let limited = cumulus(
        &[
            "sql",
            query,
            "--output",
            "limited.parquet",
            "--memory-limit",
            "16M",
            "--spill-dir",
            "spill",
        ],
        dir.path(),
    );
    assert!(limited.status.success(), "{}", stderr(&limited));
    let free = cumulus(
        &[
            "sql",
            query,
            "--output",
            "free.parquet",
            "--memory-limit",
            "none",
        ],
        dir.path(),
    );
    assert!(free.status.success(), "{}", stderr(&free));
    assert_eq!(
        rows(&dir.path().join("limited.parquet")),
        rows(&dir.path().join("free.parquet"))
    );
    assert_eq!(
        rows(&dir.path().join("free.parquet")).num_rows(),
        n as usize
    );
    // Spill files are gone when the query ends.
    assert_eq!(listing(&dir.path().join("spill")), Vec::<PathBuf>::new());
    assert_fails_with(
        &cumulus(&["sql", query, "--memory-limit", "lots"], dir.path()),
        "--memory-limit 'lots' is not a size",
    );
}
