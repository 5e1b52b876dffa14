//! Who is asking: a ZAP handler (ZeroMQ RFC 27) on `inproc://zeromq.zap.01`, served by the
//! socket thread, so that every inbound request carries the CURVE key that sent it.
//!
//! With a handler bound in the context, libzmq asks it about every CURVE handshake on a
//! server socket (our listeners and publishers): `[version "1.0", request id, domain,
//! address, routing id, mechanism, credentials…]`, where the one credential of `CURVE` is
//! the client's 32-byte public key. The reply is `[version, request id, status code, status
//! text, user id, metadata]`; libzmq then stamps every message of that connection with the
//! user id (`zmq_msg_gets("User-Id")`) and its `Peer-Address`. peerd answers `200` with the
//! key in hex as the user id. Like bitmarkd (`CURVE_ALLOW_ANY`), any key is admitted; the
//! handler is the place where per-client refusals go.
//!
//! A request the handler cannot read is answered `400` (libzmq then refuses the handshake).

use bytes::Bytes;
use peerd_api::PeerId;

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

/// The reply to one ZAP request; `None` if it has no request id to answer to.
pub(crate) fn answer(request: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    let [version, id, _domain, address, _routing_id, mechanism, credentials @ ..] = request else {
        let id = request.get(1)?;
        return Some(reply(id, b"400", b"malformed ZAP request", b""));
    };
    if version.as_slice() != VERSION {
        return Some(reply(id, b"400", b"unsupported ZAP version", b""));
    }
    match (mechanism.as_slice(), credentials) {
        (b"CURVE", [key]) if key.len() == 32 => {
            tracing::trace!(address = %String::from_utf8_lossy(address), key = %hex::encode(key), "zmq client admitted");
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
        let reply = answer(&request(b"CURVE", &[&key])).unwrap();
        assert_eq!(reply[1], b"7", "the request id is echoed");
        assert_eq!(reply[2], b"200");
        let user = std::str::from_utf8(&reply[4]).unwrap();
        assert_eq!(client_of(Some(user)), Some(PeerId::new(Bytes::copy_from_slice(&key))));
    }

    #[test]
    fn malformed_requests_are_refused_or_dropped() {
        assert_eq!(answer(&request(b"CURVE", &[b"short"])).unwrap()[2], b"400");
        assert_eq!(answer(&request(b"NULL", &[])).unwrap()[2], b"400");
        let mut old = request(b"CURVE", &[&[1u8; 32]]);
        old[0] = b"0.9".to_vec();
        assert_eq!(answer(&old).unwrap()[2], b"400");
        assert_eq!(answer(&[b"1.0".to_vec(), b"3".to_vec()]).unwrap()[2], b"400");
        assert!(answer(&[b"1.0".to_vec()]).is_none(), "no request id: nothing to answer");
        assert_eq!(client_of(Some("zz")), None);
        assert_eq!(client_of(None), None);
    }
}
