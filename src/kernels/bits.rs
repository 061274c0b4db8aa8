//! Validity bitmaps as arrow-rs and polars-arrow store them: bytes, least significant bit
//! first, starting at a bit offset.

/// A read-only view of `len` bits starting at bit `offset` of `bytes` (LSB first).

#[derive(Debug, Clone, Copy)]
pub(crate) struct Bits<'a> {
    bytes: &'a [u8],
    offset: usize,
    len: usize,
}

impl<'a> Bits<'a> {
    /// A view of bits `offset..offset + len` of `bytes`.
    ///
    /// # Panics
    /// If `bytes` holds fewer than `offset + len` bits: arrow-rs and polars-arrow
    /// bitmaps always hold enough, so this is a bug in the caller.
    pub fn new(bytes: &'a [u8], offset: usize, len: usize) -> Self {
        assert!(
            offset + len <= bytes.len() * 8,
            "bitmap of {} bytes cannot hold bits {offset}..{}",
            bytes.len(),
            offset + len
        );
        Bits { bytes, offset, len }
    }

    /// The number of bits in the view.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Bit `i` of the view.
    #[inline]
    pub fn get(&self, i: usize) -> bool {
        debug_assert!(i < self.len);
        let p = self.offset + i;
        self.bytes[p / 8] & (1 << (p % 8)) != 0
    }

    /// The sub-view `start..start + len`.
    pub fn slice(&self, start: usize, len: usize) -> Bits<'a> {
        assert!(start + len <= self.len, "bit slice out of range");
        Bits {
            bytes: self.bytes,
            offset: self.offset + start,
            len,
        }
    }

    /// Bits `i..i + 64` of the view as a word (bit `i` lowest); bits past the end read 0.
    #[inline]
    pub fn word(&self, i: usize) -> u64 {
        let p = self.offset + i;
        let (byte, shift) = (p / 8, p % 8);
        let mut buf = [0u8; 16];
        let avail = self.bytes.len().saturating_sub(byte).min(9);
        buf[..avail].copy_from_slice(&self.bytes[byte..byte + avail]);
        let word = (u128::from_le_bytes(buf) >> shift) as u64;
        let remaining = self.len - i;
        if remaining < 64 {
            word & ((1u64 << remaining) - 1)
        } else {
            word
        }
    }

    /// The word of bits `i..i + 64`, inverted, with bits past the end cleared.
    #[inline]
    fn zeros_word(&self, i: usize) -> u64 {
        let remaining = self.len - i;
        let mask = if remaining < 64 {
            (1u64 << remaining) - 1
        } else {
            u64::MAX
        };
        !self.word(i) & mask
    }

    /// Calls `f` with the index of every cleared bit, in increasing order, 64 bits at a
    /// time, so sparse nulls cost little.
    #[inline]
    pub fn for_each_zero(&self, mut f: impl FnMut(usize)) {
        for i in (0..self.len).step_by(64) {
            let mut zeros = self.zeros_word(i);
            while zeros != 0 {
                f(i + zeros.trailing_zeros() as usize);
                zeros &= zeros - 1;
            }
        }
    }

    /// The first cleared bit, from the start or (with `from_end`) from the end.
    pub fn first_zero(&self, from_end: bool) -> Option<usize> {
        self.first_where(from_end, |bits, i| bits.zeros_word(i))
    }

    /// The first set bit, from the start or (with `from_end`) from the end.
    pub fn first_one(&self, from_end: bool) -> Option<usize> {
        self.first_where(from_end, |bits, i| bits.word(i))
    }

    fn first_where(&self, from_end: bool, word: impl Fn(&Self, usize) -> u64) -> Option<usize> {
        if from_end {
            let last_chunk = self.len.checked_sub(1)? / 64 * 64;
            (0..=last_chunk).rev().step_by(64).find_map(|i| {
                let w = word(self, i);
                (w != 0).then(|| i + 63 - w.leading_zeros() as usize)
            })
        } else {
            (0..self.len).step_by(64).find_map(|i| {
                let w = word(self, i);
                (w != 0).then(|| i + w.trailing_zeros() as usize)
            })
        }
    }
}

/// Sets bits `start..end` of an LSB-first bitmap to `value`.
pub(crate) fn set_range(bytes: &mut [u8], start: usize, end: usize, value: bool) {
    if start >= end {
        return;
    }
    let (first_byte, last_byte) = (start / 8, (end - 1) / 8);
    let head_mask = 0xFFu8 << (start % 8);
    let tail_mask = 0xFFu8 >> (7 - (end - 1) % 8);
    let apply = |byte: &mut u8, mask: u8| {
        if value { *byte |= mask } else { *byte &= !mask }
    };
    if first_byte == last_byte {
        apply(&mut bytes[first_byte], head_mask & tail_mask);
        return;
    }
    apply(&mut bytes[first_byte], head_mask);
    bytes[first_byte + 1..last_byte].fill(if value { 0xFF } else { 0 });
    apply(&mut bytes[last_byte], tail_mask);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(bytes: &[u8], offset: usize, len: usize) -> Vec<bool> {
        (offset..offset + len)
            .map(|p| bytes[p / 8] & (1 << (p % 8)) != 0)
            .collect()
    }

    #[test]
    fn queries_match_a_bit_by_bit_reading() {
        let bytes: Vec<u8> = (0..40u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for offset in [0, 1, 7, 8, 13, 63, 64, 65] {
            for len in [0, 1, 5, 63, 64, 65, 128, 200] {
                let bits = Bits::new(&bytes, offset, len);
                let expected = naive(&bytes, offset, len);
                let mut zeros = vec![];
                bits.for_each_zero(|i| zeros.push(i));
                let expected_zeros: Vec<usize> = (0..len).filter(|&i| !expected[i]).collect();
                assert_eq!(zeros, expected_zeros);
                assert_eq!(bits.first_zero(false), expected_zeros.first().copied());
                assert_eq!(bits.first_zero(true), expected_zeros.last().copied());
                let ones: Vec<usize> = (0..len).filter(|&i| expected[i]).collect();
                assert_eq!(bits.first_one(false), ones.first().copied());
                assert_eq!(bits.first_one(true), ones.last().copied());
            }
        }
    }

    #[test]
    fn set_range_touches_only_the_range() {
        for (start, end) in [(0, 0), (0, 1), (3, 5), (3, 13), (0, 64), (7, 57), (8, 16)] {
            let mut bytes = vec![0u8; 8];
            set_range(&mut bytes, start, end, true);
            let got = naive(&bytes, 0, 64);
            for (i, bit) in got.into_iter().enumerate() {
                assert_eq!(bit, (start..end).contains(&i), "{start}..{end} bit {i}");
            }
            let mut bytes = vec![0xFFu8; 8];
            set_range(&mut bytes, start, end, false);
            let got = naive(&bytes, 0, 64);
            for (i, bit) in got.into_iter().enumerate() {
                assert_eq!(bit, !(start..end).contains(&i));
            }
        }
    }
}
