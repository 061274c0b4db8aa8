//! Queries over every format, the demo, help, and the errors of bad SQL and options.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Int64Array};
use arrow::datatypes::Int64Type;
use arrow::record_batch::RecordBatch;

use crate::*;

const RUNNING: &str = "SELECT i, cumsum(x) OVER (ORDER BY i) AS s FROM {} ORDER BY i";

#[test]
fn the_demo_runs_without_arguments() {
    let dir = temp();
    let output = cumulus(&[], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for expected in [
        "position",
        "notional",
        "nan_growth",
        "propagate",
        "[46, 74]",
        "total_int8",
        "| 88 ",
    ] {
        assert!(text.contains(expected), "demo output lacks '{expected}'");
    }
}

#[test]
fn help_documents_the_command() {
    let output = cumulus(&["--help"], temp().path());
    assert!(output.status.success());
    let text = stdout(&output);
    for expected in [
        "--table NAME=PATH",
        "--output PATH",
        "EXAMPLES",
        "FROM 'data/trades.parquet'",
        "nulls",
        "axis",
    ] {
        assert!(text.contains(expected), "help lacks '{expected}'");
    }
}

#[test]
fn every_input_format_gives_the_same_result() {
    let dir = temp();
    let batch = sample(6);
    let mut tables = vec![];
    for ext in ["parquet", "csv", "jsonl", "arrow"] {
        let path = dir.path().join(format!("data.{ext}"));
        write_file(&path, &batch);
        let query = RUNNING.replace("{}", &format!("'data.{ext}'"));
        let output = cumulus(&["sql", &query], dir.path());
        assert!(output.status.success(), "{ext}: {}", stderr(&output));
        tables.push(stdout(&output));
    }
    assert!(tables[0].contains("| 6 | 210 |"), "{}", tables[0]);
    assert!(tables.iter().all(|t| t == &tables[0]), "{tables:#?}");
}

#[test]
fn tables_can_be_named_with_the_table_flag() {
    let dir = temp();
    write_file(&dir.path().join("a.parquet"), &sample(4));
    write_file(&dir.path().join("b.csv"), &sample(4));
    let query =
        "SELECT a.i, cumprod(a.i) OVER (ORDER BY a.i) AS p, cummax(b.x) OVER (ORDER BY a.i) AS m
                 FROM a JOIN b ON a.i = b.i ORDER BY a.i";
    let output = cumulus(
        &["sql", query, "--table", "a=a.parquet", "--table", "b=b.csv"],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("| 4 | 24 | 40 |"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn every_output_format_is_written_whole() {
    let dir = temp();
    write_file(&dir.path().join("data.parquet"), &sample(6));
    let query = RUNNING.replace("{}", "'data.parquet'");
    for ext in ["parquet", "arrow", "csv", "jsonl"] {
        let target = format!("out.{ext}");
        let output = cumulus(&["sql", &query, "--output", &target], dir.path());
        assert!(output.status.success(), "{ext}: {}", stderr(&output));
        assert_eq!(
            stderr(&output),
            "",
            "no progress when stderr is not a terminal"
        );
        let path = dir.path().join(&target);
        match ext {
            "parquet" | "arrow" => {
                let batches = read_back(&path);
                let sums: Vec<i64> = batches
                    .iter()
                    .flat_map(|b| b.column(1).as_primitive::<Int64Type>().values().to_vec())
                    .collect();
                assert_eq!(sums, vec![10, 30, 60, 100, 150, 210], "{ext}");
            }
            "csv" => {
                let text = std::fs::read_to_string(&path).unwrap();
                assert_eq!(text.lines().next(), Some("i,s"));
                assert_eq!(text.lines().last(), Some("6,210"));
            }
            _ => {
                let text = std::fs::read_to_string(&path).unwrap();
                assert_eq!(text.lines().count(), 6);
                assert_eq!(text.lines().last(), Some(r#"{"i":6,"s":210}"#));
            }
        }
    }
}

#[test]
fn missing_and_unreadable_files_are_one_line_errors() {
    let dir = temp();
    let output = cumulus(&["sql", "SELECT * FROM 'nowhere.parquet'"], dir.path());
    assert_fails_with(&output, "cannot read table 'nowhere.parquet'");
    std::fs::write(dir.path().join("broken.parquet"), b"this is not parquet").unwrap();
    let output = cumulus(&["sql", "SELECT * FROM 'broken.parquet'"], dir.path());
    assert_fails_with(&output, "cannot read 'broken.parquet'");
    std::fs::write(dir.path().join("notes.txt"), b"x").unwrap();
    let output = cumulus(
        &["sql", "SELECT * FROM t", "--table", "t=notes.txt"],
        dir.path(),
    );
    assert_fails_with(&output, "unknown file extension; accepted: .parquet, .csv");
}

#[test]
fn bad_sql_bad_options_and_bad_arguments_are_one_line_errors() {
    let dir = temp();
    write_file(&dir.path().join("d.parquet"), &sample(3));
    let output = cumulus(&["sql", "SELEC i FROM 'd.parquet'"], dir.path());
    assert_fails_with(&output, "SQL error");
    let query =
        "SELECT cumsum(x, dtype => NULL, nulls => 'sometimes') OVER (ORDER BY i) FROM 'd.parquet'";
    assert_fails_with(
        &cumulus(&["sql", query], dir.path()),
        "skip, propagate, carry, identity",
    );
    let query = "SELECT cumsum(g) OVER (ORDER BY i) FROM 'd.parquet'";
    assert_fails_with(
        &cumulus(&["sql", query], dir.path()),
        "unsupported input type Utf8",
    );
    // DataFusion's own message names an option the user never wrote ("Missing required
    // parameter 'dtype'"); the command shows the two forms that work.
    let query = "SELECT cumsum(x, nulls => 'skip') OVER (ORDER BY i) FROM 'd.parquet'";
    assert_fails_with(&cumulus(&["sql", query], dir.path()), "cumsum(x, 'skip')");
    // DataFusion's own message would be "column x must appear in the GROUP BY clause".
    let query = "SELECT g, cumsum(x) FROM 'd.parquet' GROUP BY g";
    assert_fails_with(
        &cumulus(&["sql", query], dir.path()),
        "cumsum is a window function and cannot aggregate a group",
    );
    assert_fails_with(
        &cumulus(&["sql", "SELECT 1", "--fast"], dir.path()),
        "unknown option '--fast'",
    );
    assert_fails_with(&cumulus(&["frobnicate"], dir.path()), "unknown command");
    assert_fails_with(
        &cumulus(&["sql", "SELECT 1", "--output", "x.xlsx"], dir.path()),
        "cannot write 'x.xlsx'",
    );
}

#[test]
fn overflow_under_error_fails_without_leaving_a_file() {
    let dir = temp();
    write_file(&dir.path().join("d.parquet"), &sample(5));
    std::fs::write(dir.path().join("old.parquet"), b"previous result").unwrap();
    let before = listing(dir.path());
    let query = "SELECT cumprod(x, dtype => 'int8', nulls => NULL, overflow => 'error') OVER (ORDER BY i) FROM 'd.parquet'";
    let output = cumulus(&["sql", query, "--output", "new.parquet"], dir.path());
    assert_fails_with(&output, "Execution error: cumprod: Int8 overflow at row");
    assert!(
        !stderr(&output).contains("cannot read"),
        "the query's error, not the file's"
    );
    let output = cumulus(&["sql", query, "--output", "old.parquet"], dir.path());
    assert_fails_with(&output, "overflow at row");
    assert_eq!(listing(dir.path()), before, "no new or partial files");
    assert_eq!(
        std::fs::read(dir.path().join("old.parquet")).unwrap(),
        b"previous result"
    );
}

#[test]
fn a_failure_after_some_batches_were_written_leaves_no_partial_file() {
    let dir = temp();
    // 20000 rows, of which the last cannot be cast: DataFusion fails after writing batches.
    let mut csv = String::from("i,v\n");
    for i in 1..20_000 {
        csv.push_str(&format!("{i},{i}\n"));
    }
    csv.push_str("20000,oops\n");
    std::fs::write(dir.path().join("big.csv"), csv).unwrap();
    let before = listing(dir.path());
    let query = "SELECT i, CAST(v AS BIGINT) AS v FROM 'big.csv'";
    for target in ["out.parquet", "out.csv"] {
        let output = cumulus(&["sql", query, "--output", target], dir.path());
        assert_fails_with(&output, "oops");
        assert_eq!(listing(dir.path()), before, "{target}: nothing left behind");
    }
    // A nested column cannot be written as CSV: the error names the writer's problem.
    let query = "SELECT make_array(1, 2) AS a";
    let output = cumulus(&["sql", query, "--output", "nested.csv"], dir.path());
    assert_fails_with(&output, "cannot write 'nested.csv'");
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn a_query_without_over_scans_the_whole_result() {
    let dir = temp();
    write_file(&dir.path().join("d.arrow"), &sample(4));
    let output = cumulus(
        &[
            "sql",
            "SELECT cumsum(f) AS s, cumsum(f, dtype => NULL, nulls => 'skip') AS k FROM 'd.arrow'",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    // f = 0.5, 1.0, 1.5, null: SQL's default carries the running value over the null.
    assert!(
        text.contains("| 3.0 | 3.0 |") && text.contains("| 3.0 |     |"),
        "{text}"
    );
}

/// A file big enough that DataFusion would by default read it in parallel pieces (over
/// its 10 MiB repartitioning threshold) is still scanned in its row order without OVER.
#[test]
fn a_query_without_over_scans_a_large_file_in_its_row_order() {
    let dir = temp();
    let n = 1_600_000i64;
    // Incompressible values, so that the Parquet file is larger than 10 MiB.
    let x = Int64Array::from_iter_values(
        (0..n).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as i64)),
    );
    let i = Int64Array::from_iter_values(0..n);
    let batch = RecordBatch::try_from_iter([
        ("i", Arc::new(i) as ArrayRef),
        ("x", Arc::new(x) as ArrayRef),
    ])
    .unwrap();
    let input = dir.path().join("big.parquet");
    write_file(&input, &batch);
    assert!(std::fs::metadata(&input).unwrap().len() > 10 << 20);
    let query = "SELECT i, x, cumsum(x) AS s FROM 'big.parquet'";
    let output = cumulus(&["sql", query, "--output", "out.parquet"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let mut expected_i = 0i64;
    let mut running = 0i64;
    for batch in read_back(&dir.path().join("out.parquet")) {
        let (i, x, s) = (batch.column(0), batch.column(1), batch.column(2));
        let (i, x, s) = (
            i.as_primitive::<Int64Type>(),
            x.as_primitive::<Int64Type>(),
            s.as_primitive::<Int64Type>(),
        );
        for row in 0..batch.num_rows() {
            assert_eq!(i.value(row), expected_i, "rows out of the file's order");
            running = running.wrapping_add(x.value(row));
            assert_eq!(s.value(row), running);
            expected_i += 1;
        }
    }
    assert_eq!(expected_i, n);
}

/// `x+x+...+x`: a left-deep tree as deep as it has terms, which DataFusion plans and
/// evaluates recursively. 3,000 terms overflowed the main thread's 8 MiB stack (an abort);
/// the command now runs queries on threads with a large stack, and DataFusion's
/// `recursive_protection` grows its own recursion's stack on the heap.
fn sum_of_terms(terms: usize) {
    let dir = temp();
    std::fs::write(dir.path().join("d.csv"), "x\n1\n2\n").unwrap();
    let sum = vec!["x"; terms].join("+");
    let query = format!("SELECT {sum} AS s FROM 'd.csv'");
    let output = cumulus(&["sql", &query], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = format!("| {} |", 2 * terms);
    assert!(stdout(&output).contains(&expected), "{}", stdout(&output));
}

#[test]
fn a_sum_of_3000_terms_does_not_overflow_the_stack() {
    sum_of_terms(3_000);
}

/// DataFusion's planning is quadratic in the depth of an expression (its type coercion
/// and naming walk each subtree again at every level): 10^4 terms take minutes in a debug
/// build. Run with `cargo test --release -p cumulus-cli -- --ignored`.
#[test]
#[ignore = "minutes in a debug build; run with --release -- --ignored"]
fn a_sum_of_10000_terms_does_not_overflow_the_stack() {
    sum_of_terms(10_000);
}
