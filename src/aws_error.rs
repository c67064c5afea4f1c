//! One line for a failed AWS call, for the people who read it: what failed, on which resource,
//! and the service's error code and message; or, when no answer came, a short cause
//! (`connection refused`, `did not answer in time`). Never the SDK's debug dump, the headers
//! or the body: [`summarise`] puts those in the debug log.
//!
//! ```text
//! SdkError ─from_sdk→ AwsFailure { service, cause } ─line("listing", bucket)→
//!     bucket "designs" does not exist (S3 NoSuchBucket)
//!     listing s3://designs/uploads/: the credentials were refused (S3 InvalidAccessKeyId: …)
//!     invoking function "ork": cannot reach Lambda at http://127.0.0.1:1 (connection refused)
//! ```
//!
//! The well-known codes read as plain words ([`Meaning`]): a bucket, key, queue, function or
//! secret that does not exist; credentials refused; access denied; throttling. Any other code
//! is quoted with its HTTP status and message.
//!
//! It sits beside the entry points (`lambda`, `bucket`), which both use it and which may not
//! import each other; AWS types stay out of the layers below them (ARCHITECTURE.md). It names
//! nothing else of the crate.

use std::error::Error as StdError;
use std::fmt;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// The most characters of a service's message quoted in a line (the rest is in the debug log).
const MAX_MESSAGE_CHARS: usize = 120;

/// What a failure means for the person who reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// The bucket, key, queue, function or secret does not exist.
    Missing,
    /// The credentials were refused: an unknown access key, a bad signature, an expired token.
    Credentials,
    /// The credentials were accepted, but the call is not allowed.
    Denied,
    /// Too many requests: a later try may pass.
    Throttled,
    /// No answer: the endpoint could not be reached, or did not answer in time.
    Unreachable,
    /// No credentials to sign with could be found.
    NoCredentials,
    /// Anything else (the code and message say what).
    Other,
}

/// What happened to the call.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cause {
    /// The service answered with an error.
    Answered {
        code: Option<String>,
        message: Option<String>,
        status: u16,
    },
    /// No answer: the connection failed (the reason is short, e.g. `connection refused`).
    Unreachable(String),
    /// No answer in time.
    TimedOut,
    /// No credentials could be loaded (the reason is the SDK's, on one line).
    NoCredentials(String),
    /// The request could not be made (a bad setting or argument); nothing was sent.
    NotSent(String),
    /// An answer came that could not be read.
    BadAnswer { status: u16, reason: String },
}

/// A failed AWS call, summarised: the service, the endpoint when known, and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsFailure {
    service: &'static str,
    endpoint: Option<String>,
    cause: Cause,
}

/// What a call was about, as a line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    /// `bucket "designs"`.
    Bucket(&'a str),
    /// The keys under a prefix (a listing): `s3://designs/uploads/`.
    Prefix { bucket: &'a str, prefix: &'a str },
    /// One object: `s3://designs/uploads/a.ork`.
    Object { bucket: &'a str, key: &'a str },
    /// `queue https://sqs…/123456789012/ork-failures`.
    Queue(&'a str),
    /// `function "ork-processor"`.
    Function(&'a str),
    /// `secret arn:aws:secretsmanager:…`.
    Secret(&'a str),
    /// Anything else, as given.
    Named(&'a str),
}

impl Resource<'_> {
    /// The bucket a resource lives in, if it is an S3 one.
    fn bucket(&self) -> Option<&str> {
        match self {
            Resource::Bucket(b)
            | Resource::Prefix { bucket: b, .. }
            | Resource::Object { bucket: b, .. } => Some(b),
            _ => None,
        }
    }
}

impl fmt::Display for Resource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Bucket(b) => write!(f, "bucket {b:?}"),
            Resource::Prefix { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
            Resource::Object { bucket, key } => write!(f, "s3://{bucket}/{key}"),
            Resource::Queue(url) => write!(f, "queue {url}"),
            Resource::Function(name) => write!(f, "function {name:?}"),
            Resource::Secret(arn) => write!(f, "secret {arn}"),
            Resource::Named(text) => f.write_str(text),
        }
    }
}

/// Codes that say the thing asked for does not exist.
const MISSING: &[&str] = &[
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchVersion",
    "NotFound",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "ResourceNotFoundException",
    "NoSuchJob",
];

/// Codes that say the credentials themselves were refused.
const CREDENTIALS: &[&str] = &[
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidToken",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "AuthFailure",
    "TokenRefreshRequired",
];

/// Codes that say the caller may not do this.
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "AllAccessDisabled",
    "AuthorizationError",
    "Forbidden",
    "KMSAccessDeniedException",
];

/// Codes that say the caller sends too much.
const THROTTLED: &[&str] = &[
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
];

/// The messages of the SDK's credential errors (`aws_credential_types`' `CredentialsError`, whose
/// type the SDK does not re-export), pinned with the SDK's version in `Cargo.toml`.
const CREDENTIAL_ERRORS: &[&str] = &[
    "the credential provider was not enabled",
    "credentials provider timed out",
    "the credentials provider was not properly configured",
    "an error occurred while loading credentials",
    "unexpected credentials error",
];

impl AwsFailure {
    /// What `e` says, without its headers, body or debug dump. `service` is the name people
    /// know it by: `S3`, `SQS`, `Lambda`, `Secrets Manager`, `S3 Control`.
    pub fn from_sdk<E>(service: &'static str, e: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let cause = match e {
            SdkError::ServiceError(se) => Cause::Answered {
                code: se
                    .err()
                    .code()
                    .filter(|c| !c.trim().is_empty())
                    .map(|c| one_line(c, 80)),
                message: se
                    .err()
                    .message()
                    .filter(|m| !m.trim().is_empty())
                    .map(|m| one_line(m, MAX_MESSAGE_CHARS)),
                status: se.raw().status().as_u16(),
            },
            SdkError::TimeoutError(_) => Cause::TimedOut,
            _ if credentials_error(e) => Cause::NoCredentials(deepest(e)),
            SdkError::DispatchFailure(d) if d.is_timeout() => Cause::TimedOut,
            SdkError::DispatchFailure(_) => {
                Cause::Unreachable(io_reason(e).unwrap_or_else(|| deepest(e)))
            }
            SdkError::ResponseError(r) => Cause::BadAnswer {
                status: r.raw().status().as_u16(),
                reason: deepest(e),
            },
            _ => Cause::NotSent(deepest(e)),
        };
        Self {
            service,
            endpoint: None,
            cause,
        }
    }

    /// Names the endpoint the client was sent to (an `AWS_ENDPOINT_URL_*` override), for the
    /// calls that got no answer.
    pub fn at(mut self, endpoint: Option<&str>) -> Self {
        self.endpoint = endpoint.filter(|e| !e.is_empty()).map(str::to_string);
        self
    }

    /// The service's error code, when it answered with one.
    pub fn code(&self) -> Option<&str> {
        match &self.cause {
            Cause::Answered { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of the answer, when one came.
    pub fn status(&self) -> Option<u16> {
        match &self.cause {
            Cause::Answered { status, .. } | Cause::BadAnswer { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// What the failure means, from the code (or the status, when the answer had no body).
    pub fn meaning(&self) -> Meaning {
        match &self.cause {
            Cause::Answered { code, status, .. } => {
                let is = |table: &[&str]| code.as_deref().is_some_and(|c| table.contains(&c));
                if is(MISSING) {
                    Meaning::Missing
                } else if is(CREDENTIALS) {
                    Meaning::Credentials
                } else if is(DENIED) {
                    Meaning::Denied
                } else if is(THROTTLED) || *status == 429 {
                    Meaning::Throttled
                } else if code.is_none() && *status == 404 {
                    Meaning::Missing
                } else if code.is_none() && *status == 403 {
                    Meaning::Denied
                } else {
                    Meaning::Other
                }
            }
            Cause::Unreachable(_) | Cause::TimedOut => Meaning::Unreachable,
            Cause::NoCredentials(_) => Meaning::NoCredentials,
            Cause::NotSent(_) | Cause::BadAnswer { .. } => Meaning::Other,
        }
    }

    /// `S3 NoSuchBucket`, or `S3 HTTP 404` when the answer had no code.
    fn tag(&self) -> String {
        match &self.cause {
            Cause::Answered {
                code: Some(code), ..
            } => format!("{} {code}", self.service),
            Cause::Answered { status, .. } => format!("{} HTTP {status}", self.service),
            _ => self.service.to_string(),
        }
    }

    /// [`Self::tag`] with the service's message: `S3 AccessDenied: Access Denied`.
    fn tag_and_message(&self) -> String {
        match &self.cause {
            Cause::Answered {
                message: Some(m), ..
            } => format!("{}: {m}", self.tag()),
            _ => self.tag(),
        }
    }

    /// ` at http://127.0.0.1:4566` when the endpoint is known.
    fn place(&self) -> String {
        self.endpoint
            .as_deref()
            .map(|e| format!(" at {e}"))
            .unwrap_or_default()
    }

    /// What went wrong, without the resource: `does not exist (S3 NoSuchBucket)`,
    /// `the credentials were refused (S3 InvalidAccessKeyId: …)`,
    /// `cannot reach S3 at http://127.0.0.1:1 (connection refused)`.
    pub fn reason(&self) -> String {
        let service = self.service;
        match (&self.cause, self.meaning()) {
            (Cause::Answered { .. }, Meaning::Missing) => {
                format!("does not exist ({})", self.tag())
            }
            (Cause::Answered { .. }, Meaning::Credentials) => {
                format!("the credentials were refused ({})", self.tag_and_message())
            }
            (Cause::Answered { .. }, Meaning::Denied) => {
                format!("access denied ({})", self.tag_and_message())
            }
            (Cause::Answered { .. }, Meaning::Throttled) => {
                format!("throttled ({})", self.tag_and_message())
            }
            (
                Cause::Answered {
                    code: Some(code),
                    message,
                    status,
                },
                _,
            ) => match message {
                Some(m) => format!("{service} answered {code} (HTTP {status}): {m}"),
                None => format!("{service} answered {code} (HTTP {status})"),
            },
            (
                Cause::Answered {
                    code: None,
                    message,
                    status,
                },
                _,
            ) => match message {
                Some(m) => format!("{service} answered HTTP {status}: {m}"),
                None => format!("{service} answered HTTP {status}"),
            },
            (Cause::Unreachable(why), _) => format!("cannot reach {service}{} ({why})", self.place()),
            (Cause::TimedOut, _) => format!("{service}{} did not answer in time", self.place()),
            (Cause::NoCredentials(why), _) if why.contains("no credentials found") => {
                format!("no AWS credentials found to call {service} (environment, profile or role)")
            }
            (Cause::NoCredentials(why), _) => {
                format!("AWS credentials could not be loaded to call {service}: {why}")
            }
            (Cause::NotSent(why), _) => format!("the {service} request could not be made: {why}"),
            (Cause::BadAnswer { status, reason }, _) => format!(
                "{service}{} answered HTTP {status} with a response that could not be read: {reason}",
                self.place()
            ),
        }
    }

    /// The whole line: `bucket "designs" does not exist (S3 NoSuchBucket)` for a missing
    /// resource, else `<doing> <resource>: <reason>` (`listing s3://designs/: access denied
    /// (S3 AccessDenied: Access Denied)`).
    pub fn line(&self, doing: &str, resource: &Resource<'_>) -> String {
        if matches!(self.cause, Cause::Answered { .. }) && self.meaning() == Meaning::Missing {
            let tag = self.tag();
            return match (self.code(), resource.bucket()) {
                (Some("NoSuchBucket"), Some(bucket)) => {
                    format!("bucket {bucket:?} does not exist ({tag})")
                }
                _ => format!("{resource} does not exist ({tag})"),
            };
        }
        format!("{doing} {resource}: {}", self.reason())
    }
}

/// The endpoint override the standard environment gives a service's clients, for naming it in
/// messages: `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`; none when
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true. `service` is the variable's part: `S3`,
/// `SQS`, `LAMBDA`, `SECRETS_MANAGER`, `S3_CONTROL`. (Only for clients built from that
/// environment: a client given another endpoint in code gets none.)
pub fn endpoint_from_env(service: &str, get: impl Fn(&str) -> Option<String>) -> Option<String> {
    let ignore = get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if ignore {
        return None;
    }
    get(&format!("AWS_ENDPOINT_URL_{service}"))
        .or_else(|| get("AWS_ENDPOINT_URL"))
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
}

/// [`AwsFailure::from_sdk`], with the call's whole error (the SDK's context, and the answer's
/// status, headers and body when there was one) in the debug log.
pub fn summarise<E>(service: &'static str, e: &SdkError<E, HttpResponse>) -> AwsFailure
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    tracing::debug!(service, error = %DisplayErrorContext(e), "AWS call failed");
    AwsFailure::from_sdk(service, e)
}

/// `text` on one line: every run of white space (line breaks included) becomes one space, and
/// what is beyond `max_chars` characters is cut, ending in `…`.
pub fn one_line(text: &str, max_chars: usize) -> String {
    let squashed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if squashed.chars().count() <= max_chars {
        return squashed;
    }
    let mut out: String = squashed.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Whether the call failed because no credentials could be loaded.
fn credentials_error(e: &(dyn StdError + 'static)) -> bool {
    chain(e).any(|c| {
        let text = c.to_string();
        CREDENTIAL_ERRORS.iter().any(|m| text.starts_with(m))
    })
}

/// A short cause for a failed connection, from the I/O error under it.
fn io_reason(e: &(dyn StdError + 'static)) -> Option<String> {
    use std::io::ErrorKind;
    let io = chain(e).find_map(|c| c.downcast_ref::<std::io::Error>())?;
    Some(match io.kind() {
        ErrorKind::ConnectionRefused => "connection refused".into(),
        ErrorKind::ConnectionReset => "connection reset".into(),
        ErrorKind::ConnectionAborted => "connection aborted".into(),
        ErrorKind::TimedOut => "connection timed out".into(),
        ErrorKind::AddrNotAvailable => "address not available".into(),
        ErrorKind::BrokenPipe => "connection closed".into(),
        _ => {
            let text = io.to_string();
            // "… (os error 111)" says nothing more to a person.
            let text = match text.rfind(" (os error ") {
                Some(at) if text.ends_with(')') => text[..at].to_string(),
                _ => text,
            };
            one_line(&text, MAX_MESSAGE_CHARS)
        }
    })
}

/// The first line of the innermost error under `e` (the most specific one), on one line.
fn deepest(e: &(dyn StdError + 'static)) -> String {
    let last = chain(e).last().unwrap_or(e);
    let text = last.to_string();
    let first = text.lines().next().unwrap_or_default();
    let first = first.trim().trim_end_matches("Attempted:").trim();
    one_line(first, MAX_MESSAGE_CHARS)
}

/// The errors under `e`, outermost first (`e` itself excluded).
fn chain<'a>(
    e: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> + 'a {
    std::iter::successors(e.source(), |&c: &&'a (dyn StdError + 'static)| c.source()).take(32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::error::ErrorMetadata;
    use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    type Error = SdkError<ListObjectsV2Error, HttpResponse>;

    /// An error answer with this status, code and message (and a body that must never show).
    fn answered(status: u16, code: Option<&str>, message: Option<&str>) -> Error {
        let mut meta = ErrorMetadata::builder();
        if let Some(c) = code {
            meta = meta.code(c);
        }
        if let Some(m) = message {
            meta = meta.message(m);
        }
        let raw = HttpResponse::new(
            StatusCode::try_from(status).expect("a status"),
            SdkBody::from("<Error><Code>secret-body</Code><HostId>abc</HostId></Error>"),
        );
        SdkError::service_error(ListObjectsV2Error::generic(meta.build()), raw)
    }

    fn io(kind: std::io::ErrorKind) -> Error {
        SdkError::dispatch_failure(ConnectorError::io(Box::new(std::io::Error::from(kind))))
    }

    fn line(e: &Error, resource: Resource<'_>) -> String {
        AwsFailure::from_sdk("S3", e).line("listing", &resource)
    }

    const BUCKET: Resource<'static> = Resource::Bucket("designs");

    #[test]
    fn well_known_codes_read_as_plain_words() {
        let cases: Vec<(&'static str, Error, Resource<'_>, &str, Meaning)> = vec![
            (
                "S3",
                answered(404, Some("NoSuchBucket"), Some("The specified bucket does not exist")),
                Resource::Prefix {
                    bucket: "designs",
                    prefix: "uploads/",
                },
                "bucket \"designs\" does not exist (S3 NoSuchBucket)",
                Meaning::Missing,
            ),
            (
                "S3",
                answered(404, Some("NoSuchKey"), Some("The specified key does not exist.")),
                Resource::Object {
                    bucket: "designs",
                    key: "uploads/a.ork",
                },
                "s3://designs/uploads/a.ork does not exist (S3 NoSuchKey)",
                Meaning::Missing,
            ),
            (
                "S3",
                answered(
                    403,
                    Some("InvalidAccessKeyId"),
                    Some("The AWS Access Key Id you provided does not exist in our records."),
                ),
                BUCKET,
                "listing bucket \"designs\": the credentials were refused (S3 InvalidAccessKeyId: \
                 The AWS Access Key Id you provided does not exist in our records.)",
                Meaning::Credentials,
            ),
            (
                "S3",
                answered(403, Some("SignatureDoesNotMatch"), None),
                BUCKET,
                "listing bucket \"designs\": the credentials were refused (S3 SignatureDoesNotMatch)",
                Meaning::Credentials,
            ),
            (
                "S3",
                answered(400, Some("ExpiredToken"), Some("The provided token has expired.")),
                BUCKET,
                "listing bucket \"designs\": the credentials were refused (S3 ExpiredToken: The \
                 provided token has expired.)",
                Meaning::Credentials,
            ),
            (
                "S3",
                answered(403, Some("AccessDenied"), Some("Access Denied")),
                BUCKET,
                "listing bucket \"designs\": access denied (S3 AccessDenied: Access Denied)",
                Meaning::Denied,
            ),
            (
                "S3",
                answered(503, Some("SlowDown"), Some("Please reduce your request rate.")),
                BUCKET,
                "listing bucket \"designs\": throttled (S3 SlowDown: Please reduce your request \
                 rate.)",
                Meaning::Throttled,
            ),
            (
                "SQS",
                answered(
                    400,
                    Some("AWS.SimpleQueueService.NonExistentQueue"),
                    Some("The specified queue does not exist."),
                ),
                Resource::Queue("http://127.0.0.1:4566/123456789012/q"),
                "queue http://127.0.0.1:4566/123456789012/q does not exist (SQS \
                 AWS.SimpleQueueService.NonExistentQueue)",
                Meaning::Missing,
            ),
            (
                "Lambda",
                answered(404, Some("ResourceNotFoundException"), Some("Function not found: arn")),
                Resource::Function("ork"),
                "function \"ork\" does not exist (Lambda ResourceNotFoundException)",
                Meaning::Missing,
            ),
            // A HEAD answer has no body: the status tells.
            (
                "S3",
                answered(403, None, None),
                BUCKET,
                "listing bucket \"designs\": access denied (S3 HTTP 403)",
                Meaning::Denied,
            ),
            (
                "S3",
                answered(404, None, None),
                Resource::Object {
                    bucket: "b",
                    key: "k",
                },
                "s3://b/k does not exist (S3 HTTP 404)",
                Meaning::Missing,
            ),
            // Any other code: quoted, with the status.
            (
                "S3",
                answered(500, Some("InternalError"), Some("We encountered an internal error.")),
                BUCKET,
                "listing bucket \"designs\": S3 answered InternalError (HTTP 500): We \
                 encountered an internal error.",
                Meaning::Other,
            ),
            (
                "S3",
                answered(502, None, None),
                BUCKET,
                "listing bucket \"designs\": S3 answered HTTP 502",
                Meaning::Other,
            ),
        ];
        for (service, e, resource, want, meaning) in cases {
            let failure = AwsFailure::from_sdk(service, &e);
            assert_eq!(failure.meaning(), meaning, "{want}");
            let got = failure.line("listing", &resource);
            assert_eq!(got, want);
            assert!(!got.contains("secret-body") && !got.contains('\n'), "{got}");
        }
    }

    #[test]
    fn failures_without_an_answer_have_a_short_cause() {
        let refused = AwsFailure::from_sdk("S3", &io(std::io::ErrorKind::ConnectionRefused))
            .at(Some("http://127.0.0.1:1"));
        assert_eq!(refused.meaning(), Meaning::Unreachable);
        assert_eq!(
            refused.line("listing", &BUCKET),
            "listing bucket \"designs\": cannot reach S3 at http://127.0.0.1:1 (connection refused)"
        );
        assert_eq!(refused.status(), None);
        assert_eq!(refused.code(), None);
        // Without a known endpoint, the line says less, but nothing false.
        assert_eq!(
            line(&io(std::io::ErrorKind::ConnectionReset), BUCKET),
            "listing bucket \"designs\": cannot reach S3 (connection reset)"
        );
        let timeout: Error = SdkError::timeout_error("operation timeout (all attempts) exceeded");
        assert_eq!(
            line(&timeout, BUCKET),
            "listing bucket \"designs\": S3 did not answer in time"
        );
        let timed_out: Error = SdkError::dispatch_failure(ConnectorError::timeout("slow".into()));
        assert_eq!(
            AwsFailure::from_sdk("S3", &timed_out).meaning(),
            Meaning::Unreachable
        );
        let built: Error = SdkError::construction_failure("a required field was not set: bucket");
        assert_eq!(
            line(&built, BUCKET),
            "listing bucket \"designs\": the S3 request could not be made: a required field was \
             not set: bucket"
        );
        let garbled: Error = SdkError::response_error(
            "unexpected end of\nthe XML",
            HttpResponse::new(StatusCode::try_from(200).unwrap(), SdkBody::empty()),
        );
        assert_eq!(
            line(&garbled, BUCKET),
            "listing bucket \"designs\": S3 answered HTTP 200 with a response that could not be \
             read: unexpected end of"
        );
    }

    #[test]
    fn missing_credentials_are_named() {
        #[derive(Debug)]
        struct Loading(&'static str, Option<Box<Loading>>);
        impl fmt::Display for Loading {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }
        impl StdError for Loading {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                self.1.as_deref().map(|l| l as &(dyn StdError + 'static))
            }
        }
        let none: Error = SdkError::dispatch_failure(ConnectorError::other(
            Box::new(Loading(
                "the credential provider was not enabled",
                Some(Box::new(Loading(
                    "no credentials found in chain. Attempted:\n  Environment: not set",
                    None,
                ))),
            )),
            None,
        ));
        let failure = AwsFailure::from_sdk("SQS", &none);
        assert_eq!(failure.meaning(), Meaning::NoCredentials);
        assert_eq!(
            failure.line("receiving from", &Resource::Queue("q")),
            "receiving from queue q: no AWS credentials found to call SQS (environment, profile \
             or role)"
        );
        let expired: Error = SdkError::dispatch_failure(ConnectorError::other(
            Box::new(Loading(
                "an error occurred while loading credentials",
                Some(Box::new(Loading("the SSO session has expired", None))),
            )),
            None,
        ));
        assert_eq!(
            AwsFailure::from_sdk("S3", &expired).reason(),
            "AWS credentials could not be loaded to call S3: the SSO session has expired"
        );
    }

    #[test]
    fn long_messages_are_cut_and_kept_on_one_line() {
        let long = format!("first line\n\tsecond {}", "x".repeat(400));
        let e = answered(400, Some("InvalidArgument"), Some(&long));
        let got = line(&e, BUCKET);
        assert!(!got.contains('\n') && !got.contains('\t'), "{got}");
        assert!(got.contains("first line second xxx"), "{got}");
        assert!(got.ends_with('…'), "{got}");
        assert!(got.chars().count() < 220, "{got}");
    }

    #[test]
    fn endpoints_come_from_the_standard_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let both = env(&[
            ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4566"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
        ]);
        assert_eq!(
            endpoint_from_env("S3", both).as_deref(),
            Some("http://127.0.0.1:4566")
        );
        assert_eq!(
            endpoint_from_env("SQS", both).as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(endpoint_from_env("S3", env(&[])), None);
        let ignored = env(&[
            ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4566"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]);
        assert_eq!(endpoint_from_env("S3", ignored), None);
    }

    #[test]
    fn one_line_squashes_and_cuts() {
        assert_eq!(one_line("  a\n\n b\tc  ", 100), "a b c");
        assert_eq!(one_line("abcdef", 4), "abc…");
        assert_eq!(one_line("abcd", 4), "abcd");
        assert_eq!(one_line("abc", 4), "abc");
        assert_eq!(one_line("ééééé", 3), "éé…");
        assert_eq!(one_line("", 3), "");
    }
}
