//! `peerd run` with `[http] listen`: the API comes up with the node and goes with it; an
//! address that cannot be bound stops start-up with a message naming it.

use std::io::{BufRead, BufReader, Lines, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{ChildStderr, Command, Stdio};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// `peerd` in `dir`: a standalone node on the memory store, nothing inherited.
fn peerd(dir: &Path, listen: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peerd"));
    cmd.current_dir(dir).env_remove("RUST_LOG");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PEERD_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("PEERD_STORE__KIND", "memory")
        .env("PEERD_SYNC__MIN_UPSTREAMS", "0")
        .env("PEERD_SYNC__MIN_VOTES", "1")
        .env("PEERD_HTTP__LISTEN", listen)
        .args(["--log-format", "json", "--log", "info", "--data-dir", "data", "run"]);
    cmd
}

/// Reads JSON log lines until one has `message`.
fn wait_for(lines: &mut Lines<BufReader<ChildStderr>>, message: &str) -> serde_json::Value {
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&line) {
            if json["message"] == message {
                return json;
            }
        }
        seen.push(line);
    }
    panic!("peerd ended without logging {message:?}; output:\n{}", seen.join("\n"));
}

/// `GET path`: status code and body.
fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.split(' ').nth(1).unwrap().parse().unwrap(), body.to_owned())
}

#[test]
fn the_api_serves_while_the_node_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = peerd(dir.path(), "127.0.0.1:0").stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(node.stderr.take().unwrap()).lines();
    let listening = wait_for(&mut lines, "HTTP API listening");
    let addr: SocketAddr = listening["local_addr"].as_str().unwrap().parse().unwrap();
    wait_for(&mut lines, "peerd started");

    let (code, body) = get(addr, "/healthz");
    assert_eq!(code, 200, "{body}");
    let (code, body) = get(addr, "/status");
    assert_eq!(code, 200, "{body}");
    let status: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status["chain"], "dev");
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(status["state"], "Standalone");
    assert!(status["peers"]["memory"].is_object(), "{status}");
    let (code, body) = get(addr, "/metrics");
    assert_eq!(code, 200);
    assert!(body.lines().any(|l| l == "peerd_mode{mode=\"normal\"} 1"), "{body}");

    kill(Pid::from_raw(i32::try_from(node.id()).unwrap()), Signal::SIGTERM).unwrap();
    wait_for(&mut lines, "peerd stopped");
    assert_eq!(node.wait().unwrap().code(), Some(0));
    assert!(TcpStream::connect(addr).is_err(), "the API stopped with the node");
}

#[test]
fn an_address_in_use_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = peerd(dir.path(), &addr).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen for HTTP on {addr} ([http] listen)")),
        "{stderr}"
    );
}
