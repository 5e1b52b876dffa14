//! The `peerd` binary: parses the command line, sets up logging and signals; what each
//! command does is in the library (`peerd_node::commands`).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use clap::Parser as _;
use peerd_node::cli::{Cli, Global};
use peerd_node::{commands, logging, run};
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
    match commands::dispatch(cli, run_node) {
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

fn run_node(global: &Global) -> Result<ExitCode> {
    let loaded = commands::load(global)?;
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
