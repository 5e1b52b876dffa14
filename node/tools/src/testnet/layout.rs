//! Lays a [`NetworkSpec`] out on disk: DIR/node-N/ with keys, free loopback ports, and
//! the [`Network`] description (pids still 0).

use std::net::{SocketAddr, TcpListener};
use std::path::Path;

use super::manifest::{Libp2p, Network, Node, Transports, Zmq, FORMAT};
use super::{keys, NetworkSpec, TestnetError};

/// Name of node `i` (0-based): `node-1` first.
pub fn node_name(i: usize) -> String {
    format!("node-{}", i + 1)
}

/// `count` distinct free ports on 127.0.0.1: every listener is held until all are bound,
/// so no port is handed out twice.
///
/// # Errors
///
/// [`TestnetError::Ports`] if the system has none left.
pub fn free_ports(count: usize) -> Result<Vec<u16>, TestnetError> {
    let listeners = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(TestnetError::Ports)?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()).map_err(TestnetError::Ports))
        .collect()
}

/// Creates DIR/node-N/ for every node with its keys and picks its ports. `dir` must be
/// absolute (paths in the configs and network.json are taken from it).
///
/// # Errors
///
/// [`TestnetError::Io`] or [`TestnetError::Keys`]; [`TestnetError::Ports`].
pub fn lay_out(spec: &NetworkSpec, dir: &Path) -> Result<Network, TestnetError> {
    let mut ports = free_ports(spec.nodes.len() * 3)?.into_iter();
    let mut port = || {
        ports.next().ok_or_else(|| TestnetError::Ports(std::io::ErrorKind::AddrNotAvailable.into()))
    };
    let mut nodes = Vec::with_capacity(spec.nodes.len());
    for (i, node) in spec.nodes.iter().enumerate() {
        let name = node_name(i);
        let data_dir = dir.join(&name);
        std::fs::create_dir_all(&data_dir)
            .map_err(|source| TestnetError::Io { path: data_dir.clone(), source })?;
        let (zmq_port, libp2p_port, http_port) = (port()?, port()?, port()?);
        let zmq = if node.zmq {
            let k = keys::zmq(&data_dir, spec.seed, i)?;
            let address = SocketAddr::from(([127, 0, 0, 1], zmq_port));
            Some(Zmq {
                listen: format!("tcp://{address}"),
                address,
                public_key: k.public_key,
                public_key_file: k.public_file,
                private_key_file: k.private_file,
            })
        } else {
            None
        };
        let libp2p = if node.libp2p {
            let k = keys::libp2p(&data_dir, spec.seed, i)?;
            let listen = format!("/ip4/127.0.0.1/tcp/{libp2p_port}");
            Some(Libp2p {
                multiaddr: format!("{listen}/p2p/{}", k.peer_id),
                peer_id: k.peer_id,
                listen,
                identity_file: k.file,
            })
        } else {
            None
        };
        nodes.push(Node {
            name,
            pid: 0,
            producer: node.producer,
            store: node.store.clone(),
            transports: Transports { zmq, libp2p },
            http: SocketAddr::from(([127, 0, 0, 1], http_port)),
            config: data_dir.join(crate::CONFIG_FILE),
            log: data_dir.join("peerd.log"),
            data_dir,
        });
    }
    Ok(Network {
        format: FORMAT,
        dir: dir.to_owned(),
        chain: spec.chain.clone(),
        block_interval_secs: spec.block_interval_secs,
        seed: spec.seed,
        partition: Vec::new(),
        nodes,
    })
}

/// The ports a node listens on, with what each is for.
pub fn node_ports(node: &Node) -> Vec<(u16, &'static str)> {
    let mut ports = vec![(node.http.port(), "HTTP")];
    if let Some(z) = &node.transports.zmq {
        ports.push((z.address.port(), "ZeroMQ"));
    }
    if let Some(l) = &node.transports.libp2p {
        if let Some(port) = l.listen.rsplit('/').next().and_then(|p| p.parse().ok()) {
            ports.push((port, "libp2p"));
        }
    }
    ports
}

/// Checks that every port of `node` is free on 127.0.0.1.
///
/// # Errors
///
/// [`TestnetError::PortInUse`] naming the node, the port and its use.
pub fn check_ports(node: &Node) -> Result<(), TestnetError> {
    for (port, what) in node_ports(node) {
        if let Err(source) = TcpListener::bind(("127.0.0.1", port)) {
            return Err(TestnetError::PortInUse { node: node.name.clone(), port, what, source });
        }
    }
    Ok(())
}
