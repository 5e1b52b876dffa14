//! Chain parameters: `bitmark`, `testing`, `local` (bitmarkd's) and peerd's `dev`.
//!
//! | chain | genesis | digest | testnet | port base | proof of work | re-target checked |
//! |---|---|---|---|---|---|---|
//! | `bitmark` | live | Argon2d | no | +0 | checked | yes |
//! | `testing` | test | Argon2d | yes | +10000 | checked | yes |
//! | `local` | test | Argon2d | yes | +20000 | skipped | no |
//! | `dev` | dev | SHA3-256 | yes | +30000 | skipped | no |
//!
//! The `dev` port base (+30000) is peerd's choice; the others are bitmarkd's (protocol §1.2).

use peerd_api::Digest;

use crate::difficulty::Difficulty;
use crate::digest::{self, DigestAlgorithm, DigestError};
use crate::genesis::{self, Genesis};

/// bitmarkd's default ports of a chain (protocol §1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ports {
    /// Client JSON-RPC over TLS (2130 on `bitmark`).
    pub rpc: u16,
    /// HTTPS RPC (2131).
    pub https: u16,
    /// Local PUB broadcaster, `publishing.broadcast` (2135).
    pub publish: u16,
    /// The p2p REP listener, `peering.listen` (2136).
    pub peer: u16,
    /// recorderd proof publish (2138).
    pub proof_publish: u16,
    /// recorderd proof submit (2139).
    pub proof_submit: u16,
}

impl Ports {
    const fn with_base(base: u16) -> Self {
        Ports {
            rpc: base + 2130,
            https: base + 2131,
            publish: base + 2135,
            peer: base + 2136,
            proof_publish: base + 2138,
            proof_submit: base + 2139,
        }
    }
}

/// Everything that differs between chains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainParams {
    name: &'static str,
    algorithm: DigestAlgorithm,
    genesis: Genesis,
    testnet: bool,
    ports: Ports,
    pow_checked: bool,
    retarget_checked: bool,
}

impl ChainParams {
    /// bitmarkd's live network.
    pub const BITMARK: ChainParams = ChainParams {
        name: "bitmark",
        algorithm: DigestAlgorithm::Argon2d,
        genesis: genesis::LIVE,
        testnet: false,
        ports: Ports::with_base(0),
        pow_checked: true,
        retarget_checked: true,
    };
    /// bitmarkd's public test network.
    pub const TESTING: ChainParams = ChainParams {
        name: "testing",
        algorithm: DigestAlgorithm::Argon2d,
        genesis: genesis::TEST,
        testnet: true,
        ports: Ports::with_base(10000),
        pow_checked: true,
        retarget_checked: true,
    };
    /// bitmarkd's local test network: test genesis, no proof-of-work or difficulty checks.
    pub const LOCAL: ChainParams = ChainParams {
        name: "local",
        algorithm: DigestAlgorithm::Argon2d,
        genesis: genesis::TEST,
        testnet: true,
        ports: Ports::with_base(20000),
        pow_checked: false,
        retarget_checked: false,
    };
    /// peerd's development chain: bitmarkd's formats, SHA3-256 digests, trivial difficulty.
    pub const DEV: ChainParams = ChainParams {
        name: "dev",
        algorithm: DigestAlgorithm::Sha3,
        genesis: genesis::DEV,
        testnet: true,
        ports: Ports::with_base(30000),
        pow_checked: false,
        retarget_checked: false,
    };

    /// All chains peerd knows.
    pub const ALL: [ChainParams; 4] = [Self::BITMARK, Self::TESTING, Self::LOCAL, Self::DEV];

    /// The chain called `name` (`bitmark`, `testing`, `local`, `dev`).
    pub fn by_name(name: &str) -> Option<ChainParams> {
        Self::ALL.into_iter().find(|c| c.name == name)
    }

    /// The chain's name, as sent in the first frame of every request.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How block digests are computed.
    pub fn digest_algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// The genesis block.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// Digest of the genesis block (raw order).
    pub fn genesis_digest(&self) -> Digest {
        self.genesis.digest()
    }

    /// True unless the chain is `bitmark` (accounts and records use the test network flag).
    pub fn is_testnet(&self) -> bool {
        self.testnet
    }

    /// Default ports.
    pub fn ports(&self) -> Ports {
        self.ports
    }

    /// Whether block digests must meet the header's difficulty.
    pub fn proof_of_work_checked(&self) -> bool {
        self.pow_checked
    }

    /// Whether a version ≥ 5 header's difficulty must equal the re-targeted one.
    pub fn retarget_checked(&self) -> bool {
        self.retarget_checked
    }

    /// Digest of a 100-byte header with this chain's algorithm (Argon2d allocates 128 MiB
    /// per call; use [`crate::batch_digests`] or [`digest::Argon2dHasher`] for many).
    pub fn block_digest(&self, header: &[u8]) -> Result<Digest, DigestError> {
        self.algorithm.digest(header)
    }

    /// bitmarkd's `IsValidByDifficulty` for this chain: always true where proof of work is
    /// not checked (`local`, `dev`).
    pub fn proof_of_work_ok(&self, digest: &Digest, difficulty: &Difficulty) -> bool {
        !self.pow_checked || digest::meets_difficulty(digest, difficulty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::sha3_256;
    use crate::header::{Header, HEADER_LEN};

    #[test]
    fn names_ports_and_flags() {
        let peer_ports: Vec<(&str, u16, bool)> =
            ChainParams::ALL.iter().map(|c| (c.name(), c.ports().peer, c.is_testnet())).collect();
        assert_eq!(
            peer_ports,
            [
                ("bitmark", 2136, false),
                ("testing", 12136, true),
                ("local", 22136, true),
                ("dev", 32136, true)
            ]
        );
        assert_eq!(ChainParams::TESTING.ports().rpc, 12130);
        assert_eq!(ChainParams::LOCAL.ports().proof_submit, 22139);
        assert_eq!(ChainParams::by_name("testing"), Some(ChainParams::TESTING));
        assert_eq!(ChainParams::by_name("Bitmark"), None);
        assert_eq!(ChainParams::LOCAL.genesis_digest(), ChainParams::TESTING.genesis_digest());
        assert_ne!(ChainParams::DEV.genesis_digest(), ChainParams::TESTING.genesis_digest());
    }

    #[test]
    fn dev_genesis_is_a_valid_genesis_with_a_sha3_digest() {
        let dev = ChainParams::DEV;
        let genesis = dev.genesis();
        // The constant was computed independently; check it against this crate's SHA3.
        assert_eq!(sha3_256(genesis.header_bytes()), genesis.digest());
        assert_eq!(dev.block_digest(genesis.header_bytes()), Ok(genesis.digest()));
        let bytes: [u8; HEADER_LEN] = genesis.header_bytes().try_into().unwrap();
        let header = Header::unpack(&bytes, 1_735_689_600).unwrap();
        assert!(header.is_genesis());
        assert_eq!(header.timestamp, 1_735_689_600);
        assert_eq!(header.merkle_root, sha3_256(genesis.base_record()));
        assert_eq!(genesis.base_record(), crate::genesis::TEST.base_record());
    }

    #[test]
    fn proof_of_work_is_skipped_on_local_and_dev() {
        let worst = Digest([0xff; 32]);
        let one = Difficulty::ONE;
        assert!(!ChainParams::BITMARK.proof_of_work_ok(&worst, &one));
        assert!(!ChainParams::TESTING.proof_of_work_ok(&worst, &one));
        assert!(ChainParams::LOCAL.proof_of_work_ok(&worst, &one));
        assert!(ChainParams::DEV.proof_of_work_ok(&worst, &one));
        assert!(!ChainParams::LOCAL.retarget_checked() && !ChainParams::DEV.retarget_checked());
        assert!(ChainParams::BITMARK.retarget_checked());
    }
}
