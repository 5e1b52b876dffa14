//! Transport events: connections, inbound requests and gossip.
//!
//! - `I N H B` are answered from the chain (`kernel/serve.rs`) on a blocking thread.
//! - `R` with the right chain goes to the `peer` handler's [`peerd_api::Handler::on_registration`]
//!   (it records the registrant and picks a peer of the same transport to introduce);
//!   without such a handler, or when it knows nobody, the node introduces itself on that
//!   transport (bitmarkd fails with `invalid public key` then, protocol §2.6).
//! - Gossip (a pushed request or a gossipsub message) is deduplicated against recently
//!   relayed items, mode-gated (`block assets issues transfer proof` are ignored while
//!   resynchronising, protocol §4.2) and queued for its handler; unknown kinds are
//!   acknowledged and counted, as bitmarkd answers `[cmd, "A"]` to anything.

use std::sync::Arc;

use peerd_api::{
    DialTarget, InboundRequest, Item, Mode, NodeEvent, Origin, PeerId, Registration, Request,
    Response, TransportCommand, TransportEvent,
};
use tokio::sync::oneshot;

use super::dispatch::Job;
use super::serve;
use super::shell::Shell;
use crate::connector::Event;

/// The answer to an `R` whose key is not its connection's (bitmarkd's text for a bad key).
const REGISTRATION_KEY_MISMATCH: &str = "invalid public key";
/// The answer to any request from a peer the kernel has banned (peerd's; bitmarkd bans nobody).
const BANNED: &str = "banned";

/// How an inbound request is answered.
enum RequestKind {
    /// From the chain's in-memory tip: on the kernel's thread.
    Cheap,
    /// From the store: on the blocking pool.
    Store,
}

impl Shell<'_> {
    /// Hands every transport the kernel's read-only answers (see [`serve::KernelServer`]);
    /// transports that can use them answer `I N H B` without the kernel's loop.
    pub(super) fn offer_server(&self) {
        if self.kernel.inline {
            return; // simulations keep every request on the kernel's ordered path
        }
        let server = Arc::new(serve::KernelServer {
            chain: self.kernel.chain.clone(),
            mode: self.kernel.mode.clone(),
            version: self.kernel.version.clone(),
            metrics: self.links.metrics.clone(),
        });
        for transport in self.transports {
            let _ = transport.commands.try_send(TransportCommand::Serve(server.clone()));
        }
    }

    pub(super) async fn transport_event(&mut self, event: TransportEvent) {
        match event {
            TransportEvent::Connected { peer, target } => self.connected(peer, target).await,
            TransportEvent::Disconnected { peer } => {
                if let Some(route) = self.routes.remove(&peer) {
                    route.cancel.cancel();
                }
                self.feed(Event::Lost { peer }).await;
            }
            TransportEvent::Inbound(inbound) => self.inbound(inbound),
            TransportEvent::Gossip { transport, peer, item } => {
                self.gossip(transport, peer, item, None);
            }
            TransportEvent::DialFailed { target, failure, reason } => {
                self.dial_failed(target, failure.as_str(), &reason).await;
            }
            TransportEvent::Discovered(target) => self.discovered(target),
            TransportEvent::Listening(_) => {}
        }
    }

    /// A peer found by a transport's discovery goes to the peer layer, as a registration
    /// reply's introduction does; its rebalance, not the transport, decides whether to dial.
    fn discovered(&mut self, target: DialTarget) {
        if self.target_banned(&target) {
            return;
        }
        let peer = Registration {
            chain: self.kernel.chain.name().to_owned(),
            public_key: target.key,
            listeners: target.listeners,
            timestamp: self.kernel.clock.unix_now(),
        };
        let transport = target.transport;
        let _ = self.links.node_events.send(NodeEvent::PeerIntroduced { transport, peer });
    }

    fn inbound(&mut self, inbound: InboundRequest) {
        let InboundRequest { transport, peer, request, reply } = inbound;
        let metrics = self.links.metrics.clone();
        let served = move |command: &str, response: &Response| {
            let result = if matches!(response, Response::Error(_)) { "error" } else { "ok" };
            metrics.inc("peerd_requests_served_total", &[("command", command), ("result", result)]);
        };
        let index = self.transports.iter().position(|t| t.name == transport).unwrap_or(0);
        if peer.as_ref().is_some_and(|p| self.is_banned(p)) {
            // The transport was told (`TransportCommand::Ban`); this came before it acted.
            tracing::debug!(?peer, "request from a banned peer refused");
            let _ = reply.send(Response::Error(BANNED.into()));
            return;
        }
        match request {
            Request::Gossip(item) => self.gossip(transport, peer, item, Some(reply)),
            // A documented departure from bitmarkd, which cannot check it: an `R` must name
            // the key its connection proved (ZeroMQ's CURVE key from ZAP, the libp2p peer
            // id), so nobody can announce listeners under another node's key.
            Request::Register(them)
                if them.chain == self.kernel.chain.name()
                    && peer.as_ref().is_some_and(|p| p.as_bytes() != them.public_key.as_ref()) =>
            {
                let refusal = Response::Error(REGISTRATION_KEY_MISMATCH.into());
                served("R", &refusal);
                tracing::debug!(?peer, key = ?them.public_key, "registration under another key refused");
                let _ = reply.send(refusal);
            }
            Request::Register(them) if them.chain == self.kernel.chain.name() => {
                served("R", &Response::Ack);
                let me = self.registration(index);
                let job = Job::Register { transport, registrant: them, me: me.clone(), reply };
                let refused = self.links.dispatch.submit(&peerd_api::ItemKind::Peer, job);
                if let Err(job) = refused {
                    if let Job::Register { reply, .. } = *job {
                        let _ = reply.send(Response::Register(me));
                    }
                }
            }
            request => {
                // Only a registration needs our identity (built per request: it is stamped).
                let me = matches!(request, Request::Register(_)).then(|| self.registration(index));
                let request_kind = match request {
                    Request::Info | Request::Height => RequestKind::Cheap,
                    _ => RequestKind::Store,
                };
                let chain = self.kernel.chain.clone();
                let mode = self.kernel.mode.get();
                let version = self.kernel.version.clone();
                let answer = move || {
                    let command = request.command().to_owned();
                    let response =
                        serve::answer(chain.as_ref(), mode, &version, me.as_ref(), request);
                    served(&command, &response);
                    let _ = reply.send(response);
                };
                // `I` and `N` read the tip, which the chain keeps in memory (the contract's
                // fast calls): answered on the spot. `H` and `B` read the store.
                let cheap = matches!(request_kind, RequestKind::Cheap);
                if self.kernel.inline || cheap {
                    answer();
                } else {
                    tokio::task::spawn_blocking(answer);
                }
            }
        }
    }

    /// A gossip item from a peer; `reply` is its acknowledgement slot, if it waits for one.
    fn gossip(
        &mut self,
        transport: String,
        peer: Option<PeerId>,
        item: Item,
        reply: Option<oneshot::Sender<Response>>,
    ) {
        let metrics = self.links.metrics.clone();
        let kind = item.kind.clone();
        let handled = self.links.dispatch.handles(&kind);
        // Kinds no handler takes share one label: a peer inventing kinds cannot grow the set.
        let label = if handled { kind.as_str() } else { "other" };
        metrics.inc("peerd_gossip_received_total", &[("transport", &transport), ("kind", label)]);
        let ignored = |reason: &str| {
            metrics.inc("peerd_gossip_ignored_total", &[("kind", label), ("reason", reason)]);
        };
        let ack = |reply: Option<oneshot::Sender<Response>>| {
            if let Some(reply) = reply {
                let _ = reply.send(Response::Ack);
            }
        };
        if self.recent.contains(&item) {
            ignored("duplicate");
            return ack(reply);
        }
        if kind.gated_by_mode() && self.kernel.mode.get() != Mode::Normal {
            ignored("resynchronising");
            return ack(reply);
        }
        if !handled {
            ignored("unknown_kind");
            tracing::debug!(%kind, %transport, "no handler for this item kind");
            return ack(reply);
        }
        let origin = Origin::Remote { transport, peer };
        let job = Job::Item { origin, item, reply, charge: None };
        if let Err(job) = self.links.dispatch.submit(&kind, job) {
            ignored("queue_full");
            if let Job::Item { reply, .. } = *job {
                ack(reply);
            }
        }
    }

    /// This node's registration on transport `index`.
    pub(super) fn registration(&self, index: usize) -> Registration {
        let handle = self.transports.get(index);
        Registration {
            chain: self.kernel.chain.name().to_owned(),
            public_key: handle.map(|t| t.local_id.as_bytes().to_vec().into()).unwrap_or_default(),
            listeners: handle.map(|t| t.listeners.clone()).unwrap_or_default(),
            timestamp: self.kernel.clock.unix_now(),
        }
    }
}
