//! Unit tests over real files: the plans of every test and corpus design obey the invariants
//! the loader relies on, and the in-memory sink behaves like the real one.

use super::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `.ork` files of `testdata/` and of the shared corpus (when present), sorted.
fn design_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut dirs = vec![root.join("testdata")];
    if let Ok(rd) = std::fs::read_dir(root.join("../shared/corpus")) {
        dirs.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
    }
    for d in dirs {
        if let Ok(rd) = std::fs::read_dir(&d) {
            out.extend(
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "ork")),
            );
        }
    }
    out.sort();
    out
}

/// Plans every file (parsed or invalid) with a fixed time stamp.
fn plans() -> Vec<(PathBuf, Option<crate::model::Design>, GraphPlan)> {
    design_files()
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap_or_default();
            let key = path.to_string_lossy().into_owned();
            let source = SourceObject::from_bytes("unit", &key, &bytes);
            let parsed = crate::ork::parse(&bytes, &Default::default());
            let (design, error) = match parsed {
                Ok(p) => (Some(p.design), String::new()),
                Err(e) => (None, e.to_string()),
            };
            let outcome = match &design {
                Some(d) => Outcome::Ok(d),
                None => Outcome::Invalid(&error),
            };
            let input = DesignInput::new(source, outcome)
                .with_processed_at("2024-01-01T00:00:00Z")
                .with_figures(Some(Figures::default().with("stability_cal", 1.25)));
            let plan = plan(&input);
            (path, design, plan)
        })
        .collect()
}

fn all_primitive(v: &Value) -> bool {
    match v {
        Value::List(items) => items
            .iter()
            .all(|i| !matches!(i, Value::List(_) | Value::Map(_))),
        Value::Map(_) => false,
        _ => true,
    }
}

#[test]
fn plans_obey_the_loader_invariants() {
    let plans = plans();
    assert!(plans.len() >= 10, "too few test files: {}", plans.len());
    for (path, design, p) in &plans {
        let at = path.display();
        let g = &p.graph;
        // Bounded statements: 1 design + 4 removals + ≤21 kinds + 13 other statements.
        assert!(p.statements.len() <= 39, "{at}: {}", p.statements.len());
        for st in &p.statements {
            for name in parameter_names(&st.cypher) {
                assert!(st.params.contains_key(name), "{at}: ${name} unbound");
            }
            assert!(!st.cypher.contains('\''), "{at}: literal in {}", st.cypher);
            assert!(!st.cypher.contains(&p.design_id), "{at}: id interpolated");
        }
        // Properties are primitives or lists of them.
        let nodes = std::iter::once(&g.design)
            .chain(g.components.iter().map(|c| &c.props))
            .chain(g.materials.iter().map(|n| &n.props))
            .chain(g.motors.iter().map(|n| &n.props))
            .chain(g.configurations.iter().map(|n| &n.props))
            .chain(g.simulations.iter().map(|n| &n.props))
            .chain(g.branches.iter().map(|n| &n.props));
        for props in nodes {
            for (k, v) in props {
                assert!(all_primitive(v), "{at}: {k} = {v:?}");
            }
        }
        // Keys are unique, and every relationship joins nodes of this graph.
        let uids: BTreeSet<&str> = g.components.iter().map(|c| c.uid.as_str()).collect();
        assert_eq!(uids.len(), g.components.len(), "{at}: duplicate uid");
        let cfgs: BTreeSet<&str> = g.configurations.iter().map(|c| c.uid.as_str()).collect();
        let mats: BTreeSet<&str> = g.materials.iter().map(|c| c.uid.as_str()).collect();
        let mots: BTreeSet<&str> = g.motors.iter().map(|c| c.uid.as_str()).collect();
        let sims: BTreeSet<&str> = g.simulations.iter().map(|c| c.uid.as_str()).collect();
        for r in &g.contains {
            assert!(uids.contains(r.from.as_str()) && uids.contains(r.to.as_str()));
        }
        for r in &g.has_stage {
            assert!(
                r.from == p.design_id && uids.contains(r.to.as_str()),
                "{at}"
            );
        }
        for r in &g.made_of {
            assert!(uids.contains(r.from.as_str()) && mats.contains(r.to.as_str()));
        }
        for r in &g.uses {
            assert!(cfgs.contains(r.from.as_str()) && mots.contains(r.to.as_str()));
        }
        for r in &g.flies {
            assert!(sims.contains(r.from.as_str()) && cfgs.contains(r.to.as_str()));
        }
        // A simulation's other branches: a node each, linked from it.
        let branches: BTreeSet<&str> = g.branches.iter().map(|b| b.uid.as_str()).collect();
        assert_eq!(
            branches.len(),
            g.branches.len(),
            "{at}: duplicate branch uid"
        );
        assert_eq!(g.has_branch.len(), g.branches.len(), "{at}");
        for r in &g.has_branch {
            assert!(sims.contains(r.from.as_str()) && branches.contains(r.to.as_str()));
        }
        let extra: usize = design
            .iter()
            .flat_map(|d| &d.simulations)
            .filter_map(|s| s.series.as_ref())
            .map(|f| f.extra_branches.len())
            .sum();
        assert_eq!(
            g.branches.len(),
            extra,
            "{at}: one Branch node per other branch"
        );
        // Every component is reachable: one incoming tree edge each.
        assert_eq!(
            g.contains.len() + g.has_stage.len(),
            g.components.len(),
            "{at}"
        );
        match design {
            Some(d) => {
                assert_eq!(g.status(), "ok");
                assert_eq!(g.components.len(), d.components.len(), "{at}");
                assert_eq!(g.simulations.len(), d.simulations.len(), "{at}");
                assert_eq!(g.has_stage.len(), d.stages().count(), "{at}");
                assert_eq!(
                    g.design.get("stability_cal"),
                    Some(&Value::Float(1.25)),
                    "{at}"
                );
                for (c, rec) in d.components.iter().zip(&g.components) {
                    assert_eq!(rec.props.get("id").and_then(Value::as_str), Some(&*c.id));
                    assert_eq!(rec.kind, c.kind());
                }
            }
            None => {
                assert_eq!(g.status(), "invalid", "{at}");
                assert!(g.design.contains_key("error"));
                assert!(g.components.is_empty() && g.relationship_count() == 0);
                assert_eq!(p.statements.len(), 2, "{at}"); // keep a good design, or write this one
            }
        }
        // The offline renderings agree with the plan.
        let script = to_cypher_script(p);
        let lines: Vec<&str> = script_statements(&script).collect();
        assert_eq!(lines.len(), schema_statements().len() + p.statements.len());
        let json = to_json(p);
        let n = json["nodes"].as_array().map_or(0, Vec::len);
        assert_eq!(
            n,
            g.owned_node_count() + g.materials.len() + g.motors.len(),
            "{at}"
        );
        assert_eq!(
            json["relationships"].as_array().map_or(0, Vec::len),
            g.relationship_count()
        );
    }
}

#[test]
fn plans_are_deterministic() {
    let a = plans();
    let b = plans();
    for ((path, _, pa), (_, _, pb)) in a.iter().zip(&b) {
        assert_eq!(pa, pb, "{}", path.display());
        assert_eq!(to_cypher_script(pa), to_cypher_script(pb));
    }
}

#[test]
fn richest_design_gets_one_statement_per_kind() {
    // The design with the most component types (testdata/all-components.ork when present).
    let kinds_of = |p: &GraphPlan| -> BTreeSet<crate::model::ComponentKind> {
        p.graph.components.iter().map(|c| c.kind).collect()
    };
    let all = plans();
    let Some((_, _, p)) = all.iter().max_by_key(|(_, _, p)| kinds_of(p).len()) else {
        panic!("no test designs");
    };
    let kinds = kinds_of(p);
    assert!(kinds.len() >= 8, "{kinds:?}");
    // One create statement per kind present.
    let creates = p
        .statements
        .iter()
        .filter(|s| s.cypher.contains("CREATE (c:Component:"))
        .count();
    assert_eq!(creates, kinds.len());
    // Auto values flatten into value + flag.
    let has_auto = p
        .graph
        .components
        .iter()
        .any(|c| c.props.keys().any(|k| k.ends_with("_auto")));
    assert!(has_auto);
}

#[test]
fn invalid_plan_records_the_error() {
    let source = SourceObject::from_bytes("b", "k/x.ork", b"nonsense").with_etag("\"abc\"");
    let p = plan_invalid(&source, "not an OpenRocket design: 'x'\n");
    assert_eq!(p.graph.status(), "invalid");
    assert_eq!(
        p.graph.design.get("error").and_then(Value::as_str),
        Some("not an OpenRocket design: 'x'\n")
    );
    assert_eq!(
        p.graph.design.get("etag").and_then(Value::as_str),
        Some("\"abc\"")
    );
    assert_eq!(
        p.graph.design.get("name").and_then(Value::as_str),
        Some("x")
    );
    let script = to_cypher_script(&p);
    assert!(
        script.contains(r"'not an OpenRocket design: \'x\'\n'"),
        "{script}"
    );
}

#[test]
fn inlining_replaces_whole_parameter_names_only() {
    let st = Statement::new("RETURN $a, $ab, $a_b, $missing, 1")
        .param("a", Value::Int(1))
        .param("ab", Value::from("x$a"))
        .param("a_b", Value::Bool(true));
    assert_eq!(inline_params(&st), "RETURN 1, 'x$a', true, $missing, 1");
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(|rt| rt.block_on(f))
        .unwrap_or_else(|e| panic!("runtime: {e}"))
}

#[test]
fn memory_sink_replaces_skips_deletes_and_survives_failures() {
    let plans = plans();
    let sink = MemorySink::new();
    block_on(async {
        sink.ensure_schema().await.unwrap();
        for (_, _, p) in &plans {
            sink.write_design(p).await.unwrap();
        }
        let first = sink.counts();
        for (_, _, p) in &plans {
            sink.write_design(p).await.unwrap();
        }
        assert_eq!(sink.counts(), first, "rewrite changed the counts");
        assert_eq!(sink.design_ids().len(), plans.len());

        // A failed write leaves the previous version.
        let (_, _, p0) = &plans[0];
        let before = sink.design(&p0.design_id);
        sink.fail_next(1);
        let invalid = plan_invalid(&SourceObject::from_bytes("unit", "x", b""), "boom");
        let mut replaced = invalid.clone();
        replaced.design_id = p0.design_id.clone();
        replaced.graph.design_id = p0.design_id.clone();
        assert!(sink.write_design(&replaced).await.is_err());
        assert_eq!(sink.design(&p0.design_id), before);

        // Unchanged content is skipped.
        let bytes = std::fs::read(&plans[0].0).unwrap_or_default();
        let key = plans[0].0.to_string_lossy().into_owned();
        let src = SourceObject::from_bytes("unit", &key, &bytes);
        let input = DesignInput::new(src.clone(), Outcome::Invalid("x"));
        assert_eq!(load(&sink, &input).await.unwrap(), LoadOutcome::Unchanged);

        // mark_invalid keeps a good design and records the rejection on it.
        let good = sink.design(&src.design_id()).unwrap();
        assert_eq!(good.status(), "ok");
        sink.mark_invalid(&src, "bad").await.unwrap();
        let kept = sink.design(&src.design_id()).unwrap();
        assert_eq!(kept.status(), "ok");
        assert_eq!(kept.components, good.components);
        assert_eq!(kept.design.get("rejected_error"), Some(&Value::from("bad")));
        // Over nothing (or over an invalid design), it writes the invalid design.
        let other = SourceObject::from_bytes("unit", "other.ork", b"junk");
        sink.mark_invalid(&other, "bad").await.unwrap();
        sink.mark_invalid(&other, "worse").await.unwrap();
        let invalid = sink.design(&other.design_id()).unwrap();
        assert_eq!(invalid.status(), "invalid");
        assert_eq!(invalid.design.get("error"), Some(&Value::from("worse")));
        // Delete removes, shared nodes stay.
        let materials = sink.materials().len();
        assert!(sink.delete_design(&src.design_id(), None).await.unwrap());
        assert!(!sink.delete_design(&src.design_id(), None).await.unwrap());
        assert_eq!(sink.materials().len(), materials);
        assert!(sink.has_schema());
    });
}
