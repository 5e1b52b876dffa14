//! `[[transports]]`: the concrete transports, each behind its cargo feature.

use std::path::PathBuf;

use peerd_api::{DialTarget, Transport};
use serde::{Serialize, Serializer};

use super::{tagged, BuildError, NotCompiled};
use crate::config::SectionParser;

#[cfg(not(feature = "zmq"))]
const ZMQ_HINT: &str = "rebuild peerd with cargo feature `zmq` (needs the system libzmq)";
#[cfg(not(feature = "libp2p"))]
const LIBP2P_HINT: &str = "rebuild peerd with cargo feature `libp2p`";

/// One `[[transports]]` entry: one variant per transport.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TransportConfig {
    /// `kind = "memory"`: the in-process network of this process.
    Memory(peerd_transport_memory::Config),
    /// `kind = "zmq"`: bitmarkd's ZeroMQ protocol (CURVE, REQ/REP).
    #[cfg(feature = "zmq")]
    Zmq(peerd_transport_zmq::Config),
    /// `kind = "libp2p"`: noise, yamux, request-response, gossipsub.
    #[cfg(feature = "libp2p")]
    Libp2p(peerd_transport_libp2p::Config),
    /// A transport left out of this build.
    NotCompiled(NotCompiled),
}

impl TransportConfig {
    /// Every transport kind peerd knows, compiled in or not.
    pub const KINDS: &'static [&'static str] = &["zmq", "libp2p", "memory"];

    /// The default transports: one memory transport, which needs no network and shows
    /// the shape of the section (`[[transports]]`).
    pub fn defaults() -> Vec<Self> {
        vec![TransportConfig::Memory(Default::default())]
    }

    /// The `kind` of this entry.
    pub fn kind(&self) -> &'static str {
        match self {
            TransportConfig::Memory(_) => peerd_transport_memory::TRANSPORT_NAME,
            #[cfg(feature = "zmq")]
            TransportConfig::Zmq(_) => "zmq",
            #[cfg(feature = "libp2p")]
            TransportConfig::Libp2p(_) => "libp2p",
            TransportConfig::NotCompiled(n) => n.kind,
        }
    }

    /// Parses the entry for `kind`.
    ///
    /// # Errors
    ///
    /// The known kinds, if `kind` is none of them.
    pub fn parse(
        kind: &str,
        parser: &mut SectionParser<'_>,
    ) -> Result<Self, &'static [&'static str]> {
        #[allow(unused_variables)] // used only for kinds left out of the build
        let absent = |kind, hint, parser: &SectionParser<'_>| {
            TransportConfig::NotCompiled(NotCompiled { kind, hint, options: parser.raw() })
        };
        Ok(match kind {
            "memory" => TransportConfig::Memory(parser.parse()),
            #[cfg(feature = "zmq")]
            "zmq" => TransportConfig::Zmq(parser.parse()),
            #[cfg(not(feature = "zmq"))]
            "zmq" => absent("zmq", ZMQ_HINT, parser),
            #[cfg(feature = "libp2p")]
            "libp2p" => TransportConfig::Libp2p(parser.parse()),
            #[cfg(not(feature = "libp2p"))]
            "libp2p" => absent("libp2p", LIBP2P_HINT, parser),
            _ => return Err(Self::KINDS),
        })
    }

    /// Checks the entry as [`TransportConfig::build`] would, without starting anything.
    ///
    /// # Errors
    ///
    /// What [`TransportConfig::build`] would fail with, except
    /// [`BuildError::NotCompiled`] (reported on its own by the config check).
    pub fn check(&self, env: &TransportEnv) -> Result<(), BuildError> {
        match self.build(env) {
            Ok(_) | Err(BuildError::NotCompiled { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Builds the transport, ready to start.
    ///
    /// # Errors
    ///
    /// [`BuildError::NotCompiled`] or the transport's own configuration error.
    pub fn build(&self, env: &TransportEnv) -> Result<Box<dyn Transport>, BuildError> {
        let transport_err = |source| BuildError::Transport { kind: self.kind(), source };
        Ok(match self {
            TransportConfig::Memory(c) => Box::new(
                peerd_transport_memory::build(&env.memory_net, c, &env.node_name)
                    .map_err(transport_err)?,
            ),
            #[cfg(feature = "zmq")]
            TransportConfig::Zmq(c) => {
                Box::new(peerd_transport_zmq::build(c, &env.chain).map_err(transport_err)?)
            }
            #[cfg(feature = "libp2p")]
            TransportConfig::Libp2p(c) => {
                peerd_transport_libp2p::build(c, &env.data_dir).map_err(transport_err)?
            }
            TransportConfig::NotCompiled(n) => {
                return Err(BuildError::not_compiled("transport", n))
            }
        })
    }

    /// The configured peers of this transport, as static upstreams for the kernel (they
    /// vote first, in this order).
    ///
    /// # Errors
    ///
    /// The transport's configuration error for a malformed peer entry.
    pub fn static_targets(&self) -> Result<Vec<DialTarget>, BuildError> {
        let transport_err = |source| BuildError::Transport { kind: self.kind(), source };
        Ok(match self {
            TransportConfig::Memory(c) => {
                c.peers.iter().map(|p| peerd_transport_memory::MemoryNet::target(p)).collect()
            }
            #[cfg(feature = "zmq")]
            TransportConfig::Zmq(c) => c.static_targets().map_err(transport_err)?,
            #[cfg(feature = "libp2p")]
            TransportConfig::Libp2p(c) => c.static_targets().map_err(transport_err)?,
            TransportConfig::NotCompiled(_) => {
                let _ = transport_err;
                Vec::new()
            }
        })
    }
}

impl Serialize for TransportConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TransportConfig::Memory(c) => tagged(s, "memory", c),
            #[cfg(feature = "zmq")]
            TransportConfig::Zmq(c) => tagged(s, "zmq", c),
            #[cfg(feature = "libp2p")]
            TransportConfig::Libp2p(c) => tagged(s, "libp2p", c),
            TransportConfig::NotCompiled(n) => tagged(s, n.kind, &n.options),
        }
    }
}

/// What transports share in one process.
#[derive(Clone, Debug)]
pub struct TransportEnv {
    /// `[node] name`, the default name on the memory network.
    pub node_name: String,
    /// `[node] chain`: default ports and protocol names depend on it.
    pub chain: String,
    /// `[node] data_dir`: relative key and identity paths are taken under it.
    pub data_dir: PathBuf,
    /// The process's in-process network (memory transports of one process meet here).
    pub memory_net: peerd_transport_memory::MemoryNet,
}
