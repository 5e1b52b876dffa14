//! Just enough unsigned 384-bit arithmetic for bitmarkd's difficulty conversions.

/// Little-endian 64-bit limbs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct U384(pub(crate) [u64; 6]);

impl U384 {
    pub(crate) const ZERO: U384 = U384([0; 6]);

    pub(crate) fn from_u64(v: u64) -> Self {
        let mut limbs = [0; 6];
        limbs[0] = v;
        U384(limbs)
    }

    pub(crate) fn bit_len(&self) -> u32 {
        for (i, limb) in self.0.iter().enumerate().rev() {
            if *limb != 0 {
                return 64 * i as u32 + (64 - limb.leading_zeros());
            }
        }
        0
    }

    /// `self << n`, bits shifted past 384 are lost.
    pub(crate) fn shl(&self, n: u32) -> Self {
        let mut out = [0u64; 6];
        let (limbs, bits) = ((n / 64) as usize, n % 64);
        for i in (limbs..6).rev() {
            let src = i - limbs;
            out[i] = self.0[src] << bits;
            if bits > 0 && src > 0 {
                out[i] |= self.0[src - 1] >> (64 - bits);
            }
        }
        U384(out)
    }

    /// `self >> n`.
    pub(crate) fn shr(&self, n: u32) -> Self {
        let mut out = [0u64; 6];
        let (limbs, bits) = ((n / 64) as usize, n % 64);
        for (i, slot) in out.iter_mut().enumerate() {
            let src = i + limbs;
            if src >= 6 {
                break;
            }
            *slot = self.0[src] >> bits;
            if bits > 0 && src + 1 < 6 {
                *slot |= self.0[src + 1] << (64 - bits);
            }
        }
        U384(out)
    }

    /// True if any of the lowest `n` bits is set.
    pub(crate) fn low_bits_nonzero(&self, n: u32) -> bool {
        n > 0 && *self != self.shr(n).shl(n)
    }

    /// `self + 1` (wrapping at 2^384, which the callers never reach).
    pub(crate) fn add_one(&self) -> Self {
        let mut out = self.0;
        for limb in out.iter_mut() {
            let (v, carry) = limb.overflowing_add(1);
            *limb = v;
            if !carry {
                break;
            }
        }
        U384(out)
    }

    /// Quotient and remainder of the division by a non-zero `d`.
    pub(crate) fn div_rem(&self, d: u64) -> (Self, u64) {
        let mut out = [0u64; 6];
        let mut rem: u128 = 0;
        for i in (0..6).rev() {
            let cur = (rem << 64) | u128::from(self.0[i]);
            out[i] = (cur / u128::from(d)) as u64;
            rem = cur % u128::from(d);
        }
        (U384(out), rem as u64)
    }

    /// The low 256 bits as 32 big-endian bytes.
    pub(crate) fn to_be_256(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, limb) in self.0[..4].iter().enumerate() {
            out[32 - 8 * (i + 1)..32 - 8 * i].copy_from_slice(&limb.to_be_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_and_division() {
        let one = U384::from_u64(1);
        assert_eq!(one.shl(300).bit_len(), 301);
        assert_eq!(one.shl(300).shr(299), U384::from_u64(2));
        assert_eq!(U384::from_u64(1000).shl(128).div_rem(8), (U384::from_u64(125).shl(128), 0));
        assert_eq!(U384::from_u64(1000).div_rem(7), (U384::from_u64(142), 6));
        let (q, r) = U384::from_u64(1000).shl(128).div_rem(7);
        assert_eq!((q.bit_len(), r), (136, 3)); // checked with Python big integers
        assert!(U384::from_u64(5).low_bits_nonzero(1));
        assert!(!U384::from_u64(4).low_bits_nonzero(2));
        assert_eq!(U384([u64::MAX, 0, 0, 0, 0, 0]).add_one(), U384([0, 1, 0, 0, 0, 0]));
    }
}
