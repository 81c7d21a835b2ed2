//! Any bytes a network can deliver: the stream scanner and the decoder must answer, never panic,
//! and whatever decodes must encode back to a frame that decodes to the same thing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_dc09::{ack, duh, find_frame, parse_payload, Frame, Key, Keys, Scan, ANSWER_PAD_ALPHABET};

fuzz_target!(|data: &[u8]| {
    let mut keys = Keys::none();
    if let Ok(key) = Key::from_hex("000102030405060708090A0B0C0D0E0F") {
        keys.insert("1234", key);
    }
    let mut rest = data;
    while !rest.is_empty() {
        match find_frame(rest) {
            Scan::Frame(n) => {
                // A DUH can always be written for whatever header could be read.
                let _ = duh(Frame::read_header(&rest[..n]).as_ref());
                if let Ok(frame) = Frame::decode(&rest[..n], &keys) {
                    let _ = parse_payload(&frame);
                    // An encrypted ACK is text through and through, whatever pad bytes were drawn.
                    if let (true, Some(key)) = (frame.encrypted, keys.get(&frame.account)) {
                        let now = time::OffsetDateTime::UNIX_EPOCH;
                        let answer = ack(&frame, Some(key), now, &rest[..n.min(16)]);
                        let text = std::str::from_utf8(answer.bytes()).expect("ASCII answer");
                        let cipher = text.split_once('[').map(|(_, c)| c.trim_end_matches('\r')).unwrap_or("");
                        let plain = key.decrypt_hex(cipher).expect("whole blocks");
                        let end = plain.iter().position(|b| *b == b']').expect("]");
                        assert!(plain[..end].iter().all(|b| ANSWER_PAD_ALPHABET.contains(b)));
                        assert!(std::str::from_utf8(&plain).is_ok());
                    }
                    let key = keys.get(&frame.account).filter(|_| frame.encrypted);
                    if !frame.encrypted || key.is_some() {
                        let again = frame.encode(key, b"pad");
                        // Data holding ']' cannot round-trip through brackets; everything else must.
                        if !frame.data.contains(']') && !frame.extended.iter().any(|x| x.contains(']') || x.contains('[')) {
                            assert_eq!(Frame::decode(&again, &keys).as_ref(), Ok(&frame));
                        }
                    }
                }
                rest = &rest[n..];
            }
            Scan::Garbage(n) => rest = &rest[n..],
            Scan::Incomplete => break,
        }
    }
    let _ = Frame::decode(data, &keys);
});
