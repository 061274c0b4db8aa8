//! The Scanner on arbitrary chunkings against the one-shot scan: every element type of
//! the core's table, every operation and option, sliced columns with garbage under
//! nulls, FixedSizeList (N-dimensional) columns on every axis. Nothing may panic, and the
//! chunked result (or error) must equal the one-shot one.
#![no_main]

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, FixedSizeListArray, make_array};
use arrow::array::ArrayData;
use arrow::buffer::{Buffer, NullBuffer};
use arrow::datatypes::{DataType, Field, TimeUnit};
use cumulus::{Axis, NullPolicy, Operation, Overflow, ScanOptions, Scanner};
use libfuzzer_sys::fuzz_target;

/// Reads the fuzzer's bytes as decisions.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn pick<T: Clone>(&mut self, choices: &[T]) -> T {
        choices[self.byte() as usize % choices.len()].clone()
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        let mut out = head.to_vec();
        out.resize(n.max(out.len()), 0);
        out
    }
}

fn element_types() -> Vec<DataType> {
    let mut types: Vec<DataType> = cumulus::dtype::NUMPY_DTYPES
        .iter()
        .map(|d| d.data_type.clone())
        .collect();
    types.extend([
        DataType::Duration(TimeUnit::Millisecond),
        DataType::Decimal128(10, 2),
        DataType::Decimal256(40, 3),
        DataType::Utf8,
    ]);
    types
}

/// A column of `len` rows of `data_type` whose bytes come from the fuzzer (values under
/// nulls are garbage), sliced by `offset`.
fn column(bytes: &mut Bytes<'_>, data_type: &DataType, len: usize, offset: usize) -> Option<ArrayRef> {
    let total = len + offset;
    let width = match data_type {
        DataType::Boolean => 0,
        DataType::Utf8 => return Some(Arc::new(arrow::array::StringArray::from(vec!["x"; len]))),
        t => t.primitive_width()?,
    };
    let values = if width == 0 {
        Buffer::from_vec(bytes.take(total.div_ceil(8)))
    } else {
        Buffer::from_vec(bytes.take(total * width))
    };
    let validity: Vec<bool> = (0..total).map(|i| bytes.byte() % 4 != 0 || i % 7 == 3).collect();
    let nulls = NullBuffer::from(validity);
    let data = ArrayData::builder(data_type.clone())
        .len(total)
        .add_buffer(values)
        .nulls(Some(nulls))
        .build()
        .ok()?;
    Some(make_array(data).slice(offset, len))
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let op = bytes.pick(&Operation::ALL);
    let leaf = bytes.pick(&element_types());
    let width = bytes.pick(&[0usize, 0, 1, 2, 3, 5]);
    let rows = bytes.byte() as usize % 40;
    let offset = bytes.byte() as usize % 5;
    let mut options = ScanOptions::default()
        .with_nulls(bytes.pick(&NullPolicy::ALL))
        .with_overflow(bytes.pick(&Overflow::ALL))
        .with_reverse(bytes.byte() % 2 == 1)
        .with_axis(bytes.pick(&[Axis::Flatten, Axis::Index(0), Axis::Index(1), Axis::Index(-1), Axis::Index(2)]));
    if bytes.byte() % 3 == 0 {
        options.dtype = Some(bytes.pick(&element_types()));
    }
    let input: ArrayRef = if width == 0 {
        match column(&mut bytes, &leaf, rows, offset) {
            Some(c) => c,
            None => return,
        }
    } else {
        let Some(values) = column(&mut bytes, &leaf, rows * width, 0) else {
            return;
        };
        let item = Arc::new(Field::new("item", leaf.clone(), true));
        let row_nulls = NullBuffer::from((0..rows).map(|r| bytes.byte() % 5 != 0 || r == 0).collect::<Vec<_>>());
        match FixedSizeListArray::try_new(item, width as i32, values, Some(row_nulls)) {
            Ok(list) => Arc::new(list),
            Err(_) => return,
        }
    };
    let one_shot = cumulus::scan(op, input.as_ref(), &options);
    let Ok(mut scanner) = Scanner::try_new(op, input.data_type(), &options) else {
        assert!(one_shot.is_err(), "the scanner refused what scan accepted");
        return;
    };
    // Cut the rows into chunks.
    let mut bounds = vec![0, input.len()];
    for _ in 0..bytes.byte() % 4 {
        bounds.push(bytes.byte() as usize % (input.len() + 1));
    }
    bounds.sort_unstable();
    let chunks: Vec<ArrayRef> = bounds
        .windows(2)
        .map(|w| input.slice(w[0], w[1] - w[0]))
        .collect();
    let chunked = scanner.scan_chunks(&chunks);
    match (one_shot, chunked) {
        (Ok(whole), Ok(pieces)) => {
            let refs: Vec<&dyn Array> = pieces.iter().map(|p| p.as_ref()).collect();
            if refs.is_empty() {
                assert_eq!(whole.len(), 0);
                return;
            }
            let joined = arrow::compute::concat(&refs).expect("chunks of one type");
            assert_eq!(joined.to_data(), whole.to_data(), "{op} {options:?}");
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{op} {options:?}"),
        (a, b) => panic!("{op} {options:?}: one-shot {a:?}, chunked {b:?}"),
    }
});
