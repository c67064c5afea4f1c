//! One line per failure, for people (issue 19). Every failure `ork` prints names what failed,
//! which resource, and the service's code, on one line of stderr under 300 characters that
//! starts with `ork: `, with the exit status the README gives; `--verbose` shows more. The
//! Lambda's failure logs carry the same kind of line in their `error` field, the detail at
//! debug level.
//!
//! A table of commands runs the real `ork` binary, each in an environment of its own (nothing
//! inherited but `PATH`), against: a missing bucket (bucket run and manifest); S3 and the
//! graph refusing the credentials; S3, Lambda and the graph refusing connections; a missing
//! queue; a missing function; a missing secret; missing Cloudinary and graph settings; no AWS
//! credentials. Then the Lambda: `bootstrap`'s cold start with missing settings, a missing
//! secret and Secrets Manager unreachable, and the handler's log of a record whose read or
//! write failed.
//!
//! The rows that need the local S3 server (moto, which also serves the SQS, Lambda and Secrets
//! Manager APIs; `infra/local/s3.sh`) or the local graph (`infra/local/neo4j.sh`) skip with a
//! message when those are not configured, except under `CI=true`, where that fails. The others
//! use a port that refuses connections, or an S3 stand-in in this file that refuses every
//! request's credentials as S3 does.

// The Lambda's futures (S3 + Neo4j + images) nest deeper than the default limit, as in
// bootstrap.
#![recursion_limit = "256"]

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ork_processor::graph::{GraphConfig, MemorySink};
use ork_processor::lambda::handler::Handler;
use ork_processor::lambda::lazy::LazyNeo4j;
use ork_processor::lambda::s3::S3Source;
use ork_processor::pipeline::{ObjectSource, PipelineConfig};
use ork_processor::publish::{ImageStore, MemoryStore};
use serde_json::Value;

/// The most characters a failure line may have.
const MAX_LINE: usize = 300;

/// Whether the local services' absence is a failure (CI) or a skip.
fn must_run() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// A service a row needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// moto: S3, SQS, Lambda and Secrets Manager on `AWS_ENDPOINT_URL_S3`.
    Moto,
    /// The local graph (`NEO4J_*`).
    Graph,
}

/// The local services of this run, from the test command's environment.
struct Services {
    moto: Option<String>,
    graph: Option<GraphConfig>,
}

impl Services {
    fn from_env() -> Self {
        Self {
            moto: std::env::var("AWS_ENDPOINT_URL_S3")
                .ok()
                .filter(|e| !e.is_empty()),
            graph: GraphConfig::from_env().expect("NEO4J_* settings"),
        }
    }

    /// Why `needs` cannot be met, if they cannot.
    fn missing(&self, needs: &[Need]) -> Option<&'static str> {
        needs.iter().find_map(|n| match n {
            Need::Moto if self.moto.is_none() => {
                Some("AWS_ENDPOINT_URL_S3 is not set (infra/local/s3.sh starts a local S3)")
            }
            Need::Graph if self.graph.is_none() => {
                Some("NEO4J_URI is not set (infra/local/neo4j.sh starts a local graph database)")
            }
            _ => None,
        })
    }

    /// Says that `what` skips, or fails under CI.
    fn skip(&self, what: &str, why: &str) {
        assert!(
            !must_run(),
            "{what}: {why}, and CI=true does not allow skipping"
        );
        eprintln!("SKIPPED {what}: {why}");
    }
}

/// A port on 127.0.0.1 that refuses connections: bound, then let go.
fn refused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    listener.local_addr().expect("its address").port()
}

/// An S3 stand-in that answers every request as S3 answers a request signed with an unknown
/// access key: 403 with the `InvalidAccessKeyId` error document. Returns its URL; it serves
/// until the test binary ends.
fn refusing_s3() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || refuse_credentials(stream));
        }
    });
    url
}

fn refuse_credentials(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
    }
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidAccessKeyId</Code>\
                <Message>The AWS Access Key Id you provided does not exist in our records.</Message>\
                <AWSAccessKeyId>AKIDERRORSTEST</AWSAccessKeyId><RequestId>4442587FB7D0A2F9</RequestId>\
                <HostId>errors-test-host-id</HostId></Error>";
    let answer = format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
         x-amz-request-id: 4442587FB7D0A2F9\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes());
}

/// A distinctive suffix for this run's names and test secrets.
fn nonce() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}{:x}", std::process::id(), nanos % 0xffff_ffff)
}

/// A fresh directory for this test's files (reports, journals, manifests, an empty `HOME`).
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ork-errors-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("home")).expect("scratch directory");
    dir
}

/// One command of the table, and what it must print.
struct Row {
    name: &'static str,
    args: Vec<String>,
    /// Set on top of the base environment.
    env: Vec<(&'static str, String)>,
    /// Taken out of the base environment.
    unset: Vec<&'static str>,
    needs: Vec<Need>,
    exit: i32,
    /// What the one line must contain: the resource, the code, the plain words.
    contains: Vec<String>,
}

/// What a command did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The variables every row starts from: a region, test credentials, an empty `HOME` (no
/// profile), no instance metadata, every AWS endpoint on moto (or on a port that refuses, so
/// that nothing ever goes to AWS).
fn base_env(
    dir: &Path,
    services: &Services,
    refused: u16,
    aws_secret: &str,
) -> Vec<(String, String)> {
    let everything = services
        .moto
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{refused}"));
    [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", dir.join("home").display().to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ACCESS_KEY_ID", "AKIDERRORSTEST".to_string()),
        ("AWS_SECRET_ACCESS_KEY", aws_secret.to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("AWS_ENDPOINT_URL", everything),
        ("ORK_S3_FORCE_PATH_STYLE", "true".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Runs `program` with `args` in `dir`, with exactly `base` plus `env`, minus `unset`.
fn run(
    program: &str,
    dir: &Path,
    base: &[(String, String)],
    args: &[String],
    env: &[(&str, String)],
    unset: &[&str],
) -> Run {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir).env_clear();
    for (k, v) in base.iter().filter(|(k, _)| !unset.contains(&k.as_str())) {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the binary");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The non-empty lines of `text`, trimmed.
fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// What is wrong with a failure line (empty when nothing is).
fn check_line(line: &str, contains: &[String], secrets: &[&str]) -> Vec<String> {
    let mut wrong = Vec::new();
    if line.chars().count() >= MAX_LINE {
        wrong.push(format!("{} characters", line.chars().count()));
    }
    for part in contains {
        if !line.contains(part.as_str()) {
            wrong.push(format!("no {part:?}"));
        }
    }
    for secret in secrets {
        if line.contains(secret) {
            wrong.push("a secret".to_string());
        }
    }
    wrong
}

/// An S3 client for the local S3 server, and a new bucket holding one design.
async fn bucket_with_one_design(bucket: &str) -> aws_sdk_s3::Client {
    let (_source, s3) = common::local_bucket(bucket).await;
    s3.put_object()
        .bucket(bucket)
        .key("uploads/one.ork")
        .body(
            std::fs::read(common::testdata("minimal.ork"))
                .unwrap()
                .into(),
        )
        .send()
        .await
        .expect("put the design");
    s3
}

/// Every failure of `ork` is one line with the right exit status, for each kind of failure a
/// person meets; with `--verbose` there is more.
#[test]
fn every_failure_of_ork_is_one_line() {
    let test = "every_failure_of_ork_is_one_line";
    let services = Services::from_env();
    let dir = scratch("ork");
    let n = nonce();
    let refused = refused_port();
    let closed = format!("http://127.0.0.1:{refused}");
    let stub = refusing_s3();
    let aws_secret = format!("test-secret-aws-{n}");
    let wrong_password = format!("test-secret-neo4j-{n}");
    let base = base_env(&dir, &services, refused, &aws_secret);
    let ork = env!("CARGO_BIN_EXE_ork");
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    let out = |name: &str| dir.join(name).display().to_string();

    // The local bucket with one design (for the rows that list it), and names that exist nowhere.
    let existing = format!("ork-errors-{n}");
    let missing_bucket = format!("ork-errors-missing-{n}");
    let missing_queue = format!("ork-errors-missing-{n}");
    let missing_function = format!("ork-errors-missing-{n}");
    let missing_secret =
        format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:ork-missing-{n}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if services.moto.is_some() {
        ork_processor::lambda::install_crypto_provider();
        runtime.block_on(bucket_with_one_design(&existing));
    }
    let moto = services.moto.clone().unwrap_or_default();
    let graph = |password: Option<&str>| -> Vec<(&'static str, String)> {
        let Some(g) = &services.graph else {
            return Vec::new();
        };
        vec![
            ("NEO4J_URI", g.uri.clone()),
            ("NEO4J_USER", g.user.clone()),
            (
                "NEO4J_PASSWORD",
                password.map_or_else(|| g.password.clone(), str::to_string),
            ),
            ("NEO4J_DATABASE", g.database.clone()),
        ]
    };
    let graph_uri = services
        .graph
        .as_ref()
        .map(|g| g.uri.clone())
        .unwrap_or_default();
    // Never used: every row fails before an image is sent.
    let cloudinary = vec![
        (
            "CLOUDINARY_URL",
            format!("cloudinary://errors-key:test-secret-cloudinary-{n}@errors-cloud"),
        ),
        ("CLOUDINARY_API_BASE", closed.clone()),
    ];
    let with = |a: Vec<(&'static str, String)>, b: &[(&'static str, String)]| {
        a.into_iter().chain(b.iter().cloned()).collect::<Vec<_>>()
    };

    let rows = vec![
        Row {
            name: "a missing bucket (a bucket run)",
            args: s(&["reprocess", "--bucket", &missing_bucket]),
            env: with(graph(None), &cloudinary),
            unset: vec![],
            needs: vec![Need::Moto, Need::Graph],
            exit: 1,
            contains: s(&[
                &format!("bucket \"{missing_bucket}\" does not exist"),
                "(S3 NoSuchBucket)",
            ]),
        },
        Row {
            name: "a missing bucket (a manifest)",
            args: s(&[
                "reprocess",
                "--bucket",
                &missing_bucket,
                "--manifest-out",
                &out("manifest.csv"),
                "--force",
            ]),
            env: vec![],
            unset: vec![],
            needs: vec![Need::Moto],
            exit: 1,
            contains: s(&[&missing_bucket, "does not exist", "NoSuchBucket"]),
        },
        Row {
            name: "S3 refuses the credentials",
            args: s(&[
                "reprocess",
                "--bucket",
                "designs",
                "--manifest-out",
                &out("manifest.csv"),
                "--force",
            ]),
            env: vec![("AWS_ENDPOINT_URL_S3", stub.clone())],
            unset: vec![],
            needs: vec![],
            exit: 1,
            contains: s(&[
                "s3://designs/",
                "the credentials were refused",
                "S3 InvalidAccessKeyId",
            ]),
        },
        Row {
            name: "the graph refuses the credentials (ork process)",
            args: s(&[
                "process",
                &common::testdata("minimal.ork").display().to_string(),
                "-o",
                &out("graph"),
            ]),
            env: graph(Some(&wrong_password)),
            unset: vec![],
            needs: vec![Need::Graph],
            exit: 1,
            contains: s(&[&graph_uri, "refused the credentials", "\"neo4j\""]),
        },
        Row {
            name: "the graph refuses the credentials (ork reprocess)",
            args: s(&["reprocess", "--bucket", &existing]),
            env: with(graph(Some(&wrong_password)), &cloudinary),
            unset: vec![],
            needs: vec![Need::Graph],
            exit: 1,
            contains: s(&[&graph_uri, "refused the credentials"]),
        },
        Row {
            name: "S3 refuses connections",
            args: s(&[
                "reprocess",
                "--bucket",
                "designs",
                "--manifest-out",
                &out("manifest.csv"),
                "--force",
            ]),
            env: vec![("AWS_ENDPOINT_URL_S3", closed.clone())],
            unset: vec![],
            needs: vec![],
            exit: 1,
            contains: s(&[
                "s3://designs/",
                &format!("cannot reach S3 at {closed}"),
                "connection refused",
            ]),
        },
        Row {
            name: "the graph refuses connections",
            args: s(&[
                "process",
                &common::testdata("minimal.ork").display().to_string(),
                "-o",
                &out("graph"),
            ]),
            env: vec![
                ("NEO4J_URI", format!("bolt://127.0.0.1:{refused}")),
                ("NEO4J_PASSWORD", wrong_password.clone()),
            ],
            unset: vec![],
            needs: vec![],
            exit: 1,
            contains: s(&[
                &format!("bolt://127.0.0.1:{refused}"),
                "unavailable",
                "connection refused",
            ]),
        },
        Row {
            name: "Lambda refuses connections (a failed object)",
            args: s(&[
                "reprocess",
                "--bucket",
                &existing,
                "--via-lambda",
                "ork-processor",
                "--report",
                &out("lambda-refused.json"),
                "--journal",
                &out("lambda-refused.jsonl"),
            ]),
            env: vec![("AWS_ENDPOINT_URL_LAMBDA", closed.clone())],
            unset: vec![],
            needs: vec![Need::Moto],
            exit: 1,
            contains: s(&[
                &format!("s3://{existing}/uploads/one.ork"),
                "function \"ork-processor\"",
                &format!("cannot reach Lambda at {closed}"),
                "connection refused",
            ]),
        },
        Row {
            name: "a missing queue",
            args: s(&[
                "reprocess",
                "--from-queue",
                &format!("{moto}/123456789012/{missing_queue}"),
                "--via-lambda",
                "ork-processor",
                "--report",
                &out("queue.json"),
            ]),
            env: vec![],
            unset: vec![],
            needs: vec![Need::Moto],
            exit: 1,
            contains: s(&[
                &format!("queue {moto}/123456789012/{missing_queue} does not exist"),
                "(SQS AWS.SimpleQueueService.NonExistentQueue)",
            ]),
        },
        Row {
            name: "a missing function (a failed object)",
            args: s(&[
                "reprocess",
                "--bucket",
                &existing,
                "--via-lambda",
                &missing_function,
                "--report",
                &out("function.json"),
                "--journal",
                &out("function.jsonl"),
            ]),
            env: vec![],
            unset: vec![],
            needs: vec![Need::Moto],
            exit: 1,
            contains: s(&[
                &format!("s3://{existing}/uploads/one.ork"),
                &format!("function \"{missing_function}\" does not exist"),
                "(Lambda ResourceNotFoundException)",
            ]),
        },
        Row {
            name: "a missing secret",
            args: s(&["reprocess", "--bucket", &existing]),
            env: with(
                vec![("ORK_NEO4J_SECRET_ARN", missing_secret.clone())],
                &cloudinary,
            ),
            unset: vec![],
            needs: vec![Need::Moto],
            exit: 1,
            contains: s(&[
                &missing_secret,
                "does not exist",
                "(Secrets Manager ResourceNotFoundException)",
            ]),
        },
        Row {
            name: "missing Cloudinary settings",
            args: s(&["reprocess", "--bucket", "designs"]),
            env: vec![
                ("NEO4J_URI", format!("bolt://127.0.0.1:{refused}")),
                ("NEO4J_PASSWORD", wrong_password.clone()),
            ],
            unset: vec![],
            needs: vec![],
            exit: 1,
            contains: s(&["no image store configured", "CLOUDINARY_URL"]),
        },
        Row {
            name: "missing graph settings",
            args: s(&["reprocess", "--bucket", "designs"]),
            env: cloudinary.clone(),
            unset: vec![],
            needs: vec![],
            exit: 1,
            contains: s(&["no graph database configured", "NEO4J_URI"]),
        },
        Row {
            name: "no AWS credentials",
            args: s(&[
                "reprocess",
                "--bucket",
                "designs",
                "--manifest-out",
                &out("manifest.csv"),
                "--force",
            ]),
            env: vec![("AWS_ENDPOINT_URL_S3", closed.clone())],
            unset: vec!["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
            needs: vec![],
            exit: 1,
            contains: s(&["s3://designs/", "no AWS credentials found"]),
        },
    ];

    let secrets = [aws_secret.as_str(), wrong_password.as_str()];
    let mut wrong = Vec::new();
    let mut shown = Vec::new();
    for row in &rows {
        if let Some(why) = services.missing(&row.needs) {
            services.skip(&format!("{test}: {}", row.name), why);
            continue;
        }
        let r = run(ork, &dir, &base, &row.args, &row.env, &row.unset);
        let got = lines(&r.stderr);
        let mut problems = Vec::new();
        if r.code != row.exit {
            problems.push(format!("exit {} instead of {}", r.code, row.exit));
        }
        match got.as_slice() {
            [line] if line.starts_with("ork: ") => {
                problems.extend(check_line(line, &row.contains, &secrets));
                shown.push(format!("{:<50} exit {}  {line}", row.name, r.code));
            }
            _ => problems.push(format!(
                "{} lines, not one line starting with \"ork: \"",
                got.len()
            )),
        }
        if !problems.is_empty() {
            wrong.push(format!(
                "{}: {}\n  stderr: {}\n  stdout: {}",
                row.name,
                problems.join(", "),
                r.stderr.trim_end(),
                r.stdout.trim_end()
            ));
        }
    }

    // The report of a run whose object failed holds the same one line.
    if services.moto.is_some() {
        let report: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("function.json")).expect("the run's report"),
        )
        .expect("a JSON report");
        let error = report["failures"][0]["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("ResourceNotFoundException")
                && !error.contains('\n')
                && error.chars().count() < MAX_LINE,
            "{report}"
        );
    }

    // With --verbose, the same line, then the detail: the chain and the SDK's whole error.
    // (The missing bucket on moto, or the S3 stand-in, which serves without moto.)
    let row = if services.moto.is_some() {
        &rows[1]
    } else {
        &rows[2]
    };
    let flag = if services.moto.is_some() {
        "--verbose"
    } else {
        "-v"
    };
    let args: Vec<String> = std::iter::once(flag.to_string())
        .chain(row.args.iter().cloned())
        .collect();
    let r = run(ork, &dir, &base, &args, &row.env, &[]);
    let got = lines(&r.stderr);
    if r.code != 1
        || got.len() < 3
        || got.iter().filter(|l| l.starts_with("ork: ")).count() != 1
        || !r.stderr.contains("AWS call failed")
        || !r.stderr.contains("</Code>")
    {
        wrong.push(format!(
            "--verbose: exit {}, {} lines, without the detail:\n{}",
            r.code,
            got.len(),
            r.stderr
        ));
    }

    eprintln!("{test}: what each row printed:\n{}", shown.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// The Lambda's cold start that cannot go on logs one JSON line whose `error` is one line
/// naming the setting or the secret, and exits, with nothing else on stderr.
#[test]
fn a_failed_cold_start_logs_one_line() {
    let test = "a_failed_cold_start_logs_one_line";
    let services = Services::from_env();
    let dir = scratch("cold-start");
    let n = nonce();
    let refused = refused_port();
    let aws_secret = format!("test-secret-aws-{n}");
    let password = format!("test-secret-neo4j-{n}");
    let base = base_env(&dir, &services, refused, &aws_secret);
    let bootstrap = env!("CARGO_BIN_EXE_bootstrap");
    let secret_arn =
        format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:ork-missing-{n}");
    let graph = vec![
        ("NEO4J_URI", format!("bolt://127.0.0.1:{refused}")),
        ("NEO4J_PASSWORD", password.clone()),
    ];
    let row = |name, env, needs, contains: &[&str]| Row {
        name,
        args: vec![],
        env,
        unset: vec![],
        needs,
        exit: 1,
        contains: contains.iter().map(|c| c.to_string()).collect(),
    };
    let rows = vec![
        row(
            "missing Cloudinary settings",
            graph.clone(),
            vec![],
            &["no image store configured", "CLOUDINARY_URL"],
        ),
        row(
            "missing graph settings",
            vec![(
                "CLOUDINARY_URL",
                format!("cloudinary://k:test-secret-cloudinary-{n}@c"),
            )],
            vec![],
            &["no graph database configured", "NEO4J_URI"],
        ),
        row(
            "a missing secret",
            vec![("ORK_NEO4J_SECRET_ARN", secret_arn.clone())],
            vec![Need::Moto],
            &[
                &secret_arn,
                "does not exist (Secrets Manager ResourceNotFoundException)",
            ],
        ),
        row(
            "Secrets Manager refuses connections",
            vec![
                ("ORK_NEO4J_SECRET_ARN", secret_arn.clone()),
                (
                    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                    format!("http://127.0.0.1:{refused}"),
                ),
            ],
            vec![],
            &[
                &secret_arn,
                "cannot reach Secrets Manager",
                "connection refused",
            ],
        ),
    ];
    let mut wrong = Vec::new();
    for Row {
        name,
        args,
        env,
        unset,
        needs,
        exit,
        contains,
    } in &rows
    {
        if let Some(why) = services.missing(needs) {
            services.skip(&format!("{test}: {name}"), why);
            continue;
        }
        let r = run(bootstrap, &dir, &base, args, env, unset);
        let events: Vec<Value> = r
            .stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let errors: Vec<&Value> = events.iter().filter(|e| e["level"] == "ERROR").collect();
        let mut problems = Vec::new();
        if r.code != *exit {
            problems.push(format!("exit {} instead of {exit}", r.code));
        }
        if !r.stderr.trim().is_empty() {
            problems.push("something on stderr".into());
        }
        match errors.as_slice() {
            [e] if e["fields"]["message"] == "cold start failed" => {
                let line = e["fields"]["error"].as_str().unwrap_or_default();
                if line.contains('\n') {
                    problems.push("a line break in the error".into());
                }
                problems.extend(check_line(line, contains, &[&aws_secret, &password]));
                eprintln!("{test}: {name}: {line}");
            }
            _ => problems.push(format!("{} ERROR events", errors.len())),
        }
        if !problems.is_empty() {
            wrong.push(format!(
                "{name}: {}\n  stdout: {}\n  stderr: {}",
                problems.join(", "),
                r.stdout.trim_end(),
                r.stderr.trim_end()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// An S3 client with test credentials, sent to `endpoint`.
fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "AKIDERRORSTEST",
            "test-secret-aws-errors",
            None,
            None,
            "errors-test",
        ))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// The `record failed` event of `request_id`: its `error` must be one line with `contains`,
/// and the detail must be at debug level.
fn check_record_log(request_id: &str, contains: &[&str]) -> Vec<String> {
    let log = common::global_log("debug");
    let events: Vec<Value> = log
        .events()
        .into_iter()
        .filter(|e| e["fields"]["request_id"] == request_id)
        .collect();
    let mut problems = Vec::new();
    let failed: Vec<&Value> = events
        .iter()
        .filter(|e| e["fields"]["message"] == "record failed")
        .collect();
    match failed.as_slice() {
        [e] => {
            assert_eq!(e["level"], "ERROR", "{e}");
            let line = e["fields"]["error"].as_str().unwrap_or_default();
            if line.contains('\n') {
                problems.push(format!("{request_id}: a line break in {line:?}"));
            }
            let contains: Vec<String> = contains.iter().map(|c| c.to_string()).collect();
            for p in check_line(line, &contains, &["test-secret-"]) {
                problems.push(format!("{request_id}: {p} in {line:?}"));
            }
            eprintln!("the handler's log, {request_id}: {line}");
        }
        _ => problems.push(format!(
            "{request_id}: {} \"record failed\" events",
            failed.len()
        )),
    }
    if !events
        .iter()
        .any(|e| e["level"] == "DEBUG" && e["fields"]["message"] == "record failed: detail")
    {
        problems.push(format!("{request_id}: no detail at debug level"));
    }
    problems
}

fn handler<S: ObjectSource, G: ork_processor::graph::GraphSink, I: ImageStore>(
    source: S,
    graph: G,
    images: I,
) -> Handler<S, G, I> {
    Handler {
        source,
        graph,
        images,
        config: PipelineConfig::default(),
        function_name: "ork-errors".into(),
    }
}

/// The handler logs each failed record at `ERROR` with its `error` on one line: the key, what
/// failed and the service's code; the whole error at `DEBUG`.
#[test]
fn the_handler_logs_one_line_per_failed_record() {
    let test = "the_handler_logs_one_line_per_failed_record";
    common::global_log("debug");
    let services = Services::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    ork_processor::lambda::install_crypto_provider();
    let mut problems = Vec::new();
    let event = |bucket: &str| common::s3_event("ObjectCreated:Put", bucket, "uploads/one.ork");

    // S3 refuses the credentials: a failed record, not an object taken for deleted.
    let stub = refusing_s3();
    let refusing = handler(
        S3Source::new(s3_client(&stub)),
        MemorySink::new(),
        MemoryStore::new("designs"),
    );
    let r = runtime.block_on(refusing.handle(&event("designs"), "errors-s3-credentials"));
    let err = r.expect_err("S3 refused the credentials");
    // The runtime logs the handler's error with `{:?}`: the same one line.
    assert!(!err.to_string().contains('\n'), "{err}");
    assert_eq!(format!("{err:?}"), err.to_string());
    assert!(err.to_string().chars().count() < MAX_LINE, "{err}");
    problems.extend(check_record_log(
        "errors-s3-credentials",
        &[
            "designs/uploads/one.ork",
            "the credentials were refused",
            "S3 InvalidAccessKeyId",
        ],
    ));

    // S3 refuses connections: named with its endpoint.
    let closed = format!("http://127.0.0.1:{}", refused_port());
    let unreachable = handler(
        S3Source::new(s3_client(&closed)).with_endpoint(Some(closed.clone())),
        MemorySink::new(),
        MemoryStore::new("designs"),
    );
    let r = runtime.block_on(unreachable.handle(&event("designs"), "errors-s3-refused"));
    assert!(r.is_err(), "{r:?}");
    problems.extend(check_record_log(
        "errors-s3-refused",
        &[
            "designs/uploads/one.ork",
            &format!("cannot reach S3 at {closed}"),
            "connection refused",
        ],
    ));

    // The graph refuses the password.
    match services.missing(&[Need::Moto, Need::Graph]) {
        Some(why) => services.skip(&format!("{test}: the graph refuses the password"), why),
        None => {
            let bucket = format!("ork-errors-handler-{}", nonce());
            runtime.block_on(bucket_with_one_design(&bucket));
            let mut wrong = services.graph.clone().expect("graph settings");
            wrong.password = format!("test-secret-neo4j-{}", nonce());
            let uri = wrong.uri.clone();
            let h = handler(
                runtime.block_on(S3Source::from_env(true)),
                LazyNeo4j::new(wrong),
                MemoryStore::new("designs"),
            );
            let r = runtime.block_on(h.handle(&event(&bucket), "errors-graph-password"));
            assert!(r.is_err(), "{r:?}");
            problems.extend(check_record_log(
                "errors-graph-password",
                &[&uri, "refused the credentials"],
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
