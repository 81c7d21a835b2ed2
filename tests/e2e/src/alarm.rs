//! Sending one DC-09 alarm as a panel does and waiting for its ACK, for the incident tests and the
//! alarm-to-operator benchmark.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vigil_dc09::{find_frame, Frame, Keys, MessageId, Scan};

/// A Contact ID alarm (`event`, e.g. 120 panic) from `account` and `zone`, plain.
pub fn contact_id(account: &str, zone: u32, event: u16, sequence: u16) -> Vec<u8> {
    Frame::contact_id(account, sequence, event, zone, OffsetDateTime::now_utc()).encode(None, b"")
}

/// Writes `frame` on `stream` and reads the answer; fails unless it is an ACK.
pub async fn send_and_ack(stream: &mut TcpStream, frame: &[u8]) -> Result<()> {
    stream.write_all(frame).await?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        if let Scan::Frame(n) = find_frame(&buf) {
            let answer = Frame::decode(&buf[..n], &Keys::none()).context("the answer is a DC-09 frame")?;
            if answer.id != MessageId::Ack {
                bail!("the receiver answered {:?}, not ACK", answer.id);
            }
            return Ok(());
        }
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .context("no answer within 10 s")??;
        if n == 0 {
            bail!("the receiver closed the connection");
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Connects to the receiver.
pub async fn connect(addr: SocketAddr) -> Result<TcpStream> {
    TcpStream::connect(addr).await.with_context(|| format!("connect to the DC-09 receiver at {addr}"))
}
