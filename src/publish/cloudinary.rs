//! [`CloudinaryStore`]: signed multipart calls to Cloudinary's Upload API
//! (`{api_base}/v1_1/{cloud}/image/upload` and `…/image/destroy`), retried per
//! [`RetryPolicy`](super::RetryPolicy) on 420, 429, 5xx and connection failures.
//!
//! Each attempt is signed afresh (new `timestamp`), so a retry after a long `Retry-After` is
//! never rejected as stale. Uploads send `public_id`, `overwrite=true` and `invalidate=true`;
//! the format is inferred by Cloudinary from the file (SVG is an `image` resource).

use super::config::CloudinaryConfig;
use super::error::{is_retryable_status, PublishError};
use super::image::{validate_public_id, ImageUpload, StoredImage};
use super::retry::parse_retry_after;
use super::signature::sign;
use super::ImageStore;
use reqwest::multipart::{Form, Part};
use serde::Deserialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Cloudinary's Upload API as an [`ImageStore`]. Holds one `reqwest::Client` (a connection
/// pool) for its whole life; clone the store or share it behind an `Arc`.
#[derive(Debug, Clone)]
pub struct CloudinaryStore {
    config: CloudinaryConfig,
    client: reqwest::Client,
}

impl CloudinaryStore {
    /// Validates `config` and builds the HTTP client (rustls with the *ring* provider; it is
    /// installed as the process default if none is, which is what neo4rs uses too).
    pub fn new(config: CloudinaryConfig) -> Result<Self, PublishError> {
        config.validate()?;
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Err means another thread installed one first: fine either way.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ork-processor/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PublishError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { config, client })
    }

    /// Uses an existing client (its timeouts and TLS settings apply; `config.timeout` does not).
    pub fn with_client(
        config: CloudinaryConfig,
        client: reqwest::Client,
    ) -> Result<Self, PublishError> {
        config.validate()?;
        Ok(Self { config, client })
    }

    pub fn config(&self) -> &CloudinaryConfig {
        &self.config
    }

    /// One signed API call with retries; the parsed JSON body of the successful answer.
    async fn call(
        &self,
        operation: &'static str,
        params: &[(&'static str, &str)],
        file: Option<&ImageUpload>,
    ) -> Result<serde_json::Value, PublishError> {
        let url = self.config.endpoint(operation);
        let policy = self.config.retry_policy();
        let max_attempts = policy.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let form = self.signed_form(params, file)?;
            let (error, retry_after) = match self.client.post(&url).multipart(form).send().await {
                Err(e) if e.is_builder() => {
                    return Err(PublishError::Config(self.describe(&e)));
                }
                Err(e) => (self.transport(operation, &e, attempt), None),
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    match response.bytes().await {
                        Err(e) => (self.transport(operation, &e, attempt), None),
                        Ok(body) if status.is_success() => {
                            return serde_json::from_slice(&body).map_err(|e| {
                                PublishError::InvalidResponse {
                                    operation,
                                    message: format!(
                                        "HTTP {status} with a body that is not JSON: {e}"
                                    ),
                                }
                            });
                        }
                        Ok(body) => {
                            let error = PublishError::Api {
                                operation,
                                status: status.as_u16(),
                                message: self.error_message(status, &body),
                                attempts: attempt,
                            };
                            if !is_retryable_status(status.as_u16()) {
                                return Err(error);
                            }
                            (error, retry_after)
                        }
                    }
                }
            };
            if attempt >= max_attempts {
                return Err(error);
            }
            match policy.wait(attempt, retry_after) {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Err(error),
            }
        }
    }

    /// The multipart body: `params`, `timestamp`, `api_key`, `signature` and the file.
    fn signed_form(
        &self,
        params: &[(&'static str, &str)],
        file: Option<&ImageUpload>,
    ) -> Result<Form, PublishError> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
            .to_string();
        let mut signed: Vec<(&str, &str)> = params.to_vec();
        signed.push(("timestamp", &timestamp));
        let signature = sign(&signed, self.config.api_secret.expose());
        let mut form = Form::new();
        for (name, value) in params {
            form = form.text(*name, (*value).to_owned());
        }
        form = form
            .text("timestamp", timestamp.clone())
            .text("api_key", self.config.api_key.clone())
            .text("signature", signature);
        if let Some(image) = file {
            let part = Part::bytes(image.bytes().to_vec())
                .file_name(image.file_name())
                .mime_str(image.format().mime())
                .map_err(|e| PublishError::InvalidInput(e.to_string()))?;
            form = form.part("file", part);
        }
        Ok(form)
    }

    fn transport(
        &self,
        operation: &'static str,
        error: &reqwest::Error,
        attempts: u32,
    ) -> PublishError {
        PublishError::Transport {
            operation,
            message: self.describe(error),
            timeout: error.is_timeout(),
            attempts,
        }
    }

    /// The error and its causes, with the secret redacted (it is never in them, but the text
    /// comes from elsewhere).
    fn describe(&self, error: &(dyn std::error::Error + 'static)) -> String {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        self.config.api_secret.redact(&text)
    }

    /// Cloudinary's `{"error":{"message":…}}`, else the start of the body, else the reason.
    fn error_message(&self, status: reqwest::StatusCode, body: &[u8]) -> String {
        #[derive(Deserialize)]
        struct Envelope {
            error: Inner,
        }
        #[derive(Deserialize)]
        struct Inner {
            message: String,
        }
        let text = match serde_json::from_slice::<Envelope>(body) {
            Ok(e) => e.error.message,
            Err(_) => {
                let raw = String::from_utf8_lossy(body);
                let raw = raw.trim();
                if raw.is_empty() {
                    status.canonical_reason().unwrap_or("no message").to_owned()
                } else {
                    raw.chars().take(300).collect()
                }
            }
        };
        self.config.api_secret.redact(&text)
    }
}

/// The fields of an upload answer that are kept.
#[derive(Deserialize)]
struct UploadResponse {
    public_id: String,
    secure_url: String,
    version: u64,
    #[serde(default)]
    bytes: u64,
    #[serde(default)]
    width: Option<u32>,
    #[serde(default)]
    height: Option<u32>,
    #[serde(default)]
    format: String,
}

impl ImageStore for CloudinaryStore {
    fn folder(&self) -> &str {
        &self.config.folder
    }

    async fn upload(&self, image: &ImageUpload) -> Result<StoredImage, PublishError> {
        validate_public_id(image.public_id())?;
        let params = [
            ("public_id", image.public_id()),
            ("overwrite", "true"),
            ("invalidate", "true"),
        ];
        let body = self.call("upload", &params, Some(image)).await?;
        let r: UploadResponse =
            serde_json::from_value(body).map_err(|e| PublishError::InvalidResponse {
                operation: "upload",
                message: format!("missing or malformed field: {e}"),
            })?;
        Ok(StoredImage {
            public_id: r.public_id,
            secure_url: r.secure_url,
            version: r.version,
            bytes: r.bytes,
            width: r.width,
            height: r.height,
            format: r.format,
        })
    }

    async fn delete(&self, public_id: &str) -> Result<(), PublishError> {
        validate_public_id(public_id)?;
        let params = [("public_id", public_id), ("invalidate", "true")];
        let body = self.call("destroy", &params, None).await?;
        match body.get("result").and_then(|r| r.as_str()) {
            Some("ok") | Some("not found") => Ok(()),
            other => Err(PublishError::InvalidResponse {
                operation: "destroy",
                message: format!("result {other:?}, expected \"ok\" or \"not found\""),
            }),
        }
    }
}
