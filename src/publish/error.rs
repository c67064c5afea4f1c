//! [`PublishError`]: why an image operation failed, classified as transient or permanent.
//! No message ever contains the API secret.

/// Why an upload or deletion failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// A setting is missing or malformed (the secret is never quoted).
    #[error("image store configuration: {0}")]
    Config(String),
    /// The image or public id cannot be sent (nothing was sent).
    #[error("invalid image upload: {0}")]
    InvalidInput(String),
    /// The API answered with an error status. `message` is Cloudinary's
    /// `{"error":{"message":…}}` text when there was one.
    #[error(
        "Cloudinary {operation} failed with HTTP {status} after {attempts} attempt(s): {message}"
    )]
    Api {
        operation: &'static str,
        status: u16,
        message: String,
        attempts: u32,
    },
    /// The request could not be sent or its answer not received (connection refused or
    /// reset, DNS, TLS, timeout).
    #[error("Cloudinary {operation} failed after {attempts} attempt(s): {message}")]
    Transport {
        operation: &'static str,
        message: String,
        timeout: bool,
        attempts: u32,
    },
    /// A success status with a body that is not the documented JSON.
    #[error("Cloudinary {operation} returned an unexpected response: {message}")]
    InvalidResponse {
        operation: &'static str,
        message: String,
    },
}

impl PublishError {
    /// Whether the same operation may succeed later: rate limiting (420, 429), server errors
    /// (5xx), timeouts and connection failures. Client errors (400, 401, 403, 404, …), bad
    /// input, bad configuration and malformed responses are permanent.
    pub fn is_transient(&self) -> bool {
        match self {
            PublishError::Api { status, .. } => is_retryable_status(*status),
            PublishError::Transport { .. } => true,
            PublishError::Config(_)
            | PublishError::InvalidInput(_)
            | PublishError::InvalidResponse { .. } => false,
        }
    }

    /// The HTTP status of an [`Api`](PublishError::Api) error.
    pub fn status(&self) -> Option<u16> {
        match self {
            PublishError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How many requests were made before giving up (0 when none was).
    pub fn attempts(&self) -> u32 {
        match self {
            PublishError::Api { attempts, .. } | PublishError::Transport { attempts, .. } => {
                *attempts
            }
            PublishError::InvalidResponse { .. } => 1,
            PublishError::Config(_) | PublishError::InvalidInput(_) => 0,
        }
    }
}

/// 420 (Cloudinary's rate limit), 429 and every 5xx.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 420 | 429 | 500..=599)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> PublishError {
        PublishError::Api {
            operation: "upload",
            status,
            message: "m".into(),
            attempts: 1,
        }
    }

    #[test]
    fn classification() {
        for s in [420, 429, 500, 502, 503, 504, 599] {
            assert!(api(s).is_transient(), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 413] {
            assert!(!api(s).is_transient(), "{s}");
        }
        let t = PublishError::Transport {
            operation: "upload",
            message: "timed out".into(),
            timeout: true,
            attempts: 3,
        };
        assert!(t.is_transient());
        assert_eq!(t.attempts(), 3);
        assert!(!PublishError::Config("x".into()).is_transient());
        assert_eq!(api(401).status(), Some(401));
    }
}
