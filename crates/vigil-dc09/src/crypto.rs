//! AES-128/192/256-CBC with an all-zero IV, as DC-09 uses it; keys given as hex or as text.

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use std::collections::HashMap;

/// An account's key. Both ways of writing it exist in the field: 32/48/64 hex digits (siadc09,
/// ioBroker) or 16/24/32 characters used as the key bytes themselves (pysiaalarm, Home Assistant).
#[derive(Clone, PartialEq, Eq)]
pub enum Key {
    Aes128([u8; 16]),
    Aes192([u8; 24]),
    Aes256([u8; 32]),
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "Key(AES-{})", self.bits())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a hex key has 32, 48 or 64 hex digits; this one has {0} characters")]
    HexLength(usize),
    #[error("a hex key may hold only 0-9 and A-F")]
    NotHex,
    #[error("a text key has 16, 24 or 32 characters; this one has {0}")]
    TextLength(usize),
}

const ZERO_IV: [u8; 16] = [0; 16];

impl Key {
    pub fn from_bytes(bytes: &[u8]) -> Option<Key> {
        match bytes.len() {
            16 => bytes.try_into().ok().map(Key::Aes128),
            24 => bytes.try_into().ok().map(Key::Aes192),
            32 => bytes.try_into().ok().map(Key::Aes256),
            _ => None,
        }
    }

    pub fn from_hex(text: &str) -> Result<Key, KeyError> {
        let text = text.trim();
        if !matches!(text.len(), 32 | 48 | 64) {
            return Err(KeyError::HexLength(text.len()));
        }
        let bytes = hex::decode(text).map_err(|_| KeyError::NotHex)?;
        Key::from_bytes(&bytes).ok_or(KeyError::HexLength(text.len()))
    }

    pub fn from_text(text: &str) -> Result<Key, KeyError> {
        Key::from_bytes(text.as_bytes()).ok_or(KeyError::TextLength(text.len()))
    }

    pub fn bits(&self) -> usize {
        match self {
            Key::Aes128(_) => 128,
            Key::Aes192(_) => 192,
            Key::Aes256(_) => 256,
        }
    }

    /// Decrypts hex ciphertext (either case) to bytes; `None` if it is not whole blocks of hex.
    pub fn decrypt_hex(&self, cipher: &str) -> Option<Vec<u8>> {
        let mut buf = hex::decode(cipher.trim()).ok()?;
        if buf.is_empty() || buf.len() % 16 != 0 {
            return None;
        }
        let out = match self {
            Key::Aes128(k) => cbc::Decryptor::<aes::Aes128>::new(k.into(), &ZERO_IV.into())
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .ok()?
                .len(),
            Key::Aes192(k) => cbc::Decryptor::<aes::Aes192>::new(k.into(), &ZERO_IV.into())
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .ok()?
                .len(),
            Key::Aes256(k) => cbc::Decryptor::<aes::Aes256>::new(k.into(), &ZERO_IV.into())
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .ok()?
                .len(),
        };
        buf.truncate(out);
        Some(buf)
    }

    /// Encrypts whole blocks (the caller pads) and writes upper-case hex.
    pub fn encrypt_hex(&self, plain: &[u8]) -> String {
        let mut buf = plain.to_vec();
        let len = buf.len();
        // Whole blocks are the caller's promise; a partial last block is zero-filled rather than lost.
        buf.resize(len.div_ceil(16) * 16, 0);
        let n = buf.len();
        let written = match self {
            Key::Aes128(k) => cbc::Encryptor::<aes::Aes128>::new(k.into(), &ZERO_IV.into())
                .encrypt_padded_mut::<NoPadding>(&mut buf, n)
                .map(|c| c.len()),
            Key::Aes192(k) => cbc::Encryptor::<aes::Aes192>::new(k.into(), &ZERO_IV.into())
                .encrypt_padded_mut::<NoPadding>(&mut buf, n)
                .map(|c| c.len()),
            Key::Aes256(k) => cbc::Encryptor::<aes::Aes256>::new(k.into(), &ZERO_IV.into())
                .encrypt_padded_mut::<NoPadding>(&mut buf, n)
                .map(|c| c.len()),
        }
        .unwrap_or(0);
        hex::encode_upper(&buf[..written])
    }
}

/// Keys by account (upper-case hex account as sent after `#`).
#[derive(Debug, Clone, Default)]
pub struct Keys {
    by_account: HashMap<String, Key>,
}

impl Keys {
    pub fn none() -> Keys {
        Keys::default()
    }

    pub fn insert(&mut self, account: &str, key: Key) {
        self.by_account.insert(account.to_ascii_uppercase(), key);
    }

    pub fn get(&self, account: &str) -> Option<&Key> {
        self.by_account.get(&account.to_ascii_uppercase())
    }
}
