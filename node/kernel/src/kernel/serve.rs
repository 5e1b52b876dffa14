//! Answers inbound peer requests (`I`, `N`, `H`, `B`, `R`) from the chain (protocol §2).

use std::sync::Arc;

use peerd_api::{Chain, Mode, ModeCell, NodeInfo, Registration, Request, Response, Server};

use crate::status::Metrics;

/// The kernel's read-only answers, handed to transports that answer `I N H B` on their own
/// threads ([`peerd_api::TransportCommand::Serve`]).
#[derive(Clone)]
pub(crate) struct KernelServer {
    pub(crate) chain: Arc<dyn Chain>,
    pub(crate) mode: ModeCell,
    pub(crate) version: String,
    pub(crate) metrics: Arc<Metrics>,
}

impl std::fmt::Debug for KernelServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KernelServer").field("chain", &self.chain.name()).finish_non_exhaustive()
    }
}

impl KernelServer {
    fn serve(&self, request: &Request) -> Response {
        let response =
            answer(self.chain.as_ref(), self.mode.get(), &self.version, None, request.clone());
        let result = if matches!(response, Response::Error(_)) { "error" } else { "ok" };
        let labels = [("command", request.command()), ("result", result)];
        self.metrics.inc("peerd_requests_served_total", &labels);
        response
    }
}

impl Server for KernelServer {
    fn answer_now(&self, request: &Request) -> Option<Response> {
        // The tip is in memory (`Chain::height` must be cheap).
        matches!(request, Request::Info | Request::Height).then(|| self.serve(request))
    }

    fn answer_blocking(&self, request: &Request) -> Option<Response> {
        let reads = matches!(
            request,
            Request::Info | Request::Height | Request::Digest(_) | Request::Block(_)
        );
        reads.then(|| self.serve(request))
    }
}

/// bitmarkd's reply text for a missing block or digest.
const NOT_FOUND: &str = "block not found";

/// The answer to one inbound request. Runs on a blocking thread (it reads the store).
///
/// `R` for another chain gets bitmarkd's `incorrect chain`; otherwise it is answered with
/// `me`, this node's registration (the kernel normally routes `R` to the peer handler, which
/// introduces a third peer; see `kernel/inbound.rs`). Gossip items are acknowledged; their
/// dispatch to handlers is not done here.
pub(crate) fn answer(
    chain: &dyn Chain,
    mode: Mode,
    version: &str,
    me: Option<&Registration>,
    request: Request,
) -> Response {
    let failed = |e: peerd_api::ChainError| Response::Error(e.to_string());
    match request {
        Request::Info => match chain.height() {
            Ok(height) => Response::Info(NodeInfo {
                version: version.to_owned(),
                chain: chain.name().to_owned(),
                normal: mode == Mode::Normal,
                height,
            }),
            Err(e) => failed(e),
        },
        Request::Height => chain.height().map_or_else(failed, Response::Height),
        Request::Digest(n) => match chain.digest(n) {
            Ok(Some(d)) => Response::Digest(d),
            Ok(None) => Response::Error(NOT_FOUND.into()),
            Err(e) => failed(e),
        },
        Request::Block(n) => match chain.block(n) {
            Ok(Some(b)) => Response::Block(b),
            Ok(None) => Response::Error(NOT_FOUND.into()),
            Err(e) => failed(e),
        },
        Request::Register(them) if them.chain != chain.name() => {
            Response::Error("incorrect chain".into())
        }
        Request::Register(_) => match me {
            Some(me) => Response::Register(me.clone()),
            None => Response::Error("registration unavailable".into()),
        },
        Request::Gossip(_) => Response::Ack,
    }
}

#[cfg(test)]
mod tests {
    use peerd_api::bytes::Bytes;
    use peerd_testkit::chain::ToyChain;

    use super::*;

    #[test]
    fn answers_from_the_chain_with_bitmarkd_texts() {
        let chain = ToyChain::build(5, 1);
        let me = Registration {
            chain: "toy".into(),
            public_key: Bytes::from_static(b"me"),
            listeners: Bytes::new(),
            timestamp: 9,
        };
        let ask = |r| answer(&chain, Mode::Normal, "v1", Some(&me), r);
        assert_eq!(ask(Request::Height), Response::Height(5));
        assert_eq!(ask(Request::Digest(1)), Response::Digest(chain.genesis_digest()));
        assert_eq!(ask(Request::Digest(6)), Response::Error("block not found".into()));
        assert_eq!(ask(Request::Block(1)), Response::Error("block not found".into()));
        assert_eq!(ask(Request::Block(5)), Response::Block(chain.block(5).unwrap().unwrap()));
        let Response::Info(info) = ask(Request::Info) else { panic!("not info") };
        assert!(info.normal && info.height == 5 && info.chain == "toy");
        let other = Registration { chain: "bitmark".into(), ..me.clone() };
        assert_eq!(ask(Request::Register(other)), Response::Error("incorrect chain".into()));
        assert_eq!(ask(Request::Register(me.clone())), Response::Register(me.clone()));
    }
}
