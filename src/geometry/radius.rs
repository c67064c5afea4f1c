//! Automatic radii of body components, following OpenRocket's `SymmetricComponent`
//! neighbour search (`getPreviousSymmetricComponent` / `getNextSymmetricComponent`) and the
//! auto rules of `BodyTube` and `Transition` / `NoseCone`.
//!
//! * a transition's (or flipped nose cone's) automatic fore radius is the previous inline
//!   symmetric component's "front auto radius"; its automatic aft radius the next one's
//!   "rear auto radius"; no neighbour gives [`DEFAULT_RADIUS`];
//! * an automatic body tube takes the previous component's front auto radius unless that one
//!   itself relies on its next neighbour, else the next one's rear auto radius, else the
//!   default; automatic body tubes pass the query on to their own neighbours (chains);
//! * the search walks back (or forward) through the siblings, then into the previous (next)
//!   stage; children of a pod or booster on the axis may also match the body tube it hangs on.

use crate::model::{AutoValue, Component, Design, Geometry};

/// OpenRocket's `SymmetricComponent.DEFAULT_RADIUS`.
pub const DEFAULT_RADIUS: f64 = 0.025;

/// Recursion bound; auto chains in real designs are a handful long.
const MAX_DEPTH: u32 = 256;

/// Resolves body radii lazily with memoisation.
pub(crate) struct BodyRadii<'a> {
    design: &'a Design,
    /// Axial offset of each component's fore end from its parent's fore end.
    rel_x: &'a [f64],
    len: &'a [f64],
    fore: Vec<Option<f64>>,
    aft: Vec<Option<f64>>,
    tube: Vec<Option<(f64, Option<usize>)>>,
}

pub(crate) fn is_symmetric(c: &Component) -> bool {
    matches!(
        c.geometry,
        Geometry::NoseCone(_) | Geometry::Transition(_) | Geometry::BodyTube(_)
    )
}

fn is_assembly(c: &Component) -> bool {
    matches!(
        c.geometry,
        Geometry::Stage(_) | Geometry::PodSet(_) | Geometry::ParallelStage(_)
    )
}

fn is_ring_instanceable(c: &Component) -> bool {
    matches!(c.geometry, Geometry::PodSet(_) | Geometry::ParallelStage(_))
}

/// Whether a pod / booster sits on the axis of its parent (coaxial, or free with offset 0).
fn on_axis(c: &Component) -> bool {
    match &c.radius_offset {
        Some(o) => {
            let m = o.method.to_ascii_lowercase();
            m == "coaxial" || (m == "free" && o.value.abs() < 1e-9)
        }
        None => false,
    }
}

fn auto_flag(v: &Option<AutoValue>) -> bool {
    // A missing radius reads as automatic: OpenRocket's constructors default to auto.
    v.as_ref().is_none_or(|a| a.auto || a.value.is_none())
}

fn fixed(v: &Option<AutoValue>) -> f64 {
    v.as_ref()
        .and_then(|a| a.value)
        .unwrap_or(DEFAULT_RADIUS)
        .max(0.0)
}

impl<'a> BodyRadii<'a> {
    pub fn new(design: &'a Design, rel_x: &'a [f64], len: &'a [f64]) -> Self {
        let n = design.components.len();
        Self {
            design,
            rel_x,
            len,
            fore: vec![None; n],
            aft: vec![None; n],
            tube: vec![None; n],
        }
    }

    fn comp(&self, i: usize) -> &'a Component {
        &self.design.components[i]
    }

    fn fore_auto(&self, i: usize) -> bool {
        match &self.comp(i).geometry {
            Geometry::NoseCone(t) => t.flipped && auto_flag(&t.aft_radius_m),
            Geometry::Transition(t) => auto_flag(&t.fore_radius_m),
            Geometry::BodyTube(b) => auto_flag(&b.radius_m),
            _ => false,
        }
    }

    fn aft_auto(&self, i: usize) -> bool {
        match &self.comp(i).geometry {
            Geometry::NoseCone(t) => !t.flipped && auto_flag(&t.aft_radius_m),
            Geometry::Transition(t) => auto_flag(&t.aft_radius_m),
            Geometry::BodyTube(b) => auto_flag(&b.radius_m),
            _ => false,
        }
    }

    /// Fore radius of a symmetric component.
    pub fn fore(&mut self, i: usize) -> f64 {
        self.fore_d(i, 0)
    }

    /// Aft radius of a symmetric component.
    pub fn aft(&mut self, i: usize) -> f64 {
        self.aft_d(i, 0)
    }

    fn fore_d(&mut self, i: usize, depth: u32) -> f64 {
        if let Some(v) = self.fore[i] {
            return v;
        }
        if depth > MAX_DEPTH {
            return DEFAULT_RADIUS;
        }
        let v = match &self.comp(i).geometry {
            Geometry::NoseCone(t) if !t.flipped => 0.0,
            Geometry::NoseCone(t) if !t.aft_radius_m.as_ref().is_some_and(|a| a.auto) => {
                fixed(&t.aft_radius_m)
            }
            Geometry::Transition(t) if !auto_flag(&t.fore_radius_m) => fixed(&t.fore_radius_m),
            Geometry::NoseCone(_) | Geometry::Transition(_) => match self.prev_sym(i, depth + 1) {
                Some(c) => self.front_auto_radius(c, depth + 1),
                None => DEFAULT_RADIUS,
            },
            Geometry::BodyTube(_) => self.tube_radius(i, depth + 1),
            _ => 0.0,
        };
        // OpenRocket can hand back -1 ("no usable radius") here; a radius must not be negative.
        let v = if v < 0.0 { DEFAULT_RADIUS } else { v };
        self.fore[i] = Some(v);
        v
    }

    fn aft_d(&mut self, i: usize, depth: u32) -> f64 {
        if let Some(v) = self.aft[i] {
            return v;
        }
        if depth > MAX_DEPTH {
            return DEFAULT_RADIUS;
        }
        let v = match &self.comp(i).geometry {
            Geometry::NoseCone(t) if t.flipped => 0.0,
            Geometry::NoseCone(t) if !auto_flag(&t.aft_radius_m) => fixed(&t.aft_radius_m),
            Geometry::Transition(t) if !auto_flag(&t.aft_radius_m) => fixed(&t.aft_radius_m),
            Geometry::NoseCone(_) | Geometry::Transition(_) => match self.next_sym(i, depth + 1) {
                Some(c) => self.rear_auto_radius(c, depth + 1),
                None => DEFAULT_RADIUS,
            },
            Geometry::BodyTube(_) => self.tube_radius(i, depth + 1),
            _ => 0.0,
        };
        let v = if v < 0.0 { DEFAULT_RADIUS } else { v };
        self.aft[i] = Some(v);
        v
    }

    /// A body tube's outer radius, and the component an automatic one was taken from.
    fn tube_auto(&mut self, i: usize, depth: u32) -> (f64, Option<usize>) {
        if let Some(v) = self.tube[i] {
            return v;
        }
        let b = match &self.comp(i).geometry {
            Geometry::BodyTube(b) => b,
            _ => return (0.0, None),
        };
        if !auto_flag(&b.radius_m) {
            let v = (fixed(&b.radius_m), None);
            self.tube[i] = Some(v);
            return v;
        }
        if depth > MAX_DEPTH {
            return (DEFAULT_RADIUS, None);
        }
        // Guard against mutual recursion between two automatic tubes.
        self.tube[i] = Some((DEFAULT_RADIUS, None));
        let mut r = -1.0;
        let mut reference = None;
        if let Some(c) = self.prev_sym(i, depth + 1) {
            if !self.uses_next_auto(c, depth + 1) {
                r = self.front_auto_radius(c, depth + 1);
                reference = Some(c);
            }
        }
        if r < 0.0 {
            if let Some(c) = self.next_sym(i, depth + 1) {
                if !self.uses_prev_auto(c, depth + 1) {
                    r = self.rear_auto_radius(c, depth + 1);
                    reference = Some(c);
                }
            }
        }
        if r < 0.0 {
            r = DEFAULT_RADIUS;
        }
        self.tube[i] = Some((r, reference));
        (r, reference)
    }

    fn tube_radius(&mut self, i: usize, depth: u32) -> f64 {
        self.tube_auto(i, depth).0
    }

    fn uses_prev_auto(&mut self, c: usize, depth: u32) -> bool {
        match &self.comp(c).geometry {
            Geometry::BodyTube(_) => {
                if !self.fore_auto(c) {
                    return false;
                }
                let r = self.tube_auto(c, depth).1;
                r.is_some() && r == self.prev_sym(c, depth)
            }
            _ => self.fore_auto(c),
        }
    }

    fn uses_next_auto(&mut self, c: usize, depth: u32) -> bool {
        match &self.comp(c).geometry {
            Geometry::BodyTube(_) => {
                if !self.aft_auto(c) {
                    return false;
                }
                let r = self.tube_auto(c, depth).1;
                r.is_some() && r == self.next_sym(c, depth)
            }
            _ => self.aft_auto(c),
        }
    }

    /// The radius `c` offers to the component behind it (`getFrontAutoRadius`); -1 for none.
    fn front_auto_radius(&mut self, c: usize, depth: u32) -> f64 {
        if depth > MAX_DEPTH {
            return -1.0;
        }
        match &self.comp(c).geometry {
            Geometry::BodyTube(_) if self.aft_auto(c) => match self.prev_sym(c, depth + 1) {
                Some(p) => self.front_auto_radius(p, depth + 1),
                None => -1.0,
            },
            Geometry::BodyTube(_) => self.tube_radius(c, depth + 1),
            _ if self.aft_auto(c) => -1.0,
            _ => self.aft_d(c, depth + 1),
        }
    }

    /// The radius `c` offers to the component in front of it (`getRearAutoRadius`).
    fn rear_auto_radius(&mut self, c: usize, depth: u32) -> f64 {
        if depth > MAX_DEPTH {
            return -1.0;
        }
        match &self.comp(c).geometry {
            Geometry::BodyTube(_) if self.fore_auto(c) => match self.next_sym(c, depth + 1) {
                Some(p) => self.rear_auto_radius(p, depth + 1),
                None => -1.0,
            },
            Geometry::BodyTube(_) => self.tube_radius(c, depth + 1),
            _ if self.fore_auto(c) => -1.0,
            _ => self.fore_d(c, depth + 1),
        }
    }

    fn inline(&self, this: usize, cand: usize) -> bool {
        let tp = self.comp(this).parent;
        let cp = self.comp(cand).parent;
        if tp == cp {
            return true;
        }
        if let Some(p) = tp {
            if is_ring_instanceable(self.comp(p)) && !on_axis(self.comp(p)) {
                return false;
            }
        }
        if let Some(p) = cp {
            if is_ring_instanceable(self.comp(p)) {
                return on_axis(self.comp(p));
            }
        }
        true
    }

    /// Siblings list of `parent` (the stages, for a top-level stage).
    fn siblings_of(&self, parent: usize) -> Vec<usize> {
        match self.comp(parent).parent {
            Some(g) => self.comp(g).children.clone(),
            None => self
                .design
                .components
                .iter()
                .filter(|c| c.parent.is_none())
                .map(|c| c.index)
                .collect(),
        }
    }

    /// `getPreviousSymmetricComponent`.
    fn prev_sym(&mut self, i: usize, depth: u32) -> Option<usize> {
        if depth > MAX_DEPTH {
            return None;
        }
        let parent = self.comp(i).parent?;
        let uncles = self.siblings_of(parent);
        let mut pidx = uncles.iter().position(|&u| u == parent)? as isize;
        let mut sidx = self.comp(parent).children.iter().position(|&s| s == i)? as isize - 1;
        while pidx >= 0 {
            let sp = uncles[pidx as usize];
            if is_assembly(self.comp(sp)) {
                while sidx >= 0 {
                    let s = self.comp(sp).children[sidx as usize];
                    if is_symmetric(self.comp(s)) && self.inline(i, s) {
                        return Some(s);
                    }
                    sidx -= 1;
                }
            }
            pidx -= 1;
            if pidx >= 0 {
                sidx = self.comp(uncles[pidx as usize]).children.len() as isize - 1;
            }
        }
        let grand = self.comp(parent).parent?;
        if is_symmetric(self.comp(grand)) && self.inline(i, grand) {
            if self.rel_x[parent] + self.rel_x[i] > 0.0 {
                return Some(grand);
            }
            return self.prev_sym(grand, depth + 1);
        }
        None
    }

    /// `getNextSymmetricComponent`.
    fn next_sym(&mut self, i: usize, depth: u32) -> Option<usize> {
        if depth > MAX_DEPTH {
            return None;
        }
        let parent = self.comp(i).parent?;
        let uncles = self.siblings_of(parent);
        let mut pidx = uncles.iter().position(|&u| u == parent)?;
        let mut sidx = self.comp(parent).children.iter().position(|&s| s == i)? + 1;
        while pidx < uncles.len() {
            let sp = uncles[pidx];
            if is_assembly(self.comp(sp)) {
                while sidx < self.comp(sp).children.len() {
                    let s = self.comp(sp).children[sidx];
                    if is_symmetric(self.comp(s)) && self.inline(i, s) {
                        return Some(s);
                    }
                    sidx += 1;
                }
            }
            pidx += 1;
            sidx = 0;
        }
        // A pod / booster child of mine that is in line with me.
        for &child in &self.comp(i).children {
            if !is_assembly(self.comp(child)) {
                continue;
            }
            for &gc in &self.comp(child).children {
                if is_symmetric(self.comp(gc)) && self.inline(i, gc) {
                    let bottom_child = self.rel_x[child] + self.len[child] - self.len[i];
                    let bottom_gc = self.rel_x[gc] + self.len[gc] - self.len[child];
                    if bottom_child + bottom_gc < 0.0 {
                        return Some(gc);
                    }
                    return self.next_sym(gc, depth + 1);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn comp(index: usize, parent: Option<usize>, geometry: Geometry) -> Component {
        Component {
            index,
            parent,
            children: vec![],
            depth: 0,
            path: String::new(),
            id: index.to_string(),
            id_source: IdSource::Path,
            name: None,
            comment: None,
            axial: AxialPosition::default(),
            radius_offset: None,
            angle_offset: None,
            instance_count: None,
            instance_separation_m: None,
            material: None,
            appearance: None,
            overrides: Overrides::default(),
            motor_mount: None,
            geometry,
        }
    }

    fn design(mut comps: Vec<Component>) -> Design {
        for i in 0..comps.len() {
            if let Some(p) = comps[i].parent {
                comps[p].children.push(i);
            }
        }
        Design {
            format_version: "1.9".into(),
            creator: None,
            container: ContainerInfo {
                kind: ContainerKind::Xml,
                compressed_bytes: 0,
                xml_bytes: 0,
                design_entry: None,
                other_entries: vec![],
            },
            rocket: Rocket::default(),
            components: comps,
            simulations: vec![],
        }
    }

    fn auto() -> Option<AutoValue> {
        Some(AutoValue {
            auto: true,
            value: None,
        })
    }

    fn nose(aft: Option<AutoValue>) -> Geometry {
        Geometry::NoseCone(TransitionGeometry {
            length_m: Some(0.1),
            aft_radius_m: aft,
            shape: Some(Shape::Ogive),
            ..Default::default()
        })
    }
    fn tube(r: Option<AutoValue>) -> Geometry {
        Geometry::BodyTube(BodyTubeGeometry {
            length_m: Some(0.3),
            radius_m: r,
            ..Default::default()
        })
    }
    fn trans(f: Option<AutoValue>, a: Option<AutoValue>) -> Geometry {
        Geometry::Transition(TransitionGeometry {
            length_m: Some(0.05),
            fore_radius_m: f,
            aft_radius_m: a,
            shape: Some(Shape::Conical),
            ..Default::default()
        })
    }
    fn stage() -> Geometry {
        Geometry::Stage(StageGeometry::default())
    }

    /// `(components, expected (fore, aft) per symmetric index)`.
    fn check(comps: Vec<Component>, expected: &[(usize, f64, f64)]) {
        let d = design(comps);
        let n = d.components.len();
        let zeros = vec![0.0; n];
        let mut r = BodyRadii::new(&d, &zeros, &zeros);
        for &(i, f, a) in expected {
            let (gf, ga) = (r.fore(i), r.aft(i));
            assert!(
                (gf - f).abs() < 1e-12 && (ga - a).abs() < 1e-12,
                "component {i}: got ({gf}, {ga}), expected ({f}, {a})"
            );
        }
    }

    #[test]
    fn auto_radius_rules() {
        let f = AutoValue::fixed;
        // Nose auto aft takes the next tube's radius.
        check(
            vec![
                comp(0, None, stage()),
                comp(1, Some(0), nose(auto())),
                comp(2, Some(0), tube(Some(f(0.02)))),
            ],
            &[(1, 0.0, 0.02), (2, 0.02, 0.02)],
        );
        // Auto tube chain: nose fixed 0.03, two auto tubes follow it.
        check(
            vec![
                comp(0, None, stage()),
                comp(1, Some(0), nose(Some(f(0.03)))),
                comp(2, Some(0), tube(auto())),
                comp(3, Some(0), tube(auto())),
            ],
            &[(2, 0.03, 0.03), (3, 0.03, 0.03)],
        );
        // Auto nose, auto tube, fixed transition fore: the chain reads through the tube.
        check(
            vec![
                comp(0, None, stage()),
                comp(1, Some(0), nose(auto())),
                comp(2, Some(0), tube(auto())),
                comp(3, Some(0), trans(Some(f(0.04)), Some(f(0.02)))),
            ],
            &[(1, 0.0, 0.04), (2, 0.04, 0.04), (3, 0.04, 0.02)],
        );
        // Across a stage boundary: booster tube auto takes the transition's aft radius.
        check(
            vec![
                comp(0, None, stage()),
                comp(1, Some(0), nose(Some(f(0.02)))),
                comp(2, Some(0), trans(auto(), Some(f(0.035)))),
                comp(3, None, stage()),
                comp(4, Some(3), tube(auto())),
            ],
            &[(2, 0.02, 0.035), (4, 0.035, 0.035)],
        );
        // Nothing to copy from: default radius.
        check(
            vec![comp(0, None, stage()), comp(1, Some(0), tube(auto()))],
            &[(1, DEFAULT_RADIUS, DEFAULT_RADIUS)],
        );
    }
}
