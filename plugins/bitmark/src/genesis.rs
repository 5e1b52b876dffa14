//! The genesis blocks (`genesis/genesis.go`), protocol §5.4: block 1 of every chain, compiled
//! in, never stored. `bitmark` uses the live genesis, `testing` and `local` the test genesis.
//!
//! peerd's `dev` chain has its own genesis: the test genesis with its timestamp set to
//! 2025-01-01T00:00:00Z (1735689600) and its nonce to 0, so the header (and therefore the
//! digest, SHA3-256 on `dev`) differs while the base record is the test network's
//! (`BaseData` "Bitmark Testing Genesis Block"; its merkle root is unchanged). It needs no
//! proof of work: the `dev` chain does not check it.

use peerd_api::Digest;

use crate::header::{Header, HEADER_LEN};

/// Decodes lowercase/uppercase hex at compile time.
const fn hex_bytes<const N: usize>(text: &str) -> [u8; N] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("not hex"),
        }
    }
    let bytes = text.as_bytes();
    assert!(bytes.len() == 2 * N, "hex length");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = (nibble(bytes[2 * i]) << 4) | nibble(bytes[2 * i + 1]);
        i += 1;
    }
    out
}

/// Live genesis block: header ‖ base record.
const LIVE_BLOCK: [u8; 231] = hex_bytes(concat!(
    "01000100010000000000000000000000000000000000000000000000000000000000000000000000",
    "00000000638c159c1f113f70a9866d9a9e52e9efe9b9920848ad1df34851be8a562a998db79a8056",
    "00000000ffffffffffffff00115a38bf3a909fe1010014444f574e20746865205241424249542068",
    "6f6c6521114a65f1d20650081276f01df43e70554e95498f3778e56daa2c498203ae9c70e6f4cab9",
    "d2d2ccddb44c40c2a384ebc901a18a13a270aa9f5e080677d7ab2fd888a5f657d2c6d4692e6fcde7",
    "1c04b91be1400e7c1e8d5e2b3483c477fea17bc1dee005cc8d4df862770d0c",
));

/// Test genesis block: header ‖ base record.
const TEST_BLOCK: [u8; 240] = hex_bytes(concat!(
    "01000100010000000000000000000000000000000000000000000000000000000000000000000000",
    "00000000ee07bbc3d749e07d24b90cd1ec3514702e878522daf716c17324d666697b8a634b427854",
    "00000000ffffffffffffff00d44c2bcaee40364701001d4269746d61726b2054657374696e672047",
    "656e6573697320426c6f636b2113b2b504827f30a8dc1b7595ebb988dcf87cadac9e3a38f6be818c",
    "72be0335fa74f4cab9d2c2eedcb2544002a8bf5c21730324044079a5780a9cd22fc222b44c912917",
    "cea5b9d3770c138e8d3eae98b76c2e93a97e41c41bae36c8413708a994fec2f9ebc0f802983df601",
));

/// Dev genesis block: the test genesis with another timestamp and nonce 0.
const DEV_BLOCK: [u8; 240] = hex_bytes(concat!(
    "01000100010000000000000000000000000000000000000000000000000000000000000000000000",
    "00000000ee07bbc3d749e07d24b90cd1ec3514702e878522daf716c17324d666697b8a6380857467",
    "00000000ffffffffffffff00000000000000000001001d4269746d61726b2054657374696e672047",
    "656e6573697320426c6f636b2113b2b504827f30a8dc1b7595ebb988dcf87cadac9e3a38f6be818c",
    "72be0335fa74f4cab9d2c2eedcb2544002a8bf5c21730324044079a5780a9cd22fc222b44c912917",
    "cea5b9d3770c138e8d3eae98b76c2e93a97e41c41bae36c8413708a994fec2f9ebc0f802983df601",
));

/// A genesis block and its digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Genesis {
    block: &'static [u8],
    digest: Digest,
}

/// Live network genesis (chain `bitmark`); digest displayed
/// `0012af8f437cc0b4358df93f317129747ab3cf3cf0795530decd01eb39f7935c`.
pub const LIVE: Genesis = Genesis {
    block: &LIVE_BLOCK,
    digest: Digest(hex_bytes("5c93f739eb01cdde305579f03ccfb37a742971313ff98d35b4c07c438faf1200")),
};

/// Test network genesis (chains `testing` and `local`); digest displayed
/// `00fe807b8f2c5a5416bc570b289baadebb9596daeec5128f6b924a7cb88be68a`.
pub const TEST: Genesis = Genesis {
    block: &TEST_BLOCK,
    digest: Digest(hex_bytes("8ae68bb87c4a926b8f12c5eeda9695bbdeaa9b280b57bc16545a2c8f7b80fe00")),
};

/// peerd's `dev` chain genesis; its digest is SHA3-256 of the header, displayed
/// `2020dfa29c4c5d45fd97ad0955c99811281b8ddebe774c85768e602b8721d991`.
pub const DEV: Genesis = Genesis {
    block: &DEV_BLOCK,
    digest: Digest(hex_bytes("91d921872b608e76854c77bede8d1b281198c95509ad97fd455d4c9ca2df2020")),
};

impl Genesis {
    /// The whole packed block: header ‖ base record.
    pub fn block(&self) -> &'static [u8] {
        self.block
    }

    /// The 100 header bytes.
    pub fn header_bytes(&self) -> &'static [u8] {
        &self.block[..HEADER_LEN]
    }

    /// The base record (the block's only transaction).
    pub fn base_record(&self) -> &'static [u8] {
        &self.block[HEADER_LEN..]
    }

    /// The unpacked header.
    pub fn header(&self) -> Header {
        let mut bytes = [0u8; HEADER_LEN];
        bytes.copy_from_slice(self.header_bytes());
        Header::unpack_unchecked(&bytes)
    }

    /// The block digest (raw order), as compiled in.
    pub fn digest(&self) -> Digest {
        self.digest
    }
}
