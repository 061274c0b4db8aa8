//! Keys as numbers: dense ids for PARTITION BY keys ([`GroupIds`]) and the ORDER BY keys
//! of each row as something cheap to compare ([`OrderKeys`]). The hash-state operator
//! ([`super::CumulativeHashWindowExec`]) keeps one running state per id.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use arrow::array::{Array, ArrayRef};
use arrow::buffer::ScalarBuffer;
use arrow::compute::SortOptions;
use arrow::datatypes::DataType;
use arrow::row::{RowConverter, Rows, SortField};
use datafusion::common::{Result, internal_err};

/// A hasher for keys that are already well spread once mixed: the 64-bit finaliser of
/// MurmurHash3 for integers, a multiply-and-mix over 8-byte words for byte strings.
#[derive(Default, Clone, Copy)]
pub(super) struct MixHasher(u64);

fn fmix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

impl Hasher for MixHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ (bytes.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            h = fmix(h ^ u64::from_le_bytes(word));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            h = fmix(h ^ u64::from_le_bytes(word) ^ 0x80);
        }
        self.0 = h;
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = fmix(self.0 ^ x);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Mixed = BuildHasherDefault<MixHasher>;

/// Dense ids `0..len()` for the PARTITION BY keys seen so far, in order of first
/// appearance. Keys are equal exactly when DataFusion's sort and `partition` put them in
/// one group: nulls equal each other and values compare by their bits (floats by their
/// total order, so `-0.0` and `0.0` differ, as do NaNs with different payloads).
pub(super) struct GroupIds {
    kind: IdKind,
    len: u32,
}

enum IdKind {
    /// No PARTITION BY: one group.
    Single,
    /// One column of a fixed-width primitive type: its bits.
    Primitive {
        width: usize,
        map: BitKeys,
        null: Option<u32>,
    },
    /// Anything else: arrow's row format of the key columns.
    Rows {
        converter: RowConverter,
        map: HashMap<Box<[u8]>, u32, Mixed>,
        /// Bytes of the keys in `map`.
        bytes: usize,
    },
}

impl GroupIds {
    /// Ids for keys of these types.
    pub fn new(types: &[DataType]) -> Result<Self> {
        let kind = match types {
            [] => IdKind::Single,
            [t] if t.is_primitive() && matches!(t.primitive_width(), Some(1 | 2 | 4 | 8)) => {
                IdKind::Primitive {
                    width: t.primitive_width().unwrap_or(8),
                    map: BitKeys::default(),
                    null: None,
                }
            }
            _ => IdKind::Rows {
                converter: RowConverter::new(
                    types.iter().map(|t| SortField::new(t.clone())).collect(),
                )?,
                map: HashMap::default(),
                bytes: 0,
            },
        };
        Ok(GroupIds { kind, len: 0 })
    }

    /// How many keys have an id.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Appends the id of each row of `keys` (`rows` rows) to `out`, giving new keys the
    /// next ids.
    pub fn assign(&mut self, keys: &[ArrayRef], rows: usize, out: &mut Vec<u32>) -> Result<()> {
        out.reserve(rows);
        let len = self.len;
        let next = &mut self.len;
        let mut fresh = || {
            let id = *next;
            *next += 1;
            id
        };
        match &mut self.kind {
            IdKind::Single => {
                if rows > 0 && len == 0 {
                    fresh();
                }
                out.extend(std::iter::repeat_n(0, rows));
            }
            IdKind::Primitive { width, map, null } => {
                let [key] = keys else {
                    return internal_err!("GroupIds: one key column expected");
                };
                let data = key.to_data();
                let Some(buffer) = data.buffers().first() else {
                    return internal_err!("GroupIds: a primitive key without values");
                };
                let nulls = key.logical_nulls().filter(|n| n.null_count() > 0);
                let (buffer, offset) = (buffer.clone(), data.offset());
                match *width {
                    1 => assign_bits(
                        &ScalarBuffer::<u8>::new(buffer, offset, rows),
                        nulls,
                        map,
                        null,
                        &mut fresh,
                        out,
                    ),
                    2 => assign_bits(
                        &ScalarBuffer::<u16>::new(buffer, offset, rows),
                        nulls,
                        map,
                        null,
                        &mut fresh,
                        out,
                    ),
                    4 => assign_bits(
                        &ScalarBuffer::<u32>::new(buffer, offset, rows),
                        nulls,
                        map,
                        null,
                        &mut fresh,
                        out,
                    ),
                    _ => assign_bits(
                        &ScalarBuffer::<u64>::new(buffer, offset, rows),
                        nulls,
                        map,
                        null,
                        &mut fresh,
                        out,
                    ),
                }
            }
            IdKind::Rows {
                converter,
                map,
                bytes: held,
            } => {
                let converted = converter.convert_columns(keys)?;
                for row in converted.iter() {
                    let bytes = row.data();
                    let id = match map.get(bytes) {
                        Some(&id) => id,
                        None => {
                            let id = fresh();
                            *held += bytes.len();
                            map.insert(bytes.into(), id);
                            id
                        }
                    };
                    out.push(id);
                }
            }
        }
        Ok(())
    }

    /// Heap bytes held, roughly.
    pub fn size(&self) -> usize {
        match &self.kind {
            IdKind::Single => 0,
            IdKind::Primitive { map, .. } => map.size(),
            IdKind::Rows {
                converter,
                map,
                bytes,
            } => converter.size() + bytes + map.capacity() * 24,
        }
    }
}

/// The ids of `values` (a key column's bits), new keys numbered by `fresh`.
fn assign_bits<T: Copy + Into<u64>>(
    values: &[T],
    nulls: Option<arrow::buffer::NullBuffer>,
    keys: &mut BitKeys,
    null: &mut Option<u32>,
    fresh: &mut dyn FnMut() -> u32,
    out: &mut Vec<u32>,
) {
    match nulls {
        None => {
            // One lookup per row, skipped while the key repeats (runs of equal keys are
            // frequent in sorted input).
            let mut last: Option<(u64, u32)> = None;
            for &v in values {
                let k: u64 = v.into();
                let id = match last {
                    Some((lk, id)) if lk == k => id,
                    _ => keys.id(k, fresh),
                };
                last = Some((k, id));
                out.push(id);
            }
        }
        Some(nulls) => {
            for (i, &v) in values.iter().enumerate() {
                let id = if nulls.is_null(i) {
                    *null.get_or_insert_with(&mut *fresh)
                } else {
                    keys.id(v.into(), fresh)
                };
                out.push(id);
            }
        }
    }
}

/// The key ids of a buffered partition's rows, in row order: two bytes a row while every
/// id fits (up to 65,536 keys), four from the first that does not.
pub(super) enum KeyIds {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Default for KeyIds {
    fn default() -> Self {
        KeyIds::Narrow(vec![])
    }
}

impl KeyIds {
    /// Appends `ids`.
    pub fn extend(&mut self, ids: &[u32]) {
        if let KeyIds::Narrow(narrow) = self {
            if ids.iter().all(|&id| id <= u32::from(u16::MAX)) {
                narrow.extend(ids.iter().map(|&id| id as u16));
                return;
            }
            let mut wide = Vec::with_capacity(narrow.len() + ids.len());
            wide.extend(narrow.iter().map(|&id| u32::from(id)));
            *self = KeyIds::Wide(wide);
        }
        if let KeyIds::Wide(wide) = self {
            wide.extend_from_slice(ids);
        }
    }

    pub fn len(&self) -> usize {
        match self {
            KeyIds::Narrow(ids) => ids.len(),
            KeyIds::Wide(ids) => ids.len(),
        }
    }

    /// The ids of rows `range`.
    pub fn to_vec(&self, range: std::ops::Range<usize>) -> Vec<u32> {
        match self {
            KeyIds::Narrow(ids) => ids[range].iter().map(|&id| u32::from(id)).collect(),
            KeyIds::Wide(ids) => ids[range].to_vec(),
        }
    }

    /// Calls `f` with each row and its id, in row order.
    #[inline]
    pub fn for_each(&self, mut f: impl FnMut(usize, u32)) {
        match self {
            KeyIds::Narrow(ids) => ids
                .iter()
                .enumerate()
                .for_each(|(i, &id)| f(i, u32::from(id))),
            KeyIds::Wide(ids) => ids.iter().enumerate().for_each(|(i, &id)| f(i, id)),
        }
    }
}

/// Keys whose bits are below this have their id in a table indexed by the bits (small
/// non-negative integers, the usual group numbers): a load instead of a hash lookup.
const DENSE_KEYS: u64 = 1 << 16;

/// The ids of one primitive key column's values, by their bits.
#[derive(Default)]
struct BitKeys {
    /// Ids of the bits below [`DENSE_KEYS`] (`u32::MAX`: none yet); empty until one comes.
    dense: Vec<u32>,
    /// Ids of the other bits.
    map: HashMap<u64, u32, Mixed>,
}

impl BitKeys {
    #[inline]
    fn id(&mut self, bits: u64, fresh: &mut dyn FnMut() -> u32) -> u32 {
        if bits < DENSE_KEYS {
            if self.dense.is_empty() {
                self.dense = vec![u32::MAX; DENSE_KEYS as usize];
            }
            let slot = &mut self.dense[bits as usize];
            if *slot == u32::MAX {
                *slot = fresh();
            }
            *slot
        } else {
            *self.map.entry(bits).or_insert_with(fresh)
        }
    }

    fn size(&self) -> usize {
        self.dense.capacity() * 4 + self.map.capacity() * 16
    }
}

/// The ORDER BY keys of a run of rows, as values whose plain comparison is the window's
/// order: one `u64` per row for a single primitive key without nulls, arrow's row format
/// otherwise.
pub(super) enum OrderKeys {
    Words(Vec<u64>),
    Rows(Rows),
}

impl OrderKeys {
    /// The keys of `columns` sorted with `options` (one per column).
    pub fn new(columns: &[ArrayRef], options: &[SortOptions]) -> Result<Self> {
        if let ([column], [options]) = (columns, options)
            && column.null_count() == 0
            && let Some(words) = sortable_words(column.as_ref(), options.descending)
        {
            return Ok(OrderKeys::Words(words));
        }
        let converter = RowConverter::new(
            columns
                .iter()
                .zip(options)
                .map(|(c, o)| SortField::new_with_options(c.data_type().clone(), *o))
                .collect(),
        )?;
        Ok(OrderKeys::Rows(converter.convert_columns(columns)?))
    }

    /// The keys of consecutive batches (`batches[b]` holds batch `b`'s ORDER BY columns,
    /// sorted with `options`), numbered across the batches.
    pub fn from_batches(batches: &[Vec<ArrayRef>], options: &[SortOptions]) -> Result<Self> {
        let width = batches.first().map_or(0, Vec::len);
        let columns = (0..width)
            .map(|c| {
                let parts: Vec<&dyn Array> = batches.iter().map(|b| b[c].as_ref()).collect();
                Ok(arrow::compute::concat(&parts)?)
            })
            .collect::<Result<Vec<_>>>()?;
        Self::new(&columns, options)
    }

    /// Whether row `i` sorts after row `j` (ties are not out of order).
    pub fn after(&self, i: usize, j: usize) -> bool {
        match self {
            OrderKeys::Words(w) => w[i] > w[j],
            OrderKeys::Rows(r) => r.row(i) > r.row(j),
        }
    }

    /// Compares row `i` with row `j`.
    pub fn cmp(&self, i: usize, j: usize) -> std::cmp::Ordering {
        match self {
            OrderKeys::Words(w) => w[i].cmp(&w[j]),
            OrderKeys::Rows(r) => r.row(i).cmp(&r.row(j)),
        }
    }
}

/// Whether the rows of every PARTITION BY key keep coming in the window's ORDER BY
/// order (one primitive ORDER BY column), batch after batch: per key, the ORDER BY value
/// of its last row, compared with the next. Ties are in order, as are nulls where the
/// sort options put them.
pub(super) struct KeyOrderCheck {
    options: SortOptions,
    /// Per key id, the last row's value as an order-preserving number: 0 before the
    /// key's first row, nulls and values above it where `options` sort them.
    last: Vec<u128>,
    /// Rows checked so far.
    rows: usize,
}

impl KeyOrderCheck {
    /// Whether an ORDER BY column of this type can be checked.
    pub fn supports(data_type: &DataType) -> bool {
        sortable_words(arrow::array::new_empty_array(data_type).as_ref(), false).is_some()
    }

    pub fn new(options: SortOptions) -> Self {
        KeyOrderCheck {
            options,
            last: vec![],
            rows: 0,
        }
    }

    /// Checks the next rows, whose key ids are `ids` and ORDER BY values `order`: the
    /// position (counted from the first row checked) of the first row that sorts before
    /// its key's previous row, if any.
    pub fn check(&mut self, ids: &[u32], order: &dyn Array) -> Result<Option<usize>> {
        let start = self.rows;
        Ok(self.visit(ids, order, |_, _| true)?.map(|i| start + i))
    }

    /// Checks the next rows as [`KeyOrderCheck::check`] does, to the end: sets
    /// `out_of_order[id]` for every key with a row that sorts before the key's previous
    /// row.
    pub fn mark(
        &mut self,
        ids: &[u32],
        order: &dyn Array,
        out_of_order: &mut [bool],
    ) -> Result<()> {
        if ids.iter().any(|&id| id as usize >= out_of_order.len()) {
            return internal_err!("KeyOrderCheck: a key id beyond {} keys", out_of_order.len());
        }
        self.visit(ids, order, |_, id| {
            out_of_order[id as usize] = true;
            false
        })?;
        Ok(())
    }

    /// Ranks the rows and compares each with its key's previous row; calls `found` with
    /// the position in `ids` and the key of each row out of order, and stops at the
    /// first for which it returns `true` (that position is returned).
    fn visit(
        &mut self,
        ids: &[u32],
        order: &dyn Array,
        mut found: impl FnMut(usize, u32) -> bool,
    ) -> Result<Option<usize>> {
        if ids.len() != order.len() {
            return internal_err!(
                "KeyOrderCheck: {} key ids for {} rows",
                ids.len(),
                order.len()
            );
        }
        let Some(words) = sortable_words(order, self.options.descending) else {
            return internal_err!("KeyOrderCheck: cannot order {}", order.data_type());
        };
        let (null_rank, value_base) = self.null_rank_and_value_base();
        let nulls = order.logical_nulls().filter(|n| n.null_count() > 0);
        self.rows += ids.len();
        let Some(&most) = ids.iter().max() else {
            return Ok(None);
        };
        if most as usize >= self.last.len() {
            self.last.resize(most as usize + 1, 0);
        }
        let last = &mut self.last;
        for (i, (&id, &word)) in ids.iter().zip(&words).enumerate() {
            let rank = match &nulls {
                Some(n) if n.is_null(i) => null_rank,
                _ => value_base + u128::from(word),
            };
            let slot = &mut last[id as usize];
            let out_of_order = rank < *slot;
            *slot = rank;
            if out_of_order && found(i, id) {
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    /// The rank [`KeyOrderCheck::check`] gives row `row` of `order`.
    pub fn rank(&self, order: &dyn Array, row: usize) -> Result<u128> {
        let one = order.slice(row, 1);
        let Some(&[word]) = sortable_words(one.as_ref(), self.options.descending).as_deref() else {
            return internal_err!("KeyOrderCheck: cannot order {}", order.data_type());
        };
        let (null_rank, value_base) = self.null_rank_and_value_base();
        Ok(if one.is_null(0) {
            null_rank
        } else {
            value_base + u128::from(word)
        })
    }

    /// The rank of a null, and the number added to a value's word for its rank: both
    /// above 0 (no row yet), nulls below or above every value as the options say.
    fn null_rank_and_value_base(&self) -> (u128, u128) {
        if self.options.nulls_first {
            (1, 2)
        } else {
            (2 + u128::from(u64::MAX), 1)
        }
    }

    /// Per key id, the rank of its last row checked.
    pub fn last_ranks(&self) -> &[u128] {
        &self.last
    }

    /// Bytes held, roughly.
    pub fn size(&self) -> usize {
        self.last.capacity() * 16
    }
}

/// A primitive column's values as `u64`s whose unsigned order is the column's order
/// (reversed when `descending`); `None` for types without such an encoding here.
pub(super) fn sortable_words(column: &dyn Array, descending: bool) -> Option<Vec<u64>> {
    use arrow::array::AsArray;
    use arrow::datatypes::*;
    const SIGN: u64 = 1 << 63;
    fn float_bits(bits: u64) -> u64 {
        // IEEE total order: flip every bit of negatives, the sign bit of the rest.
        if bits & SIGN != 0 { !bits } else { bits | SIGN }
    }
    let words: Vec<u64> = match column.data_type() {
        DataType::Int8 => column
            .as_primitive::<Int8Type>()
            .values()
            .iter()
            .map(|&v| (v as i64 as u64) ^ SIGN)
            .collect(),
        DataType::Int16 => column
            .as_primitive::<Int16Type>()
            .values()
            .iter()
            .map(|&v| (v as i64 as u64) ^ SIGN)
            .collect(),
        DataType::Int32 | DataType::Date32 | DataType::Time32(_) => {
            let data = column.to_data();
            let v = ScalarBuffer::<i32>::new(data.buffers()[0].clone(), data.offset(), data.len());
            v.iter().map(|&v| (v as i64 as u64) ^ SIGN).collect()
        }
        DataType::Int64
        | DataType::Date64
        | DataType::Time64(_)
        | DataType::Timestamp(..)
        | DataType::Duration(_) => {
            let data = column.to_data();
            let v = ScalarBuffer::<i64>::new(data.buffers()[0].clone(), data.offset(), data.len());
            v.iter().map(|&v| (v as u64) ^ SIGN).collect()
        }
        DataType::UInt8 => column
            .as_primitive::<UInt8Type>()
            .values()
            .iter()
            .map(|&v| u64::from(v))
            .collect(),
        DataType::UInt16 => column
            .as_primitive::<UInt16Type>()
            .values()
            .iter()
            .map(|&v| u64::from(v))
            .collect(),
        DataType::UInt32 => column
            .as_primitive::<UInt32Type>()
            .values()
            .iter()
            .map(|&v| u64::from(v))
            .collect(),
        DataType::UInt64 => column.as_primitive::<UInt64Type>().values().to_vec(),
        DataType::Float32 => column
            .as_primitive::<Float32Type>()
            .values()
            .iter()
            .map(|&v| float_bits(f64::from(v).to_bits()))
            .collect(),
        DataType::Float64 => column
            .as_primitive::<Float64Type>()
            .values()
            .iter()
            .map(|&v| float_bits(v.to_bits()))
            .collect(),
        _ => return None,
    };
    Some(if descending {
        words.into_iter().map(|w| !w).collect()
    } else {
        words
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, Int32Array, Int64Array, StringArray, UInt16Array};

    use super::*;

    #[test]
    fn key_order_check_follows_the_sort_options() {
        let ids = [0, 1, 0, 1, 0];
        let column = Int64Array::from(vec![Some(1), None, Some(1), Some(5), Some(2)]);
        // Ascending, nulls last: key 1 has null then 5, out of order at row 3.
        let mut check = KeyOrderCheck::new(SortOptions::new(false, false));
        assert_eq!(check.check(&ids, &column).unwrap(), Some(3));
        // Nulls first: in order; the next batch goes on from each key's last row.
        let mut check = KeyOrderCheck::new(SortOptions::new(false, true));
        assert_eq!(check.check(&ids, &column).unwrap(), None);
        let next = Int64Array::from(vec![Some(2), Some(4)]);
        assert_eq!(check.check(&[0, 1], &next).unwrap(), Some(6));
        // Descending: key 0 goes 1, 1, 2, which is out of order at row 4.
        let mut check = KeyOrderCheck::new(SortOptions::new(true, true));
        assert_eq!(check.check(&ids, &column).unwrap(), Some(4));
        // i64::MIN is not a null.
        let mut check = KeyOrderCheck::new(SortOptions::new(false, true));
        let edge = Int64Array::from(vec![Some(i64::MIN), None]);
        assert_eq!(check.check(&[0, 0], &edge).unwrap(), Some(1));
        assert!(KeyOrderCheck::supports(&DataType::Float64));
        assert!(!KeyOrderCheck::supports(&DataType::Utf8));
    }

    #[test]
    fn key_ids_widen_past_two_bytes() {
        let mut ids = KeyIds::default();
        ids.extend(&[3, 65_535, 0]);
        assert!(matches!(ids, KeyIds::Narrow(_)));
        ids.extend(&[7, 65_536]);
        assert!(matches!(ids, KeyIds::Wide(_)));
        ids.extend(&[2]);
        assert_eq!(ids.len(), 6);
        assert_eq!(ids.to_vec(1..6), [65_535, 0, 7, 65_536, 2]);
        let mut seen = vec![];
        ids.for_each(|i, id| seen.push((i, id)));
        assert_eq!(seen[4], (4, 65_536));
        assert_eq!(seen.len(), 6);
    }

    #[test]
    fn small_and_large_keys_share_one_numbering() {
        // Bits below DENSE_KEYS are looked up in a table, the others hashed: one
        // numbering in order of first appearance, across batches, for every width.
        let values: Vec<i64> = vec![5, 70_000, -3, 5, 65_535, 65_536, -3, 0, 70_000, 1 << 40];
        let mut expected = vec![];
        let mut seen: Vec<i64> = vec![];
        for v in &values {
            let id = seen.iter().position(|s| s == v).unwrap_or_else(|| {
                seen.push(*v);
                seen.len() - 1
            });
            expected.push(id as u32);
        }
        let mut ids = GroupIds::new(&[DataType::Int64]).unwrap();
        let keys: ArrayRef = Arc::new(Int64Array::from(values.clone()));
        let mut out = vec![];
        ids.assign(&[keys.slice(0, 4)], 4, &mut out).unwrap();
        ids.assign(&[keys.slice(4, 6)], 6, &mut out).unwrap();
        assert_eq!(out, expected);
        assert_eq!(ids.len(), seen.len());

        let mut ids = GroupIds::new(&[DataType::UInt16]).unwrap();
        let keys: Vec<ArrayRef> = vec![Arc::new(UInt16Array::from(vec![65_535, 0, 65_535, 1]))];
        let mut out = vec![];
        ids.assign(&keys, 4, &mut out).unwrap();
        assert_eq!(out, [0, 1, 0, 2]);
    }

    #[test]
    fn ids_are_dense_in_order_of_first_appearance() {
        let mut ids = GroupIds::new(&[DataType::Int32]).unwrap();
        let keys: Vec<ArrayRef> = vec![Arc::new(Int32Array::from(vec![
            Some(7),
            None,
            Some(7),
            Some(-1),
            None,
        ]))];
        let mut out = vec![];
        ids.assign(&keys, 5, &mut out).unwrap();
        assert_eq!(out, [0, 1, 0, 2, 1]);
        ids.assign(&[keys[0].slice(3, 1)], 1, &mut out).unwrap();
        assert_eq!(out[5], 2);
        assert_eq!(ids.len(), 3);

        let mut ids = GroupIds::new(&[DataType::Utf8, DataType::Int64]).unwrap();
        let keys: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec!["a", "a", "b", "a"])),
            Arc::new(Int64Array::from(vec![1, 2, 1, 1])),
        ];
        let mut out = vec![];
        ids.assign(&keys, 4, &mut out).unwrap();
        assert_eq!(out, [0, 1, 2, 0]);
    }

    #[test]
    fn float_keys_by_bits() {
        let mut ids = GroupIds::new(&[DataType::Float64]).unwrap();
        let keys: Vec<ArrayRef> = vec![Arc::new(Float64Array::from(vec![0.0, -0.0, 0.0]))];
        let mut out = vec![];
        ids.assign(&keys, 3, &mut out).unwrap();
        assert_eq!(out, [0, 1, 0]);
    }

    #[test]
    fn order_words_follow_the_sort_options() {
        let column: ArrayRef = Arc::new(Float64Array::from(vec![-1.5, 2.0, -0.0, 0.0, f64::NAN]));
        for descending in [false, true] {
            let options = SortOptions {
                descending,
                nulls_first: false,
            };
            let words = OrderKeys::new(std::slice::from_ref(&column), &[options]).unwrap();
            let rows = OrderKeys::Rows(
                RowConverter::new(vec![SortField::new_with_options(
                    DataType::Float64,
                    options,
                )])
                .unwrap()
                .convert_columns(std::slice::from_ref(&column))
                .unwrap(),
            );
            assert!(matches!(words, OrderKeys::Words(_)));
            for i in 0..5 {
                for j in 0..5 {
                    assert_eq!(words.cmp(i, j), rows.cmp(i, j), "{i} {j} {descending}");
                }
            }
        }
    }
}
