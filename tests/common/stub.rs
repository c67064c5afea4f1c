//! The Cloudinary contract stub (`infra/local/cloudinary_stub.py`) as a test fixture: started
//! on a free 127.0.0.1 port, killed on drop.

#![allow(dead_code)]

use ork_processor::publish::{CloudinaryConfig, CloudinaryStore};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const CLOUD: &str = "stub-cloud";
pub const API_KEY: &str = "stub-key";
pub const SECRET: &str = "stub-secret-9f8e7d";

/// A running stub, killed on drop.
pub struct Stub {
    child: Child,
    pub base: String,
    pub http: reqwest::Client,
}

impl Stub {
    /// Starts the stub, or `None` (after saying so) when python3 is not installed.
    pub fn start() -> Option<Stub> {
        if Command::new("python3")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            eprintln!("SKIPPED Cloudinary stub tests: python3 is not installed");
            return None;
        }
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/infra/local/cloudinary_stub.py"
        );
        let mut child = Command::new("python3")
            .args([
                script,
                "--port",
                "0",
                "--cloud",
                CLOUD,
                "--api-key",
                API_KEY,
            ])
            .args(["--api-secret", SECRET])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the Cloudinary stub");
        let stdout = child.stdout.take().expect("stub stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("the Cloudinary stub did not start within 20 s");
            }
        };
        let Some(base) = line
            .trim()
            .strip_prefix("cloudinary stub listening on ")
            .map(str::to_owned)
        else {
            let _ = child.kill();
            panic!("unexpected stub output: {line:?}");
        };
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("test HTTP client");
        Some(Stub { child, base, http })
    }

    /// A config for this stub with fast retries.
    pub fn config(&self, secret: &str) -> CloudinaryConfig {
        let vars = [
            (
                "CLOUDINARY_URL",
                format!("cloudinary://{API_KEY}:{secret}@{CLOUD}"),
            ),
            ("CLOUDINARY_API_BASE", self.base.clone()),
        ];
        let mut config =
            CloudinaryConfig::from_vars(|k| vars.iter().find(|v| v.0 == k).map(|v| v.1.clone()))
                .expect("valid config")
                .expect("CLOUDINARY_URL is set");
        config.max_attempts = 3;
        config.base_delay = Duration::from_millis(5);
        config.max_delay = Duration::from_secs(2);
        config.timeout = Duration::from_secs(10);
        config
    }

    pub fn store(&self) -> CloudinaryStore {
        CloudinaryStore::new(self.config(SECRET)).expect("store")
    }

    pub async fn control(&self, command: Value) {
        let r = self
            .http
            .post(format!("{}/__control", self.base))
            .body(command.to_string())
            .send()
            .await
            .expect("control request");
        assert!(r.status().is_success(), "control: {}", r.status());
    }

    pub async fn state(&self) -> Value {
        let r = self
            .http
            .get(format!("{}/__uploads", self.base))
            .send()
            .await
            .expect("state request");
        serde_json::from_slice(&r.bytes().await.expect("state body")).expect("state JSON")
    }

    pub async fn get(&self, url: &str) -> (u16, String, Vec<u8>) {
        let r = self.http.get(url).send().await.expect("GET");
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (
            status,
            content_type,
            r.bytes().await.expect("body").to_vec(),
        )
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The public id in a delivery URL: `…/image/upload/v<version>/<public id>.<format>`.
pub fn public_id(url: &str) -> String {
    let after = url.split("/upload/").nth(1).unwrap_or(url);
    let after = after
        .split_once('/')
        .filter(|(v, _)| v.starts_with('v'))
        .map_or(after, |(_, rest)| rest);
    after
        .rsplit_once('.')
        .map_or(after, |(id, _)| id)
        .to_owned()
}
