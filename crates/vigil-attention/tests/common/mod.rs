//! A private D-Bus session bus for the notification tests, and waiting for something to happen.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A bus that starts nothing by itself: with no service directories, a name nobody owns stays
/// unowned, so a notification daemon installed on the machine cannot answer in the test's place.
const CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

/// A private `dbus-daemon`, stopped when dropped (also when the test fails).
pub struct Bus {
    daemon: Child,
    /// What `DBUS_SESSION_BUS_ADDRESS` must say to reach it.
    pub address: String,
}

impl Bus {
    pub fn start() -> Bus {
        let config = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("vigil-attention-bus-{}.conf", std::process::id()));
        std::fs::write(&config, CONFIG).expect("write the bus configuration");
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start dbus-daemon ({e}): this test needs it; install the Debian package `dbus` \
                     (apt-get install dbus; scripts/setup.sh does)"
                )
            });
        let mut line = String::new();
        let stdout = daemon.stdout.take().expect("dbus-daemon's stdout");
        BufReader::new(stdout).read_line(&mut line).expect("the bus address");
        // The daemon has read its configuration once it prints its address.
        let _ = std::fs::remove_file(&config);
        let address = line.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon printed no address: {line:?}");
        Bus { daemon, address }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// Polls `done` every 20 ms until it holds or `timeout` has passed; says whether it held.
pub fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}
