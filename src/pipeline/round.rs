//! The rounds of [`process_object`](super::process_object): one round reads what the key holds, and writes it only
//! while the graph still holds the version it read (the guard); a round whose write lost a
//! race, or whose key changed meanwhile, is followed by another. Also what becomes of the
//! images of a version that was not stored.

use std::future::Future;
use std::time::{Duration, Instant};

use super::images::{delete_images, upload_all};
use super::{
    analyse_source, delete_design, oversized_source, refuse_too_large, ObjectSource,
    PipelineConfig, PipelineError, Ports, Processed, SourceError, StageTimes, MAX_ROUNDS,
};
use crate::geometry;
use crate::graph::{self, GraphSink, SourceObject};
use crate::publish::{ImageKind, ImageStore};
use crate::render::{self, chart};

/// The rounds of [`process_object`](super::process_object); `lost` gets the SHA-256 of images a lost write left.
pub(super) async fn rounds<S: ObjectSource, G: GraphSink, I: ImageStore>(
    ports: &Ports<'_, S, G, I>,
    config: &PipelineConfig,
    bucket: &str,
    key: &str,
    times: &mut StageTimes,
    lost: &mut Option<String>,
) -> Result<Processed, PipelineError> {
    for _ in 0..MAX_ROUNDS {
        // Boxed: the round's future holds the download, the parse and the uploads, and would
        // otherwise sit on the caller's stack (large in debug builds).
        let round = match Box::pin(process_current(ports, config, bucket, key, times)).await? {
            Attempt::Done(round) => round,
            // Another worker wrote the key since this round read it: read it again.
            Attempt::Lost { sha256 } => {
                *lost = Some(sha256);
                continue;
            }
        };
        // Nothing written (the graph already held these bytes, or there was nothing to read):
        // nothing this round did can be stale, and a later upload has its own event. The
        // images of the version the stored one replaced are deleted (again: a run whose
        // commit's answer was lost never got to it).
        if matches!(
            round.processed,
            Processed::Unchanged { .. } | Processed::Gone
        ) {
            if let Some(old) = &round.replaced {
                let started = Instant::now();
                let deleted =
                    delete_images(ports.images, &graph::design_id(bucket, key), old).await;
                times.upload += started.elapsed();
                deleted?;
            }
            return Ok(round.processed);
        }
        // After the commit, at once: the check of the key, and the deletion of the images of
        // the version just replaced (no longer shown). Should a deletion fail, the record fails
        // and a retry finds the design unchanged (the images are then left, see the README).
        let design_id = graph::design_id(bucket, key);
        let (now, deleted) = futures_util::future::join(
            timed(ports.source.head(bucket, key)),
            timed(async {
                match &round.replaced {
                    Some(old) => delete_images(ports.images, &design_id, old).await,
                    None => Ok(()),
                }
            }),
        )
        .await;
        times.fetch += now.1;
        times.upload += deleted.1;
        deleted.0?;
        match (now.0?, round.processed) {
            // Deleted while processed (its delete event may already have been handled).
            (None, _) => {
                let started = Instant::now();
                let deleted = delete_design(ports.graph, ports.images, bucket, key).await;
                times.graph += started.elapsed();
                deleted?;
                return Ok(Processed::Gone);
            }
            // Still the bytes that were processed (or no ETag to tell).
            (Some(head), processed)
                if round.etag.is_none() || head.etag.is_none() || head.etag == round.etag =>
            {
                return Ok(processed)
            }
            // Replaced while processed: process the new bytes.
            (Some(_), _) => continue,
        }
    }
    Err(PipelineError::Source(SourceError::Transient {
        bucket: bucket.into(),
        key: key.into(),
        reason: format!("the object changed while it was processed, {MAX_ROUNDS} times in a row"),
    }))
}

/// Awaits `f` and measures it.
async fn timed<T>(f: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let out = f.await;
    (out, started.elapsed())
}

/// When to give up images uploaded for a version that is not (yet) stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Settle {
    /// The write lost a race: another version is stored, and any worker still holding these
    /// bytes read the same stale version, so its guarded write fails too. Delete unless the
    /// stored design is this version.
    Lost,
    /// The write, or an upload, failed. The write may still have committed (its answer lost),
    /// and another worker with the same bytes (a duplicated event) uploads to the same ids and
    /// may be about to commit them: delete only once the graph has shown, for all of
    /// [`PipelineConfig::settle_within`], another version than this one.
    Failed,
}

/// Deletes the images uploaded for a version whose write did not go through, unless the
/// stored design is that very version (see [`Settle`]). The graph is asked again with growing
/// pauses; should it never answer within [`PipelineConfig::settle_within`], the images stay,
/// and a retry of the same bytes uses them. Best effort: a failed deletion costs storage,
/// never a shown image.
pub(super) async fn settle_uploads<S: ObjectSource, G: GraphSink, I: ImageStore>(
    ports: &Ports<'_, S, G, I>,
    config: &PipelineConfig,
    design_id: &str,
    sha256: &str,
    how: Settle,
) {
    let deadline = Instant::now() + config.settle_within;
    let mut pause = Duration::from_millis(100);
    let mut answered = false;
    loop {
        // An error (the graph unreachable) is asked again after the pause.
        if let Ok(mut stored) = ports.graph.stored(&[design_id.to_owned()]).await {
            if stored.pop().is_some_and(|s| s.sha256 == sha256) {
                return;
            }
            answered = true;
            if how == Settle::Lost {
                break;
            }
        }
        if Instant::now() + pause >= deadline {
            break;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
    if !answered {
        return;
    }
    let version = graph::StoredDesign {
        sha256: sha256.to_owned(),
        ..graph::StoredDesign::default()
    };
    let _ = delete_images(ports.images, design_id, &version).await;
}

/// [`settle_uploads`] after a failed upload or write, timed as upload time.
async fn give_up<S: ObjectSource, G: GraphSink, I: ImageStore>(
    ports: &Ports<'_, S, G, I>,
    config: &PipelineConfig,
    design_id: &str,
    sha256: &str,
    times: &mut StageTimes,
) {
    let started = Instant::now();
    settle_uploads(ports, config, design_id, sha256, Settle::Failed).await;
    times.upload += started.elapsed();
}

/// A round of [`process_object`](super::process_object): done, or its write lost a race.
enum Attempt {
    Done(Box<Round>),
    /// The guarded write found another version stored than the round had read; it wrote
    /// nothing, and left the images it uploaded for these bytes.
    Lost {
        sha256: String,
    },
}

/// What one round of [`process_object`](super::process_object) did.
struct Round {
    processed: Processed,
    /// The ETag of the bytes processed (`None` when they were not read).
    etag: Option<String>,
    /// The stored version this round replaced, whose images are no longer shown.
    replaced: Option<graph::StoredDesign>,
}

/// One round of [`process_object`](super::process_object): processes what the key holds now.
///
/// The network waits that do not depend on each other overlap: the download and the read of
/// what the graph holds for the key run at once, and so do the image uploads. The graph write
/// is one transaction after every upload succeeded.
async fn process_current<S: ObjectSource, G: GraphSink, I: ImageStore>(
    ports: &Ports<'_, S, G, I>,
    config: &PipelineConfig,
    bucket: &str,
    key: &str,
    times: &mut StageTimes,
) -> Result<Attempt, PipelineError> {
    let design_id = graph::design_id(bucket, key);
    let round = |processed, etag| {
        Attempt::Done(Box::new(Round {
            processed,
            etag,
            replaced: None,
        }))
    };
    // The object, and what the graph holds under its key (for the cheap skip, and to remove
    // the images it points at once replaced), at once.
    let (fetched, previous) = futures_util::future::join(
        timed(
            ports
                .source
                .fetch(bucket, key, config.parse.limits.max_input_bytes),
        ),
        timed(ports.graph.stored(std::slice::from_ref(&design_id))),
    )
    .await;
    times.fetch += fetched.1;
    times.graph += previous.1;
    let fetched = match fetched.0 {
        Ok(f) => f,
        Err(SourceError::Gone { .. }) => return Ok(round(Processed::Gone, None)),
        Err(SourceError::TooLarge { size, limit }) => {
            let started = Instant::now();
            let source = oversized_source(bucket, key, size);
            let reason = refuse_too_large(ports.graph, &source, limit).await?;
            times.graph += started.elapsed();
            return Ok(round(Processed::Invalid { design_id, reason }, None));
        }
        Err(e) => return Err(e.into()),
    };
    let previous = previous.0?.pop();
    let etag = fetched.etag.clone();
    let mut source = SourceObject::from_bytes(bucket, key, &fetched.bytes);
    source.etag = fetched.etag;
    source.version_id = fetched.version_id;

    // The same bytes already handled (written or refused) by this version: nothing to do
    // but make sure the images of the version it replaced are gone.
    if !config.force
        && previous
            .as_ref()
            .is_some_and(|s| s.has_sha256(&source.sha256, crate::VERSION))
    {
        let replaced = previous
            .and_then(|p| p.replaced_sha256)
            .map(|sha256| graph::StoredDesign {
                sha256,
                ..graph::StoredDesign::default()
            });
        return Ok(Attempt::Done(Box::new(Round {
            processed: Processed::Unchanged { design_id },
            etag,
            replaced,
        })));
    }

    let analysis = analyse_source(source, &fetched.bytes, &config.parse);
    times.parse += analysis.parse_time;
    let (Ok(parsed), None) = (&analysis.parsed, &analysis.invalid_reason) else {
        let reason = analysis.invalid_reason.clone().unwrap_or_default();
        let started = Instant::now();
        let written = ports.graph.write_design(&analysis.plan()).await;
        times.graph += started.elapsed();
        written?;
        return Ok(round(Processed::Invalid { design_id, reason }, etag));
    };

    // Images: a design whose geometry cannot be drawn is still a design, without pictures.
    let started = Instant::now();
    let rendered = geometry::resolve(&parsed.design).ok().and_then(|resolved| {
        render::render(
            &parsed.design,
            &resolved,
            analysis.figures.as_ref(),
            &config.render,
        )
        .ok()
    });
    // The flight chart, when a simulation has data (a chart that cannot be drawn is left
    // out, like a profile).
    let flight = chart::primary_chart(&parsed.design, &config.chart)
        .ok()
        .flatten();
    times.render += started.elapsed();
    let mut files = Vec::new();
    if let Some(r) = rendered {
        files.extend([
            (ImageKind::Profile, r.png),
            (ImageKind::Thumbnail, r.thumb_png),
            (ImageKind::Svg, r.svg.into_bytes()),
        ]);
    }
    if let Some(c) = flight {
        files.extend([
            (ImageKind::FlightChart, c.png),
            (ImageKind::FlightChartSvg, c.svg.into_bytes()),
        ]);
    }
    // Images go under ids of this file version, so the stored design keeps showing its own
    // until the graph commits the new one. When the stored design is this very version (a
    // forced run), the ids are the ones it shows.
    let shown = previous
        .as_ref()
        .is_some_and(|p| p.status == "ok" && p.sha256 == analysis.source.sha256);
    let started = Instant::now();
    let images = upload_all(ports.images, &design_id, &analysis.source.sha256, files).await;
    times.upload += started.elapsed();
    let images = match images {
        Ok(images) => images,
        // The ones that went up are given up like those of a failed write (unless they are
        // the ids the stored design shows).
        Err(e) => {
            if !shown {
                give_up(ports, config, &design_id, &analysis.source.sha256, times).await;
            }
            return Err(e);
        }
    };

    // Written only while the graph still holds what was read above: the images to delete
    // once replaced were chosen from it, and a worker that wrote since must not be undone.
    let read = previous
        .as_ref()
        .map_or(String::new(), |p| p.sha256.clone());
    let replaced = previous.filter(|p| p.status == "ok" && p.sha256 != analysis.source.sha256);
    let input = analysis
        .graph_input()
        .with_images(images.clone())
        .with_replaced(replaced.as_ref().map(|p| p.sha256.clone()));
    let plan = graph::plan(&input).guarded(&read);
    let started = Instant::now();
    let written = ports.graph.write_design(&plan).await;
    times.graph += started.elapsed();
    match written {
        Ok(_) => {}
        Err(graph::GraphError::Conflict { .. }) => {
            return Ok(Attempt::Lost {
                sha256: analysis.source.sha256.clone(),
            })
        }
        // Whether it committed is unknown (the connection may have dropped after the commit):
        // the graph is asked before the uploads are deleted.
        Err(e) => {
            if !shown {
                give_up(ports, config, &design_id, &analysis.source.sha256, times).await;
            }
            return Err(e.into());
        }
    }

    Ok(Attempt::Done(Box::new(Round {
        processed: Processed::Written { design_id, images },
        etag,
        replaced,
    })))
}
