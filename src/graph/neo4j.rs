//! The live sink: Neo4j (Aura in production) or any Bolt 4.4 server, through `neo4rs`.
//!
//! neo4rs 0.9.0-rc.11 is pinned because it is the first release that offers Bolt 4.4 (with
//! 4.3, 4.1 and 4.0) in the handshake; 0.8.0 offers only 4.1 and 4.0, which Neo4j 5 and Aura
//! refuse. The scheme of `NEO4J_URI` picks TLS: `neo4j+s://` and `bolt+s://` verify the
//! server's certificate, `+ssc` accepts self-signed ones, plain `neo4j://`/`bolt://` do not
//! encrypt (local servers only).
//!
//! Every design write (and delete) is ONE statement run as an auto-commit transaction: one
//! round trip, atomic in Neo4j, so a failure anywhere leaves the previous version as it was.
//! A guarded write takes the design node's lock before it checks the stored version, and
//! returns 0 rows written when another version is stored ([`super::plan::conditional`]).
//! Transient errors (deadlocks between concurrent writers, a dropped connection) are retried,
//! the whole statement each time, with jittered exponential back-off. `NEO4J_CA_CERT` names
//! the CAs to trust for `+s` schemes when they are not the platform's (a local test server).

use super::plan::{
    conditional, delete_statements, fingerprint_statement, schema_statements, stored_statement,
    Fingerprint, Guard, StoredDesign, STORED_COLUMNS, WRITTEN_COLUMN,
};
use super::plan::{GraphPlan, Statement};
use super::sink::{GraphError, GraphSink, WriteStats};
use super::value::Value;
use neo4rs::{BoltList, BoltMap, BoltType, ConfigBuilder, Graph, Query};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

/// Connection settings. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct GraphConfig {
    /// `neo4j+s://xxxx.databases.neo4j.io`, `bolt://127.0.0.1:7687`, …
    pub uri: String,
    pub user: String,
    pub password: String,
    /// Defaults to `neo4j`.
    pub database: String,
    /// Connections in the pool.
    pub max_connections: usize,
    /// Attempts per transaction when a retryable error occurs (at least 1).
    pub max_attempts: u32,
    /// A PEM file of the certificate authorities to trust for `+s` schemes instead of the
    /// platform's (`NEO4J_CA_CERT`): a private CA, or the local test server's. Unset for Aura,
    /// whose certificates the platform trusts.
    pub ca_certificate: Option<std::path::PathBuf>,
}

impl fmt::Debug for GraphConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphConfig")
            .field("uri", &self.uri)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("database", &self.database)
            .field("max_connections", &self.max_connections)
            .field("max_attempts", &self.max_attempts)
            .field("ca_certificate", &self.ca_certificate)
            .finish()
    }
}

impl GraphConfig {
    pub fn new(uri: &str, user: &str, password: &str) -> Self {
        Self {
            uri: uri.to_owned(),
            user: user.to_owned(),
            password: password.to_owned(),
            database: "neo4j".to_owned(),
            max_connections: 8,
            max_attempts: 20,
            ca_certificate: None,
        }
    }

    /// From `NEO4J_URI`, `NEO4J_USER` (default `neo4j`), `NEO4J_PASSWORD`, `NEO4J_DATABASE`
    /// (default `neo4j`) and `NEO4J_CA_CERT` (optional). `Ok(None)` when `NEO4J_URI` is unset
    /// or empty.
    pub fn from_env() -> Result<Option<Self>, GraphError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// As [`GraphConfig::from_env`], reading variables through `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, GraphError> {
        let Some(uri) = get("NEO4J_URI").filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        let password = get("NEO4J_PASSWORD").ok_or_else(|| {
            GraphError::Config("NEO4J_URI is set but NEO4J_PASSWORD is not".into())
        })?;
        let user = get("NEO4J_USER").filter(|u| !u.is_empty());
        let mut c = Self::new(uri.trim(), user.as_deref().unwrap_or("neo4j"), &password);
        if let Some(db) = get("NEO4J_DATABASE").filter(|d| !d.trim().is_empty()) {
            c.database = db.trim().to_owned();
        }
        c.ca_certificate = get("NEO4J_CA_CERT")
            .filter(|p| !p.trim().is_empty())
            .map(|p| p.trim().into());
        Ok(Some(c))
    }
}

/// One try of a retried operation (see `Neo4jSink::retrying`).
type Attempt<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, GraphError>> + Send + 'a>>;

/// Sink writing to a live server. Cheap to clone? No: share it by reference or `Arc`.
pub struct Neo4jSink {
    graph: Graph,
    config: GraphConfig,
    round_trips: AtomicU64,
    /// Attempts that failed with a retryable error and were tried again (deadlocks, lost
    /// connections), since the sink was made.
    retries: AtomicU64,
    /// One lock per design being written: writers of the same design in this process take
    /// turns instead of conflicting on the server (across processes, the server decides).
    design_locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl fmt::Debug for Neo4jSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Neo4jSink")
            .field("config", &self.config)
            .field("round_trips", &self.round_trips())
            .finish()
    }
}

fn to_bolt(v: &Value) -> BoltType {
    match v {
        Value::Bool(b) => BoltType::from(*b),
        Value::Int(i) => BoltType::from(*i),
        Value::Float(f) => BoltType::from(*f),
        Value::Str(s) => BoltType::from(s.as_str()),
        Value::List(items) => BoltType::List(BoltList::from(
            items.iter().map(to_bolt).collect::<Vec<_>>(),
        )),
        Value::Map(m) => {
            let mut out = BoltMap::with_capacity(m.len());
            for (k, v) in m {
                out.put(k.as_str().into(), to_bolt(v));
            }
            BoltType::Map(out)
        }
    }
}

fn to_query(st: &Statement) -> Query {
    st.params
        .iter()
        .fold(neo4rs::query(&st.cypher), |q, (k, v)| {
            q.param(k, to_bolt(v))
        })
}

impl Neo4jSink {
    /// Connects and checks the server answers (`RETURN 1`), so that bad settings fail here.
    pub async fn connect(config: GraphConfig) -> Result<Self, GraphError> {
        let mut builder = ConfigBuilder::default()
            .uri(config.uri.as_str())
            .user(config.user.as_str())
            .password(config.password.as_str())
            .db(config.database.as_str())
            .max_connections(config.max_connections.max(1))
            .connection_timeout(Duration::from_secs(15));
        if let Some(ca) = &config.ca_certificate {
            if !ca.is_file() {
                return Err(GraphError::Config(format!(
                    "NEO4J_CA_CERT {} is not a readable file",
                    ca.display()
                )));
            }
            builder = builder.with_client_certificate(ca);
        }
        let built = builder
            .build()
            .map_err(|e| GraphError::Config(one_line(&e.to_string(), &config.password)))?;
        let graph = Graph::connect(built).map_err(|e| map_err(&config, e))?;
        let sink = Self {
            graph,
            config,
            round_trips: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            design_locks: Mutex::new(HashMap::new()),
        };
        sink.query_rows(&Statement::new("RETURN 1 AS one"), &["one"])
            .await?;
        Ok(sink)
    }

    pub fn config(&self) -> &GraphConfig {
        &self.config
    }

    /// Round trips to the server so far (each statement, BEGIN, COMMIT and ROLLBACK is one).
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// Writes (or statements) tried again after a retryable error so far: how often
    /// concurrent writers deadlocked, or a connection dropped.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// The in-process lock of one design (created on demand, dropped when unused).
    fn design_lock(&self, design_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .design_locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(lock) = locks.get(design_id).and_then(Weak::upgrade) {
            return lock;
        }
        if locks.len() >= 1024 {
            locks.retain(|_, w| w.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(design_id.to_owned(), Arc::downgrade(&lock));
        lock
    }

    fn trip(&self) {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `attempt` until it succeeds, retrying it whole with jittered back-off while it
    /// fails with a retryable error (at most [`GraphConfig::max_attempts`] times). Returns its
    /// value with the round trips of the successful try and the attempts made.
    ///
    /// Each attempt's future is boxed: the callers' futures stay small and shallow (the
    /// Lambda's and the tests' async bodies nest them deeply).
    async fn retrying<'a, T, F>(&self, mut attempt: F) -> Result<(T, WriteStats), GraphError>
    where
        F: FnMut() -> Attempt<'a, T>,
    {
        let attempts = self.config.max_attempts.max(1);
        let mut tried = 0;
        loop {
            tried += 1;
            let before = self.round_trips();
            match attempt().await {
                Ok(value) => {
                    let stats = WriteStats {
                        round_trips: self.round_trips() - before,
                        attempts: tried,
                    };
                    return Ok((value, stats));
                }
                Err(e) if e.is_retryable() && tried < attempts => {
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(backoff(tried)).await;
                }
                Err(e) if e.is_retryable() => {
                    return Err(GraphError::RetriesExhausted {
                        attempts: tried,
                        last: Box::new(e),
                    })
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Runs `statements` in one explicit transaction, retrying it whole on retryable errors.
    async fn transaction(&self, statements: &[Statement]) -> Result<WriteStats, GraphError> {
        let ((), stats) = self
            .retrying(|| Box::pin(self.try_transaction(statements)))
            .await?;
        Ok(stats)
    }

    /// Runs one statement as an auto-commit transaction and returns the first row's
    /// [`WRITTEN_COLUMN`], retrying it whole on retryable errors. One round trip: neo4rs sends
    /// RUN and PULL together.
    async fn auto_commit(&self, st: &Statement) -> Result<(i64, WriteStats), GraphError> {
        self.retrying(|| {
            Box::pin(async {
                let rows = self.query_rows(st, &[WRITTEN_COLUMN]).await?;
                Ok(rows
                    .first()
                    .and_then(|r| r[0].as_ref())
                    .and_then(serde_json::Value::as_i64)
                    .unwrap_or(0))
            })
        })
        .await
    }

    async fn try_transaction(&self, statements: &[Statement]) -> Result<(), GraphError> {
        self.trip();
        let mut txn = self
            .graph
            .start_txn()
            .await
            .map_err(|e| map_err(&self.config, e))?;
        for st in statements {
            self.trip();
            if let Err(e) = txn.run(to_query(st)).await {
                // Best effort: the server also rolls back when the connection drops.
                self.trip();
                let _ = txn.rollback().await;
                return Err(map_err(&self.config, e));
            }
        }
        self.trip();
        txn.commit().await.map_err(|e| map_err(&self.config, e))?;
        Ok(())
    }

    /// Runs a read query and returns the named columns of every row (missing or null
    /// values as `None`). Strings, numbers and booleans come back as JSON values.
    pub async fn query_rows(
        &self,
        st: &Statement,
        columns: &[&str],
    ) -> Result<Vec<Vec<Option<serde_json::Value>>>, GraphError> {
        self.trip();
        let mut stream = self
            .graph
            .execute(to_query(st))
            .await
            .map_err(|e| map_err(&self.config, e))?;
        let mut out = Vec::new();
        loop {
            match stream.next().await {
                Ok(Some(row)) => out.push(
                    columns
                        .iter()
                        .map(|c| {
                            row.get::<serde_json::Value>(c)
                                .ok()
                                .filter(|v| !v.is_null())
                        })
                        .collect(),
                ),
                Ok(None) => break,
                Err(e) => return Err(map_err(&self.config, e)),
            }
        }
        Ok(out)
    }

    /// Runs statements in one write transaction (with retries), e.g. a script's statements.
    pub async fn run_in_transaction(
        &self,
        statements: &[Statement],
    ) -> Result<WriteStats, GraphError> {
        self.transaction(statements).await
    }
}

/// Identifies the schema (constraints and indexes) this build creates: the first 16 hex
/// digits of the SHA-256 of their statements, recorded on an `OrkSchema` marker node.
fn schema_version() -> String {
    let text: String = schema_statements()
        .iter()
        .map(|st| st.cypher.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    super::input::sha256_hex(text.as_bytes())[..16].to_owned()
}

/// 20 ms, 40 ms, … capped at 640 ms, plus up to 100% jitter (from the clock's nanoseconds).
fn backoff(attempt: u32) -> Duration {
    let base = 10u64 << attempt.min(6);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(0);
    Duration::from_millis(base + nanos % (base + 1))
}

/// Removes the password from a message, whatever produced it.
fn redact(message: &str, password: &str) -> String {
    if password.is_empty() {
        message.to_owned()
    } else {
        message.replace(password, "<redacted>")
    }
}

/// The longest server or driver message an error carries (the rest says nothing more to a
/// person reading a log line).
const MAX_MESSAGE_CHARS: usize = 200;

/// `text` without its password, on one line (Neo4j's messages may span lines: a statement and
/// a caret under it), cut at [`MAX_MESSAGE_CHARS`].
fn one_line(text: &str, password: &str) -> String {
    let text = redact(text, password);
    let squashed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if squashed.chars().count() <= MAX_MESSAGE_CHARS {
        return squashed;
    }
    let mut out: String = squashed.chars().take(MAX_MESSAGE_CHARS - 1).collect();
    out.push('…');
    out
}

/// Why a connection failed, in words: `connection refused`, `connection timed out`.
fn io_reason(e: &std::io::Error, password: &str) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionRefused => "connection refused".into(),
        ErrorKind::ConnectionReset => "connection reset".into(),
        ErrorKind::ConnectionAborted => "connection aborted".into(),
        ErrorKind::TimedOut => "connection timed out".into(),
        ErrorKind::BrokenPipe | ErrorKind::UnexpectedEof => "connection closed".into(),
        _ => one_line(&e.to_string(), password),
    }
}

fn map_err(config: &GraphConfig, e: neo4rs::Error) -> GraphError {
    let r = |s: &str| one_line(s, &config.password);
    match e {
        neo4rs::Error::Neo4j(n) => {
            if n.code().contains("Security.Unauthorized")
                || n.code().contains("Security.AuthenticationRateLimit")
            {
                GraphError::Auth {
                    uri: config.uri.clone(),
                    user: config.user.clone(),
                }
            } else {
                GraphError::Database {
                    code: r(n.code()),
                    message: r(n.message()),
                }
            }
        }
        neo4rs::Error::AuthenticationError(_) => GraphError::Auth {
            uri: config.uri.clone(),
            user: config.user.clone(),
        },
        neo4rs::Error::IOError { detail } => GraphError::Unavailable {
            uri: config.uri.clone(),
            reason: io_reason(&detail, &config.password),
        },
        neo4rs::Error::ConnectionError
        | neo4rs::Error::ConnectionTimedOut
        | neo4rs::Error::ServerUnavailableError(_)
        | neo4rs::Error::RequestIgnoredError
        | neo4rs::Error::IncompleteBoltExchange => GraphError::Unavailable {
            uri: config.uri.clone(),
            reason: r(&e.to_string()),
        },
        neo4rs::Error::UrlParseError(_)
        | neo4rs::Error::UnsupportedScheme(_)
        | neo4rs::Error::InvalidDnsName(_)
        | neo4rs::Error::InvalidConfig
        | neo4rs::Error::UnsupportedVersion(..)
        | neo4rs::Error::ProtocolMismatch(_) => GraphError::Config(r(&e.to_string())),
        other => GraphError::Database {
            code: "client".into(),
            message: r(&other.to_string()),
        },
    }
}

impl GraphSink for Neo4jSink {
    async fn ensure_schema(&self) -> Result<(), GraphError> {
        // A marker node records that this very schema was created: a cold start then costs
        // one query instead of one transaction per constraint and index (about 100 round
        // trips, seconds on a distant server).
        let version = schema_version();
        let marker = Statement::new("MATCH (m:OrkSchema {version: $version}) RETURN count(m) AS n")
            .param("version", version.as_str());
        let found = self.query_rows(&marker, &["n"]).await?;
        if found
            .first()
            .and_then(|r| r[0].as_ref())
            .and_then(serde_json::Value::as_i64)
            .is_some_and(|n| n > 0)
        {
            return Ok(());
        }
        // Neo4j runs schema changes apart from data writes and from each other; each is
        // idempotent (`IF NOT EXISTS`). Workers starting together after a schema change race
        // to create the same rule: the loser is told an equivalent one exists, which is what it
        // wanted.
        for st in schema_statements() {
            match self.transaction(std::slice::from_ref(&st)).await {
                Err(GraphError::Database { code, .. })
                    if code == "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists" => {}
                other => other.map(|_| ())?,
            }
        }
        let done = Statement::new("MERGE (m:OrkSchema {version: $version})")
            .param("version", version.as_str());
        self.transaction(std::slice::from_ref(&done)).await?;
        Ok(())
    }

    async fn write_design(&self, plan: &GraphPlan) -> Result<WriteStats, GraphError> {
        let lock = self.design_lock(&plan.design_id);
        let _turn = lock.lock().await;
        let (written, stats) = self.auto_commit(&plan.write_statement()).await?;
        if written == 0 {
            return Err(GraphError::Conflict {
                design_id: plan.design_id.clone(),
            });
        }
        Ok(stats)
    }

    async fn delete_design(
        &self,
        design_id: &str,
        guard: Option<&str>,
    ) -> Result<bool, GraphError> {
        let lock = self.design_lock(design_id);
        let _turn = lock.lock().await;
        let existed = self.existing_fingerprint(design_id).await?.is_some();
        let guard = guard.map(|expected| Guard {
            design_id,
            expected,
            create_if_missing: false,
        });
        let (deleted, _) = self
            .auto_commit(&conditional(guard.as_ref(), &delete_statements(design_id)))
            .await?;
        if deleted == 0 {
            return Err(GraphError::Conflict {
                design_id: design_id.to_owned(),
            });
        }
        Ok(existed)
    }

    async fn stored(&self, design_ids: &[String]) -> Result<Vec<StoredDesign>, GraphError> {
        if design_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .query_rows(&stored_statement(design_ids), &STORED_COLUMNS)
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let texts: Vec<Option<String>> = r
                    .iter()
                    .map(|v| v.as_ref().and_then(|v| v.as_str()).map(str::to_owned))
                    .collect();
                StoredDesign::from_row(&texts)
            })
            .collect())
    }

    async fn existing_fingerprint(
        &self,
        design_id: &str,
    ) -> Result<Option<Fingerprint>, GraphError> {
        let rows = self
            .query_rows(
                &fingerprint_statement(design_id),
                &["sha256", "processor_version"],
            )
            .await?;
        let text = |v: &Option<serde_json::Value>| {
            v.as_ref()
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        Ok(rows.first().map(|r| Fingerprint {
            sha256: r.first().map(text).unwrap_or_default(),
            processor_version: r.get(1).map(text).unwrap_or_default(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::Path;

    #[test]
    fn debug_redacts_the_password() {
        let c = GraphConfig::new("neo4j+s://x.databases.neo4j.io", "neo4j", "s3cr3t-pass");
        let d = format!("{c:?}");
        assert!(!d.contains("s3cr3t-pass"), "{d}");
        assert!(d.contains("<redacted>"));
    }

    #[test]
    fn config_from_environment() {
        let env = |pairs: &[(&str, &str)]| {
            let m: HashMap<String, String> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            GraphConfig::from_lookup(move |k| m.get(k).cloned())
        };
        assert!(env(&[]).unwrap().is_none());
        assert!(matches!(
            env(&[("NEO4J_URI", "bolt://h")]),
            Err(GraphError::Config(_))
        ));
        let c = env(&[("NEO4J_URI", "bolt://h:7687"), ("NEO4J_PASSWORD", "pw")])
            .unwrap()
            .unwrap();
        assert_eq!((c.user.as_str(), c.database.as_str()), ("neo4j", "neo4j"));
        let c = env(&[
            ("NEO4J_URI", "neo4j+s://h"),
            ("NEO4J_USER", "root"),
            ("NEO4J_PASSWORD", "pw"),
            ("NEO4J_DATABASE", "designs"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            (c.uri.as_str(), c.user.as_str(), c.database.as_str()),
            ("neo4j+s://h", "root", "designs")
        );
        assert_eq!(c.ca_certificate, None);
        let c = env(&[
            ("NEO4J_URI", "bolt+s://localhost:7687"),
            ("NEO4J_PASSWORD", "pw"),
            ("NEO4J_CA_CERT", " /tmp/ca.pem "),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.ca_certificate.as_deref(), Some(Path::new("/tmp/ca.pem")));
    }

    #[test]
    fn errors_never_carry_the_password() {
        let c = GraphConfig::new("bolt://h", "u", "hunter22");
        let e = map_err(&c, neo4rs::Error::UnexpectedMessage("bad hunter22".into()));
        assert!(!e.to_string().contains("hunter22"), "{e}");
        assert_eq!(redact("a hunter22 b", "hunter22"), "a <redacted> b");
    }

    #[test]
    fn errors_are_one_line() {
        let c = GraphConfig::new("bolt://127.0.0.1:1", "u", "hunter22");
        let refused = map_err(
            &c,
            neo4rs::Error::IOError {
                detail: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
            },
        );
        assert_eq!(
            refused.to_string(),
            "graph database unavailable at bolt://127.0.0.1:1: connection refused"
        );
        let long = map_err(
            &c,
            neo4rs::Error::UnexpectedMessage(format!("line one\n  ^ here\n{}", "x".repeat(500))),
        );
        let text = long.to_string();
        assert!(
            !text.contains('\n') && text.contains("line one ^ here"),
            "{text}"
        );
        assert!(text.chars().count() < 300, "{text}");
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        for a in 1..20 {
            let d = backoff(a);
            assert!(d >= Duration::from_millis(10 << a.min(6)));
            assert!(d <= Duration::from_millis(2 * (10 << 6) + 1));
        }
    }

    #[test]
    fn bolt_conversion_keeps_structure() {
        let v = Value::Map(
            [
                ("a".to_string(), Value::Int(1)),
                ("b".to_string(), Value::List(vec![Value::Float(1.5)])),
            ]
            .into(),
        );
        match to_bolt(&v) {
            BoltType::Map(m) => assert_eq!(m.value.len(), 2),
            other => panic!("{other:?}"),
        }
    }
}
