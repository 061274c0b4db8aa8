//! The `arrow.fixed_shape_tensor` canonical extension type: reading a tensor column's
//! shape from its field, and building such a field.
//!
//! Fields are built with arrow-rs's own [`FixedShapeTensor`]. They are read with a JSON
//! parser of our own checks instead, because arrow-rs 59's type cannot serve: it has no
//! accessor for the shape, refuses the storage type pyarrow writes (a `FixedSizeList`
//! whose item field is nullable) and panics when the shape's product overflows `i32`.

use std::collections::HashMap;

use arrow::datatypes::{DataType, Field};
use arrow_schema::extension::FixedShapeTensor;

use crate::{Error, Operation, Result};

pub(crate) const EXTENSION_NAME: &str = "ARROW:extension:name";
pub(crate) const EXTENSION_METADATA: &str = "ARROW:extension:metadata";
const FIXED_SHAPE_TENSOR: &str = "arrow.fixed_shape_tensor";

/// The metadata of an `arrow.fixed_shape_tensor` field, as the format defines it.
#[derive(serde::Deserialize)]
struct TensorMetadata {
    shape: Vec<usize>,
    #[serde(default)]
    permutation: Option<Vec<usize>>,
    #[serde(default)]
    dim_names: Option<Vec<String>>,
}

/// The dimensions of an `arrow.fixed_shape_tensor` field, if the metadata names one.
///
/// # Errors
/// [`Error::InvalidTensor`] for metadata that is not the format's JSON, a `permutation`
/// that is not one, `dim_names` of the wrong length, or a shape whose product does not fit
/// a `FixedSizeList`.
pub(crate) fn tensor_dims(
    op: Operation,
    metadata: Option<&HashMap<String, String>>,
) -> Result<Option<Vec<usize>>> {
    let Some(metadata) = metadata else {
        return Ok(None);
    };
    if metadata.get(EXTENSION_NAME).map(String::as_str) != Some(FIXED_SHAPE_TENSOR) {
        return Ok(None);
    }
    let json = metadata
        .get(EXTENSION_METADATA)
        .map(String::as_str)
        .unwrap_or_default();
    let invalid = |reason: String| Error::InvalidTensor {
        op,
        metadata: json.to_string(),
        reason,
    };
    let parsed: TensorMetadata = serde_json::from_str(json).map_err(|e| {
        invalid(format!(
            "expected a JSON object with a \"shape\" array of non-negative integers ({e})"
        ))
    })?;
    let ndim = parsed.shape.len();
    if let Some(permutation) = &parsed.permutation {
        let mut sorted = permutation.clone();
        sorted.sort_unstable();
        if sorted != (0..ndim).collect::<Vec<_>>() {
            return Err(invalid(
                "\"permutation\" is not a permutation of the dimensions".into(),
            ));
        }
    }
    if let Some(names) = &parsed.dim_names
        && names.len() != ndim
    {
        return Err(invalid(format!(
            "\"dim_names\" has {} names for {ndim} dimensions",
            names.len()
        )));
    }
    let fits = parsed
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .is_some_and(|size| i32::try_from(size).is_ok());
    if !fits {
        return Err(invalid(
            "the shape's product exceeds the largest FixedSizeList size (2^31 - 1)".into(),
        ));
    }
    Ok(Some(parsed.shape))
}

/// A field for a column of tensors of `shape` with elements of `value_type`: a
/// `FixedSizeList` storage type with the `arrow.fixed_shape_tensor` extension type (built
/// by arrow-rs's [`FixedShapeTensor`]), which [`crate::scan_field`] reads as an
/// `m x shape[0] x shape[1] ...` array.
///
/// ```
/// use arrow::datatypes::DataType;
/// let field = cumulus::tensor_field("images", DataType::Float32, &[2, 3])?;
/// assert_eq!(field.data_type(), &DataType::new_fixed_size_list(DataType::Float32, 6, false));
/// assert_eq!(field.extension_type_name(), Some("arrow.fixed_shape_tensor"));
/// # Ok::<(), cumulus::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidOption`] (option `shape`) when the shape's product does not fit a
/// `FixedSizeList` size.
pub fn tensor_field(name: &str, value_type: DataType, shape: &[usize]) -> Result<Field> {
    let size = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .and_then(|size| i32::try_from(size).ok())
        .ok_or_else(|| Error::InvalidOption {
            op: None,
            option: "shape",
            value: format!("{shape:?}"),
            reason: Some("the product of the dimensions overflows".into()),
            accepted: "dimensions whose product is at most 2^31 - 1".into(),
        })?;
    let storage = DataType::new_fixed_size_list(value_type.clone(), size, false);
    let tensor = FixedShapeTensor::try_new(value_type, shape.iter().copied(), None, None)?;
    let mut field = Field::new(name, storage, true);
    field.try_with_extension_type(tensor)?;
    Ok(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(json: &str) -> HashMap<String, String> {
        [
            (EXTENSION_NAME.to_string(), FIXED_SHAPE_TENSOR.to_string()),
            (EXTENSION_METADATA.to_string(), json.to_string()),
        ]
        .into()
    }

    fn dims(json: &str) -> Result<Option<Vec<usize>>> {
        tensor_dims(Operation::Cumsum, Some(&metadata(json)))
    }

    #[test]
    fn tensor_metadata_is_read() {
        assert_eq!(
            dims(r#"{"shape": [2, 3], "dim_names": ["shape", "x"]}"#).unwrap(),
            Some(vec![2, 3])
        );
        assert_eq!(dims(r#"{"shape":[]}"#).unwrap(), Some(vec![]));
        assert_eq!(
            dims(r#"{"shape":[2,2],"permutation":[1,0]}"#).unwrap(),
            Some(vec![2, 2])
        );
        for bad in [
            r#"{"shape":[1,-2]}"#,
            r#"{}"#,
            "not json",
            r#"{"shape":[2,2],"permutation":[0,0]}"#,
            r#"{"shape":[2,2],"dim_names":["a"]}"#,
            r#"{"shape":[65536,65536]}"#,
            r#"{"shape":[18446744073709551615,2]}"#,
        ] {
            assert!(dims(bad).is_err(), "{bad}");
        }
        assert_eq!(
            tensor_dims(Operation::Cumsum, Some(&HashMap::new())).unwrap(),
            None
        );
    }

    #[test]
    fn built_fields_read_back() {
        let field = tensor_field("t", DataType::Int64, &[2, 3, 4]).unwrap();
        assert_eq!(
            tensor_dims(Operation::Cumsum, Some(field.metadata())).unwrap(),
            Some(vec![2, 3, 4])
        );
        assert!(tensor_field("t", DataType::Int64, &[1 << 20, 1 << 20]).is_err());
    }
}
