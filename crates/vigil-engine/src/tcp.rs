//! DC-09 over TCP: connections kept open, several frames in one read, one frame over many reads,
//! with limits on buffer, idle time, time to finish a frame, and the number of connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use vigil_dc09::{duh, find_frame, Scan, MAX_FRAME_LEN};

use crate::dc09::{handle, settle};
use crate::{EngineError, Shared, Stats};

/// A frame that has started must be complete within this time (a sender dribbling one byte a
/// second is cut off; its partial frame was never acknowledged).
const FRAME_DEADLINE: Duration = Duration::from_secs(30);

pub(crate) async fn serve(
    addr: &str,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), EngineError> {
    let listener =
        TcpListener::bind(addr).await.map_err(|source| EngineError::Listen { addr: format!("tcp {addr}"), source })?;
    let bound = listener.local_addr().map_err(|source| EngineError::Listen { addr: addr.to_owned(), source })?;
    let slots = Arc::new(Semaphore::new(shared.settings().dc09.max_connections.max(1)));
    let task = tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = stop.changed() => return,
            };
            let Ok((stream, peer)) = accepted else { continue };
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                // Over the limit: close at once rather than let a flood starve the panels already connected.
                Stats::bump(&shared.stats.connections_refused);
                drop(stream);
                continue;
            };
            let shared = shared.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                Stats::bump(&shared.stats.connections_open);
                connection(stream, peer, &shared, stop).await;
                shared.stats.connections_open.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                drop(permit);
            });
        }
    });
    Ok((bound, task))
}

async fn connection(mut stream: TcpStream, peer: SocketAddr, shared: &Shared, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let idle = Duration::from_secs(shared.settings().dc09.idle_seconds.max(1));
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = vec![0u8; 8192];
    let mut frame_started: Option<Instant> = None;
    loop {
        // Answer every whole frame already buffered, in order.
        loop {
            match find_frame(&buf) {
                Scan::Frame(n) => {
                    let bytes: Vec<u8> = buf.drain(..n).collect();
                    frame_started = None;
                    let outcome = handle(shared, &bytes, "dc09-tcp", peer, OffsetDateTime::now_utc());
                    let answer = settle(shared, outcome).await;
                    if !answer.is_empty() && stream.write_all(&answer).await.is_err() {
                        return;
                    }
                }
                Scan::Garbage(n) => {
                    buf.drain(..n);
                    shared.stats.refuse("garbage");
                }
                Scan::Incomplete => break,
            }
        }
        if buf.len() > MAX_FRAME_LEN {
            shared.stats.refuse("too_long");
            let _ = stream.write_all(duh(None).bytes()).await;
            return;
        }
        if !buf.is_empty() && frame_started.is_none() {
            frame_started = Some(Instant::now());
        }
        let wait = match frame_started {
            Some(started) => FRAME_DEADLINE.saturating_sub(started.elapsed()).min(idle),
            None => idle,
        };
        let read = tokio::select! {
            r = tokio::time::timeout(wait, stream.read(&mut chunk)) => r,
            _ = stop.changed() => return,
        };
        match read {
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => {
                if frame_started.is_some() {
                    shared.stats.refuse("frame_timeout");
                }
                return;
            }
        }
    }
}
