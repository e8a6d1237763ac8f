//! The set of revoked permit serials, held succinctly on an officer's device
//! and carried in sync bundles.
//!
//! A country-sized list (ten million serials drawn from a billion) has to fit
//! a phone's memory, answer a lookup in well under a microsecond, and take a
//! day's delta quickly. In memory the set is an Elias-Fano code: about
//! `2 + log2(U/n)` bits per serial, where `U` is the largest serial plus one
//! and `n` the count, close to the `log2(U choose n)` floor. On the wire it is
//! a Golomb-Rice code of the gaps between serials, specified byte by byte in
//! `docs/revocations.md`.
//!
//! The set is immutable: a delta arrives as another set and is merged with
//! [`RevocationSet::union`], which streams both sets and never materialises
//! them as a plain array.

use std::fmt;

use crate::claims::PermitSerial;

/// The first byte of the wire form.
const WIRE_VERSION: u8 = 1;

/// No set of `u32` serials has more members than this.
const MAX_COUNT: u64 = 1 << 32;

/// The largest Rice parameter the wire form allows. The rule in
/// [`rice_parameter`] never chooses more than 31, and a parameter of 32 or
/// more could only encode a gap that no `u32` serial has.
const MAX_RICE_PARAMETER: u8 = 31;

/// The select directory keeps a hint for every this many zeros of the high
/// bitvector (about 0.03 bits per serial at the usual density).
const SAMPLE_ZEROS: u64 = 1024;

/// The rank directory counts the zeros before every block of this many words
/// (512 bits, so a lookup scans at most eight words after a binary search).
const BLOCK_WORDS: usize = 8;

/// An immutable set of revoked permit serials, stored succinctly (Elias-Fano).
///
/// Each serial `v` is split into its low `l` bits, packed side by side, and
/// its high part `v >> l`, written in unary into a bitvector: serial number
/// `i` (in ascending order) sets bit `(v >> l) + i`, so bucket `h` ends at the
/// `h`-th zero. A small directory (zero counts per 512-bit block and a hint
/// every 1024 zeros) finds that zero in constant time in practice.
///
/// Two sets with the same serials have the same representation, so the
/// derived equality is set equality.
///
/// ```
/// use icaze_core::{PermitSerial, RevocationSet};
///
/// let revoked = RevocationSet::from_serials([907, 12, 40_000_000, 12]);
/// assert_eq!(revoked.len(), 3);
/// assert!(revoked.contains(PermitSerial(907)));
/// assert!(!revoked.contains(PermitSerial(908)));
///
/// // A day's delta, received in a sync bundle, merged in.
/// let delta = RevocationSet::decode(&RevocationSet::from_serials([13, 907]).encode())?;
/// let revoked = revoked.union(&delta);
/// assert_eq!(revoked.iter().collect::<Vec<_>>(), [12, 13, 907, 40_000_000]);
/// # Ok::<(), icaze_core::RevocationDecodeError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RevocationSet {
    // Invariant: the number of serials, at most 2^32.
    len: u64,
    // Invariant: the largest serial, 0 for the empty set.
    max: u32,
    // Invariant: `low_bits_for(len, max + 1)`, so at most 32; 0 for the empty set.
    low_bits: u32,
    // Invariant: `len * low_bits` bits, serial `i`'s low bits at bit `i * low_bits`
    // (least significant first); the unused high bits of the last word are zero.
    low: Vec<u64>,
    // Invariant: `len + (max >> low_bits) + 1` bits, least significant bit of
    // word 0 first; bit `(v >> low_bits) + i` is set for the `i`-th serial `v`,
    // every other bit (including the padding of the last word) is zero. The
    // last bit is therefore a zero, the end of the last bucket.
    high: Vec<u64>,
    // Invariant: entry `b` counts the zeros of `high` in the words before word
    // `b * BLOCK_WORDS`; one entry per block. It fits a u32 because it is less
    // than the number of buckets, `(max >> low_bits) + 1 <= 2^32`.
    block_zeros: Vec<u32>,
    // Invariant: entry `j` is the block that holds zero number `j * SAMPLE_ZEROS`.
    zero_samples: Vec<u32>,
}

impl RevocationSet {
    /// The set with no serials.
    pub fn empty() -> Self {
        Self {
            len: 0,
            max: 0,
            low_bits: 0,
            low: Vec::new(),
            high: Vec::new(),
            block_zeros: Vec::new(),
            zero_samples: Vec::new(),
        }
    }

    /// The set of the given serials. Any order, duplicates allowed.
    ///
    /// This collects and sorts the serials first, so it briefly holds four
    /// bytes per serial given; [`RevocationSet::decode`] and
    /// [`RevocationSet::union`] do not.
    pub fn from_serials(serials: impl IntoIterator<Item = u32>) -> Self {
        let mut sorted: Vec<u32> = serials.into_iter().collect();
        sorted.sort_unstable();
        sorted.dedup();
        match sorted.last() {
            None => Self::empty(),
            Some(&max) => Self::build(sorted.len() as u64, max, sorted.iter().copied()),
        }
    }

    /// Whether `serial` is in the set.
    pub fn contains(&self, serial: PermitSerial) -> bool {
        let value = serial.0;
        if self.len == 0 || value > self.max {
            return false;
        }
        let bucket = u64::from(value) >> self.low_bits;
        let wanted = u64::from(value) & self.low_mask();
        // Bucket `h` is the run of ones after zero `h - 1` (or from bit 0).
        // `value <= max` makes `bucket <= max >> low_bits`, so zero `bucket`
        // and every zero before it exist.
        let start = if bucket == 0 { 0 } else { self.select_zero(bucket - 1) + 1 };
        let end = self.next_zero(start, bucket);
        // The ones before `start` are the serials of the lower buckets. (The
        // saturation only matters if the invariants were broken, when the
        // answer is then "not revoked" rather than a panic.)
        let first = start.saturating_sub(bucket);
        let count = end.saturating_sub(start);
        // The low parts within one bucket ascend: binary search them.
        let (mut lo, mut hi) = (first, first + count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let low = self.low_at(mid);
            if low == wanted {
                return true;
            }
            if low < wanted {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        false
    }

    /// The number of serials in the set.
    ///
    /// A set can hold 2^32 serials; on a 32-bit target such a set (half a
    /// gigabyte) could not be built or decoded, so this never truncates.
    pub fn len(&self) -> usize {
        // Invariant: `len` was a `usize` when the set was built or decoded.
        usize::try_from(self.len).unwrap_or(usize::MAX)
    }

    /// Whether the set has no serials.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The serials in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        Iter { set: self, word_index: 0, word: self.high.first().copied().unwrap_or(0), index: 0 }
    }

    /// The union: linear merge, no re-sort.
    ///
    /// Both sets are streamed twice (once to count the result, once to build
    /// it) or, when one is much smaller, the smaller one is looked up in the
    /// larger to count; no intermediate array of serials is held.
    pub fn union(&self, other: &RevocationSet) -> RevocationSet {
        if other.is_empty() {
            return self.clone();
        }
        if self.is_empty() {
            return other.clone();
        }
        let (small, large) = if self.len <= other.len { (self, other) } else { (other, self) };
        // A lookup costs about as much as stepping a few dozen serials of a
        // merge, so looking the small set up wins when it is this much smaller.
        let common = if small.len.saturating_mul(32) < large.len {
            small.iter().filter(|&s| large.contains(PermitSerial(s))).count() as u64
        } else {
            small.len + large.len - merge(small.iter(), large.iter()).count() as u64
        };
        let len = small.len + large.len - common;
        Self::build(len, self.max.max(other.max), merge(self.iter(), other.iter()))
    }

    /// Memory held on the heap, in bytes (for benchmarks and the app's diagnostics).
    pub fn heap_bytes(&self) -> usize {
        (self.low.capacity() + self.high.capacity()) * size_of::<u64>()
            + (self.block_zeros.capacity() + self.zero_samples.capacity()) * size_of::<u32>()
    }

    /// The canonical compact wire form, specified in `docs/revocations.md`.
    ///
    /// One byte of format version (1), the count as a minimal LEB128 varint,
    /// then, if the set is not empty, one byte holding the Rice parameter `k`
    /// and the gaps as a bit stream, most significant bit first: the first
    /// serial, then each serial minus the previous one minus one, each as
    /// `gap >> k` one-bits, a zero-bit, and the low `k` bits of the gap. The
    /// stream ends with zero bits up to the byte boundary. `k` is fixed by the
    /// count and the largest serial (see `docs/revocations.md`), so every set
    /// has exactly one encoding. The format is not self-delimiting beyond
    /// this: it is meant to sit in a length-prefixed field of a signed bundle.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.push(WIRE_VERSION);
        put_varint(&mut out, self.len);
        if self.len == 0 {
            return out;
        }
        let k = rice_parameter(self.len, u64::from(self.max) + 1);
        out.push(k);
        let k = u32::from(k);
        // The expected size: k + 1 bits per serial, plus about one unary bit.
        let estimate = (self.len.saturating_mul(u64::from(k) + 2) / 8) as usize;
        let mut writer = BitWriter { bytes: out, acc: 0, pending: 0 };
        writer.bytes.reserve(estimate);
        let mut next = 0u64;
        for value in self.iter() {
            let value = u64::from(value);
            let gap = value - next;
            writer.put_unary(gap >> k);
            writer.put(gap & ((1u64 << k) - 1), k);
            next = value + 1;
        }
        writer.finish()
    }

    /// Reads the wire form written by [`RevocationSet::encode`].
    ///
    /// Any bytes give a set or a typed error, never a panic. The count is
    /// checked against the bytes present (every serial takes at least `k + 1`
    /// bits) and the whole stream is validated before anything is allocated,
    /// so the memory taken is bounded by a small multiple of the input's size.
    /// Only the canonical encoding of a set is accepted: a non-minimal count,
    /// another Rice parameter than the rule's, non-zero padding or trailing
    /// bytes are refused. Not checked here: who sent the set; the bundle that
    /// carries it is signed.
    pub fn decode(bytes: &[u8]) -> Result<RevocationSet, RevocationDecodeError> {
        let (&version, rest) = bytes.split_first().ok_or(RevocationDecodeError::Truncated)?;
        if version != WIRE_VERSION {
            return Err(RevocationDecodeError::UnsupportedVersion(version));
        }
        let (len, rest) = get_varint(rest)?;
        if len > MAX_COUNT || usize::try_from(len).is_err() {
            return Err(RevocationDecodeError::CountTooLarge(len));
        }
        if len == 0 {
            return if rest.is_empty() { Ok(Self::empty()) } else { Err(RevocationDecodeError::TrailingBytes) };
        }
        let (&k, stream) = rest.split_first().ok_or(RevocationDecodeError::Truncated)?;
        if k > MAX_RICE_PARAMETER {
            return Err(RevocationDecodeError::InvalidParameter(k));
        }
        // Every code takes at least k + 1 bits: refuse a count the bytes
        // cannot hold before reading any of them.
        if len * (u64::from(k) + 1) > stream.len() as u64 * 8 {
            return Err(RevocationDecodeError::Truncated);
        }

        // First pass: validate everything and find the largest serial, which
        // the in-memory layout needs before the first serial is placed.
        let mut decoder = RiceDecoder::new(stream, u32::from(k));
        let mut max = 0;
        for _ in 0..len {
            max = decoder.next_serial()?;
        }
        let read = decoder.position();
        let used = read.div_ceil(8);
        if used < stream.len() as u64 {
            return Err(RevocationDecodeError::TrailingBytes);
        }
        let padding = (used * 8 - read) as u32;
        if padding > 0 && decoder.get_bits(padding)? != 0 {
            return Err(RevocationDecodeError::NonZeroPadding);
        }
        let expected = rice_parameter(len, u64::from(max) + 1);
        if k != expected {
            return Err(RevocationDecodeError::NonCanonicalParameter { found: k, expected });
        }

        // Second pass: the stream is known good, so decoding it again cannot
        // fail; `map_while` merely avoids an unwrap.
        let mut decoder = RiceDecoder::new(stream, u32::from(k));
        let serials = (0..len).map_while(|_| decoder.next_serial().ok());
        Ok(Self::build(len, max, serials))
    }

    /// Builds the set from `len` ascending, distinct serials, the last of
    /// which is `max`. The caller guarantees all three.
    fn build(len: u64, max: u32, serials: impl Iterator<Item = u32>) -> Self {
        if len == 0 {
            return Self::empty();
        }
        let low_bits = low_bits_for(len, u64::from(max) + 1);
        let high_len = len + (u64::from(max) >> low_bits) + 1;
        let mut high = vec![0u64; high_len.div_ceil(64) as usize];
        let mut low = vec![0u64; (len * u64::from(low_bits)).div_ceil(64) as usize];
        let mask = (1u64 << low_bits) - 1;
        for (i, value) in (0..len).zip(serials) {
            let value = u64::from(value);
            let pos = (value >> low_bits) + i;
            if let Some(word) = high.get_mut((pos / 64) as usize) {
                *word |= 1 << (pos % 64);
            }
            if low_bits > 0 {
                let bit = i * u64::from(low_bits);
                let (w, off) = ((bit / 64) as usize, bit % 64);
                let part = value & mask;
                if let Some(word) = low.get_mut(w) {
                    *word |= part << off;
                }
                if off + u64::from(low_bits) > 64 {
                    if let Some(word) = low.get_mut(w + 1) {
                        *word |= part >> (64 - off);
                    }
                }
            }
        }
        let (block_zeros, zero_samples) = directory(&high, (u64::from(max) >> low_bits) + 1);
        Self { len, max, low_bits, low, high, block_zeros, zero_samples }
    }

    fn low_mask(&self) -> u64 {
        (1u64 << self.low_bits) - 1
    }

    /// The low bits of serial number `i`.
    fn low_at(&self, i: u64) -> u64 {
        if self.low_bits == 0 {
            return 0;
        }
        let bit = i * u64::from(self.low_bits);
        let (w, off) = ((bit / 64) as usize, bit % 64);
        let mut value = self.low.get(w).copied().unwrap_or(0) >> off;
        if off + u64::from(self.low_bits) > 64 {
            value |= self.low.get(w + 1).copied().unwrap_or(0) << (64 - off);
        }
        value & self.low_mask()
    }

    /// The position in `high` of zero number `k` (counting from 0). The
    /// caller guarantees that zero exists: `k <= max >> low_bits`.
    fn select_zero(&self, k: u64) -> u64 {
        let j = (k / SAMPLE_ZEROS) as usize;
        // The block holding zero `k` lies between the blocks holding the
        // sampled zeros around it; find it by binary search on the counts.
        let mut lo = self.zero_samples.get(j).map_or(0, |&b| b as usize);
        let mut hi = self.zero_samples.get(j + 1).map_or(self.block_zeros.len(), |&b| b as usize + 1);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.block_zeros.get(mid).map_or(u64::MAX, |&z| u64::from(z)) <= k {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let mut rank = k - self.block_zeros.get(lo).map_or(0, |&z| u64::from(z));
        let first_word = lo * BLOCK_WORDS;
        for (w, &word) in self.high.iter().enumerate().skip(first_word) {
            let zeros = u64::from(word.count_zeros());
            if rank < zeros {
                return w as u64 * 64 + select_in_word(!word, rank as u32);
            }
            rank -= zeros;
        }
        // Unreachable while the invariants hold; the end of the bitvector
        // makes the caller find an empty bucket.
        self.high.len() as u64 * 64
    }

    /// The position of the first zero at or after `start`, which is zero
    /// number `k`.
    fn next_zero(&self, start: u64, k: u64) -> u64 {
        let w = (start / 64) as usize;
        // Treat the bits before `start` as ones so that they are skipped.
        let below = (1u64 << (start % 64)) - 1;
        let zeros = !(self.high.get(w).copied().unwrap_or(0) | below);
        if zeros != 0 {
            w as u64 * 64 + u64::from(zeros.trailing_zeros())
        } else {
            // A long bucket: more than one word of ones.
            self.select_zero(k)
        }
    }
}

impl Default for RevocationSet {
    fn default() -> Self {
        Self::empty()
    }
}

impl fmt::Debug for RevocationSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationSet").field("len", &self.len).field("heap_bytes", &self.heap_bytes()).finish()
    }
}

/// Why bytes are not a revocation set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationDecodeError {
    /// A format version this software does not read.
    #[error("the revocation set is format version {0}, which this software cannot read: update the app")]
    UnsupportedVersion(u8),
    /// The bytes end before the count, the parameter or the last serial.
    #[error("the revocation set is truncated: it ends before its last serial, sync again")]
    Truncated,
    /// Bytes after the last serial's padding.
    #[error("the revocation set has extra bytes after its last serial")]
    TrailingBytes,
    /// A count larger than any set of 32-bit serials (2^32), or than this
    /// device can address.
    #[error("the revocation set claims {0} serials, more than there are 32-bit serials")]
    CountTooLarge(u64),
    /// The count is written with more bytes than it needs.
    #[error("the revocation set's count is not minimally encoded")]
    NonMinimalCount,
    /// A Rice parameter above 31.
    #[error("the revocation set's Rice parameter {0} is above the maximum of 31")]
    InvalidParameter(u8),
    /// A Rice parameter other than the one the rule fixes for this count and
    /// largest serial.
    #[error("the revocation set's Rice parameter is {found}, but its count and largest serial fix it at {expected}")]
    NonCanonicalParameter {
        /// The parameter in the bytes.
        found: u8,
        /// The parameter the rule gives.
        expected: u8,
    },
    /// A gap that takes a serial past 4294967295.
    #[error("the revocation set names a serial above 4294967295")]
    SerialOutOfRange,
    /// A one bit in the padding after the last serial.
    #[error("the revocation set's padding after the last serial is not zero")]
    NonZeroPadding,
}

impl RevocationDecodeError {
    /// A stable machine code, e.g. `truncated`.
    pub fn code(&self) -> &'static str {
        match self {
            RevocationDecodeError::UnsupportedVersion(_) => "unsupported_version",
            RevocationDecodeError::Truncated => "truncated",
            RevocationDecodeError::TrailingBytes => "trailing_bytes",
            RevocationDecodeError::CountTooLarge(_) => "count_too_large",
            RevocationDecodeError::NonMinimalCount => "non_minimal_count",
            RevocationDecodeError::InvalidParameter(_) => "invalid_parameter",
            RevocationDecodeError::NonCanonicalParameter { .. } => "non_canonical_parameter",
            RevocationDecodeError::SerialOutOfRange => "serial_out_of_range",
            RevocationDecodeError::NonZeroPadding => "non_zero_padding",
        }
    }
}

/// The Elias-Fano split for `len` serials below `universe`: the number of
/// low bits, `floor(log2(universe / len))` (0 when the set is dense). This
/// keeps the high bitvector under `3 * len` bits.
fn low_bits_for(len: u64, universe: u64) -> u32 {
    let ratio = universe / len.max(1);
    if ratio <= 1 {
        0
    } else {
        63 - ratio.leading_zeros()
    }
}

/// The Rice parameter for `len` serials whose largest is `universe - 1`.
///
/// Gaps of serials drawn at random are nearly geometric with mean
/// `μ = universe / len`; the best Rice parameter for a geometric source is
/// `1 + floor(log2(ln(φ) · μ))` when `ln(φ) · μ >= 1`, else 0 (Kiely, "Selecting
/// the Golomb parameter in Rice coding", 2004; φ is the golden ratio,
/// ln φ ≈ 0.4812). It is computed in integers so that every implementation
/// agrees: `t = floor(universe · 4812 / (len · 10000))`.
fn rice_parameter(len: u64, universe: u64) -> u8 {
    let t = u128::from(universe) * 4812 / (u128::from(len.max(1)) * 10_000);
    if t == 0 {
        0
    } else {
        // `universe <= 2^32` makes `t < 2^31`, so this is at most 31.
        (1 + (127 - t.leading_zeros())) as u8
    }
}

/// The rank and select directory of a high bitvector with `zeros` real zeros.
fn directory(high: &[u64], zeros: u64) -> (Vec<u32>, Vec<u32>) {
    let blocks = high.len().div_ceil(BLOCK_WORDS);
    let mut block_zeros = Vec::with_capacity(blocks);
    let mut zero_samples = Vec::with_capacity(zeros.div_ceil(SAMPLE_ZEROS) as usize);
    let mut before = 0u64;
    let mut next_sample = 0u64;
    for (b, block) in high.chunks(BLOCK_WORDS).enumerate() {
        // Invariant: `before` counts real zeros only (the padding is in the
        // last word, after them) and is less than `zeros <= 2^32`.
        block_zeros.push(u32::try_from(before).unwrap_or(u32::MAX));
        // This counts the padding of the last word too; the bound on
        // `next_sample` keeps it from creating a sample.
        before += block.iter().map(|w| u64::from(w.count_zeros())).sum::<u64>();
        while next_sample < before && next_sample < zeros {
            zero_samples.push(b as u32);
            next_sample += SAMPLE_ZEROS;
        }
    }
    (block_zeros, zero_samples)
}

/// The position of set bit number `rank` (from 0) in `word`, which has more
/// than `rank` set bits.
fn select_in_word(word: u64, mut rank: u32) -> u64 {
    let mut shift = 0;
    // Skip whole bytes first, then clear the remaining lower set bits.
    while shift < 56 {
        let ones = ((word >> shift) & 0xff).count_ones();
        if rank < ones {
            break;
        }
        rank -= ones;
        shift += 8;
    }
    let mut rest = word >> shift;
    for _ in 0..rank {
        rest &= rest.wrapping_sub(1);
    }
    u64::from(shift + rest.trailing_zeros())
}

/// The ascending union of two ascending, distinct streams.
fn merge(a: impl Iterator<Item = u32>, b: impl Iterator<Item = u32>) -> impl Iterator<Item = u32> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(&x), Some(&y)) if x < y => a.next(),
        (Some(&x), Some(&y)) if y < x => b.next(),
        (Some(_), Some(_)) => {
            b.next();
            a.next()
        }
        (Some(_), None) => a.next(),
        (None, _) => b.next(),
    })
}

struct Iter<'a> {
    set: &'a RevocationSet,
    // Invariant: `word` is `set.high[word_index]` with the ones already
    // yielded cleared.
    word_index: usize,
    word: u64,
    // Invariant: the number of serials yielded.
    index: u64,
}

impl Iterator for Iter<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.index >= self.set.len {
            return None;
        }
        while self.word == 0 {
            self.word_index += 1;
            self.word = *self.set.high.get(self.word_index)?;
        }
        let pos = self.word_index as u64 * 64 + u64::from(self.word.trailing_zeros());
        self.word &= self.word - 1;
        let high = pos - self.index;
        let value = (high << self.set.low_bits) | self.set.low_at(self.index);
        self.index += 1;
        // Invariant: every serial stored was a u32.
        Some(value as u32)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.set.len - self.index).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

/// Appends `value` as a minimal LEB128 varint.
fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads a minimal LEB128 varint of at most 5 bytes (35 bits, enough for 2^32).
fn get_varint(bytes: &[u8]) -> Result<(u64, &[u8]), RevocationDecodeError> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate() {
        if i == 5 {
            // Six or more bytes: at least 2^35 if minimal, refused either way.
            return Err(RevocationDecodeError::CountTooLarge(value));
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            if byte == 0 && i > 0 {
                return Err(RevocationDecodeError::NonMinimalCount);
            }
            return Ok((value, bytes.get(i + 1..).unwrap_or_default()));
        }
    }
    Err(RevocationDecodeError::Truncated)
}

/// Writes bits most significant first.
struct BitWriter {
    bytes: Vec<u8>,
    // Invariant: the low `pending` bits of `acc` (fewer than 8) are not yet
    // written; the bits above them are zero.
    acc: u64,
    pending: u32,
}

impl BitWriter {
    /// Appends the low `width` bits of `value`; `width <= 32`.
    fn put(&mut self, value: u64, width: u32) {
        self.acc = (self.acc << width) | value;
        self.pending += width;
        while self.pending >= 8 {
            self.pending -= 8;
            self.bytes.push((self.acc >> self.pending) as u8);
        }
        self.acc &= (1u64 << self.pending) - 1;
    }

    /// Appends `q` one bits and a zero bit.
    fn put_unary(&mut self, mut q: u64) {
        while q >= 32 {
            self.put(0xffff_ffff, 32);
            q -= 32;
        }
        self.put(((1u64 << q) - 1) << 1, q as u32 + 1);
    }

    /// Pads with zero bits to the byte boundary.
    fn finish(mut self) -> Vec<u8> {
        if self.pending > 0 {
            self.bytes.push((self.acc << (8 - self.pending)) as u8);
        }
        self.bytes
    }
}

/// Reads the Rice-coded gaps, checking every bit against the end.
struct RiceDecoder<'a> {
    bytes: &'a [u8],
    // Invariant: the bytes before `next_byte` have been loaded into `buf`.
    next_byte: usize,
    // Invariant: the top `avail` bits of `buf` are the next bits of the
    // stream, most significant first; the bits below them are zero.
    buf: u64,
    avail: u32,
    k: u32,
    // The smallest value the next serial may take.
    next: u64,
}

impl<'a> RiceDecoder<'a> {
    fn new(bytes: &'a [u8], k: u32) -> Self {
        Self { bytes, next_byte: 0, buf: 0, avail: 0, k, next: 0 }
    }

    /// The number of bits read so far.
    fn position(&self) -> u64 {
        self.next_byte as u64 * 8 - u64::from(self.avail)
    }

    /// Loads whole bytes while they fit in `buf`.
    fn refill(&mut self) {
        while self.avail <= 56 {
            let Some(&byte) = self.bytes.get(self.next_byte) else { break };
            self.buf |= u64::from(byte) << (56 - self.avail);
            self.avail += 8;
            self.next_byte += 1;
        }
    }

    /// Drops `width` bits (at most `avail`) from the front of `buf`.
    fn consume(&mut self, width: u32) {
        self.buf = self.buf.checked_shl(width).unwrap_or(0);
        self.avail -= width;
    }

    /// Reads `width` bits, `1..=32`.
    fn get_bits(&mut self, width: u32) -> Result<u64, RevocationDecodeError> {
        if self.avail < width {
            self.refill();
            if self.avail < width {
                return Err(RevocationDecodeError::Truncated);
            }
        }
        let value = self.buf >> (64 - width);
        self.consume(width);
        Ok(value)
    }

    /// Reads one Rice code and returns the serial it ends at.
    fn next_serial(&mut self) -> Result<u32, RevocationDecodeError> {
        // No quotient above this can give a u32 serial; stop reading a run
        // of ones as soon as it is exceeded.
        let limit = u64::from(u32::MAX) >> self.k;
        let mut quotient = 0u64;
        loop {
            self.refill();
            // The bits below `avail` are zero, so this is at most `avail`.
            let ones = self.buf.leading_ones();
            if ones < self.avail {
                quotient += u64::from(ones);
                self.consume(ones + 1);
                break;
            }
            if self.avail == 0 {
                return Err(RevocationDecodeError::Truncated);
            }
            quotient += u64::from(self.avail);
            self.consume(self.avail);
            if quotient > limit {
                return Err(RevocationDecodeError::SerialOutOfRange);
            }
        }
        if quotient > limit {
            return Err(RevocationDecodeError::SerialOutOfRange);
        }
        let remainder = if self.k == 0 { 0 } else { self.get_bits(self.k)? };
        let value = self.next + ((quotient << self.k) | remainder);
        let serial = u32::try_from(value).map_err(|_| RevocationDecodeError::SerialOutOfRange)?;
        self.next = value + 1;
        Ok(serial)
    }
}

#[cfg(test)]
mod tests;
