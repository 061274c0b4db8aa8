//! N-dimensional columns: a FixedSizeList column is NumPy's m x n array, and the axis
//! option picks the direction of the scan. Also an `arrow.fixed_shape_tensor` column.
//!
//! Run: `cargo run --release --example tensor_axis`

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, FixedSizeListArray, Int64Array};
use arrow::datatypes::{DataType, Field, Int64Type};
use cumulus::{Axis, NullPolicy, Operation, ScanOptions};

/// Prints a FixedSizeList<Int64> column as rows.
fn print_rows(title: &str, column: &dyn Array) {
    let list = column.as_fixed_size_list();
    let rows: Vec<String> = (0..list.len())
        .map(|i| {
            if list.is_null(i) {
                return "null".to_string();
            }
            let row = list.value(i);
            let row = row.as_primitive::<Int64Type>();
            let cells: Vec<String> = (0..row.len())
                .map(|j| {
                    if row.is_null(j) {
                        "null".into()
                    } else {
                        row.value(j).to_string()
                    }
                })
                .collect();
            format!("[{}]", cells.join(", "))
        })
        .collect();
    println!("{title:<28} {}", rows.join(" "));
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // a = [[1, 2, 3], [4, 5, 6]] as a column of 2 rows of FixedSizeList<Int64, 3>.
    let item = Arc::new(Field::new("item", DataType::Int64, true));
    let values = Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6]));
    let a = FixedSizeListArray::new(item.clone(), 3, values, None);
    print_rows("a", &a);
    for (label, axis) in [
        ("axis=0 (down the rows)", Axis::Index(0)),
        ("axis=1 / -1 (within rows)", Axis::Index(-1)),
    ] {
        let y = cumulus::cumsum(&a, &ScanOptions::default().with_axis(axis))?;
        print_rows(label, &y);
    }
    let flat = cumulus::cumsum(&a, &ScanOptions::default())?;
    let flat = flat.as_primitive::<Int64Type>();
    println!(
        "{:<28} {:?}   (NumPy's axis=None flattens)",
        "axis=None",
        flat.values().to_vec()
    );
    let err = cumulus::cumsum(&a, &ScanOptions::default().with_axis(2)).unwrap_err();
    println!("{:<28} {err}\n", "axis=2");

    // A null row along axis 0: Skip keeps it null and carries the running vector past it.
    let with_null: ArrayRef = Arc::new(FixedSizeListArray::new(
        item,
        3,
        Arc::new(Int64Array::from(vec![1, 2, 3, 0, 0, 0, 4, 5, 6])),
        Some(vec![true, false, true].into()),
    ));
    print_rows("b (row 1 null)", with_null.as_ref());
    for policy in [
        NullPolicy::Skip,
        NullPolicy::Propagate,
        NullPolicy::Carry,
        NullPolicy::Identity,
    ] {
        let y = cumulus::cumsum(
            with_null.as_ref(),
            &ScanOptions::default().with_axis(0).with_nulls(policy),
        )?;
        print_rows(&format!("axis=0, nulls={policy}"), &y);
    }

    // A tensor column: each row holds a 2 x 2 tensor, so the column is m x 2 x 2.
    let item = Arc::new(Field::new("item", DataType::Int64, false));
    let tensors = FixedSizeListArray::new(
        item,
        4,
        Arc::new(Int64Array::from(vec![1, 2, 3, 4, 10, 20, 30, 40])),
        None,
    );
    let field = Field::new("t", tensors.data_type().clone(), false).with_metadata(
        [
            (
                "ARROW:extension:name".to_string(),
                "arrow.fixed_shape_tensor".to_string(),
            ),
            (
                "ARROW:extension:metadata".to_string(),
                r#"{"shape":[2,2]}"#.to_string(),
            ),
        ]
        .into(),
    );
    println!();
    print_rows("tensors [[1,2],[3,4]] ...", &tensors);
    for axis in [0, 1, 2] {
        let (_, y) = cumulus::scan_field(
            Operation::Cumsum,
            &field,
            &tensors,
            &ScanOptions::default().with_axis(axis),
        )?;
        print_rows(&format!("tensor axis={axis}"), &y);
    }
    Ok(())
}
