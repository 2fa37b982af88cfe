//! The byte stream under a session: opening it for each kind of [`ConsoleTarget`], and the
//! metering wrapper vnc-rs reads through, which
//! - bounds how much vnc-rs can buffer (its network task queues up to 4096 reads),
//! - records how the stream ended (EOF or I/O error: vnc-rs reports neither),
//! - watches the VncAuth result word (vnc-rs reports a rejected password on RFB 3.8 only as a
//!   generic error carrying the server's reason),
//! - writes Latin-1 ClientCutText messages between vnc-rs's own messages (vnc-rs can only send
//!   UTF-8 bytes).

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::error::SessionError;
use super::ssh::SshChannel;
use super::target::ConsoleTarget;

/// Any bidirectional byte stream a session can run over (sockets, pipes, in-memory duplexes).
pub trait ConsoleIo: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static> ConsoleIo for T {}

/// vnc-rs's network task keeps up to this many reads queued for its decoder.
const VNC_RS_QUEUED_READS: usize = 4096;

/// An opened stream plus whatever must live as long as it (an SSH channel process).
pub(crate) struct Transport {
    pub io: Box<dyn ConsoleIo>,
    pub channel: Option<SshChannel>,
}

/// Opens the stream to the display. `connect_timeout` bounds TCP connects and SSH set-up.
pub(crate) async fn open(
    target: ConsoleTarget,
    connect_timeout: Duration,
) -> Result<Transport, SessionError> {
    match target {
        ConsoleTarget::Fd(fd) => {
            let std_stream = std::os::unix::net::UnixStream::from(fd);
            std_stream.set_nonblocking(true).map_err(io_error)?;
            let stream = tokio::net::UnixStream::from_std(std_stream).map_err(io_error)?;
            Ok(Transport {
                io: Box::new(stream),
                channel: None,
            })
        }
        ConsoleTarget::Tcp { host, port } => {
            let stream = connect_tcp(&host, port, connect_timeout).await?;
            Ok(Transport {
                io: Box::new(stream),
                channel: None,
            })
        }
        ConsoleTarget::Ssh {
            pool,
            via,
            host,
            port,
        } => {
            let (channel, stream) = pool
                .open_channel(&via, &host, port, connect_timeout)
                .await?;
            Ok(Transport {
                io: Box::new(stream),
                channel: Some(channel),
            })
        }
        ConsoleTarget::Io(io) => Ok(Transport { io, channel: None }),
    }
}

fn io_error(error: io::Error) -> SessionError {
    SessionError::Io {
        detail: error.to_string(),
    }
}

/// Formats host and port as people write them (`[::1]:5900` for IPv6).
pub(crate) fn display_address(host: &str, port: u16) -> String {
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => SocketAddr::new(IpAddr::V6(v6), port).to_string(),
        _ => format!("{host}:{port}"),
    }
}

async fn connect_tcp(
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<tokio::net::TcpStream, SessionError> {
    let address = display_address(host, port);
    let connect = tokio::net::TcpStream::connect((host, port));
    let stream = match tokio::time::timeout(timeout, connect).await {
        Err(_) => {
            return Err(SessionError::ConnectTimeout {
                address,
                seconds: timeout.as_secs().max(1),
            });
        }
        Ok(Err(error)) => {
            return Err(SessionError::Connect {
                address,
                detail: error.to_string(),
            });
        }
        Ok(Ok(stream)) => stream,
    };
    // Pointer and key events are tiny and latency-bound.
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// How the server's side of the stream ended, as seen below vnc-rs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StreamEnd {
    Eof,
    Error(String),
}

#[derive(Debug, Default)]
struct AuthTap {
    /// Bytes read when the password was handed to vnc-rs: the 16-byte challenge follows, then
    /// the 4-byte SecurityResult.
    armed_at: Option<u64>,
    word: [u8; 4],
    seen: usize,
}

/// Counters and observations shared between the metered stream and its session.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    end: Mutex<Option<StreamEnd>>,
    tap_armed: AtomicBool,
    tap: Mutex<AuthTap>,
    injections_pending: AtomicBool,
    injections: Mutex<VecDeque<Vec<u8>>>,
}

impl Meter {
    pub(crate) fn bytes_in(&self) -> u64 {
        self.bytes_in.load(Ordering::Relaxed)
    }

    pub(crate) fn bytes_out(&self) -> u64 {
        self.bytes_out.load(Ordering::Relaxed)
    }

    pub(crate) fn end(&self) -> Option<StreamEnd> {
        self.end
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_end(&self, end: StreamEnd) {
        let mut slot = self.end.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(end);
        }
    }

    /// Call right before handing the VncAuth password to vnc-rs (which then reads the
    /// challenge): from here on the stream watches for the SecurityResult word.
    pub(crate) fn arm_auth_tap(&self) {
        let mut tap = self.tap.lock().unwrap_or_else(PoisonError::into_inner);
        tap.armed_at = Some(self.bytes_in());
        self.tap_armed.store(true, Ordering::Release);
    }

    /// The SecurityResult that followed the password, once all four bytes were read.
    pub(crate) fn security_result(&self) -> Option<u32> {
        let tap = self.tap.lock().unwrap_or_else(PoisonError::into_inner);
        (tap.armed_at.is_some() && tap.seen == 4).then(|| u32::from_be_bytes(tap.word))
    }

    fn observe_read(&self, offset: u64, bytes: &[u8]) {
        if !self.tap_armed.load(Ordering::Acquire) {
            return;
        }
        let mut tap = self.tap.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(armed_at) = tap.armed_at else {
            return;
        };
        let window = armed_at + 16..armed_at + 20;
        for (i, byte) in bytes.iter().enumerate() {
            let at = offset + i as u64;
            if window.contains(&at) {
                tap.word[(at - window.start) as usize] = *byte;
                tap.seen += 1;
            }
        }
        if offset + bytes.len() as u64 >= window.end {
            self.tap_armed.store(false, Ordering::Release);
        }
    }

    /// Queues a complete client message to be written at the next message boundary of vnc-rs
    /// (the caller then makes vnc-rs write something, e.g. an update request).
    pub(crate) fn inject(&self, message: Vec<u8>) {
        self.injections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(message);
        self.injections_pending.store(true, Ordering::Release);
    }

    fn next_injection(&self) -> Option<Vec<u8>> {
        if !self.injections_pending.load(Ordering::Acquire) {
            return None;
        }
        let mut queue = self
            .injections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let next = queue.pop_front();
        if queue.is_empty() {
            self.injections_pending.store(false, Ordering::Release);
        }
        next
    }
}

/// The stream handed to vnc-rs.
pub(crate) struct MeteredStream {
    io: Box<dyn ConsoleIo>,
    meter: Arc<Meter>,
    read_chunk: usize,
    /// An injected message being written, and how much of it is out.
    injecting: Option<(Vec<u8>, usize)>,
    /// vnc-rs writes each message with one `write_all`; a short write means it is in the middle
    /// of one, so nothing may be injected until the rest is out.
    mid_message: bool,
}

impl MeteredStream {
    /// Wraps `io`; vnc-rs will be able to buffer at most about `max_buffered` bytes.
    pub(crate) fn new(io: Box<dyn ConsoleIo>, meter: Arc<Meter>, max_buffered: usize) -> Self {
        MeteredStream {
            io,
            meter,
            read_chunk: (max_buffered / VNC_RS_QUEUED_READS).clamp(512, 65_535),
            injecting: None,
            mid_message: false,
        }
    }

    fn poll_injections(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if self.injecting.is_none() {
                match self.meter.next_injection() {
                    Some(message) => self.injecting = Some((message, 0)),
                    None => return Poll::Ready(Ok(())),
                }
            }
            let Some((message, written)) = self.injecting.as_mut() else {
                continue;
            };
            while *written < message.len() {
                let n = match Pin::new(&mut self.io).poll_write(cx, &message[*written..]) {
                    Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                    Poll::Ready(Ok(n)) => n,
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => return Poll::Pending,
                };
                *written += n;
                self.meter.bytes_out.fetch_add(n as u64, Ordering::Relaxed);
            }
            self.injecting = None;
        }
    }
}

impl AsyncRead for MeteredStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let limit = buf.remaining().min(this.read_chunk);
        let mut limited = ReadBuf::new(buf.initialize_unfilled_to(limit));
        match Pin::new(&mut this.io).poll_read(cx, &mut limited) {
            Poll::Ready(Ok(())) => {
                let read = limited.filled();
                let n = read.len();
                if n == 0 {
                    this.meter.set_end(StreamEnd::Eof);
                } else {
                    let offset = this.meter.bytes_in.fetch_add(n as u64, Ordering::Relaxed);
                    this.meter.observe_read(offset, read);
                }
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => {
                this.meter.set_end(StreamEnd::Error(error.to_string()));
                Poll::Ready(Err(error))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for MeteredStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.mid_message {
            match this.poll_injections(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => {
                    this.meter.set_end(StreamEnd::Error(error.to_string()));
                    return Poll::Ready(Err(error));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        match Pin::new(&mut this.io).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                this.mid_message = n < buf.len();
                this.meter.bytes_out.fetch_add(n as u64, Ordering::Relaxed);
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(error)) => {
                this.meter.set_end(StreamEnd::Error(error.to_string()));
                Poll::Ready(Err(error))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn reads_are_chunked_counted_and_eof_recorded() {
        let (client, mut server) = tokio::io::duplex(1 << 20);
        let meter = Arc::new(Meter::default());
        let mut stream = MeteredStream::new(Box::new(client), Arc::clone(&meter), 4096 * 1000);
        server.write_all(&[7u8; 5000]).await.unwrap();
        let mut buffer = [0u8; 65_535];
        let n = stream.read(&mut buffer).await.unwrap();
        assert_eq!(n, 1000, "one read returns at most the chunk");
        drop(server);
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest.len(), 4000);
        assert_eq!(meter.bytes_in(), 5000);
        assert_eq!(meter.end(), Some(StreamEnd::Eof));
    }

    #[tokio::test]
    async fn auth_tap_reads_the_word_after_the_challenge() {
        let (client, mut server) = tokio::io::duplex(1024);
        let meter = Arc::new(Meter::default());
        let mut stream = MeteredStream::new(Box::new(client), Arc::clone(&meter), 1 << 20);
        server.write_all(&[1, 2]).await.unwrap();
        let mut two = [0u8; 2];
        stream.read_exact(&mut two).await.unwrap();
        meter.arm_auth_tap();
        let mut wire = vec![0xAAu8; 16];
        wire.extend_from_slice(&1u32.to_be_bytes());
        wire.extend_from_slice(b"xyz");
        server.write_all(&wire).await.unwrap();
        let mut got = vec![0u8; wire.len()];
        for chunk in got.chunks_mut(3) {
            stream.read_exact(chunk).await.unwrap();
        }
        assert_eq!(meter.security_result(), Some(1));
    }

    #[tokio::test]
    async fn injected_messages_go_between_whole_messages() {
        let (client, mut server) = tokio::io::duplex(1024);
        let meter = Arc::new(Meter::default());
        let mut stream = MeteredStream::new(Box::new(client), Arc::clone(&meter), 1 << 20);
        stream.write_all(b"first").await.unwrap();
        meter.inject(b"[injected]".to_vec());
        stream.write_all(b"second").await.unwrap();
        drop(stream);
        let mut wire = Vec::new();
        server.read_to_end(&mut wire).await.unwrap();
        assert_eq!(wire, b"first[injected]second");
        assert_eq!(meter.bytes_out(), wire.len() as u64);
    }

    #[test]
    fn ipv6_addresses_get_brackets() {
        assert_eq!(display_address("::1", 5900), "[::1]:5900");
        assert_eq!(display_address("example.org", 5901), "example.org:5901");
    }
}
