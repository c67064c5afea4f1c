//! [`CloudinaryConfig`]: account, endpoint, folder and retry settings, read from
//! `CLOUDINARY_URL` (`cloudinary://<api_key>:<api_secret>@<cloud_name>`), `CLOUDINARY_API_BASE`
//! and `ORK_IMAGE_FOLDER`. The API secret is held in an [`ApiSecret`], whose `Debug` is
//! redacted and which has no `Display`; no error message quotes it.

use super::error::PublishError;
use super::image::validate_public_id;
use super::retry::RetryPolicy;
use std::fmt;
use std::time::Duration;

/// Cloudinary's API endpoint.
pub const DEFAULT_API_BASE: &str = "https://api.cloudinary.com";
/// The folder images go in unless `ORK_IMAGE_FOLDER` says otherwise.
pub const DEFAULT_FOLDER: &str = "designs";

const DEFAULT_MAX_ATTEMPTS: u32 = 4;
const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(500);
const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(20);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The API secret. `Debug` prints `ApiSecret(<redacted>)`; there is no `Display`; read it
/// with [`expose`](ApiSecret::expose) only to sign.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiSecret(String);

impl ApiSecret {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the secret replaced by `<redacted>` (a guard for text
    /// that comes from elsewhere, such as a server's error message).
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.0, "<redacted>")
        }
    }
}

impl fmt::Debug for ApiSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiSecret(<redacted>)")
    }
}

/// Where and how images are published.
#[derive(Clone, PartialEq, Eq)]
pub struct CloudinaryConfig {
    pub cloud_name: String,
    pub api_key: String,
    pub api_secret: ApiSecret,
    /// Scheme, host and optional port, no trailing slash; default [`DEFAULT_API_BASE`].
    pub api_base: String,
    /// Public id prefix, e.g. `designs` (default [`DEFAULT_FOLDER`]); may be empty.
    pub folder: String,
    /// Requests per operation, first try included (at least 1; default 4).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles each retry (default 500 ms).
    pub base_delay: Duration,
    /// Cap on one backoff and on an honoured `Retry-After` (default 20 s); a longer
    /// `Retry-After` ends the retries at once with a transient error.
    pub max_delay: Duration,
    /// Per-request timeout (default 60 s).
    pub timeout: Duration,
}

impl CloudinaryConfig {
    /// A config with the given account and every other setting at its default.
    pub fn new(
        cloud_name: impl Into<String>,
        api_key: impl Into<String>,
        api_secret: ApiSecret,
    ) -> Self {
        Self {
            cloud_name: cloud_name.into(),
            api_key: api_key.into(),
            api_secret,
            api_base: DEFAULT_API_BASE.to_owned(),
            folder: DEFAULT_FOLDER.to_owned(),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Parses `cloudinary://<api_key>:<api_secret>@<cloud_name>` (percent-encoded parts are
    /// decoded; a query string is ignored). Errors never quote the URL, which holds the secret.
    pub fn from_url(url: &str) -> Result<Self, PublishError> {
        let err = |why: &str| Err(PublishError::Config(format!("CLOUDINARY_URL: {why}")));
        let url = url.trim();
        let Some(rest) = url
            .get(..13)
            .filter(|s| s.eq_ignore_ascii_case("cloudinary://"))
            .and_then(|_| url.get(13..))
        else {
            return err("must start with cloudinary://");
        };
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let Some((userinfo, host)) = rest.rsplit_once('@') else {
            return err("expected cloudinary://<api_key>:<api_secret>@<cloud_name>");
        };
        let Some((key, secret)) = userinfo.split_once(':') else {
            return err("missing ':' between API key and secret");
        };
        let (Some(key), Some(secret)) = (percent_decode(key), percent_decode(secret)) else {
            return err("malformed percent-encoding");
        };
        let cloud = host.trim_end_matches('/');
        if key.is_empty() {
            return err("missing API key");
        }
        if secret.is_empty() {
            return err("missing API secret");
        }
        let config = Self::new(cloud, key, ApiSecret::new(secret));
        config.validate()?;
        Ok(config)
    }

    /// Reads the process environment; see [`from_vars`](Self::from_vars).
    pub fn from_env() -> Result<Option<Self>, PublishError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// `None` when `CLOUDINARY_URL` is unset or blank (publishing is off); otherwise
    /// [`from_url`](Self::from_url) plus `CLOUDINARY_API_BASE` and `ORK_IMAGE_FOLDER` when set.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, PublishError> {
        let Some(url) = var("CLOUDINARY_URL").filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        let mut config = Self::from_url(&url)?;
        if let Some(base) = var("CLOUDINARY_API_BASE").filter(|b| !b.trim().is_empty()) {
            config.api_base = base.trim().trim_end_matches('/').to_owned();
        }
        if let Some(folder) = var("ORK_IMAGE_FOLDER") {
            config.folder = folder.trim().trim_matches('/').to_owned();
        }
        config.validate()?;
        Ok(Some(config))
    }

    /// Checks every field (called by the constructors and by `CloudinaryStore::new`).
    pub fn validate(&self) -> Result<(), PublishError> {
        let err = |why: String| Err(PublishError::Config(why));
        let token = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        };
        if !token(&self.cloud_name) {
            return err(format!(
                "cloud name {:?} must be ASCII letters, digits, '-' or '_'",
                self.cloud_name
            ));
        }
        if self.api_key.is_empty() || self.api_key.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return err("API key is empty or has spaces or control characters".into());
        }
        if self.api_secret.expose().is_empty() {
            return err("API secret is empty".into());
        }
        let base = self.api_base.as_str();
        let host = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"));
        match host {
            Some(h) if !h.is_empty() && !h.ends_with('/') && !h.contains(['?', '#', ' ']) => {}
            _ => {
                return err(format!(
                "API base {base:?} must be http(s)://host[:port][/path] without a trailing slash"
            ))
            }
        }
        let folder = self.folder.trim_matches('/');
        if !folder.is_empty() {
            validate_public_id(folder)
                .map_err(|_| PublishError::Config(format!("invalid folder {:?}", self.folder)))?;
        }
        if self.max_attempts == 0 {
            return err("max_attempts must be at least 1".into());
        }
        if self.timeout.is_zero() {
            return err("timeout must be positive".into());
        }
        Ok(())
    }

    /// The retry settings.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.max_attempts,
            base_delay: self.base_delay,
            max_delay: self.max_delay,
        }
    }

    /// `{api_base}/v1_1/{cloud_name}/image/{action}` (`upload`, `destroy`).
    pub fn endpoint(&self, action: &str) -> String {
        format!("{}/v1_1/{}/image/{action}", self.api_base, self.cloud_name)
    }
}

impl fmt::Debug for CloudinaryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudinaryConfig")
            .field("cloud_name", &self.cloud_name)
            .field("api_key", &self.api_key)
            .field("api_secret", &self.api_secret)
            .field("api_base", &self.api_base)
            .field("folder", &self.folder)
            .field("max_attempts", &self.max_attempts)
            .field("base_delay", &self.base_delay)
            .field("max_delay", &self.max_delay)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl fmt::Display for CloudinaryConfig {
    /// `cloudinary://<api_key>@<cloud_name> via <api_base>, folder <folder>`: no secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cloudinary://{}@{} via {}, folder {:?}",
            self.api_key, self.cloud_name, self.api_base, self.folder
        )
    }
}

/// Decodes `%XX` escapes; `None` when an escape is malformed or the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SECRET: &str = "s3cr3t-VALUE_x";

    #[test]
    fn parses_url() {
        let c =
            CloudinaryConfig::from_url(&format!("cloudinary://123456:{SECRET}@my-cloud")).unwrap();
        assert_eq!(c.cloud_name, "my-cloud");
        assert_eq!(c.api_key, "123456");
        assert_eq!(c.api_secret.expose(), SECRET);
        assert_eq!(c.api_base, DEFAULT_API_BASE);
        assert_eq!(c.folder, DEFAULT_FOLDER);
        assert_eq!(
            c.endpoint("upload"),
            "https://api.cloudinary.com/v1_1/my-cloud/image/upload"
        );
        let c = CloudinaryConfig::from_url("cloudinary://k:a%40b@c?secure=true").unwrap();
        assert_eq!(c.api_secret.expose(), "a@b");
        assert_eq!(c.cloud_name, "c");
    }

    #[test]
    fn secret_never_printed() {
        let c =
            CloudinaryConfig::from_url(&format!("cloudinary://123456:{SECRET}@my-cloud")).unwrap();
        assert!(!format!("{c:?}").contains(SECRET));
        assert!(!format!("{c}").contains(SECRET));
        assert!(format!("{c:?}").contains("<redacted>"));
        assert_eq!(
            c.api_secret.redact(&format!("x {SECRET} y")),
            "x <redacted> y"
        );
        for bad in [
            format!("https://123456:{SECRET}@cloud"),
            format!("cloudinary://123456:{SECRET}"),
            format!("cloudinary://{SECRET}@cloud"),
            format!("cloudinary://:{SECRET}@cloud"),
            format!("cloudinary://k:{SECRET}@"),
            format!("cloudinary://k:{SECRET}@bad cloud"),
            format!("cloudinary://k:{SECRET}%zz@cloud"),
            "cloudinary://k:@cloud".to_owned(),
            "cloudin".to_owned(),
            "é".repeat(20),
            String::new(),
        ] {
            let e = CloudinaryConfig::from_url(&bad).unwrap_err();
            assert!(!e.to_string().contains(SECRET), "{e}");
            assert!(!e.is_transient());
        }
    }

    #[test]
    fn reads_env_vars() {
        let vars = |pairs: &[(&str, &str)]| {
            let map: HashMap<String, String> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            move |k: &str| map.get(k).cloned()
        };
        assert_eq!(CloudinaryConfig::from_vars(vars(&[])).unwrap(), None);
        assert_eq!(
            CloudinaryConfig::from_vars(vars(&[("CLOUDINARY_URL", " ")])).unwrap(),
            None
        );
        let c = CloudinaryConfig::from_vars(vars(&[
            ("CLOUDINARY_URL", "cloudinary://k:s@c"),
            ("CLOUDINARY_API_BASE", "http://127.0.0.1:9999/"),
            ("ORK_IMAGE_FOLDER", "/ork/images/"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(c.api_base, "http://127.0.0.1:9999");
        assert_eq!(c.folder, "ork/images");
        assert!(CloudinaryConfig::from_vars(vars(&[
            ("CLOUDINARY_URL", "cloudinary://k:s@c"),
            ("CLOUDINARY_API_BASE", "ftp://x"),
        ]))
        .is_err());
        assert!(CloudinaryConfig::from_vars(vars(&[
            ("CLOUDINARY_URL", "cloudinary://k:s@c"),
            ("ORK_IMAGE_FOLDER", "a/../b"),
        ]))
        .is_err());
    }
}
