//! Who is asking: a ZAP handler (ZeroMQ RFC 27) on `inproc://zeromq.zap.01`, served by the
//! socket thread, so that every inbound request carries the CURVE key that sent it.
//!
//! With a handler bound in the context, libzmq asks it about every CURVE handshake on a
//! server socket (our listeners and publishers): `[version "1.0", request id, domain,
//! address, routing id, mechanism, credentials…]`, where the one credential of `CURVE` is
//! the client's 32-byte public key. The reply is `[version, request id, status code, status
//! text, user id, metadata]`; libzmq then stamps every message of that connection with the
//! user id (`zmq_msg_gets("User-Id")`) and its `Peer-Address`. peerd answers `200` with the
//! key in hex as the user id. Like bitmarkd (`CURVE_ALLOW_ANY`), any key is admitted, except
//! keys the kernel has banned ([`Bans`], from `TransportCommand::Ban`): those get `400
//! banned`, and requests on connections they opened before the ban are dropped unanswered;
//! and, once the kernel has handed over its client pool, keys the pool refuses (`400 pool
//! full`, see `admit.rs`).
//!
//! A request the handler cannot read is answered `400` (libzmq then refuses the handshake).

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use peerd_api::PeerId;

use crate::admit::Admitted;

/// Most bans held; past it the one that ends first is forgotten (the kernel holds them all
/// and bans again whoever comes back misbehaving).
pub(crate) const MAX_BANS: usize = 65_536;

/// CURVE keys refused until a moment, expired lazily.
#[derive(Debug, Default)]
pub(crate) struct Bans {
    until: HashMap<Vec<u8>, Instant>,
}

impl Bans {
    /// Refuses `key` until `until` (the later of two bans wins).
    pub(crate) fn ban(&mut self, key: &[u8], until: Instant) {
        if self.until.len() >= MAX_BANS && !self.until.contains_key(key) {
            let first = self.until.iter().min_by_key(|(_, t)| **t).map(|(k, _)| k.clone());
            if let Some(first) = first {
                self.until.remove(&first);
            }
        }
        let entry = self.until.entry(key.to_vec()).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// True if `key` is banned at `now`; an ended ban is forgotten.
    pub(crate) fn is_banned(&mut self, key: &[u8], now: Instant) -> bool {
        match self.until.get(key) {
            Some(until) if *until > now => true,
            Some(_) => {
                self.until.remove(key);
                false
            }
            None => false,
        }
    }
}

/// The endpoint libzmq sends ZAP requests to.
pub(crate) const ENDPOINT: &str = "inproc://zeromq.zap.01";

/// The ZAP version this handler speaks.
const VERSION: &[u8] = b"1.0";

/// Binds the handler's REP socket. Call it before any server socket accepts a connection.
pub(crate) fn bind(ctx: &zmq::Context) -> zmq::Result<zmq::Socket> {
    let socket = ctx.socket(zmq::REP)?;
    socket.set_linger(0)?;
    socket.bind(ENDPOINT)?;
    Ok(socket)
}

/// A refusal without a request id, for a request [`answer`] cannot answer (a REP socket
/// must still reply before it reads the next one).
pub(crate) fn refusal() -> Vec<Vec<u8>> {
    reply(b"", b"400", b"malformed ZAP request", b"")
}

/// The reply to one ZAP request; `None` if it has no request id to answer to. A key that is
/// not banned is then put to the client pool (`admit.rs`), which may refuse it.
pub(crate) fn answer(
    request: &[Vec<u8>],
    bans: &mut Bans,
    admitted: &mut Admitted,
    now: Instant,
) -> Option<Vec<Vec<u8>>> {
    let [version, id, _domain, address, _routing_id, mechanism, credentials @ ..] = request else {
        let id = request.get(1)?;
        return Some(reply(id, b"400", b"malformed ZAP request", b""));
    };
    if version.as_slice() != VERSION {
        return Some(reply(id, b"400", b"unsupported ZAP version", b""));
    }
    match (mechanism.as_slice(), credentials) {
        (b"CURVE", [key]) if key.len() == 32 && bans.is_banned(key, now) => {
            tracing::debug!(address = %String::from_utf8_lossy(address), key = %hex::encode(key), "banned zmq client refused");
            Some(reply(id, b"400", b"banned", b""))
        }
        (b"CURVE", [key]) if key.len() == 32 => {
            let client = PeerId::new(Bytes::copy_from_slice(key));
            let address = String::from_utf8_lossy(address);
            if let Err(refused) = admitted.handshake(&client, &address, now) {
                tracing::debug!(%address, %client, %refused, "zmq client refused by the pool");
                return Some(reply(id, b"400", refused.to_string().as_bytes(), b""));
            }
            tracing::trace!(%address, %client, "zmq client admitted");
            Some(reply(id, b"200", b"OK", hex::encode(key).as_bytes()))
        }
        (b"CURVE", _) => Some(reply(id, b"400", b"CURVE credential is not a 32-byte key", b"")),
        // Only CURVE sockets exist here; anything else is not ours to admit.
        _ => Some(reply(id, b"400", b"only CURVE is accepted", b"")),
    }
}

fn reply(id: &[u8], code: &[u8], text: &[u8], user: &[u8]) -> Vec<Vec<u8>> {
    vec![VERSION.to_vec(), id.to_vec(), code.to_vec(), text.to_vec(), user.to_vec(), Vec::new()]
}

/// The client's identity from a message's `User-Id` property (set by [`answer`]).
pub(crate) fn client_of(user_id: Option<&str>) -> Option<PeerId> {
    let key = hex::decode(user_id?).ok()?;
    (key.len() == 32).then(|| PeerId::new(Bytes::from(key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(mechanism: &[u8], credentials: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut frames: Vec<Vec<u8>> = [VERSION, b"7", b"listen", b"127.0.0.1", b"", mechanism]
            .iter()
            .map(|f| f.to_vec())
            .collect();
        frames.extend(credentials.iter().map(|c| c.to_vec()));
        frames
    }

    #[test]
    fn a_curve_client_is_admitted_under_its_key() {
        let key = [9u8; 32];
        let reply = ask(&request(b"CURVE", &[&key])).unwrap();
        assert_eq!(reply[1], b"7", "the request id is echoed");
        assert_eq!(reply[2], b"200");
        let user = std::str::from_utf8(&reply[4]).unwrap();
        assert_eq!(client_of(Some(user)), Some(PeerId::new(Bytes::copy_from_slice(&key))));
    }

    fn ask(request: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
        answer(request, &mut Bans::default(), &mut Admitted::default(), Instant::now())
    }

    #[test]
    fn a_banned_key_is_refused_until_its_ban_ends() {
        let (key, other) = ([5u8; 32], [6u8; 32]);
        let now = Instant::now();
        let mut bans = Bans::default();
        bans.ban(&key, now + std::time::Duration::from_secs(60));
        let mut pool = Admitted::default();
        let refused = answer(&request(b"CURVE", &[&key]), &mut bans, &mut pool, now).unwrap();
        assert_eq!((refused[2].as_slice(), refused[3].as_slice()), (&b"400"[..], &b"banned"[..]));
        let admitted = answer(&request(b"CURVE", &[&other]), &mut bans, &mut pool, now).unwrap();
        assert_eq!(admitted[2], b"200");
        let later = now + std::time::Duration::from_secs(61);
        let after = answer(&request(b"CURVE", &[&key]), &mut bans, &mut pool, later).unwrap();
        assert_eq!(after[2], b"200");
        assert!(bans.until.is_empty(), "an ended ban is forgotten");
    }

    #[test]
    fn the_ban_list_is_bounded() {
        let now = Instant::now();
        let mut bans = Bans::default();
        for i in 0..=MAX_BANS {
            let until = now + std::time::Duration::from_secs(i as u64 + 1);
            bans.ban(&(i as u64).to_be_bytes(), until);
        }
        assert_eq!(bans.until.len(), MAX_BANS);
        assert!(!bans.is_banned(&0u64.to_be_bytes(), now), "the first to end went first");
    }

    #[test]
    fn malformed_requests_are_refused_or_dropped() {
        assert_eq!(ask(&request(b"CURVE", &[b"short"])).unwrap()[2], b"400");
        assert_eq!(ask(&request(b"NULL", &[])).unwrap()[2], b"400");
        let mut old = request(b"CURVE", &[&[1u8; 32]]);
        old[0] = b"0.9".to_vec();
        assert_eq!(ask(&old).unwrap()[2], b"400");
        assert_eq!(ask(&[b"1.0".to_vec(), b"3".to_vec()]).unwrap()[2], b"400");
        assert!(ask(&[b"1.0".to_vec()]).is_none(), "no request id: nothing to answer");
        assert_eq!(client_of(Some("zz")), None);
        assert_eq!(client_of(None), None);
    }
}
