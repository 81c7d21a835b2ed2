//! The workstation's HTTP client of the server, and the file that keeps its token.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{EnrollRequest, EnrollResponse, ErrorBody, PullResponse, PushRequest, PushResponse};

/// The file in a data directory that holds the workstation's token (readable by its user only).
pub const TOKEN_FILE: &str = "server-token.json";

/// What a workstation keeps of its enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFile {
    pub server: String,
    pub token: String,
    pub name: String,
    pub origin: Uuid,
    /// The SHA-256 of the server's certificate, when enrolled over TLS with a code that carried
    /// it: the one certificate this workstation accepts from then on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// What the settings screen shows of an enrollment: never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct EnrollmentView {
    pub server: String,
    /// The name the server knows this workstation by.
    pub name: String,
    #[ts(type = "string")]
    pub origin: Uuid,
    /// The pinned certificate's SHA-256, when enrolled with a code that carried it.
    pub fingerprint: Option<String>,
    /// How the link is protected.
    pub transport: Transport,
}

/// How a workstation's link to the server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// TLS, trusting exactly the certificate the enrollment code named.
    Pinned,
    /// TLS, trusting the system's certificate authorities.
    Authorities,
    /// Plain HTTP: the token and the events travel unencrypted.
    Plain,
}

impl TokenFile {
    pub fn view(&self) -> EnrollmentView {
        let transport = match (&self.fingerprint, self.server.starts_with("https://")) {
            (Some(_), _) => Transport::Pinned,
            (None, true) => Transport::Authorities,
            (None, false) => Transport::Plain,
        };
        EnrollmentView {
            server: self.server.clone(),
            name: self.name.clone(),
            origin: self.origin,
            fingerprint: self.fingerprint.clone(),
            transport,
        }
    }

    pub fn path(dir: &Path) -> PathBuf {
        dir.join(TOKEN_FILE)
    }

    /// The enrollment kept in `dir`, if there is one.
    pub fn read(dir: &Path) -> Result<Option<TokenFile>, String> {
        let path = TokenFile::path(dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Writes the file readable and writable by its owner only, replacing it whole.
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        let path = TokenFile::path(dir);
        let tmp = dir.join(format!("{TOKEN_FILE}.tmp"));
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let io = |e: std::io::Error| format!("{}: {e}", tmp.display());
        let mut file = options.open(&tmp).map_err(io)?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Why an enrollment did not happen; nothing was kept.
#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    /// The data directory is enrolled already.
    #[error("{0}")]
    Enrolled(String),
    /// The code cannot be read, or the server refused it.
    #[error("{0}")]
    Code(String),
    /// The server cannot be reached, or is not the one the code names (another certificate).
    #[error("{0}")]
    Server(String),
    /// The token file cannot be written.
    #[error("{0}")]
    Local(String),
}

/// Trades an enrollment code (as `vigil server enroll` printed it, with the server certificate's
/// fingerprint when the server has TLS) for the token of the workstation `origin`, and keeps it in
/// `dir` (`server-token.json`, readable by its owner only). Refused when `dir` is enrolled already.
pub async fn enroll(dir: &Path, origin: Uuid, server: &str, code: &str) -> Result<TokenFile, EnrollError> {
    if let Some(existing) = TokenFile::read(dir).map_err(EnrollError::Local)? {
        return Err(EnrollError::Enrolled(format!(
            "{} is enrolled already as {:?} with {}; move {TOKEN_FILE} aside to enroll it again",
            dir.display(),
            existing.name,
            existing.server
        )));
    }
    let code = crate::tls::EnrollmentCode::parse(code).map_err(EnrollError::Code)?;
    let server = server.trim().trim_end_matches('/');
    if code.fingerprint.is_none() && server.starts_with("http://") {
        eprintln!("vigil: warning: {server} is plain HTTP: the token and every event travel unencrypted");
    }
    let client =
        Client::pinned(server, None, code.fingerprint.as_deref()).map_err(|e| EnrollError::Server(e.to_string()))?;
    let answer = client.enroll(&code.code, origin).await.map_err(|e| match e {
        ClientError::Refused { .. } => EnrollError::Code(e.to_string()),
        other => EnrollError::Server(other.to_string()),
    })?;
    let enrolled = TokenFile {
        server: server.to_owned(),
        token: answer.token,
        name: answer.name,
        origin,
        fingerprint: code.fingerprint,
    };
    enrolled.write(dir).map_err(EnrollError::Local)?;
    Ok(enrolled)
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached or did not answer in time: the workstation is offline.
    #[error("the server cannot be reached: {0}")]
    Unreachable(String),
    /// The server answered with a refusal.
    #[error("the server refused ({status}): {} ({})", body.error.message, body.error.code)]
    Refused { status: u16, body: ErrorBody },
    #[error("the server's answer cannot be read: {0}")]
    Unreadable(String),
}

/// An HTTP client of one server, with the workstation's token once it has one.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl Client {
    /// A client of `server` (`http://` or `https://` with the system's certificate authorities).
    pub fn new(server: &str, token: Option<String>) -> Result<Client, ClientError> {
        Client::pinned(server, token, None)
    }

    /// A client that accepts only the server certificate whose SHA-256 is `fingerprint`, when one
    /// is given (see [`crate::tls`]).
    pub fn pinned(server: &str, token: Option<String>, fingerprint: Option<&str>) -> Result<Client, ClientError> {
        let mut builder = reqwest::Client::builder().connect_timeout(Duration::from_secs(5));
        if let Some(fp) = fingerprint {
            if !server.starts_with("https://") {
                return Err(ClientError::Unreachable(format!(
                    "{server}: the enrollment pins a server certificate, so the server must be https://"
                )));
            }
            builder = builder.use_preconfigured_tls(crate::tls::pinned_config(fp).map_err(ClientError::Unreachable)?);
        }
        let http = builder.build().map_err(|e| ClientError::Unreachable(e.to_string()))?;
        Ok(Client { base: server.trim_end_matches('/').to_owned(), token, http })
    }

    /// The client an enrolled workstation syncs with: its token, and its server's certificate.
    pub fn of(enrolled: &TokenFile) -> Result<Client, ClientError> {
        Client::pinned(&enrolled.server, Some(enrolled.token.clone()), enrolled.fingerprint.as_deref())
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    async fn answer<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, ClientError> {
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| ClientError::Unreachable(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| ClientError::Unreadable(e.to_string()));
        }
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| ErrorBody {
            error: crate::ErrorDetail {
                code: "http".into(),
                message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
                field: None,
                expected: None,
            },
        });
        Err(ClientError::Refused { status: status.as_u16(), body })
    }

    fn sent(e: reqwest::Error) -> ClientError {
        ClientError::Unreachable(e.to_string())
    }

    /// Trades a one-time code for this workstation's token.
    pub async fn enroll(&self, code: &str, origin: Uuid) -> Result<EnrollResponse, ClientError> {
        let response = self
            .request(reqwest::Method::POST, "/v1/sync/enroll")
            .timeout(Duration::from_secs(15))
            .json(&EnrollRequest { code: code.to_owned(), origin })
            .send()
            .await
            .map_err(Client::sent)?;
        Client::answer(response).await
    }

    pub async fn push(&self, push: &PushRequest) -> Result<PushResponse, ClientError> {
        let response = self
            .request(reqwest::Method::POST, "/v1/sync/push")
            .timeout(Duration::from_secs(30))
            .json(push)
            .send()
            .await
            .map_err(Client::sent)?;
        Client::answer(response).await
    }

    /// Every head of this workstation's chains the server witnessed.
    pub async fn heads(&self) -> Result<Vec<vigil_store::WitnessedHead>, ClientError> {
        let response = self
            .request(reqwest::Method::GET, "/v1/sync/heads")
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(Client::sent)?;
        Client::answer(response).await
    }

    /// Events after `after` in the server's order; waits up to `wait` seconds for one to come.
    /// The server's removals by retention numbered after `after`.
    pub async fn removals(&self, after: i64, limit: u32) -> Result<crate::RemovalsResponse, ClientError> {
        let response = self
            .request(reqwest::Method::GET, "/v1/sync/removals")
            .query(&[("after", after.to_string()), ("limit", limit.to_string())])
            .send()
            .await
            .map_err(Client::sent)?;
        Client::answer(response).await
    }

    pub async fn pull(&self, after: i64, limit: u32, wait: u64) -> Result<PullResponse, ClientError> {
        let response = self
            .request(reqwest::Method::GET, "/v1/sync/pull")
            .query(&[("after", after.to_string()), ("limit", limit.to_string()), ("wait", wait.to_string())])
            .timeout(Duration::from_secs(wait + 15))
            .send()
            .await
            .map_err(Client::sent)?;
        Client::answer(response).await
    }
}
