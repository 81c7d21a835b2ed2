//! The codec against the standard's example frames, each checked by two or three independent
//! implementations, round trips, and every way a frame is refused.

use proptest::prelude::*;
use time::macros::datetime;
use vigil_dc09::*;

const EXAMPLES: &[&[u8]] = &[
    b"\n87CD0037\"ADM-CID\"9876R579BDFL789ABC#12345A[#12345A|1110 00 129]\r",
    b"\nCE110032\"SIA-DCS\"9876R579BDFL789ABC#12345A[#12345A|NFA129]\r",
    b"\n8C860043\"SIA-DCS\"9876R579BDFL789ABC#123456A[#123456A|NFA129][M1234567890AB]\r",
    b"\nF4D20029\"SIA-DCS\"0001RF3L77#1234[#1234|NRR|Atest]\r",
    b"\n96ED0016\"SIA-DCS\"0001L0#1234[]\r",
    b"\nE4410025\"NAK\"0000R0L0A0[]_16:20:01,09-24-2025\r",
    b"\nAF4D0027\"ADM-CID\"0009L0#1111[#1111|1130 00 005]\r",
];

#[test]
fn the_crc_is_crc16_arc() {
    assert_eq!(crc16(b"123456789"), 0xBB3D);
}

#[test]
fn every_example_frame_has_the_crc_and_length_it_claims() {
    for example in EXAMPLES {
        let body = &example[9..example.len() - 1];
        let text = std::str::from_utf8(&example[1..9]).expect("ascii header");
        assert_eq!(
            u16::from_str_radix(&text[..4], 16).expect("crc"),
            crc16(body),
            "{}",
            String::from_utf8_lossy(example)
        );
        assert_eq!(usize::from_str_radix(&text[4..], 16).expect("len"), body.len());
        assert_eq!(find_frame(example), Scan::Frame(example.len()));
    }
}

#[test]
fn example_events_decode_to_the_right_alarms() {
    let cid = Frame::decode(EXAMPLES[0], &Keys::none()).expect("cid");
    assert_eq!(
        (cid.id.clone(), cid.sequence, cid.receiver.as_deref(), cid.line.as_str(), cid.account.as_str()),
        (MessageId::AdmCid, 9876, Some("579BDF"), "789ABC", "12345A")
    );
    let events = parse_payload(&cid).expect("payload");
    assert_eq!(events[0].code, "E110");
    assert_eq!((events[0].qualifier, events[0].zone, events[0].partition), (Qualifier::New, Some(129), Some(0)));
    assert_eq!(events[0].class.alarm_type, AlarmType::Fire);
    assert_eq!(events[0].class.priority, 1);

    let sia = Frame::decode(EXAMPLES[1], &Keys::none()).expect("sia");
    let events = parse_payload(&sia).expect("payload");
    assert_eq!(
        (events[0].code.as_str(), events[0].zone, events[0].class.alarm_type),
        ("FA", Some(129), AlarmType::Fire)
    );

    let xdata = Frame::decode(EXAMPLES[2], &Keys::none()).expect("xdata");
    assert_eq!(xdata.extended, ["M1234567890AB"]);

    let text = Frame::decode(EXAMPLES[3], &Keys::none()).expect("text");
    let events = parse_payload(&text).expect("payload");
    assert_eq!((events[0].code.as_str(), events[0].text.as_deref()), ("RR", Some("test")));

    let empty = Frame::decode(EXAMPLES[4], &Keys::none()).expect("empty");
    assert_eq!(empty.data, "");

    let restore = Frame::decode(EXAMPLES[6], &Keys::none()).expect("restore");
    let events = parse_payload(&restore).expect("payload");
    assert_eq!((events[0].qualifier, events[0].code.as_str(), events[0].zone), (Qualifier::New, "E130", Some(5)));
}

#[test]
fn a_nak_carries_the_receiver_s_clock() {
    let now = datetime!(2025-09-24 16:20:01 UTC);
    let answer = nak(now, None);
    assert!(
        answer.bytes().ends_with(b"\"NAK\"0000R0L0#000[]_16:20:01,09-24-2025\r"),
        "{:?}",
        String::from_utf8_lossy(answer.bytes())
    );
    let decoded = Frame::decode(answer.bytes(), &Keys::none()).expect("our NAK decodes");
    assert_eq!(decoded.timestamp, Some(Timestamp(now)));
    let sender = Frame::decode(EXAMPLES[1], &Keys::none()).expect("frame");
    assert!(String::from_utf8_lossy(nak(now, Some(&sender)).bytes()).contains("\"NAK\"0000R579BDFL789ABC#12345A[]"));
    let back = Frame::decode(EXAMPLES[5], &Keys::none()).expect("a NAK decodes");
    assert_eq!((back.id.clone(), back.account.as_str()), (MessageId::Nak, "0"));
    assert_eq!(back.encode(None, b""), EXAMPLES[5], "the A0 form is written back as read (found by cargo fuzz)");
    assert_eq!(back.timestamp, Some(Timestamp(now)));
    assert_eq!(Frame::decode(duh(None).bytes(), &Keys::none()).expect("a DUH decodes").id, MessageId::Duh);
}

#[test]
fn an_ack_mirrors_the_sender_s_addressing() {
    let frame = Frame::decode(EXAMPLES[0], &Keys::none()).expect("cid");
    let answer = ack(&frame, None, datetime!(2025-09-24 16:20:01 UTC), b"");
    let text = String::from_utf8_lossy(answer.bytes()).into_owned();
    assert!(text.ends_with("\"ACK\"9876R579BDFL789ABC#12345A[]\r"), "{text:?}");
    let back = Frame::decode(answer.bytes(), &Keys::none()).expect("an ACK is itself a valid frame");
    assert_eq!(back.id, MessageId::Ack);
    let duh = duh(Some(&frame.header()));
    assert!(String::from_utf8_lossy(duh.bytes()).contains("\"DUH\"9876R579BDFL789ABC#12345A[]"));
}

fn sample(encrypted: bool, id: MessageId, data: &str) -> Frame {
    Frame {
        id,
        encrypted,
        sequence: 42,
        receiver: Some("1".into()),
        line: "0".into(),
        account: "1234".into(),
        data: data.into(),
        extended: vec![],
        timestamp: Some(Timestamp(datetime!(2026-11-22 03:00:00 UTC))),
    }
}

#[test]
fn encrypted_frames_round_trip_with_hex_and_text_keys() {
    let hex = Key::from_hex("000102030405060708090A0B0C0D0E0F").expect("hex key");
    let text = Key::from_text("0123456789abcdef0123456789abcdef").expect("text key");
    for key in [hex, text, Key::from_hex(&"AB".repeat(24)).expect("192")] {
        let mut keys = Keys::none();
        keys.insert("1234", key.clone());
        for frame in [sample(true, MessageId::AdmCid, "#1234|1120 01 007"), sample(true, MessageId::Null, "")] {
            let bytes = frame.encode(Some(&key), b"xyz");
            assert!(String::from_utf8_lossy(&bytes).contains("\"*"));
            assert_eq!(Frame::decode(&bytes, &keys).expect("decrypts"), frame);
            // Lower-case hex is accepted too.
            let lower = String::from_utf8_lossy(&bytes).into_owned();
            let start = lower.find('[').expect("bracket");
            let lowered = format!("{}{}", &lower[..start], lower[start..].to_ascii_lowercase());
            let body = &lowered.as_bytes()[9..lowered.len() - 1];
            let rewrapped =
                format!("\n{:04X}0{:03X}{}\r", crc16(body), body.len(), std::str::from_utf8(body).expect("ascii"));
            assert_eq!(Frame::decode(rewrapped.as_bytes(), &keys).expect("lower-case hex"), frame);
        }
        // The receiver's ACK to an encrypted frame is encrypted and decodes with the same key.
        let frame = sample(true, MessageId::SiaDcs, "#1234|NPA001");
        let answer = ack(&frame, Some(&key), datetime!(2026-11-22 03:00:05 UTC), b"p");
        let back = Frame::decode(answer.bytes(), &keys).expect("encrypted ACK");
        assert!(back.encrypted && back.id == MessageId::Ack && back.timestamp.is_some());
    }
}

#[test]
fn binary_pads_of_any_length_are_skipped() {
    let key = Key::from_hex("00112233445566778899AABBCCDDEEFF").expect("key");
    let mut keys = Keys::none();
    keys.insert("1234", key.clone());
    // 16 to 31 binary pad bytes, as one sender writes them.
    for pad_len in 16..32usize {
        let content = b"|#1234|NBA501]_03:00:00,11-22-2026";
        let total = (pad_len + content.len()).div_ceil(16) * 16;
        let mut plain: Vec<u8> = (0..total - content.len()).map(|i| (i as u8).wrapping_mul(37) | 0x80).collect();
        plain.extend_from_slice(content);
        let body = format!("\"*SIA-DCS\"0001L0#1234[{}", key.encrypt_hex(&plain));
        let frame = format!("\n{:04X}0{:03X}{body}\r", crc16(body.as_bytes()), body.len());
        let decoded = Frame::decode(frame.as_bytes(), &keys).expect("binary pad");
        assert_eq!(decoded.data, "#1234|NBA501");
    }
}

#[test]
fn each_rejection_says_why() {
    let good = EXAMPLES[1].to_vec();
    let mut bad_crc = good.clone();
    bad_crc[1] = b'0';
    assert!(matches!(Frame::decode(&bad_crc, &Keys::none()), Err(FrameError::BadCrc { .. })));
    let mut bad_len = good.clone();
    bad_len[8] = b'1';
    assert!(matches!(Frame::decode(&bad_len, &Keys::none()), Err(FrameError::BadLength { .. })));
    assert_eq!(Frame::decode(&good[1..], &Keys::none()), Err(FrameError::NoStart));
    assert!(matches!(Frame::decode(&good[..good.len() - 1], &Keys::none()), Err(FrameError::BadLength { .. })));
    assert_eq!(Frame::decode(b"\nZZ", &Keys::none()), Err(FrameError::NoEnd));
    assert_eq!(Frame::decode(&vec![b'\n'; MAX_FRAME_LEN + 1], &Keys::none()), Err(FrameError::TooLong));
    assert_eq!(Frame::decode(b"\nZZZZ0001x\r", &Keys::none()), Err(FrameError::BadHeader));
    // Found by cargo fuzz: multi-byte characters in the header once split a char in two.
    assert_eq!(Frame::decode(b"\nC\xc7\xba\xce\xa4\x000\x001\x00]\r", &Keys::none()), Err(FrameError::BadHeader));

    let key = Key::from_hex("000102030405060708090A0B0C0D0E0F").expect("key");
    let encrypted = sample(true, MessageId::SiaDcs, "#1234|NBA001").encode(Some(&key), b"q");
    assert_eq!(Frame::decode(&encrypted, &Keys::none()), Err(FrameError::NoKey("1234".into())));
    let mut wrong = Keys::none();
    wrong.insert("1234", Key::from_hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF").expect("key"));
    assert_eq!(Frame::decode(&encrypted, &wrong), Err(FrameError::Undecryptable));

    for body in [
        "\"SIA-DCS\"12L0#1234[]",
        "\"SIA-DCS\"0001#1234[]",
        "\"SIA-DCS\"0001L0#12[]",
        "\"SIA-DCS\"0001L0#1234[#1234|NBA1",
        "SIA-DCS\"0001L0#1234[]",
        "\"SIA-DCS\"0001L0#1234[]_99:00:00,01-01-2026",
    ] {
        let frame = format!("\n{:04X}0{:03X}{body}\r", crc16(body.as_bytes()), body.len());
        assert!(matches!(Frame::decode(frame.as_bytes(), &Keys::none()), Err(FrameError::Malformed(_))), "{body}");
    }
    assert!(parse_payload(&sample(false, MessageId::AdmCid, "#1234|9999")).is_err());
    assert!(parse_payload(&sample(false, MessageId::Other("XYZ".into()), "")).is_err());
}

#[test]
fn the_timestamp_window_is_forty_seconds_behind_to_twenty_ahead() {
    let now = datetime!(2026-11-22 03:00:00 UTC);
    assert!(timestamp_acceptable(now - time::Duration::seconds(40), now));
    assert!(!timestamp_acceptable(now - time::Duration::seconds(41), now));
    assert!(timestamp_acceptable(now + time::Duration::seconds(20), now));
    assert!(!timestamp_acceptable(now + time::Duration::seconds(21), now));
}

#[test]
fn a_stream_is_cut_into_frames() {
    let mut stream = b"garbage".to_vec();
    stream.extend_from_slice(EXAMPLES[1]);
    stream.extend_from_slice(EXAMPLES[4]);
    assert_eq!(find_frame(&stream), Scan::Garbage(7));
    let rest = &stream[7..];
    assert_eq!(find_frame(rest), Scan::Frame(EXAMPLES[1].len()));
    assert_eq!(find_frame(&rest[..10]), Scan::Incomplete);
    assert_eq!(find_frame(&rest[EXAMPLES[1].len()..]), Scan::Frame(EXAMPLES[4].len()));
    assert_eq!(find_frame(b"\nXXXX0012"), Scan::Garbage(1));
}

fn any_frame() -> impl Strategy<Value = (Frame, bool)> {
    (
        prop_oneof![Just(MessageId::SiaDcs), Just(MessageId::AdmCid), Just(MessageId::Null)],
        any::<bool>(),
        0u16..10_000,
        proptest::option::of("[0-9A-F]{1,6}"),
        "[0-9A-F]{1,6}",
        "[0-9A-F]{3,16}",
        "[A-Za-z0-9 #/]{0,60}",
        proptest::collection::vec("[A-Z][A-Za-z0-9]{0,20}", 0..3),
        0i64..4_000_000_000,
    )
        .prop_map(|(id, encrypted, sequence, receiver, line, account, data, extended, secs)| {
            let ts =
                time::OffsetDateTime::from_unix_timestamp(secs).expect("in range").replace_nanosecond(0).expect("ns");
            let data = if id == MessageId::Null { String::new() } else { data };
            (
                Frame {
                    id,
                    encrypted,
                    sequence,
                    receiver,
                    line,
                    account,
                    data,
                    extended,
                    timestamp: Some(Timestamp(ts)),
                },
                encrypted,
            )
        })
}

proptest! {
    #[test]
    fn frames_survive_encoding(frame_and_flag in any_frame(), pad in proptest::collection::vec(any::<u8>(), 1..20)) {
        let (frame, encrypted) = frame_and_flag;
        let key = Key::from_hex("2B7E151628AED2A6ABF7158809CF4F3C").expect("key");
        let mut keys = Keys::none();
        keys.insert(&frame.account, key.clone());
        let bytes = frame.encode(encrypted.then_some(&key), &pad);
        prop_assert_eq!(find_frame(&bytes), Scan::Frame(bytes.len()));
        prop_assert_eq!(Frame::decode(&bytes, &keys).expect("decodes"), frame);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Frame::decode(&bytes, &Keys::none());
        let _ = find_frame(&bytes);
    }
}

/// Reads an encrypted answer the way the strictest senders do: the decrypted block must be text
/// before `]` is looked for. Returns the plaintext.
fn strict_plaintext(answer: &[u8], key: &Key) -> String {
    let text = std::str::from_utf8(answer).expect("an answer is ASCII");
    let cipher = text.split_once('[').expect("data block").1.trim_end_matches('\r');
    let plain = key.decrypt_hex(cipher).expect("whole blocks of hex");
    let plain = String::from_utf8(plain).expect("the decrypted answer is text");
    assert!(plain.contains(']'), "{plain:?}");
    plain
}

proptest! {
    #[test]
    fn encrypted_acks_are_padded_with_letters_and_digits(
        seed in proptest::collection::vec(any::<u8>(), 0..40),
        sequence in 0u16..10_000,
        key_bytes in prop_oneof![Just(16usize), Just(24), Just(32)],
    ) {
        let key = Key::from_bytes(&vec![0x5Au8; key_bytes]).expect("key");
        let mut frame = sample(true, MessageId::SiaDcs, "#1234|NPA001");
        frame.sequence = sequence;
        let answer = ack(&frame, Some(&key), datetime!(2026-11-22 03:00:05 UTC), &seed);
        let plain = strict_plaintext(answer.bytes(), &key);
        let (pad, rest) = plain.split_once(']').expect("]");
        prop_assert!(!pad.is_empty() && pad.bytes().all(|b| ANSWER_PAD_ALPHABET.contains(&b)), "pad {pad:?}");
        prop_assert!(rest.starts_with('_'), "the timestamp follows: {rest:?}");
        prop_assert!(plain.bytes().all(|b| b.is_ascii_graphic()));
    }
}

#[test]
fn a_binary_pad_from_a_sender_still_decodes_and_its_ack_is_text() {
    // Seed bytes that are binary or the three forbidden characters still give a printable pad.
    let key = Key::from_text("0123456789abcdef").expect("text key");
    let mut keys = Keys::none();
    keys.insert("1234", key.clone());
    let frame = sample(true, MessageId::AdmCid, "#1234|1120 01 007");
    let bytes = frame.encode(Some(&key), &[0x00, 0xFF, b'[', b']', b'|', 0x80, 0x1B]);
    assert_eq!(Frame::decode(&bytes, &keys).expect("binary pad read"), frame);
    for seed in [&b""[..], b"[[[", b"]]]", b"|||", &[0u8; 16], &[0xFF; 16]] {
        let answer = ack(&frame, Some(&key), datetime!(2026-11-22 03:00:05 UTC), seed);
        strict_plaintext(answer.bytes(), &key);
        let back = Frame::decode(answer.bytes(), &keys).expect("the ACK decodes");
        assert_eq!((back.id, back.sequence), (MessageId::Ack, 42));
    }
}

#[test]
fn a_duh_names_the_frame_whose_header_was_read() {
    let right = Key::from_hex("000102030405060708090A0B0C0D0E0F").expect("key");
    let wrong = Key::from_hex("FFEEDDCCBBAA99887766554433221100").expect("key");
    let mut keys = Keys::none();
    keys.insert("1234", right);
    let mut frame = sample(true, MessageId::SiaDcs, "#1234|NPA001");
    frame.sequence = 4711;
    let bytes = frame.encode(Some(&wrong), b"pad");
    assert_eq!(Frame::decode(&bytes, &keys), Err(FrameError::Undecryptable));
    let header = Frame::read_header(&bytes).expect("the header is readable");
    assert_eq!((header.sequence, header.account.as_str(), header.line.as_str()), (4711, "1234", "0"));
    let text = String::from_utf8_lossy(duh(Some(&header)).bytes()).into_owned();
    assert!(text.contains("\"DUH\"4711R1L0#1234[]"), "{text:?}");
    // An account with no key at all: the same.
    let bytes = frame.encode(Some(&wrong), b"pad");
    assert!(matches!(Frame::decode(&bytes, &Keys::none()), Err(FrameError::NoKey(_))));
    assert_eq!(Frame::read_header(&bytes).map(|h| h.sequence), Some(4711));
    // A header that cannot be read: the 0000 / #000 form, which decodes as a DUH.
    let body = "\"SIA-DCS\"12L0#1234[]";
    let unreadable = format!("\n{:04X}0{:03X}{body}\r", crc16(body.as_bytes()), body.len());
    assert!(Frame::read_header(unreadable.as_bytes()).is_none());
    let text = String::from_utf8_lossy(duh(None).bytes()).into_owned();
    assert!(text.contains("\"DUH\"0000R0L0#000[]"), "{text:?}");
    // Binary bytes after the header do not stop it being read.
    let mut binary = b"\n00000020\"SIA-DCS\"0007R2L3#ABCD[".to_vec();
    binary.extend_from_slice(&[0xFF, 0xFE, b']', b'\r']);
    assert_eq!(
        Frame::read_header(&binary).map(|h| (h.sequence, h.receiver, h.account)),
        Some((7, Some("2".into()), "ABCD".into()))
    );
}

#[test]
fn the_fuzzer_s_binary_pad_seed_decodes() {
    let key = Key::from_hex("000102030405060708090A0B0C0D0E0F").expect("key");
    let mut keys = Keys::none();
    keys.insert("1234", key);
    let seed = include_bytes!("../fuzz/corpus/decode/encrypted-binary-pad");
    let frame = Frame::decode(seed, &keys).expect("a frame with a binary pad");
    assert_eq!((frame.sequence, frame.data.as_str()), (42, "#1234|NBA501"));
}
