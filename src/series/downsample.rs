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
}

impl Point {
    pub fn new(seq: u64, t: f64) -> Point {
        Point {
            seq,
            t,
            v: [f64::NAN; NQ],
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

/// The rows one bucket keeps: its first row and the rows of its lowest and highest altitude
/// and vertical velocity, as indices into `pts` (a row stored once however many roles it has).
#[derive(Debug, Clone)]
struct Bucket {
    pts: [Point; 6],
    len: usize,
    /// first, min altitude, max altitude, min vertical velocity, max vertical velocity.
    role: [usize; 5],
}

impl Bucket {
    fn new() -> Bucket {
        Bucket {
            pts: [Point::new(0, f64::NAN); 6],
            len: 0,
            role: [0; 5],
        }
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Stores `p` (once) and returns its slot.
    #[inline]
    fn store(&mut self, p: &Point) -> usize {
        if self.pts[self.len - 1].seq == p.seq {
            return self.len - 1;
        }
        if self.len == self.pts.len() {
            // Full of rows that lost their roles: keep the ones that still have one.
            let mut kept = [Point::new(0, f64::NAN); 6];
            let mut n = 0;
            for r in 0..5 {
                let i = self.role[r];
                match kept[..n].iter().position(|k| k.seq == self.pts[i].seq) {
                    Some(j) => self.role[r] = j,
                    None => {
                        kept[n] = self.pts[i];
                        self.role[r] = n;
                        n += 1;
                    }
                }
            }
            self.pts = kept;
            self.len = n;
        }
        self.pts[self.len] = *p;
        self.len += 1;
        self.len - 1
    }

    #[inline]
    fn add(&mut self, p: &Point) {
        if self.len == 0 {
            self.pts[0] = *p;
            self.len = 1;
            self.role = [0; 5];
            return;
        }
        let get = |b: &Bucket, r: usize, q: usize| b.pts[b.role[r]].v[q];
        let better = [
            false,
            below(p.v[ALT], get(self, 1, ALT)),
            above(p.v[ALT], get(self, 2, ALT)),
            below(p.v[VV], get(self, 3, VV)),
            above(p.v[VV], get(self, 4, VV)),
        ];
        if better.iter().any(|&b| b) {
            let slot = self.store(p);
            for (r, &b) in better.iter().enumerate() {
                if b {
                    self.role[r] = slot;
                }
            }
        }
    }

    /// The distinct rows kept, in row order (at most five), appended to `out`.
    fn drain_into(&mut self, out: &mut Vec<Point>) {
        let start = out.len();
        for r in 0..5 {
            let p = self.pts[self.role[r]];
            if !out[start..].iter().any(|k| k.seq == p.seq) {
                out.push(p);
            }
        }
        out[start..].sort_unstable_by_key(|p| p.seq);
        self.len = 0;
    }
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

/// Downsamples one branch as its rows stream by.
#[derive(Debug)]
pub struct Sampler {
    config: SeriesConfig,
    present: [bool; NQ],
    branch: Option<String>,
    source_rows: u64,
    /// The closed buckets' rows, bucket after bucket, in row order.
    pool: Vec<Point>,
    /// Where each closed bucket ends in `pool`.
    ends: Vec<usize>,
    open: Bucket,
    open_rows: u64,
    width: u64,
    last: Option<Point>,
    max: [Option<Point>; 3],
    events: Vec<SeriesEvent>,
    /// Times of events whose nearest row is still to come, ascending.
    upcoming: VecDeque<f64>,
    /// Times of events that arrived after later rows (only in hand-made files).
    late: Vec<f64>,
    pinned: Vec<Point>,
    pub dropped: Dropped,
}

impl Sampler {
    pub fn new(config: SeriesConfig, branch: Option<String>, present: [bool; NQ]) -> Sampler {
        Sampler {
            config,
            present,
            branch,
            source_rows: 0,
            pool: Vec::new(),
            ends: Vec::new(),
            open: Bucket::new(),
            open_rows: 0,
            width: 1,
            last: None,
            max: [None; 3],
            events: Vec::new(),
            upcoming: VecDeque::new(),
            late: Vec::new(),
            pinned: Vec::new(),
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
            Some(last) if time_s < last.t => self.late.push(time_s),
            _ => {
                let at = self.upcoming.partition_point(|&t| t <= time_s);
                self.upcoming.insert(at, time_s);
            }
        }
    }

    /// A decoded row: `p.t` finite, values already screened (NaN for gaps).
    #[inline]
    pub fn push(&mut self, p: Point) {
        if let Some(last) = self.last {
            if p.t < last.t {
                self.dropped.backwards += 1;
                return;
            }
        }
        // Events between the previous row and this one: the nearer of the two rows.
        while let Some(&te) = self.upcoming.front() {
            if te > p.t {
                break;
            }
            self.upcoming.pop_front();
            let nearest = match self.last {
                Some(last) if te - last.t <= p.t - te => last,
                _ => p,
            };
            self.pin(nearest);
        }
        for (slot, q) in [ALT, VV, TA].into_iter().enumerate() {
            if self.max[slot].is_none_or(|m| above(p.v[q], m.v[q])) {
                self.max[slot] = Some(p);
            }
        }
        self.open.add(&p);
        self.open_rows += 1;
        if self.open_rows >= self.width {
            self.close_bucket();
        }
        self.last = Some(p);
    }

    fn pin(&mut self, p: Point) {
        if self.pinned.last().is_some_and(|q| q.seq == p.seq) {
            return;
        }
        if self.pinned.len() < self.config.max_events {
            self.pinned.push(p);
        }
    }

    fn close_bucket(&mut self) {
        if !self.open.is_empty() {
            self.open.drain_into(&mut self.pool);
            self.ends.push(self.pool.len());
        }
        self.open_rows = 0;
        if self.ends.len() >= 2 * self.config.max_points.max(1) {
            self.merge_pairs();
        }
    }

    /// Merges neighbouring buckets pairwise, in place: each pair keeps the rows a bucket of
    /// both would have kept.
    fn merge_pairs(&mut self) {
        let mut merged = Bucket::new();
        let mut write = 0;
        let mut start = 0;
        let mut ends = Vec::with_capacity(self.ends.len() / 2 + 1);
        for pair in self.ends.chunks(2) {
            let end = *pair.last().unwrap_or(&start);
            for i in start..end {
                let p = self.pool[i];
                merged.add(&p);
            }
            // The merged rows are at most as many as were read, and are written behind them.
            let mut out = Vec::with_capacity(5);
            merged.drain_into(&mut out);
            for p in out {
                self.pool[write] = p;
                write += 1;
            }
            ends.push(write);
            start = end;
        }
        self.pool.truncate(write);
        self.ends = ends;
        self.width *= 2;
    }

    /// Rows held now (for the bounded-memory tests).
    pub fn held_rows(&self) -> usize {
        self.pool.len() + self.open.len + self.pinned.len() + 4
    }

    /// The downsampled series.
    pub fn finish(mut self) -> BranchSeries {
        self.close_bucket();
        let Some(last) = self.last else {
            return self.into_series(&[]);
        };
        // Events after the last row: the last row is the nearest.
        if !self.upcoming.is_empty() {
            self.pin(last);
        }
        // The pool is in row order, so the sort below only has the few rows after it to place.
        let mut rows: Vec<(Point, u8)> = Vec::with_capacity(self.pool.len() + 8);
        rows.extend(self.pool.iter().map(|&p| (p, 0)));
        rows.extend(self.pinned.iter().map(|&p| (p, 1)));
        rows.extend(self.max.iter().flatten().map(|&p| (p, 2)));
        rows.push((last, 2));
        rows.sort_by_key(|(p, _)| p.seq);
        rows.dedup_by(|b, a| {
            if a.0.seq == b.0.seq {
                a.1 = a.1.max(b.1);
                true
            } else {
                false
            }
        });
        rows[0].1 = 2; // the first row
                       // Events that came after later rows: the nearest row still held.
        for &te in &self.late {
            if let Some(i) = nearest(&rows, te) {
                rows[i].1 = rows[i].1.max(1);
            }
        }
        let points: Vec<Point> = rows.iter().map(|r| r.0).collect();
        let must: Vec<u8> = rows.iter().map(|r| r.1).collect();
        let keep = select(&points, &must, self.config.max_points);
        let kept: Vec<Point> = keep.into_iter().map(|i| points[i]).collect();
        self.into_series(&kept)
    }

    fn into_series(self, kept: &[Point]) -> BranchSeries {
        to_series(
            self.branch,
            self.source_rows,
            kept,
            &self.present,
            self.events,
        )
    }
}

fn nearest(rows: &[(Point, u8)], t: f64) -> Option<usize> {
    let at = rows.partition_point(|r| r.0.t < t);
    let before = at.checked_sub(1);
    let after = (at < rows.len()).then_some(at);
    match (before, after) {
        (Some(b), Some(a)) => Some(if t - rows[b].0.t <= rows[a].0.t - t {
            b
        } else {
            a
        }),
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
    let rows: Vec<(Point, u8)> = points.iter().map(|&p| (p, 0)).collect();
    for e in &series.events {
        if let Some(i) = nearest(&rows, e.time_s) {
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
