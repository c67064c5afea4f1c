//! Image publishing against `infra/local/cloudinary_stub.py`, a local stand-in for Cloudinary's
//! Upload API that checks signatures and required fields like the real one (each test starts
//! its own stub on a free 127.0.0.1 port; the tests skip only when `python3` is missing), plus
//! a live smoke test that runs only when `CLOUDINARY_URL` is set.

mod common;

use common::stub::{Stub, CLOUD, SECRET};
use ork_processor::publish::{
    CloudinaryConfig, CloudinaryStore, ImageKind, ImageStore, ImageUpload, PublishError,
};
use serde_json::json;
use std::time::{Duration, Instant};

/// A `width`×`height` RGB PNG whose pixels depend on `seed`.
fn png(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let pixels: Vec<u8> = (0..width * height * 3)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    let mut writer = encoder.write_header().expect("PNG header");
    writer.write_image_data(&pixels).expect("PNG data");
    writer.finish().expect("PNG end");
    out
}

fn profile(store: &impl ImageStore, design_id: &str, bytes: Vec<u8>) -> ImageUpload {
    ImageUpload::for_design(store.folder(), design_id, "c0", ImageKind::Profile, bytes)
        .expect("upload")
}

/// The secure URL without its `v<version>/` segment.
fn unversioned(url: &str) -> String {
    url.split('/')
        .filter(|s| {
            !(s.starts_with('v') && s.len() > 1 && s[1..].bytes().all(|b| b.is_ascii_digit()))
        })
        .collect::<Vec<_>>()
        .join("/")
}

macro_rules! stub_or_skip {
    () => {
        match Stub::start() {
            Some(stub) => stub,
            None => return,
        }
    };
}

#[tokio::test]
async fn signed_upload_is_verified_and_served_back() {
    let stub = stub_or_skip!();
    let store = stub.store();
    let bytes = png(7, 3, 1);
    let stored = store
        .upload(&profile(&store, "d0c0ffee", bytes.clone()))
        .await
        .unwrap();

    assert_eq!(stored.public_id, "designs/d0c0ffee/c0/profile");
    assert_eq!((stored.width, stored.height), (Some(7), Some(3)));
    assert_eq!(stored.bytes, bytes.len() as u64);
    assert_eq!(stored.format, "png");
    assert!(stored.version > 0);
    assert_eq!(
        stored.secure_url,
        format!(
            "{}/{CLOUD}/image/upload/v{}/designs/d0c0ffee/c0/profile.png",
            stub.base, stored.version
        )
    );

    let state = stub.state().await;
    assert_eq!(state["signatures"], json!({"verified": 1, "rejected": 0}));
    assert_eq!(state["uploads"]["designs/d0c0ffee/c0/profile"]["count"], 1);

    let (status, content_type, served) = stub.get(&stored.secure_url).await;
    assert_eq!((status, content_type.as_str()), (200, "image/png"));
    assert!(served == bytes, "served bytes differ from the upload");

    // SVG: an image resource, format inferred from the file.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="10"><rect width="40" height="10"/></svg>"#;
    let up = ImageUpload::for_design(
        store.folder(),
        "d0c0ffee",
        "c0",
        ImageKind::Svg,
        svg.to_vec(),
    )
    .unwrap();
    let stored = store.upload(&up).await.unwrap();
    assert_eq!(stored.public_id, "designs/d0c0ffee/c0/svg");
    assert_eq!(stored.format, "svg");
    assert!(stored.secure_url.ends_with("/designs/d0c0ffee/c0/svg.svg"));
    let (status, content_type, served) = stub.get(&stored.secure_url).await;
    assert_eq!((status, content_type.as_str()), (200, "image/svg+xml"));
    assert_eq!(served, svg.to_vec());
}

#[tokio::test]
async fn reupload_overwrites_the_same_public_id() {
    let stub = stub_or_skip!();
    let store = stub.store();
    let first = store
        .upload(&profile(&store, "d1", png(4, 4, 1)))
        .await
        .unwrap();
    let second_bytes = png(5, 2, 2);
    let second = store
        .upload(&profile(&store, "d1", second_bytes.clone()))
        .await
        .unwrap();

    assert_eq!(first.public_id, second.public_id);
    assert!(second.version > first.version);
    assert_ne!(first.secure_url, second.secure_url);
    assert_eq!(
        unversioned(&first.secure_url),
        unversioned(&second.secure_url)
    );
    assert_eq!((second.width, second.height), (Some(5), Some(2)));

    let state = stub.state().await;
    let uploads = state["uploads"].as_object().unwrap();
    assert_eq!(uploads.len(), 1, "one stored object: {uploads:?}");
    assert_eq!(uploads["designs/d1/c0/profile"]["count"], 2);
    let (_, _, served) = stub.get(&second.secure_url).await;
    assert!(served == second_bytes);
}

#[tokio::test]
async fn rate_limit_and_server_errors_are_retried() {
    let stub = stub_or_skip!();
    let store = stub.store();

    // 429 with Retry-After: 1 s, honoured (the backoff alone would be a few ms).
    stub.control(json!({"fail_next": [429], "retry_after": 1}))
        .await;
    let started = Instant::now();
    let stored = store
        .upload(&profile(&store, "d2", png(2, 2, 0)))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stored.public_id, "designs/d2/c0/profile");

    // 500 then 503, no Retry-After: backoff, third attempt succeeds.
    stub.control(json!({"fail_next": [500, 503], "retry_after": null}))
        .await;
    store
        .upload(&profile(&store, "d2", png(2, 2, 1)))
        .await
        .unwrap();

    let state = stub.state().await;
    assert_eq!(state["failures_injected"], 3);
    assert_eq!(state["requests"], 5);
    assert_eq!(state["uploads"]["designs/d2/c0/profile"]["count"], 2);
}

#[tokio::test]
async fn server_errors_forever_give_a_transient_error() {
    let stub = stub_or_skip!();
    let store = stub.store();
    stub.control(json!({"fail_always": 500})).await;
    let err = store
        .upload(&profile(&store, "d3", png(2, 2, 0)))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.attempts(), 3);
    assert!(err.to_string().contains("Injected failure 500"), "{err}");
    assert_eq!(stub.state().await["requests"], 3);

    let err = store.delete("designs/d3/profile").await.unwrap_err();
    assert!(err.is_transient() && err.attempts() == 3, "{err}");
}

#[tokio::test]
async fn too_long_retry_after_stops_retrying() {
    let stub = stub_or_skip!();
    let store = stub.store();
    stub.control(json!({"fail_next": [420], "retry_after": 3600}))
        .await;
    let err = store
        .upload(&profile(&store, "d4", png(2, 2, 0)))
        .await
        .unwrap_err();
    assert!(err.is_transient());
    assert_eq!((err.status(), err.attempts()), (Some(420), 1));
}

#[tokio::test]
async fn bad_secret_is_a_permanent_401_without_the_secret() {
    let stub = stub_or_skip!();
    let wrong = "wrong-secret-4b1d";
    let store = CloudinaryStore::new(stub.config(wrong)).unwrap();
    let err = store
        .upload(&profile(&store, "d5", png(2, 2, 0)))
        .await
        .unwrap_err();
    assert!(!err.is_transient());
    assert_eq!((err.status(), err.attempts()), (Some(401), 1));
    let text = err.to_string();
    assert!(text.contains("Invalid Signature"), "{text}");
    for shown in [
        text,
        format!("{err:?}"),
        format!("{:?}", store.config()),
        store.config().to_string(),
    ] {
        assert!(!shown.contains(wrong) && !shown.contains(SECRET), "{shown}");
    }
    let state = stub.state().await;
    assert_eq!(state["signatures"], json!({"verified": 0, "rejected": 1}));
    assert_eq!(state["uploads"], json!({}));
}

#[tokio::test]
async fn client_errors_are_permanent_and_not_retried() {
    let stub = stub_or_skip!();
    let store = stub.store();
    let not_an_image = ImageUpload::for_design(
        store.folder(),
        "d6",
        "c0",
        ImageKind::Profile,
        b"hello".to_vec(),
    )
    .unwrap();
    let err = store.upload(&not_an_image).await.unwrap_err();
    assert!(!err.is_transient());
    assert_eq!((err.status(), err.attempts()), (Some(400), 1));
    assert!(err.to_string().contains("Invalid image file"), "{err}");

    for status in [401, 403, 404] {
        stub.control(json!({"fail_next": [status]})).await;
        let err = store.delete("designs/d6/profile").await.unwrap_err();
        assert!(!err.is_transient(), "{err}");
        assert_eq!((err.status(), err.attempts()), (Some(status), 1));
    }
    assert!(matches!(
        store.delete("../etc").await,
        Err(PublishError::InvalidInput(_))
    ));
}

#[tokio::test]
async fn delete_removes_and_is_idempotent() {
    let stub = stub_or_skip!();
    let store = stub.store();
    let stored = store
        .upload(&profile(&store, "d7", png(3, 3, 0)))
        .await
        .unwrap();
    store.delete(&stored.public_id).await.unwrap();
    assert_eq!(stub.state().await["uploads"], json!({}));
    let (status, _, _) = stub.get(&stored.secure_url).await;
    assert_eq!(status, 404);
    store.delete(&stored.public_id).await.unwrap();
    assert_eq!(stub.state().await["signatures"]["verified"], 3);
}

#[tokio::test]
async fn timeouts_are_transient() {
    let stub = stub_or_skip!();
    let mut config = stub.config(SECRET);
    config.timeout = Duration::from_millis(300);
    config.max_attempts = 2;
    let store = CloudinaryStore::new(config).unwrap();
    stub.control(json!({"delay": 1.0})).await;
    let err = store
        .upload(&profile(&store, "d9", png(2, 2, 0)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, PublishError::Transport { timeout: true, .. }),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert_eq!(err.attempts(), 2);
}

#[tokio::test]
async fn connection_refused_is_transient() {
    let stub = stub_or_skip!();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut config = stub.config(SECRET);
    config.api_base = format!("http://127.0.0.1:{port}");
    let store = CloudinaryStore::new(config).unwrap();
    let err = store
        .upload(&profile(&store, "d8", png(2, 2, 0)))
        .await
        .unwrap_err();
    assert!(matches!(err, PublishError::Transport { .. }), "{err}");
    assert!(err.is_transient());
    assert_eq!(err.attempts(), 3);
}

/// Uploads a tiny PNG to the real Cloudinary account in `CLOUDINARY_URL`, then deletes it.
#[tokio::test]
async fn live_cloudinary_smoke_test() {
    let config = match CloudinaryConfig::from_env() {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("SKIPPED live Cloudinary smoke test: CLOUDINARY_URL is not set");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let secret = config.api_secret.expose().to_owned();
    let real_api = config.api_base.starts_with("https://");
    let store = CloudinaryStore::new(config).unwrap();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let design_id = format!("smoke-test-{}-{nanos}", std::process::id());
    let upload = profile(&store, &design_id, png(2, 2, 7));
    let stored = store.upload(&upload).await;
    // Clean up before asserting, so a failed check leaves nothing behind.
    let deleted = store.delete(upload.public_id()).await;
    let deleted_again = store.delete(upload.public_id()).await;
    let stored = stored.unwrap_or_else(|e| {
        assert!(!e.to_string().contains(&secret));
        panic!("live upload failed: {e}")
    });
    deleted.unwrap();
    deleted_again.unwrap();
    assert_eq!(stored.public_id, upload.public_id());
    assert!(
        stored.secure_url.contains(upload.public_id()),
        "{}",
        stored.secure_url
    );
    if real_api {
        assert!(
            stored.secure_url.starts_with("https://"),
            "{}",
            stored.secure_url
        );
    }
    assert_eq!((stored.width, stored.height), (Some(2), Some(2)));
    println!(
        "live Cloudinary smoke test: uploaded and deleted {}",
        stored.public_id
    );
}
