//! Trusting exactly one server: with TLS, an enrollment code carries the SHA-256 fingerprint of
//! the server's certificate (`XXXXX-XXXXX-XXXXX@<64 hex digits>`), and the workstation accepts that
//! certificate and no other — no certificate authority, no host name, nothing an attacker on the
//! hospital's network could get issued. The TLS handshake itself is rustls's, with its own
//! signature checks; only the question "is this the server's certificate" is answered here.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

/// The SHA-256 of a certificate (its DER bytes), as 64 lower-case hex digits — what
/// `openssl x509 -noout -fingerprint -sha256` prints, without the colons.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02x}")).collect()
}

/// A fingerprint as typed or pasted (colons, spaces, either case) in its one form, or why not.
pub fn normalize_fingerprint(text: &str) -> Result<String, String> {
    let hex: String = text.chars().filter(|c| !matches!(c, ':' | ' ' | '-')).collect::<String>().to_ascii_lowercase();
    if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(format!("{text:?} is not a SHA-256 certificate fingerprint (64 hex digits)"))
    }
}

/// An enrollment code as `vigil server enroll` prints it: the one-time code, and with TLS the
/// fingerprint of the server's certificate after an `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentCode {
    pub code: String,
    pub fingerprint: Option<String>,
}

impl EnrollmentCode {
    pub fn parse(text: &str) -> Result<EnrollmentCode, String> {
        let text = text.trim();
        match text.split_once('@') {
            None => Ok(EnrollmentCode { code: text.to_owned(), fingerprint: None }),
            Some((code, fp)) => {
                Ok(EnrollmentCode { code: code.trim().to_owned(), fingerprint: Some(normalize_fingerprint(fp)?) })
            }
        }
    }

    /// The code as printed.
    pub fn shown(&self) -> String {
        match &self.fingerprint {
            Some(fp) => format!("{}@{fp}", self.code),
            None => self.code.clone(),
        }
    }
}

/// Accepts the one certificate whose SHA-256 is `fingerprint`.
#[derive(Debug)]
struct Pinned {
    fingerprint: String,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = fingerprint(end_entity.as_ref());
        if presented == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the server's certificate is not the one this workstation enrolled with (its SHA-256 is {presented}, expected {})",
                self.fingerprint
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS client configuration that trusts exactly the certificate with this fingerprint.
pub fn pinned_config(fingerprint: &str) -> Result<rustls::ClientConfig, String> {
    let fingerprint = normalize_fingerprint(fingerprint)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned { fingerprint, provider }))
        .with_no_client_auth();
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_with_a_fingerprint_reads_however_it_was_typed() {
        let fp = "AB:CD:".to_owned() + &"0".repeat(60);
        let code = EnrollmentCode::parse(&format!(" k7qxm-r2hat-9wzpe @ {fp} ")).expect("parse");
        assert_eq!(code.code, "k7qxm-r2hat-9wzpe");
        assert_eq!(code.fingerprint.as_deref(), Some(format!("abcd{}", "0".repeat(60)).as_str()));
        assert_eq!(EnrollmentCode::parse("K7QXM-R2HAT-9WZPE").expect("plain").fingerprint, None);
        assert!(EnrollmentCode::parse("K7QXM-R2HAT-9WZPE@abc").is_err(), "a cut-off fingerprint is refused");
        assert!(EnrollmentCode::parse(&format!("K7QXM@{}", "g".repeat(64))).is_err(), "not hex");
    }
}
