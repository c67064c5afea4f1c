//! The S3 adapter of [`ObjectSource`]: aws-sdk-s3, one client built at cold start.
//!
//! Failures are summarised on one line ([`crate::aws_error`]): the bucket or key, and S3's
//! code and message, or why no answer came; the SDK's whole error goes to the debug log.

use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::head_object::HeadObjectError;

use crate::aws_error::{endpoint_from_env, one_line, summarise, AwsFailure, Meaning, Resource};
use crate::pipeline::{
    FetchedObject, ListPage, Listed, ObjectHead, ObjectLister, ObjectSource, SourceError,
};

/// Reads design objects from S3.
#[derive(Debug, Clone)]
pub struct S3Source {
    client: aws_sdk_s3::Client,
    /// Keys per listing page (`None`: S3's default, 1000).
    list_page_size: Option<i32>,
    /// The endpoint the client was given (a local server), named when it cannot be reached.
    endpoint: Option<String>,
}

impl S3Source {
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        Self {
            client,
            list_page_size: None,
            endpoint: None,
        }
    }

    /// Names the client's endpoint in the messages of calls that got no answer (see
    /// [`crate::aws_error::endpoint_from_env`]); it does not change where requests go.
    pub fn with_endpoint(mut self, endpoint: Option<String>) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// Lists `n` keys per page instead of S3's 1000 (smaller pages, more requests).
    pub fn with_list_page_size(mut self, n: i32) -> Self {
        self.list_page_size = Some(n);
        self
    }

    /// A client from the standard AWS configuration (region, credentials, and
    /// `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` for a local endpoint), with path-style
    /// addressing when `force_path_style` (local S3 servers need it). No network I/O happens
    /// here: credentials and endpoints resolve on first use.
    pub async fn from_env(force_path_style: bool) -> Self {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(force_path_style)
            .build();
        Self::new(aws_sdk_s3::Client::from_conf(conf))
            .with_endpoint(endpoint_from_env("S3", |k| std::env::var(k).ok()))
    }

    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// The failure of an S3 call, summarised, with the endpoint when known.
    fn failure<E>(&self, e: &aws_sdk_s3::error::SdkError<E>) -> AwsFailure
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        summarise("S3", e).at(self.endpoint.as_deref())
    }
}

/// Whether a GET or HEAD that S3 refused means that the key holds nothing: 404, or 403 (with
/// `s3:ListBucket` limited to the prefix, a deleted key answers 403), unless it is the
/// credentials that were refused.
fn holds_nothing(failure: &AwsFailure) -> bool {
    match failure.status() {
        Some(404) => true,
        Some(403) => failure.meaning() != Meaning::Credentials,
        _ => false,
    }
}

impl ObjectSource for S3Source {
    async fn fetch(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
    ) -> Result<FetchedObject, SourceError> {
        let transient = |reason: String| SourceError::Transient {
            bucket: bucket.into(),
            key: key.into(),
            reason,
        };
        let out = match self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let failure = self.failure(&e);
                let no_such_key =
                    matches!(e.as_service_error(), Some(GetObjectError::NoSuchKey(_)));
                if no_such_key || holds_nothing(&failure) {
                    return Err(SourceError::Gone {
                        bucket: bucket.into(),
                        key: key.into(),
                    });
                }
                return Err(transient(failure.reason()));
            }
        };
        // Refused before the body is read.
        let size = out.content_length().and_then(|n| u64::try_from(n).ok());
        if let Some(size) = size.filter(|&s| s > max_bytes) {
            return Err(SourceError::TooLarge {
                size,
                limit: max_bytes,
            });
        }
        let etag = out.e_tag().map(str::to_string);
        let version_id = out.version_id().map(str::to_string);
        let mut body = out.body;
        let mut bytes = Vec::with_capacity(size.unwrap_or(0).min(max_bytes) as usize);
        while let Some(chunk) = body.try_next().await.map_err(|e| {
            transient(format!(
                "reading the body: {}",
                one_line(&e.to_string(), 160)
            ))
        })? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() as u64 > max_bytes {
                return Err(SourceError::TooLarge {
                    size: bytes.len() as u64,
                    limit: max_bytes,
                });
            }
        }
        Ok(FetchedObject {
            bytes,
            etag,
            version_id,
        })
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<Option<ObjectHead>, SourceError> {
        match self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(ObjectHead {
                etag: out.e_tag().map(str::to_string),
                version_id: out.version_id().map(str::to_string),
            })),
            Err(e) => {
                let failure = self.failure(&e);
                // A HEAD answer has no body, so no error code: the status tells.
                if matches!(e.as_service_error(), Some(HeadObjectError::NotFound(_)))
                    || holds_nothing(&failure)
                {
                    return Ok(None);
                }
                Err(SourceError::Transient {
                    bucket: bucket.into(),
                    key: key.into(),
                    reason: failure.reason(),
                })
            }
        }
    }
}

impl ObjectLister for S3Source {
    async fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        token: Option<&str>,
    ) -> Result<ListPage, SourceError> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token.map(str::to_string))
            .set_max_keys(self.list_page_size)
            .send()
            .await
            .map_err(|e| SourceError::Transient {
                bucket: bucket.into(),
                key: prefix.into(),
                // The whole line (this is what `ork reprocess` says when a listing fails).
                reason: self
                    .failure(&e)
                    .line("listing", &Resource::Prefix { bucket, prefix }),
            })?;
        let objects = out
            .contents()
            .iter()
            .filter_map(|o| {
                Some(Listed {
                    key: o.key()?.to_string(),
                    size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                    etag: o.e_tag().map(str::to_string),
                })
            })
            .collect();
        let next = out
            .is_truncated()
            .unwrap_or(false)
            .then(|| out.next_continuation_token().map(str::to_string))
            .flatten();
        Ok(ListPage { objects, next })
    }
}
