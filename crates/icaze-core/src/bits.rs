//! Bit-level writer and length-checked reader for the packed permit payload.
//!
//! Bits are written most significant first. The reader never slices past the
//! end of its input: every read is checked and reports [`Truncated`].

/// The input ended before a field was complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Truncated;

#[derive(Default)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    // Invariant: number of bits already used in the last byte of `bytes`, 0..8;
    // 0 means the next bit starts a new byte.
    used: u8,
}

impl BitWriter {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Appends the low `width` bits of `value`, most significant first.
    pub(crate) fn put(&mut self, value: u64, width: u32) {
        debug_assert!(width <= 64);
        debug_assert!(width == 64 || value >> width == 0, "value {value} wider than {width} bits");
        for i in (0..width).rev() {
            let bit = ((value >> i) & 1) as u8;
            if self.used == 0 {
                self.bytes.push(0);
            }
            if bit == 1 {
                // The push above guarantees a last byte exists whenever `used == 0`,
                // and `used > 0` implies one was pushed earlier.
                if let Some(last) = self.bytes.last_mut() {
                    *last |= 1 << (7 - self.used);
                }
            }
            self.used = (self.used + 1) % 8;
        }
    }

    pub(crate) fn put_bool(&mut self, value: bool) {
        self.put(u64::from(value), 1);
    }

    /// Finishes with zero padding up to the next byte boundary.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

pub(crate) struct BitReader<'a> {
    bytes: &'a [u8],
    // Invariant: `pos <= bytes.len() * 8`.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    pub(crate) fn get(&mut self, width: u32) -> Result<u64, Truncated> {
        debug_assert!(width <= 64);
        let width = width as usize;
        if self.remaining() < width {
            return Err(Truncated);
        }
        let mut value = 0u64;
        for _ in 0..width {
            let byte = self.bytes.get(self.pos / 8).ok_or(Truncated)?;
            let bit = (byte >> (7 - (self.pos % 8))) & 1;
            value = (value << 1) | u64::from(bit);
            self.pos += 1;
        }
        Ok(value)
    }

    pub(crate) fn get_bool(&mut self) -> Result<bool, Truncated> {
        Ok(self.get(1)? == 1)
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() * 8 - self.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_of_odd_widths() {
        let fields = [(1u64, 1u32), (0b1011, 4), (0x3ff_ffff, 26), (0, 3), (12345, 20), (u64::MAX, 64)];
        let mut w = BitWriter::new();
        for (v, n) in fields {
            w.put(v, n);
        }
        let bytes = w.finish();
        assert_eq!(bytes.len(), (118usize).div_ceil(8));
        let mut r = BitReader::new(&bytes);
        for (v, n) in fields {
            assert_eq!(r.get(n), Ok(v));
        }
        assert_eq!(r.remaining(), bytes.len() * 8 - 118);
        assert_eq!(r.get(r.remaining() as u32), Ok(0), "padding is zero");
        assert_eq!(r.get(1), Err(Truncated));
    }

    #[test]
    fn msb_first() {
        let mut w = BitWriter::new();
        w.put(1, 1);
        w.put(0b0000001, 7);
        w.put(0b101, 3);
        assert_eq!(w.finish(), vec![0b1000_0001, 0b1010_0000]);
    }
}
