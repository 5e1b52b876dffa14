//! Value checks that types alone cannot express: ranges, relations, compiled-in kinds.

use std::time::Duration;

use peerd_api::{TransportError, MAX_MESSAGE_BYTES};

use super::problem::one_of;
use super::{Config, Origins, Problem};
use crate::builtin::{BuildError, StoreConfig, TransportConfig};

/// Longest node name accepted.
const MAX_NAME_LEN: usize = 64;

/// Adds a problem for every value of `config` that is out of range.
pub(crate) fn check(config: &Config, origins: &Origins, problems: &mut Vec<Problem>) {
    let mut report = |key: &str, message: String| {
        let path: Vec<&str> = key.split('.').collect();
        problems.push(Problem::new(key, Some(origins.of(&path)), message));
    };
    check_node(config, &mut report);
    check_sync(config, &mut report);
    check_producer(config, &mut report);
    check_clients(config, &mut report);
    if let StoreConfig::NotCompiled(absent) = &config.store {
        report(
            "store.kind",
            format!("store kind {:?} is not available in this build: {}", absent.kind, absent.hint),
        );
    }
    let env = config.transport_env(peerd_transport_memory::MemoryNet::new(0));
    for (i, transport) in config.transports.iter().enumerate() {
        let key = format!("transports.{i}.kind");
        if let TransportConfig::NotCompiled(absent) = transport {
            report(
                &key,
                format!(
                    "transport kind {:?} is not available in this build: {}",
                    absent.kind, absent.hint
                ),
            );
        }
        if let Err(error) = transport.check(&env) {
            let reason = match error {
                BuildError::Transport { source: TransportError::Config { reason, .. }, .. } => {
                    reason
                }
                other => other.to_string(),
            };
            report(
                &format!("transports.{i}"),
                format!("invalid {} transport: {reason}", transport.kind()),
            );
        }
        if config.transports[..i].iter().any(|t| t.kind() == transport.kind()) {
            report(
                &key,
                format!("a second {:?} transport; each kind may appear once", transport.kind()),
            );
        }
    }
}

fn check_node(config: &Config, report: &mut impl FnMut(&str, String)) {
    let name = &config.node.name;
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_whitespace) {
        report(
            "node.name",
            format!("invalid value {name:?}: must be 1 to {MAX_NAME_LEN} bytes without spaces"),
        );
    }
    if config.node.data_dir.as_os_str().is_empty() {
        report("node.data_dir", "invalid value \"\": must name a directory".into());
    }
}

fn check_producer(config: &Config, report: &mut impl FnMut(&str, String)) {
    use super::ChainName;
    let producer = &config.producer;
    if producer.enabled && !matches!(config.node.chain, ChainName::Dev | ChainName::Local) {
        report(
            "producer.enabled",
            format!(
                "block production is only possible on the dev and local chains, not on {}",
                config.node.chain
            ),
        );
    }
    if producer.interval < 1 {
        report("producer.interval", "value 0 is out of range: allowed 1 or more seconds".into());
    }
}

fn check_sync(config: &Config, report: &mut impl FnMut(&str, String)) {
    let sync = &config.sync;
    let max_votes = sync.min_upstreams.saturating_add(1);
    if sync.min_votes < 1 || sync.min_votes > max_votes {
        report(
            "sync.min_votes",
            format!(
                "value {} is out of range: allowed 1 ..= sync.min_upstreams + 1 = {max_votes}",
                sync.min_votes
            ),
        );
    }
    let at_least_one = [
        ("sync.cycle_interval", sync.cycle_interval),
        ("sync.poll_interval", sync.poll_interval),
        ("sync.request_timeout", sync.request_timeout),
        ("sync.active_time", sync.active_time),
    ];
    for (key, value) in at_least_one {
        if value < Duration::from_secs(1) {
            report(
                key,
                format!("value {} is out of range: allowed at least 1 (seconds)", value.as_secs()),
            );
        }
    }
    if sync.fetch_window < 1 {
        report("sync.fetch_window", "value 0 is out of range: allowed at least 1".into());
    }
    if sync.fork_walk_batch < 1 {
        report("sync.fork_walk_batch", "value 0 is out of range: allowed at least 1".into());
    }
    if sync.forgery_check_every < 1 {
        report("sync.forgery_check_every", "value 0 is out of range: allowed at least 1".into());
    }
    if sync.max_buffered_bytes < MAX_MESSAGE_BYTES {
        report(
            "sync.max_buffered_bytes",
            format!(
                "value {} is out of range: allowed at least {MAX_MESSAGE_BYTES} (one message of the largest size)",
                sync.max_buffered_bytes
            ),
        );
    }
}

/// Problems for `[handlers.<name>]` sections that name none of `known` plugins.
pub fn check_handlers(config: &Config, origins: &Origins, known: &[&str]) -> Vec<Problem> {
    config
        .handlers
        .keys()
        .filter(|name| !known.contains(&name.as_str()))
        .map(|name| {
            let message = format!("names no compiled-in plugin; known plugins: {}", one_of(known));
            Problem::new(format!("handlers.{name}"), Some(origins.of(&["handlers", name])), message)
        })
        .collect()
}

/// The `[clients]` section, through the pool's own check (which lists every bad entry of
/// `pinned` and `positive` at once).
fn check_clients(config: &Config, report: &mut impl FnMut(&str, String)) {
    use peerd_kernel::clients::ClientsConfigError as E;
    let Err(error) = config.clients.validate() else { return };
    let field = match &error {
        E::ZeroLimit { field } | E::BadPrice { field, .. } => field,
        E::BadFloor(_) => "floor",
        E::BadEvictBelow(_) => "evict_below",
        E::BadPinned(_) => "pinned",
        E::BadPositive(_) => "positive",
        _ => "",
    };
    let key = if field.is_empty() { "clients".to_owned() } else { format!("clients.{field}") };
    report(&key, error.to_string());
}
