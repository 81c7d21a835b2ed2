//! Decodes DC-09 frames, one per line of standard input written as Python-style escaped bytes
//! (`\n…\r`), with an optional key: `decode [ACCOUNT HEXKEY]`. Handy for checking a captured frame.

use std::io::BufRead;

use vigil_dc09::{parse_payload, Frame, Key, Keys};

fn unescape(line: &str) -> Vec<u8> {
    line.replace("\\n", "\n").replace("\\r", "\r").into_bytes()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut keys = Keys::none();
    if let [account, key] = args.as_slice() {
        match Key::from_hex(key).or_else(|_| Key::from_text(key)) {
            Ok(k) => keys.insert(account, k),
            Err(e) => {
                eprintln!("decode: {e}");
                std::process::exit(2);
            }
        }
    }
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let bytes = unescape(line.trim());
        match Frame::decode(&bytes, &keys) {
            Ok(frame) => println!("ok {frame:?} events {:?}", parse_payload(&frame)),
            Err(e) => println!("refused ({}): {e}", e.reason()),
        }
    }
}
