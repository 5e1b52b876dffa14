//! The listening side: checks inbound requests and hands them to the kernel.

use peerd_api::{
    CancellationToken, InboundRequest, Request, Response, TransportEvent, MAX_MESSAGE_BYTES,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use peerd_api::invalid_chain_text;

use crate::wire::{Envelope, Parcel, Reply};
use crate::MemoryNet;

/// The error text sent when the kernel drops an inbound request's reply slot.
pub const UNANSWERED: &str = "request not answered";

/// The listener of one node.
#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) net: MemoryNet,
    pub(crate) name: String,
    pub(crate) chain: String,
    pub(crate) events: mpsc::Sender<TransportEvent>,
    /// Cancelled when the transport stops.
    pub(crate) stop: CancellationToken,
}

impl Server {
    /// Serves inbound requests until stopped. Requests are checked here (size, chain) and
    /// forwarded to the kernel in arrival order; each waits for its answer in its own task,
    /// so a slow answer to one requester does not hold up the others.
    pub(crate) async fn run(self, mut inbox: mpsc::Receiver<Envelope>) {
        let mut waiting = JoinSet::new();
        loop {
            tokio::select! {
                biased;
                _ = self.stop.cancelled() => break,
                Some(_) = waiting.join_next(), if !waiting.is_empty() => {}
                envelope = inbox.recv() => {
                    let Some(envelope) = envelope else { break };
                    if !self.handle(envelope, &mut waiting).await {
                        break;
                    }
                }
            }
        }
        waiting.abort_all();
        while waiting.join_next().await.is_some() {}
    }

    /// Handles one request; false if the transport stopped meanwhile.
    async fn handle(&self, envelope: Envelope, waiting: &mut JoinSet<()>) -> bool {
        let Envelope { from, chain, seq, request, size, reply_to } = envelope;
        if size > MAX_MESSAGE_BYTES {
            // A ZeroMQ socket with MAXMSGSIZE drops such a message; the requester times out.
            self.net.count_refused();
            tracing::warn!(from, size, "oversized memory request refused");
            return true;
        }
        if chain != self.chain {
            tracing::debug!(from, chain, "memory request for another chain refused");
            let response = Response::Error(invalid_chain_text(chain.as_bytes(), &self.chain));
            self.answer(&from, reply_to, seq, response);
            return true;
        }
        if let Request::Gossip(item) = &request {
            if self.net.take_gossip_loss(&self.name, item) {
                tracing::debug!(from, kind = %item.kind, "memory net lost a gossip item");
                self.answer(&from, reply_to, seq, Response::Ack);
                return true;
            }
        }
        let (slot, answer) = oneshot::channel();
        let peer = MemoryNet::peer_id(&from);
        let inbound = InboundRequest {
            transport: crate::TRANSPORT_NAME.to_owned(),
            peer: Some(peer),
            request,
            reply: slot,
        };
        let sent = tokio::select! {
            biased;
            _ = self.stop.cancelled() => return false,
            sent = self.events.send(TransportEvent::Inbound(inbound)) => sent,
        };
        if sent.is_err() {
            tracing::debug!(from, "memory request not forwarded: the kernel is gone");
        }
        let (net, name, stop) = (self.net.clone(), self.name.clone(), self.stop.clone());
        waiting.spawn(async move {
            let response = tokio::select! {
                biased;
                _ = stop.cancelled() => return,
                answer = answer => answer.unwrap_or_else(|_| Response::Error(UNANSWERED.to_owned())),
            };
            send_reply(&net, &name, &from, reply_to, seq, response);
        });
        true
    }

    fn answer(&self, to: &str, reply_to: mpsc::Sender<Reply>, seq: u64, response: Response) {
        send_reply(&self.net, &self.name, to, reply_to, seq, response);
    }
}

fn send_reply(
    net: &MemoryNet,
    from: &str,
    to: &str,
    reply_to: mpsc::Sender<Reply>,
    seq: u64,
    response: Response,
) {
    let reply = Reply { seq, size: response.wire_size(), response };
    net.transmit(from, to, Parcel::Reply { reply_to, reply });
}

#[cfg(test)]
mod tests {
    use peerd_api::CHANNEL_CAPACITY;
    use peerd_testkit::transport::within;

    use super::*;

    fn envelope(seq: u64, size: usize, reply_to: &mpsc::Sender<Reply>) -> Envelope {
        let request = Request::Height;
        let (from, chain) = ("client".to_owned(), "dev".to_owned());
        Envelope { from, chain, seq, request, size, reply_to: reply_to.clone() }
    }

    /// Starts a server for `dev`; returns its inbox, its events and a reply channel.
    fn server() -> (
        mpsc::Sender<Envelope>,
        mpsc::Receiver<TransportEvent>,
        mpsc::Sender<Reply>,
        mpsc::Receiver<Reply>,
        MemoryNet,
    ) {
        let net = MemoryNet::new(0);
        let (inbox, inbox_rx) = mpsc::channel(CHANNEL_CAPACITY);
        net.register("server", inbox.clone()).unwrap();
        let (events, events_rx) = mpsc::channel(CHANNEL_CAPACITY);
        let server = Server {
            net: net.clone(),
            name: "server".into(),
            chain: "dev".into(),
            events,
            stop: CancellationToken::new(),
        };
        tokio::spawn(server.run(inbox_rx));
        let (reply_to, replies) = mpsc::channel(8);
        (inbox, events_rx, reply_to, replies, net)
    }

    #[tokio::test(start_paused = true)]
    async fn oversized_inbound_requests_are_refused_and_traffic_goes_on() {
        let (inbox, mut events, reply_to, mut replies, net) = server();
        inbox.send(envelope(1, MAX_MESSAGE_BYTES + 1, &reply_to)).await.unwrap();
        inbox.send(envelope(2, 10, &reply_to)).await.unwrap();
        let Some(TransportEvent::Inbound(inbound)) = within("the request", events.recv()).await
        else {
            panic!("no inbound request")
        };
        assert_eq!(inbound.request, Request::Height);
        inbound.reply.send(Response::Height(5)).unwrap();
        let reply = within("the reply", replies.recv()).await.unwrap();
        assert_eq!((reply.seq, reply.response), (2, Response::Height(5)));
        assert!(replies.try_recv().is_err(), "the oversized request got no answer");
        assert_eq!(net.stats().refused, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn requests_are_answered_when_the_kernel_is_gone() {
        let (inbox, events, reply_to, mut replies, _net) = server();
        drop(events);
        inbox.send(envelope(7, 10, &reply_to)).await.unwrap();
        let reply = within("the reply", replies.recv()).await.unwrap();
        assert_eq!((reply.seq, reply.response), (7, Response::Error(UNANSWERED.into())));
    }
}
