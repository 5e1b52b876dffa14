//! The `peerd` binary: command line, logging, signals; everything else is in the library.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use clap::Parser as _;
use peerd_node::cli::{BenchCommand, Cli, Command, ConfigCommand, DbCommand, Global, KeysCommand};
use peerd_node::config::{self, ConfigError, Loaded};
use peerd_node::{builtin, completions, db, inspect, logging, run};
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

/// Exit code when a second signal cuts shutdown short.
const EXIT_FORCED: i32 = 130;

/// Signals this soon after the first are the same signal delivered twice.
const SIGNAL_DEBOUNCE: Duration = Duration::from_millis(500);

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = logging::init(cli.global.log.as_deref(), cli.global.log_format) {
        eprintln!("peerd: {e}");
        return ExitCode::from(2);
    }
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("peerd: error: {}", chain_text(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, skipping causes whose text the message already contains
/// (many error types print their source inline).
fn chain_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run => run_node(&cli.global),
        Command::Config(ConfigCommand::Init { out, force }) => init(&cli.global, out, force),
        Command::Config(ConfigCommand::Check { file }) => check(&cli.global, file),
        Command::Config(ConfigCommand::Show) => {
            let loaded = load(&cli.global)?;
            print(&config::render_effective(&loaded))
        }
        Command::Db(command) => db_command(&cli.global, command),
        Command::Testnet(command) => {
            let mut stdout = std::io::stdout();
            let terminal = std::io::IsTerminal::is_terminal(&stdout);
            let out = peerd_node::testnet::Output { writer: &mut stdout, terminal };
            peerd_node::testnet::run(command, out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            std::io::stdout()
                .lock()
                .write_all(&completions::completions(shell))
                .context("writing to stdout")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { out: None } => {
            std::io::stdout()
                .lock()
                .write_all(&completions::man_page())
                .context("writing to stdout")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { out: Some(dir) } => {
            let files = completions::write_man_pages(&dir)?;
            print(&format!("wrote {} man pages to {}\n", files.len(), dir.display()))
        }
        Command::Bench(BenchCommand::Sync { blocks, peers, transport, store, json }) => {
            let options = peerd_node::bench::SyncBenchOptions {
                blocks,
                peers,
                transport,
                store: store.parse()?,
            };
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let report = runtime.block_on(peerd_node::bench::sync(options))?;
            print(&if json {
                serde_json::to_string(&report).context("encoding the report")? + "\n"
            } else {
                format!(
                    "synced {} blocks from {} {} peers into {}: {:.0} blocks/s; store-only \
                     ingest {:.0} blocks/s; ratio {:.2}\n",
                    report.blocks,
                    report.peers,
                    report.transport,
                    report.store,
                    report.sync_blocks_per_s,
                    report.ingest_blocks_per_s,
                    report.ratio
                )
            })
        }
        Command::Bench(BenchCommand::Rpc { requests, json }) => bench_rpc(requests, json),
        Command::Bench(BenchCommand::Gossip { blocks, interval_ms, json }) => {
            bench_gossip(blocks, interval_ms, json)
        }
        Command::Keys(command) => keys(&cli.global, command),
        Command::Inspect(command) => {
            // --chain wins; else the configured chain. Inspecting bytes needs no valid store
            // or transport section, so a config that fails to load falls back to the default.
            let chain = match &cli.global.chain {
                Some(chain) => chain.clone(),
                None => load(&cli.global)
                    .map(|l| l.config.node.chain.as_str().to_owned())
                    .unwrap_or_else(|_| config::ChainName::Dev.as_str().to_owned()),
            };
            print(&inspect::run(&command, &chain)?)
        }
    }
}

fn db_command(global: &Global, command: DbCommand) -> Result<ExitCode> {
    let config = load(global)?.config;
    match command {
        DbCommand::Inspect { json } => {
            let inspection = db::inspect(&config)?;
            print(&if json { inspection.json() + "\n" } else { inspection.table() })
        }
        DbCommand::DeleteDown { number } => {
            let done = db::delete_down(&config, number)?;
            print(&if done.after == done.before {
                format!("nothing to delete: the height is {} (below block {number})\n", done.before)
            } else {
                format!(
                    "deleted blocks {number} to {}; the height is now {}\n",
                    done.before, done.after
                )
            })
        }
        DbCommand::ExportBlocks { from, to, file } => {
            let count = db::export_blocks(&config, from, to, &file)?;
            print(&format!("wrote {count} blocks ({from} to {to}) to {}\n", file.display()))
        }
        DbCommand::ImportBlocks { file } => {
            let done = db::import_blocks(&config, &file)?;
            print(&format!(
                "imported {} blocks ({} already stored); the height is now {}\n",
                done.stored, done.present, done.height
            ))
        }
    }
}

fn keys(global: &Global, command: KeysCommand) -> Result<ExitCode> {
    // Unused in builds without a transport that has keys.
    #[cfg_attr(not(any(feature = "zmq", feature = "libp2p")), allow(unused_variables))]
    let dir = |out: Option<PathBuf>| out.unwrap_or_else(|| global.sources().data_dir());
    match command {
        #[cfg(feature = "zmq")]
        KeysCommand::Zmq { out } => {
            let dir = dir(out);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let files = peerd_transport_zmq::keys::generate(&dir)?;
            print(&format!("wrote {} and {}\n", files.public.display(), files.private.display()))
        }
        #[cfg(feature = "libp2p")]
        KeysCommand::Libp2p { out } => {
            let dir = dir(out);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let path = peerd_transport_libp2p::keys::generate(&dir)?;
            let peer = peerd_transport_libp2p::keys::peer_id(&path)?;
            print(&format!("wrote {} (peer id {peer})\n", path.display()))
        }
        #[allow(unreachable_patterns)] // reached only in builds without a transport feature
        other => anyhow::bail!("{other:?}: this transport is not compiled into this build"),
    }
}

#[cfg(feature = "zmq")]
fn bench_rpc(requests: usize, json: bool) -> Result<ExitCode> {
    let options = peerd_node::rpc_bench::RpcBenchOptions { requests, ..Default::default() };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let r = runtime.block_on(peerd_node::rpc_bench::rpc(options))?;
    print(&if json {
        serde_json::to_string(&r).context("encoding the report")? + "\n"
    } else {
        format!(
            "{} requests: peerd {:.0}/s, libzmq echo {:.0}/s, ratio {:.2}; p50 {} us, p99 {} us\n",
            r.requests, r.peerd_per_s, r.echo_per_s, r.ratio, r.p50_us, r.p99_us
        )
    })
}

#[cfg(all(feature = "zmq", feature = "libp2p"))]
fn bench_gossip(blocks: u64, interval_ms: u64, json: bool) -> Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let interval = std::time::Duration::from_millis(interval_ms.max(1));
    let r = runtime.block_on(peerd_node::bench::gossip(blocks, interval))?;
    print(&if json {
        serde_json::to_string(&r).context("encoding the report")? + "\n"
    } else {
        format!(
            "{} blocks over {} nodes: every node reached in p50 {:.1} ms, p99 {:.1} ms; \
             one node in p50 {:.1} ms, p99 {:.1} ms\n",
            r.blocks,
            r.nodes,
            r.all_nodes_p50_ms,
            r.all_nodes_p99_ms,
            r.per_node_p50_ms,
            r.per_node_p99_ms
        )
    })
}

#[cfg(not(all(feature = "zmq", feature = "libp2p")))]
fn bench_gossip(_blocks: u64, _interval_ms: u64, _json: bool) -> Result<ExitCode> {
    anyhow::bail!("peerd bench gossip needs the zmq and libp2p cargo features")
}

#[cfg(not(feature = "zmq"))]
fn bench_rpc(_requests: usize, _json: bool) -> Result<ExitCode> {
    anyhow::bail!("peerd bench rpc needs the zmq cargo feature")
}

fn load(global: &Global) -> Result<Loaded> {
    Ok(config::load(&global.sources())?)
}

fn print(text: &str) -> Result<ExitCode> {
    std::io::stdout().lock().write_all(text.as_bytes()).context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}

fn init(global: &Global, out: Option<PathBuf>, force: bool) -> Result<ExitCode> {
    let path = out
        .or_else(|| global.config.clone())
        .unwrap_or_else(|| global.sources().data_dir().join(config::FILE_NAME));
    if path.as_os_str() == "-" {
        return print(&config::render_default());
    }
    config::write_default(&path, force)?;
    print(&format!("wrote {}\n", path.display()))
}

fn check(global: &Global, file: Option<PathBuf>) -> Result<ExitCode> {
    let mut sources = global.sources();
    if file.is_some() {
        sources.file = file;
    }
    let problems = match config::load(&sources) {
        Ok(loaded) => {
            let names: Vec<String> =
                builtin::plugins().iter().map(|p| p.name().to_owned()).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            config::check_handlers(&loaded.config, &loaded.origins, &names)
        }
        Err(ConfigError::Invalid(problems)) => problems,
        Err(e) => return Err(e.into()),
    };
    if problems.is_empty() {
        return print("ok\n");
    }
    let mut text =
        format!("{} problem{}:\n", problems.len(), if problems.len() == 1 { "" } else { "s" });
    for p in &problems {
        text.push_str(&format!("  - {p}\n"));
    }
    print(&text)?;
    Ok(ExitCode::FAILURE)
}

fn run_node(global: &Global) -> Result<ExitCode> {
    let loaded = load(global)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        on_signals(shutdown.clone()).context("installing signal handlers")?;
        run::run(loaded.config, shutdown).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// First SIGINT/SIGTERM: cancel `shutdown` for a clean stop. A second one, at least
/// [`SIGNAL_DEBOUNCE`] later, exits at once. (Tools such as `timeout` deliver one
/// signal twice, to the process and to its group; that must not count as a second.)
fn on_signals(shutdown: CancellationToken) -> std::io::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        let first = tokio::select! { _ = term.recv() => "SIGTERM", _ = int.recv() => "SIGINT" };
        let at = Instant::now();
        info!(signal = first, "signal received; stopping (send it again to force exit)");
        shutdown.cancel();
        loop {
            let next = tokio::select! { _ = term.recv() => "SIGTERM", _ = int.recv() => "SIGINT" };
            if at.elapsed() >= SIGNAL_DEBOUNCE {
                error!(signal = next, "second signal; exiting without a clean shutdown");
                std::process::exit(EXIT_FORCED);
            }
        }
    });
    Ok(())
}
