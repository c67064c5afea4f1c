//! `ork reprocess`: the glue between the command line, the real adapters (S3, Neo4j,
//! Cloudinary or the Lambda API) and [`ork_processor::bucket::reprocess::run`]; with `--manifest-out`
//! and `--create-job`, the S3 Batch Operations manifest and job instead.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use ork_processor::aws_error::endpoint_from_env;
use ork_processor::bucket::batch_job::{self, JobConfig, JobRequest, ReportScope};
use ork_processor::bucket::manifest::{self, ManifestEntry, ManifestTarget, S3Location};
use ork_processor::bucket::redrive::{self, RedriveConfig, SqsQueue};
use ork_processor::bucket::reprocess::{
    self, Cancel, LambdaDispatch, LocalDispatch, Report, ReprocessConfig,
};
use ork_processor::graph::{GraphConfig, GraphSink, Neo4jSink};
use ork_processor::lambda::config::{self, SecretsManager};
use ork_processor::lambda::s3::S3Source;
use ork_processor::ork::ParseOptions;
use ork_processor::pipeline::{PipelineConfig, Ports};
use ork_processor::publish::CloudinaryStore;

/// The command's arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The design bucket.
    #[arg(long, required_unless_present = "from_queue", default_value = "")]
    pub bucket: String,
    /// Instead of listing a bucket: take the function's on-failure queue (Lambda destination
    /// records on SQS), do each record again, and delete each message whose records all
    /// succeeded (the others stay, with the reason in the report).
    #[arg(long, value_name = "QUEUE_URL", conflicts_with_all = ["prefix", "limit", "journal"])]
    pub from_queue: Option<String>,
    /// Only keys under this prefix.
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// Objects in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Reprocess objects the graph already holds from this version.
    #[arg(long)]
    pub force: bool,
    /// List and decide, but process nothing (the report lists what would run).
    #[arg(long)]
    pub dry_run: bool,
    /// Dispatch at most N objects, then stop; the next run continues (a canary run).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Invoke this Lambda function asynchronously with a synthetic S3 event per object,
    /// instead of processing here.
    #[arg(long, value_name = "FUNCTION")]
    pub via_lambda: Option<String>,
    /// Where the JSON report goes; with --create-job, where the job's completion report goes
    /// (s3://BUCKET/PREFIX).
    #[arg(long, value_name = "FILE", default_value = "reprocess-report.json")]
    pub report: PathBuf,
    /// Instead of processing: write the S3 Batch Operations manifest (CSV: bucket, URL-encoded
    /// key) of the objects that need processing, or of all of them with --force, to a file or
    /// an S3 object.
    #[arg(long, value_name = "FILE|s3://BUCKET/KEY", conflicts_with_all = ["from_queue", "via_lambda", "limit", "journal"])]
    pub manifest_out: Option<String>,
    /// Add each object's current version id to the manifest (a third field).
    #[arg(long, requires = "manifest_out")]
    pub manifest_versions: bool,
    /// Create an S3 Batch Operations job that invokes --function-arn on every object of the
    /// manifest (--manifest-out s3://…), with its completion report under --report
    /// s3://BUCKET/PREFIX, and print its id. With --dry-run, print the request instead.
    #[arg(long, requires_all = ["manifest_out", "role_arn", "function_arn"])]
    pub create_job: bool,
    /// The role S3 Batch Operations assumes (the templates' BatchOperationsRole).
    #[arg(long, value_name = "ARN", requires = "create_job")]
    pub role_arn: Option<String>,
    /// The function the job invokes.
    #[arg(long, value_name = "ARN", requires = "create_job")]
    pub function_arn: Option<String>,
    /// The account the job runs in (default: the role ARN's).
    #[arg(long, value_name = "ID", requires = "create_job")]
    pub account_id: Option<String>,
    /// Which tasks the job's completion report lists.
    #[arg(
        long,
        value_enum,
        default_value = "failed-tasks-only",
        requires = "create_job"
    )]
    pub report_scope: ReportScope,
    /// The job's priority (higher runs first).
    #[arg(long, default_value_t = 10, requires = "create_job")]
    pub priority: i32,
    /// The journal of finished objects that lets an interrupted run resume
    /// (default: `reprocess-<bucket>.journal.jsonl`).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
}

/// Exit status when stopped by Ctrl-C (128 + SIGINT), as shells report it.
const INTERRUPTED: u8 = 130;

/// At most this many objects or messages are named on stderr, one line each; the report
/// lists them all.
const MAX_FAILURE_LINES: usize = 20;

/// The endpoint override of a service from the standard environment, named in the messages of
/// calls that get no answer (`S3`, `SQS`, `LAMBDA`).
fn endpoint(service: &str) -> Option<String> {
    endpoint_from_env(service, |k| std::env::var(k).ok())
}

pub fn main(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<ExitCode> {
    ork_processor::lambda::install_crypto_provider();
    let config =
        ReprocessConfig {
            prefix: args.prefix.clone(),
            concurrency: usize::from(args.concurrency),
            force: args.force,
            dry_run: args.dry_run,
            limit: args.limit,
            journal: Some(args.journal.clone().unwrap_or_else(|| {
                PathBuf::from(format!("reprocess-{}.journal.jsonl", args.bucket))
            })),
            ..ReprocessConfig::new(args.bucket.clone())
        };

    // Ctrl-C: stop dispatching and let the objects in flight finish; a second one aborts.
    let cancel = Cancel::new();
    {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("ork: stopping after the objects in flight (Ctrl-C again to abort)");
                cancel.cancel();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(i32::from(INTERRUPTED));
                }
            }
        });
    }

    let progress = ProgressBar::new_spinner();
    progress.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:32} {pos}/{len} {per_sec} ETA {eta} {msg}",
        )
        .context("progress bar template")?,
    );
    progress.enable_steady_tick(Duration::from_millis(200));

    let env = |k: &str| std::env::var(k).ok();
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let s3_conf = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(config::flag(env("ORK_S3_FORCE_PATH_STYLE").as_deref()))
        .build();
    let lister =
        S3Source::new(aws_sdk_s3::Client::from_conf(s3_conf)).with_endpoint(endpoint("S3"));

    if let Some(url) = &args.from_queue {
        return redrive(&args, url, &shared, lister, &progress, &cancel).await;
    }
    if let Some(target) = &args.manifest_out {
        return batch(&args, target, &config, &shared, lister, &progress).await;
    }

    let report = match &args.via_lambda {
        Some(function) => {
            // The graph is optional here: with it, unchanged objects are not even sent.
            let graph = match GraphConfig::from_env().context("reading NEO4J_* settings")? {
                Some(c) => Some(connect(c).await?),
                None => None,
            };
            let dispatch = LambdaDispatch {
                client: aws_sdk_lambda::Client::new(&shared),
                function: function.clone(),
                region: shared
                    .region()
                    .map_or_else(|| "us-east-1".to_string(), |r| r.to_string()),
                endpoint: endpoint("LAMBDA"),
            };
            reprocess::run(
                &lister,
                graph.as_ref(),
                &dispatch,
                &config,
                &progress,
                &cancel,
            )
            .await?
        }
        None => {
            // Exactly the Lambda's settings and adapters.
            let secrets = SecretsManager(aws_sdk_secretsmanager::Client::new(&shared));
            let settings = config::load(env, &secrets).await?;
            let graph = connect(settings.graph.clone()).await?;
            let images = CloudinaryStore::new(settings.cloudinary.clone())?;
            let dispatch = LocalDispatch {
                ports: Ports {
                    source: &lister,
                    graph: &graph,
                    images: &images,
                },
                config: PipelineConfig {
                    parse: ParseOptions {
                        limits: settings.limits.clone(),
                        ..ParseOptions::default()
                    },
                    ..PipelineConfig::default()
                },
            };
            reprocess::run(
                &lister,
                Some(&graph),
                &dispatch,
                &config,
                &progress,
                &cancel,
            )
            .await?
        }
    };
    progress.finish_and_clear();
    write_report(&args, &report)?;
    Ok(exit_code(&report, cancel.is_cancelled()))
}

/// `--from-queue`: the redrive of the on-failure queue, here or through the function.
async fn redrive(
    args: &Args,
    url: &str,
    shared: &aws_config::SdkConfig,
    source: S3Source,
    progress: &ProgressBar,
    cancel: &Cancel,
) -> anyhow::Result<ExitCode> {
    let mut queue = SqsQueue::new(aws_sdk_sqs::Client::new(shared), url);
    queue.endpoint = endpoint("SQS");
    let config = RedriveConfig {
        concurrency: usize::from(args.concurrency),
        dry_run: args.dry_run,
        limit: None,
    };
    let report = match &args.via_lambda {
        Some(function) => {
            let dispatch = LambdaDispatch {
                client: aws_sdk_lambda::Client::new(shared),
                function: function.clone(),
                region: shared
                    .region()
                    .map_or_else(|| "us-east-1".to_string(), |r| r.to_string()),
                endpoint: endpoint("LAMBDA"),
            };
            redrive::run(&queue, &dispatch, &config, progress, cancel).await?
        }
        None => {
            let env = |k: &str| std::env::var(k).ok();
            let secrets = SecretsManager(aws_sdk_secretsmanager::Client::new(shared));
            let settings = config::load(env, &secrets).await?;
            let graph = connect(settings.graph.clone()).await?;
            let images = CloudinaryStore::new(settings.cloudinary.clone())?;
            let dispatch = LocalDispatch {
                ports: Ports {
                    source: &source,
                    graph: &graph,
                    images: &images,
                },
                config: PipelineConfig {
                    parse: ParseOptions {
                        limits: settings.limits.clone(),
                        ..ParseOptions::default()
                    },
                    force: args.force,
                    ..PipelineConfig::default()
                },
            };
            redrive::run(&queue, &dispatch, &config, progress, cancel).await?
        }
    };
    progress.finish_and_clear();
    let text = serde_json::to_string_pretty(&report)?;
    std::fs::write(&args.report, text + "\n")
        .with_context(|| format!("writing {}", args.report.display()))?;
    println!("{}", report.summary_line());
    let kept: Vec<_> = report
        .messages
        .iter()
        .filter(|m| !m.deleted)
        .filter_map(|m| Some((&m.message_id, m.kept_because.as_deref()?)))
        .collect();
    for (id, why) in kept.iter().take(MAX_FAILURE_LINES) {
        super::say(&format!("kept message {id} in the queue: {why}"));
    }
    if kept.len() > MAX_FAILURE_LINES {
        super::say(&format!(
            "… and {} more messages kept (see {})",
            kept.len() - MAX_FAILURE_LINES,
            args.report.display()
        ));
    }
    println!("report: {}", args.report.display());
    Ok(if report.kept_any() && !args.dry_run {
        ExitCode::FAILURE
    } else if cancel.is_cancelled() {
        ExitCode::from(INTERRUPTED)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--manifest-out` (and `--create-job`): the objects that need processing as an S3 Batch
/// Operations manifest, and the job over it.
async fn batch(
    args: &Args,
    target: &str,
    config: &ReprocessConfig,
    shared: &aws_config::SdkConfig,
    lister: S3Source,
    progress: &ProgressBar,
) -> anyhow::Result<ExitCode> {
    let target = ManifestTarget::parse(target)?;
    if args.create_job && !matches!(target, ManifestTarget::S3(_)) {
        anyhow::bail!("--create-job needs the manifest in S3: --manifest-out s3://BUCKET/KEY");
    }
    // Without a graph (or with --force), every .ork object: the function still skips the
    // unchanged ones itself unless the job forces.
    let graph = match GraphConfig::from_env().context("reading NEO4J_* settings")? {
        Some(c) if !args.force => Some(connect(c).await?),
        _ => None,
    };
    if graph.is_none() && !args.force {
        eprintln!("ork: NEO4J_URI is not set: the manifest lists every .ork object");
    }
    let (todo, counts) = reprocess::needing_work(&lister, graph.as_ref(), config, progress).await?;
    let versions = if args.manifest_versions {
        manifest::current_versions(lister.client(), &config.bucket, &config.prefix).await?
    } else {
        Default::default()
    };
    let entries: Vec<ManifestEntry> = todo
        .iter()
        .map(|o| ManifestEntry {
            bucket: config.bucket.clone(),
            key: o.key.clone(),
            version_id: versions.get(&o.key).cloned(),
        })
        .collect();
    let written = manifest::write(&target, &manifest::to_csv(&entries), lister.client()).await?;
    progress.finish_and_clear();
    let place = match &written {
        Some(w) => format!(
            "s3://{}/{} (ETag {})",
            w.location.bucket, w.location.key, w.etag
        ),
        None => args.manifest_out.clone().unwrap_or_default(),
    };
    println!(
        "manifest: {} of {} .ork objects ({} unchanged, {} other keys) written to {place}",
        entries.len(),
        counts.listed,
        counts.skipped,
        counts.ignored
    );
    let Some(written) = written.filter(|_| args.create_job) else {
        return Ok(ExitCode::SUCCESS);
    };
    if entries.is_empty() {
        println!("nothing needs processing: no job created");
        return Ok(ExitCode::SUCCESS);
    }
    let request = JobRequest::new(&job_config(args, &written)?)?;
    if args.dry_run {
        println!("{}", serde_json::to_string_pretty(&request)?);
        return Ok(ExitCode::SUCCESS);
    }
    let client = aws_sdk_s3control::Client::new(shared);
    let job_id = batch_job::create_job(&client, &request).await?;
    println!("job: {job_id}");
    println!(
        "follow it: aws s3control describe-job --account-id {} --job-id {job_id}",
        request.account_id
    );
    Ok(ExitCode::SUCCESS)
}

/// The job's settings from the flags and the manifest just written.
fn job_config(args: &Args, written: &manifest::WrittenManifest) -> anyhow::Result<JobConfig> {
    let role_arn = args
        .role_arn
        .clone()
        .context("--create-job needs --role-arn")?;
    let function_arn = args
        .function_arn
        .clone()
        .context("--create-job needs --function-arn")?;
    let report = args
        .report
        .to_str()
        .and_then(S3Location::parse)
        .context("--create-job needs --report s3://BUCKET/PREFIX for the completion report")?;
    let account_id = match &args.account_id {
        Some(id) => id.clone(),
        None => batch_job::account_of(&role_arn)
            .context("no account id in the role ARN: give --account-id")?
            .to_string(),
    };
    let partition = batch_job::partition_of(&role_arn)
        .unwrap_or("aws")
        .to_string();
    Ok(JobConfig {
        account_id,
        role_arn,
        function_arn,
        manifest_arn: written.location.object_arn(&partition),
        manifest_etag: written.etag.clone(),
        manifest_versions: args.manifest_versions,
        report_bucket_arn: format!("arn:{partition}:s3:::{}", report.bucket),
        report_prefix: report.key,
        report_scope: args.report_scope,
        priority: args.priority,
        force: args.force,
        description: format!(
            "ork reprocess s3://{}/{} (ork-processor {})",
            args.bucket,
            args.prefix,
            ork_processor::VERSION
        ),
    })
}

async fn connect(config: GraphConfig) -> anyhow::Result<Neo4jSink> {
    let sink = Neo4jSink::connect(config)
        .await
        .context("connecting to the graph database")?;
    sink.ensure_schema()
        .await
        .context("creating constraints and indexes")?;
    Ok(sink)
}

fn write_report(args: &Args, report: &Report) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(&args.report, text + "\n")
        .with_context(|| format!("writing {}", args.report.display()))?;
    println!("{}", report.summary_line());
    for p in report.failures.iter().take(MAX_FAILURE_LINES) {
        super::say(&format!(
            "failed s3://{}/{}: {}",
            report.bucket,
            p.key,
            outcome_text(&p.outcome)
        ));
    }
    if report.failures.len() > MAX_FAILURE_LINES {
        super::say(&format!(
            "… and {} more failures (see {})",
            report.failures.len() - MAX_FAILURE_LINES,
            args.report.display()
        ));
    }
    if !report.failures.is_empty() || !report.invalid.is_empty() {
        println!(
            "{} failure(s) and {} invalid design(s) listed in {}",
            report.failures.len(),
            report.invalid.len(),
            args.report.display()
        );
    }
    if report.interrupted {
        println!("stopped early: run the same command again to continue");
    }
    Ok(())
}

fn outcome_text(o: &reprocess::Outcome) -> String {
    match o {
        reprocess::Outcome::Failed { error, .. } => error.clone(),
        reprocess::Outcome::Invalid { reason } => reason.clone(),
        other => format!("{other:?}"),
    }
}

/// 0 when every object is done; 1 when any failed transiently (a later run retries them);
/// 130 when stopped by Ctrl-C.
fn exit_code(report: &Report, cancelled: bool) -> ExitCode {
    if report.failed_transiently() {
        ExitCode::FAILURE
    } else if cancelled {
        ExitCode::from(INTERRUPTED)
    } else {
        ExitCode::SUCCESS
    }
}
