//! Settings of the Lambda (and of the CLI when it talks to the same services), from the
//! environment, with secrets optionally fetched once from Secrets Manager at cold start.
//!
//! | variable | meaning |
//! |---|---|
//! | `NEO4J_URI`, `NEO4J_USER`, `NEO4J_PASSWORD`, `NEO4J_DATABASE` | the graph database |
//! | `NEO4J_CA_CERT` | a PEM file of CAs to trust for `neo4j+s://`/`bolt+s://` instead of the platform's (a private or test CA; unset for Aura) |
//! | `ORK_NEO4J_SECRET_ARN` | a JSON secret with those four fields, instead |
//! | `CLOUDINARY_URL` | `cloudinary://key:secret@cloud` |
//! | `ORK_CLOUDINARY_SECRET_ARN` | a secret holding that URL (plain, or JSON `{"CLOUDINARY_URL": …}`) |
//! | `CLOUDINARY_API_BASE`, `ORK_IMAGE_FOLDER` | API base (tests), image folder (`designs`) |
//! | `ORK_S3_FORCE_PATH_STYLE` | `true` for local S3 servers |
//! | `ORK_MAX_OBJECT_BYTES`, `ORK_MAX_XML_BYTES` | input limits (defaults of `ork::Limits`) |

use std::collections::HashMap;

use crate::aws_error::summarise;
use crate::graph::{GraphConfig, GraphError};
use crate::ork::Limits;
use crate::publish::{CloudinaryConfig, PublishError};

/// Why the configuration could not be read: one line that names the setting or the secret.
/// Never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {reason}")]
    Invalid { name: String, reason: String },
    #[error("secret {arn}: {reason}")]
    Secret { arn: String, reason: String },
    #[error("no graph database configured: set NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD) or ORK_NEO4J_SECRET_ARN")]
    NoGraph,
    #[error("no image store configured: set CLOUDINARY_URL or ORK_CLOUDINARY_SECRET_ARN")]
    NoImages,
}

/// Everything the handler needs besides its clients.
#[derive(Debug, Clone)]
pub struct LambdaConfig {
    pub graph: GraphConfig,
    pub cloudinary: CloudinaryConfig,
    pub limits: Limits,
    pub force_path_style: bool,
}

/// Reads a boolean setting (`true`/`1`/`yes`).
pub fn flag(value: Option<&str>) -> bool {
    value.is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

/// The limits, with `ORK_MAX_OBJECT_BYTES` / `ORK_MAX_XML_BYTES` overriding the defaults.
pub fn limits(get: &impl Fn(&str) -> Option<String>) -> Result<Limits, ConfigError> {
    let mut limits = Limits::default();
    for (name, slot) in [
        ("ORK_MAX_OBJECT_BYTES", &mut limits.max_input_bytes),
        ("ORK_MAX_XML_BYTES", &mut limits.max_xml_bytes),
    ] {
        if let Some(v) = get(name) {
            *slot = v.trim().parse().map_err(|_| ConfigError::Invalid {
                name: name.into(),
                reason: format!("{v:?} is not a byte count"),
            })?;
        }
    }
    Ok(limits)
}

/// Where secrets come from: Secrets Manager in production, a map in tests.
pub trait SecretSource {
    fn secret_string(
        &self,
        arn: &str,
    ) -> impl std::future::Future<Output = Result<String, String>> + Send;
}

/// AWS Secrets Manager.
pub struct SecretsManager(pub aws_sdk_secretsmanager::Client);

impl SecretSource for SecretsManager {
    async fn secret_string(&self, arn: &str) -> Result<String, String> {
        let out = self
            .0
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            // `does not exist (Secrets Manager ResourceNotFoundException)`, `access denied (…)`:
            // the service's code, on one line; the SDK's whole error is in the debug log.
            .map_err(|e| summarise("Secrets Manager", &e).reason())?;
        out.secret_string()
            .map(str::to_string)
            .ok_or_else(|| "the secret has no string value".to_string())
    }
}

/// The secret named by the ARN in variable `name`, if that variable is set: (ARN, value).
async fn fetch(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    secrets: &impl SecretSource,
) -> Result<Option<(String, String)>, ConfigError> {
    let Some(arn) = get(name).filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    match secrets.secret_string(&arn).await {
        Ok(text) => Ok(Some((arn, text))),
        Err(reason) => Err(ConfigError::Secret { arn, reason }),
    }
}

/// Reads the configuration: plain variables first, secrets by ARN where given.
pub async fn load(
    get: impl Fn(&str) -> Option<String>,
    secrets: &impl SecretSource,
) -> Result<LambdaConfig, ConfigError> {
    let mut vars: HashMap<String, String> = HashMap::new();
    if let Some((arn, text)) = fetch(&get, "ORK_NEO4J_SECRET_ARN", secrets).await? {
        let map: HashMap<String, serde_json::Value> =
            serde_json::from_str(&text).map_err(|_| ConfigError::Secret {
                arn: arn.clone(),
                reason: "not a JSON object with NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD".into(),
            })?;
        for (k, v) in map {
            if let Some(s) = v.as_str() {
                vars.insert(k.to_ascii_uppercase(), s.to_string());
            }
        }
    }
    if let Some((arn, text)) = fetch(&get, "ORK_CLOUDINARY_SECRET_ARN", secrets).await? {
        let url = match serde_json::from_str::<HashMap<String, serde_json::Value>>(&text) {
            Ok(map) => map
                .get("CLOUDINARY_URL")
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| ConfigError::Secret {
                    arn: arn.clone(),
                    reason: "JSON secret without CLOUDINARY_URL".into(),
                })?,
            Err(_) => text.trim().to_string(),
        };
        vars.insert("CLOUDINARY_URL".into(), url);
    }
    // Secret values win over plain variables of the same name.
    let lookup = |name: &str| vars.get(name).cloned().or_else(|| get(name));
    let graph = GraphConfig::from_lookup(lookup)
        .map_err(|e| ConfigError::Invalid {
            name: "NEO4J_*".into(),
            reason: match e {
                GraphError::Config(reason) => reason,
                other => other.to_string(),
            },
        })?
        .ok_or(ConfigError::NoGraph)?;
    let cloudinary = CloudinaryConfig::from_vars(lookup)
        .map_err(|e| ConfigError::Invalid {
            name: "CLOUDINARY_URL".into(),
            // `CLOUDINARY_URL: must start with cloudinary://`, not the variable's name twice.
            reason: match e {
                PublishError::Config(reason) => reason
                    .strip_prefix("CLOUDINARY_URL: ")
                    .map(str::to_string)
                    .unwrap_or(reason),
                other => other.to_string(),
            },
        })?
        .ok_or(ConfigError::NoImages)?;
    Ok(LambdaConfig {
        graph,
        cloudinary,
        limits: limits(&get)?,
        force_path_style: flag(get("ORK_S3_FORCE_PATH_STYLE").as_deref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(HashMap<&'static str, &'static str>);

    impl SecretSource for Fixed {
        async fn secret_string(&self, arn: &str) -> Result<String, String> {
            self.0
                .get(arn)
                .map(|s| s.to_string())
                .ok_or_else(|| "not found".into())
        }
    }

    fn env(pairs: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<&str, &str> = pairs.iter().copied().collect();
        move |k: &str| m.get(k).map(|v| v.to_string())
    }

    #[tokio::test]
    async fn secrets_by_arn_and_no_secret_in_errors() {
        let secrets = Fixed(HashMap::from([
            (
                "arn:neo",
                r#"{"NEO4J_URI":"neo4j+s://x.databases.neo4j.io","NEO4J_USER":"neo4j","NEO4J_PASSWORD":"hunter2-secret"}"#,
            ),
            ("arn:cld", "cloudinary://key1:shh-secret@demo"),
        ]));
        let c = load(
            env(&[
                ("ORK_NEO4J_SECRET_ARN", "arn:neo"),
                ("ORK_CLOUDINARY_SECRET_ARN", "arn:cld"),
                ("ORK_MAX_OBJECT_BYTES", "1000"),
            ]),
            &secrets,
        )
        .await
        .unwrap();
        assert_eq!(c.limits.max_input_bytes, 1000);
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2-secret"), "{shown}");
        assert!(!shown.contains("shh-secret"), "{shown}");

        let err = load(env(&[("ORK_NEO4J_SECRET_ARN", "arn:missing")]), &secrets)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("arn:missing"));
        let err = load(env(&[]), &secrets).await.unwrap_err();
        assert!(matches!(err, ConfigError::NoGraph));
    }

    #[test]
    fn flags_and_limits() {
        assert!(flag(Some("true")) && flag(Some("1")) && !flag(Some("no")) && !flag(None));
        assert!(limits(&env(&[("ORK_MAX_OBJECT_BYTES", "lots")])).is_err());
    }
}
