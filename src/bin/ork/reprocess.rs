//! `ork reprocess`: the glue between the command line, the real adapters (S3, Neo4j,
//! Cloudinary or the Lambda API) and [`ork_processor::reprocess::run`].

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use ork_processor::graph::{GraphConfig, GraphSink, Neo4jSink};
use ork_processor::lambda::config::{self, SecretsManager};
use ork_processor::lambda::s3::S3Source;
use ork_processor::ork::ParseOptions;
use ork_processor::pipeline::{PipelineConfig, Ports};
use ork_processor::publish::CloudinaryStore;
use ork_processor::redrive::{self, RedriveConfig, SqsQueue};
use ork_processor::reprocess::{
    self, Cancel, LambdaDispatch, LocalDispatch, Report, ReprocessConfig,
};

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
    /// Where the JSON report goes.
    #[arg(long, value_name = "FILE", default_value = "reprocess-report.json")]
    pub report: PathBuf,
    /// The journal of finished objects that lets an interrupted run resume
    /// (default: `reprocess-<bucket>.journal.jsonl`).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
}

/// Exit status when stopped by Ctrl-C (128 + SIGINT), as shells report it.
const INTERRUPTED: u8 = 130;

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
    let lister = S3Source::new(aws_sdk_s3::Client::from_conf(s3_conf));

    if let Some(url) = &args.from_queue {
        return redrive(&args, url, &shared, lister, &progress, &cancel).await;
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
    let queue = SqsQueue::new(aws_sdk_sqs::Client::new(shared), url);
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
    for m in report.messages.iter().filter(|m| !m.deleted) {
        if let Some(why) = &m.kept_because {
            eprintln!("ork: kept {}: {why}", m.message_id);
        }
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
    for p in &report.failures {
        eprintln!("ork: failed: {} ({})", p.key, outcome_text(&p.outcome));
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
        reprocess::Outcome::Failed { class, error } => format!("{class}: {error}"),
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
