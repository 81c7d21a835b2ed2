//! SIA DC-09: how alarm panels and one-click buttons report to a receiving centre over IP.
//!
//! This crate reads and writes the frames, checks their CRC and length, decrypts and encrypts the
//! AES variants, reads Contact ID and SIA DC-03 payloads into events with Vigil's alarm types, and
//! builds the receiver's answers (ACK, NAK, DUH). It does no I/O, so a TCP or UDP receiver, a
//! simulator, a fuzzer and a test all use the same code.
//!
//! ```
//! use vigil_dc09::{Frame, Keys};
//! let bytes = b"\nCE110032\"SIA-DCS\"9876R579BDFL789ABC#12345A[#12345A|NFA129]\r";
//! let frame = Frame::decode(bytes, &Keys::none()).expect("a valid frame");
//! assert_eq!(frame.account, "12345A");
//! assert_eq!(frame.data, "#12345A|NFA129");
//! ```

mod answer;
mod codes;
mod crypto;
mod frame;
mod payload;

pub use answer::{ack, duh, nak, Answer};
pub use codes::{classify, AlarmType, Classification};
pub use crypto::{Key, KeyError, Keys};
pub use frame::{
    crc16, find_frame, Frame, FrameError, Header, MessageId, Scan, Timestamp, ANSWER_PAD_ALPHABET, MAX_FRAME_LEN,
};
pub use payload::{parse_payload, Event, Qualifier};

/// Whether a frame's timestamp is inside the receiver's window: from 40 s behind to 20 s ahead.
pub fn timestamp_acceptable(sent: time::OffsetDateTime, now: time::OffsetDateTime) -> bool {
    let skew = sent - now;
    skew <= time::Duration::seconds(20) && skew >= time::Duration::seconds(-40)
}
