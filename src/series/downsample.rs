//! Streaming downsampling that keeps the flight.
//!
//! Rows arrive one at a time and are never all held. Two stages:
//!
//! 1. **Buckets while streaming.** Consecutive rows are grouped in buckets of `width` rows;
//!    each bucket keeps its first row and the rows of its lowest and highest altitude and
//!    vertical velocity (an envelope, so no peak or dip is lost). When there are
//!    `2 × max_points` buckets, neighbours are merged pairwise and `width` doubles, so memory
//!    stays within a few times `max_points` rows whatever the number of rows. Beside the
//!    buckets the sampler keeps the rows that must survive: the last row, the rows of highest
//!    altitude, vertical velocity and total acceleration (running maxima), and the row nearest
//!    each event (events are sorted by time; rows arrive in time order, so the nearest row of an
//!    event is the one just before it or just after).
//! 2. **Largest-triangle-three-buckets at the end.** The kept rows are cut into segments at the
//!    rows that must survive; the remaining point budget is shared between segments by their
//!    size, and each segment is reduced by LTTB with its two ends fixed. The triangle area is
//!    measured on altitude and vertical velocity, each scaled to its own range (so both
//!    curves keep their shape).
//!
//! The highest altitude of the result is therefore exactly the highest altitude of all rows.
//!
//! The choice of rows depends only on time, altitude, vertical velocity and total
//! acceleration, so a streamed row carries only those, with its text; every row held keeps its
//! text (one copy while streaming, shared by the roles that hold it, and an arena for the
//! pool), and [`Sampler::finish`] reads the other values from the texts of the rows kept.

use std::collections::VecDeque;

use crate::model::{BranchSeries, Quantity, SeriesEvent};

use super::SeriesConfig;

const NQ: usize = Quantity::ALL.len();
const ALT: usize = Quantity::Altitude.index();
const VV: usize = Quantity::VerticalVelocity.index();
const TA: usize = Quantity::TotalAcceleration.index();

/// One row: its number in the branch, time, and values (`NaN` where absent or a gap), indexed
/// by [`Quantity::index`].
#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub seq: u64,
    pub t: f64,
    pub v: [f64; NQ],
    /// The row ended before a column read so far (counted once per row).
    pub short: bool,
    /// Every value is read already (the row's text is not kept).
    pub complete: bool,
}

impl Point {
    pub fn new(seq: u64, t: f64) -> Point {
        Point {
            seq,
            t,
            v: [f64::NAN; NQ],
            short: false,
            complete: false,
        }
    }
}

/// `a` beats `b` as a maximum (NaN never does).
#[inline]
fn above(a: f64, b: f64) -> bool {
    a > b || (b.is_nan() && !a.is_nan())
}

/// `a` beats `b` as a minimum (NaN never does).
#[inline]
fn below(a: f64, b: f64) -> bool {
    a < b || (b.is_nan() && !a.is_nan())
}

/// Why rows or values were left out, counted for one warning each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Rows without a usable time (not a number, or not finite).
    pub no_time: u64,
    /// Rows whose time went backwards.
    pub backwards: u64,
    /// Values that were not numbers (kept as gaps).
    pub not_numbers: u64,
    /// Values that were infinite or absurd (beyond ±10⁹; kept as gaps).
    pub out_of_range: u64,
    /// Rows that end before a kept column (its value is a gap).
    pub short_rows: u64,
    /// Events past [`SeriesConfig::max_events`].
    pub events: u64,
}

/// Largest magnitude kept; beyond it a value is a gap (no flight quantity comes near it).
pub const MAX_ABS: f64 = 1e9;

/// The texts of the rows held while streaming (the open bucket's, the running maxima's, the
/// last row's), one copy per row however many hold it, in reused buffers.
#[derive(Debug, Default)]
struct Texts {
    bufs: Vec<Vec<u8>>,
    holders: Vec<u32>,
    free: Vec<u32>,
}

impl Texts {
    /// Copies `text` in, held once.
    fn put(&mut self, text: &[u8]) -> u32 {
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.bufs.push(Vec::new());
                self.holders.push(0);
                (self.bufs.len() - 1) as u32
            }
        };
        let buf = &mut self.bufs[id as usize];
        buf.clear();
        buf.extend_from_slice(text);
        self.holders[id as usize] = 1;
        id
    }

    fn hold(&mut self, id: u32) {
        self.holders[id as usize] += 1;
    }

    fn release(&mut self, id: u32) {
        let h = &mut self.holders[id as usize];
        *h -= 1;
        if *h == 0 {
            self.free.push(id);
        }
    }

    fn get(&self, id: u32) -> &[u8] {
        &self.bufs[id as usize]
    }
}

/// Bytes per block of an [`Arena`].
const BLOCK: usize = 64 * 1024;

/// Where a text is in an [`Arena`]: its block, start and end.
type Span = (u32, u32, u32);

/// Texts appended one after another in blocks of [`BLOCK`] bytes, each text within one block:
/// growing never moves (or copies) what is there, so memory is what the texts hold plus at
/// most one block, whatever their number.
#[derive(Debug, Default)]
struct Arena {
    blocks: Vec<Vec<u8>>,
}

impl Arena {
    fn push(&mut self, text: &[u8]) -> Span {
        let fits = self
            .blocks
            .last()
            .is_some_and(|b| b.capacity() - b.len() >= text.len());
        if !fits {
            self.blocks.push(Vec::with_capacity(BLOCK.max(text.len())));
        }
        let at = self.blocks.len() - 1;
        let block = &mut self.blocks[at];
        let start = block.len();
        block.extend_from_slice(text);
        (at as u32, start as u32, block.len() as u32)
    }

    fn get(&self, (block, start, end): Span) -> &[u8] {
        &self.blocks[block as usize][start as usize..end as usize]
    }

    /// Moves the text at `from` to the write cursor `to` (block, offset), which is at or
    /// before it, and returns its new span; the cursor moves past it.
    fn move_down(&mut self, from: Span, to: &mut (usize, usize)) -> Span {
        let (fb, fs, fe) = (from.0 as usize, from.1 as usize, from.2 as usize);
        let len = fe - fs;
        // A text stays within one block: past the end of the cursor's block, the next one.
        if to.0 < fb && to.1 + len > self.blocks[to.0].len() {
            // What is left of that block has been read already.
            self.blocks[to.0].truncate(to.1);
            *to = (to.0 + 1, 0);
        }
        let (tb, ts) = *to;
        if tb == fb {
            self.blocks[fb].copy_within(fs..fe, ts);
        } else {
            let (before, from_on) = self.blocks.split_at_mut(fb);
            before[tb][ts..ts + len].copy_from_slice(&from_on[0][fs..fe]);
        }
        *to = (tb, ts + len);
        (tb as u32, ts as u32, (ts + len) as u32)
    }

    /// Keeps what is before the write cursor `to`.
    fn truncate(&mut self, to: (usize, usize)) {
        if self.blocks.is_empty() {
            return;
        }
        self.blocks.truncate(to.0 + 1);
        if let Some(last) = self.blocks.last_mut() {
            last.truncate(to.1);
        }
    }

    fn clear(&mut self) {
        self.blocks.clear();
    }
}

/// The distinct rows a bucket of `points` keeps, in row order: its first row and the first
/// rows of its lowest and highest altitude and vertical velocity.
fn bucket_rows(points: &[Point]) -> ([usize; 5], usize) {
    if points.is_empty() {
        return ([0; 5], 0);
    }
    let mut role = [0usize; 5];
    for (i, p) in points.iter().enumerate().skip(1) {
        if below(p.v[ALT], points[role[1]].v[ALT]) {
            role[1] = i;
        }
        if above(p.v[ALT], points[role[2]].v[ALT]) {
            role[2] = i;
        }
        if below(p.v[VV], points[role[3]].v[VV]) {
            role[3] = i;
        }
        if above(p.v[VV], points[role[4]].v[VV]) {
            role[4] = i;
        }
    }
    role.sort_unstable();
    let mut out = [0usize; 5];
    let mut n = 0;
    for i in role {
        if n == 0 || out[n - 1] != i {
            out[n] = i;
            n += 1;
        }
    }
    (out, n)
}

/// The open bucket: its first row and the rows of its lowest and highest altitude and vertical
/// velocity so far, each with its text.
#[derive(Debug)]
struct Bucket {
    /// first, min altitude, max altitude, min vertical velocity, max vertical velocity.
    role: [Option<(Point, u32)>; 5],
}

impl Bucket {
    fn new() -> Bucket {
        Bucket { role: [None; 5] }
    }

    fn is_empty(&self) -> bool {
        self.role[0].is_none()
    }

    #[inline]
    fn add(&mut self, p: &Point, text: u32, texts: &mut Texts) {
        if self.is_empty() {
            self.role = [Some((*p, text)); 5];
            for _ in 0..5 {
                texts.hold(text);
            }
            return;
        }
        let get = |b: &Bucket, r: usize, q: usize| b.role[r].map_or(f64::NAN, |(k, _)| k.v[q]);
        let better = [
            false,
            below(p.v[ALT], get(self, 1, ALT)),
            above(p.v[ALT], get(self, 2, ALT)),
            below(p.v[VV], get(self, 3, VV)),
            above(p.v[VV], get(self, 4, VV)),
        ];
        for (r, &b) in better.iter().enumerate() {
            if b {
                texts.hold(text);
                if let Some((_, old)) = self.role[r].replace((*p, text)) {
                    texts.release(old);
                }
            }
        }
    }

    /// Moves the distinct rows kept, in row order (at most five), to the pool.
    fn drain_into(&mut self, pool: &mut Pool, texts: &mut Texts) {
        let mut rows: [Option<(Point, u32)>; 5] = std::mem::take(&mut self.role);
        rows.sort_unstable_by_key(|r| r.map_or(u64::MAX, |(p, _)| p.seq));
        let mut last_seq = None;
        for (p, id) in rows.into_iter().flatten() {
            if last_seq != Some(p.seq) {
                pool.push(p, texts.get(id));
                last_seq = Some(p.seq);
            }
            texts.release(id);
        }
    }
}

thread_local! {
    /// The emptied pool of the branch decoded last on this thread. A file's branches are
    /// decoded one after another, so the next one reuses its buffers instead of growing new
    /// ones (only pools of at most [`SPARE_MAX_BYTES`] of text are kept).
    static SPARE: std::cell::Cell<Option<Pool>> = const { std::cell::Cell::new(None) };
}

const SPARE_MAX_BYTES: usize = 4 << 20;

/// The closed buckets' rows, bucket after bucket, in row order, with their texts.
#[derive(Debug, Default)]
struct Pool {
    points: Vec<Point>,
    spans: Vec<Span>,
    text: Arena,
    /// Where each closed bucket ends in `points`.
    ends: Vec<usize>,
}

impl Pool {
    /// An empty pool, with the buffers of the last one on this thread when there is one.
    fn reused() -> Pool {
        SPARE.take().unwrap_or_default()
    }

    /// Empties the pool and keeps its buffers for the next one on this thread.
    fn recycle(mut self) {
        if self.points.capacity() * std::mem::size_of::<Point>() <= SPARE_MAX_BYTES {
            self.points.clear();
            self.spans.clear();
            self.text.clear();
            self.ends.clear();
            SPARE.set(Some(self));
        }
    }

    fn push(&mut self, p: Point, text: &[u8]) {
        self.points.push(p);
        self.spans.push(self.text.push(text));
    }

    /// Merges neighbouring buckets pairwise, in place: each pair keeps the rows a bucket of
    /// both would have kept. The kept rows and their texts move down, in order.
    fn merge_pairs(&mut self) {
        let mut write = 0;
        let mut cursor = (0, 0);
        let mut start = 0;
        let mut ends = Vec::with_capacity(self.ends.len() / 2 + 1);
        for pair in self.ends.chunks(2) {
            let end = *pair.last().unwrap_or(&start);
            let (keep, n) = bucket_rows(&self.points[start..end]);
            for &k in &keep[..n] {
                let i = start + k;
                self.points[write] = self.points[i];
                self.spans[write] = self.text.move_down(self.spans[i], &mut cursor);
                write += 1;
            }
            ends.push(write);
            start = end;
        }
        self.points.truncate(write);
        self.spans.truncate(write);
        self.text.truncate(cursor);
        self.ends = ends;
    }
}

/// Downsamples one branch as its rows stream by.
#[derive(Debug)]
pub struct Sampler {
    config: SeriesConfig,
    present: [bool; NQ],
    branch: Option<String>,
    source_rows: u64,
    pool: Pool,
    open: Bucket,
    open_rows: u64,
    width: u64,
    texts: Texts,
    last: Option<(Point, u32)>,
    max: [Option<(Point, u32)>; 3],
    events: Vec<SeriesEvent>,
    /// Times of events whose nearest row is still to come, ascending.
    upcoming: VecDeque<f64>,
    /// Times of events that arrived after later rows (only in hand-made files).
    late: Vec<f64>,
    pinned: Vec<Point>,
    pinned_spans: Vec<Span>,
    pinned_text: Arena,
    pub dropped: Dropped,
}

impl Sampler {
    pub fn new(config: SeriesConfig, branch: Option<String>, present: [bool; NQ]) -> Sampler {
        Sampler {
            config,
            present,
            branch,
            source_rows: 0,
            pool: Pool::reused(),
            open: Bucket::new(),
            open_rows: 0,
            width: 1,
            texts: Texts::default(),
            last: None,
            max: [None; 3],
            events: Vec::new(),
            upcoming: VecDeque::new(),
            late: Vec::new(),
            pinned: Vec::new(),
            pinned_spans: Vec::new(),
            pinned_text: Arena::default(),
            dropped: Dropped::default(),
        }
    }

    /// Counts a datapoint row of the file, whether or not it could be used.
    #[inline]
    pub fn count_row(&mut self) {
        self.source_rows += 1;
    }

    /// An event of the branch, in file order.
    pub fn event(&mut self, kind: &str, time_s: f64) {
        if self.events.len() >= self.config.max_events {
            self.dropped.events += 1;
            return;
        }
        self.events.push(SeriesEvent {
            kind: kind.to_string(),
            time_s,
        });
        if !time_s.is_finite() {
            return;
        }
        match self.last {
            Some((last, _)) if time_s < last.t => self.late.push(time_s),
            _ => {
                let at = self.upcoming.partition_point(|&t| t <= time_s);
                self.upcoming.insert(at, time_s);
            }
        }
    }

    /// A decoded row and its text: `p.t` finite; the values the choice of rows depends on
    /// (altitude, vertical velocity, total acceleration) already screened (NaN for gaps). The
    /// others are filled in at [`Sampler::finish`], from the text, for the rows kept.
    #[inline]
    pub fn push(&mut self, p: Point, text: &[u8]) {
        if let Some((last, _)) = self.last {
            if p.t < last.t {
                self.dropped.backwards += 1;
                return;
            }
        }
        let id = self.texts.put(text);
        // Events between the previous row and this one: the nearer of the two rows.
        while let Some(&te) = self.upcoming.front() {
            if te > p.t {
                break;
            }
            self.upcoming.pop_front();
            let nearest = match self.last {
                Some((last, last_id)) if te - last.t <= p.t - te => (last, last_id),
                _ => (p, id),
            };
            self.pin(nearest);
        }
        for (slot, q) in [ALT, VV, TA].into_iter().enumerate() {
            if self.max[slot].is_none_or(|(m, _)| above(p.v[q], m.v[q])) {
                self.texts.hold(id);
                if let Some((_, old)) = self.max[slot].replace((p, id)) {
                    self.texts.release(old);
                }
            }
        }
        self.open.add(&p, id, &mut self.texts);
        self.open_rows += 1;
        if self.open_rows >= self.width {
            self.close_bucket();
        }
        // The row's own hold passes to `last`.
        if let Some((_, old)) = self.last.replace((p, id)) {
            self.texts.release(old);
        }
    }

    fn pin(&mut self, (p, id): (Point, u32)) {
        if self.pinned.last().is_some_and(|q| q.seq == p.seq) {
            return;
        }
        if self.pinned.len() < self.config.max_events {
            self.pinned.push(p);
            self.pinned_spans
                .push(self.pinned_text.push(self.texts.get(id)));
        }
    }

    fn close_bucket(&mut self) {
        if !self.open.is_empty() {
            self.open.drain_into(&mut self.pool, &mut self.texts);
            self.pool.ends.push(self.pool.points.len());
        }
        self.open_rows = 0;
        if self.pool.ends.len() >= 2 * self.config.max_points.max(1) {
            self.pool.merge_pairs();
            self.width *= 2;
        }
    }

    /// The downsampled series. `complete` fills in, from a kept row's text, the values that
    /// were left for later (see [`Sampler::push`]), counting what it leaves out in `dropped`.
    pub fn finish(
        mut self,
        mut complete: impl FnMut(&[u8], &mut Point, &mut Dropped),
    ) -> (BranchSeries, Dropped) {
        self.close_bucket();
        let Some(last) = self.last else {
            return self.into_series(&[]);
        };
        // Events after the last row: the last row is the nearest.
        if !self.upcoming.is_empty() {
            self.pin(last);
        }
        // The pool is in row order, so the sort below only has the few rows after it to place.
        let mut rows: Vec<(Point, u8, &[u8])> = Vec::with_capacity(self.pool.points.len() + 8);
        rows.extend(
            self.pool
                .points
                .iter()
                .zip(&self.pool.spans)
                .map(|(&p, &s)| (p, 0, self.pool.text.get(s))),
        );
        rows.extend(
            self.pinned
                .iter()
                .zip(&self.pinned_spans)
                .map(|(&p, &s)| (p, 1, self.pinned_text.get(s))),
        );
        rows.extend(
            self.max
                .iter()
                .flatten()
                .map(|&(p, id)| (p, 2, self.texts.get(id))),
        );
        rows.push((last.0, 2, self.texts.get(last.1)));
        rows.sort_by_key(|(p, _, _)| p.seq);
        rows.dedup_by(|b, a| {
            if a.0.seq == b.0.seq {
                a.1 = a.1.max(b.1);
                true
            } else {
                false
            }
        });
        rows[0].1 = 2; // the first row
        let points: Vec<Point> = rows.iter().map(|r| r.0).collect();
        let mut must: Vec<u8> = rows.iter().map(|r| r.1).collect();
        // Events that came after later rows: the nearest row still held.
        for &te in &self.late {
            if let Some(i) = nearest(&points, te) {
                must[i] = must[i].max(1);
            }
        }
        let keep = select(&points, &must, self.config.max_points);
        let mut dropped = self.dropped;
        let kept: Vec<Point> = keep
            .into_iter()
            .map(|i| {
                let mut p = points[i];
                complete(rows[i].2, &mut p, &mut dropped);
                p
            })
            .collect();
        drop(rows);
        self.dropped = dropped;
        self.into_series(&kept)
    }

    fn into_series(self, kept: &[Point]) -> (BranchSeries, Dropped) {
        self.pool.recycle();
        let series = to_series(
            self.branch,
            self.source_rows,
            kept,
            &self.present,
            self.events,
        );
        (series, self.dropped)
    }
}

fn nearest(rows: &[Point], t: f64) -> Option<usize> {
    let at = rows.partition_point(|r| r.t < t);
    let before = at.checked_sub(1);
    let after = (at < rows.len()).then_some(at);
    match (before, after) {
        (Some(b), Some(a)) => Some(if t - rows[b].t <= rows[a].t - t { b } else { a }),
        (b, a) => b.or(a),
    }
}

fn to_series(
    branch: Option<String>,
    source_rows: u64,
    kept: &[Point],
    present: &[bool; NQ],
    events: Vec<SeriesEvent>,
) -> BranchSeries {
    let mut s = BranchSeries {
        branch,
        source_rows,
        time_s: kept.iter().map(|p| p.t).collect(),
        events,
        ..BranchSeries::default()
    };
    for q in Quantity::ALL {
        if present[q.index()] {
            *s.slot(q) = Some(
                kept.iter()
                    .map(|p| Some(p.v[q.index()]).filter(|v| !v.is_nan()))
                    .collect(),
            );
        }
    }
    s
}

/// Reduces a series already in memory to at most `max_points`, keeping the same rows a
/// streaming pass keeps: first, last, the highest altitude, vertical velocity and total
/// acceleration, and the row nearest each event.
pub fn reduce(series: &BranchSeries, max_points: usize) -> BranchSeries {
    if series.len() <= max_points {
        return series.clone();
    }
    let mut present = [false; NQ];
    let mut points: Vec<Point> = (0..series.len())
        .map(|i| Point::new(i as u64, series.time_s[i]))
        .collect();
    for (q, values) in series.quantities() {
        present[q.index()] = true;
        for (p, v) in points.iter_mut().zip(values) {
            p.v[q.index()] = v.unwrap_or(f64::NAN);
        }
    }
    let mut must = vec![0u8; points.len()];
    must[0] = 2;
    *must.last_mut().unwrap_or(&mut 0) = 2;
    for q in [ALT, VV, TA] {
        let best = (0..points.len()).fold(None, |best: Option<usize>, i| match best {
            Some(b) if !above(points[i].v[q], points[b].v[q]) => best,
            _ if points[i].v[q].is_nan() => best,
            _ => Some(i),
        });
        if let Some(i) = best {
            must[i] = 2;
        }
    }
    for e in &series.events {
        if let Some(i) = nearest(&points, e.time_s) {
            must[i] = must[i].max(1);
        }
    }
    let keep = select(&points, &must, max_points);
    let kept: Vec<Point> = keep.into_iter().map(|i| points[i]).collect();
    to_series(
        series.branch.clone(),
        series.source_rows,
        &kept,
        &present,
        series.events.clone(),
    )
}

/// Chooses at most `k` of `points` (in order): every point with `must ≥ 1` (priority 2 first
/// when they do not all fit), then, between them, the points LTTB picks.
pub(crate) fn select(points: &[Point], must: &[u8], k: usize) -> Vec<usize> {
    let n = points.len();
    if n <= k {
        return (0..n).collect();
    }
    if k == 0 {
        return Vec::new();
    }
    let mut anchors: Vec<usize> = (0..n).filter(|&i| must[i] > 0).collect();
    if anchors.len() >= k {
        // More rows must stay than fit: every priority-2 row, then events evenly.
        let top: Vec<usize> = anchors.iter().copied().filter(|&i| must[i] >= 2).collect();
        let rest: Vec<usize> = anchors.iter().copied().filter(|&i| must[i] < 2).collect();
        let room = k.saturating_sub(top.len());
        let mut out: Vec<usize> = top.into_iter().take(k).collect();
        if room > 0 && !rest.is_empty() {
            let step = rest.len() as f64 / room as f64;
            out.extend((0..room).map(|j| rest[((j as f64 * step) as usize).min(rest.len() - 1)]));
        }
        out.sort_unstable();
        out.dedup();
        return out;
    }
    if anchors.first() != Some(&0) {
        anchors.insert(0, 0);
    }
    if anchors.last() != Some(&(n - 1)) {
        anchors.push(n - 1);
    }
    let budget = k.saturating_sub(anchors.len());
    let scale = Scale::of(points);
    // Share the budget by interior size (largest remainder).
    let interiors: Vec<usize> = anchors.windows(2).map(|w| w[1] - w[0] - 1).collect();
    let total: usize = interiors.iter().sum();
    let mut share: Vec<usize> = Vec::with_capacity(interiors.len());
    let mut remainders: Vec<(f64, usize)> = Vec::with_capacity(interiors.len());
    if total > 0 {
        for (j, &c) in interiors.iter().enumerate() {
            let exact = budget as f64 * c as f64 / total as f64;
            share.push((exact.floor() as usize).min(c));
            remainders.push((exact - exact.floor(), j));
        }
        let mut left = budget.saturating_sub(share.iter().sum());
        remainders.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, j) in &remainders {
            if left == 0 {
                break;
            }
            if share[j] < interiors[j] {
                share[j] += 1;
                left -= 1;
            }
        }
    } else {
        share.resize(interiors.len(), 0);
    }
    let mut out = Vec::with_capacity(k);
    for (j, w) in anchors.windows(2).enumerate() {
        out.push(w[0]);
        lttb(points, w[0], w[1], share[j], &scale, &mut out);
    }
    out.push(n - 1);
    out
}

/// Normalisation of the triangle areas: time span and the ranges of altitude and vertical
/// velocity.
struct Scale {
    t: f64,
    y: [(usize, f64); 2],
}

impl Scale {
    fn of(points: &[Point]) -> Scale {
        let span = |f: &dyn Fn(&Point) -> f64| {
            let (lo, hi) = points
                .iter()
                .map(f)
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
            if hi > lo {
                1.0 / (hi - lo)
            } else {
                0.0
            }
        };
        Scale {
            t: span(&|p| p.t),
            y: [(ALT, span(&|p| p.v[ALT])), (VV, span(&|p| p.v[VV]))],
        }
    }

    /// Twice the triangle's area, summed over the scaled quantities (gaps count 0).
    #[inline]
    fn area(&self, a: &Point, b: &Point, c: (f64, [f64; 2])) -> f64 {
        let (ax, bx) = (a.t * self.t, b.t * self.t);
        let cx = c.0 * self.t;
        let mut area = 0.0;
        for (j, &(q, s)) in self.y.iter().enumerate() {
            let (ay, by, cy) = (a.v[q] * s, b.v[q] * s, c.1[j] * s);
            let v = ((ax - cx) * (by - ay) - (ax - bx) * (cy - ay)).abs();
            if v.is_finite() {
                area += v;
            }
        }
        area
    }
}

/// LTTB between the fixed points `a` and `b` (exclusive): appends `m` chosen indices.
fn lttb(points: &[Point], a: usize, b: usize, m: usize, scale: &Scale, out: &mut Vec<usize>) {
    let first = a + 1;
    let count = b - first;
    if m == 0 || count == 0 {
        return;
    }
    if m >= count {
        out.extend(first..b);
        return;
    }
    let edge = |j: usize| first + j * count / m;
    let mut prev = a;
    for j in 0..m {
        let (lo, hi) = (edge(j), edge(j + 1));
        let next = if j + 1 < m {
            average(&points[hi..edge(j + 2)], scale)
        } else {
            let p = &points[b];
            (p.t, [p.v[scale.y[0].0], p.v[scale.y[1].0]])
        };
        let mut best = lo;
        let mut best_area = -1.0;
        for i in lo..hi {
            let area = scale.area(&points[prev], &points[i], next);
            if area > best_area {
                best_area = area;
                best = i;
            }
        }
        out.push(best);
        prev = best;
    }
}

fn average(points: &[Point], scale: &Scale) -> (f64, [f64; 2]) {
    let n = points.len().max(1) as f64;
    let mut t = 0.0;
    let mut y = [0.0; 2];
    let mut counts = [0usize; 2];
    for p in points {
        t += p.t;
        for (j, &(q, _)) in scale.y.iter().enumerate() {
            if p.v[q].is_finite() {
                y[j] += p.v[q];
                counts[j] += 1;
            }
        }
    }
    for j in 0..2 {
        y[j] = if counts[j] > 0 {
            y[j] / counts[j] as f64
        } else {
            f64::NAN
        };
    }
    (t / n, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arena_texts_move_down_across_blocks_in_order() {
        let mut arena = Arena::default();
        // Texts of 1 to 4 000 bytes, about 70 blocks' worth.
        let texts: Vec<Vec<u8>> = (0..2000u32)
            .map(|i| vec![(i % 251) as u8; 1 + (i as usize * 7919) % 4000])
            .collect();
        let spans: Vec<Span> = texts.iter().map(|t| arena.push(t)).collect();
        assert!(arena.blocks.len() > 50);
        for (t, &s) in texts.iter().zip(&spans) {
            assert_eq!(arena.get(s), &t[..]);
        }
        // Keep every third text, as a merge does, and read them back.
        let mut cursor = (0, 0);
        let kept: Vec<(usize, Span)> = (0..texts.len())
            .step_by(3)
            .map(|i| (i, arena.move_down(spans[i], &mut cursor)))
            .collect();
        arena.truncate(cursor);
        for &(i, s) in &kept {
            assert_eq!(arena.get(s), &texts[i][..], "text {i}");
        }
        let held: usize = arena.blocks.iter().map(Vec::len).sum();
        let want: usize = kept.iter().map(|&(i, _)| texts[i].len()).sum();
        assert_eq!(held, want, "nothing but the kept texts");
    }
}
