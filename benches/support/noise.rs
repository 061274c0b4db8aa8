//! Deterministic pseudo-random numbers for benchmark data, shared by the benches and
//! `benches/peers.rs` (no dependency on a random-number crate).

/// `n` values of a xorshift64 generator started from `seed`.
pub fn noise(n: usize, seed: u64) -> impl Iterator<Item = u64> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n).map(move |_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    })
}
