//! polars-arrow chunks as arrow-rs arrays and back, without copying element buffers.
//!
//! Inbound, every polars buffer (values, validity, offsets) is lent to arrow-rs as a
//! [`Buffer::from_custom_allocation`] whose owner is a clone of the polars buffer, which
//! keeps the memory alive and, being a second reference, unmutated. Outbound, the core
//! builds its outputs from `Vec`s, so each arrow-rs buffer is taken back as the `Vec` it
//! was made from and handed to polars-arrow; a buffer the core passed through from the
//! input (the validity under `NullPolicy::Skip`, list offsets that already start at 0) is
//! recognised by its address and replaced by the original polars buffer.

use std::mem::ManuallyDrop;
use std::panic::AssertUnwindSafe;
use std::ptr::NonNull;
use std::sync::Arc;

use arrow::array::{
    Array as _, ArrayData, ArrayRef, BooleanArray as ArrowBooleanArray,
    FixedSizeListArray as ArrowFixedSizeListArray, LargeListArray, make_array,
};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{ArrowNativeType, DataType as ArrowType};
use polars::prelude::{PolarsResult, pf16, polars_bail, polars_err};
use polars_arrow::array::{Array, BooleanArray, FixedSizeListArray, ListArray, PrimitiveArray};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::ArrowDataType;
use polars_arrow::offset::OffsetsBuffer;
use polars_arrow::types::NativeType;

/// A polars-arrow element type with the arrow-rs element type of the same bits.
trait Native: NativeType {
    type Arrow: ArrowNativeType;

    /// Takes over a vector of the arrow-rs type without copying.
    fn from_arrow_vec(values: Vec<Self::Arrow>) -> Vec<Self>;
}

/// The polars-arrow element type of an arrow-rs element type: the one place that pairs
/// the two libraries' element types (the same Rust type for all but half floats).
trait ArrowNative {
    type Polars: Native<Arrow = Self>;
}

macro_rules! same_native {
    ($($t:ty),*) => {$(
        impl Native for $t {
            type Arrow = $t;
            fn from_arrow_vec(values: Vec<$t>) -> Vec<$t> {
                values
            }
        }
        impl ArrowNative for $t {
            type Polars = $t;
        }
    )*};
}
same_native!(i8, i16, i32, i64, u8, u16, u32, u64, i128, f32, f64);

// Compiles only while polars' `pf16` wraps the very `half::f16` arrow-rs uses (one `half`
// in the build), which the reinterpretation below relies on.
const _: fn(half::f16) -> pf16 = pf16;

impl Native for pf16 {
    type Arrow = half::f16;

    fn from_arrow_vec(values: Vec<half::f16>) -> Vec<pf16> {
        let mut values = ManuallyDrop::new(values);
        // SAFETY: `pf16` is `#[repr(transparent)]` over `half::f16` (checked to be the same
        // type above): same size, alignment and bits, so the allocation is a valid
        // `Vec<pf16>` with the same capacity and layout.
        unsafe {
            Vec::from_raw_parts(
                values.as_mut_ptr().cast::<pf16>(),
                values.len(),
                values.capacity(),
            )
        }
    }
}

impl ArrowNative for half::f16 {
    type Polars = pf16;
}

/// Runs `$body` with `$T` the polars-arrow element type of a primitive arrow-rs type (the
/// core's element types, whose list is `crate::dtype`'s, and decimals), or `$other`.
macro_rules! with_native {
    ($dtype:expr, |$T:ident| $body:expr, _ => $other:expr) => {
        crate::dtype::dispatch_primitive!($dtype, |P| {
            type $T = <<P as arrow::datatypes::ArrowPrimitiveType>::Native as ArrowNative>::Polars;
            $body
        }, _ => match $dtype {
            ArrowType::Decimal128(..) => {
                type $T = i128;
                $body
            }
            _ => $other,
        })
    };
}

/// Lends `slice` to arrow-rs; `owner` keeps it alive as long as any arrow-rs buffer does.
fn lend<T, O: Send + Sync + 'static>(slice: &[T], owner: O) -> Buffer {
    let ptr = NonNull::from(slice).cast::<u8>();
    // Unwind safety is moot: the owner is only ever dropped.
    let owner = Arc::new(AssertUnwindSafe(owner));
    // SAFETY: `slice` is `size_of_val(slice)` readable bytes inside memory that `owner`
    // (a reference to the polars buffer holding it) keeps alive and, being shared, keeps
    // polars from mutating in place.
    unsafe { Buffer::from_custom_allocation(ptr, size_of_val(slice), owner) }
}

/// A polars bitmap lent to arrow-rs, remembered so that the core's output can hand the
/// same bits back.
struct LentBits {
    start: usize,
    bytes: usize,
    bit_offset: usize,
    bitmap: Bitmap,
}

/// The polars buffers lent to arrow-rs while scanning one Series.
#[derive(Default)]
pub(crate) struct Lent {
    bitmaps: Vec<LentBits>,
    offsets: Vec<OffsetsBuffer<i64>>,
}

impl Lent {
    /// `chunk` as an arrow-rs array of type `dtype` (the chunk's logical type mapped to
    /// arrow-rs), sharing its buffers.
    pub fn import(&mut self, chunk: &dyn Array, dtype: &ArrowType) -> PolarsResult<ArrayRef> {
        match dtype {
            ArrowType::Boolean => {
                let array = downcast::<BooleanArray>(chunk, dtype)?;
                let values = self.bits(array.values());
                let nulls = self.nulls(array.validity());
                Ok(Arc::new(ArrowBooleanArray::new(values, nulls)))
            }
            ArrowType::FixedSizeList(field, width) => {
                let array = downcast::<FixedSizeListArray>(chunk, dtype)?;
                let rows = array.len();
                let elements = rows * array.size();
                let child = array.values();
                // Slicing a polars FixedSizeListArray slices its child too, so the child
                // holds exactly rows x width elements; arrow-rs insists, so trim if not.
                let child = if child.len() > elements {
                    child.sliced(0, elements)
                } else {
                    child.clone()
                };
                let values = self.import(child.as_ref(), field.data_type())?;
                let nulls = self.nulls(array.validity());
                let list = ArrowFixedSizeListArray::try_new_with_length(
                    field.clone(),
                    *width,
                    values,
                    nulls,
                    rows,
                )
                .map_err(arrow_error)?;
                Ok(Arc::new(list))
            }
            ArrowType::LargeList(field) => {
                let array = downcast::<ListArray<i64>>(chunk, dtype)?;
                let offsets = self.offsets(array.offsets());
                let values = self.import(array.values().as_ref(), field.data_type())?;
                let nulls = self.nulls(array.validity());
                let list = LargeListArray::try_new(field.clone(), offsets, values, nulls)
                    .map_err(arrow_error)?;
                Ok(Arc::new(list))
            }
            _ => with_native!(dtype, |T| self.import_primitive::<T>(chunk, dtype),
                _ => polars_bail!(ComputeError: "cannot read a polars chunk as {dtype}")),
        }
    }

    fn import_primitive<T: Native>(
        &mut self,
        chunk: &dyn Array,
        dtype: &ArrowType,
    ) -> PolarsResult<ArrayRef> {
        let array = downcast::<PrimitiveArray<T>>(chunk, dtype)?;
        let values = lend(array.values().as_slice(), array.values().clone());
        let data = ArrayData::builder(dtype.clone())
            .len(array.len())
            .add_buffer(values)
            .nulls(self.nulls(array.validity()))
            .build()
            .map_err(arrow_error)?;
        Ok(make_array(data))
    }

    fn bits(&mut self, bitmap: &Bitmap) -> BooleanBuffer {
        let (bytes, bit_offset, len) = bitmap.as_slice();
        self.bitmaps.push(LentBits {
            start: bytes.as_ptr() as usize,
            bytes: bytes.len(),
            bit_offset,
            bitmap: bitmap.clone(),
        });
        BooleanBuffer::new(lend(bytes, bitmap.clone()), bit_offset, len)
    }

    fn nulls(&mut self, validity: Option<&Bitmap>) -> Option<NullBuffer> {
        let validity = validity?;
        let bits = self.bits(validity);
        // SAFETY: `unset_bits` counts the zeros of exactly these bits (and caches the count).
        Some(unsafe { NullBuffer::new_unchecked(bits, validity.unset_bits()) })
    }

    fn offsets(&mut self, offsets: &OffsetsBuffer<i64>) -> OffsetBuffer<i64> {
        self.offsets.push(offsets.clone());
        let slice = offsets.as_slice();
        let buffer = ScalarBuffer::new(lend(slice, offsets.clone()), 0, slice.len());
        // SAFETY: polars' `OffsetsBuffer` holds at least one offset, none negative, never
        // decreasing: the invariants of arrow-rs' `OffsetBuffer`.
        unsafe { OffsetBuffer::new_unchecked(buffer) }
    }

    /// The lent bitmap holding exactly `bits`, if `bits` lie in one.
    fn lent_bitmap(&self, bits: &BooleanBuffer) -> Option<Bitmap> {
        let at = bits.inner().as_ptr() as usize;
        self.bitmaps.iter().find_map(|lent| {
            let byte = at.checked_sub(lent.start).filter(|b| *b <= lent.bytes)?;
            let start = (byte * 8 + bits.offset()).checked_sub(lent.bit_offset)?;
            (start + bits.len() <= lent.bitmap.len())
                .then(|| lent.bitmap.clone().sliced(start, bits.len()))
        })
    }

    /// The core's output as a polars-arrow array of the physical type `dtype`.
    pub fn export(&self, output: ArrayRef, dtype: &ArrowDataType) -> PolarsResult<Box<dyn Array>> {
        let data = output.to_data();
        // The output's buffers are now referenced only by `data`: `into_vec` can take them.
        drop(output);
        self.export_data(data, dtype)
    }

    fn export_data(&self, data: ArrayData, dtype: &ArrowDataType) -> PolarsResult<Box<dyn Array>> {
        let (arrow_type, len, nulls, offset, buffers, children) = data.into_parts();
        let validity = nulls.map(|n| self.bitmap(n.into_inner())).transpose()?;
        let first = buffers.into_iter().next();
        let child = children.into_iter().next();
        let array: Box<dyn Array> = match (&arrow_type, first, child, dtype) {
            (ArrowType::Boolean, Some(values), _, _) => {
                let values = self.bitmap(BooleanBuffer::new(values, offset, len))?;
                BooleanArray::try_new(dtype.clone(), values, validity)?.boxed()
            }
            (
                ArrowType::FixedSizeList(_, width),
                _,
                Some(child),
                ArrowDataType::FixedSizeList(field, _),
            ) => {
                let width = usize::try_from(*width).unwrap_or_default();
                // Slicing shares the child's buffers, which `into_vec` then cannot take:
                // only a sliced output (never the core's) pays for that copy.
                let child = if offset == 0 && child.len() == len * width {
                    child
                } else {
                    child.slice(offset * width, len * width)
                };
                let values = self.export_data(child, field.dtype())?;
                FixedSizeListArray::try_new(dtype.clone(), len, values, validity)?.boxed()
            }
            (ArrowType::LargeList(_), Some(offsets), Some(child), ArrowDataType::LargeList(f)) => {
                let offsets = self.list_offsets(ScalarBuffer::new(offsets, offset, len + 1));
                let values = self.export_data(child, f.dtype())?;
                ListArray::<i64>::try_new(dtype.clone(), offsets, values, validity)?.boxed()
            }
            (_, Some(values), _, _) => with_native!(&arrow_type,
                |T| export_primitive::<T>(ScalarBuffer::new(values, offset, len), validity)?,
                _ => polars_bail!(ComputeError: "cannot hand a {arrow_type} array to polars")),
            _ => {
                polars_bail!(ComputeError: "cannot hand a {arrow_type} array to polars as {dtype:?}")
            }
        };
        Ok(array)
    }

    /// Bits as a polars bitmap: the lent one they came from, or the bytes taken over.
    fn bitmap(&self, bits: BooleanBuffer) -> PolarsResult<Bitmap> {
        if let Some(bitmap) = self.lent_bitmap(&bits) {
            return Ok(bitmap);
        }
        let (offset, len) = (bits.offset(), bits.len());
        let end = (offset + len).div_ceil(8);
        let bytes = match bits.into_inner().into_vec::<u8>() {
            Ok(bytes) => bytes,
            // Cold: the core builds every bitmap it returns from a `Vec<u8>`, so only a
            // buffer allocated elsewhere lands here; copying costs one bit per row.
            Err(buffer) => buffer
                .as_slice()
                .get(..end)
                .ok_or_else(|| polars_err!(ComputeError: "bitmap shorter than {len} bits"))?
                .to_vec(),
        };
        let bitmap = Bitmap::try_new(bytes, offset + len)?;
        Ok(if offset == 0 {
            bitmap
        } else {
            bitmap.sliced(offset, len)
        })
    }

    /// List offsets as polars offsets: the lent ones they came from, or taken over.
    fn list_offsets(&self, offsets: ScalarBuffer<i64>) -> OffsetsBuffer<i64> {
        if let Some(lent) = self.offsets.iter().find(|lent| {
            lent.as_slice().as_ptr() == offsets.as_ptr() && lent.len_proxy() + 1 == offsets.len()
        }) {
            return lent.clone();
        }
        let offsets = take_vec(offsets);
        // SAFETY: the offsets come from a valid arrow-rs list array: at least one, none
        // negative, never decreasing, which are the invariants of polars' `OffsetsBuffer`.
        unsafe { OffsetsBuffer::new_unchecked(offsets.into()) }
    }
}

fn export_primitive<T: Native>(
    values: ScalarBuffer<T::Arrow>,
    validity: Option<Bitmap>,
) -> PolarsResult<Box<dyn Array>> {
    let values = match values.into_inner().into_vec::<T::Arrow>() {
        Ok(values) => polars_buffer::Buffer::from(T::from_arrow_vec(values)),
        // Large outputs live in the core's huge-page mappings, not in a `Vec`: polars
        // adopts the arrow-rs buffer itself as the owner of its memory.
        Err(shared) => polars_buffer::Buffer::from_owner(Adopted::<T>::new(shared)),
    };
    Ok(PrimitiveArray::<T>::try_new(T::PRIMITIVE.into(), values, validity)?.boxed())
}

/// An arrow-rs buffer lent to polars for good: it owns the memory a polars buffer reads.
struct Adopted<T: Native> {
    values: ScalarBuffer<T::Arrow>,
}

impl<T: Native> Adopted<T> {
    fn new(buffer: Buffer) -> Self {
        Adopted {
            values: ScalarBuffer::from(buffer),
        }
    }
}

impl<T: Native> AsRef<[T]> for Adopted<T> {
    fn as_ref(&self) -> &[T] {
        let values: &[T::Arrow] = &self.values;
        // SAFETY: `T` has the size, alignment and bit patterns of `T::Arrow` (the same
        // type, or `pf16`, transparent over `half::f16`; see `Native`).
        unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<T>(), values.len()) }
    }
}

/// The `Vec` a buffer was built from; a copy only if the buffer is shared or was not
/// built from a `Vec` (the core builds its outputs from `Vec`s, so this is the cold case).
fn take_vec<T: ArrowNativeType>(values: ScalarBuffer<T>) -> Vec<T> {
    match values.into_inner().into_vec::<T>() {
        Ok(values) => values,
        Err(shared) => ScalarBuffer::<T>::from(shared).to_vec(),
    }
}

fn downcast<'a, A: 'static>(chunk: &'a dyn Array, dtype: &ArrowType) -> PolarsResult<&'a A> {
    chunk.as_any().downcast_ref::<A>().ok_or_else(|| {
        polars_err!(ComputeError: "polars chunk of type {:?} does not hold {dtype}", chunk.dtype())
    })
}

fn arrow_error(err: arrow::error::ArrowError) -> polars::prelude::PolarsError {
    polars_err!(ComputeError: "{err}")
}

#[cfg(test)]
mod tests {
    use arrow::array::{AsArray, Float16Array, Int64Array};
    use arrow::datatypes::{Float16Type, Int64Type};

    use super::*;

    fn bitmap(bits: &[bool]) -> Bitmap {
        Bitmap::from_iter(bits.iter().copied())
    }

    #[test]
    fn import_lends_the_polars_buffers() {
        let array = PrimitiveArray::<i64>::from_vec(vec![1, 2, 3, 4, 5])
            .with_validity(Some(bitmap(&[true, true, false, true, true])))
            .sliced(1, 3);
        let mut lent = Lent::default();
        let arrow = lent.import(&array, &ArrowType::Int64).unwrap();
        let arrow = arrow.as_primitive::<Int64Type>();
        assert_eq!(arrow.values().as_ptr(), array.values().as_ptr());
        let (bytes, bit_offset, _) = array.validity().unwrap().as_slice();
        let nulls = arrow.nulls().unwrap();
        assert_eq!(nulls.validity().as_ptr(), bytes.as_ptr());
        assert_eq!(
            (nulls.offset(), nulls.len(), nulls.null_count()),
            (bit_offset, 3, 1)
        );
        assert_eq!(arrow.values().as_ref(), &[2, 3, 4]);
    }

    #[test]
    fn export_takes_the_vectors_back() {
        let values = vec![1i64, 2, 3];
        let bits = vec![0b011u8];
        let (values_at, bits_at) = (values.as_ptr(), bits.as_ptr());
        let nulls = NullBuffer::new(BooleanBuffer::new(Buffer::from_vec(bits), 0, 3));
        let arrow: ArrayRef = Arc::new(Int64Array::new(values.into(), Some(nulls)));
        let out = Lent::default()
            .export(arrow, &ArrowDataType::Int64)
            .unwrap();
        let out = out.as_any().downcast_ref::<PrimitiveArray<i64>>().unwrap();
        assert_eq!(out.values().as_ptr(), values_at);
        assert_eq!(out.validity().unwrap().as_slice().0.as_ptr(), bits_at);
        assert_eq!(out.validity().unwrap().unset_bits(), 1);
    }

    #[test]
    fn export_takes_nested_vectors_back() {
        use arrow::datatypes::Field;
        let values = vec![1i64, 2, 3, 4];
        let values_at = values.as_ptr();
        let field = Arc::new(Field::new("item", ArrowType::Int64, true));
        let child = Arc::new(Int64Array::from(values));
        let arrow: ArrayRef = Arc::new(ArrowFixedSizeListArray::new(field, 2, child, None));
        let dtype = ArrowDataType::FixedSizeList(
            Box::new(polars_arrow::datatypes::Field::new(
                "item".into(),
                ArrowDataType::Int64,
                true,
            )),
            2,
        );
        let out = Lent::default().export(arrow, &dtype).unwrap();
        let out = out.as_any().downcast_ref::<FixedSizeListArray>().unwrap();
        let child = out
            .values()
            .as_any()
            .downcast_ref::<PrimitiveArray<i64>>()
            .unwrap();
        assert_eq!(child.values().as_ptr(), values_at);
    }

    #[test]
    fn a_lent_bitmap_comes_back_as_itself_at_any_bit_offset() {
        let validity = bitmap(&[
            true, false, true, false, true, true, false, true, true, false,
        ]);
        let array = PrimitiveArray::<i64>::from_vec((0..10).collect())
            .with_validity(Some(validity))
            .sliced(3, 6);
        let mut lent = Lent::default();
        let arrow = lent.import(&array, &ArrowType::Int64).unwrap();
        // An output sharing the input's nulls, sliced further inside them.
        let shared = arrow.logical_nulls().unwrap().slice(2, 3);
        let back = lent.bitmap(shared.into_inner()).unwrap();
        let expected = array.validity().unwrap().clone().sliced(2, 3);
        assert_eq!(
            back.iter().collect::<Vec<_>>(),
            expected.iter().collect::<Vec<_>>()
        );
        assert_eq!(back.as_slice().0.as_ptr(), expected.as_slice().0.as_ptr());
    }

    #[test]
    fn float16_bits_survive_both_ways() {
        let halves = [
            half::f16::from_bits(0x7e01),
            half::f16::NEG_ZERO,
            half::f16::MAX,
        ];
        let arrow: ArrayRef = Arc::new(Float16Array::from(halves.to_vec()));
        let lent = Lent::default();
        let out = lent.export(arrow, &ArrowDataType::Float16).unwrap();
        let mut lent = Lent::default();
        let back = lent.import(out.as_ref(), &ArrowType::Float16).unwrap();
        let bits: Vec<u16> = back
            .as_primitive::<Float16Type>()
            .values()
            .iter()
            .map(|h| h.to_bits())
            .collect();
        assert_eq!(bits, halves.map(|h| h.to_bits()));
    }
}
