//! The demo workstation's built-in simulator: the demo cameras' snapshots on loopback, and now and
//! then an alarm from one of the demo hospital's buttons, sent over DC-09 to the engine's own
//! receiver exactly as a panel would. Started only on request (`VIGIL_DEMO=1`), never on a real site.

use std::net::SocketAddr;
use std::time::Duration;

use rand::seq::SliceRandom;
use rand::Rng;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vigil_dc09::{find_frame, Frame, Scan};

/// Where the demo hospital's cameras fetch their snapshots (`vigil_demo::DEMO_SNAPSHOTS`).
pub const SNAPSHOT_ADDR: &str = "127.0.0.1:8791";
/// The first demo alarm comes this long after start; the next ones at random in the range after.
const FIRST_ALARM: Duration = Duration::from_secs(20);
const BETWEEN_ALARMS_S: std::ops::Range<u64> = 120..300;

/// Contact ID events the simulator sends, most often a panic button.
const EVENTS: [u16; 6] = [120, 120, 120, 130, 130, 301];

impl crate::Engine {
    /// Starts the demo simulator beside the engine: snapshots, and alarms to its own TCP receiver,
    /// every 2 to 5 minutes, or every `alarm_every` (a busy shift compressed, for the soak benchmark
    /// and for showing the console under load).
    pub async fn start_demo_simulator(&mut self, alarm_every: Option<Duration>) -> Result<(), crate::EngineError> {
        match crate::snapshots::serve(SNAPSHOT_ADDR).await {
            Ok((_, task)) => self.tasks.push(task),
            // Another demo console or `vigil sim --snapshots` already serves them: fine.
            Err(e) => eprintln!("vigil-engine: demo snapshots not served here: {e}"),
        }
        // The demo guards walk their rounds: their check-ins arrive as they come due.
        let ws = self.shared.workstation.clone();
        let mut patrol_stop = self.stop.subscribe();
        self.tasks.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(20)) => {}
                    _ = patrol_stop.changed() => return,
                }
                let ws = ws.clone();
                let now = vigil_store::Store::now_ms();
                if let Ok(Err(e)) = tokio::task::spawn_blocking(move || ws.demo_patrol_tick(now)).await {
                    eprintln!("vigil-engine: the demo guards' check-ins were not stored: {e}");
                }
            }
        }));
        let Some(receiver) = self.dc09_tcp else { return Ok(()) };
        // The demo's buttons as the devices table maps them now (read here, not at every start).
        let mut points: Vec<(String, u32)> =
            self.shared.workstation.with_store(|s| s.dc09_addresses())?.into_iter().map(|(a, z, _)| (a, z)).collect();
        points.sort();
        let mut stop = self.stop.subscribe();
        self.tasks.push(tokio::spawn(async move {
            let mut wait = alarm_every.unwrap_or(FIRST_ALARM);
            let mut sequence: u16 = 1;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => return,
                }
                let chosen = {
                    let mut rng = rand::thread_rng();
                    points.choose(&mut rng).cloned().zip(EVENTS.choose(&mut rng).copied())
                };
                if let Some(((account, zone), event)) = chosen {
                    if let Err(e) = send(receiver, &account, zone, event, sequence).await {
                        eprintln!("vigil-engine: the demo alarm was not taken: {e}");
                    }
                    sequence = sequence % 9999 + 1;
                }
                wait =
                    alarm_every.unwrap_or_else(|| Duration::from_secs(rand::thread_rng().gen_range(BETWEEN_ALARMS_S)));
            }
        }));
        Ok(())
    }
}

async fn send(receiver: SocketAddr, account: &str, zone: u32, event: u16, sequence: u16) -> std::io::Result<()> {
    let frame = Frame::contact_id(account, sequence, event, zone, OffsetDateTime::now_utc());
    let mut stream = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(receiver)).await??;
    stream.write_all(&frame.encode(None, b"")).await?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 256];
    while !matches!(find_frame(&buf), Scan::Frame(_)) {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk)).await??;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_simulator_serves_snapshots_where_the_demo_cameras_look() {
        assert_eq!(vigil_demo::DEMO_SNAPSHOTS, format!("http://{}/snapshot", super::SNAPSHOT_ADDR));
    }
}
