//! A fault-injecting TCP proxy between a workstation and the server, for the sync fault tests and
//! benchmarks. It works on bytes, not HTTP, so what it does to a request it does whatever the
//! client's connection reuse: a partition closes every connection and refuses new ones; dropping
//! responses lets the request reach the server (which commits) and never lets the answer back;
//! duplication replays every byte the client sends on a second connection of its own; delay holds
//! each chunk back.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does to the traffic now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    /// The link is down: open connections are cut and new ones closed at once.
    Partition,
    /// Requests get through; answers are thrown away and the connection cut.
    DropResponses,
    /// Every request reaches the server twice.
    Duplicate,
    /// Every chunk, both ways, waits this long.
    Delay(Duration),
}

/// A running proxy: where clients connect, and the switch for its faults.
pub struct FaultProxy {
    pub addr: SocketAddr,
    fault: Arc<watch::Sender<Fault>>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let fault = Arc::new(watch::channel(Fault::Pass).0);
        let switch = fault.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let faults = switch.subscribe();
                tokio::spawn(async move {
                    let _ = relay(client, upstream, faults).await;
                });
            }
        });
        Ok(FaultProxy { addr, fault })
    }

    pub fn set(&self, fault: Fault) {
        self.fault.send_replace(fault);
    }

    pub fn fault(&self) -> Fault {
        *self.fault.borrow()
    }
}

async fn relay(mut client: TcpStream, upstream: SocketAddr, mut faults: watch::Receiver<Fault>) -> std::io::Result<()> {
    let fault = *faults.borrow_and_update();
    if fault == Fault::Partition {
        return Ok(());
    }
    let mut server = TcpStream::connect(upstream).await?;
    let mut twin = if fault == Fault::Duplicate { TcpStream::connect(upstream).await.ok() } else { None };
    let (mut from_client, mut from_server, mut from_twin) = ([0u8; 16384], [0u8; 16384], [0u8; 16384]);
    loop {
        let fault = *faults.borrow();
        let delay = match fault {
            Fault::Delay(d) => d,
            _ => Duration::ZERO,
        };
        tokio::select! {
            changed = faults.changed() => {
                if changed.is_err() || *faults.borrow() == Fault::Partition {
                    return Ok(());
                }
            }
            n = client.read(&mut from_client) => {
                let n = n?;
                if n == 0 {
                    return Ok(());
                }
                tokio::time::sleep(delay).await;
                server.write_all(&from_client[..n]).await?;
                if let Some(t) = twin.as_mut() {
                    let _ = t.write_all(&from_client[..n]).await;
                }
            }
            n = server.read(&mut from_server) => {
                let n = n?;
                if n == 0 {
                    return Ok(());
                }
                if fault == Fault::DropResponses {
                    // The server has answered, so it has committed: the client never hears.
                    return Ok(());
                }
                tokio::time::sleep(delay).await;
                client.write_all(&from_server[..n]).await?;
            }
            n = async {
                match twin.as_mut() {
                    Some(t) => t.read(&mut from_twin).await,
                    None => std::future::pending().await,
                }
            } => {
                // The twin's answers go nowhere; a closed twin is simply dropped.
                if n.map_or(true, |n| n == 0) {
                    twin = None;
                }
            }
        }
    }
}
