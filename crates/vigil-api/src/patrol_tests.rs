//! The patrol API's tests: check-ins in, live rounds, missed rounds, review and sign-off, the log.
use super::*;
use crate::workstation::tests::demo_walking as demo;

fn post(items: serde_json::Value) -> Result<Vec<CheckInRecorded>, CheckInRefusal> {
    parse_check_ins(&items, Store::now_ms())
}

#[test]
fn bad_check_in_bodies_are_refused_naming_the_field_and_the_batch_stores_nothing() {
    let good = serde_json::json!({ "id": Id::now_v7(), "tag": "0f:00", "guard": "G0001", "time": "2026-12-01T02:05:00+08:00", "device": "HH-1" });
    assert_eq!(post(good.clone()).map(|v| v.len()), Ok(1));
    let mut no_time = good.clone();
    no_time.as_object_mut().map(|o| o.remove("time"));
    let refusal = post(serde_json::json!([good, no_time])).expect_err("refused");
    assert_eq!(refusal, CheckInRefusal::Invalid { field: "[1].time".into(), message: "is missing".into() });
    let bad_time =
        serde_json::json!({ "id": Id::now_v7(), "tag": "t", "guard": "g", "time": "yesterday", "device": "d" });
    assert!(matches!(post(bad_time), Err(CheckInRefusal::Invalid { field, .. }) if field == "time"));
    let bad_id =
        serde_json::json!({ "id": "42", "tag": "t", "guard": "g", "time": "2026-12-01T02:05:00Z", "device": "d" });
    assert!(matches!(post(bad_id), Err(CheckInRefusal::Invalid { field, .. }) if field == "id"));
    let bad_method = serde_json::json!({ "id": Id::now_v7(), "tag": "t", "guard": "g", "time": "2026-12-01T02:05:00Z", "device": "d", "method": "telepathy" });
    assert!(matches!(post(bad_method), Err(CheckInRefusal::Invalid { field, .. }) if field == "method"));
    assert!(matches!(post(serde_json::json!([])), Err(CheckInRefusal::Invalid { field, .. }) if field == "body"));
}

#[test]
fn a_check_in_is_stored_once_a_changed_body_is_a_conflict_and_odd_ones_are_kept_and_flagged() {
    let (_dir, ws) = demo();
    let before = ws.store().check_in_count().expect("count");
    let id = Id::now_v7();
    let body = serde_json::json!({ "id": id, "tag": "NO-SUCH-TAG", "guard": "X999", "time": "2036-01-01T00:00:00Z", "device": "HH-9" });
    let first =
        ws.record_check_ins("handheld", post(body.clone()).expect("read")).expect("stored").expect("no conflict");
    assert_eq!(first[0].stored, CheckInStored::New);
    assert_eq!(first[0].flags, ["unknown_tag", "unknown_guard", "clock_ahead"]);
    let again =
        ws.record_check_ins("handheld", post(body.clone()).expect("read")).expect("stored").expect("no conflict");
    assert_eq!(again[0].stored, CheckInStored::Same);
    let mut changed = body;
    changed["tag"] = "OTHER".into();
    let fresh = serde_json::json!({ "id": Id::now_v7(), "tag": "t", "guard": "g", "time": "2026-12-01T00:00:00Z", "device": "d" });
    let conflict =
        ws.record_check_ins("handheld", post(serde_json::json!([fresh, changed])).expect("read")).expect("ran");
    assert_eq!(conflict, Err(CheckInRefusal::Conflict { field: "[1].id".into(), id }));
    // Nothing of the refused batch was stored; the clock-ahead one is judged at its receipt.
    assert_eq!(ws.store().check_in_count().expect("count"), before + 1);
    let row = ws.store().check_in(id).expect("read").expect("stored");
    assert_eq!(row.clock.as_deref(), Some("ahead"));
    assert_eq!(row.judged_at, row.record.received);
}

#[test]
fn the_demo_walks_and_a_missed_round_is_raised_once_with_its_incident() {
    let (_dir, ws) = demo();
    let now = Store::now_ms();
    let board = ws.patrol_board_at(now).expect("board");
    assert!(board.routes >= 5, "{}", board.routes);
    assert!(
        board.rounds.iter().any(|r| r.state == RoundState::Done),
        "rounds: {:?}",
        board.rounds.iter().map(|r| r.state).collect::<Vec<_>>()
    );
    assert!(!board.marks.is_empty());
    assert!(!board.guards.is_empty());
    // A test route with a window of seconds that nobody walks.
    let cp = ws.store().checkpoints().expect("checkpoints")[0].clone();
    let route = RouteInput {
        id: None,
        name: "测试路线".into(),
        ordered: true,
        legs: vec![LegDef { checkpoint: cp.id, walk_s: 0 }],
        start: "00:00".into(),
        end: "00:00".into(),
        every_minutes: 5,
        weekdays: 0b111_1111,
        retired: false,
    };
    ws.save_route_as("test", route, now - 3_600_000).expect("route");
    let raised = ws.raise_missed_rounds(now).expect("raised");
    assert!(!raised.is_empty());
    assert!(raised.iter().all(|c| c.opened && c.priority == vigil_domain::incident::Priority::P3));
    assert!(ws.raise_missed_rounds(now).expect("again").is_empty(), "each round is raised once");
    let incident = ws.store().incident(raised[0].incident_id).expect("read").expect("stored");
    assert_eq!(incident.incident.alarm_type, vigil_domain::incident::ROUND_MISSED);
    // A check-in that arrives later for that round turns its checkpoint late on the incident.
    let misses = ws.store().round_misses(now - 2 * 86_400_000, now).expect("misses");
    let (_, m) = misses.iter().find(|(_, m)| m.incident == raised[0].incident_id).expect("its miss");
    let late = serde_json::json!({
        "id": Id::now_v7(), "tag": m.missing[0].tag, "guard": "G0001", "device": "wand",
        "time": jiff::Timestamp::from_millisecond(m.missing[0].expected + 240_000).expect("ms").to_string(),
    });
    ws.record_check_ins("handheld", post(late).expect("read")).expect("stored").expect("no conflict");
    let incident = ws.store().incident(raised[0].incident_id).expect("read").expect("stored");
    assert!(incident
        .incident
        .timeline
        .iter()
        .any(|e| matches!(e.what, vigil_domain::incident::EntryKind::CheckedLate { .. })));
}

#[test]
fn a_supervisor_explains_and_signs_a_shift_and_a_later_check_in_shows_it_changed() {
    let (_dir, ws) = demo();
    let sup = ws.login("demo-supervisor", "2468", None).expect("login").0;
    let op = ws.login("demo-operator", "2468", None).expect("login").0;
    let now = Store::now_ms();
    let shift = ws.recent_shifts(now)[1].clone();
    assert!(ws.shift_review(op, &shift.key).is_err(), "a supervisor's login");
    let review = ws.shift_review(sup, &shift.key).expect("review");
    assert!(review.totals.expected > 0);
    assert!(review.check_ins > 0);
    if review.unexplained > 0 {
        assert!(ws.sign_off_shift(sup, &shift.key).is_err(), "unexplained exceptions block the sign-off");
    }
    for e in review.exceptions.iter().filter(|e| e.explanation.is_none()) {
        ws.explain_exception(sup, &shift.key, &e.key, "已核实：巡更员绕行").expect("explained");
    }
    let signed = ws.sign_off_shift(sup, &shift.key).expect("signed");
    assert_eq!(signed.sign_offs.len(), 1);
    assert!(!signed.changed_since_sign_off);
    // A wand download of that night arrives the next morning.
    let late = serde_json::json!({
        "id": Id::now_v7(), "tag": "DEADBEEF", "guard": "G0002", "device": "wand",
        "time": jiff::Timestamp::from_millisecond(shift.start + 600_000).expect("ms").to_string(),
    });
    ws.record_check_ins("handheld", post(late).expect("read")).expect("stored").expect("no conflict");
    let after = ws.shift_review(sup, &shift.key).expect("review");
    assert!(after.changed_since_sign_off);
    assert_eq!(after.sign_offs.len(), 1);
    // Someone with the file edits an explanation and drops the sign-off: the rebuild names both.
    let conn = rusqlite::Connection::open(ws.dir().join(vigil_store::DATABASE_FILE)).expect("shell");
    conn.execute_batch("UPDATE patrol_remarks SET text = 'nothing happened'; DELETE FROM shift_sign_offs;")
        .expect("edit");
    let report = ws.store().rebuild(false).expect("rebuild");
    let said = report.differences.join("\n");
    assert!(said.contains("explanations differ") && said.contains("sign-offs differ"), "{said}");
    assert!(ws.store().rebuild(true).expect("repair").repaired);
    assert_eq!(ws.shift_review(sup, &shift.key).expect("review").sign_offs.len(), 1, "repaired from the log");
}

#[test]
fn the_log_pages_newest_first_with_filters() {
    let (_dir, ws) = demo();
    let first = ws.patrol_log_page(&LogFilter::default(), 50).expect("page");
    assert_eq!(first.lines.len(), 50);
    let next = ws.patrol_log_page(&LogFilter { before: first.next, ..Default::default() }, 50).expect("page 2");
    assert!(next.lines[0].judged_at <= first.lines[49].judged_at);
    assert!(next.lines.iter().all(|l| !first.lines.iter().any(|f| f.id == l.id)));
    let guard = first.lines[0].guard.clone();
    let mine = ws.patrol_log_page(&LogFilter { guard: Some(guard.clone()), ..Default::default() }, 500).expect("guard");
    assert!(mine.lines.iter().all(|l| l.guard == guard));
    let building = ws.store().checkpoints().expect("cps")[0].building;
    let here =
        ws.patrol_log_page(&LogFilter { building: Some(building), ..Default::default() }, 100).expect("building");
    assert!(!here.lines.is_empty());
}

#[test]
fn a_radio_report_is_stored_marked_manual_with_its_reason_and_operator_and_corrections_are_annotations() {
    let (_dir, ws) = demo();
    let op = ws.login("demo-operator", "2468", None).expect("login").0;
    let cp = ws.store().checkpoints().expect("cps")[5].clone();
    let input =
        |reason: &str| RadioCheckIn { checkpoint: cp.id, guard: "G0007".into(), at: None, reason: reason.into() };
    let refused = ws.record_radio_check_in(op, input("  ")).expect_err("a reason is needed");
    assert_eq!(refused.field.as_deref(), Some("reason"));
    let id = ws.record_radio_check_in(op, input("巡更机没电，对讲机报告")).expect("stored");
    let row = ws.store().check_in(id).expect("read").expect("stored");
    assert_eq!((row.record.source, row.record.method), (Source::Manual, Method::Radio));
    assert_eq!(row.actor, "demo-operator");
    assert_eq!(row.record.reason.as_deref(), Some("巡更机没电，对讲机报告"));
    // Listed for the supervisor as a manual entry.
    let shift = ws.shift_of(row.judged_at);
    let review = ws.review(shift, true).expect("review");
    assert!(review.exceptions.iter().any(|e| e.key == format!("check_in:{id}") && e.kind == ExceptionKind::Manual));
    // A correction never edits it: an annotation beside it.
    ws.annotate_check_in(op, id, "工号报错，应为 G0008").expect("annotated");
    assert_eq!(ws.store().check_in(id).expect("read").expect("kept").record, row.record);
    let notes = ws.store().remarks("annotation", None).expect("remarks");
    assert_eq!(notes.len(), 1);
    assert_eq!((notes[0].about.as_str(), notes[0].by.as_str()), (id.to_string().as_str(), "demo-operator"));
    assert!(ws.annotate_check_in(op, Id::now_v7(), "x").is_err(), "no such check-in");
}
