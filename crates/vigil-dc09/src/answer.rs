//! The receiver's answers: ACK mirrors the sender's addressing (encrypted when its message was),
//! NAK carries the receiver's clock, DUH says "cannot handle this".

use time::OffsetDateTime;

use crate::frame::{answer_pad, wrap, Frame, Header, Timestamp};
use crate::Key;

/// What a receiver sends back for one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Ack(Vec<u8>),
    Nak(Vec<u8>),
    Duh(Vec<u8>),
    /// Nothing: bytes that were not a frame at all.
    Silence,
}

impl Answer {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Answer::Ack(b) | Answer::Nak(b) | Answer::Duh(b) => b,
            Answer::Silence => &[],
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Answer::Ack(_) => "ACK",
            Answer::Nak(_) => "NAK",
            Answer::Duh(_) => "DUH",
            Answer::Silence => "none",
        }
    }
}

fn addressing(frame: &Header) -> String {
    let mut s = String::new();
    if let Some(r) = &frame.receiver {
        s.push('R');
        s.push_str(r);
    }
    s.push('L');
    s.push_str(&frame.line);
    s.push('#');
    s.push_str(&frame.account);
    s
}

/// Acknowledges `frame`. An encrypted frame gets `"*ACK"` with its `]_timestamp` part encrypted
/// with the same key; `pad` is random bytes, each turned into a letter or digit of the pad (never
/// `[`, `]` or `|`, and never a byte that is not text).
pub fn ack(frame: &Frame, key: Option<&Key>, now: OffsetDateTime, pad: &[u8]) -> Answer {
    let seq = frame.sequence;
    let header = frame.header();
    match (frame.encrypted, key) {
        (true, Some(key)) => {
            let content = format!("]{}", Timestamp(now));
            let needed = 16 - content.len() % 16;
            let mut plain: Vec<u8> = answer_pad(pad).take(needed).collect();
            plain.extend_from_slice(content.as_bytes());
            let body = format!("\"*ACK\"{seq:04}{}[{}", addressing(&header), key.encrypt_hex(&plain));
            Answer::Ack(wrap(body.as_bytes()))
        }
        _ => Answer::Ack(wrap(format!("\"ACK\"{seq:04}{}[]", addressing(&header)).as_bytes())),
    }
}

/// Refuses a frame whose timestamp is outside the window, or that was damaged on the way; carries
/// the receiver's time so the sender can correct its clock. Never encrypted.
///
/// It mirrors the sender's addressing when the frame could be read. Otherwise it names account
/// `#000` rather than the `A0` of the standard's example, because a widely used sender library
/// cannot read a NAK without a `#` account.
pub fn nak(now: OffsetDateTime, frame: Option<&Frame>) -> Answer {
    let addressing = frame.map_or_else(|| "R0L0#000".to_owned(), |f| addressing(&f.header()));
    Answer::Nak(wrap(format!("\"NAK\"0000{addressing}[]{}", Timestamp(now)).as_bytes()))
}

/// Says the receiver cannot handle the message (unknown type or account policy, undecryptable).
/// Where the frame's header could be read (`Frame::read_header`, or `Frame::header` of a decoded
/// frame) the DUH names its sequence, receiver, line and account, so that the sender can match it
/// to what it sent; only a frame whose header is unreadable gets `0000` and `#000`.
pub fn duh(frame: Option<&Header>) -> Answer {
    let body = match frame {
        Some(f) => format!("\"DUH\"{:04}{}[]", f.sequence, addressing(f)),
        None => "\"DUH\"0000R0L0#000[]".to_owned(),
    };
    Answer::Duh(wrap(body.as_bytes()))
}
