//! `ork reprocess --create-job`: the S3 Control `CreateJob` request, checked at the request
//! level. The local S3 server (moto) does not serve S3 Control's `CreateJob`, so the real
//! aws-sdk-s3control client sends the request to a connector that records it and answers with
//! a canned `CreateJobResult`: the method, the URL (the account id as host prefix, as the
//! endpoint rules give it), the signed headers and every field of the XML body are checked
//! against the API's model, and the job id is read from the answer.

use std::sync::{Arc, Mutex};

use aws_sdk_s3control::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpConnector, HttpConnectorFuture, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use ork_processor::bucket::batch_job::{self, JobConfig, JobError, JobRequest, ReportScope};

/// One request as it left the client.
#[derive(Debug, Clone)]
struct Captured {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    body: String,
}

/// Records every request and answers each with `status` and `body`.
#[derive(Debug, Clone)]
struct Capture {
    requests: Arc<Mutex<Vec<Captured>>>,
    status: u16,
    body: String,
}

impl HttpConnector for Capture {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let captured = Captured {
            method: request.method().to_string(),
            uri: request.uri().to_string(),
            headers: request
                .headers()
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: String::from_utf8_lossy(request.body().bytes().unwrap_or_default()).into(),
        };
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(captured);
        let status = StatusCode::try_from(self.status).expect("a status");
        HttpConnectorFuture::ready(Ok(HttpResponse::new(
            status,
            SdkBody::from(self.body.clone()),
        )))
    }
}

fn client(status: u16, body: &str) -> (aws_sdk_s3control::Client, Arc<Mutex<Vec<Captured>>>) {
    let capture = Capture {
        requests: Arc::default(),
        status,
        body: body.into(),
    };
    let requests = capture.requests.clone();
    let conf = aws_sdk_s3control::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDBATCHTEST",
            "batch-test-secret",
            None,
            None,
            "test",
        ))
        .http_client(http_client_fn(move |_, _| {
            SharedHttpConnector::new(capture.clone())
        }))
        .build();
    (aws_sdk_s3control::Client::from_conf(conf), requests)
}

fn config(force: bool, versions: bool) -> JobConfig {
    JobConfig {
        account_id: "123456789012".into(),
        role_arn: "arn:aws:iam::123456789012:role/ork-processor-batch-operations".into(),
        function_arn: "arn:aws:lambda:us-east-1:123456789012:function:ork-processor".into(),
        manifest_arn: "arn:aws:s3:::ork-designs/batch/manifests/run 1.csv".into(),
        manifest_etag: "9b2cf535f27731c974343645a3985328".into(),
        manifest_versions: versions,
        report_bucket_arn: "arn:aws:s3:::ork-designs".into(),
        report_prefix: "batch/reports/".into(),
        report_scope: ReportScope::AllTasks,
        priority: 42,
        force,
        description: "ork reprocess s3://ork-designs/uploads/".into(),
    }
}

/// The text of every element of an XML document, by its path from the root
/// (`CreateJobRequest/Operation/LambdaInvoke/FunctionArn`), in document order.
fn xml_values(xml: &str) -> Vec<(String, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut path, mut out) = (Vec::<String>::new(), Vec::new());
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => path.push(e.local_name().as_ref().to_string()),
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) => {
                let text = t.xml10_content().to_string();
                if !text.trim().is_empty() {
                    out.push((path.join("/"), text));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

const JOB_ID: &str = "8e1f7c2a-5b4d-4c3e-9f0a-1b2c3d4e5f60";

#[tokio::test]
async fn create_job_sends_the_modelled_request_and_reads_the_job_id() {
    let answer = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateJobResult><JobId>{JOB_ID}</JobId></CreateJobResult>"
    );
    let request = JobRequest::new(&config(true, true)).unwrap();
    let (client, requests) = client(200, &answer);
    let job_id = batch_job::create_job(&client, &request).await.unwrap();
    assert_eq!(job_id, JOB_ID);

    let requests = requests.lock().unwrap().clone();
    let [sent] = requests.as_slice() else {
        panic!("one request: {requests:?}")
    };
    assert_eq!(sent.method, "POST");
    assert_eq!(
        sent.uri,
        "https://123456789012.s3-control.us-east-1.amazonaws.com/v20180820/jobs"
    );
    let header = |name: &str| {
        sent.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("x-amz-account-id"), Some("123456789012"));
    let auth = header("authorization").expect("a signed request");
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDBATCHTEST/")
            && auth.contains("/us-east-1/s3/aws4_request"),
        "{auth}"
    );
    assert!(!sent.body.contains("batch-test-secret"));

    let values = xml_values(&sent.body);
    let root = "CreateJobRequest";
    let get = |path: &str| -> Vec<&str> {
        values
            .iter()
            .filter(|(p, _)| p == &format!("{root}/{path}"))
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let table = [
        ("AccountId", vec![]),
        ("ConfirmationRequired", vec!["false"]),
        (
            "Operation/LambdaInvoke/FunctionArn",
            vec!["arn:aws:lambda:us-east-1:123456789012:function:ork-processor"],
        ),
        (
            "Operation/LambdaInvoke/InvocationSchemaVersion",
            vec!["2.0"],
        ),
        (
            "Operation/LambdaInvoke/UserArguments/entry/key",
            vec!["force"],
        ),
        (
            "Operation/LambdaInvoke/UserArguments/entry/value",
            vec!["true"],
        ),
        ("Report/Bucket", vec!["arn:aws:s3:::ork-designs"]),
        ("Report/Format", vec!["Report_CSV_20180820"]),
        ("Report/Enabled", vec!["true"]),
        ("Report/Prefix", vec!["batch/reports"]),
        ("Report/ReportScope", vec!["AllTasks"]),
        (
            "ClientRequestToken",
            vec![request.client_request_token.as_str()],
        ),
        (
            "Manifest/Spec/Format",
            vec!["S3BatchOperations_CSV_20180820"],
        ),
        (
            "Manifest/Spec/Fields/member",
            vec!["Bucket", "Key", "VersionId"],
        ),
        (
            "Manifest/Location/ObjectArn",
            vec!["arn:aws:s3:::ork-designs/batch/manifests/run 1.csv"],
        ),
        (
            "Manifest/Location/ETag",
            vec!["9b2cf535f27731c974343645a3985328"],
        ),
        (
            "Description",
            vec!["ork reprocess s3://ork-designs/uploads/"],
        ),
        ("Priority", vec!["42"]),
        (
            "RoleArn",
            vec!["arn:aws:iam::123456789012:role/ork-processor-batch-operations"],
        ),
    ];
    for (path, want) in &table {
        assert_eq!(&get(path), want, "{path} in {}", sent.body);
    }
    // Nothing else: every element of the body is one of the above.
    let expected: usize = table.iter().map(|(_, want)| want.len()).sum();
    assert_eq!(values.len(), expected, "{values:#?}");
}

#[tokio::test]
async fn without_force_the_job_carries_no_user_arguments() {
    let answer = format!("<CreateJobResult><JobId>{JOB_ID}</JobId></CreateJobResult>");
    let (client, requests) = client(200, &answer);
    let request = JobRequest::new(&config(false, false)).unwrap();
    batch_job::create_job(&client, &request).await.unwrap();
    let body = requests.lock().unwrap()[0].body.clone();
    let values = xml_values(&body);
    assert!(
        !values.iter().any(|(p, _)| p.contains("UserArguments")),
        "{body}"
    );
    let fields: Vec<&str> = values
        .iter()
        .filter(|(p, _)| p.ends_with("Spec/Fields/member"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(fields, ["Bucket", "Key"]);
}

#[tokio::test]
async fn a_refused_job_says_why() {
    let answer = "<ErrorResponse><Error><Code>InvalidRequest</Code><Message>Manifest ETag does not match</Message></Error><RequestId>r1</RequestId></ErrorResponse>";
    let (refusing, requests) = client(400, answer);
    let request = JobRequest::new(&config(false, false)).unwrap();
    let err = batch_job::create_job(&refusing, &request)
        .await
        .unwrap_err();
    assert!(matches!(err, JobError::Api(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("InvalidRequest") && text.contains("Manifest ETag does not match"),
        "{text}"
    );
    assert_eq!(requests.lock().unwrap().len(), 1, "a 400 is not retried");

    // An answer without a job id is an error too, not an empty id.
    let (empty, _) = client(200, "<CreateJobResult></CreateJobResult>");
    let err = batch_job::create_job(&empty, &request).await.unwrap_err();
    assert!(matches!(err, JobError::NoJobId), "{err:?}");
}
