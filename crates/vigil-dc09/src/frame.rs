//! The DC-09 frame: `<LF> CRC 0LLL "ID" seq [Rrcvr] Lpref #acct [data][xdata…][_timestamp] <CR>`.

use std::fmt;

use crc::{Crc, CRC_16_ARC};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::crypto::{Key, Keys};

/// CRC-16/ARC (poly 0x8005 reflected, init 0), as DC-09 specifies.
const ARC: Crc<u16> = Crc::<u16>::new(&CRC_16_ARC);

/// The longest frame there can be: LF, 4 CRC digits, `0` and 3 length digits, 4095 bytes, CR.
pub const MAX_FRAME_LEN: usize = 1 + 4 + 4 + 0xFFF + 1;

pub fn crc16(bytes: &[u8]) -> u16 {
    ARC.checksum(bytes)
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageId {
    /// SIA DC-03 events.
    SiaDcs,
    /// Contact ID events.
    AdmCid,
    /// Link test / supervision.
    Null,
    Ack,
    Nak,
    Duh,
    /// Anything else a sender may use; a receiver answers it with DUH.
    Other(String),
}

impl MessageId {
    fn parse(text: &str) -> MessageId {
        match text {
            "SIA-DCS" => MessageId::SiaDcs,
            "ADM-CID" => MessageId::AdmCid,
            "NULL" => MessageId::Null,
            "ACK" => MessageId::Ack,
            "NAK" => MessageId::Nak,
            "DUH" => MessageId::Duh,
            other => MessageId::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            MessageId::SiaDcs => "SIA-DCS",
            MessageId::AdmCid => "ADM-CID",
            MessageId::Null => "NULL",
            MessageId::Ack => "ACK",
            MessageId::Nak => "NAK",
            MessageId::Duh => "DUH",
            MessageId::Other(s) => s,
        }
    }
}

/// A timestamp as DC-09 writes it: `_HH:MM:SS,MM-DD-YYYY`, always UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub OffsetDateTime);

impl Timestamp {
    pub fn parse(text: &str) -> Option<Timestamp> {
        let text = text.strip_prefix('_')?;
        let (clock, date) = text.split_once(',')?;
        let mut c = clock.split(':').map(|p| p.parse::<u8>().ok());
        let (h, m, s) = (c.next()??, c.next()??, c.next()??);
        let mut d = date.split('-');
        let (mo, day, year) =
            (d.next()?.parse::<u8>().ok()?, d.next()?.parse::<u8>().ok()?, d.next()?.parse::<i32>().ok()?);
        if c.next().is_some() || d.next().is_some() || clock.len() != 8 || date.len() != 10 {
            return None;
        }
        let date = Date::from_calendar_date(year, Month::try_from(mo).ok()?, day).ok()?;
        let time = Time::from_hms(h, m, s).ok()?;
        Some(Timestamp(PrimitiveDateTime::new(date, time).assume_utc()))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0.to_offset(time::UtcOffset::UTC);
        write!(
            f,
            "_{:02}:{:02}:{:02},{:02}-{:02}-{:04}",
            t.hour(),
            t.minute(),
            t.second(),
            u8::from(t.month()),
            t.day(),
            t.year()
        )
    }
}

/// A decoded frame. For an encrypted frame, `data`, `extended` and `timestamp` are the decrypted ones.
/// The part of a frame before its data block: what a receiver needs to answer it, readable even
/// when the data is not (an encrypted frame with the wrong key, an unreadable payload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub id: MessageId,
    pub encrypted: bool,
    pub sequence: u16,
    pub receiver: Option<String>,
    pub line: String,
    pub account: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub id: MessageId,
    pub encrypted: bool,
    /// 0000–9999; an ACK echoes it.
    pub sequence: u16,
    /// Receiver number (`R…`), hex digits as sent.
    pub receiver: Option<String>,
    /// Line prefix (`L…`), hex digits as sent.
    pub line: String,
    /// Account (`#…`), upper-cased hex digits.
    pub account: String,
    /// The first bracketed block without its brackets, e.g. `#1234|NFA129`; empty for NULL.
    pub data: String,
    /// Further bracketed blocks, e.g. `M1234567890AB`.
    pub extended: Vec<String>,
    pub timestamp: Option<Timestamp>,
}

/// Why a frame was not accepted, each mapped to the answer the sender gets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame does not start with LF")]
    NoStart,
    #[error("frame does not end with CR")]
    NoEnd,
    #[error("CRC or length field is not hex")]
    BadHeader,
    #[error("length field says {declared} bytes, the frame holds {actual}")]
    BadLength { declared: usize, actual: usize },
    #[error("CRC field says {declared:04X}, the bytes give {computed:04X}")]
    BadCrc { declared: u16, computed: u16 },
    #[error("frame is longer than {MAX_FRAME_LEN} bytes")]
    TooLong,
    #[error("malformed {0}")]
    Malformed(&'static str),
    #[error("no key for encrypted account {0}")]
    NoKey(String),
    #[error("could not decrypt (wrong key?)")]
    Undecryptable,
}

impl FrameError {
    /// Errors of transmission (a retry may succeed) rather than of content.
    pub fn is_transmission(&self) -> bool {
        matches!(self, FrameError::BadLength { .. } | FrameError::BadCrc { .. })
    }

    /// A short stable name for counters and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            FrameError::NoStart => "no_start",
            FrameError::NoEnd => "no_end",
            FrameError::BadHeader => "bad_header",
            FrameError::BadLength { .. } => "bad_length",
            FrameError::BadCrc { .. } => "bad_crc",
            FrameError::TooLong => "too_long",
            FrameError::Malformed(_) => "malformed",
            FrameError::NoKey(_) => "unknown_account",
            FrameError::Undecryptable => "wrong_key",
        }
    }
}

/// What a byte stream holds at its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    /// A whole frame of this many bytes is at the start (not yet checked beyond its length).
    Frame(usize),
    /// More bytes are needed.
    Incomplete,
    /// This many bytes before the next LF are noise to drop.
    Garbage(usize),
}

/// Finds where the first frame in a stream buffer ends, using the length field, so that several
/// frames in one read and one frame over many reads are both handled.
pub fn find_frame(buf: &[u8]) -> Scan {
    let Some(start) = buf.iter().position(|b| *b == b'\n') else {
        return if buf.is_empty() { Scan::Incomplete } else { Scan::Garbage(buf.len()) };
    };
    if start > 0 {
        return Scan::Garbage(start);
    }
    if buf.len() < 9 {
        return Scan::Incomplete;
    }
    let crc_ok = buf[1..5].iter().all(u8::is_ascii_hexdigit);
    let len = std::str::from_utf8(&buf[5..9])
        .ok()
        .filter(|t| crc_ok && t.starts_with('0'))
        .and_then(|t| usize::from_str_radix(t, 16).ok());
    let Some(len) = len else {
        // Not a frame header: drop this LF and look for the next one.
        return Scan::Garbage(1);
    };
    let total = 9 + len + 1;
    if buf.len() < total {
        Scan::Incomplete
    } else {
        Scan::Frame(total)
    }
}

struct Cursor<'a> {
    text: &'a str,
}

impl<'a> Cursor<'a> {
    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let end = self.text.find(|c: char| !f(c)).unwrap_or(self.text.len());
        let (head, tail) = self.text.split_at(end);
        self.text = tail;
        head
    }

    fn eat(&mut self, prefix: char) -> bool {
        if let Some(rest) = self.text.strip_prefix(prefix) {
            self.text = rest;
            true
        } else {
            false
        }
    }
}

fn hex_field<'a>(cur: &mut Cursor<'a>, min: usize, max: usize, what: &'static str) -> Result<&'a str, FrameError> {
    let value = cur.take_while(|c| c.is_ascii_hexdigit());
    if value.len() < min || value.len() > max {
        return Err(FrameError::Malformed(what));
    }
    Ok(value)
}

impl Frame {
    /// A plain Contact ID event as a panel sends it: a new `event` (e.g. 120 panic) in partition 01
    /// on `zone`, receiver 1, line 0, stamped `at` to the second.
    pub fn contact_id(account: &str, sequence: u16, event: u16, zone: u32, at: OffsetDateTime) -> Frame {
        Frame {
            id: MessageId::AdmCid,
            encrypted: false,
            sequence,
            receiver: Some("1".into()),
            line: "0".into(),
            account: account.to_owned(),
            data: format!("#{account}|1{event:03} 01 {zone:03}"),
            extended: vec![],
            timestamp: Some(Timestamp(at.replace_nanosecond(0).unwrap_or(at))),
        }
    }

    /// Decodes one whole frame (LF … CR), decrypting it with the account's key when it is encrypted.
    pub fn decode(bytes: &[u8], keys: &Keys) -> Result<Frame, FrameError> {
        if bytes.len() > MAX_FRAME_LEN {
            return Err(FrameError::TooLong);
        }
        let Some(inner) = bytes.strip_prefix(b"\n") else {
            return Err(FrameError::NoStart);
        };
        let Some(inner) = inner.strip_suffix(b"\r") else {
            // Cut where the length field said, the frame does not end with CR: the length is wrong
            // (or the frame was damaged on the way), which the sender learns from a NAK.
            let declared = std::str::from_utf8(inner.get(4..8).unwrap_or_default())
                .ok()
                .filter(|t| t.starts_with('0'))
                .and_then(|t| usize::from_str_radix(t, 16).ok());
            return Err(match declared {
                Some(declared) => {
                    let actual =
                        inner.iter().skip(8).position(|b| *b == b'\r').unwrap_or(inner.len().saturating_sub(8));
                    FrameError::BadLength { declared, actual }
                }
                None => FrameError::NoEnd,
            });
        };
        if inner.len() < 8 {
            return Err(FrameError::BadHeader);
        }
        if !inner[..8].is_ascii() {
            return Err(FrameError::BadHeader);
        }
        let header = std::str::from_utf8(&inner[..8]).map_err(|_| FrameError::BadHeader)?;
        let declared_crc = u16::from_str_radix(&header[..4], 16).map_err(|_| FrameError::BadHeader)?;
        if !header[4..].starts_with('0') {
            return Err(FrameError::BadHeader);
        }
        let declared_len = usize::from_str_radix(&header[4..], 16).map_err(|_| FrameError::BadHeader)?;
        let body = &inner[8..];
        if body.len() != declared_len {
            return Err(FrameError::BadLength { declared: declared_len, actual: body.len() });
        }
        let computed = crc16(body);
        if computed != declared_crc {
            return Err(FrameError::BadCrc { declared: declared_crc, computed });
        }
        let text = std::str::from_utf8(body).map_err(|_| FrameError::Malformed("text"))?;
        Frame::parse_body(text, keys)
    }

    /// The header of a frame whose body could not be read as a whole, so that a DUH can name the
    /// sequence, receiver, line and account the sender will match it to. `None` when even the
    /// header is unreadable (the answer then carries `0000` and `#000`).
    pub fn read_header(bytes: &[u8]) -> Option<Header> {
        let inner = bytes.strip_prefix(b"\n")?;
        let inner = inner.strip_suffix(b"\r").unwrap_or(inner);
        let body = inner.get(8..)?;
        // Only the bytes up to the data block need be text: the rest may be anything.
        let end = body.iter().position(|b| *b == b'[').unwrap_or(body.len());
        let text = std::str::from_utf8(&body[..end]).ok()?;
        let mut cur = Cursor { text };
        Frame::parse_header(&mut cur).ok()
    }

    fn parse_header(cur: &mut Cursor<'_>) -> Result<Header, FrameError> {
        if !cur.eat('"') {
            return Err(FrameError::Malformed("message id"));
        }
        let encrypted = cur.eat('*');
        let id = cur.take_while(|c| c != '"');
        if id.is_empty() || !cur.eat('"') {
            return Err(FrameError::Malformed("message id"));
        }
        let id = MessageId::parse(id);
        let seq = cur.take_while(|c| c.is_ascii_digit());
        if seq.len() != 4 {
            return Err(FrameError::Malformed("sequence"));
        }
        let sequence = seq.parse::<u16>().map_err(|_| FrameError::Malformed("sequence"))?;
        let receiver = if cur.eat('R') { Some(hex_field(cur, 1, 6, "receiver")?.to_ascii_uppercase()) } else { None };
        if !cur.eat('L') {
            return Err(FrameError::Malformed("line prefix"));
        }
        let addressing = cur.text.split('[').next().unwrap_or("");
        let (line, account) = match addressing.split_once('#') {
            Some((line, _)) => {
                let line = hex_field(&mut Cursor { text: line }, 1, 6, "line prefix")?;
                if line.len() != addressing.find('#').unwrap_or(0) {
                    return Err(FrameError::Malformed("line prefix"));
                }
                cur.text = &cur.text[line.len() + 1..];
                (line.to_ascii_uppercase(), hex_field(cur, 3, 16, "account")?.to_ascii_uppercase())
            }
            // A receiver's NAK or DUH carries `A0` where it could not read an account: `L0A0[`.
            None if matches!(id, MessageId::Nak | MessageId::Duh) => {
                let pos = addressing.rfind('A').ok_or(FrameError::Malformed("account"))?;
                let (line, account) = (&addressing[..pos], &addressing[pos + 1..]);
                let valid = |t: &str| !t.is_empty() && t.len() <= 16 && t.chars().all(|c| c.is_ascii_hexdigit());
                if !valid(line) || !valid(account) {
                    return Err(FrameError::Malformed("account"));
                }
                cur.text = &cur.text[addressing.len()..];
                (line.to_ascii_uppercase(), account.to_ascii_uppercase())
            }
            None => return Err(FrameError::Malformed("account")),
        };
        Ok(Header { id, encrypted, sequence, receiver, line, account })
    }

    fn parse_body(text: &str, keys: &Keys) -> Result<Frame, FrameError> {
        let mut cur = Cursor { text };
        let Header { id, encrypted, sequence, receiver, line, account } = Frame::parse_header(&mut cur)?;
        if !cur.eat('[') {
            return Err(FrameError::Malformed("data"));
        }
        let (data, extended, timestamp) = if encrypted {
            let key = keys.get(&account).ok_or_else(|| FrameError::NoKey(account.clone()))?;
            let cipher = cur.text;
            let plain = key.decrypt_hex(cipher).ok_or(FrameError::Undecryptable)?;
            // Skip the pad: anything up to the first '|' (data follows) or ']' (no data, e.g. NULL).
            let split = plain.iter().position(|b| *b == b'|' || *b == b']').ok_or(FrameError::Undecryptable)?;
            let rest = if plain[split] == b'|' { &plain[split + 1..] } else { &plain[split..] };
            let rest = std::str::from_utf8(rest).map_err(|_| FrameError::Undecryptable)?;
            let (data, tail) = rest.split_once(']').ok_or(FrameError::Undecryptable)?;
            let (extended, timestamp) = parse_tail(tail)?;
            (data.to_owned(), extended, timestamp)
        } else {
            let (data, tail) = cur.text.split_once(']').ok_or(FrameError::Malformed("data"))?;
            let (extended, timestamp) = parse_tail(tail)?;
            (data.to_owned(), extended, timestamp)
        };
        if encrypted && timestamp.is_none() {
            return Err(FrameError::Malformed("timestamp (mandatory when encrypted)"));
        }
        Ok(Frame { id, encrypted, sequence, receiver, line, account, data, extended, timestamp })
    }

    /// What a receiver's answer needs of this frame.
    pub fn header(&self) -> Header {
        Header {
            id: self.id.clone(),
            encrypted: self.encrypted,
            sequence: self.sequence,
            receiver: self.receiver.clone(),
            line: self.line.clone(),
            account: self.account.clone(),
        }
    }

    /// Writes the frame (encrypting it with `key` when `self.encrypted`), with CRC and length.
    /// `pad` supplies the pad bytes of an encrypted frame (cycled; random bytes in a real sender).
    pub fn encode(&self, key: Option<&Key>, pad: &[u8]) -> Vec<u8> {
        let mut body = String::new();
        body.push('"');
        if self.encrypted {
            body.push('*');
        }
        body.push_str(self.id.as_str());
        body.push('"');
        body.push_str(&format!("{:04}", self.sequence % 10_000));
        if let Some(r) = &self.receiver {
            body.push('R');
            body.push_str(r);
        }
        body.push('L');
        body.push_str(&self.line);
        // A NAK or DUH read in the standard's `A0` form is written back the same way.
        let short_answer = matches!(self.id, MessageId::Nak | MessageId::Duh) && self.account.len() < 3;
        body.push(if short_answer { 'A' } else { '#' });
        body.push_str(&self.account);
        body.push('[');
        let mut tail = String::new();
        for x in &self.extended {
            tail.push('[');
            tail.push_str(x);
            tail.push(']');
        }
        if let Some(ts) = &self.timestamp {
            tail.push_str(&ts.to_string());
        }
        match (self.encrypted, key) {
            (true, Some(key)) => {
                let mut content = Vec::new();
                if !self.data.is_empty() {
                    content.push(b'|');
                    content.extend_from_slice(self.data.as_bytes());
                }
                content.push(b']');
                content.extend_from_slice(tail.as_bytes());
                // The pad goes in front and fills the plaintext to whole AES blocks (1 to 16 bytes).
                let needed = 16 - content.len() % 16;
                let mut plain: Vec<u8> = pad_bytes(pad).take(needed).collect();
                plain.extend_from_slice(&content);
                body.push_str(&key.encrypt_hex(&plain));
            }
            _ => {
                body.push_str(&self.data);
                body.push(']');
                body.push_str(&tail);
            }
        }
        wrap(body.as_bytes())
    }
}

/// Pad bytes from `seed`, skipping the three that would end the pad early (`[`, `]`, `|`). A sender
/// may pad with any other byte, binary included, and `vigil sim` does so to prove the receiver
/// reads such pads.
pub(crate) fn pad_bytes(seed: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let fallback: &[u8] = b"0";
    let source = if seed.iter().any(|b| !matches!(b, b'[' | b']' | b'|')) { seed } else { fallback };
    source.iter().copied().filter(|b| !matches!(b, b'[' | b']' | b'|')).cycle()
}

/// What an answer is padded with: letters and digits only. Some senders turn the decrypted block
/// into text before they look for `]` and reject anything else, so answers are conservative.
pub const ANSWER_PAD_ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Printable pad characters from `seed` (random bytes in the receiver): each byte picks a letter
/// or digit; an empty seed pads with `0`.
pub(crate) fn answer_pad(seed: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let fallback: &[u8] = &[0];
    let source = if seed.is_empty() { fallback } else { seed };
    source.iter().map(|b| ANSWER_PAD_ALPHABET[usize::from(*b) % ANSWER_PAD_ALPHABET.len()]).cycle()
}

fn parse_tail(mut tail: &str) -> Result<(Vec<String>, Option<Timestamp>), FrameError> {
    let mut extended = Vec::new();
    while let Some(rest) = tail.strip_prefix('[') {
        let (block, after) = rest.split_once(']').ok_or(FrameError::Malformed("extended data"))?;
        extended.push(block.to_owned());
        tail = after;
    }
    let timestamp =
        if tail.is_empty() { None } else { Some(Timestamp::parse(tail).ok_or(FrameError::Malformed("timestamp"))?) };
    Ok((extended, timestamp))
}

/// Puts LF, CRC, length and CR around a body.
pub(crate) fn wrap(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 10);
    out.push(b'\n');
    out.extend_from_slice(format!("{:04X}0{:03X}", crc16(body), body.len()).as_bytes());
    out.extend_from_slice(body);
    out.push(b'\r');
    out
}
