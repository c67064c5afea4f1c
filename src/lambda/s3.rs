//! The S3 adapter of [`ObjectSource`]: aws-sdk-s3, one client built at cold start.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::head_object::HeadObjectError;

use crate::pipeline::{
    FetchedObject, ListPage, Listed, ObjectHead, ObjectLister, ObjectSource, SourceError,
};

/// Reads design objects from S3.
#[derive(Debug, Clone)]
pub struct S3Source {
    client: aws_sdk_s3::Client,
    /// Keys per listing page (`None`: S3's default, 1000).
    list_page_size: Option<i32>,
}

impl S3Source {
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        Self {
            client,
            list_page_size: None,
        }
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
    }

    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
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
            Err(SdkError::ServiceError(e)) => {
                let err = e.err();
                let status = e.raw().status().as_u16();
                // With ListBucket limited to the prefix, a deleted key can answer 403.
                if matches!(err, GetObjectError::NoSuchKey(_)) || status == 404 || status == 403 {
                    return Err(SourceError::Gone {
                        bucket: bucket.into(),
                        key: key.into(),
                    });
                }
                return Err(transient(format!(
                    "{} (HTTP {status}): {}",
                    err.code().unwrap_or("error"),
                    err.message().unwrap_or("no message")
                )));
            }
            Err(e) => return Err(transient(e.to_string())),
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
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| transient(format!("reading the body: {e}")))?
        {
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
            Err(SdkError::ServiceError(e)) => {
                let status = e.raw().status().as_u16();
                // A HEAD answer has no body, so no error code: the status tells. With
                // ListBucket limited to the prefix, a missing key answers 403.
                if matches!(e.err(), HeadObjectError::NotFound(_)) || status == 404 || status == 403
                {
                    return Ok(None);
                }
                Err(SourceError::Transient {
                    bucket: bucket.into(),
                    key: key.into(),
                    reason: format!("HEAD answered HTTP {status}"),
                })
            }
            Err(e) => Err(SourceError::Transient {
                bucket: bucket.into(),
                key: key.into(),
                reason: e.to_string(),
            }),
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
                reason: format!("listing: {}", aws_sdk_s3::error::DisplayErrorContext(&e)),
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
