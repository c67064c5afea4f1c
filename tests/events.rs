//! The S3 event fixtures in `testdata/events/` decode into the jobs the handler acts on.

mod common;

use aws_lambda_events::event::s3::S3Event;
use ork_processor::events::s3::{jobs, JobKind, Skip};

fn load(name: &str) -> S3Event {
    let path = common::testdata(&format!("events/{name}"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// (kind, bucket, decoded key) per record, or the skip reason.
fn check(name: &str, expected: &[Result<(JobKind, &str), &str>]) {
    let got: Vec<Result<(JobKind, String), String>> = jobs(&load(name))
        .into_iter()
        .map(|j| match j {
            Ok(j) => {
                assert_eq!(j.bucket, "ork-designs");
                Ok((j.kind, j.key))
            }
            Err(Skip::NotOrk { key }) => Err(format!("not ork: {key}")),
            Err(other) => Err(format!("{other:?}")),
        })
        .collect();
    let want: Vec<Result<(JobKind, String), String>> = expected
        .iter()
        .map(|e| {
            e.map(|(k, key)| (k, key.to_string()))
                .map_err(str::to_string)
        })
        .collect();
    assert_eq!(got, want, "{name}");
}

#[test]
fn fixtures_decode() {
    check(
        "created.json",
        &[Ok((JobKind::Created, "uploads/A simple model rocket.ork"))],
    );
    check(
        "removed.json",
        &[Ok((JobKind::Removed, "uploads/A simple model rocket.ork"))],
    );
    check(
        "url-encoded-key.json",
        &[Ok((JobKind::Created, "uploads/my rocket+v2 (1).ork"))],
    );
    check(
        "multi-record.json",
        &[
            Ok((JobKind::Created, "uploads/Tube fin rocket.ork")),
            Ok((JobKind::Created, "uploads/Clustered motors.ork")),
            Ok((JobKind::Created, "uploads/not-a-rocket.ork")),
        ],
    );
    check(
        "non-ork.json",
        &[
            Err("not ork: uploads/photo.png"),
            Err("not ork: uploads/notes.ORK.txt"),
        ],
    );
}

#[test]
fn sizes_and_etags_are_kept() {
    let j = jobs(&load("created.json")).remove(0).unwrap();
    assert_eq!(j.size, Some(198735));
    assert_eq!(j.etag.as_deref(), Some("0123456789abcdef0123456789abcdef"));
    let r = jobs(&load("removed.json")).remove(0).unwrap();
    assert_eq!((r.size, r.etag), (None, None));
}
