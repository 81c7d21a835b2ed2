//! Senders' clocks. What a sender reports is never refused for its clock: a time too far from when
//! Vigil received it is kept as the sender wrote it, flagged as a clock fault of that source, and
//! the receive time orders it instead — so a panel or camera system whose clock says 2036 cannot
//! put its alarm ahead of every real one, and one that says 1970 cannot hide it at the bottom.

/// Which way a sender's clock is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ClockFault {
    /// The sender's time is later than the receive time by more than the window allows.
    Ahead,
    /// The sender's time is earlier than the receive time by more than the window allows.
    Behind,
}

impl ClockFault {
    /// The name the store, the API and the console use (as serde writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            ClockFault::Ahead => "ahead",
            ClockFault::Behind => "behind",
        }
    }

    pub fn parse(text: &str) -> Option<ClockFault> {
        [ClockFault::Ahead, ClockFault::Behind].into_iter().find(|f| f.as_str() == text)
    }
}

/// How far a sender's time may be from the receive time and still be trusted to order its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockWindow {
    /// Milliseconds a sender may be ahead of the receiver (a report cannot come from the future,
    /// but clocks drift): 5 minutes by default.
    pub ahead_ms: i64,
    /// Milliseconds a report may be older than its receipt (a queue that was offline): 30 days.
    pub behind_ms: i64,
}

impl Default for ClockWindow {
    fn default() -> Self {
        ClockWindow { ahead_ms: 5 * 60 * 1000, behind_ms: 30 * 24 * 60 * 60 * 1000 }
    }
}

/// The time that orders a report and its clock fault, if any: the sender's own time when it is
/// inside the window (both edges included), else the receive time and the fault.
pub fn judge(sent: i64, received: i64, window: ClockWindow) -> (i64, Option<ClockFault>) {
    let skew = sent.saturating_sub(received);
    if skew > window.ahead_ms {
        (received, Some(ClockFault::Ahead))
    } else if skew < -window.behind_ms {
        (received, Some(ClockFault::Behind))
    } else {
        (sent, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const W: ClockWindow = ClockWindow { ahead_ms: 300_000, behind_ms: 2_592_000_000 };

    #[test]
    fn the_edges_are_inside_and_one_past_them_is_a_fault() {
        let now = 1_800_000_000_000;
        assert_eq!(judge(now + W.ahead_ms, now, W), (now + W.ahead_ms, None));
        assert_eq!(judge(now + W.ahead_ms + 1, now, W), (now, Some(ClockFault::Ahead)));
        assert_eq!(judge(now - W.behind_ms, now, W), (now - W.behind_ms, None));
        assert_eq!(judge(now - W.behind_ms - 1, now, W), (now, Some(ClockFault::Behind)));
        assert_eq!(judge(i64::MAX, now, W), (now, Some(ClockFault::Ahead)));
        assert_eq!(judge(i64::MIN, now, W), (now, Some(ClockFault::Behind)));
        assert_eq!(ClockWindow::default(), W);
    }

    proptest! {
        #[test]
        fn a_report_is_never_ordered_after_its_receipt_by_more_than_the_window(sent in any::<i64>(), received in 0i64..4_000_000_000_000) {
            let (at, fault) = judge(sent, received, W);
            prop_assert!(at <= received + W.ahead_ms && at >= received - W.behind_ms);
            prop_assert_eq!(fault.is_none(), at == sent);
        }
    }
}
