//! Requests from peers: checked here (CBOR, size, chain), answered by the kernel.

use libp2p::request_response::{InboundFailure, ResponseChannel};
use libp2p::PeerId;
use peerd_api::invalid_chain_text;
use peerd_api::{InboundRequest, Response, TransportEvent, MAX_MESSAGE_BYTES};
use tokio::sync::oneshot;

use super::Node;
use crate::codec::{too_large, Frame};
use crate::wire::{decode_request, encode_response};
use crate::{api_peer, UNANSWERED};

/// Inbound requests that may wait for the kernel at once; more are answered "busy".
const MAX_WAITING: usize = 1024;

/// The answer to an inbound request, back from its waiting task.
pub(crate) struct Answer {
    channel: ResponseChannel<Frame>,
    response: Response,
    peer: PeerId,
}

impl Node {
    /// A request arrived: refuse what is malformed or for another chain, pass the rest to
    /// the kernel and wait for its answer in a task of its own.
    pub(crate) fn inbound(&mut self, peer: PeerId, frame: Frame, channel: ResponseChannel<Frame>) {
        if !self.client_request(peer) {
            let response = Response::Error(peerd_api::Refused::PoolFull.to_string());
            return self.answered(Answer { channel, response, peer });
        }
        let (chain, request) = match decode_request(&frame.0) {
            Ok(decoded) => decoded,
            Err(error) => {
                tracing::warn!(%peer, %error, "undecodable libp2p request refused");
                self.misbehaved(peer, "undecodable request");
                let text = format!("invalid request: {error}");
                return self.answered(Answer { channel, response: Response::Error(text), peer });
            }
        };
        if chain != self.ctx.chain {
            tracing::debug!(%peer, %chain, "libp2p request for another chain refused");
            let response = Response::Error(invalid_chain_text(chain.as_bytes(), &self.ctx.chain));
            return self.answered(Answer { channel, response, peer });
        }
        let size = request.wire_size(&chain);
        if size > MAX_MESSAGE_BYTES {
            // As a ZeroMQ socket with MAXMSGSIZE: dropped unanswered.
            tracing::warn!(%peer, size, "oversized libp2p request refused");
            self.misbehaved(peer, "oversized request");
            return;
        }
        if self.answers.len() >= MAX_WAITING {
            tracing::warn!(%peer, "libp2p request refused: too many requests waiting");
            let response = Response::Error("node busy".into());
            return self.answered(Answer { channel, response, peer });
        }
        let events = self.ctx.events.clone();
        let stop = self.stop.clone();
        self.answers.spawn(async move {
            let (slot, answer) = oneshot::channel();
            let inbound = InboundRequest {
                transport: crate::TRANSPORT_NAME.to_owned(),
                peer: Some(api_peer(&peer)),
                request,
                reply: slot,
            };
            let response = tokio::select! {
                biased;
                () = stop.cancelled() => Response::Error(UNANSWERED.into()),
                sent = events.send(TransportEvent::Inbound(inbound)) => match sent {
                    Ok(()) => answer.await.unwrap_or_else(|_| Response::Error(UNANSWERED.into())),
                    Err(_) => Response::Error(UNANSWERED.into()),
                },
            };
            Answer { channel, response, peer }
        });
    }

    /// Sends an answer back on its stream.
    pub(crate) fn answered(&mut self, answer: Answer) {
        let Answer { channel, mut response, peer } = answer;
        let size = response.wire_size();
        if size > MAX_MESSAGE_BYTES {
            tracing::warn!(%peer, size, "libp2p reply too large; sending an error instead");
            response = Response::Error(format!(
                "reply of {size} bytes exceeds the limit of {MAX_MESSAGE_BYTES} bytes"
            ));
        }
        let frame = Frame(encode_response(response));
        if self.swarm.behaviour_mut().sync.send_response(channel, frame).is_err() {
            tracing::debug!(%peer, "libp2p reply not sent: the stream is gone");
        }
    }

    /// An inbound stream failed: oversized frames count against the peer.
    pub(crate) fn inbound_failed(&mut self, peer: PeerId, error: InboundFailure) {
        match &error {
            InboundFailure::Io(io) if too_large(io).is_some() => {
                tracing::warn!(%peer, %error, "oversized libp2p request refused");
                self.misbehaved(peer, "oversized request");
            }
            _ => tracing::debug!(%peer, %error, "libp2p inbound request failed"),
        }
    }
}
