//! Every NumPy golden fixture, bit for bit, on plain, sliced, nested and tensor columns.

use std::sync::Arc;

use arrow::array::{Array, ArrayData, ArrayRef, BooleanArray, make_array};
use arrow::buffer::MutableBuffer;
use arrow::datatypes::*;
use cumulus::{Axis, Operation, OutSlice, ScanOptions, scan_field, scan_into_dyn};

use crate::fixtures::{
    self, Case, Nesting, arrow_type, depth, flat_array, leaf_type, nest, render,
};

/// Runs a case on a column built with `nesting`; `Ok(rendered values)` or `Err(message)`.
fn run(case: &Case, nesting: Nesting, pad: usize) -> Result<(DataType, Vec<String>), String> {
    let flat = flat_array(&case.input.dtype, &case.input.values, pad);
    let (field, column) = nest(flat, &case.input.shape, nesting);
    let mut options = ScanOptions::default().with_axis(case.axis);
    options.dtype = case.dtype.clone();
    let (out_field, out) =
        scan_field(case.op, &field, column.as_ref(), &options).map_err(|e| e.to_string())?;
    assert_eq!(
        out_field.data_type(),
        out.data_type(),
        "{}: field and array agree",
        case.name
    );
    assert_eq!(
        &cumulus::result_field(case.op, &field, &options).unwrap(),
        &out_field,
        "{}: result_field predicts the output",
        case.name
    );
    Ok((out.data_type().clone(), render(out.as_ref())))
}

/// The expected nesting depth of the output.
fn expected_depth(case: &Case, nesting: Nesting) -> usize {
    let ndim = case.input.shape.len();
    match (case.axis, nesting) {
        (Axis::Flatten, _) if ndim > 1 => 0,
        (_, Nesting::Tensor) if ndim > 1 => 1,
        _ => ndim - 1,
    }
}

fn check(case: &Case, nesting: Nesting, pad: usize) -> Option<String> {
    let got = run(case, nesting, pad);
    match (&case.expected, &case.error, got) {
        (Some(expected), _, Ok((data_type, values))) => {
            let want_type = arrow_type(&expected.dtype);
            if leaf_type(&data_type) != want_type {
                return Some(format!("type {data_type}, NumPy {want_type}"));
            }
            if depth(&data_type) != expected_depth(case, nesting) {
                return Some(format!("nesting of {data_type}"));
            }
            let compared = comparable_prefix(case, &expected.values);
            (values[..compared] != expected.values[..compared])
                .then(|| format!("values\n   got {values:?}\n  want {:?}", expected.values))
        }
        (Some(_), _, Err(message)) => Some(format!("unexpected error: {message}")),
        (None, Some(numpy), Ok(_)) => Some(format!("NumPy raised '{numpy}', we did not")),
        (None, Some(numpy), Err(message)) => {
            // Axis errors are NumPy's words; type errors are ours (NumPy's ufunc message
            // names its dtype codes).
            let axis_error = numpy.contains("out of bounds");
            (axis_error && !message.contains(numpy.as_str()))
                .then(|| format!("error '{message}' does not contain NumPy's '{numpy}'"))
        }
        (None, None, _) => Some("fixture has neither result nor error".into()),
    }
}

/// NumPy's timedelta has NaT (the int64 minimum), which sticks: `NaT + x` and
/// `max(NaT, x)` are NaT. Arrow durations have no NaT (NumPy's NaT becomes a null when
/// converted to Arrow), so `i64::MIN` is an ordinary value here and scans go on past it, as
/// documented. Results are compared up to and including NumPy's first NaT.
fn comparable_prefix(case: &Case, expected: &[String]) -> usize {
    const NAT: &str = "-9223372036854775808";
    if !case.input.dtype.starts_with("timedelta") {
        return expected.len();
    }
    let first_nat = |values: &[String]| values.iter().position(|v| v == NAT);
    match (first_nat(&case.input.values), first_nat(expected)) {
        (Some(i), _) => i,
        (None, Some(i)) => i + 1,
        (None, None) => expected.len(),
    }
}

/// float->int casts of NaN, inf and out-of-range values are undefined in C. NumPy's
/// results for them depend on its build and even on the array length (its SIMD cast of
/// large negatives to uint32 differs from its scalar one); we follow its scalar x86-64
/// conversions. These cases are checked and reported, and must match except for the
/// documented length-dependent uint32 SIMD path.
fn platform_exception(case: &Case) -> bool {
    case.tagged("platform")
        && case.dtype.as_ref() == Some(&DataType::UInt32)
        && case.input.values.len() >= 8
}

#[test]
fn numpy_golden_fixtures_bit_for_bit() {
    let fixtures = fixtures::load();
    let mut failures = vec![];
    let mut platform_mismatches = vec![];
    let mut checked = 0;
    let classic = |c: &&Case| c.out.is_none() && c.include_initial.is_none();
    for case in fixtures.cases.iter().filter(classic) {
        let nestings: &[Nesting] = if case.input.shape.len() > 1 {
            &[Nesting::Lists, Nesting::SlicedParent, Nesting::Tensor]
        } else {
            &[Nesting::Lists]
        };
        for &nesting in nestings {
            for pad in [0, 3] {
                checked += 1;
                if let Some(problem) = check(case, nesting, pad) {
                    let line = format!("{} [{nesting:?}, pad {pad}]: {problem}", case.name);
                    if platform_exception(case) {
                        platform_mismatches.push(line);
                    } else {
                        failures.push(line);
                    }
                }
            }
        }
    }
    eprintln!(
        "numpy {}: {checked} runs, {} failures, {} length-dependent platform mismatches",
        fixtures.numpy_version,
        failures.len(),
        platform_mismatches.len()
    );
    assert!(
        failures.is_empty(),
        "{} mismatches with NumPy:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Runs an `out=` case through the runtime-typed `scan_into_dyn`, with `out` as raw bytes
/// of the fixture's `out` type (as a NumPy array's buffer reaches us).
fn run_out(case: &Case) -> Result<Vec<String>, String> {
    let flat = flat_array(&case.input.dtype, &case.input.values, 2);
    let (_, column) = nest(flat, &case.input.shape, Nesting::Lists);
    let mut options = ScanOptions::default().with_axis(case.axis);
    options.dtype = case.dtype.clone();
    let out_type = arrow_type(case.out.as_deref().unwrap());
    let n = case.expected.as_ref().unwrap().values.len();
    let size = cumulus::dtype::numpy_dtype(&out_type).unwrap().size;
    let mut buffer = MutableBuffer::from_len_zeroed(n * size);
    let out = OutSlice::try_from_bytes(&out_type, buffer.as_slice_mut()).unwrap();
    scan_into_dyn(case.op, column.as_ref(), &options, out).map_err(|e| e.to_string())?;
    let result: ArrayRef = match out_type {
        DataType::Boolean => Arc::new(BooleanArray::from_iter(
            buffer.as_slice().iter().map(|&b| Some(b != 0)),
        )),
        _ => make_array(
            ArrayData::try_new(out_type, n, None, 0, vec![buffer.into()], vec![]).unwrap(),
        ),
    };
    Ok(render(result.as_ref()))
}

#[test]
fn numpy_out_fixtures() {
    let fixtures = fixtures::load();
    let mut failures = vec![];
    let mut ran = 0;
    let mut platform = 0;
    for case in fixtures.cases.iter().filter(|c| c.out.is_some()) {
        ran += 1;
        let want = &case.expected.as_ref().unwrap().values;
        match run_out(case) {
            Ok(got) if &got == want => {}
            Ok(got) if case.tagged("platform") => {
                platform += 1;
                eprintln!(
                    "platform out= case {}: got {got:?} want {want:?}",
                    case.name
                )
            }
            Ok(got) => failures.push(format!("{}: got {got:?} want {want:?}", case.name)),
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    assert!(ran >= 20, "the out= fixtures ran");
    assert_eq!(
        platform, 0,
        "every platform-tagged out= case matches NumPy here"
    );
    assert!(
        failures.is_empty(),
        "out= mismatches:\n{}",
        failures.join("\n")
    );
}

/// NumPy 2's `cumulative_sum` / `cumulative_prod`: values, type, output shape and errors,
/// on plain, nested and tensor columns.
#[test]
fn numpy_cumulative_fixtures() {
    let fixtures = fixtures::load();
    let mut failures = vec![];
    let mut ran = 0;
    for case in fixtures.cases.iter() {
        let Some(include_initial) = case.include_initial else {
            continue;
        };
        let nestings: &[Nesting] = if case.input.shape.len() > 1 {
            &[Nesting::Lists, Nesting::SlicedParent, Nesting::Tensor]
        } else {
            &[Nesting::Lists]
        };
        for &nesting in nestings {
            ran += 1;
            let flat = flat_array(&case.input.dtype, &case.input.values, 2);
            let (field, column) = nest(flat, &case.input.shape, nesting);
            let mut options = ScanOptions::default().with_axis(case.axis);
            options.dtype = case.dtype.clone();
            let got = cumulus::cumulative_field(
                case.op,
                &field,
                column.as_ref(),
                &options,
                include_initial,
            );
            let problem = match (&case.expected, got) {
                (Some(expected), Ok((out_field, out))) => {
                    let want_type = arrow_type(&expected.dtype);
                    if leaf_type(out.data_type()) != want_type {
                        Some(format!("type {}, NumPy {want_type}", out.data_type()))
                    } else if out_field.data_type() != out.data_type() {
                        Some(format!("field {} for {}", out_field, out.data_type()))
                    } else if cumulus::cumulative_result_field(
                        case.op,
                        &field,
                        &options,
                        include_initial,
                    )
                    .ok()
                    .as_ref()
                        != Some(&out_field)
                    {
                        Some("cumulative_result_field does not predict the output".into())
                    } else if out.len() != expected.shape[0] {
                        Some(format!("{} rows, NumPy {}", out.len(), expected.shape[0]))
                    } else {
                        let values = render(out.as_ref());
                        (values != expected.values).then(|| {
                            format!("values\n   got {values:?}\n  want {:?}", expected.values)
                        })
                    }
                }
                (Some(_), Err(e)) => Some(format!("unexpected error: {e}")),
                (None, Ok(_)) => Some(format!("NumPy raised '{:?}', we did not", case.error)),
                (None, Err(e)) => {
                    let numpy = case.error.as_deref().unwrap_or_default();
                    (numpy.contains("out of bounds") && !e.to_string().contains(numpy))
                        .then(|| format!("error '{e}' does not contain NumPy's '{numpy}'"))
                }
            };
            if let Some(problem) = problem {
                failures.push(format!("{} [{nesting:?}]: {problem}", case.name));
            }
        }
    }
    assert!(ran > 300, "the cumulative fixtures ran ({ran})");
    assert!(
        failures.is_empty(),
        "{} mismatches with NumPy:\n{}",
        failures.len(),
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn fixture_operations_cover_all_six() {
    let fixtures = fixtures::load();
    for op in Operation::ALL {
        assert!(
            fixtures.cases.iter().filter(|c| c.op == op).count() > 500,
            "{op}"
        );
    }
}
