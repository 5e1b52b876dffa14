//! Starting nodes: `up` (a new network, or a stopped one again), and waiting until every
//! started node answers on its HTTP API.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use super::manifest::Network;
use super::{layout, poll, procs, render, NetworkSpec, TestnetError, UpArgs};

/// How long a node may take to answer on its HTTP API after it was started.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Started node processes: (node index, process).
pub type Children = Vec<(usize, Child)>;

/// `dir` made absolute (configs and network.json hold absolute paths).
///
/// # Errors
///
/// [`TestnetError::Io`] if the working directory is unknown.
pub fn absolute(dir: &Path) -> Result<PathBuf, TestnetError> {
    std::path::absolute(dir).map_err(|source| TestnetError::Io { path: dir.to_owned(), source })
}

/// The network `up` starts: DIR's stopped network, or a new one laid out from the flags.
///
/// # Errors
///
/// [`TestnetError::Running`], [`TestnetError::Stopped`], [`TestnetError::NotEmpty`], or
/// what laying out the network fails with.
pub fn prepare(args: &UpArgs) -> Result<(Network, bool), TestnetError> {
    let dir = absolute(&args.dir)?;
    match Network::load(&dir) {
        Ok(network) => {
            check_not_running(&network)?;
            if args.shapes_network() {
                return Err(TestnetError::Stopped(dir));
            }
            render::write_all(&network)?;
            Ok((network, false))
        }
        Err(TestnetError::NoNetwork(_)) => {
            let spec = NetworkSpec::from_args(args)?;
            let io = |source| TestnetError::Io { path: dir.clone(), source };
            std::fs::create_dir_all(&dir).map_err(io)?;
            if std::fs::read_dir(&dir).map_err(io)?.next().is_some() {
                return Err(TestnetError::NotEmpty(dir));
            }
            let network = layout::lay_out(&spec, &dir)?;
            render::write_all(&network)?;
            network.save()?;
            Ok((network, true))
        }
        Err(e) => Err(e),
    }
}

/// [`TestnetError::Running`] if any node of `network` runs.
///
/// # Errors
///
/// As described.
pub fn check_not_running(network: &Network) -> Result<(), TestnetError> {
    let running: Vec<String> = network
        .nodes
        .iter()
        .filter(|n| procs::alive(n.pid, n))
        .map(|n| format!("{} pid {}", n.name, n.pid))
        .collect();
    if running.is_empty() {
        Ok(())
    } else {
        Err(TestnetError::Running { dir: network.dir.clone(), running: running.join(", ") })
    }
}

/// Starts the nodes `which` (their ports must be free), records their pids in
/// network.json and waits until each answers on `/status`. On failure every node started
/// here is stopped again.
///
/// # Errors
///
/// [`TestnetError::PortInUse`], [`TestnetError::Exited`] or [`TestnetError::NotListening`]
/// (with the end of the node's log), [`TestnetError::Io`].
pub async fn start(network: &mut Network, which: &[usize]) -> Result<Children, TestnetError> {
    let exe = std::env::current_exe()
        .map_err(|source| TestnetError::Io { path: "peerd".into(), source })?;
    for &i in which {
        layout::check_ports(&network.nodes[i])?;
    }
    let mut children = Children::new();
    for &i in which {
        match procs::spawn(&exe, &network.nodes[i]) {
            Ok(child) => {
                network.nodes[i].pid = child.id();
                children.push((i, child));
            }
            Err(e) => {
                abort(network, &mut children);
                return Err(e);
            }
        }
    }
    network.save()?;
    if let Err(e) = wait_ready(network, &mut children).await {
        abort(network, &mut children);
        return Err(e);
    }
    Ok(children)
}

/// Stops `children` (after a failed start).
pub fn abort(network: &Network, children: &mut Children) {
    let nodes: Vec<_> = children.iter().map(|(i, _)| &network.nodes[*i]).collect();
    procs::stop(&nodes, procs::STOP_GRACE, || reap(children));
}

/// Waits for the children that exited, so they do not linger as zombies.
pub fn reap(children: &mut Children) {
    for (_, child) in children.iter_mut() {
        let _ = child.try_wait();
    }
}

async fn wait_ready(network: &Network, children: &mut Children) -> Result<(), TestnetError> {
    let started = Instant::now();
    let mut waiting: Vec<usize> = (0..children.len()).collect();
    while !waiting.is_empty() {
        let mut still = Vec::new();
        for k in waiting {
            let (i, child) = &mut children[k];
            let node = &network.nodes[*i];
            if let Ok(Some(status)) = child.try_wait() {
                return Err(TestnetError::Exited {
                    node: node.name.clone(),
                    status: status.to_string(),
                    log: node.log.clone(),
                    tail: procs::tail(&node.log, procs::TAIL_LINES),
                });
            }
            if poll::status(node.http).await.is_err() {
                still.push(k);
            }
        }
        waiting = still;
        if let Some(&k) = waiting.first() {
            if started.elapsed() > READY_TIMEOUT {
                let node = &network.nodes[children[k].0];
                return Err(TestnetError::NotListening {
                    node: node.name.clone(),
                    http: node.http,
                    secs: READY_TIMEOUT.as_secs(),
                    log: node.log.clone(),
                    tail: procs::tail(&node.log, procs::TAIL_LINES),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(())
}
