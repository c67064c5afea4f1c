//! The rounds of [`process_object`](super::process_object): one round reads what the key
//! holds, uploads its images under a revision of its own, and writes it only while the graph
//! still holds the revision it read (the guard); a round whose write lost a race, or whose key
//! changed meanwhile, is followed by another. A round whose write did not go through deletes
//! its own uploads at once: no other attempt shares their ids.

use std::future::Future;
use std::time::{Duration, Instant};

use super::images::{delete_images, discard, upload_all};
use super::{
    analyse_source, delete_design, oversized_source, refuse_too_large, ObjectSource,
    PipelineConfig, PipelineError, Ports, Processed, SourceError, StageTimes, MAX_ROUNDS,
};
use crate::geometry;
use crate::graph::{self, GraphSink, SourceObject};
use crate::publish::{self, ImageKind, ImageStore};
use crate::render::{self, chart, mesh};

/// The rounds of [`process_object`](super::process_object).
pub(super) async fn rounds<S: ObjectSource, G: GraphSink, I: ImageStore>(
    ports: &Ports<'_, S, G, I>,
    config: &PipelineConfig,
    bucket: &str,
    key: &str,
    times: &mut StageTimes,
) -> Result<Processed, PipelineError> {
    for _ in 0..MAX_ROUNDS {
        // Boxed: the round's future holds the download, the parse and the uploads, and would
        // otherwise sit on the caller's stack (large in debug builds).
        let round = match Box::pin(process_current(ports, config, bucket, key, times)).await? {
            Attempt::Done(round) => round,
            // Another worker wrote the key since this round read it (this round's uploads are
            // gone already): read it again.
            Attempt::Lost => continue,
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

/// Deletes this attempt's own uploads ([`discard`]), timed as upload time.
async fn give_up<I: ImageStore>(
    images: &I,
    design_id: &str,
    revision: &str,
    times: &mut StageTimes,
) {
    let started = Instant::now();
    discard(images, design_id, revision).await;
    times.upload += started.elapsed();
}

/// Whether a failed write may have committed: the connection broke (perhaps after the
/// commit), rather than the server answering with an error.
fn outcome_unknown(e: &graph::GraphError) -> bool {
    match e {
        graph::GraphError::Unavailable { .. } => true,
        graph::GraphError::RetriesExhausted { last, .. } => outcome_unknown(last),
        _ => false,
    }
}

/// After a graph write failed with its outcome unknown (the connection dropped, perhaps after
/// the commit, perhaps with the transaction still running on the server): the same write
/// again, with growing pauses, for up to [`PipelineConfig::outcome_within`]. The write is
/// idempotent by its revision (see [`graph::GraphPlan::write_statement`]) and takes the
/// design's lock, so its answer settles the first one's too: `Ok(true)`, this revision is
/// stored; `Ok(false)`, another one is, and the first write can no longer go through. `Err`:
/// the graph never answered.
async fn write_again<G: GraphSink>(
    graph_sink: &G,
    config: &PipelineConfig,
    plan: &graph::GraphPlan,
    first: graph::GraphError,
) -> Result<bool, graph::GraphError> {
    let deadline = Instant::now() + config.outcome_within;
    let mut pause = Duration::from_millis(100);
    let mut last = first;
    while Instant::now() + pause < deadline {
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
        match graph_sink.write_design(plan).await {
            Ok(_) => return Ok(true),
            Err(graph::GraphError::Conflict { .. }) => return Ok(false),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A round of [`process_object`](super::process_object): done, or its write lost a race.
enum Attempt {
    Done(Box<Round>),
    /// The guarded write found another revision stored than the round had read; it wrote
    /// nothing, and deleted the images it uploaded.
    Lost,
}

/// What one round of [`process_object`](super::process_object) did.
struct Round {
    processed: Processed,
    /// The ETag of the bytes processed (`None` when they were not read).
    etag: Option<String>,
    /// The revision this round replaced, whose images are no longer shown.
    replaced: Option<String>,
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
        let replaced = previous.and_then(|p| p.replaced().map(str::to_owned));
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
    // The 3D model comes from the same resolved geometry; why a good design has none is
    // recorded on it (`model_error`).
    let started = Instant::now();
    let resolved = geometry::resolve(&parsed.design);
    let rendered = resolved.as_ref().ok().and_then(|resolved| {
        render::render(
            &parsed.design,
            resolved,
            analysis.figures.as_ref(),
            &config.render,
        )
        .ok()
    });
    let model = match (&config.model, &resolved) {
        (None, _) => Ok(None),
        (Some(mesh_config), Ok(resolved)) => mesh::to_glb(&parsed.design, resolved, mesh_config)
            .map(Some)
            .map_err(|e| format!("{e} [{}]", e.code())),
        (Some(_), Err(e)) => Err(format!("{e} [{}]", e.code())),
    };
    // The flight chart, when a simulation has data (a chart that cannot be drawn is left
    // out, like a profile).
    let flight = chart::primary_chart(&parsed.design, &config.chart)
        .ok()
        .flatten();
    times.render += started.elapsed();
    let (model, model_error) = match model {
        Ok(glb) => (glb, None),
        Err(e) => (None, Some(e)),
    };
    // The model first: the largest file, its upload starts first.
    let mut files: Vec<(ImageKind, Vec<u8>)> = model
        .map(|glb| (ImageKind::Model, glb))
        .into_iter()
        .collect();
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
    // Images go under ids of this attempt's own revision, so the stored design keeps showing
    // its own until the graph commits the new one, and no other attempt (a duplicated event,
    // a reprocess beside the Lambda, a forced run of the same bytes) can overwrite or delete
    // them.
    let revision = publish::new_revision(&analysis.source.sha256);
    let started = Instant::now();
    let images = upload_all(ports.images, &design_id, &revision, files).await;
    times.upload += started.elapsed();
    let images = match images {
        Ok(images) => images,
        Err(e) => {
            give_up(ports.images, &design_id, &revision, times).await;
            return Err(e);
        }
    };

    // Written only while the graph still holds the revision read above: the images to delete
    // once replaced were chosen from it, and a worker that wrote since must not be undone.
    let read = previous
        .as_ref()
        .map_or(String::new(), |p| p.revision().to_owned());
    let replaced = previous
        .filter(|p| p.status == "ok")
        .map(|p| p.revision().to_owned());
    let input = analysis
        .graph_input()
        .with_images(images.clone())
        .with_revision(Some(revision.clone()))
        .with_model_error(model_error)
        .with_replaced(replaced.clone());
    let plan = graph::plan(&input).guarded(&read);
    let started = Instant::now();
    let written = ports.graph.write_design(&plan).await;
    times.graph += started.elapsed();
    match written {
        Ok(_) => {}
        Err(graph::GraphError::Conflict { .. }) => {
            give_up(ports.images, &design_id, &revision, times).await;
            return Ok(Attempt::Lost);
        }
        // Refused by the server (an error answer rolls the transaction back): nothing was
        // written.
        Err(e) if !outcome_unknown(&e) => {
            give_up(ports.images, &design_id, &revision, times).await;
            return Err(e.into());
        }
        // Whether it committed is unknown: the same write again says.
        Err(e) => {
            let started = Instant::now();
            let again = write_again(ports.graph, config, &plan, e).await;
            times.graph += started.elapsed();
            match again {
                Ok(true) => {}
                Ok(false) => {
                    give_up(ports.images, &design_id, &revision, times).await;
                    return Ok(Attempt::Lost);
                }
                Err(e) => {
                    tracing::warn!(
                        design_id,
                        revision,
                        error = %e,
                        "the graph write failed and its outcome is unknown: its images stay"
                    );
                    return Err(e.into());
                }
            }
        }
    }

    Ok(Attempt::Done(Box::new(Round {
        processed: Processed::Written { design_id, images },
        etag,
        replaced,
    })))
}
