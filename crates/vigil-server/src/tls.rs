//! HTTPS for the server: its certificate and key read from PEM files, and the fingerprint an
//! enrollment code carries so the workstation trusts exactly this certificate.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::ServerError;

/// The certificate and private key files of a server with TLS.
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The certificates of a PEM file, the server's own first.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, ServerError> {
    let bad = |e: &dyn std::fmt::Display| ServerError::Invalid(format!("--cert {}: {e}", path.display()));
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e))?;
    if certs.is_empty() {
        return Err(bad(&"no certificate in it (PEM, -----BEGIN CERTIFICATE-----)"));
    }
    Ok(certs)
}

/// The SHA-256 fingerprint of the server's certificate in `cert` (PEM): what an enrollment code
/// carries, so the workstation trusts exactly this server.
pub fn certificate_fingerprint(cert: &Path) -> Result<String, ServerError> {
    Ok(vigil_sync::tls::fingerprint(certificates(cert)?[0].as_ref()))
}

/// The rustls configuration of a server with this certificate and key (HTTP/1.1 only).
pub(crate) fn server_config(tls: &Tls) -> Result<rustls::ServerConfig, ServerError> {
    let certs = certificates(&tls.cert)?;
    let key = PrivateKeyDer::from_pem_file(&tls.key)
        .map_err(|e| ServerError::Invalid(format!("--key {}: {e}", tls.key.display())))?;
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| ServerError::Invalid(format!("TLS: {e}")))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| ServerError::Invalid(format!("--cert and --key do not make a TLS identity: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
