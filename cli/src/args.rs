//! The command line: what the user asked for, parsed by hand (four flags do not need a
//! parser crate), with an error naming what would have been accepted.

use std::path::PathBuf;

/// What to do.
#[derive(Debug, PartialEq)]
pub enum Command {
    /// No arguments: the built-in demo.
    Demo,
    /// `--help`.
    Help,
    /// `--version`.
    Version,
    /// `sql QUERY [--table NAME=PATH]... [--output PATH]`.
    Sql(SqlArgs),
}

#[derive(Debug, PartialEq)]
pub struct SqlArgs {
    pub query: String,
    pub tables: Vec<(String, PathBuf)>,
    pub output: Option<PathBuf>,
}

pub const USAGE: &str = r#"cumulus: NumPy-exact cumulative sums, products, maxima and minima over Parquet, CSV,
JSON-lines and Arrow IPC files, in SQL (Apache DataFusion) with cumsum, cumprod, nancumsum,
nancumprod, cummax and cummin registered as window functions.

USAGE
  cumulus                          run a short demo on a small built-in dataset
  cumulus sql QUERY [OPTIONS]      run QUERY and print the result, or write it to a file
  cumulus --help | --version

OPTIONS (for sql)
  --table NAME=PATH   make the file at PATH available as table NAME (repeatable)
  --output PATH       write the result to PATH instead of printing a table; the format
                      follows the extension (any letter case): .parquet, .csv,
                      .json/.jsonl/.ndjson (JSON lines), .arrow/.ipc/.feather (Arrow IPC
                      file). The file gets its name only when complete, so a failed or
                      interrupted run never leaves a partial file (nor touches an old
                      one, whose permissions the new file keeps)

TABLES
  A file can also be named in the query itself: FROM 'data/trades.parquet'.
  Formats follow the extension (any letter case): .parquet, .csv (with a header row),
  .json/.jsonl/.ndjson (JSON lines), .arrow/.ipc/.feather (Arrow IPC file or stream). A
  directory of files of one format works too (hidden files and other extensions skipped).

FUNCTIONS
  cumsum(x [, dtype [, nulls [, overflow [, axis [, reverse]]]]]) OVER (...) and likewise
  cumprod, nancumsum, nancumprod, cummax, cummin. Options are constants, by position or
  by name: cumsum(x, dtype => 'float64'). DataFusion fills named options by position, so
  give NULL for the ones you skip: cumsum(x, dtype => NULL, nulls => 'skip').
    dtype     NumPy's dtype=: bool, int8..int64, uint8..uint64, float16/32/64
    nulls     carry (default in SQL: a null row gives the running value, like
              sum(x) OVER), skip, propagate, identity
    overflow  wrap (default, NumPy) or error
    axis      for FixedSizeList columns: 0 (default: down the rows), 1, -1, ...
    reverse   true scans from the last row of the window to the first
  Without OVER, a function scans the whole result in its order: SELECT cumsum(x) FROM t.

EXAMPLES
  cumulus sql "SELECT ts, cumsum(qty) OVER (PARTITION BY symbol ORDER BY ts) AS position
               FROM 'trades.parquet'"
  cumulus sql "SELECT *, cumprod(1 + ret) OVER (ORDER BY day) AS growth FROM r" \
          --table r=returns.csv --output growth.parquet
  cumulus sql "SELECT cumsum(x, dtype => 'int8') OVER (ORDER BY i) FROM 'x.arrow'"

Progress (rows written, rate) is shown on stderr when it is a terminal. Errors are one
line on stderr and a non-zero exit status."#;

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let Some(first) = args.next() else {
        return Ok(Command::Demo);
    };
    match first.as_str() {
        "-h" | "--help" | "help" => return Ok(Command::Help),
        "-V" | "--version" => return Ok(Command::Version),
        "sql" => {}
        other => {
            return Err(format!(
                "unknown command '{other}'; accepted: sql, --help, --version, or no arguments for the demo"
            ));
        }
    }
    let mut query = None;
    let mut tables = vec![];
    let mut output = None;
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value; see cumulus --help"))
        };
        match arg.as_str() {
            "--table" => {
                let spec = value("--table")?;
                let (name, path) = spec
                    .split_once('=')
                    .filter(|(name, path)| !name.is_empty() && !path.is_empty())
                    .ok_or_else(|| format!("--table '{spec}' is not NAME=PATH"))?;
                tables.push((name.to_string(), PathBuf::from(path)));
            }
            "--output" | "-o" => {
                if output.replace(PathBuf::from(value("--output")?)).is_some() {
                    return Err("--output given twice".to_string());
                }
            }
            "-h" | "--help" => return Ok(Command::Help),
            flag if flag.starts_with("--") => {
                return Err(format!(
                    "unknown option '{flag}'; accepted: --table NAME=PATH, --output PATH"
                ));
            }
            text if query.is_none() => query = Some(text.to_string()),
            extra => {
                return Err(format!(
                    "unexpected argument '{extra}': give the query as one quoted argument"
                ));
            }
        }
    }
    let query = query.ok_or("sql needs a query: cumulus sql \"SELECT ...\"")?;
    Ok(Command::Sql(SqlArgs {
        query,
        tables,
        output,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_args(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn commands_and_options() {
        assert_eq!(parse_args(&[]), Ok(Command::Demo));
        assert_eq!(parse_args(&["--help"]), Ok(Command::Help));
        let parsed = parse_args(&[
            "sql",
            "SELECT 1",
            "--table",
            "t=a.csv",
            "--output",
            "o.parquet",
        ]);
        assert_eq!(
            parsed,
            Ok(Command::Sql(SqlArgs {
                query: "SELECT 1".into(),
                tables: vec![("t".into(), "a.csv".into())],
                output: Some("o.parquet".into()),
            }))
        );
        assert!(parse_args(&["sql"]).unwrap_err().contains("needs a query"));
        assert!(
            parse_args(&["sql", "q", "--table", "t"])
                .unwrap_err()
                .contains("NAME=PATH")
        );
        assert!(
            parse_args(&["sql", "q", "--fast"])
                .unwrap_err()
                .contains("accepted")
        );
        assert!(
            parse_args(&["query"])
                .unwrap_err()
                .contains("accepted: sql")
        );
    }
}
