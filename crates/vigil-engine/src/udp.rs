//! DC-09 over UDP: one frame per datagram, answered to the address it came from once committed.

use std::net::SocketAddr;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::net::UdpSocket;
use tokio::sync::{watch, Semaphore};
use vigil_dc09::{find_frame, Scan, MAX_FRAME_LEN};

use crate::dc09::{handle, settle};
use crate::{EngineError, Shared};

/// Datagrams being committed at once; beyond this the socket's own buffer holds the rest.
const IN_FLIGHT: usize = 1024;

pub(crate) async fn serve(
    addr: &str,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), EngineError> {
    let socket =
        UdpSocket::bind(addr).await.map_err(|source| EngineError::Listen { addr: format!("udp {addr}"), source })?;
    let bound = socket.local_addr().map_err(|source| EngineError::Listen { addr: addr.to_owned(), source })?;
    let socket = Arc::new(socket);
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; MAX_FRAME_LEN + 64];
        loop {
            let received = tokio::select! {
                r = socket.recv_from(&mut buf) => r,
                _ = stop.changed() => return,
            };
            let Ok((n, peer)) = received else { continue };
            let datagram = buf[..n].to_vec();
            let Ok(permit) = slots.clone().acquire_owned().await else { return };
            let shared = shared.clone();
            let socket = socket.clone();
            tokio::spawn(async move {
                let start = datagram.iter().position(|b| *b == b'\n').unwrap_or(datagram.len());
                let frame = &datagram[start..];
                if start > 0 {
                    shared.stats.refuse("garbage");
                }
                if let Scan::Frame(len) = find_frame(frame) {
                    let outcome = handle(&shared, &frame[..len], "dc09-udp", peer, OffsetDateTime::now_utc());
                    let answer = settle(&shared, outcome).await;
                    if !answer.is_empty() {
                        let _ = socket.send_to(&answer, peer).await;
                    }
                } else if !frame.is_empty() {
                    // A datagram holding no whole frame: cut short or noise. Answer as for a bad frame.
                    let outcome = handle(&shared, frame, "dc09-udp", peer, OffsetDateTime::now_utc());
                    let answer = settle(&shared, outcome).await;
                    if !answer.is_empty() {
                        let _ = socket.send_to(&answer, peer).await;
                    }
                }
                drop(permit);
            });
        }
    });
    Ok((bound, task))
}
