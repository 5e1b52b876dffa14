//! What each `peerd` subcommand does, for the binary (`main.rs` only parses, sets up
//! logging and signals, and prints errors).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use crate::cli::{ChainCommand, Cli, Command, ConfigCommand, DbCommand, Global, KeysCommand};
use crate::config::{self, ConfigError, Loaded};
use crate::{builtin, completions, db, inspect};

/// Runs the command `cli` names. `run_node` runs `peerd run` (the binary passes its
/// signal handling in).
///
/// # Errors
///
/// What the command failed with, for the binary to print.
pub fn dispatch(cli: Cli, run_node: impl FnOnce(&Global) -> Result<ExitCode>) -> Result<ExitCode> {
    match cli.command {
        Command::Run => run_node(&cli.global),
        Command::Config(ConfigCommand::Init { out, force }) => init(&cli.global, out, force),
        Command::Config(ConfigCommand::Check { file }) => check(&cli.global, file),
        Command::Config(ConfigCommand::Show) => {
            let loaded = load(&cli.global)?;
            print(&config::render_effective(&loaded))
        }
        Command::Db(command) => db_command(&cli.global, command),
        Command::Chain(ChainCommand::Generate { blocks, json }) => {
            let config = load(&cli.global)?.config;
            let done = db::generate(&config, blocks)?;
            print(&if json {
                serde_json::to_string(&done)? + "\n"
            } else {
                format!(
                    "generated {} blocks in {:.1} s ({:.0} blocks/s); the height is now {}\n",
                    done.blocks, done.seconds, done.blocks_per_s, done.height
                )
            })
        }
        #[cfg(feature = "tools")]
        Command::Testnet(command) => {
            let mut stdout = std::io::stdout();
            let terminal = std::io::IsTerminal::is_terminal(&stdout);
            let out = peerd_tools::testnet::Output { writer: &mut stdout, terminal };
            peerd_tools::testnet::run(command, out)?;
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
        #[cfg(feature = "tools")]
        Command::Bench(command) => print(&peerd_tools::cli::bench(command)?),
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
        DbCommand::Check { repair, json } => {
            let checked = db::check(&config, repair)?;
            let text = if json {
                serde_json::to_string_pretty(&checked)? + "\n"
            } else {
                check_text(&checked)
            };
            print(&text)?;
            let ok = checked.clean() || checked.repaired_height.is_some();
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
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

/// Loads the config the global flags point at.
///
/// # Errors
///
/// The config's problems.
pub fn load(global: &Global) -> Result<Loaded> {
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

/// `db check`'s report as text.
fn check_text(c: &db::Checked) -> String {
    let mut out = format!(
        "{} chain: {} blocks stored, consistent up to block {}, {} index keys compared\n",
        c.chain, c.stored_height, c.consistent_height, c.keys_compared
    );
    if c.clean() {
        out.push_str("ok: every block and index agrees with the blocks\n");
    }
    for p in &c.problems {
        out.push_str(&format!("problem: {}: {}\n", p.at, p.what));
    }
    if let Some(height) = c.repaired_height {
        out.push_str(&format!("repaired: the store now ends at block {height}\n"));
    }
    out
}
