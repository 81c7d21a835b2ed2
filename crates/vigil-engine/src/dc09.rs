//! What the engine does with one DC-09 frame: decode it, decide the answer, and say what must be
//! committed before that answer may be sent. And the supervision of panels that fall silent.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::watch;
use vigil_dc09::{ack, duh, nak, parse_payload, timestamp_acceptable, Answer, Frame, MessageId};
use vigil_store::NewSignal;

use crate::writer::Op;
use crate::{Shared, Stats};

/// The answer to a frame and what has to be durable before it is sent.
pub(crate) struct Outcome {
    pub answer: Answer,
    pub ops: Vec<Op>,
}

fn ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn refuse(shared: &Shared, reason: &'static str, answer: Answer, sender: SocketAddr, detail: &str) -> Outcome {
    shared.stats.refuse(reason);
    eprintln!("vigil-engine: DC-09 frame from {sender} refused ({reason}): {detail}; answered {}", answer.kind());
    Outcome { answer, ops: Vec::new() }
}

/// Decides what to do with one whole frame received from `sender` over `source`.
pub(crate) fn handle(
    shared: &Shared,
    bytes: &[u8],
    source: &'static str,
    sender: SocketAddr,
    now: OffsetDateTime,
) -> Outcome {
    Stats::bump(&shared.stats.frames_received);
    let live = shared.live();
    let frame = match Frame::decode(bytes, &live.keys) {
        Ok(frame) => frame,
        Err(e) if e.is_transmission() => return refuse(shared, e.reason(), nak(now, None), sender, &e.to_string()),
        // What the receiver cannot handle (no key, wrong key, unreadable content) gets a DUH that
        // names the frame's sequence and addressing wherever its header could be read.
        Err(e) => {
            let header = Frame::read_header(bytes);
            return refuse(shared, e.reason(), duh(header.as_ref()), sender, &e.to_string());
        }
    };
    if !matches!(frame.id, MessageId::SiaDcs | MessageId::AdmCid | MessageId::Null) {
        return refuse(shared, "unsupported_message", duh(Some(&frame.header())), sender, frame.id.as_str());
    }
    if let Some(ts) = frame.timestamp {
        if !timestamp_acceptable(ts.0, now) {
            let reason = if ts.0 < now { "stale_timestamp" } else { "future_timestamp" };
            return refuse(shared, reason, nak(now, Some(&frame)), sender, &format!("sent {} at {now}", ts.0));
        }
    }
    let events = match parse_payload(&frame) {
        Ok(events) => events,
        Err(what) => return refuse(shared, "unreadable_payload", duh(Some(&frame.header())), sender, what),
    };
    let key = live.keys.get(&frame.account);
    let pad: [u8; 16] = rand::random();
    let answer = ack(&frame, if frame.encrypted { key } else { None }, now, &pad);
    let received = ms(now);
    let mut ops = vec![Op::Touch { account: frame.account.clone(), sender: Some(sender.to_string()), at: received }];
    if frame.id == MessageId::Null {
        Stats::bump(&shared.stats.link_tests);
    }
    for (i, event) in events.iter().enumerate() {
        // A retransmission (same account, sequence, content and sent time) is stored once. Without
        // a timestamp the receive time, in two-minute steps, stands in for it.
        let when = frame.timestamp.map_or_else(|| format!("r{}", received / 120_000), |t| ms(t.0).to_string());
        let idempotency = format!("dc09:{}:{}:{}:{}:{i}", frame.account, frame.sequence, frame.data, when);
        let sent_at = frame.timestamp.map(|t| ms(t.0));
        ops.push(Op::Signal(Box::new(NewSignal {
            // The same frame received by two workstations is the same signal on both.
            id: NewSignal::id_for(Some(&idempotency), sent_at, received),
            idempotency_key: Some(idempotency),
            source: source.to_owned(),
            sender: Some(sender.to_string()),
            account: Some(frame.account.clone()),
            zone: event.zone,
            code: Some(event.code.clone()),
            qualifier: Some(event.qualifier.as_str().to_owned()),
            alarm_type: event.class.alarm_type.as_str().to_owned(),
            priority: event.class.priority,
            sequence: Some(u32::from(frame.sequence)),
            // Mapped to its point in the writer's transaction: a point mapped later is found.
            device_id: None,
            received_at: received,
            sent_at: frame.timestamp.map(|t| ms(t.0)),
            clock_fault: None,
            details: event.text.as_ref().map(|t| serde_json::json!({ "text": t }).to_string()),
            raw: Some(String::from_utf8_lossy(bytes).trim().to_owned()),
        })));
    }
    Outcome { answer, ops }
}

/// Commits an outcome and returns the bytes to send: the answer once committed, nothing if the
/// commit failed (the sender will retry; nothing was acknowledged that is not stored).
pub(crate) async fn settle(shared: &Shared, outcome: Outcome) -> Vec<u8> {
    let is_ack = matches!(outcome.answer, Answer::Ack(_));
    if !outcome.ops.is_empty() {
        match shared.writer.commit(outcome.ops).await {
            Ok(flags) => {
                for new in flags {
                    Stats::bump(if new { &shared.stats.signals_stored } else { &shared.stats.duplicates });
                }
            }
            Err(e) => {
                shared.stats.refuse("commit_failed");
                eprintln!("vigil-engine: not acknowledged, the commit failed: {e}");
                return Vec::new();
            }
        }
    }
    if is_ack {
        Stats::bump(&shared.stats.frames_acknowledged);
    }
    outcome.answer.bytes().to_vec()
}

/// Raises a fault signal for every panel that has been silent longer than its supervision time.
pub(crate) async fn supervise(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let default = shared.settings().dc09.supervision_seconds;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => return,
        }
        let now = ms(OffsetDateTime::now_utc());
        let reader = shared.clone();
        let silent =
            tokio::task::spawn_blocking(move || reader.workstation.with_store(|s| s.silent_links(i64::MAX))).await;
        let Ok(Ok(links)) = silent else { continue };
        for (account, last_seen) in links {
            let limit = shared
                .settings()
                .dc09
                .accounts
                .iter()
                .find(|a| a.account.eq_ignore_ascii_case(&account))
                .and_then(|a| a.supervision_seconds)
                .unwrap_or(default);
            if limit == 0 || now - last_seen < i64::try_from(limit).unwrap_or(i64::MAX) * 1000 {
                continue;
            }
            let key = format!("supervision:{account}:{last_seen}");
            let signal = NewSignal {
                id: NewSignal::id_for(Some(&key), None, now),
                idempotency_key: Some(key),
                source: "supervision".into(),
                sender: None,
                account: Some(account.clone()),
                zone: None,
                code: Some("LINK-LOST".into()),
                qualifier: Some("new".into()),
                alarm_type: "trouble".into(),
                priority: 3,
                sequence: None,
                device_id: None,
                received_at: now,
                sent_at: None,
                clock_fault: None,
                details: Some(serde_json::json!({ "silent_seconds": (now - last_seen) / 1000 }).to_string()),
                raw: None,
            };
            if shared.writer.commit(vec![Op::Signal(Box::new(signal))]).await.is_ok() {
                let account = account.clone();
                let _ = shared.writer.run(move |tx| vigil_store::write::mark_link_faulted(tx, &account)).await;
            }
        }
    }
}
