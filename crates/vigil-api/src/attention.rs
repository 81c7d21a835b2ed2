//! What the console does to get attention, decided from the open incidents: which siren sounds and
//! how loud, and which escalation notices (三级响应) go out. Pure decisions; the desktop shell plays
//! and sends them.

use std::collections::HashSet;

use vigil_domain::incident::{Escalation, IncidentState};
use vigil_domain::Id;

use crate::IncidentView;

/// The siren the open incidents ask for: the most urgent unacknowledged priority (1–3), and whether
/// it is loud because one of them waited past its acknowledgement time. None when all are answered.
pub fn siren_for(open: &[IncidentView]) -> Option<(u8, bool)> {
    let waiting = open.iter().filter(|i| i.state == IncidentState::New);
    let priority = waiting.clone().map(|i| i.priority).min()?;
    let loud = waiting.into_iter().any(|i| i.escalation != Escalation::None);
    Some((priority, loud))
}

/// One notice to send: to the operator for a new alarm, to the supervisor for an escalation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub incident: Id,
    /// "new", "unacknowledged" or "overdue".
    pub level: &'static str,
    pub summary: String,
    pub body: String,
    pub critical: bool,
}

/// Remembers which notices were sent, so each incident's new alarm and each of its escalation
/// levels is announced once.
#[derive(Debug, Default)]
pub struct NoticeBoard {
    sent: HashSet<(Id, &'static str)>,
}

fn type_name(alarm_type: &str, zh: bool) -> String {
    let (z, e) = match alarm_type {
        "panic" => ("一键报警", "Panic button"),
        "duress" => ("胁迫报警", "Duress"),
        "hold_up" => ("抢劫报警", "Hold-up"),
        "fire" => ("火警", "Fire"),
        "medical" => ("医疗求助", "Medical"),
        "burglary" => ("入侵报警", "Intrusion"),
        "tamper" => ("防拆报警", "Tamper"),
        "trouble" => ("设备故障", "Device fault"),
        "test" => ("测试", "Test"),
        other => return other.to_owned(),
    };
    (if zh { z } else { e }).to_owned()
}

fn place(i: &IncidentView, zh: bool) -> String {
    match &i.point {
        Some(p) => {
            let (building, name) =
                if zh { (&p.building_name.zh, &p.name.zh) } else { (&p.building_name.en, &p.name.en) };
            format!("{building} {} · {name} ({})", p.floor_short, p.code)
        }
        None => i.point_key.clone(),
    }
}

impl NoticeBoard {
    /// The notices `open` calls for now, in `language`, that were not sent before. Incidents no
    /// longer open are forgotten.
    pub fn due(&mut self, open: &[IncidentView], language: &str) -> Vec<Notice> {
        let zh = language.starts_with("zh");
        let ids: HashSet<Id> = open.iter().map(|i| i.id).collect();
        self.sent.retain(|(id, _)| ids.contains(id));
        let mut out = Vec::new();
        for i in open {
            let level: &'static str = match i.escalation {
                Escalation::Overdue => "overdue",
                Escalation::Unacknowledged => "unacknowledged",
                Escalation::None if i.state == IncidentState::New => "new",
                Escalation::None => continue,
            };
            if !self.sent.insert((i.id, level)) {
                continue;
            }
            // An incident first seen already escalated still counts as announced when new.
            self.sent.insert((i.id, "new"));
            let kind = type_name(&i.alarm_type, zh);
            let summary = match (level, zh) {
                ("new", true) => format!("P{} {kind}", i.priority),
                ("new", false) => format!("P{} {kind}", i.priority),
                ("unacknowledged", true) => format!("班长请注意：P{} {kind} 未及时确认", i.priority),
                ("unacknowledged", false) => format!("Supervisor: P{} {kind} not acknowledged", i.priority),
                (_, true) => format!("超时：P{} {kind} 5 分钟内无人到场，请联系警务室", i.priority),
                (_, false) => {
                    format!("Overdue: P{} {kind}, nobody on scene in 5 minutes: call the police post", i.priority)
                }
            };
            out.push(Notice {
                incident: i.id,
                level,
                summary,
                body: place(i, zh),
                critical: i.priority == 1 || level != "new",
            });
        }
        out
    }
}

/// How often the window hears of repeats and restores at most while signals pour in.
pub const REPEAT_NEWS_EVERY_MS: u64 = 250;

/// Paces the news the window hears. A change that opens an incident goes out at once (its row and
/// siren must not wait); repeats and restores folded into open incidents go out at most once per
/// [`REPEAT_NEWS_EVERY_MS`], gathered. A storm of 500 repeats a second into a few incidents then
/// costs the window four redraws a second instead of one per signal, and the receivers that share
/// its cores keep their pace; nothing is dropped, only gathered (and the window reloads the open
/// list every few seconds anyway).
#[derive(Debug, Default)]
pub struct NewsPacer {
    pending: Vec<vigil_store::IncidentChange>,
    last_sent_ms: Option<i64>,
}

impl NewsPacer {
    /// Takes `changes` arrived at `now_ms`; returns what to announce now, if anything.
    pub fn offer(
        &mut self,
        changes: Vec<vigil_store::IncidentChange>,
        now_ms: i64,
    ) -> Option<Vec<vigil_store::IncidentChange>> {
        let opens = changes.iter().any(|c| c.opened);
        self.pending.extend(changes);
        if self.pending.is_empty() {
            return None;
        }
        if opens || self.due_at().is_none_or(|at| now_ms >= at) {
            return self.take(now_ms);
        }
        None
    }

    /// When the gathered changes are due (None when nothing waits).
    pub fn due_at(&self) -> Option<i64> {
        if self.pending.is_empty() {
            return None;
        }
        Some(self.last_sent_ms.map_or(i64::MIN, |t| t + REPEAT_NEWS_EVERY_MS as i64))
    }

    /// What is due at `now_ms`, if anything.
    pub fn poll(&mut self, now_ms: i64) -> Option<Vec<vigil_store::IncidentChange>> {
        match self.due_at() {
            Some(at) if now_ms >= at => self.take(now_ms),
            _ => None,
        }
    }

    fn take(&mut self, now_ms: i64) -> Option<Vec<vigil_store::IncidentChange>> {
        self.last_sent_ms = Some(now_ms);
        Some(std::mem::take(&mut self.pending))
    }
}

#[cfg(test)]
mod pacer_tests {
    use super::*;
    use vigil_domain::incident::Priority;

    fn change(opened: bool) -> vigil_store::IncidentChange {
        vigil_store::IncidentChange {
            incident_id: uuid::Uuid::now_v7(),
            device_id: None,
            priority: Priority::from_level(1),
            opened,
            received_at: 0,
        }
    }

    #[test]
    fn a_new_incident_goes_out_at_once_and_repeats_are_gathered() {
        let mut pacer = NewsPacer::default();
        assert_eq!(pacer.offer(vec![change(false)], 1_000).map(|b| b.len()), Some(1), "the first news is not held");
        // Repeats within the pace wait, gathered…
        assert!(pacer.offer(vec![change(false)], 1_010).is_none());
        assert!(pacer.offer(vec![change(false), change(false)], 1_100).is_none());
        assert_eq!(pacer.due_at(), Some(1_250));
        assert!(pacer.poll(1_249).is_none());
        // …and go out together when due, nothing dropped.
        assert_eq!(pacer.poll(1_250).map(|b| b.len()), Some(3));
        assert!(pacer.poll(1_400).is_none(), "nothing left");
        // A new incident never waits, and takes the gathered repeats with it.
        assert!(pacer.offer(vec![change(false)], 1_300).is_none());
        let sent = pacer.offer(vec![change(true)], 1_310).expect("sent at once");
        assert_eq!(sent.len(), 2);
        assert!(sent.iter().any(|c| c.opened));
        assert_eq!(pacer.due_at(), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(priority: u8, state: &str, escalation: &str) -> IncidentView {
        IncidentView {
            id: Id::now_v7(),
            priority,
            state: serde_json::from_value(serde_json::json!(state)).expect("a state"),
            alarm_type: "panic".into(),
            point: None,
            point_key: "unmapped:dc09-tcp:1234:1".into(),
            opened_at: 0,
            acknowledged_at: None,
            on_scene_at: None,
            target_at: 300_000,
            escalation: serde_json::from_value(serde_json::json!(escalation)).expect("an escalation"),
            unacknowledged_at: None,
            overdue_at: None,
            allowed: Vec::new(),
            police_called: false,
            category: None,
            repeats: 0,
            clock_faults: 0,
            needs_review: false,
            timeline: Vec::new(),
            version: 1,
        }
    }

    #[test]
    fn the_most_urgent_unanswered_alarm_chooses_the_siren() {
        assert_eq!(siren_for(&[]), None);
        assert_eq!(siren_for(&[incident(1, "acknowledged", "none")]), None, "answered alarms are quiet");
        let list = [incident(3, "new", "none"), incident(2, "new", "none"), incident(1, "dispatched", "none")];
        assert_eq!(siren_for(&list), Some((2, false)));
        let list = [incident(2, "new", "none"), incident(3, "new", "unacknowledged")];
        assert_eq!(siren_for(&list), Some((2, true)), "a late one makes it loud");
    }

    #[test]
    fn each_notice_goes_out_once_per_level() {
        let mut board = NoticeBoard::default();
        let mut a = incident(1, "new", "none");
        let first = board.due(std::slice::from_ref(&a), "zh-CN");
        assert_eq!(first.len(), 1);
        assert_eq!((first[0].level, first[0].critical), ("new", true));
        assert!(first[0].summary.contains("一键报警"));
        assert!(board.due(std::slice::from_ref(&a), "zh-CN").is_empty());
        a.escalation = Escalation::Unacknowledged;
        let escalated = board.due(std::slice::from_ref(&a), "en");
        assert_eq!(escalated.len(), 1);
        assert!(escalated[0].summary.starts_with("Supervisor"));
        a.state = IncidentState::Acknowledged;
        a.escalation = Escalation::Overdue;
        assert_eq!(board.due(std::slice::from_ref(&a), "en")[0].level, "overdue");
        assert!(board.due(std::slice::from_ref(&a), "en").is_empty());
        let quiet = incident(3, "acknowledged", "none");
        assert!(board.due(&[quiet], "en").is_empty(), "nothing to say about an answered alarm");
    }
}
