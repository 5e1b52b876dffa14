//! The `peerd testnet` subcommands.

use super::manifest::Network;
use super::monitor;
use super::output::Output;
use super::start::{self, absolute};
use super::{poll, procs, render, TestnetCommand, TestnetError, UpArgs};

/// Runs one `peerd testnet` command.
///
/// # Errors
///
/// See [`TestnetError`].
pub fn run(command: TestnetCommand, mut out: Output<'_>) -> Result<(), TestnetError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(TestnetError::Runtime)?;
    runtime.block_on(async {
        match command {
            TestnetCommand::Up(args) => up(&args, &mut out).await,
            TestnetCommand::Status { dir, json } => {
                let network = Network::load(&absolute(&dir)?)?;
                let rows = poll::rows(&network).await;
                out.write(&if json { poll::json(&rows) + "\n" } else { poll::table(&rows) })
            }
            TestnetCommand::Down { dir } => {
                let network = Network::load(&absolute(&dir)?)?;
                let all: Vec<usize> = (0..network.nodes.len()).collect();
                out.line(&stop(&network, &all))
            }
            TestnetCommand::Kill { node, dir } => {
                let network = Network::load(&absolute(&dir)?)?;
                let i = network.index_of(&node)?;
                out.line(&stop(&network, &[i]))
            }
            TestnetCommand::Restart { node, dir } => {
                let mut network = Network::load(&absolute(&dir)?)?;
                let i = network.index_of(&node)?;
                stop(&network, &[i]);
                start::start(&mut network, &[i]).await?;
                let node = &network.nodes[i];
                out.line(&format!(
                    "{} restarted (pid {}, http://{})",
                    node.name, node.pid, node.http
                ))
            }
            TestnetCommand::Partition { groups, dir } => {
                let mut network = Network::load(&absolute(&dir)?)?;
                network.partition = parse_groups(&network, &groups)?;
                rewire(&mut network, &mut out).await
            }
            TestnetCommand::Heal { dir } => {
                let mut network = Network::load(&absolute(&dir)?)?;
                network.partition.clear();
                rewire(&mut network, &mut out).await
            }
        }
    })
}

async fn up(args: &UpArgs, out: &mut Output<'_>) -> Result<(), TestnetError> {
    let (mut network, new) = start::prepare(args)?;
    let all: Vec<usize> = (0..network.nodes.len()).collect();
    let what = if new { "generated" } else { "restarting the stopped network in" };
    out.line(&format!("{what} {} ({} nodes); starting them…", network.dir.display(), all.len()))?;
    let mut children = start::start(&mut network, &all).await?;
    if args.detach {
        out.write(&summary(&network))?;
        let dir = network.dir.display();
        return out.line(&format!(
            "every node answers; `peerd testnet status --dir {dir}` shows them, \
             `peerd testnet down --dir {dir}` stops them"
        ));
    }
    monitor::foreground(&network, &mut children, out).await
}

/// One line per node: name, pid, transports, addresses.
fn summary(network: &Network) -> String {
    let mut text = String::new();
    for n in &network.nodes {
        let mut addrs = Vec::new();
        if let Some(z) = &n.transports.zmq {
            addrs.push(z.listen.clone());
        }
        if let Some(l) = &n.transports.libp2p {
            addrs.push(l.multiaddr.clone());
        }
        let producer = if n.producer { " producer" } else { "" };
        text.push_str(&format!(
            "{} pid {} {}{producer} http://{} {}\n",
            n.name,
            n.pid,
            n.transport_names(),
            n.http,
            addrs.join(" ")
        ));
    }
    text
}

/// Stops nodes `which`; says which were running.
fn stop(network: &Network, which: &[usize]) -> String {
    let nodes: Vec<_> = which.iter().map(|&i| &network.nodes[i]).collect();
    let running = nodes.iter().filter(|n| procs::alive(n.pid, n)).count();
    let killed = procs::stop(&nodes, procs::STOP_GRACE, || {});
    let mut text = format!("stopped {running} node(s); {} were not running", nodes.len() - running);
    if !killed.is_empty() {
        text.push_str(&format!(
            "; killed after {} s: {}",
            procs::STOP_GRACE.as_secs(),
            killed.join(", ")
        ));
    }
    text
}

/// `A,B/C,D` into groups of node names; nodes not named form one more group.
///
/// # Errors
///
/// [`TestnetError::UnknownNode`], or [`TestnetError::Usage`] for a node named twice or
/// fewer than two groups.
pub fn parse_groups(network: &Network, text: &str) -> Result<Vec<Vec<String>>, TestnetError> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut seen = vec![false; network.nodes.len()];
    for part in text.split('/').filter(|p| !p.trim().is_empty()) {
        let mut group = Vec::new();
        for name in part.split(',').filter(|n| !n.trim().is_empty()) {
            let i = network.index_of(name)?;
            if std::mem::replace(&mut seen[i], true) {
                return Err(TestnetError::Usage(format!(
                    "{} is named twice",
                    network.nodes[i].name
                )));
            }
            group.push(network.nodes[i].name.clone());
        }
        groups.push(group);
    }
    let rest: Vec<String> = network
        .nodes
        .iter()
        .zip(&seen)
        .filter(|(_, s)| !**s)
        .map(|(n, _)| n.name.clone())
        .collect();
    if !rest.is_empty() {
        groups.push(rest);
    }
    if groups.len() < 2 {
        return Err(TestnetError::Usage(format!(
            "{text:?}: a partition needs at least two groups, e.g. 1,2/3,4"
        )));
    }
    Ok(groups)
}

/// Rewrites every config for the current partition and restarts every node.
async fn rewire(network: &mut Network, out: &mut Output<'_>) -> Result<(), TestnetError> {
    let all: Vec<usize> = (0..network.nodes.len()).collect();
    stop(network, &all);
    render::write_all(network)?;
    network.save()?;
    start::start(network, &all).await?;
    let text = if network.partition.is_empty() {
        "healed: every node restarted with the full topology".to_owned()
    } else {
        let groups: Vec<String> = network.partition.iter().map(|g| g.join(",")).collect();
        format!("partitioned into {}; every node restarted", groups.join(" / "))
    };
    out.line(&text)
}
