//! What a frame's data says: Contact ID (`#acct|QEEE GG CCC`) or SIA DC-03 (`#acct|Nri1/BA501`).

use crate::codes::{classify, Classification, SIA_RESTORES};
use crate::frame::{Frame, MessageId};

/// Whether an event begins, ends, or is still going on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    New,
    Restore,
    StillPresent,
}

impl Qualifier {
    pub fn as_str(self) -> &'static str {
        match self {
            Qualifier::New => "new",
            Qualifier::Restore => "restore",
            Qualifier::StillPresent => "still_present",
        }
    }
}

/// One event reported by a panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub qualifier: Qualifier,
    /// `E110` style for Contact ID (E + three digits), the two letters for SIA.
    pub code: String,
    /// Zone (Contact ID CCC, SIA number after the code); for open/close it is the user.
    pub zone: Option<u32>,
    /// Partition (Contact ID GG) or area (SIA `ri`).
    pub partition: Option<u32>,
    /// Free text (SIA `|A…` block).
    pub text: Option<String>,
    pub class: Classification,
}

/// Reads the events in a frame's data. A NULL frame has none; data this receiver cannot read is an
/// error the caller answers with DUH.
pub fn parse_payload(frame: &Frame) -> Result<Vec<Event>, &'static str> {
    match frame.id {
        MessageId::Null => Ok(Vec::new()),
        MessageId::AdmCid => contact_id(&frame.data).map(|e| vec![e]),
        MessageId::SiaDcs => sia(&frame.data),
        _ => Err("message type"),
    }
}

/// Splits `#acct|rest` (the account inside the data is optional) and returns the rest.
fn after_account(data: &str) -> &str {
    match data.strip_prefix('#') {
        Some(rest) => rest.split_once('|').map_or("", |(_, r)| r),
        None => data,
    }
}

/// Contact ID digits: 0–9, and B–F standing for 11–15 in the zone as some panels write them.
fn cid_number(text: &str) -> Option<u32> {
    text.chars().try_fold(0u32, |n, c| Some(n * 16 + c.to_digit(16)?)).map(|hexish| {
        if text.chars().all(|c| c.is_ascii_digit()) {
            text.parse().unwrap_or(hexish)
        } else {
            hexish
        }
    })
}

fn contact_id(data: &str) -> Result<Event, &'static str> {
    let body: String = after_account(data).chars().filter(|c| !c.is_whitespace()).collect();
    if body.len() != 9 || !body.is_ascii() {
        return Err("Contact ID event");
    }
    let qualifier = match &body[0..1] {
        "1" => Qualifier::New,
        // The standard says 3; one widely used sender writes 2. Both mean the event has ended.
        "3" | "2" => Qualifier::Restore,
        "6" => Qualifier::StillPresent,
        _ => return Err("Contact ID qualifier"),
    };
    let code: u16 = body[1..4].parse().map_err(|_| "Contact ID event code")?;
    let partition = cid_number(&body[4..6]).ok_or("Contact ID partition")?;
    let zone = cid_number(&body[6..9]).ok_or("Contact ID zone")?;
    Ok(Event {
        qualifier,
        code: format!("E{code:03}"),
        zone: Some(zone),
        partition: Some(partition),
        text: None,
        class: classify(Some(code), None),
    })
}

fn sia(data: &str) -> Result<Vec<Event>, &'static str> {
    let rest = after_account(data);
    let mut blocks = rest.split('|');
    let first = blocks.next().unwrap_or("");
    let text = blocks.find_map(|b| b.strip_prefix('A')).map(str::to_owned);
    let (qualifier_new, fields) = match first.chars().next() {
        Some('N') => (true, &first[1..]),
        Some('O') => (false, &first[1..]),
        _ => return Err("SIA event"),
    };
    let mut partition = None;
    let mut events = Vec::new();
    for field in fields.split('/').filter(|f| !f.is_empty()) {
        // Modifiers: ri (area), id (user), ti (time), pi (peripheral) carry numbers or times.
        if let Some(area) = field.strip_prefix("ri") {
            partition = area.parse().ok();
            continue;
        }
        if field.starts_with("id") || field.starts_with("ti") || field.starts_with("pi") {
            continue;
        }
        if field.len() < 2 || !field.is_char_boundary(2) {
            return Err("SIA event code");
        }
        let (code, number) = field.split_at(2);
        if !code.chars().all(|c| c.is_ascii_uppercase()) {
            return Err("SIA event code");
        }
        let zone = if number.is_empty() { None } else { Some(number.parse::<u32>().map_err(|_| "SIA zone")?) };
        let qualifier = if SIA_RESTORES.contains(&code) {
            Qualifier::Restore
        } else if qualifier_new {
            Qualifier::New
        } else {
            Qualifier::StillPresent
        };
        events.push(Event {
            qualifier,
            code: code.to_owned(),
            zone,
            partition,
            text: text.clone(),
            class: classify(None, Some(code)),
        });
    }
    if events.is_empty() {
        return Err("SIA event code");
    }
    Ok(events)
}
