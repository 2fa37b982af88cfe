//! A scriptable RFB 3.8 server for tests: it completes a real handshake over TCP (security
//! "None", 32-bit BGRx pixels), then writes whatever bytes the test hands it, well-formed or
//! hostile, while draining what the client sends.
#![allow(dead_code)]

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::net::tcp::OwnedWriteHalf;

/// Raw encoding number.
pub const RAW: i32 = 0;
pub const COPY_RECT: i32 = 1;
pub const TIGHT: i32 = 7;
pub const ZRLE: i32 = 16;
pub const CURSOR: i32 = -239;
pub const DESKTOP_SIZE: i32 = -223;

pub struct FakeServer {
    listener: TcpListener,
    pub port: u16,
}

/// One accepted client after the handshake.
pub struct ServerConn {
    writer: OwnedWriteHalf,
    /// Bytes the client sent after the handshake (drained in the background).
    pub client_bytes: tokio::sync::watch::Receiver<Vec<u8>>,
}

impl FakeServer {
    pub async fn bind() -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        FakeServer { listener, port }
    }

    /// Accepts one client and completes the handshake with a `width`×`height` desktop.
    pub async fn accept(&self, width: u16, height: u16) -> ServerConn {
        let (stream, _) = self.listener.accept().await.expect("accept");
        let (mut reader, mut writer) = stream.into_split();
        writer.write_all(b"RFB 003.008\n").await.expect("version");
        let mut version = [0u8; 12];
        reader
            .read_exact(&mut version)
            .await
            .expect("client version");
        assert_eq!(&version, b"RFB 003.008\n");
        writer.write_all(&[1, 1]).await.expect("security types");
        let chosen = reader.read_u8().await.expect("chosen security");
        assert_eq!(chosen, 1);
        writer
            .write_all(&0u32.to_be_bytes())
            .await
            .expect("security result");
        let _shared = reader.read_u8().await.expect("client init");
        let mut init = Vec::new();
        init.extend_from_slice(&width.to_be_bytes());
        init.extend_from_slice(&height.to_be_bytes());
        init.extend_from_slice(&[32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
        init.extend_from_slice(&4u32.to_be_bytes());
        init.extend_from_slice(b"fake");
        writer.write_all(&init).await.expect("server init");
        let (seen_tx, seen_rx) = tokio::sync::watch::channel(Vec::new());
        tokio::spawn(async move {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buffer).await {
                if n == 0 {
                    break;
                }
                seen_tx.send_modify(|seen| seen.extend_from_slice(&buffer[..n]));
            }
        });
        ServerConn {
            writer,
            client_bytes: seen_rx,
        }
    }
}

impl ServerConn {
    /// Writes bytes; a client that already hung up is not an error here.
    pub async fn send(&mut self, bytes: &[u8]) -> bool {
        self.writer.write_all(bytes).await.is_ok()
    }
}

/// FramebufferUpdate header for `rects` rectangles.
pub fn update(rects: u16) -> Vec<u8> {
    let mut out = vec![0, 0];
    out.extend_from_slice(&rects.to_be_bytes());
    out
}

/// A rectangle header.
pub fn rect(x: u16, y: u16, width: u16, height: u16, encoding: i32) -> Vec<u8> {
    let mut out = Vec::new();
    for value in [x, y, width, height] {
        out.extend_from_slice(&value.to_be_bytes());
    }
    out.extend_from_slice(&encoding.to_be_bytes());
    out
}

/// A whole Raw update of one rectangle filled with one BGRx colour.
pub fn raw_update(x: u16, y: u16, width: u16, height: u16, bgrx: [u8; 4]) -> Vec<u8> {
    let mut out = update(1);
    out.extend(rect(x, y, width, height, RAW));
    for _ in 0..usize::from(width) * usize::from(height) {
        out.extend_from_slice(&bgrx);
    }
    out
}

/// ServerCutText with a declared length and the bytes actually sent.
pub fn cut_text(declared: u32, text: &[u8]) -> Vec<u8> {
    let mut out = vec![3, 0, 0, 0];
    out.extend_from_slice(&declared.to_be_bytes());
    out.extend_from_slice(text);
    out
}

/// Tight's compact length (1–3 bytes).
pub fn compact_length(len: usize) -> Vec<u8> {
    let mut out = vec![(len & 0x7f) as u8];
    if len > 0x7f {
        out[0] |= 0x80;
        out.push(((len >> 7) & 0x7f) as u8);
        if len > 0x3fff {
            out[1] |= 0x80;
            out.push((len >> 14) as u8);
        }
    }
    out
}

/// A client-to-server message, as the fake server decodes what the session sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    SetPixelFormat,
    SetEncodings(Vec<i32>),
    UpdateRequest {
        incremental: bool,
        width: u16,
        height: u16,
    },
    Key {
        down: bool,
        keysym: u32,
    },
    Pointer {
        buttons: u8,
        x: u16,
        y: u16,
    },
    CutText(Vec<u8>),
    SetDesktopSize {
        width: u16,
        height: u16,
    },
}

/// Splits the bytes a client sent into messages; stops at an incomplete or unknown one.
pub fn client_messages(bytes: &[u8]) -> Vec<ClientMessage> {
    let u16_at = |at: usize| u16::from_be_bytes([bytes[at], bytes[at + 1]]);
    let u32_at =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = bytes.len() - at;
        let (message, len) = match bytes[at] {
            0 if rest >= 20 => (ClientMessage::SetPixelFormat, 20),
            2 if rest >= 4 => {
                let n = usize::from(u16_at(at + 2));
                if rest < 4 + 4 * n {
                    break;
                }
                let list = (0..n).map(|i| u32_at(at + 4 + 4 * i) as i32).collect();
                (ClientMessage::SetEncodings(list), 4 + 4 * n)
            }
            3 if rest >= 10 => (
                ClientMessage::UpdateRequest {
                    incremental: bytes[at + 1] != 0,
                    width: u16_at(at + 6),
                    height: u16_at(at + 8),
                },
                10,
            ),
            4 if rest >= 8 => (
                ClientMessage::Key {
                    down: bytes[at + 1] != 0,
                    keysym: u32_at(at + 4),
                },
                8,
            ),
            5 if rest >= 6 => (
                ClientMessage::Pointer {
                    buttons: bytes[at + 1],
                    x: u16_at(at + 2),
                    y: u16_at(at + 4),
                },
                6,
            ),
            6 if rest >= 8 => {
                let n = u32_at(at + 4) as usize;
                if rest < 8 + n {
                    break;
                }
                (
                    ClientMessage::CutText(bytes[at + 8..at + 8 + n].to_vec()),
                    8 + n,
                )
            }
            251 if rest >= 8 => {
                let screens = usize::from(bytes[at + 6]);
                if rest < 8 + 16 * screens {
                    break;
                }
                (
                    ClientMessage::SetDesktopSize {
                        width: u16_at(at + 2),
                        height: u16_at(at + 4),
                    },
                    8 + 16 * screens,
                )
            }
            _ => break,
        };
        out.push(message);
        at += len;
    }
    out
}

/// ExtendedDesktopSize rectangle announcing one screen (`reason` 0: server, 1: this client).
pub fn extended_desktop_size(reason: u16, status: u16, width: u16, height: u16) -> Vec<u8> {
    let mut out = update(1);
    out.extend(rect(reason, status, width, height, -308));
    out.extend_from_slice(&[1, 0, 0, 0]);
    out.extend_from_slice(&7u32.to_be_bytes());
    for value in [0u16, 0, width, height] {
        out.extend_from_slice(&value.to_be_bytes());
    }
    out.extend_from_slice(&0u32.to_be_bytes());
    out
}
