//! `ork`: the command-line front end. Glue only; the work is in the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use ork_processor::model::Design;
use ork_processor::ork::{self, ParseOptions, Warning};
use serde::Serialize;

#[derive(Parser)]
#[command(name = "ork", version, about = "Read OpenRocket .ork design files")]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    },
}

/// What `ork inspect --json` prints per file: the design, plus where it came from.
#[derive(Serialize)]
struct InspectJson<'a> {
    file: String,
    processor_version: &'static str,
    warnings: &'a [Warning],
    #[serde(flatten)]
    design: &'a Design,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect { files, json, rows } => inspect(&files, json, rows),
    }
}

fn inspect(files: &[PathBuf], json: bool, rows: usize) -> ExitCode {
    let options = ParseOptions {
        datapoint_rows: rows,
        ..ParseOptions::default()
    };
    let mut failed = 0usize;
    let stdout = std::io::stdout();
    for (i, file) in files.iter().enumerate() {
        let label = file.display().to_string();
        match ork::parse_file(file, &options) {
            Ok(parsed) => {
                let result = if json {
                    let doc = InspectJson {
                        file: label.clone(),
                        processor_version: ork_processor::VERSION,
                        warnings: &parsed.warnings,
                        design: &parsed.design,
                    };
                    serde_json::to_string_pretty(&doc)
                        .context("serialising the model")
                        .and_then(|s| writeln!(stdout.lock(), "{s}").context("writing stdout"))
                } else {
                    let sep = if i > 0 { "\n" } else { "" };
                    let text = ork_processor::inspect::human(&label, &parsed);
                    write!(stdout.lock(), "{sep}{text}").context("writing stdout")
                };
                if let Err(e) = result {
                    eprintln!("ork: {label}: {e:#}");
                    return ExitCode::FAILURE;
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("ork: {label}: {e} [{}]", e.code());
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
