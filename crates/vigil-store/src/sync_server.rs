//! The server's side of sync: a workstation's push stored all or nothing and folded in the
//! server's order, enrollment codes and tokens, and the chain heads it witnessed — against which
//! `vigil verify` checks a log on either side.

use rusqlite::{params, OptionalExtension, Transaction};
use vigil_domain::Id;

use crate::sync::{apply_received, origin_head, Head, SyncEvent};
use crate::{now_ms, sha256_hex, Result, Store, StoreError};

/// What the server answers a push with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Stored (all or none): how many were new, how many it had already, which of the new ones it
    /// cannot fold (kept all the same), and the next `origin_seq` it expects.
    Stored { stored: u32, duplicates: u32, rejected: Vec<(Id, String)>, next: i64 },
    /// The batch starts after a gap: nothing stored; resend from `expected`.
    Gap { expected: i64 },
    /// The batch contradicts what the server holds of this origin: nothing stored.
    Diverged { origin_seq: i64, why: String },
}

/// What an enrolled client may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// Pushes its own events and pulls everyone's.
    Workstation,
    /// A guard's handheld: posts check-ins (`/v1/checkins`) and reads nothing.
    Handheld,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Workstation => "workstation",
            ClientKind::Handheld => "handheld",
        }
    }

    /// Read from the database; anything else is a workstation, which is what every client was
    /// before handhelds enrolled.
    pub fn parse(text: &str) -> ClientKind {
        if text == "handheld" {
            ClientKind::Handheld
        } else {
            ClientKind::Workstation
        }
    }
}

/// The enrolled client a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHolder {
    pub origin: Id,
    pub name: String,
    pub kind: ClientKind,
}

/// A workstation (or handheld) enrolled on the server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EnrolledWorkstation {
    pub origin: String,
    pub name: String,
    pub kind: ClientKind,
    pub enrolled_at: i64,
    pub revoked_at: Option<i64>,
    pub last_seen: Option<i64>,
    pub clock_offset: Option<i64>,
    /// The last of its events the server holds (`origin_seq`).
    pub events: i64,
}

/// What the server holds of an origin at one place of its log: the event's id, the hash before
/// it and its own hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldEvent {
    pub id: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Checks a workstation's batch against what the server holds of its origin before anything is
/// written — the same rules on every database. `last` is the origin's last held event (`origin_seq`
/// and hash); `held` finds what is held at a place at or before it. `Ok(None)`: the batch may be
/// stored (its events after `last` are new, in order and chained); otherwise the answer to give.
pub fn check_push(
    origin: Id,
    events: &[SyncEvent],
    last: Option<(i64, String)>,
    mut held: impl FnMut(i64) -> Result<Option<HeldEvent>>,
) -> Result<Option<PushOutcome>> {
    let (last, last_hash) = last.unwrap_or((0, crate::GENESIS.to_owned()));
    let mut prev = last_hash;
    let mut next_new = last + 1;
    for (i, e) in events.iter().enumerate() {
        if e.origin != origin {
            return Err(StoreError::Invalid(format!(
                "event {i} is of origin {}, not the pushing workstation's",
                e.origin
            )));
        }
        if e.pruned_prev_hash.is_some() {
            return Err(StoreError::Invalid(format!(
                "event {i} is only the chain entry of a removed event: a push carries whole events"
            )));
        }
        if i > 0 && e.origin_seq != events[i - 1].origin_seq + 1 {
            return Err(StoreError::Invalid(format!("event {i} breaks the batch's sequence at {}", e.origin_seq)));
        }
        if e.origin_seq < 1 {
            return Err(StoreError::Invalid(format!("event {i} has origin_seq {}", e.origin_seq)));
        }
        if e.origin_seq <= last {
            // A repeat only if it is the very event stored there: same id, same content, same hash.
            match held(e.origin_seq)? {
                Some(h)
                    if h.id == e.id.to_string()
                        && h.hash == e.hash
                        && e.row(&h.prev_hash).hash_with(&h.prev_hash) == h.hash =>
                {
                    continue
                }
                _ => {
                    return Ok(Some(PushOutcome::Diverged {
                        origin_seq: e.origin_seq,
                        why: "the server holds another event at this place of the workstation's log".into(),
                    }))
                }
            }
        }
        // The batch is consecutive, so only its first new event can leave a gap.
        if e.origin_seq != next_new {
            return Ok(Some(PushOutcome::Gap { expected: last + 1 }));
        }
        next_new += 1;
        let hash = e.row(&prev).hash_with(&prev);
        if hash != e.hash {
            return Ok(Some(PushOutcome::Diverged {
                origin_seq: e.origin_seq,
                why: "its hash does not match its content and the chain before it".into(),
            }));
        }
        prev = hash;
    }
    Ok(None)
}

/// Why this build cannot fold an event it stores (unknown kind, newer schema, a payload that does
/// not parse), or `None` when it can read it.
pub fn unreadable(e: &SyncEvent) -> Option<String> {
    e.row("").decode().err().map(|skip| skip.reason())
}

/// Stores a workstation's batch of its own events in the server's order — all of it or nothing.
/// Events it holds already (same id at the same place) are counted as duplicates; a batch that
/// starts beyond the next expected event is a gap; one that names a different event at a place
/// already taken, or whose hashes do not chain, diverges. `events` must be `origin`'s, in order.
pub fn accept_push(
    tx: &Transaction<'_>,
    origin: Id,
    events: &[SyncEvent],
    heads: (Option<&Head>, Option<&Head>),
    clock_offset: Option<i64>,
) -> Result<PushOutcome> {
    let head = origin_head(tx, origin)?;
    let last = head.as_ref().map_or(0, |(seq, _)| *seq);
    let now = now_ms();
    let mut held_at = tx.prepare_cached(
        "SELECT id, prev_hash, hash FROM events WHERE origin = ?1 AND origin_seq = ?2
             UNION ALL SELECT id, prev_hash, hash FROM events_pruned WHERE origin = ?1 AND origin_seq = ?2",
    )?;
    let refused = check_push(origin, events, head, |seq| {
        Ok(held_at
            .query_row(params![origin.to_string(), seq], |r| {
                Ok(HeldEvent { id: r.get(0)?, prev_hash: r.get(1)?, hash: r.get(2)? })
            })
            .optional()?)
    })?;
    if let Some(answer) = refused {
        return Ok(answer);
    }
    let (mut stored, mut duplicates, mut rejected) = (0u32, 0u32, Vec::new());
    for e in events {
        if e.origin_seq <= last {
            duplicates += 1;
            continue;
        }
        let received = apply_received(tx, e)?;
        stored += 1;
        if let Some(reason) = received.skipped {
            rejected.push((e.id, reason));
        }
    }
    let mut witness = tx.prepare_cached(
        "INSERT OR IGNORE INTO sync_heads (origin, chain, seq, hash, seen_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (chain, head) in [("events", heads.0), ("audit", heads.1)] {
        if let Some(h) = head {
            witness.execute(params![origin.to_string(), chain, h.seq, h.hash, now])?;
        }
    }
    tx.prepare_cached("UPDATE sync_workstations SET last_seen = ?2, clock_offset = ?3 WHERE origin = ?1")?
        .execute(params![origin.to_string(), now, clock_offset])?;
    let next = origin_head(tx, origin)?.map_or(1, |(seq, _)| seq + 1);
    Ok(PushOutcome::Stored { stored, duplicates, rejected, next })
}

/// A one-time enrollment code for the workstation called `name`, valid for `ttl_ms`. Refused
/// while a workstation of that name is enrolled and not revoked.
pub fn create_enrollment(tx: &Transaction<'_>, name: &str, code: &str, ttl_ms: i64, kind: ClientKind) -> Result<()> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("a workstation needs a name".into()));
    }
    let active: Option<String> = tx
        .prepare_cached("SELECT origin FROM sync_workstations WHERE name = ?1 AND revoked_at IS NULL")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    if let Some(origin) = active {
        return Err(StoreError::Invalid(format!(
            "a workstation called {name:?} is enrolled already (id {origin}); revoke it first to enroll its replacement"
        )));
    }
    let now = now_ms();
    tx.prepare_cached(
        "INSERT INTO sync_enrollments (code_hash, name, created_at, expires_at, client) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![sha256_hex(normalize_code(code).as_bytes()), name, now, now + ttl_ms, kind.as_str()])?;
    Ok(())
}

/// Codes are read back from paper and keyboards: case, spaces and dashes do not count.
pub fn normalize_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// Why an enrollment code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollRefusal {
    Unknown,
    Expired,
    Used,
    /// The workstation's id is enrolled already (a copied data directory, or enrolling twice).
    AlreadyEnrolled,
}

/// Trades a code for the workstation `origin`'s token (its hash is stored): the code is used up.
/// Returns the workstation's name.
pub fn redeem_enrollment(
    tx: &Transaction<'_>,
    code: &str,
    origin: Id,
    token_hash: &str,
) -> Result<std::result::Result<String, EnrollRefusal>> {
    let now = now_ms();
    let found: Option<(String, i64, Option<i64>, String)> = tx
        .prepare_cached("SELECT name, expires_at, used_at, client FROM sync_enrollments WHERE code_hash = ?1")?
        .query_row([sha256_hex(normalize_code(code).as_bytes())], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some((name, expires_at, used_at, kind)) = found else { return Ok(Err(EnrollRefusal::Unknown)) };
    if used_at.is_some() {
        return Ok(Err(EnrollRefusal::Used));
    }
    if expires_at <= now {
        return Ok(Err(EnrollRefusal::Expired));
    }
    let taken: bool = tx
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM sync_workstations WHERE origin = ?1)")?
        .query_row([origin.to_string()], |r| r.get(0))?;
    if taken {
        return Ok(Err(EnrollRefusal::AlreadyEnrolled));
    }
    tx.prepare_cached("UPDATE sync_enrollments SET used_at = ?2, used_by = ?3 WHERE code_hash = ?1")?
        .execute(params![sha256_hex(normalize_code(code).as_bytes()), now, origin.to_string()])?;
    tx.prepare_cached(
        "INSERT INTO sync_workstations (origin, name, token_hash, enrolled_at, client) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![origin.to_string(), name, token_hash, now, kind])?;
    Ok(Ok(name))
}

/// Revokes every enrolled (not yet revoked) workstation called `name`; returns how many.
pub fn revoke_workstation(tx: &Transaction<'_>, name: &str) -> Result<usize> {
    Ok(tx
        .prepare_cached("UPDATE sync_workstations SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL")?
        .execute(params![name.trim(), now_ms()])?)
}

impl Store {
    /// The client a token belongs to, if it is enrolled and not revoked.
    pub fn token_holder(&self, token_hash: &str) -> Result<Option<TokenHolder>> {
        let found: Option<(String, String, String)> = self
            .conn()
            .prepare_cached(
                "SELECT origin, name, client FROM sync_workstations WHERE token_hash = ?1 AND revoked_at IS NULL",
            )?
            .query_row([token_hash], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        Ok(found.and_then(|(origin, name, kind)| {
            Id::parse_str(&origin).ok().map(|origin| TokenHolder { origin, name, kind: ClientKind::parse(&kind) })
        }))
    }

    pub fn enrolled_workstations(&self) -> Result<Vec<EnrolledWorkstation>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT w.origin, w.name, w.enrolled_at, w.revoked_at, w.last_seen, w.clock_offset,
                    (SELECT coalesce(max(origin_seq), 0) FROM events e WHERE e.origin = w.origin), w.client
             FROM sync_workstations w ORDER BY w.name, w.enrolled_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(EnrolledWorkstation {
                origin: r.get(0)?,
                name: r.get(1)?,
                enrolled_at: r.get(2)?,
                revoked_at: r.get(3)?,
                last_seen: r.get(4)?,
                clock_offset: r.get(5)?,
                events: r.get(6)?,
                kind: ClientKind::parse(&r.get::<_, String>(7)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The last position of the server's log (what a pull's cursor reaches when caught up).
    pub fn last_event_seq(&self) -> Result<i64> {
        Ok(self.conn().query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))?)
    }
}

/// A chain head the server saw a workstation show, with when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WitnessedHead {
    pub origin: Id,
    /// `events` (its event log's chain) or `audit` (its audit log's).
    pub chain: String,
    pub seq: i64,
    pub hash: String,
    pub seen_at: i64,
}

/// What comparing a log with the heads a server witnessed found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WitnessReport {
    pub checked: u64,
    /// Witnessed entries this log does not hold (yet).
    pub not_held: u64,
    /// The first witnessed head this log contradicts: (head, why).
    pub first_mismatch: Option<(WitnessedHead, String)>,
}

impl Store {
    /// Every head this server witnessed, of every workstation, oldest first.
    pub fn all_witnessed_heads(&self) -> Result<Vec<WitnessedHead>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT origin, chain, seq, hash, seen_at FROM sync_heads ORDER BY origin, chain, seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
        let mut heads = Vec::new();
        for row in rows {
            let (origin, chain, seq, hash, seen_at) = row?;
            if let Ok(origin) = Id::parse_str(&origin) {
                heads.push(WitnessedHead { origin, chain, seq, hash, seen_at });
            }
        }
        Ok(heads)
    }

    /// Compares this log with heads a server witnessed: an event (or, for `audit`, an audit entry)
    /// at a witnessed place must have the witnessed hash. History rewritten after the server saw
    /// it, even with the chain recomputed, no longer matches. Audit heads are checked only when
    /// `audit_of` is this workstation's id (the server holds no workstation's audit log).
    pub fn check_witnessed(&self, heads: &[WitnessedHead], audit_of: Option<Id>) -> Result<WitnessReport> {
        let mut report = WitnessReport::default();
        let mut event = self.conn().prepare_cached(
            "SELECT hash FROM events WHERE origin = ?1 AND origin_seq = ?2
             UNION ALL SELECT hash FROM events_pruned WHERE origin = ?1 AND origin_seq = ?2",
        )?;
        let mut audit = self.conn().prepare_cached("SELECT hash FROM audit_log WHERE seq = ?1")?;
        for head in heads {
            let held: Option<String> = match head.chain.as_str() {
                "events" => event.query_row(params![head.origin.to_string(), head.seq], |r| r.get(0)).optional()?,
                "audit" if audit_of == Some(head.origin) => audit.query_row([head.seq], |r| r.get(0)).optional()?,
                _ => continue,
            };
            report.judge(head, held.as_deref());
        }
        Ok(report)
    }
}

impl WitnessReport {
    /// Counts one witnessed head against what the log `held` at its place.
    pub fn judge(&mut self, head: &WitnessedHead, held: Option<&str>) {
        self.checked += 1;
        match held {
            Some(hash) if hash == head.hash => {}
            Some(_) => {
                self.first_mismatch
                    .get_or_insert_with(|| (head.clone(), "it differs from what the server saw there".to_owned()));
            }
            None => self.not_held += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use vigil_domain::event::{EventBody, ProcedureSet};

    use super::*;
    use crate::write::commit_event;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("vigil.db")).expect("open");
        (dir, store)
    }

    /// A workstation's log of `n` procedure edits, as it would push them.
    fn outbox(n: usize) -> (tempfile::TempDir, Store, Id, Vec<SyncEvent>) {
        let (dir, mut ws) = store();
        let origin = ws
            .transaction(|tx| {
                for i in 0..n {
                    let body = EventBody::ProcedureSet(ProcedureSet {
                        alarm_type: "panic".into(),
                        language: "en".into(),
                        steps: vec![format!("step {i}")],
                    });
                    commit_event(tx, "admin", "sop:panic:en", body, 1_700_000_000_000 + i as i64)?;
                }
                crate::events::workstation_id(tx)
            })
            .expect("commit");
        let events = ws
            .origin_events_after(origin, 0, 1000)
            .expect("read")
            .iter()
            .map(|r| SyncEvent::of_row(r).expect("row"))
            .collect();
        (dir, ws, origin, events)
    }

    fn push(server: &mut Store, origin: Id, events: &[SyncEvent]) -> Result<PushOutcome> {
        server.transaction(|tx| accept_push(tx, origin, events, (None, None), None))
    }

    #[test]
    fn a_push_is_stored_once_and_its_repeat_counts_as_duplicates() {
        let (_w, _ws, origin, events) = outbox(5);
        let (_s, mut server) = store();
        let first = push(&mut server, origin, &events[..3]).expect("push");
        assert!(matches!(first, PushOutcome::Stored { stored: 3, duplicates: 0, next: 4, .. }), "{first:?}");
        // The answer was lost after the commit: the workstation sends the same events again, and more.
        let again = push(&mut server, origin, &events).expect("push");
        assert!(matches!(again, PushOutcome::Stored { stored: 2, duplicates: 3, next: 6, .. }), "{again:?}");
        assert_eq!(server.event_count().expect("count"), 5);
        assert!(server.verify_events().expect("verify").first_altered.is_none());
    }

    #[test]
    fn a_push_after_a_gap_is_answered_with_what_the_server_expects_and_stores_nothing() {
        let (_w, _ws, origin, events) = outbox(5);
        let (_s, mut server) = store();
        push(&mut server, origin, &events[..2]).expect("push");
        assert_eq!(push(&mut server, origin, &events[3..]).expect("push"), PushOutcome::Gap { expected: 3 });
        assert_eq!(server.event_count().expect("count"), 2);
    }

    #[test]
    fn a_push_that_contradicts_the_server_or_its_own_chain_diverges_and_stores_nothing() {
        let (_w, _ws, origin, events) = outbox(4);
        let (_s, mut server) = store();
        push(&mut server, origin, &events[..2]).expect("push");
        // History rewritten on the workstation: event 2 now says something else.
        let mut rewritten = events.clone();
        rewritten[1].payload = r#"{"alarm_type":"panic","language":"en","steps":["other"]}"#.into();
        let answer = push(&mut server, origin, &rewritten).expect("push");
        assert!(matches!(answer, PushOutcome::Diverged { origin_seq: 2, .. }), "{answer:?}");
        // A new event whose content does not match its hash, behind a good one.
        let mut forged = events[2..].to_vec();
        forged[1].subject = "sop:panic:zh-CN".into();
        let answer = push(&mut server, origin, &forged).expect("push");
        assert!(matches!(answer, PushOutcome::Diverged { origin_seq: 4, .. }), "{answer:?}");
        assert_eq!(server.event_count().expect("count"), 2, "nothing of either push was stored");
    }

    #[test]
    fn a_batch_naming_another_origin_or_out_of_sequence_is_refused_whole() {
        let (_w, _ws, origin, events) = outbox(3);
        let (_s, mut server) = store();
        let other = uuid::Uuid::now_v7();
        assert!(push(&mut server, other, &events).is_err(), "events of another origin");
        let shuffled = vec![events[0].clone(), events[2].clone(), events[1].clone()];
        assert!(push(&mut server, origin, &shuffled).is_err(), "out of sequence");
        assert_eq!(server.event_count().expect("count"), 0);
    }

    #[test]
    fn an_event_this_build_cannot_read_is_stored_marked_and_does_not_block_the_ones_behind_it() {
        let (_w, _ws, origin, mut events) = outbox(3);
        // Event 2 is of a kind from a newer Vigil: re-chain it as that workstation would have.
        events[1].kind = "visitor_badged".into();
        let mut prev = events[0].hash.clone();
        for e in &mut events[1..] {
            e.hash = e.row(&prev).hash_with(&prev);
            prev = e.hash.clone();
        }
        let (_s, mut server) = store();
        let answer = push(&mut server, origin, &events).expect("push");
        let PushOutcome::Stored { stored: 3, rejected, .. } = answer else { panic!("{answer:?}") };
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].0, events[1].id);
        assert!(rejected[0].1.contains("visitor_badged"), "{}", rejected[0].1);
        assert_eq!(server.event_count().expect("count"), 3);
    }

    #[test]
    fn an_enrollment_code_works_once_before_it_expires() {
        let (_s, mut server) = store();
        let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        server
            .transaction(|tx| {
                create_enrollment(tx, "ws-1", "abcde-fghij", 60_000, ClientKind::Workstation)?;
                create_enrollment(tx, "ws-2", "KLMNP-QRSTW", -1, ClientKind::Workstation)
            })
            .expect("codes");
        let redeem = |server: &mut Store, code: &str, origin: Id, token: &str| {
            server.transaction(|tx| redeem_enrollment(tx, code, origin, token)).expect("redeem")
        };
        assert_eq!(redeem(&mut server, "ABCDE FGHIJ", a, "t1"), Ok("ws-1".into()), "case and spaces do not count");
        assert_eq!(redeem(&mut server, "ABCDE-FGHIJ", b, "t2"), Err(EnrollRefusal::Used));
        assert_eq!(redeem(&mut server, "KLMNP-QRSTW", b, "t2"), Err(EnrollRefusal::Expired));
        assert_eq!(redeem(&mut server, "ZZZZZ-ZZZZZ", b, "t2"), Err(EnrollRefusal::Unknown));
        let holder = server.token_holder("t1").expect("token").expect("enrolled");
        assert_eq!((holder.origin, holder.name.as_str(), holder.kind), (a, "ws-1", ClientKind::Workstation));
        // A second workstation of the same name waits until the first is revoked.
        assert!(server.transaction(|tx| create_enrollment(tx, "ws-1", "X", 60_000, ClientKind::Workstation)).is_err());
        assert_eq!(server.transaction(|tx| revoke_workstation(tx, "ws-1")).expect("revoke"), 1);
        assert_eq!(server.token_holder("t1").expect("token"), None);
        server
            .transaction(|tx| create_enrollment(tx, "ws-1", "Y", 60_000, ClientKind::Handheld))
            .expect("its replacement");
        assert_eq!(redeem(&mut server, "Y", b, "t3"), Ok("ws-1".into()));
        assert_eq!(server.token_holder("t3").expect("token").map(|h| h.kind), Some(ClientKind::Handheld));
    }
}
