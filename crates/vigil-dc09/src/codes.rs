//! Contact ID and SIA DC-03 event codes mapped to Vigil's alarm types and default priorities, in
//! one table each, so that "what does code X mean here" has exactly one answer.

/// What kind of alarm an event is, in the control room's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlarmType {
    Panic,
    Duress,
    HoldUp,
    Fire,
    Medical,
    Burglary,
    Tamper,
    Trouble,
    Test,
    OpenClose,
    Other,
}

impl AlarmType {
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmType::Panic => "panic",
            AlarmType::Duress => "duress",
            AlarmType::HoldUp => "hold_up",
            AlarmType::Fire => "fire",
            AlarmType::Medical => "medical",
            AlarmType::Burglary => "burglary",
            AlarmType::Tamper => "tamper",
            AlarmType::Trouble => "trouble",
            AlarmType::Test => "test",
            AlarmType::OpenClose => "open_close",
            AlarmType::Other => "other",
        }
    }

    /// Default priority: 1 violence / panic / fire / medical, 2 intrusion, 3 technical.
    pub fn priority(self) -> u8 {
        match self {
            AlarmType::Panic | AlarmType::Duress | AlarmType::HoldUp | AlarmType::Fire | AlarmType::Medical => 1,
            AlarmType::Burglary | AlarmType::Tamper => 2,
            AlarmType::Trouble | AlarmType::Test | AlarmType::OpenClose | AlarmType::Other => 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification {
    pub alarm_type: AlarmType,
    pub priority: u8,
}

/// Contact ID event codes (inclusive ranges) and what they are.
const CONTACT_ID: &[(u16, u16, AlarmType)] = &[
    (100, 100, AlarmType::Medical),
    (101, 102, AlarmType::Panic),
    (110, 118, AlarmType::Fire),
    (120, 120, AlarmType::Panic),
    (121, 121, AlarmType::Duress),
    (122, 122, AlarmType::HoldUp),
    (123, 129, AlarmType::Panic),
    (130, 136, AlarmType::Burglary),
    (137, 137, AlarmType::Tamper),
    (138, 143, AlarmType::Burglary),
    (144, 145, AlarmType::Tamper),
    (146, 199, AlarmType::Burglary),
    (300, 399, AlarmType::Trouble),
    (400, 499, AlarmType::OpenClose),
    (600, 609, AlarmType::Test),
];

/// SIA DC-03 two-letter codes: alarm and its restore.
const SIA: &[(&str, AlarmType)] = &[
    ("PA", AlarmType::Panic),
    ("PR", AlarmType::Panic),
    ("HA", AlarmType::HoldUp),
    ("HR", AlarmType::HoldUp),
    ("DU", AlarmType::Duress),
    ("FA", AlarmType::Fire),
    ("FR", AlarmType::Fire),
    ("MA", AlarmType::Medical),
    ("MR", AlarmType::Medical),
    ("BA", AlarmType::Burglary),
    ("BR", AlarmType::Burglary),
    ("BH", AlarmType::Burglary),
    ("TA", AlarmType::Tamper),
    ("TR", AlarmType::Tamper),
    ("YT", AlarmType::Trouble),
    ("YR", AlarmType::Trouble),
    ("AT", AlarmType::Trouble),
    ("AR", AlarmType::Trouble),
    ("RR", AlarmType::Trouble),
    ("RP", AlarmType::Test),
    ("RX", AlarmType::Test),
    ("OP", AlarmType::OpenClose),
    ("CL", AlarmType::OpenClose),
];

/// SIA codes that report a restore rather than a new alarm.
pub(crate) const SIA_RESTORES: &[&str] = &["PR", "HR", "FR", "MR", "BR", "BH", "TR", "YR", "AR"];

/// Classifies a Contact ID code (`E110` style numbers) or a SIA two-letter code.
pub fn classify(contact_id: Option<u16>, sia: Option<&str>) -> Classification {
    let alarm_type = match (contact_id, sia) {
        (Some(code), _) => CONTACT_ID.iter().find(|(lo, hi, _)| (*lo..=*hi).contains(&code)).map(|(_, _, t)| *t),
        (None, Some(code)) => SIA.iter().find(|(c, _)| *c == code).map(|(_, t)| *t),
        (None, None) => None,
    }
    .unwrap_or(AlarmType::Other);
    Classification { alarm_type, priority: alarm_type.priority() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brief_s_codes_land_where_operators_expect_them() {
        let cid = |c| classify(Some(c), None).alarm_type;
        assert_eq!(cid(100), AlarmType::Medical);
        assert_eq!(cid(110), AlarmType::Fire);
        assert_eq!(cid(120), AlarmType::Panic);
        assert_eq!(cid(121), AlarmType::Duress);
        assert_eq!(cid(122), AlarmType::HoldUp);
        assert_eq!(cid(130), AlarmType::Burglary);
        assert_eq!(cid(137), AlarmType::Tamper);
        assert_eq!(cid(301), AlarmType::Trouble);
        assert_eq!(cid(302), AlarmType::Trouble);
        assert_eq!(cid(401), AlarmType::OpenClose);
        assert_eq!(cid(602), AlarmType::Test);
        assert_eq!(cid(999), AlarmType::Other);
        let sia = |c| classify(None, Some(c)).alarm_type;
        assert_eq!(sia("FA"), AlarmType::Fire);
        assert_eq!(sia("PA"), AlarmType::Panic);
        assert_eq!(sia("BA"), AlarmType::Burglary);
        assert_eq!(sia("RP"), AlarmType::Test);
        assert_eq!(sia("ZZ"), AlarmType::Other);
    }

    #[test]
    fn priorities_follow_the_three_levels() {
        assert_eq!(classify(Some(120), None).priority, 1);
        assert_eq!(classify(Some(110), None).priority, 1);
        assert_eq!(classify(Some(130), None).priority, 2);
        assert_eq!(classify(Some(302), None).priority, 3);
    }

    #[test]
    fn contact_id_ranges_do_not_overlap() {
        for (i, a) in CONTACT_ID.iter().enumerate() {
            assert!(a.0 <= a.1);
            for b in &CONTACT_ID[i + 1..] {
                assert!(a.1 < b.0 || b.1 < a.0, "{a:?} overlaps {b:?}");
            }
        }
    }
}
