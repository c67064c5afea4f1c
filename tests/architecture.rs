//! The layout's rules, checked on the source: every `crate::…` and `super::…` path in `src/`
//! (outside the binaries, comments and `#[cfg(test)] mod tests`) is an arrow from one file to
//! another, and the arrows must point down the layers of `ARCHITECTURE.md`, never between the
//! two entry points, and never round in a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The folders (top-level modules) and their layers, from the top.
const LAYERS: &[(&str, u8)] = &[
    // Entry points.
    ("lambda", 3),
    ("bucket", 3),
    ("exercise", 3),
    // Beside them: one line for a failed AWS call, used by both.
    ("aws_error", 3),
    // Order.
    ("pipeline", 2),
    // Stages: arrows between them are allowed, circles are not.
    ("graph", 1),
    ("render", 1),
    ("publish", 1),
    ("ork", 1),
    ("geometry", 1),
    ("series", 1),
    ("inspect", 1),
    // The bottom.
    ("model", 0),
    ("events", 0),
];

/// Arrows that must never exist, even between folders of one layer: (from, to, why).
const FORBIDDEN: &[(&str, &str, &str)] = &[
    (
        "lambda",
        "bucket",
        "the entry points share the wire contract, not each other",
    ),
    (
        "bucket",
        "lambda",
        "the entry points share the wire contract, not each other",
    ),
    (
        "aws_error",
        "lambda",
        "the entry points' shared AWS wording uses neither of them",
    ),
    (
        "aws_error",
        "bucket",
        "the entry points' shared AWS wording uses neither of them",
    ),
    ("render", "publish", "drawing knows no CDN"),
    ("geometry", "render", "physics knows no pixels"),
    ("model", "events", "the bottom imports nothing"),
    ("events", "model", "the bottom imports nothing"),
];

/// Crates of AWS clients, which only the entry points (and the binaries) may name.
const AWS_CLIENTS: &[&str] = &["aws_sdk_", "aws_config", "lambda_runtime"];

type Module = Vec<String>;

/// Every module of the library: its path (`["pipeline", "round"]`) and source file.
fn modules() -> BTreeMap<Module, String> {
    fn walk(dir: &Path, out: &mut BTreeMap<Module, String>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix("src").expect("under src/");
                let mut parts: Module = rel
                    .with_extension("")
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect();
                if parts[0] == "bin" {
                    continue;
                }
                if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                    parts.pop();
                }
                let text = std::fs::read_to_string(&path).expect("a source file");
                out.insert(parts, text);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(Path::new("src"), &mut out);
    out
}

/// The code of a file without comments, string and character literals and its unit tests.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.extend_from_slice(b"\"\"");
            }
            // A character literal ('x', '\n', '"'), not a lifetime ('a).
            b'\'' if b.get(i + 1) == Some(&b'\\') || b.get(i + 2) == Some(&b'\'') => {
                i += 1;
                while i < b.len() && b[i] != b'\'' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.extend_from_slice(b"' '");
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every path that starts with `crate::` or `super::`, with `use` groups expanded to their
/// first segment (`crate::a::{b, c::d}` gives `crate::a::b` and `crate::a::c`).
fn paths(code: &str) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let at_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let rest = &bytes[i..];
        if at_word && (rest.starts_with(b"crate::") || rest.starts_with(b"super::")) {
            let (path, group, end) = read_path(code, i);
            match group {
                Some(items) => {
                    for item in items {
                        let mut p = path.clone();
                        p.push(item);
                        out.push(p);
                    }
                }
                None => out.push(path),
            }
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// Reads `seg::seg::…` from `start`, and a following `::{…}` group's first segments.
fn read_path(code: &str, start: usize) -> (Vec<String>, Option<Vec<String>>, usize) {
    let bytes = code.as_bytes();
    let mut path = Vec::new();
    let mut i = start;
    loop {
        let s = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i > s {
            path.push(code[s..i].to_string());
        }
        if bytes[i..].starts_with(b"::{") {
            let open = i + 2;
            let mut depth = 0;
            let mut end = open;
            for (k, b) in bytes[open..].iter().enumerate() {
                match b {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + k;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let inner = &code[open + 1..end];
            let mut items = Vec::new();
            let mut depth = 0;
            let mut item = String::new();
            for c in inner.chars().chain(std::iter::once(',')) {
                match c {
                    '{' => {
                        depth += 1;
                        item.push(c)
                    }
                    '}' => {
                        depth -= 1;
                        item.push(c)
                    }
                    ',' if depth == 0 => {
                        let first: String = item
                            .trim()
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if !first.is_empty() && first != "self" {
                            items.push(first);
                        }
                        item.clear();
                    }
                    _ => item.push(c),
                }
            }
            return (path, Some(items), end + 1);
        }
        if bytes[i..].starts_with(b"::") {
            i += 2;
        } else {
            return (path, None, i);
        }
    }
}

/// The module a path names (the longest prefix that is a module), from module `from`.
fn target(mods: &BTreeMap<Module, String>, from: &Module, path: &[String]) -> Option<Module> {
    let mut abs: Module = Vec::new();
    let mut segs = path.iter().peekable();
    match segs.next().map(String::as_str) {
        Some("crate") => {}
        Some("super") => {
            // `super` of a folder's mod.rs is the folder's parent, as for a file.
            abs = from[..from.len().saturating_sub(1)].to_vec();
            while segs.peek().is_some_and(|s| *s == "super") {
                segs.next();
                abs.pop();
            }
        }
        _ => return None,
    }
    abs.extend(segs.cloned());
    (1..=abs.len())
        .rev()
        .map(|n| abs[..n].to_vec())
        .find(|m| mods.contains_key(m))
}

/// The arrows between files: module → the modules it names.
fn arrows() -> BTreeMap<Module, BTreeSet<Module>> {
    let mods = modules();
    let mut out = BTreeMap::new();
    for (m, text) in &mods {
        let mut to = BTreeSet::new();
        for p in paths(&code(text)) {
            // A folder's mod.rs names its own children by relative paths (`round::x`), which
            // are not read here: declaring a child is not an arrow back from it.
            if let Some(t) = target(&mods, m, &p).filter(|t| t != m) {
                to.insert(t);
            }
        }
        out.insert(m.clone(), to);
    }
    out
}

fn layer(m: &Module) -> Option<u8> {
    let top = m.first()?;
    LAYERS.iter().find(|(n, _)| n == top).map(|&(_, l)| l)
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "lib".into()
    } else {
        m.join("/")
    }
}

#[test]
fn every_folder_has_a_layer() {
    for m in modules().keys().filter(|m| !m.is_empty()) {
        assert!(
            layer(m).is_some(),
            "src/{} has no layer in LAYERS (and ARCHITECTURE.md)",
            m[0]
        );
    }
}

#[test]
fn arrows_point_down_and_never_between_entry_points() {
    let mut wrong = Vec::new();
    for (from, tos) in arrows() {
        for to in tos {
            let (Some(a), Some(b)) = (layer(&from), layer(&to)) else {
                continue;
            };
            if from[0] != to[0] && b > a {
                wrong.push(format!("{} -> {} (up a layer)", name(&from), name(&to)));
            }
            for (f, t, why) in FORBIDDEN {
                if from[0] == *f && to[0] == *t {
                    wrong.push(format!("{} -> {} ({why})", name(&from), name(&to)));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows that must not exist:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_circles_between_files() {
    let arrows = arrows();
    // Tarjan's strongly connected components.
    struct State<'a> {
        arrows: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        circles: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Module) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.arrows.get(v).into_iter().flatten() {
            let Some((w, _)) = s.arrows.get_key_value(w) else {
                continue;
            };
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(name(w));
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.circles.push(component);
            }
        }
    }
    let mut state = State {
        arrows: &arrows,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        circles: Vec::new(),
    };
    for v in arrows.keys() {
        if !state.index.contains_key(v) {
            visit(&mut state, v);
        }
    }
    assert!(
        state.circles.is_empty(),
        "files that import each other: {:?}",
        state.circles
    );
}

#[test]
fn only_entry_points_name_aws_clients() {
    let mut wrong = Vec::new();
    for (m, text) in modules() {
        if m.is_empty() || layer(&m) == Some(3) {
            continue;
        }
        let code = code(&text);
        for client in AWS_CLIENTS {
            if code.contains(client) {
                wrong.push(format!("src/{} names {client}", name(&m)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the core knows no AWS:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checker_sees_arrows_groups_and_circles() {
    // The parser itself: groups, nested groups, `super`, comments and strings.
    let text = "use crate::a::{b, c::{d, e}, self};\n// crate::x::y\nlet s = \"crate::q\";\n\
                use super::super::f::G;\n";
    let found = paths(&code(text));
    let want: Vec<Vec<String>> = [
        vec!["crate", "a", "b"],
        vec!["crate", "a", "c"],
        vec!["super", "super", "f", "G"],
    ]
    .iter()
    .map(|p| p.iter().map(|s| s.to_string()).collect())
    .collect();
    assert_eq!(found, want);
    // The real tree has arrows (an empty graph would pass every rule above).
    let arrows = arrows();
    let pipeline: Module = vec!["pipeline".into()];
    assert!(
        arrows[&pipeline].contains(&vec!["graph".to_string()]),
        "pipeline -> graph not seen: {:?}",
        arrows[&pipeline]
    );
}
