//! Flight events: which to draw ([`marks`]), and their labels in the band above the plot —
//! grouped when close, stacked on rows, never overlapping ([`Packer`]).

use super::axes::usable;
use super::{APOGEE_COLOR, MAX_LABEL_ROWS, MINOR, MINOR_TEXT};
use crate::model::BranchSeries;
use crate::render::draw::INK;
use crate::render::font;
use crate::render::scene::{Anchor, Rgba, Weight};

/// Minor event labels tried, at most (each try lays every label out again).
const MAX_MINOR_TRIES: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ev {
    LaunchRod,
    Burnout,
    Apogee,
    Deployment,
    GroundHit,
    Ignition,
    Separation,
    Ejection,
}

impl Ev {
    fn parse(kind: &str) -> Option<Ev> {
        let k = kind.trim().to_ascii_lowercase();
        Some(match k.as_str() {
            "launchrod" => Ev::LaunchRod,
            "burnout" => Ev::Burnout,
            "apogee" => Ev::Apogee,
            "recoverydevicedeployment" => Ev::Deployment,
            "groundhit" => Ev::GroundHit,
            "ignition" => Ev::Ignition,
            "stageseparation" => Ev::Separation,
            "ejectioncharge" => Ev::Ejection,
            _ => return None,
        })
    }

    pub(super) fn major(self) -> bool {
        matches!(
            self,
            Ev::LaunchRod | Ev::Burnout | Ev::Apogee | Ev::Deployment | Ev::GroundHit
        )
    }

    fn label(self) -> &'static str {
        match self {
            Ev::LaunchRod => "Launch rod clear",
            Ev::Burnout => "Burnout",
            Ev::Apogee => "Apogee",
            Ev::Deployment => "Deployment",
            Ev::GroundHit => "Ground hit",
            Ev::Ignition => "Ignition",
            Ev::Separation => "Stage separation",
            Ev::Ejection => "Ejection charge",
        }
    }

    pub(super) fn color(self) -> Rgba {
        match self {
            Ev::LaunchRod => Rgba::hex(0x56626f),
            Ev::Burnout => Rgba::hex(0xd96c00),
            Ev::Apogee => APOGEE_COLOR,
            Ev::Deployment => Rgba::hex(0x7a3db8),
            Ev::GroundHit => Rgba::hex(0x8a5a2e),
            Ev::Ignition | Ev::Separation | Ev::Ejection => MINOR,
        }
    }
}

/// One event to draw: kind, time (display units) and pixel column.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mark {
    pub(super) ev: Ev,
    pub(super) x: f64,
}

/// The events of the series worth drawing, in time order, in display time units.
pub(super) fn marks(series: &BranchSeries, t_div: f64) -> Vec<(Ev, f64)> {
    let mut launch_t = f64::INFINITY;
    for e in &series.events {
        let k = e.kind.trim().to_ascii_lowercase();
        if (k == "launch" || k == "liftoff") && usable(e.time_s) {
            launch_t = launch_t.min(e.time_s);
        }
    }
    if !launch_t.is_finite() {
        launch_t = series
            .time_s
            .iter()
            .copied()
            .filter(|t| usable(*t))
            .fold(f64::INFINITY, f64::min);
    }
    let deployments: Vec<f64> = series
        .events
        .iter()
        .filter(|e| Ev::parse(&e.kind) == Some(Ev::Deployment) && usable(e.time_s))
        .map(|e| e.time_s)
        .collect();
    let mut out: Vec<(Ev, f64)> = series
        .events
        .iter()
        .filter(|e| usable(e.time_s))
        .filter_map(|e| Ev::parse(&e.kind).map(|ev| (ev, e.time_s)))
        .filter(|(ev, t)| match ev {
            // The first ignition is the launch itself.
            Ev::Ignition => *t > launch_t + 1e-3,
            // An ejection charge that deploys something is shown by the deployment.
            Ev::Ejection => !deployments.iter().any(|d| (d - t).abs() <= 0.25),
            _ => true,
        })
        .map(|(ev, t)| (ev, t / t_div))
        .collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    // The same event twice at (nearly) the same time is one event.
    out.dedup_by(|b, a| a.0 == b.0 && (a.1 - b.1).abs() < 1e-9);
    out
}

/// Events sharing one label.
#[derive(Debug, Clone)]
pub(super) struct Group {
    marks: Vec<Mark>,
}

impl Group {
    fn x(&self) -> f64 {
        self.marks.first().map_or(0.0, |m| m.x)
    }

    /// "Apogee · Deployment", "Burnout ×3".
    pub(super) fn text(&self) -> String {
        let mut kinds: Vec<(Ev, usize)> = Vec::new();
        for m in &self.marks {
            match kinds.iter_mut().find(|(e, _)| *e == m.ev) {
                Some((_, n)) => *n += 1,
                None => kinds.push((m.ev, 1)),
            }
        }
        kinds
            .iter()
            .map(|(e, n)| {
                if *n > 1 {
                    format!("{} ×{n}", e.label())
                } else {
                    e.label().to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }

    pub(super) fn major(&self) -> bool {
        self.marks.iter().any(|m| m.ev.major())
    }

    pub(super) fn color(&self) -> Rgba {
        let first = self.marks.first().map(|m| m.ev);
        match first {
            Some(e) if e.major() && self.marks.iter().all(|m| m.ev == e) => e.color(),
            _ if self.major() => INK,
            _ => MINOR_TEXT,
        }
    }
}

/// Clusters marks (sorted by x) closer than `near` pixels.
pub(super) fn cluster(marks: &[Mark], near: f64) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for m in marks {
        match out.last_mut() {
            Some(g) if g.marks.last().is_some_and(|l| m.x - l.x <= near) => g.marks.push(*m),
            _ => out.push(Group { marks: vec![*m] }),
        }
    }
    out
}

/// A label's place in the band: its row (0 next to the plot), its text span and its line.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    pub(super) row: usize,
    pub(super) a: f64,
    pub(super) b: f64,
    pub(super) line: f64,
    pub(super) anchor: Anchor,
}

pub(super) struct Packer {
    /// Allowed text extent.
    pub(super) left: f64,
    pub(super) right: f64,
    pub(super) gap: f64,
    pub(super) pad: f64,
    pub(super) size: f64,
}

impl Packer {
    fn span(&self, x: f64, w: f64) -> (f64, f64, Anchor) {
        if x + self.gap + w <= self.right {
            (x + self.gap, x + self.gap + w, Anchor::Start)
        } else if x - self.gap - w >= self.left {
            (x - self.gap - w, x - self.gap, Anchor::End)
        } else {
            (self.right - w, self.right, Anchor::End)
        }
    }

    fn fits(&self, s: &Slot, placed: &[Slot]) -> bool {
        let p = self.pad;
        placed.iter().all(|q| {
            if q.row == s.row {
                s.b + p <= q.a || q.b + p <= s.a
            } else if q.row > s.row {
                // q's line crosses row s.row.
                !(q.line > s.a - p / 2.0 && q.line < s.b + p / 2.0)
            } else {
                !(s.line > q.a - p / 2.0 && s.line < q.b + p / 2.0)
            }
        })
    }

    fn place(&self, g: &Group, rows: usize, placed: &[Slot]) -> Option<Slot> {
        let w = font::measure(&g.text(), self.size, Weight::Regular);
        let (a, b, anchor) = self.span(g.x(), w);
        (0..rows)
            .map(|row| Slot {
                row,
                a,
                b,
                line: g.x(),
                anchor,
            })
            .find(|s| self.fits(s, placed))
    }

    /// Places the main groups, then each minor group (at most [`MAX_MINOR_TRIES`]) when it
    /// fits without merging any label that was apart before.
    pub(super) fn place_with_minor(
        &self,
        major: Vec<Group>,
        minor: Vec<Group>,
    ) -> Vec<(Group, Slot)> {
        let mut chosen = major;
        let mut placed = self.place_all(chosen.clone());
        let mut merges = chosen.len() - placed.len();
        for g in minor.into_iter().take(MAX_MINOR_TRIES) {
            let mut trial = chosen.clone();
            trial.push(g);
            trial.sort_by(|a, b| a.x().total_cmp(&b.x()));
            let p = self.place_all(trial.clone());
            if trial.len() - p.len() <= merges {
                merges = trial.len() - p.len();
                chosen = trial;
                placed = p;
            }
        }
        placed
    }

    /// Places the groups right to left, each on the lowest free row; a group that finds
    /// no row absorbs its right neighbour and tries again.
    fn place_all(&self, groups: Vec<Group>) -> Vec<(Group, Slot)> {
        let mut placed: Vec<(Group, Slot)> = Vec::new();
        for g in groups.into_iter().rev() {
            let mut g = g;
            loop {
                let slots: Vec<Slot> = placed.iter().map(|(_, s)| *s).collect();
                if let Some(s) = self.place(&g, MAX_LABEL_ROWS, &slots) {
                    placed.push((g, s));
                    break;
                }
                match placed.pop() {
                    Some((right, _)) => g.marks.extend(right.marks),
                    None => {
                        // Alone and still no room (a label wider than the band): row 0.
                        let w = font::measure(&g.text(), self.size, Weight::Regular);
                        let (a, b, anchor) = self.span(g.x(), w);
                        let s = Slot {
                            row: 0,
                            a,
                            b,
                            line: g.x(),
                            anchor,
                        };
                        placed.push((g, s));
                        break;
                    }
                }
            }
        }
        placed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_never_overlap() {
        let packer = Packer {
            left: 0.0,
            right: 1600.0,
            gap: 4.0,
            pad: 10.0,
            size: 13.5,
        };
        // A three-stage boost: many events within 50 px, then apogee and landing.
        let xs = [
            (Ev::LaunchRod, 105.0),
            (Ev::Burnout, 116.0),
            (Ev::Burnout, 133.0),
            (Ev::Burnout, 147.0),
            (Ev::Burnout, 150.0),
            (Ev::Burnout, 152.0),
            (Ev::Burnout, 160.0),
            (Ev::Deployment, 245.0),
            (Ev::Apogee, 249.0),
            (Ev::GroundHit, 1560.0),
        ];
        let marks: Vec<Mark> = xs.iter().map(|&(ev, x)| Mark { ev, x }).collect();
        let placed = packer.place_all(cluster(&marks, 6.0));
        let total: usize = placed.iter().map(|(g, _)| g.marks.len()).sum();
        assert_eq!(total, marks.len(), "every event keeps a label");
        for (i, (_, a)) in placed.iter().enumerate() {
            assert!(a.row < MAX_LABEL_ROWS);
            for (_, b) in &placed[i + 1..] {
                if a.row == b.row {
                    assert!(a.b <= b.a || b.b <= a.a, "{a:?} {b:?}");
                }
            }
        }
    }
}
