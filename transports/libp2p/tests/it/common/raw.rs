//! A raw libp2p client that speaks the node's protocols without the transport's checks: it
//! sends arbitrary frames, lies about lengths and floods gossipsub.

use std::io;
use std::time::Duration;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, StreamExt};
use peerd_testkit::transport::within;
use peerd_transport_libp2p::libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity};
use peerd_transport_libp2p::libp2p::identity::Keypair;
use peerd_transport_libp2p::libp2p::request_response::{self, OutboundFailure, ProtocolSupport};
use peerd_transport_libp2p::libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use peerd_transport_libp2p::libp2p::{
    noise, tcp, yamux, Multiaddr, PeerId, StreamProtocol, Swarm, SwarmBuilder,
};

/// What the raw client writes on a stream.
#[derive(Debug, Clone)]
pub enum Out {
    /// A length-prefixed frame with these bytes.
    Frame(Vec<u8>),
    /// A length prefix announcing this many bytes, followed by a few.
    Lie(u32),
}

/// Length-prefixed frames, unchecked.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

impl request_response::Codec for RawCodec {
    type Protocol = StreamProtocol;
    type Request = Out;
    type Response = Vec<u8>;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        _: &mut T,
    ) -> io::Result<Out> {
        Err(io::Error::other("the raw client serves nothing"))
    }

    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Vec<u8>> {
        let mut len = [0u8; 4];
        io.read_exact(&mut len).await?;
        let mut body = vec![0; u32::from_be_bytes(len) as usize];
        io.read_exact(&mut body).await?;
        Ok(body)
    }

    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        out: Out,
    ) -> io::Result<()> {
        match out {
            Out::Frame(body) => {
                io.write_all(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_be_bytes()).await?;
                io.write_all(&body).await?;
            }
            Out::Lie(len) => {
                io.write_all(&len.to_be_bytes()).await?;
                io.write_all(&[0xa0; 64]).await?;
            }
        }
        io.close().await
    }

    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        _: &mut T,
        _: Vec<u8>,
    ) -> io::Result<()> {
        Err(io::Error::other("the raw client serves nothing"))
    }
}

#[derive(NetworkBehaviour)]
#[behaviour(prelude = "peerd_transport_libp2p::libp2p::swarm::derive_prelude")]
pub struct Raw {
    pub sync: request_response::Behaviour<RawCodec>,
    pub gossip: gossipsub::Behaviour,
}

/// A raw client offering `protocols` for requests.
pub fn client(protocols: &[&str]) -> Swarm<Raw> {
    let key = Keypair::generate_ed25519();
    let protocols: Vec<(StreamProtocol, ProtocolSupport)> = protocols
        .iter()
        .map(|p| {
            (StreamProtocol::try_from_owned((*p).to_owned()).unwrap(), ProtocolSupport::Outbound)
        })
        .collect();
    let gossip_config = gossipsub::ConfigBuilder::default().build().unwrap();
    let gossip =
        gossipsub::Behaviour::new(MessageAuthenticity::Signed(key.clone()), gossip_config).unwrap();
    let sync = request_response::Behaviour::with_codec(
        RawCodec,
        protocols,
        request_response::Config::default().with_request_timeout(Duration::from_secs(30)),
    );
    SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
        .unwrap()
        .with_behaviour(|_| Raw { sync, gossip })
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build()
}

/// The next swarm event.
pub async fn next(swarm: &mut Swarm<Raw>) -> SwarmEvent<RawEvent> {
    within("a raw client event", swarm.select_next_some()).await
}

/// Dials `peer` at `addr` and waits until the connection is up.
pub async fn connect(swarm: &mut Swarm<Raw>, peer: PeerId, addr: Multiaddr) {
    swarm.add_peer_address(peer, addr);
    swarm.dial(peer).unwrap();
    loop {
        match next(swarm).await {
            SwarmEvent::ConnectionEstablished { peer_id, .. } if peer_id == peer => return,
            SwarmEvent::OutgoingConnectionError { error, .. } => panic!("raw dial failed: {error}"),
            _ => {}
        }
    }
}

/// Sends `out` to `peer` and waits for the reply frame or the failure.
pub async fn ask(
    swarm: &mut Swarm<Raw>,
    peer: PeerId,
    out: Out,
) -> Result<Vec<u8>, OutboundFailure> {
    let id = swarm.behaviour_mut().sync.send_request(&peer, out);
    loop {
        match next(swarm).await {
            SwarmEvent::Behaviour(RawEvent::Sync(request_response::Event::Message {
                message: request_response::Message::Response { request_id, response },
                ..
            })) if request_id == id => return Ok(response),
            SwarmEvent::Behaviour(RawEvent::Sync(request_response::Event::OutboundFailure {
                request_id,
                error,
                ..
            })) if request_id == id => return Err(error),
            _ => {}
        }
    }
}

/// Subscribes to `topic` and waits until `peer` is known to be subscribed to it too.
pub async fn join(swarm: &mut Swarm<Raw>, peer: PeerId, topic: &IdentTopic) {
    swarm.behaviour_mut().gossip.subscribe(topic).unwrap();
    loop {
        if let SwarmEvent::Behaviour(RawEvent::Gossip(gossipsub::Event::Subscribed {
            peer_id,
            topic: t,
        })) = next(swarm).await
        {
            if peer_id == peer && t == topic.hash() {
                return;
            }
        }
    }
}
