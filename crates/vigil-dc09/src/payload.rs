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

/// Reads SIA DC-03 event blocks: `N` (new) or `O` (old), then per event any of the modifiers
/// `ri` area, `id` user, `pi` peripheral (digits, optionally `^name^`) and `ti` time (`hh:mm[:ss]`),
/// then a two-letter code and its zone; `/` separates events. Both `Nri1/BA501` and `Nri1BA501`
/// are in use.
fn sia(data: &str) -> Result<Vec<Event>, &'static str> {
    let rest = after_account(data);
    let mut blocks = rest.split('|');
    let first = blocks.next().unwrap_or("");
    let text = blocks.find_map(|b| b.strip_prefix('A')).map(str::to_owned);
    let mut chars = first.chars().peekable();
    let qualifier_new = match chars.next() {
        Some('N') => true,
        Some('O') => false,
        _ => return Err("SIA event"),
    };
    let body: String = chars.collect();
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut partition = None;
    let mut events = Vec::new();
    let digits = |i: &mut usize| -> &str {
        let start = *i;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
        &body[start..*i]
    };
    while i < bytes.len() {
        match bytes[i] {
            b'/' => i += 1,
            b'^' => {
                // A name after a modifier, `^…^`: skipped.
                let end = body[i + 1..].find('^').ok_or("SIA name")?;
                i += end + 2;
            }
            _ if body[i..].starts_with("ri") => {
                i += 2;
                partition = digits(&mut i).parse().ok();
            }
            _ if body[i..].starts_with("id") || body[i..].starts_with("pi") => {
                i += 2;
                digits(&mut i);
            }
            _ if body[i..].starts_with("ti") => {
                i += 2;
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b':') {
                    i += 1;
                }
            }
            c if c.is_ascii_uppercase() && i + 1 < bytes.len() && bytes[i + 1].is_ascii_uppercase() => {
                let code = &body[i..i + 2];
                i += 2;
                let number = digits(&mut i);
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
            _ => return Err("SIA event code"),
        }
    }
    if events.is_empty() {
        return Err("SIA event code");
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_contact_id_frame_reads_back_as_its_event() {
        let at = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let frame = Frame::contact_id("1A2B", 42, 120, 7, at);
        let back = Frame::decode(&frame.encode(None, b""), &crate::Keys::none()).expect("decodes");
        assert_eq!((back.account.as_str(), back.sequence), ("1A2B", 42));
        let events = parse_payload(&back).expect("payload");
        assert_eq!((events[0].zone, events[0].qualifier, events[0].class.priority), (Some(7), Qualifier::New, 1));
    }

    #[test]
    fn sia_blocks_with_and_without_separators() {
        let one = sia("#1234|Nri1/BA501").expect("separated");
        assert_eq!((one[0].code.as_str(), one[0].zone, one[0].partition), ("BA", Some(501), Some(1)));
        let packed = sia("#1234|Nri1PA9").expect("packed");
        assert_eq!((packed[0].code.as_str(), packed[0].zone, packed[0].partition), ("PA", Some(9), Some(1)));
        let named = sia("#1234|Nri2^Ward 5^id12^Li^ti10:15FA003/FA004").expect("names and time");
        assert_eq!(named.len(), 2);
        assert_eq!((named[1].code.as_str(), named[1].zone, named[1].partition), ("FA", Some(4), Some(2)));
        let restore = sia("#1234|NBR501").expect("restore");
        assert_eq!(restore[0].qualifier, Qualifier::Restore);
        let text = sia("#1234|NRR|Atest").expect("text");
        assert_eq!(text[0].text.as_deref(), Some("test"));
        assert!(sia("#1234|X").is_err());
        assert!(sia("#1234|N").is_err());
        assert!(sia("#1234|Nba1").is_err());
    }
}
