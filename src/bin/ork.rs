//! `ork`: the command-line front end. Glue only; the work is in the library.
//!
//! A failure is one line on stderr, `ork: <what failed>: <cause>`, under 300 characters: the
//! resource (file, bucket, key, queue, function, graph URI) and the service's code. `--verbose`
//! adds the whole error chain and the debug log (the SDK's context of a failed AWS call).
//! Exit status: 0 done; 1 a failure (of the run, or of any file or object; the run's report
//! lists them); 2 a usage error (clap); 130 interrupted (`ork reprocess`, Ctrl-C).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::{Parser, Subcommand};
use ork_processor::aws_error::one_line;
use ork_processor::geometry;
use ork_processor::graph::{self, GraphSink};
use ork_processor::model::Design;
use ork_processor::ork::{self, ParseOptions, Warning};
use ork_processor::pipeline;
use ork_processor::render::chart::{self, ChartConfig};
use ork_processor::render::mesh::{self, MeshConfig};
use ork_processor::render::{self, Background, RenderConfig};
use ork_processor::series::SeriesConfig;
use serde::Serialize;

#[path = "ork/reprocess.rs"]
mod reprocess;

#[derive(Parser)]
#[command(name = "ork", version, about = "Read OpenRocket .ork design files")]
struct Cli {
    /// On a failure, print the whole error chain, and log the details of failed calls (the
    /// SDK's context, the service's answer) on stderr; `RUST_LOG` sets the log filter.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

/// The longest failure line `ork` prints, `ork: ` included.
const MAX_LINE_CHARS: usize = 300;

/// `--verbose`: set once at the start of `main`.
static VERBOSE: AtomicBool = AtomicBool::new(false);

/// The failure as one line: each layer of the chain once (a layer that repeats what the
/// layer above already said is left out), white space squashed, cut at the line's limit.
fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = one_line(&cause.to_string(), MAX_LINE_CHARS);
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Prints a failure: `ork: [<label>: ]<line>`, and with `--verbose` the whole chain after it.
fn print_failure(label: Option<&str>, e: &anyhow::Error) {
    let line = match label {
        Some(label) => format!("{label}: {}", error_line(e)),
        None => error_line(e),
    };
    say(&line);
    if VERBOSE.load(Ordering::Relaxed) {
        // Every layer as it says itself, then the innermost error as its type holds it.
        for (i, cause) in e.chain().enumerate() {
            eprintln!("  {i}: {cause}");
        }
        eprintln!("  {:?}", e.root_cause());
    }
}

/// Prints `ork: <line>` on stderr, on one line, cut at the line's limit.
fn say(line: &str) {
    eprintln!("ork: {}", one_line(line, MAX_LINE_CHARS - "ork: ".len()));
}

/// `--verbose`: the library's logs (debug for this crate, info for the others, or `RUST_LOG`)
/// as text on stderr.
fn verbose_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,ork_processor=debug"));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

#[derive(Subcommand)]
enum Command {
    /// Show each design: component tree, motors, simulations (or the full model as JSON).
    Inspect {
        /// .ork files (zip, gzip or plain XML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the full model as JSON, one object per file.
        #[arg(long)]
        json: bool,
        /// Keep the first N datapoint rows of every data branch in the JSON.
        #[arg(long, default_value_t = 0, value_name = "N")]
        rows: usize,
        /// Add each simulation's flight series (downsampled) to the JSON.
        #[arg(long)]
        series: bool,
        /// Points kept per data branch in the series.
        #[arg(long, default_value_t = SeriesConfig::default().max_points, value_name = "N")]
        series_points: usize,
    },
    /// Draw each design: `<name>.png` (full), `<name>.thumb.png` and `<name>.svg`, its 3D
    /// model `<name>.glb`, and its flight chart `<name>.flight.png` and `.flight.svg` when a
    /// simulation has data.
    Render {
        /// .ork files (zip, gzip or plain XML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where the images go.
        #[arg(short, long, value_name = "DIR", default_value = "out")]
        output: PathBuf,
        /// Width of the full image, pixels.
        #[arg(long, default_value_t = 2000)]
        width: u32,
        /// Width of the thumbnail, pixels.
        #[arg(long, default_value_t = 400)]
        thumb_width: u32,
        /// Transparent instead of white background.
        #[arg(long)]
        transparent: bool,
    },
    /// Write the 3D model of each design's outside: `<name>.glb` (binary glTF 2.0: metres,
    /// nose up along +Y, base at y = 0).
    Model {
        /// .ork files (zip, gzip or plain XML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where the models go.
        #[arg(short, long, value_name = "DIR", default_value = "out")]
        output: PathBuf,
    },
    /// Draw the flight chart of a simulation of each design: `<name>.flight.png` and `.svg`
    /// for the primary simulation, `<name>.sim<N>.flight.*` for another.
    Plot {
        /// .ork files (zip, gzip or plain XML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The simulation (0-based, in file order); default: the primary one (the first with
        /// data that flies the default configuration, else the first with data).
        #[arg(long, value_name = "N")]
        sim: Option<usize>,
        /// Where the images go.
        #[arg(short, long, value_name = "DIR", default_value = "out")]
        output: PathBuf,
        /// Size of the PNG, pixels.
        #[arg(long, default_value_t = ChartConfig::default().width_px)]
        width: u32,
        #[arg(long, default_value_t = ChartConfig::default().height_px)]
        height: u32,
    },
    /// Build each design's graph. With NEO4J_URI set, load it into that database; otherwise
    /// write `<name>.cypher` and `<name>.graph.json` into the output directory.
    Process {
        /// .ork files (zip, gzip or plain XML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where the .cypher and .graph.json files go (without NEO4J_URI).
        #[arg(short, long, value_name = "DIR", default_value = "out")]
        output: PathBuf,
        /// The bucket name recorded for local files (the key is the path as given).
        #[arg(long, default_value = "local")]
        bucket: String,
    },
    /// Reprocess every design in an S3 bucket through the Lambda's pipeline (here, or by
    /// invoking the function): resumable, concurrent, with a JSON report. Uses the Lambda's
    /// settings (NEO4J_*, CLOUDINARY_URL, AWS_*; see the README).
    Reprocess(reprocess::Args),
}

/// What `ork inspect --json` prints per file: the design, plus where it came from and what
/// it means physically.
#[derive(Serialize)]
struct InspectJson<'a> {
    file: String,
    processor_version: &'static str,
    warnings: &'a [Warning],
    #[serde(flatten)]
    design: &'a Design,
    /// Length, diameter, mass, CG, CP, stability (SI units); `null` when the geometry cannot
    /// be resolved, with the reason in `figures_error`.
    figures: Option<&'a geometry::Figures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    figures_error: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.verbose {
        VERBOSE.store(true, Ordering::Relaxed);
        verbose_logs();
    }
    match cli.command {
        Command::Inspect {
            files,
            json,
            rows,
            series,
            series_points,
        } => {
            let options = ParseOptions {
                datapoint_rows: rows,
                series: series.then_some(SeriesConfig {
                    max_points: series_points,
                    ..SeriesConfig::default()
                }),
                ..ParseOptions::default()
            };
            inspect(&files, json, &options)
        }
        Command::Render {
            files,
            output,
            width,
            thumb_width,
            transparent,
        } => {
            let config = RenderConfig {
                width_px: width,
                thumb_width_px: thumb_width,
                background: if transparent {
                    Background::Transparent
                } else {
                    Background::White
                },
                ..RenderConfig::default()
            };
            match render_files(&files, &output, &config) {
                Ok(code) => code,
                Err(e) => {
                    print_failure(None, &e);
                    ExitCode::FAILURE
                }
            }
        }
        Command::Model { files, output } => match model_files(&files, &output) {
            Ok(code) => code,
            Err(e) => {
                print_failure(None, &e);
                ExitCode::FAILURE
            }
        },
        Command::Plot {
            files,
            sim,
            output,
            width,
            height,
        } => {
            let config = ChartConfig {
                width_px: width,
                height_px: height,
                ..ChartConfig::default()
            };
            match plot_files(&files, sim, &output, &config) {
                Ok(code) => code,
                Err(e) => {
                    print_failure(None, &e);
                    ExitCode::FAILURE
                }
            }
        }
        Command::Reprocess(args) => match reprocess::main(args) {
            Ok(code) => code,
            Err(e) => {
                print_failure(None, &e);
                ExitCode::FAILURE
            }
        },
        Command::Process {
            files,
            output,
            bucket,
        } => match process(&files, &output, &bucket) {
            Ok(code) => code,
            Err(e) => {
                print_failure(None, &e);
                ExitCode::FAILURE
            }
        },
    }
}

/// `ork process`: parse each file and write its graph (database or files).
fn process(files: &[PathBuf], output: &Path, bucket: &str) -> anyhow::Result<ExitCode> {
    let options = ParseOptions::default();
    let config = graph::GraphConfig::from_env().context("reading NEO4J_* settings")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let sink = match config {
        Some(config) => {
            let sink = runtime
                .block_on(graph::Neo4jSink::connect(config))
                .context("connecting to the graph database")?;
            runtime
                .block_on(sink.ensure_schema())
                .context("creating constraints and indexes")?;
            Some(sink)
        }
        None => {
            std::fs::create_dir_all(output)
                .with_context(|| format!("creating {}", output.display()))?;
            None
        }
    };
    let mut failed = 0usize;
    for file in files {
        let label = file.display().to_string();
        let bytes = match ork::read_file(file, &options.limits) {
            Ok(b) => b,
            Err(e) => {
                failed += 1;
                print_failure(Some(&label), &anyhow::Error::from(e));
                continue;
            }
        };
        let analysis = pipeline::analyse(bucket, &label, &bytes, &options);
        if let Some(reason) = analysis.invalid_reason() {
            failed += 1;
            say(&format!(
                "{label}: {reason} (recorded as an invalid design)"
            ));
        }
        match &sink {
            Some(sink) => {
                let outcome = runtime
                    .block_on(pipeline::load(sink, &analysis))
                    .with_context(|| format!("{label}: loading the graph"))?;
                match outcome {
                    graph::LoadOutcome::Unchanged => println!("{label}: unchanged, skipped"),
                    graph::LoadOutcome::Written(stats) => println!(
                        "{label}: design {} written ({} round trips)",
                        analysis.source.design_id(),
                        stats.round_trips
                    ),
                }
            }
            None => {
                let plan = analysis.plan();
                let stem = output_stem(file);
                let cypher = output.join(format!("{stem}.cypher"));
                let json = output.join(format!("{stem}.graph.json"));
                std::fs::write(&cypher, graph::to_cypher_script(&plan))
                    .with_context(|| format!("writing {}", cypher.display()))?;
                let text = serde_json::to_string_pretty(&graph::to_json(&plan))?;
                std::fs::write(&json, text)
                    .with_context(|| format!("writing {}", json.display()))?;
                println!("{label}: {} and {}", cypher.display(), json.display());
            }
        }
    }
    Ok(if failed > 0 {
        eprintln!("ork: {failed} of {} file(s) failed", files.len());
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `ork render`: draw each file into `DIR`.
fn render_files(
    files: &[PathBuf],
    output: &Path,
    config: &RenderConfig,
) -> anyhow::Result<ExitCode> {
    let options = ParseOptions::default();
    std::fs::create_dir_all(output).with_context(|| format!("creating {}", output.display()))?;
    Ok(each_file(files, |file| {
        let parsed = ork::parse_file(file, &options)?;
        let resolved = geometry::resolve(&parsed.design)?;
        let figures = geometry::figures(&parsed.design).ok();
        let images = render::render(&parsed.design, &resolved, figures.as_ref(), config)?;
        let stem = output_stem(file);
        let png = output.join(format!("{stem}.png"));
        let thumb = output.join(format!("{stem}.thumb.png"));
        let svg = output.join(format!("{stem}.svg"));
        std::fs::write(&png, &images.png).with_context(|| format!("writing {}", png.display()))?;
        std::fs::write(&thumb, &images.thumb_png)
            .with_context(|| format!("writing {}", thumb.display()))?;
        std::fs::write(&svg, &images.svg).with_context(|| format!("writing {}", svg.display()))?;
        let mut written = format!(
            "{} ({}×{}), {}, {}",
            png.display(),
            images.width,
            images.height,
            thumb.display(),
            svg.display()
        );
        // The 3D model; a design drawn without one says why, and still counts as drawn.
        match write_model(&parsed.design, &resolved, output, &stem) {
            Ok(model) => written.push_str(&format!(", {model}")),
            Err(e) => written.push_str(&format!(", no model: {}", error_line(&e))),
        }
        // The flight chart, when a simulation has data.
        if let Some((i, sim)) = chart::primary_simulation(&parsed.design) {
            let paths = write_chart(
                &parsed.design,
                i,
                sim,
                output,
                &stem,
                &ChartConfig::default(),
            )?;
            written.push_str(&format!(", {paths}"));
        }
        Ok(written)
    }))
}

/// Writes each file's 3D model as `DIR/<stem>.glb`.
fn model_files(files: &[PathBuf], output: &Path) -> anyhow::Result<ExitCode> {
    let options = ParseOptions::default();
    std::fs::create_dir_all(output).with_context(|| format!("creating {}", output.display()))?;
    Ok(each_file(files, |file| {
        let parsed = ork::parse_file(file, &options)?;
        let resolved = geometry::resolve(&parsed.design)?;
        write_model(&parsed.design, &resolved, output, &output_stem(file))
    }))
}

/// Writes the 3D model of a resolved design into `DIR/<stem>.glb`; returns what it wrote.
fn write_model(
    design: &Design,
    resolved: &geometry::Resolved,
    output: &Path,
    stem: &str,
) -> anyhow::Result<String> {
    let built = mesh::build(design, resolved, &MeshConfig::default())?;
    let bytes = mesh::glb(&built)?;
    let path = output.join(format!("{stem}.glb"));
    std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(format!(
        "{} ({} triangles, {} bytes)",
        path.display(),
        built.triangles(),
        bytes.len()
    ))
}

/// Draws the flight chart of simulation `index` into `DIR/<stem>.flight.{png,svg}` (the
/// primary one) or `DIR/<stem>.sim<index>.flight.{png,svg}`; returns what it wrote.
fn write_chart(
    design: &Design,
    index: usize,
    sim: &ork_processor::model::Simulation,
    output: &Path,
    stem: &str,
    config: &ChartConfig,
) -> anyhow::Result<String> {
    let series = sim
        .series
        .as_ref()
        .with_context(|| format!("simulation {index} has no flight data"))?;
    let motors = chart::simulation_motors(design, sim);
    let drawn = chart::flight_chart(
        &chart::ChartInput {
            design_name: design.rocket.name.as_deref(),
            simulation_name: sim.name.as_deref(),
            motors: &motors,
            series: &series.main,
            branches: &series.extra_branches,
        },
        config,
    )?;
    let name = if chart::primary_simulation(design).is_some_and(|(p, _)| p == index) {
        format!("{stem}.flight")
    } else {
        format!("{stem}.sim{index}.flight")
    };
    let png = output.join(format!("{name}.png"));
    let svg = output.join(format!("{name}.svg"));
    std::fs::write(&png, &drawn.png).with_context(|| format!("writing {}", png.display()))?;
    std::fs::write(&svg, &drawn.svg).with_context(|| format!("writing {}", svg.display()))?;
    Ok(format!(
        "{} ({}×{}), {}",
        png.display(),
        drawn.width,
        drawn.height,
        svg.display()
    ))
}

/// `ork plot`: the flight chart of one simulation (or of the primary one) of each file.
fn plot_files(
    files: &[PathBuf],
    sim: Option<usize>,
    output: &Path,
    config: &ChartConfig,
) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(output).with_context(|| format!("creating {}", output.display()))?;
    Ok(each_file(files, |file| {
        let parsed = ork::parse_file(file, &ParseOptions::default())?;
        let design = &parsed.design;
        let index = match sim {
            Some(i) => i,
            None => {
                chart::primary_simulation(design)
                    .context("no simulation with flight data")?
                    .0
            }
        };
        let chosen = design.simulations.get(index).with_context(|| {
            format!(
                "no simulation {index} (the file has {})",
                design.simulations.len()
            )
        })?;
        write_chart(design, index, chosen, output, &output_stem(file), config)
    }))
}

/// Runs `f` on each file in turn, printing what it wrote or its failure in one line; a failed
/// file does not stop the others, and any failure makes the exit status 1.
fn each_file(files: &[PathBuf], mut f: impl FnMut(&Path) -> anyhow::Result<String>) -> ExitCode {
    let mut failed = 0usize;
    for file in files {
        let label = file.display().to_string();
        match f(file) {
            Ok(written) => println!("{label}: {written}"),
            Err(e) => {
                failed += 1;
                print_failure(Some(&label), &e);
            }
        }
    }
    if failed > 0 {
        eprintln!("ork: {failed} of {} file(s) failed", files.len());
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// A file name for a design's outputs: the input's stem, made safe for any file system.
fn output_stem(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "design".into());
    stem.chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_. ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn inspect(files: &[PathBuf], json: bool, options: &ParseOptions) -> ExitCode {
    let mut failed = 0usize;
    let stdout = std::io::stdout();
    for (i, file) in files.iter().enumerate() {
        let label = file.display().to_string();
        match ork::parse_file(file, options) {
            Ok(parsed) => {
                let figures = geometry::figures(&parsed.design);
                let result = if json {
                    let doc = InspectJson {
                        file: label.clone(),
                        processor_version: ork_processor::VERSION,
                        warnings: &parsed.warnings,
                        design: &parsed.design,
                        figures: figures.as_ref().ok(),
                        figures_error: figures.as_ref().err().map(|e| e.to_string()),
                    };
                    serde_json::to_string_pretty(&doc)
                        .context("serialising the model")
                        .and_then(|s| writeln!(stdout.lock(), "{s}").context("writing stdout"))
                } else {
                    let sep = if i > 0 { "\n" } else { "" };
                    let text = ork_processor::inspect::human(&label, &parsed, &figures);
                    write!(stdout.lock(), "{sep}{text}").context("writing stdout")
                };
                if let Err(e) = result {
                    print_failure(Some(&label), &e);
                    return ExitCode::FAILURE;
                }
            }
            Err(e) => {
                failed += 1;
                say(&format!("{label}: {e} [{}]", e.code()));
            }
        }
    }
    if failed > 0 {
        eprintln!("ork: {failed} of {} file(s) failed", files.len());
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
