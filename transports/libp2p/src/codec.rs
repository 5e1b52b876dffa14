//! Framing on a request-response stream: a big-endian `u32` length, then that many bytes of
//! CBOR. Lengths above [`MAX_FRAME_BYTES`] are refused before anything is read or allocated.
//!
//! The codec moves opaque frames; the swarm loop encodes and decodes them (`wire.rs`), so that
//! an undecodable request can still be answered with an error text.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::request_response;
use libp2p::StreamProtocol;
use peerd_api::TransportMeters;

use crate::wire::MAX_FRAME_BYTES;

/// One encoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame(pub(crate) Vec<u8>);

/// A frame whose announced length exceeds the limit; carried inside an [`io::Error`] so
/// that the swarm loop can report `TooLarge`.
#[derive(Debug, thiserror::Error)]
#[error("frame of {size} bytes exceeds the limit of {max} bytes")]
pub(crate) struct FrameTooLarge {
    pub(crate) size: usize,
    pub(crate) max: usize,
}

/// The codec of `/peerd/<chain>/sync/1` (and of the chain-check protocol `/peerd/sync/1`).
/// It counts the bytes of every frame it reads and writes in the transport's meters.
#[derive(Debug, Clone, Default)]
pub(crate) struct SyncCodec {
    pub(crate) meters: TransportMeters,
}

/// Bytes of a frame on the wire: its length prefix and body.
fn wire_len(frame: &Frame) -> u64 {
    u64::try_from(frame.0.len()).unwrap_or(u64::MAX).saturating_add(4)
}

impl SyncCodec {
    async fn read<T: AsyncRead + Unpin + Send>(&self, io: &mut T) -> io::Result<Frame> {
        let frame = read_frame(io).await?;
        self.meters.bytes_in.inc_by(wire_len(&frame));
        Ok(frame)
    }

    async fn write<T: AsyncWrite + Unpin + Send>(
        &self,
        io: &mut T,
        frame: Frame,
    ) -> io::Result<()> {
        let len = wire_len(&frame);
        write_frame(io, frame).await?;
        self.meters.bytes_out.inc_by(len);
        Ok(())
    }
}

async fn read_frame<T: AsyncRead + Unpin + Send>(io: &mut T) -> io::Result<Frame> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let size = u32::from_be_bytes(len) as usize;
    if size > MAX_FRAME_BYTES {
        let error = FrameTooLarge { size, max: MAX_FRAME_BYTES };
        return Err(io::Error::new(io::ErrorKind::InvalidData, error));
    }
    let mut body = vec![0u8; size];
    io.read_exact(&mut body).await?;
    Ok(Frame(body))
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(io: &mut T, frame: Frame) -> io::Result<()> {
    let size = frame.0.len();
    let len = match u32::try_from(size) {
        Ok(len) if size <= MAX_FRAME_BYTES => len,
        _ => {
            let error = FrameTooLarge { size, max: MAX_FRAME_BYTES };
            return Err(io::Error::new(io::ErrorKind::InvalidInput, error));
        }
    };
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(&frame.0).await?;
    io.flush().await
}

impl request_response::Codec for SyncCodec {
    type Protocol = StreamProtocol;
    type Request = Frame;
    type Response = Frame;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Frame>
    where
        T: AsyncRead + Unpin + Send,
    {
        self.read(io).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Frame>
    where
        T: AsyncRead + Unpin + Send,
    {
        self.read(io).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        frame: Frame,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        self.write(io, frame).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        frame: Frame,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        self.write(io, frame).await
    }
}

/// The size and limit if `error` is (or wraps) a [`FrameTooLarge`].
pub(crate) fn too_large(error: &io::Error) -> Option<(usize, usize)> {
    error.get_ref()?.downcast_ref::<FrameTooLarge>().map(|e| (e.size, e.max))
}

#[cfg(test)]
mod tests {
    use futures::io::Cursor;

    use super::*;

    #[tokio::test]
    async fn frames_round_trip_and_oversized_lengths_are_refused_unread() {
        let mut buf = Cursor::new(Vec::new());
        write_frame(&mut buf, Frame(b"hello".to_vec())).await.unwrap();
        assert_eq!(buf.get_ref()[..4], [0, 0, 0, 5]);
        buf.set_position(0);
        assert_eq!(read_frame(&mut buf).await.unwrap(), Frame(b"hello".to_vec()));

        let huge = u32::try_from(MAX_FRAME_BYTES + 1).unwrap().to_be_bytes();
        let mut lying = Cursor::new(huge.to_vec());
        let error = read_frame(&mut lying).await.unwrap_err();
        assert_eq!(too_large(&error), Some((MAX_FRAME_BYTES + 1, MAX_FRAME_BYTES)));

        let mut short = Cursor::new(vec![0, 0, 0, 9, 1, 2]);
        let error = read_frame(&mut short).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(too_large(&error), None);

        let mut sink = Cursor::new(Vec::new());
        let error = write_frame(&mut sink, Frame(vec![0; MAX_FRAME_BYTES + 1])).await.unwrap_err();
        assert!(too_large(&error).is_some());
        assert!(sink.get_ref().is_empty(), "nothing is written for an oversized frame");
    }
}
