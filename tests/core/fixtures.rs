//! Reading the NumPy golden fixtures and turning them into Arrow arrays and back.

use std::sync::Arc;

use arrow::array::*;
use arrow::datatypes::*;
use cumulus::{Axis, Operation, parse_dtype};
use half::f16;
use serde_json::Value;

/// One NumPy call and its result, as recorded by `scripts/gen_fixtures.py`.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub op: Operation,
    pub input: Tensor,
    pub dtype: Option<DataType>,
    pub axis: Axis,
    pub out: Option<String>,
    pub expected: Option<Tensor>,
    pub error: Option<String>,
    pub tags: Vec<String>,
    /// `include_initial` of NumPy 2's `cumulative_sum`/`cumulative_prod` (whose `op` is
    /// then `Cumsum`/`Cumprod`); `None` for the classic functions.
    pub include_initial: Option<bool>,
}

impl Case {
    pub fn tagged(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

/// An N-dimensional NumPy array: type name, shape and row-major values as text.
#[derive(Debug, Clone)]
pub struct Tensor {
    pub dtype: String,
    pub shape: Vec<usize>,
    pub values: Vec<String>,
}

pub struct Fixtures {
    pub numpy_version: String,
    pub cases: Vec<Case>,
}

pub fn load() -> Fixtures {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/numpy_golden.json"
    );
    let text = std::fs::read_to_string(path).expect("fixture file is committed");
    let json: Value = serde_json::from_str(&text).expect("fixture file is JSON");
    let cases = json["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_string(),
            op: match c["op"].as_str().unwrap() {
                "cumulative_sum" => Operation::Cumsum,
                "cumulative_prod" => Operation::Cumprod,
                op => op.parse().unwrap(),
            },
            include_initial: c.get("include_initial").and_then(Value::as_bool),
            input: tensor(&c["input"]),
            dtype: c["dtype"].as_str().map(|d| parse_dtype(d).unwrap()),
            axis: c["axis"].as_i64().into(),
            out: c["out"].as_str().map(str::to_string),
            expected: c.get("expected").map(tensor),
            error: c.get("error").and_then(Value::as_str).map(str::to_string),
            tags: c
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| t.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                .unwrap_or_default(),
        })
        .collect();
    Fixtures {
        numpy_version: json["numpy_version"].as_str().unwrap().to_string(),
        cases,
    }
}

fn tensor(v: &Value) -> Tensor {
    Tensor {
        dtype: v["dtype"].as_str().unwrap().to_string(),
        shape: v["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect(),
        values: v["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect(),
    }
}

/// The Arrow type of a NumPy type name.
pub fn arrow_type(name: &str) -> DataType {
    match name {
        "timedelta64[s]" => DataType::Duration(TimeUnit::Second),
        "timedelta64[ms]" => DataType::Duration(TimeUnit::Millisecond),
        "timedelta64[us]" => DataType::Duration(TimeUnit::Microsecond),
        "timedelta64[ns]" => DataType::Duration(TimeUnit::Nanosecond),
        other => parse_dtype(other).unwrap(),
    }
}

fn hex_u64(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

/// A flat array of `dtype` holding `values`, padded with `pad` garbage elements on each
/// side and sliced back to the values, so every test also runs on an offset array.
pub fn flat_array(dtype: &str, values: &[String], pad: usize) -> ArrayRef {
    let garbage = |i: usize| i.is_multiple_of(2);
    let n = values.len();
    let full: ArrayRef = match arrow_type(dtype) {
        DataType::Boolean => Arc::new(BooleanArray::from_iter(
            (0..pad)
                .map(|i| Some(garbage(i)))
                .chain(values.iter().map(|v| Some(v == "1")))
                .chain((0..pad).map(|i| Some(garbage(i)))),
        )),
        DataType::Float16 => Arc::new(Float16Array::from_iter_values(
            (0..pad)
                .map(|_| f16::NAN)
                .chain(values.iter().map(|v| f16::from_bits(hex_u64(v) as u16)))
                .chain((0..pad).map(|_| f16::MAX)),
        )),
        DataType::Float32 => Arc::new(Float32Array::from_iter_values(
            (0..pad)
                .map(|_| f32::NAN)
                .chain(values.iter().map(|v| f32::from_bits(hex_u64(v) as u32)))
                .chain((0..pad).map(|_| f32::MAX)),
        )),
        DataType::Float64 => Arc::new(Float64Array::from_iter_values(
            (0..pad)
                .map(|_| f64::NAN)
                .chain(values.iter().map(|v| f64::from_bits(hex_u64(v))))
                .chain((0..pad).map(|_| f64::MAX)),
        )),
        DataType::Int8 => ints::<Int8Type>(values, pad),
        DataType::Int16 => ints::<Int16Type>(values, pad),
        DataType::Int32 => ints::<Int32Type>(values, pad),
        DataType::Int64 => ints::<Int64Type>(values, pad),
        DataType::UInt8 => ints::<UInt8Type>(values, pad),
        DataType::UInt16 => ints::<UInt16Type>(values, pad),
        DataType::UInt32 => ints::<UInt32Type>(values, pad),
        DataType::UInt64 => ints::<UInt64Type>(values, pad),
        DataType::Duration(TimeUnit::Second) => ints::<DurationSecondType>(values, pad),
        DataType::Duration(TimeUnit::Millisecond) => ints::<DurationMillisecondType>(values, pad),
        DataType::Duration(TimeUnit::Microsecond) => ints::<DurationMicrosecondType>(values, pad),
        DataType::Duration(TimeUnit::Nanosecond) => ints::<DurationNanosecondType>(values, pad),
        other => panic!("no fixture type {other}"),
    };
    full.slice(pad, n)
}

fn ints<P: ArrowPrimitiveType>(values: &[String], pad: usize) -> ArrayRef
where
    P::Native: std::str::FromStr + num_traits_like::Bounded,
{
    let parsed = values.iter().map(|v| {
        v.parse::<P::Native>()
            .unwrap_or_else(|_| panic!("{v} is not a {}", P::DATA_TYPE))
    });
    Arc::new(PrimitiveArray::<P>::from_iter_values(
        (0..pad)
            .map(|_| <P::Native as num_traits_like::Bounded>::max_value())
            .chain(parsed)
            .chain((0..pad).map(|_| <P::Native as num_traits_like::Bounded>::max_value())),
    ))
}

/// `max_value` for the integer natives (garbage that overflows anything added to it).
pub mod num_traits_like {
    pub trait Bounded {
        fn max_value() -> Self;
    }
    macro_rules! bounded {
        ($($t:ty),*) => {$(impl Bounded for $t { fn max_value() -> Self { <$t>::MAX } })*};
    }
    bounded!(i8, i16, i32, i64, u8, u16, u32, u64);
}

/// How an N-dimensional fixture becomes an Arrow column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// Nested FixedSizeList levels, one per dimension after the first.
    Lists,
    /// Nested lists built over a padded parent and sliced: the rows have an offset.
    SlicedParent,
    /// A one-level FixedSizeList with `arrow.fixed_shape_tensor` metadata.
    Tensor,
}

/// The column for an array of `shape` (rows first) whose row-major elements are `flat`.
pub fn nest(flat: ArrayRef, shape: &[usize], nesting: Nesting) -> (Field, ArrayRef) {
    let item = |t: &DataType| Arc::new(Field::new("item", t.clone(), true));
    if shape.len() == 1 {
        return (Field::new("x", flat.data_type().clone(), true), flat);
    }
    let rows = shape[0];
    let dims = &shape[1..];
    match nesting {
        Nesting::Tensor => {
            let size: usize = dims.iter().product();
            let list = FixedSizeListArray::try_new_with_length(
                item(flat.data_type()),
                size as i32,
                flat,
                None,
                rows,
            )
            .unwrap();
            let dims_json: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
            let metadata = [
                (
                    "ARROW:extension:name".to_string(),
                    "arrow.fixed_shape_tensor".to_string(),
                ),
                (
                    "ARROW:extension:metadata".to_string(),
                    format!("{{\"shape\":[{}]}}", dims_json.join(",")),
                ),
            ];
            let field =
                Field::new("x", list.data_type().clone(), true).with_metadata(metadata.into());
            (field, Arc::new(list))
        }
        Nesting::Lists | Nesting::SlicedParent => {
            let per_row: usize = dims.iter().product();
            let pad_rows = if nesting == Nesting::SlicedParent && !flat.is_empty() {
                2
            } else {
                0
            };
            // Garbage rows (copies of the first element) around the real ones, sliced away.
            let values = if pad_rows > 0 {
                let copies = UInt32Array::from_iter_values((0..pad_rows * per_row).map(|_| 0u32));
                let garbage = arrow::compute::take(&flat, &copies, None).unwrap();
                arrow::compute::concat(&[&garbage, &flat, &garbage]).unwrap()
            } else {
                flat
            };
            let total_rows = rows + 2 * pad_rows;
            let mut child = values;
            for level in (0..dims.len()).rev() {
                let len = total_rows * dims[..level].iter().product::<usize>();
                child = Arc::new(
                    FixedSizeListArray::try_new_with_length(
                        item(child.data_type()),
                        dims[level] as i32,
                        child.clone(),
                        None,
                        len,
                    )
                    .unwrap(),
                );
            }
            let column = child.slice(pad_rows, rows);
            (Field::new("x", column.data_type().clone(), true), column)
        }
    }
}

/// The elements of a (possibly nested) result in row-major order, rendered like the
/// fixtures; `null` for a null element.
pub fn render(array: &dyn Array) -> Vec<String> {
    match array.data_type() {
        DataType::FixedSizeList(..) => {
            let list = array.as_fixed_size_list();
            let n = list.len() * list.value_length() as usize;
            render(list.values().slice(0, n).as_ref())
        }
        _ => (0..array.len())
            .map(|i| {
                if array.is_null(i) {
                    "null".to_string()
                } else {
                    element(array, i)
                }
            })
            .collect(),
    }
}

fn element(array: &dyn Array, i: usize) -> String {
    match array.data_type() {
        DataType::Boolean => (array.as_boolean().value(i) as u8).to_string(),
        DataType::Float16 => format!(
            "0x{:04x}",
            array.as_primitive::<Float16Type>().value(i).to_bits()
        ),
        DataType::Float32 => format!(
            "0x{:08x}",
            array.as_primitive::<Float32Type>().value(i).to_bits()
        ),
        DataType::Float64 => format!(
            "0x{:016x}",
            array.as_primitive::<Float64Type>().value(i).to_bits()
        ),
        DataType::Int8 => array.as_primitive::<Int8Type>().value(i).to_string(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(i).to_string(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(i).to_string(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(i).to_string(),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(i).to_string(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(i).to_string(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(i).to_string(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(i).to_string(),
        DataType::Duration(_) => {
            let data = array.to_data();
            let values: &[i64] = data.buffer(0);
            values[data.offset() + i].to_string()
        }
        other => panic!("no rendering for {other}"),
    }
}

/// The leaf element type of a column type.
pub fn leaf_type(t: &DataType) -> DataType {
    match t {
        DataType::FixedSizeList(f, _) | DataType::List(f) | DataType::LargeList(f) => {
            leaf_type(f.data_type())
        }
        other => other.clone(),
    }
}

/// The nesting depth of a column type (0 for a flat column).
pub fn depth(t: &DataType) -> usize {
    match t {
        DataType::FixedSizeList(f, _) | DataType::List(f) | DataType::LargeList(f) => {
            1 + depth(f.data_type())
        }
        _ => 0,
    }
}
