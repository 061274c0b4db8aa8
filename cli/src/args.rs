//! The command line: what the user asked for, parsed by hand (a few flags do not need a
//! parser crate), with an error naming what would have been accepted.

use std::net::SocketAddr;
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
    /// `sql QUERY [--table NAME=PATH]... [--ordered NAME=COLUMNS]... [--output PATH]
    /// [--memory-limit SIZE] [--spill-dir DIR] [--partitions N]`.
    Sql(SqlArgs),
    /// `scheduler [--bind ADDR]`: a Ballista scheduler that knows the cumulus functions.
    Scheduler {
        /// Where it listens (gRPC for clients and executors).
        bind: SocketAddr,
    },
    /// `executor --scheduler HOST:PORT [--bind ADDR] [--concurrent-tasks N]`: a Ballista
    /// executor that knows the cumulus functions.
    Executor(ExecutorArgs),
}

/// Where a scheduler listens when `--bind` is not given.
pub const DEFAULT_SCHEDULER_BIND: &str = "0.0.0.0:50050";
/// Where an executor serves Arrow Flight when `--bind` is not given (its task service
/// takes the next port).
pub const DEFAULT_EXECUTOR_BIND: &str = "0.0.0.0:50051";

/// The flags of `cumulus executor`.
#[derive(Debug, PartialEq)]
pub struct ExecutorArgs {
    /// `--scheduler HOST:PORT`.
    pub scheduler: String,
    /// `--bind ADDR`: the Flight service's address (the task service takes the next port).
    pub bind: SocketAddr,
    /// `--concurrent-tasks N`: task slots; `None` for the number of cores.
    pub concurrent_tasks: Option<usize>,
}

#[derive(Debug, PartialEq)]
pub struct SqlArgs {
    pub query: String,
    pub tables: Vec<(String, PathBuf)>,
    /// `--ordered NAME=COLUMNS`: the declared order of a `--table`, as (column,
    /// descending) pairs.
    pub orders: Vec<(String, Vec<(String, bool)>)>,
    pub output: Option<PathBuf>,
    /// `--memory-limit`: `None` when not given (the library's default, half of the
    /// machine's memory), `Some(None)` for `none`.
    pub memory_limit: Option<Option<usize>>,
    pub spill_dir: Option<PathBuf>,
    /// `--partitions N`: how many partitions the query is planned with; `None`: one per
    /// core (DataFusion's default).
    pub partitions: Option<usize>,
    /// `--cluster df://HOST:PORT`: run on the Ballista cluster whose scheduler is there.
    pub cluster: Option<String>,
}

/// `--help`, with `{functions}` standing for [`functions_help`].
const USAGE: &str = r#"cumulus: NumPy-exact cumulative sums, products, maxima and minima over Parquet, CSV,
JSON-lines and Arrow IPC files, in SQL (Apache DataFusion) with cumsum, cumprod, nancumsum,
nancumprod, cummax and cummin registered as window functions.

USAGE
  cumulus                          run a short demo on a small built-in dataset
  cumulus sql QUERY [OPTIONS]      run QUERY and print the result, or write it to a file
  cumulus --help | --version
  cumulus scheduler [--bind ADDR]  run a Ballista scheduler (default 0.0.0.0:50050)
  cumulus executor --scheduler HOST:PORT [--bind ADDR] [--concurrent-tasks N]
                                   run a Ballista executor (default bind 0.0.0.0:50051;
                                   its task service takes the next port; N: task slots,
                                   default the number of cores)

OPTIONS (for sql)
  --table NAME=PATH   make the file at PATH available as table NAME (repeatable)
  --ordered NAME=COLS declare that the rows of --table NAME are sorted by COLS
                      (g,t or t DESC; ascending, nulls first by default): a query
                      needing that order skips its sort; the order is checked as rows
                      are read, and a file that breaks it is an error naming the row
  --output PATH       write the result to PATH instead of printing a table; the format
                      follows the extension (any letter case): .parquet, .csv,
                      .json/.jsonl/.ndjson (JSON lines), .arrow/.ipc/.feather (Arrow IPC
                      file). The file gets its name only when complete, so a failed or
                      interrupted run never leaves a partial file (nor touches an old
                      one, whose permissions the new file keeps). A Parquet result
                      whose row order is known records it (sorting_columns), so the
                      next query over it needs no sort
  --memory-limit SIZE the most memory sorts and buffering windows hold before they
                      spill to disk: bytes, or a number with K, M, G or T (powers of
                      1024), or none; default: half of the machine's memory
  --spill-dir DIR     where spill files go (default: the system's temporary directory)
  --partitions N      plan the query with N partitions (default: one per core). A file
                      declared in the window's order (--ordered, sorting_columns) streams
                      through the window in one partition whatever N is
  --cluster df://HOST:PORT
                      run the query on the Ballista cluster whose scheduler is there
                      (not with --ordered, --memory-limit, --spill-dir or --partitions)

ON A CLUSTER (Ballista; the command must be built with its `ballista` feature)
  cumulus scheduler --bind 0.0.0.0:50050                                 # one machine
  cumulus executor --scheduler HOST:50050 --concurrent-tasks 4           # each machine
  cumulus sql --cluster df://HOST:50050 "SELECT ... FROM '/shared/t.parquet'"
  Tables must be files every executor can read under the same path (a shared
  filesystem). An unreachable scheduler, an executor that dies for good or a file an
  executor cannot read end the query with an error; an executor that dies while others
  remain has its tasks rerun on them (after 30 s without its heartbeat).

TABLES
  A file can also be named in the query itself: FROM 'data/trades.parquet'.
  Formats follow the extension (any letter case): .parquet, .csv (with a header row),
  .json/.jsonl/.ndjson (JSON lines), .arrow/.ipc/.feather (Arrow IPC file or stream). A
  directory of files of one format works too (hidden files and other extensions skipped).

{functions}
EXAMPLES
  cumulus sql "SELECT ts, cumsum(qty) OVER (PARTITION BY symbol ORDER BY ts) AS position
               FROM 'trades.parquet'"
  cumulus sql "SELECT *, cumprod(1 + ret) OVER (ORDER BY day) AS growth FROM r" \
          --table r=returns.csv --output growth.parquet
  cumulus sql "SELECT cumsum(x, dtype => 'int8') OVER (ORDER BY i) FROM 'x.arrow'"

Progress (rows written, rate) is shown on stderr when it is a terminal. Errors are one
line on stderr and a non-zero exit status."#;

/// The text of `cumulus --help`.
pub fn usage() -> String {
    USAGE.replace("{functions}", &functions_help())
}

/// The FUNCTIONS section of `--help`, from the core's tables: the operations, and each
/// option with its summary, accepted values and SQL default.
fn functions_help() -> String {
    use cumulus::{Operation, ScanOption};
    let names: Vec<&str> = Operation::ALL.iter().map(|op| op.name()).collect();
    let defaults = cumulus::datafusion::sql_defaults();
    let mut text = format!(
        "FUNCTIONS\n  {} (window functions; x is the column to scan).\n  Options are constants after x, in any order: each value says which option\n  it sets. cumsum(x, 'skip'), cumsum(x, 'int8', 'error'), cumsum(v, 1), cumsum(x, true).\n  By name, DataFusion needs the options named to be a prefix of ({}), with\n  NULL for the ones skipped: cumsum(x, dtype => NULL, nulls => 'skip').\n",
        names.join(", "),
        ScanOption::ALL.map(ScanOption::name).join(", "),
    );
    for option in ScanOption::ALL {
        let default = option
            .value_text(&defaults)
            .map_or_else(String::new, |value| format!(" (default in SQL: {value})"));
        text += &format!(
            "    {:<9} {}{default}\n              accepted: {}\n",
            option.name(),
            option.summary(),
            option.accepted_values()
        );
    }
    text += "  Without OVER, a function scans the whole result in its order: SELECT cumsum(x) FROM t.\n";
    text
}

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
        "scheduler" => return parse_scheduler(args),
        "executor" => return parse_executor(args),
        other => {
            return Err(format!(
                "unknown command '{other}'; accepted: sql, scheduler, executor, --help, --version, or no arguments for the demo"
            ));
        }
    }
    let mut query = None;
    let mut tables = vec![];
    let mut orders = vec![];
    let mut output = None;
    let mut memory_limit = None;
    let mut spill_dir = None;
    let mut partitions = None;
    let mut cluster = None;
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
            "--ordered" => {
                let spec = value("--ordered")?;
                orders.push(parse_order(&spec)?);
            }
            "--output" | "-o" => {
                if output.replace(PathBuf::from(value("--output")?)).is_some() {
                    return Err("--output given twice".to_string());
                }
            }
            "--memory-limit" => {
                let text = value("--memory-limit")?;
                if memory_limit.replace(parse_size(&text)?).is_some() {
                    return Err("--memory-limit given twice".to_string());
                }
            }
            "--spill-dir" => {
                if spill_dir
                    .replace(PathBuf::from(value("--spill-dir")?))
                    .is_some()
                {
                    return Err("--spill-dir given twice".to_string());
                }
            }
            "--partitions" => {
                let text = value("--partitions")?;
                let n = text
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| {
                        format!(
                            "--partitions '{text}' is not a count; accepted: a whole number from 1"
                        )
                    })?;
                if partitions.replace(n).is_some() {
                    return Err("--partitions given twice".to_string());
                }
            }
            "--cluster" => {
                let url = parse_cluster(&value("--cluster")?)?;
                if cluster.replace(url).is_some() {
                    return Err("--cluster given twice".to_string());
                }
            }
            "-h" | "--help" => return Ok(Command::Help),
            flag if flag.starts_with("--") => {
                return Err(format!(
                    "unknown option '{flag}'; accepted: --table NAME=PATH, --ordered NAME=COLUMNS, --output PATH, --memory-limit SIZE, --spill-dir DIR, --partitions N, --cluster df://HOST:PORT"
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
    if let Some((name, _)) = orders
        .iter()
        .find(|(name, _)| !tables.iter().any(|(table, _)| table == name))
    {
        return Err(format!(
            "--ordered {name}=...: no --table {name}=PATH; accepted: the name of a --table"
        ));
    }
    if cluster.is_some() {
        let local_only = [
            ("--ordered", !orders.is_empty()),
            ("--memory-limit", memory_limit.is_some()),
            ("--spill-dir", spill_dir.is_some()),
            ("--partitions", partitions.is_some()),
        ];
        if let Some((flag, _)) = local_only.iter().find(|(_, given)| *given) {
            return Err(format!(
                "{flag} is for local runs, not with --cluster; accepted with --cluster: --table NAME=PATH, --output PATH"
            ));
        }
    }
    Ok(Command::Sql(SqlArgs {
        query,
        tables,
        orders,
        output,
        memory_limit,
        spill_dir,
        partitions,
        cluster,
    }))
}

/// `--cluster`'s value: `df://HOST:PORT` (the scheme is required, the port too).
fn parse_cluster(url: &str) -> Result<String, String> {
    let refuse = || {
        format!(
            "--cluster '{url}' is not a scheduler URL; accepted: df://HOST:PORT (df://scheduler:50050)"
        )
    };
    let rest = url.strip_prefix("df://").ok_or_else(refuse)?;
    parse_host_port(rest).map_err(|_| refuse())?;
    Ok(url.to_string())
}

/// `HOST:PORT` with a non-empty host (a name, an IPv4 address or a bracketed IPv6 one)
/// and a port from 1 to 65535.
fn parse_host_port(text: &str) -> Result<(), ()> {
    let (host, port) = text.rsplit_once(':').ok_or(())?;
    let port: u16 = port.parse().map_err(|_| ())?;
    let valid_host = !host.is_empty()
        && !host.contains(['/', '@', '?', '#', ' '])
        && (!host.contains(':') || (host.starts_with('[') && host.ends_with(']')));
    if port == 0 || !valid_host {
        return Err(());
    }
    Ok(())
}

/// An `ADDR` for `--bind`: an IP address and a port (`0.0.0.0:50050`, `[::]:50050`).
fn parse_bind(flag: &str, text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| {
        format!("{flag} '{text}' is not an address; accepted: IP:PORT (0.0.0.0:50050, 127.0.0.1:50051, [::]:50050)")
    })
}

/// The flags of `cumulus scheduler`.
fn parse_scheduler(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut bind = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bind" => {
                let text = args
                    .next()
                    .ok_or("--bind needs a value; see cumulus --help")?;
                if bind.replace(parse_bind("--bind", &text)?).is_some() {
                    return Err("--bind given twice".to_string());
                }
            }
            "-h" | "--help" => return Ok(Command::Help),
            other => {
                return Err(format!(
                    "unknown argument '{other}' for scheduler; accepted: --bind ADDR"
                ));
            }
        }
    }
    let bind = match bind {
        Some(bind) => bind,
        None => parse_bind("--bind", DEFAULT_SCHEDULER_BIND)?,
    };
    if bind.port() == 0 {
        return Err("--bind: give a port from 1 to 65535".to_string());
    }
    Ok(Command::Scheduler { bind })
}

/// The flags of `cumulus executor`.
fn parse_executor(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut scheduler = None;
    let mut bind = None;
    let mut concurrent_tasks = None;
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value; see cumulus --help"))
        };
        match arg.as_str() {
            "--scheduler" => {
                let text = value("--scheduler")?;
                parse_host_port(&text).map_err(|_| {
                    format!("--scheduler '{text}' is not HOST:PORT; accepted: a host name or IP address, ':' and a port (scheduler:50050, 10.0.0.5:50050)")
                })?;
                if scheduler.replace(text).is_some() {
                    return Err("--scheduler given twice".to_string());
                }
            }
            "--bind" => {
                let addr = parse_bind("--bind", &value("--bind")?)?;
                if bind.replace(addr).is_some() {
                    return Err("--bind given twice".to_string());
                }
            }
            "--concurrent-tasks" => {
                let text = value("--concurrent-tasks")?;
                let n = text
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| (1..=4096).contains(&n))
                    .ok_or_else(|| {
                        format!("--concurrent-tasks '{text}' is not a number of task slots; accepted: 1 to 4096")
                    })?;
                if concurrent_tasks.replace(n).is_some() {
                    return Err("--concurrent-tasks given twice".to_string());
                }
            }
            "-h" | "--help" => return Ok(Command::Help),
            other => {
                return Err(format!(
                    "unknown argument '{other}' for executor; accepted: --scheduler HOST:PORT, --bind ADDR, --concurrent-tasks N"
                ));
            }
        }
    }
    let scheduler =
        scheduler.ok_or("executor needs --scheduler HOST:PORT (the scheduler's address)")?;
    let bind = match bind {
        Some(bind) => bind,
        None => parse_bind("--bind", DEFAULT_EXECUTOR_BIND)?,
    };
    if bind.port() == 0 || bind.port() == u16::MAX {
        return Err(format!(
            "--bind {bind}: give a port from 1 to 65534 (the task service takes the next one)"
        ));
    }
    Ok(Command::Executor(ExecutorArgs {
        scheduler,
        bind,
        concurrent_tasks,
    }))
}

/// `--ordered`'s value: `NAME=COL[ ASC|DESC][,COL[ ASC|DESC]]...`.
fn parse_order(spec: &str) -> Result<(String, Vec<(String, bool)>), String> {
    let refuse = || {
        format!(
            "--ordered '{spec}' is not NAME=COLUMNS; accepted: a table name, '=', and columns separated by commas, each optionally followed by ASC or DESC (t=g,ts DESC)"
        )
    };
    let (name, columns) = spec.split_once('=').ok_or_else(refuse)?;
    let keys = columns
        .split(',')
        .map(|key| {
            let words: Vec<&str> = key.split_whitespace().collect();
            match words.as_slice() {
                [column] => Ok((column.to_string(), false)),
                [column, way] if way.eq_ignore_ascii_case("asc") => Ok((column.to_string(), false)),
                [column, way] if way.eq_ignore_ascii_case("desc") => Ok((column.to_string(), true)),
                _ => Err(refuse()),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    if name.trim().is_empty() {
        return Err(refuse());
    }
    Ok((name.trim().to_string(), keys))
}

/// `--memory-limit`'s value: bytes, a number with a K, M, G or T suffix (powers of 1024,
/// optionally followed by B or iB, any letter case), or `none`.
fn parse_size(text: &str) -> Result<Option<usize>, String> {
    let refuse = || {
        format!(
            "--memory-limit '{text}' is not a size; accepted: bytes (1000000), a number with K, M, G or T (512M, 1.5G), or none"
        )
    };
    let lower = text.trim().to_ascii_lowercase();
    if lower == "none" {
        return Ok(None);
    }
    let digits = lower.trim_end_matches("ib").trim_end_matches('b');
    let (number, scale) = match digits.char_indices().last() {
        Some((i, 'k')) => (&digits[..i], 1u64 << 10),
        Some((i, 'm')) => (&digits[..i], 1 << 20),
        Some((i, 'g')) => (&digits[..i], 1 << 30),
        Some((i, 't')) => (&digits[..i], 1 << 40),
        _ => (digits, 1),
    };
    let number: f64 = number.trim().parse().map_err(|_| refuse())?;
    let bytes = number * scale as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > usize::MAX as f64 {
        return Err(refuse());
    }
    Ok(Some(bytes as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_args(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn help_lists_every_operation_and_option_from_the_core() {
        let help = usage();
        assert!(!help.contains("{functions}"));
        for op in cumulus::Operation::ALL {
            assert!(help.contains(op.name()), "{}", op.name());
        }
        for option in cumulus::ScanOption::ALL {
            assert!(
                help.contains(&option.accepted_values()),
                "{}",
                option.name()
            );
        }
        assert!(help.contains("(default in SQL: carry)"), "{help}");
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
                orders: vec![],
                output: Some("o.parquet".into()),
                memory_limit: None,
                spill_dir: None,
                partitions: None,
                cluster: None,
            }))
        );
        let Ok(Command::Sql(limited)) = parse_args(&[
            "sql",
            "q",
            "--memory-limit",
            "1.5G",
            "--spill-dir",
            "/tmp/s",
            "--partitions",
            "1",
        ]) else {
            panic!("parses")
        };
        assert_eq!(limited.memory_limit, Some(Some(3 << 29)));
        assert_eq!(limited.spill_dir, Some("/tmp/s".into()));
        assert_eq!(limited.partitions, Some(1));
        for bad in ["0", "-1", "two", ""] {
            assert!(
                parse_args(&["sql", "q", "--partitions", bad])
                    .unwrap_err()
                    .contains("accepted: a whole number from 1"),
                "{bad}"
            );
        }
        let Ok(Command::Sql(ordered)) = parse_args(&[
            "sql",
            "q",
            "--table",
            "t=a.csv",
            "--ordered",
            "t=g, ts desc",
        ]) else {
            panic!("parses")
        };
        assert_eq!(
            ordered.orders,
            vec![("t".into(), vec![("g".into(), false), ("ts".into(), true)])]
        );
        for bad in ["t", "t=", "t=a,", "t=a sideways", "=a"] {
            assert!(
                parse_args(&["sql", "q", "--table", "t=a.csv", "--ordered", bad])
                    .unwrap_err()
                    .contains("accepted"),
                "{bad}"
            );
        }
        assert!(
            parse_args(&["sql", "q", "--ordered", "u=a"])
                .unwrap_err()
                .contains("no --table u=PATH")
        );
        assert_eq!(parse_size("none"), Ok(None));
        assert_eq!(parse_size("512MiB"), Ok(Some(512 << 20)));
        assert_eq!(parse_size("1000"), Ok(Some(1000)));
        for bad in ["", "-1G", "0", "lots", "1X", "NaN", "1e400"] {
            assert!(parse_size(bad).unwrap_err().contains("accepted"), "{bad}");
        }
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

    #[test]
    fn cluster_commands() {
        assert_eq!(
            parse_args(&["scheduler"]),
            Ok(Command::Scheduler {
                bind: DEFAULT_SCHEDULER_BIND.parse().unwrap()
            })
        );
        assert_eq!(
            parse_args(&["scheduler", "--bind", "127.0.0.1:6000"]),
            Ok(Command::Scheduler {
                bind: "127.0.0.1:6000".parse().unwrap()
            })
        );
        assert_eq!(
            parse_args(&[
                "executor",
                "--scheduler",
                "sched.local:50050",
                "--bind",
                "[::1]:7000",
                "--concurrent-tasks",
                "3"
            ]),
            Ok(Command::Executor(ExecutorArgs {
                scheduler: "sched.local:50050".into(),
                bind: "[::1]:7000".parse().unwrap(),
                concurrent_tasks: Some(3),
            }))
        );
        assert_eq!(
            parse_args(&["executor", "--scheduler", "[::1]:50050"]),
            Ok(Command::Executor(ExecutorArgs {
                scheduler: "[::1]:50050".into(),
                bind: DEFAULT_EXECUTOR_BIND.parse().unwrap(),
                concurrent_tasks: None,
            }))
        );
        let Ok(Command::Sql(on_cluster)) = parse_args(&[
            "sql",
            "q",
            "--cluster",
            "df://127.0.0.1:50050",
            "--table",
            "t=a.parquet",
        ]) else {
            panic!("parses")
        };
        assert_eq!(on_cluster.cluster.as_deref(), Some("df://127.0.0.1:50050"));
        let refusals: &[(&[&str], &str)] = &[
            (&["scheduler", "--bind", "localhost:1"], "accepted: IP:PORT"),
            (&["scheduler", "--bind", "0.0.0.0:0"], "port from 1"),
            (&["scheduler", "--bind"], "needs a value"),
            (&["scheduler", "--port", "1"], "accepted: --bind ADDR"),
            (&["executor"], "needs --scheduler"),
            (
                &["executor", "--scheduler", "host"],
                "accepted: a host name",
            ),
            (
                &["executor", "--scheduler", "host:0"],
                "accepted: a host name",
            ),
            (
                &["executor", "--scheduler", ":50050"],
                "accepted: a host name",
            ),
            (
                &["executor", "--scheduler", "a:1", "--bind", "0.0.0.0:65535"],
                "1 to 65534",
            ),
            (
                &["executor", "--scheduler", "a:1", "--concurrent-tasks", "0"],
                "accepted: 1 to 4096",
            ),
            (
                &["executor", "--scheduler", "a:1", "--concurrent-tasks", "x"],
                "accepted: 1 to 4096",
            ),
            (
                &["executor", "--scheduler", "a:1", "--scheduler", "b:1"],
                "twice",
            ),
            (
                &["executor", "--scheduler", "a:1", "--threads", "2"],
                "accepted: --scheduler",
            ),
            (
                &["sql", "q", "--cluster", "127.0.0.1:50050"],
                "accepted: df://HOST:PORT",
            ),
            (
                &["sql", "q", "--cluster", "df://h"],
                "accepted: df://HOST:PORT",
            ),
            (
                &["sql", "q", "--cluster", "df://h:1/x"],
                "accepted: df://HOST:PORT",
            ),
            (
                &["sql", "q", "--cluster", "df://h:1", "--memory-limit", "1G"],
                "not with --cluster",
            ),
            (
                &["sql", "q", "--cluster", "df://h:1", "--spill-dir", "/t"],
                "not with --cluster",
            ),
            (
                &[
                    "sql",
                    "q",
                    "--cluster",
                    "df://h:1",
                    "--table",
                    "t=a",
                    "--ordered",
                    "t=a",
                ],
                "not with --cluster",
            ),
        ];
        for (args, needle) in refusals {
            let error = parse_args(args).unwrap_err();
            assert!(error.contains(needle), "{args:?}: {error}");
        }
        assert!(usage().contains("cumulus sql --cluster df://HOST:50050"));
    }
}
