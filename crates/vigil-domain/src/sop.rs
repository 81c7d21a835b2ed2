//! Standard operating procedures: the steps an operator follows for each kind of alarm, in Chinese
//! and English. These are the defaults a new workstation starts with; an administrator edits them
//! and the edited steps are stored, so the console always shows the stored ones first.

/// The default steps for `alarm_type` in `language` ("zh-CN" or "en"); unknown types get the
/// general procedure.
pub fn default_steps(alarm_type: &str, language: &str) -> Vec<String> {
    let zh = language.starts_with("zh");
    let table: &[(&str, &str)] = match alarm_type {
        "panic" | "duress" | "hold_up" => &[
            ("查看联动摄像机画面，确认现场情况", "Look at the linked cameras and confirm what is happening"),
            (
                "对讲机派最近的保安赶赴现场（5 分钟内到场）",
                "Radio the nearest guard to the scene (on scene within 5 minutes)",
            ),
            (
                "如有暴力或持械，立即通知院内警务室（警医联动）",
                "If there is violence or a weapon, call the on-site police post at once",
            ),
            ("联系报警科室确认人员安全", "Call the department that raised it and check that staff are safe"),
            ("记录处置经过，按实际情况结案", "Record what was done and close with the real category"),
        ],
        "fire" => &[
            ("查看摄像机画面确认烟雾或明火", "Look at the cameras for smoke or flames"),
            ("派保安携灭火器赶赴现场核实", "Send a guard with an extinguisher to check"),
            ("确认火情后拨打 119 并通知消防控制室", "If the fire is real, call 119 and the fire control room"),
            ("组织疏散，通知相关病区", "Start the evacuation and warn the wards around it"),
            ("记录处置经过并结案", "Record what was done and close"),
        ],
        "medical" => &[
            ("通知急诊科或就近医护人员", "Call the emergency department or the nearest clinical staff"),
            ("派保安到场维持秩序、引导医护", "Send a guard to keep the way clear and guide the clinicians"),
            ("记录处置经过并结案", "Record what was done and close"),
        ],
        "burglary" | "intrusion" | "watchlist" | "watch_list" => &[
            ("调取联动摄像机画面，跟踪可疑人员", "Bring up the linked cameras and follow the person"),
            ("派保安到场核查，注意自身安全", "Send a guard to check, keeping safe"),
            ("确认入侵或布控对象后通知院内警务室", "If confirmed, call the on-site police post"),
            ("记录处置经过并结案", "Record what was done and close"),
        ],
        "tamper" | "trouble" => &[
            ("确认设备位置与故障现象", "Find the device and what is wrong with it"),
            ("派保安现场查看是否人为破坏", "Send a guard to see whether it was tampered with"),
            ("通知设备维保单位报修（30 分钟内响应）", "Report it to maintenance (response within 30 minutes)"),
            ("按设备故障类别结案", "Close as a device fault"),
        ],
        crate::incident::ROUND_MISSED => &[
            (
                "用对讲机联系该路线的巡更员，确认其位置与安全",
                "Radio the route's guard and check where he is and that he is safe",
            ),
            ("调取漏检巡更点附近的摄像机画面", "Look at the cameras near the missed checkpoints"),
            ("联系不上时派人到漏检点位查看", "If he cannot be reached, send someone to the missed checkpoints"),
            (
                "补巡的打卡稍后到达会记为迟到，不会覆盖漏检记录",
                "A late check-in that arrives afterwards is kept as late; the miss stays on record",
            ),
            (
                "写明原因（备注）后方可结案，该说明会出现在班长审核中",
                "Write the reason as a note before closing: the supervisor's review shows it",
            ),
        ],
        "test" => &[("核对是否为计划内测试", "Check that the test was planned"), ("按测试类别结案", "Close as a test")],
        _ => &[
            ("查看报警点位置与联动摄像机", "Find the point and look at its cameras"),
            ("派保安到场核实", "Send a guard to check"),
            ("记录处置经过并结案", "Record what was done and close"),
        ],
    };
    table.iter().map(|(z, e)| if zh { *z } else { *e }.to_owned()).collect()
}

/// Arming and disarming reports are kept in the alarm history but open no incident: nobody has to
/// answer them. Everything else, tests included, reaches an operator.
pub fn opens_incident(alarm_type: &str) -> bool {
    alarm_type != "open_close"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_procedure_exists_in_both_languages_with_the_same_steps() {
        for kind in ["panic", "duress", "hold_up", "fire", "medical", "burglary", "tamper", "trouble", "test", "x"] {
            let zh = default_steps(kind, "zh-CN");
            let en = default_steps(kind, "en");
            assert!(!zh.is_empty());
            assert_eq!(zh.len(), en.len(), "{kind}");
            assert_ne!(zh, en);
        }
    }

    #[test]
    fn only_arming_reports_open_no_incident() {
        assert!(!opens_incident("open_close"));
        assert!(opens_incident("test") && opens_incident("panic"));
    }
}
