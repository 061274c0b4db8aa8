//! Null policies against the peers' documented results (reference/numpy-semantics.md §5),
//! the N-dimensional null table of the crate docs cell by cell, and the error messages.

use std::sync::Arc;

use arrow::array::*;
use arrow::buffer::NullBuffer;
use arrow::datatypes::*;
use cumulus::{Axis, Error, NullPolicy, Operation, Overflow, ScanOptions, Scanner};

fn opts(nulls: NullPolicy) -> ScanOptions {
    ScanOptions::default().with_nulls(nulls)
}

fn i64s(values: &[Option<i64>]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

fn cumsum(x: &dyn Array, options: &ScanOptions) -> ArrayRef {
    cumulus::cumsum(x, options).unwrap()
}

#[test]
fn one_null_in_the_middle_under_each_policy() {
    let x = i64s(&[Some(1), None, Some(2)]);
    let cases = [
        (NullPolicy::Skip, vec![Some(1), None, Some(3)]), // Polars, pandas, pyarrow skip_nulls
        (NullPolicy::Propagate, vec![Some(1), None, None]), // pyarrow default
        (NullPolicy::Carry, vec![Some(1), Some(1), Some(3)]), // SQL window sum
        (NullPolicy::Identity, vec![Some(1), Some(1), Some(3)]), // nancumsum
    ];
    for (policy, expected) in cases {
        assert_eq!(
            cumsum(&x, &opts(policy)).as_ref(),
            i64s(&expected).as_ref(),
            "{policy}"
        );
    }
}

#[test]
fn leading_and_all_nulls() {
    let leading = i64s(&[None, Some(1), Some(2)]);
    assert_eq!(
        cumsum(&leading, &opts(NullPolicy::Carry)).as_ref(),
        i64s(&[None, Some(1), Some(3)]).as_ref()
    );
    assert_eq!(
        cumsum(&leading, &opts(NullPolicy::Identity)).as_ref(),
        i64s(&[Some(0), Some(1), Some(3)]).as_ref()
    );
    let all = i64s(&[None, None]);
    for policy in [NullPolicy::Skip, NullPolicy::Propagate, NullPolicy::Carry] {
        assert_eq!(cumsum(&all, &opts(policy)).null_count(), 2, "{policy}");
    }
    // Identity: the identity of each operation.
    let all_f = Float64Array::from(vec![None, None]);
    let identity = opts(NullPolicy::Identity);
    let value = |op, x: &dyn Array| {
        let y = cumulus::scan(op, x, &identity).unwrap();
        y.as_primitive::<Float64Type>().value(1)
    };
    assert_eq!(value(Operation::Cumsum, &all_f), 0.0);
    assert_eq!(value(Operation::Cumprod, &all_f), 1.0);
    assert_eq!(value(Operation::Cummax, &all_f), f64::NEG_INFINITY);
    assert_eq!(value(Operation::Cummin, &all_f), f64::INFINITY);
}

#[test]
fn reverse_scans_from_the_end() {
    let x = i64s(&[Some(1), None, Some(2)]);
    let options = opts(NullPolicy::Skip).with_reverse(true);
    // Polars: cum_sum(reverse=True) of [1, null, 2] is [3, null, 2].
    assert_eq!(
        cumsum(&x, &options).as_ref(),
        i64s(&[Some(3), None, Some(2)]).as_ref()
    );
    let options = opts(NullPolicy::Propagate).with_reverse(true);
    assert_eq!(
        cumsum(&x, &options).as_ref(),
        i64s(&[None, None, Some(2)]).as_ref()
    );
    let options = opts(NullPolicy::Carry).with_reverse(true);
    let y = cumsum(&i64s(&[Some(1), Some(2), None]), &options);
    assert_eq!(y.as_ref(), i64s(&[Some(3), Some(2), None]).as_ref());
}

#[test]
fn nan_is_a_value_except_in_the_nan_variants() {
    let x = Float64Array::from(vec![1.0, f64::NAN, 2.0]);
    let sum = cumsum(&x, &ScanOptions::default());
    let sum = sum.as_primitive::<Float64Type>();
    assert!(sum.value(1).is_nan() && sum.value(2).is_nan());
    let nan_sum = cumulus::nancumsum(&x, &ScanOptions::default()).unwrap();
    assert_eq!(
        nan_sum.as_primitive::<Float64Type>().values().as_ref(),
        &[1.0, 1.0, 3.0]
    );
    let leading = Float64Array::from(vec![f64::NAN, f64::NAN, 2.0]);
    let nan_prod = cumulus::nancumprod(&leading, &ScanOptions::default()).unwrap();
    assert_eq!(
        nan_prod.as_primitive::<Float64Type>().values().as_ref(),
        &[1.0, 1.0, 2.0]
    );
    let max = cumulus::cummax(&x, &ScanOptions::default()).unwrap();
    let max = max.as_primitive::<Float64Type>();
    assert_eq!(max.value(0), 1.0);
    assert!(max.value(1).is_nan() && max.value(2).is_nan());
    // A null and a NaN are different things: under Skip the null stays null and the NaN
    // counts as 0 in nancumsum.
    let mixed = Float64Array::from(vec![Some(1.0), None, Some(f64::NAN), Some(2.0)]);
    let y = cumulus::nancumsum(&mixed, &ScanOptions::default()).unwrap();
    assert_eq!(
        y.as_ref(),
        &Float64Array::from(vec![Some(1.0), None, Some(1.0), Some(3.0)]) as &dyn Array
    );
}

#[test]
fn propagate_poisons_later_chunks() {
    let mut scanner = Scanner::try_new(
        Operation::Cumsum,
        &DataType::Int64,
        &opts(NullPolicy::Propagate),
    )
    .unwrap();
    let first = scanner
        .push(&Int64Array::from(vec![Some(1), None]))
        .unwrap();
    let second = scanner
        .push(&Int64Array::from(vec![Some(2), Some(3)]))
        .unwrap();
    assert_eq!(first.null_count(), 1);
    assert_eq!(second.null_count(), 2);
    scanner.reset();
    let again = scanner.push(&Int64Array::from(vec![Some(2)])).unwrap();
    assert_eq!(again.as_ref(), &Int64Array::from(vec![2]) as &dyn Array);
}

#[test]
fn carry_remembers_a_value_from_an_earlier_chunk() {
    let mut scanner = Scanner::try_new(
        Operation::Cumsum,
        &DataType::Int64,
        &opts(NullPolicy::Carry),
    )
    .unwrap();
    scanner
        .push(&Int64Array::from(vec![None, Some(5)]))
        .unwrap();
    let second = scanner
        .push(&Int64Array::from(vec![None, Some(1)]))
        .unwrap();
    assert_eq!(second.as_ref(), &Int64Array::from(vec![5, 6]) as &dyn Array);
}

/// `[[1, 2], null, [3, 4]]` and `[[1, null], [2, 3]]` as FixedSizeList<Int64, 2>.
fn matrix(rows: &[Option<[Option<i64>; 2]>]) -> ArrayRef {
    let values: Vec<Option<i64>> = rows
        .iter()
        .flat_map(|r| r.unwrap_or([Some(99), Some(-99)]))
        .collect();
    let nulls = NullBuffer::from(rows.iter().map(Option::is_some).collect::<Vec<_>>());
    let item = Arc::new(Field::new("item", DataType::Int64, true));
    Arc::new(FixedSizeListArray::new(
        item,
        2,
        Arc::new(Int64Array::from(values)),
        Some(nulls),
    ))
}

/// A result as rows of elements, `None` for a null row.
fn rows_of(y: &dyn Array) -> Vec<Option<Vec<Option<i64>>>> {
    let list = y.as_fixed_size_list();
    (0..list.len())
        .map(|i| {
            list.is_valid(i).then(|| {
                let row = list.value(i);
                let row = row.as_primitive::<Int64Type>();
                (0..row.len())
                    .map(|j| row.is_valid(j).then(|| row.value(j)))
                    .collect()
            })
        })
        .collect()
}

fn flat_of(y: &dyn Array) -> Vec<Option<i64>> {
    let y = y.as_primitive::<Int64Type>();
    (0..y.len())
        .map(|i| y.is_valid(i).then(|| y.value(i)))
        .collect()
}

#[test]
fn nd_null_rows_follow_the_documented_table() {
    let x = matrix(&[Some([Some(1), Some(2)]), None, Some([Some(3), Some(4)])]);
    let row = |a: Option<i64>, b: Option<i64>| Some(vec![a, b]);
    let n = None;
    let s = Some;
    // Axis 0: a running vector down the rows.
    let axis0 = [
        (
            NullPolicy::Skip,
            vec![row(s(1), s(2)), None, row(s(4), s(6))],
        ),
        (
            NullPolicy::Propagate,
            vec![row(s(1), s(2)), None, row(n, n)],
        ),
        (
            NullPolicy::Carry,
            vec![row(s(1), s(2)), row(s(1), s(2)), row(s(4), s(6))],
        ),
        (
            NullPolicy::Identity,
            vec![row(s(1), s(2)), row(s(1), s(2)), row(s(4), s(6))],
        ),
    ];
    for (policy, expected) in axis0 {
        let y = cumsum(&x, &opts(policy).with_axis(0));
        assert_eq!(rows_of(&y), expected, "axis 0, {policy}");
    }
    // The last axis: each row on its own; a null row has no value in its lanes.
    let last = [
        (
            NullPolicy::Skip,
            vec![row(s(1), s(3)), None, row(s(3), s(7))],
        ),
        (
            NullPolicy::Propagate,
            vec![row(s(1), s(3)), None, row(s(3), s(7))],
        ),
        (
            NullPolicy::Carry,
            vec![row(s(1), s(3)), row(n, n), row(s(3), s(7))],
        ),
        (
            NullPolicy::Identity,
            vec![row(s(1), s(3)), row(s(0), s(0)), row(s(3), s(7))],
        ),
    ];
    for (policy, expected) in last {
        let y = cumsum(&x, &opts(policy).with_axis(-1));
        assert_eq!(rows_of(&y), expected, "axis -1, {policy}");
    }
    // Flatten: one lane through every element, returned flat.
    let flat = [
        (NullPolicy::Skip, vec![s(1), s(3), n, n, s(6), s(10)]),
        (NullPolicy::Propagate, vec![s(1), s(3), n, n, n, n]),
        (NullPolicy::Carry, vec![s(1), s(3), s(3), s(3), s(6), s(10)]),
        (
            NullPolicy::Identity,
            vec![s(1), s(3), s(3), s(3), s(6), s(10)],
        ),
    ];
    for (policy, expected) in flat {
        let y = cumsum(&x, &opts(policy).with_axis(Axis::Flatten));
        assert_eq!(flat_of(&y), expected, "flatten, {policy}");
    }
}

#[test]
fn nd_null_elements_follow_the_documented_table() {
    let x = matrix(&[Some([Some(1), None]), Some([Some(2), Some(3)])]);
    let row = |a: Option<i64>, b: Option<i64>| Some(vec![a, b]);
    let (n, s) = (None, Some);
    let axis0 = [
        (NullPolicy::Skip, vec![row(s(1), n), row(s(3), s(3))]),
        (NullPolicy::Propagate, vec![row(s(1), n), row(s(3), n)]),
        (NullPolicy::Carry, vec![row(s(1), n), row(s(3), s(3))]),
        (NullPolicy::Identity, vec![row(s(1), s(0)), row(s(3), s(3))]),
    ];
    for (policy, expected) in axis0 {
        let y = cumsum(&x, &opts(policy).with_axis(0));
        assert_eq!(rows_of(&y), expected, "axis 0, {policy}");
    }
    let last = [
        (NullPolicy::Skip, vec![row(s(1), n), row(s(2), s(5))]),
        (NullPolicy::Propagate, vec![row(s(1), n), row(s(2), s(5))]),
        (NullPolicy::Carry, vec![row(s(1), s(1)), row(s(2), s(5))]),
        (NullPolicy::Identity, vec![row(s(1), s(1)), row(s(2), s(5))]),
    ];
    for (policy, expected) in last {
        let y = cumsum(&x, &opts(policy).with_axis(1));
        assert_eq!(rows_of(&y), expected, "axis 1, {policy}");
    }
}

#[test]
fn list_columns_scan_within_each_list() {
    let x = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
        Some(vec![Some(1), Some(2)]),
        None,
        Some(vec![Some(3), None, Some(4)]),
        Some(vec![]),
    ]);
    let x = x.slice(0, 4);
    let y = cumsum(&x, &ScanOptions::default().with_axis(-1));
    let expected = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
        Some(vec![Some(1), Some(3)]),
        None,
        Some(vec![Some(3), None, Some(7)]),
        Some(vec![]),
    ]);
    assert_eq!(y.as_ref(), &expected as &dyn Array);
    // A sliced list column whose offsets do not start at 0.
    let tail = x.slice(2, 2);
    let y = cumsum(&tail, &ScanOptions::default().with_axis(1));
    let expected = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
        Some(vec![Some(3), None, Some(7)]),
        Some(vec![]),
    ]);
    assert_eq!(y.as_ref(), &expected as &dyn Array);
    for axis in [Axis::Flatten, Axis::Index(0), Axis::Index(-2)] {
        let err = cumulus::cumsum(&x, &ScanOptions::default().with_axis(axis)).unwrap_err();
        assert!(
            err.to_string()
                .contains("accepted: 1 or -1 (within each list)"),
            "{axis}: {err}"
        );
    }
    let large =
        LargeListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(7), Some(8)])]);
    let y = cumulus::cumprod(&large, &ScanOptions::default().with_axis(-1)).unwrap();
    let expected =
        LargeListArray::from_iter_primitive::<Int64Type, _, _>(vec![Some(vec![Some(7), Some(56)])]);
    assert_eq!(y.as_ref(), &expected as &dyn Array);
}

#[test]
fn overflow_error_names_the_row_and_garbage_under_nulls_is_ignored() {
    let checked = ScanOptions::default().with_overflow(Overflow::Error);
    let x = Int64Array::from(vec![Some(1), Some(i64::MAX - 1), Some(1)]);
    let err = cumulus::cumsum(&x, &checked).unwrap_err().to_string();
    assert!(err.starts_with("cumsum: Int64 overflow at row 2"), "{err}");
    assert!(err.contains("accepted:"), "{err}");
    // The same under Wrap is NumPy's modular result.
    let y = cumulus::cumsum(&x, &ScanOptions::default()).unwrap();
    assert_eq!(y.as_primitive::<Int64Type>().value(2), i64::MIN);
    // A huge value under a null does not overflow anything.
    let values = Int64Array::new(
        vec![1, i64::MAX, 2].into(),
        Some(NullBuffer::from(vec![true, false, true])),
    );
    let y = cumulus::cumsum(&values, &checked).unwrap();
    assert_eq!(
        y.as_ref(),
        &Int64Array::from(vec![Some(1), None, Some(3)]) as &dyn Array
    );
    // A dtype= cast that does not fit is an overflow under Error, a wrap under Wrap.
    let x = Int64Array::from(vec![1, 300]);
    let err = cumulus::cumsum(&x, &checked.clone().with_dtype(DataType::Int8)).unwrap_err();
    assert!(err.to_string().contains("Int8 overflow at row 1"), "{err}");
    let y = cumulus::cumsum(&x, &ScanOptions::default().with_dtype(DataType::Int8)).unwrap();
    assert_eq!(y.as_primitive::<Int8Type>().values().as_ref(), &[1, 45]);
    // In an N-dimensional column the element is named too.
    let item = Arc::new(Field::new("item", DataType::Int64, false));
    let m = FixedSizeListArray::new(
        item,
        2,
        Arc::new(Int64Array::from(vec![1, i64::MAX, 1, 1])),
        None,
    );
    let err = cumulus::cumsum(&m, &checked.clone().with_axis(0)).unwrap_err();
    assert!(err.to_string().contains("at row 1, element [1]"), "{err}");
    // Reverse reports the row in the input's numbering.
    let x = Int64Array::from(vec![1, i64::MAX, 5]);
    let err = cumulus::cumsum(&x, &checked.clone().with_reverse(true)).unwrap_err();
    assert!(err.to_string().contains("at row 1"), "{err}");
    // Floats never error.
    let x = Float64Array::from(vec![f64::MAX, f64::MAX]);
    let y = cumulus::cumsum(&x, &checked).unwrap();
    assert_eq!(y.as_primitive::<Float64Type>().value(1), f64::INFINITY);
}

#[test]
fn scanner_counts_rows_across_chunks_in_errors_and_stops_after_one() {
    let checked = ScanOptions::default().with_overflow(Overflow::Error);
    let mut scanner = Scanner::try_new(Operation::Cumprod, &DataType::Int64, &checked).unwrap();
    scanner.push(&Int64Array::from(vec![1 << 40, 2])).unwrap();
    let err = scanner
        .push(&Int64Array::from(vec![1, 1 << 30]))
        .unwrap_err();
    assert!(err.to_string().contains("at row 3"), "{err}");
    let err = scanner.push(&Int64Array::from(vec![1])).unwrap_err();
    assert!(err.to_string().contains("call reset()"), "{err}");
    let err = scanner.push(&Int32Array::from(vec![1])).unwrap_err();
    assert!(err.to_string().contains("call reset()"), "{err}");
    scanner.reset();
    let err = scanner.push(&Int32Array::from(vec![1])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cumprod: chunk has type Int32 but the scanner was built for Int64"
    );
}

#[test]
fn decimals_sum_checked_against_their_precision() {
    let x = Decimal128Array::from(vec![Some(12345), None, Some(5)])
        .with_precision_and_scale(5, 2)
        .unwrap();
    let y = cumulus::cumsum(&x, &ScanOptions::default()).unwrap();
    assert_eq!(y.data_type(), &DataType::Decimal128(38, 2));
    let expected = Decimal128Array::from(vec![Some(12345), None, Some(12350)])
        .with_precision_and_scale(38, 2)
        .unwrap();
    assert_eq!(y.as_ref(), &expected as &dyn Array);
    let narrow = ScanOptions::default().with_dtype(DataType::Decimal128(5, 2));
    let near_max = Decimal128Array::from(vec![Some(99990), None, Some(10)])
        .with_precision_and_scale(5, 2)
        .unwrap();
    let err = cumulus::cumsum(&near_max, &narrow).unwrap_err().to_string();
    assert!(err.contains("Decimal128(5, 2) overflow at row 2"), "{err}");
    let wide = ScanOptions::default().with_dtype(DataType::Decimal256(40, 2));
    let y = cumulus::cumsum(&x, &wide).unwrap();
    assert_eq!(y.data_type(), &DataType::Decimal256(40, 2));
    assert_eq!(
        y.as_primitive::<Decimal256Type>().value(2),
        i256::from_i128(12350)
    );
    let y = cumulus::cummax(&x, &ScanOptions::default()).unwrap();
    assert_eq!(y.data_type(), &DataType::Decimal128(5, 2));
    let err = cumulus::cumprod(&x, &ScanOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("cumprod: unsupported input type Decimal128(5, 2)"),
        "{err}"
    );
    let err = cumulus::cumsum(
        &x,
        &ScanOptions::default().with_dtype(DataType::Decimal128(10, 3)),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("accepted: none, or Decimal128/Decimal256 with scale 2"),
        "{err}"
    );
}

#[test]
fn durations_sum_in_their_unit() {
    let x = DurationMillisecondArray::from(vec![Some(5), None, Some(-2)]);
    let y = cumulus::cumsum(&x, &ScanOptions::default()).unwrap();
    assert_eq!(
        y.as_ref(),
        &DurationMillisecondArray::from(vec![Some(5), None, Some(3)]) as &dyn Array
    );
    let y = cumulus::cummin(&x, &ScanOptions::default().with_nulls(NullPolicy::Carry)).unwrap();
    assert_eq!(
        y.as_ref(),
        &DurationMillisecondArray::from(vec![5, 5, -2]) as &dyn Array
    );
    assert!(cumulus::cumprod(&x, &ScanOptions::default()).is_err());
}

#[test]
fn errors_name_the_operation_the_type_and_what_is_accepted() {
    let strings = StringArray::from(vec!["a"]);
    let err = cumulus::cummax(&strings, &ScanOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "cummax: unsupported input type Utf8; accepted: bool, int8, int16, int32, int64, uint8"
        ),
        "{err}"
    );
    let nulls = NullArray::new(3);
    let err = cumulus::cumsum(&nulls, &ScanOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("cumsum: unsupported input type Null"),
        "{err}"
    );
    let dates = Date32Array::from(vec![1]);
    assert!(cumulus::cumsum(&dates, &ScanOptions::default()).is_err());
    let item = Arc::new(Field::new("item", DataType::Utf8, true));
    let lists = FixedSizeListArray::new_null(item, 2, 1);
    let err = cumulus::cumsum(&lists, &ScanOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unsupported input type FixedSizeList"),
        "{err}"
    );
    let item = Arc::new(Field::new("item", DataType::Int64, true));
    let m = FixedSizeListArray::new_null(item, 2, 1);
    let err = cumulus::cumsum(&m, &ScanOptions::default().with_axis(2))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "cumsum: axis 2 is out of bounds for array of dimension 2"
    );
    let err = cumulus::cumsum(&m, &ScanOptions::default().with_axis(-3))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "cumsum: axis -3 is out of bounds for array of dimension 2"
    );
    let err = cumulus::cumsum(
        &Int64Array::from(vec![1]),
        &ScanOptions::default().with_dtype(DataType::Utf8),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("dtype Utf8 is not supported for input type Int64; accepted: bool, int8"),
        "{err}"
    );
    let mut out = [0i64; 2];
    let err = cumulus::scan_into(
        Operation::Cumsum,
        &Int64Array::from(vec![1]),
        &ScanOptions::default(),
        &mut out,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("provided out is the wrong size for the accumulation."),
        "{err}"
    );
}

#[test]
fn tensor_metadata_errors_are_reported() {
    let item = Arc::new(Field::new("item", DataType::Float32, false));
    let t = FixedSizeListArray::new(item, 4, Arc::new(Float32Array::from(vec![1.0; 4])), None);
    let with = |json: &str| {
        Field::new("t", t.data_type().clone(), false).with_metadata(
            [
                (
                    "ARROW:extension:name".to_string(),
                    "arrow.fixed_shape_tensor".to_string(),
                ),
                ("ARROW:extension:metadata".to_string(), json.to_string()),
            ]
            .into(),
        )
    };
    let run = |json: &str| {
        cumulus::scan_field(
            Operation::Cumsum,
            &with(json),
            &t,
            &ScanOptions::default().with_axis(-1),
        )
    };
    assert!(run(r#"{"shape":[2,2],"permutation":[1,0],"dim_names":["r","c"]}"#).is_ok());
    let err = run(r#"{"shape":[3,2]}"#).unwrap_err().to_string();
    assert!(
        err.contains("invalid arrow.fixed_shape_tensor metadata"),
        "{err}"
    );
    let err = run(r#"{"shape":[2,2],"permutation":[0,0]}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a permutation"), "{err}");
    let err = run(r#"{"dim_names":["a"]}"#).unwrap_err().to_string();
    assert!(err.contains("missing field `shape`"), "{err}");
    // Axis 2 exists for a [2, 2] tensor column (m x 2 x 2).
    let (_, y) = cumulus::scan_field(
        Operation::Cumsum,
        &with(r#"{"shape":[2,2]}"#),
        &t,
        &ScanOptions::default().with_axis(2),
    )
    .unwrap();
    let values = y
        .as_fixed_size_list()
        .values()
        .as_primitive::<Float32Type>()
        .values()
        .to_vec();
    assert_eq!(values, vec![1.0, 2.0, 1.0, 2.0]);
}

#[test]
fn empty_and_width_zero_columns_keep_their_result_type() {
    let y = cumulus::cumsum(&Int8Array::from(Vec::<i8>::new()), &ScanOptions::default()).unwrap();
    assert_eq!((y.len(), y.data_type()), (0, &DataType::Int64));
    let item = Arc::new(Field::new("item", DataType::Int16, true));
    let zero_width = FixedSizeListArray::try_new_with_length(
        item,
        0,
        Arc::new(Int16Array::from(Vec::<i16>::new())),
        None,
        3,
    )
    .unwrap();
    for axis in [Axis::Index(0), Axis::Index(1)] {
        let y = cumulus::cumsum(&zero_width, &ScanOptions::default().with_axis(axis)).unwrap();
        assert_eq!(y.len(), 3);
        assert_eq!(y.as_fixed_size_list().value_length(), 0);
    }
    let y = cumulus::cumsum(&zero_width, &ScanOptions::default()).unwrap();
    assert_eq!((y.len(), y.data_type()), (0, &DataType::Int64));
}

#[test]
fn in_place_reuses_a_unique_buffer_and_falls_back_otherwise() {
    let x = Float64Array::from(vec![Some(1.0), None, Some(f64::NAN), Some(2.0)]);
    let pointer = x.values().as_ptr();
    let y = cumulus::scan_in_place(Operation::NanCumsum, x, &ScanOptions::default()).unwrap();
    let y = y.as_primitive::<Float64Type>();
    assert_eq!(y.values().as_ptr(), pointer);
    assert_eq!(
        y,
        &Float64Array::from(vec![Some(1.0), None, Some(1.0), Some(3.0)])
    );
    // Shared: the input is left alone.
    let x = Int64Array::from(vec![1, 2, 3]);
    let shared = x.clone();
    let y = cumulus::scan_in_place(Operation::Cumsum, x, &ScanOptions::default()).unwrap();
    assert_eq!(shared.values().as_ref(), &[1, 2, 3]);
    assert_eq!(y.as_primitive::<Int64Type>().values().as_ref(), &[1, 3, 6]);
    // A different result type (int32 -> int64) allocates.
    let y = cumulus::scan_in_place(
        Operation::Cumsum,
        Int32Array::from(vec![1, 2]),
        &ScanOptions::default(),
    )
    .unwrap();
    assert_eq!(y.data_type(), &DataType::Int64);
}

#[test]
fn scan_into_writes_nested_results_row_major() {
    let x = matrix(&[Some([Some(1), Some(2)]), None, Some([Some(3), Some(4)])]);
    let mut out = [0.0f64; 6];
    let validity = cumulus::scan_into(
        Operation::Cumsum,
        x.as_ref(),
        &ScanOptions::default().with_axis(0),
        &mut out,
    )
    .unwrap()
    .unwrap();
    assert_eq!([out[0], out[1], out[4], out[5]], [1.0, 2.0, 4.0, 6.0]);
    assert_eq!(
        validity.iter().collect::<Vec<_>>(),
        vec![true, true, false, false, true, true]
    );
}

/// One rule for casts and arithmetic alike: an overflow is an error only where it would
/// change an output. Under Propagate the elements after a null reach no output.
#[test]
fn overflow_is_an_error_only_where_it_changes_an_output() {
    let propagate = ScanOptions::default()
        .with_nulls(NullPolicy::Propagate)
        .with_overflow(Overflow::Error);
    let to_int8 = propagate.clone().with_dtype(DataType::Int8);
    // A cast that does not fit, after the null: no output shows it.
    let x = Int64Array::from(vec![None, Some(1000)]);
    let y = cumulus::cummax(&x, &to_int8).unwrap();
    assert_eq!(y.null_count(), 2);
    // Arithmetic that overflows after the null: the same.
    let x = Int64Array::from(vec![None, Some(i64::MAX), Some(i64::MAX)]);
    assert_eq!(cumulus::cumsum(&x, &propagate).unwrap().null_count(), 3);
    // Before the null both fail, naming the row.
    let x = Int64Array::from(vec![Some(1000), None]);
    let err = cumulus::cummax(&x, &to_int8).unwrap_err();
    assert!(matches!(err, Error::Overflow { row: 0, .. }), "{err}");
    let x = Int64Array::from(vec![Some(i64::MAX), Some(1), None]);
    let err = cumulus::cumsum(&x, &propagate).unwrap_err();
    assert!(matches!(err, Error::Overflow { row: 1, .. }), "{err}");
    // Under Skip a valid element reaches its output, so it fails.
    let skip = to_int8.clone().with_nulls(NullPolicy::Skip);
    let err = cumulus::cummax(&Int64Array::from(vec![None, Some(1000)]), &skip).unwrap_err();
    assert!(matches!(err, Error::Overflow { row: 1, .. }), "{err}");
    // Along axis 0: lane 0 is dead after its null; lane 1 lives on.
    let values = Int64Array::from(vec![None, Some(1), Some(1000), Some(2)]);
    let item = Arc::new(Field::new("item", DataType::Int64, true));
    let column = FixedSizeListArray::new(item, 2, Arc::new(values), None);
    let y = cumulus::cummax(&column, &to_int8.clone().with_axis(0)).unwrap();
    let lanes = y
        .as_fixed_size_list()
        .values()
        .as_primitive::<Int8Type>()
        .clone();
    assert_eq!(
        lanes.iter().collect::<Vec<_>>(),
        [None, Some(1), None, Some(2)]
    );
    let values = Int64Array::from(vec![Some(1), Some(2), None, Some(1000)]);
    let item = Arc::new(Field::new("item", DataType::Int64, true));
    let column = FixedSizeListArray::new(item, 2, Arc::new(values), None);
    let err = cumulus::cummax(&column, &to_int8.with_axis(0)).unwrap_err();
    assert!(
        matches!(&err, Error::Overflow { row: 1, element: Some(e), .. } if e == &[1]),
        "{err}"
    );
}
