use super::*;
use crate::account::PrivateKey;
use crate::transaction::{AssetId, BitmarkIssue, BitmarkShare};

fn issue_record() -> (Vec<u8>, Transaction) {
    let key = PrivateKey::from_ed25519_seed(&[3; 32], true);
    let owner = key.account().unwrap();
    let mut tx = Transaction::from(BitmarkIssue {
        asset_id: AssetId::of_fingerprint(b"fp"),
        owner,
        nonce: 77,
        signature: Default::default(),
    });
    tx.sign(&key).unwrap();
    (tx.pack(&owner).unwrap(), tx)
}

#[test]
fn genesis_blocks_decode_with_their_digest() {
    let params = ChainParams::DEV;
    let genesis = params.genesis().block();
    let json = block(genesis, &params).unwrap();
    assert_eq!(json["digest"], params.genesis_digest().to_string());
    assert_eq!(json["chain"], "dev");
    assert_eq!(json["header"]["number"], 1);
    assert_eq!(json["header"]["transaction_count"], 1);
    assert_eq!(json["header"]["version"], 1);
    assert_eq!(json["header"]["previous_block"], "0".repeat(64));
    let tx = &json["transactions"][0];
    assert_eq!(tx["record"], "BaseData");
    assert_eq!(tx["tx_id"], json["header"]["merkle_root"], "one transaction: root = its id");
    assert_eq!(header(genesis).unwrap(), json["header"]);
}

#[test]
fn transactions_show_bitmarkd_names_and_display_ids() {
    let (packed, tx) = issue_record();
    let json = transaction(&packed, true).unwrap();
    assert_eq!(json["record"], "BitmarkIssue");
    assert_eq!(json["tag"], 3);
    assert_eq!(json["nonce"], 77);
    assert_eq!(json["size"], packed.len());
    assert_eq!(json["asset_id"], hex::encode(AssetId::of_fingerprint(b"fp").0));
    assert_eq!(json["tx_id"], Link::of(&packed).to_display_hex());
    let Transaction::BitmarkIssue(issue) = tx else { unreachable!() };
    assert_eq!(json["owner"], issue.owner.to_base58());
    // A share is called ShareBalance by bitmarkd.
    let key = PrivateKey::from_ed25519_seed(&[3; 32], true);
    let mut share = Transaction::from(BitmarkShare {
        link: Link([1; 32]),
        quantity: 5,
        signature: Default::default(),
    });
    share.sign(&key).unwrap();
    let packed = share.pack(&key.account().unwrap()).unwrap();
    assert_eq!(transaction(&packed, true).unwrap()["record"], "ShareBalance");
}

#[test]
fn invalid_input_gives_bitmarkd_faults() {
    let (packed, _) = issue_record();
    let text = |r: Result<Value, InspectError>| r.unwrap_err().to_string();
    assert_eq!(text(transaction(&[0xff], true)), "not transaction pack");
    assert_eq!(
        text(transaction(&[packed.as_slice(), &[0]].concat(), true)),
        "not transaction pack"
    );
    assert_eq!(text(transaction(&packed, false)), "wrong network for public key");
    let genesis = ChainParams::DEV.genesis().block();
    assert_eq!(text(header(&genesis[..99])), "invalid block header size");
    assert_eq!(
        text(block(&[genesis, &[0]].concat(), &ChainParams::DEV)),
        "transaction count out of range"
    );
    let mut bad_root = genesis.to_vec();
    bad_root[44] ^= 1;
    assert_eq!(text(block(&bad_root, &ChainParams::DEV)), "merkle root does not match");
    let mut bad_version = genesis.to_vec();
    bad_version[0] = 0;
    assert_eq!(text(header(&bad_version)), "invalid block header version");
    assert_eq!(text(address(&[5, 1, 2])), "invalid ip address");
    assert!(parse_hex("zz").is_err());
    assert_eq!(parse_hex(" 0x0a0b\n").unwrap(), vec![10, 11]);
}

#[test]
fn addresses_list_records_until_the_first_bad_one() {
    let mut packed = vec![7, 0x08, 0x48, 127, 0, 0, 1];
    packed.extend_from_slice(&[19, 0x08, 0x49, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    packed.extend_from_slice(&[9, 9, 9]);
    let json = address(&packed).unwrap();
    assert_eq!(json["listeners"][0]["address"], "127.0.0.1:2120");
    assert_eq!(json["listeners"][0]["ipv6"], false);
    assert_eq!(json["listeners"][1]["address"], "[::1]:2121");
    assert_eq!(json["listeners"][1]["port"], 2121);
    assert_eq!(json["ignored_bytes"], 3);
}
