//! Every real file in `../shared/corpus` parses, and what the parser reports agrees with facts
//! taken independently: a plain byte scan of the inflated XML, and the corpus README's table.

mod common;

use std::collections::BTreeMap;

use memchr::memmem;
use ork_processor::model::{ComponentKind, ContainerKind};
use ork_processor::ork::{self, ParseOptions};

/// Facts from a plain scan of the XML, without an XML parser.
#[derive(Debug, Default)]
struct Scan {
    version: String,
    components: BTreeMap<&'static str, usize>,
    simulations: usize,
    branches: usize,
    datapoints: usize,
    first_max_altitude: Option<f64>,
}

fn count(hay: &[u8], needle: &str) -> usize {
    memmem::find_iter(hay, needle.as_bytes()).count()
}

fn attr_after(hay: &[u8], from: usize, key: &str) -> Option<String> {
    let pat = format!("{key}=\"");
    let at = memmem::find(&hay[from..], pat.as_bytes())? + from + pat.len();
    let end = memchr::memchr(b'"', &hay[at..])? + at;
    Some(String::from_utf8_lossy(&hay[at..end]).into_owned())
}

fn scan(xml: &[u8]) -> Scan {
    let mut s = Scan {
        version: attr_after(xml, memmem::find(xml, b"<openrocket").unwrap(), "version").unwrap(),
        ..Scan::default()
    };
    let start = memmem::find(xml, b"<rocket>").expect("<rocket>");
    let end = memmem::find(xml, b"</rocket>").expect("</rocket>");
    let rocket = &xml[start..end];
    for kind in ComponentKind::ALL {
        // Component elements never carry attributes; `<stage number=…>` in a motor
        // configuration does, so it is not counted.
        let mut n = count(rocket, &format!("<{}>", kind.tag()));
        if kind == ComponentKind::ParallelStage {
            n += count(rocket, "<boosterset>");
        }
        if n > 0 {
            s.components.insert(kind.tag(), n);
        }
    }
    s.simulations = count(xml, "<simulation>") + count(xml, "<simulation ");
    s.branches = count(xml, "<databranch ") + count(xml, "<databranch>");
    s.datapoints = count(xml, "<datapoint>");
    if let Some(sim) = memmem::find(xml, b"<simulation") {
        let sim_end = memmem::find(&xml[sim..], b"</simulation>").map_or(xml.len(), |e| e + sim);
        if let Some(fd) = memmem::find(&xml[sim..sim_end], b"<flightdata") {
            s.first_max_altitude = attr_after(xml, sim + fd, "maxaltitude")
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| v.is_finite());
        }
    }
    s
}

/// A row of the corpus README table.
#[derive(Debug)]
struct Row {
    container: String,
    format: String,
    sims: usize,
    branches: usize,
    datapoints: usize,
}

fn readme_rows() -> BTreeMap<String, Row> {
    let dir = common::corpus_dir().expect("corpus");
    let text = std::fs::read_to_string(dir.join("README.md")).expect("corpus README");
    let mut rows = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(".ork"))
    {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | folder | file | bytes | container | format | creator | sims | databranches / datapoints | …
        let data = cells[8]; // e.g. "yes 5/1989" or "no 0/0"
        let (branches, datapoints) = data
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.split_once('/'))
            .map(|(b, d)| (b.parse().unwrap(), d.parse().unwrap()))
            .unwrap_or((0, 0));
        rows.insert(
            format!("{}/{}", cells[1], cells[2]),
            Row {
                container: cells[4].to_string(),
                format: cells[5].to_string(),
                sims: cells[7].parse().unwrap(),
                branches,
                datapoints,
            },
        );
    }
    rows
}

#[test]
fn every_corpus_file_agrees_with_an_independent_scan() {
    let files = common::corpus_files("every_corpus_file_agrees_with_an_independent_scan");
    if files.is_empty() {
        return;
    }
    let readme = readme_rows();
    let mut checked = 0;
    for path in &files {
        let label = format!(
            "{}/{}",
            path.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy(),
            path.file_name().unwrap().to_string_lossy()
        );
        let bytes = std::fs::read(path).unwrap();
        let parsed =
            ork::parse(&bytes, &ParseOptions::default()).unwrap_or_else(|e| panic!("{label}: {e}"));
        let d = &parsed.design;
        let xml = common::raw_xml(&bytes);
        let s = scan(&xml);

        assert_eq!(d.format_version, s.version, "{label}: version");
        assert_eq!(
            d.component_counts(),
            s.components,
            "{label}: components per type"
        );
        assert_eq!(d.simulations.len(), s.simulations, "{label}: simulations");
        let branches: usize = d.simulations.iter().map(|x| x.branches.len()).sum();
        assert_eq!(branches, s.branches, "{label}: databranches");
        let points: u64 = d
            .simulations
            .iter()
            .flat_map(|x| &x.branches)
            .map(|b| b.datapoint_count)
            .sum();
        assert_eq!(points as usize, s.datapoints, "{label}: datapoints");
        let first_alt = d
            .simulations
            .first()
            .and_then(|x| x.summary.as_ref())
            .and_then(|x| x.max_altitude_m);
        assert_eq!(
            first_alt, s.first_max_altitude,
            "{label}: first max altitude"
        );
        assert_eq!(
            d.container.xml_bytes as usize,
            xml.len(),
            "{label}: XML size"
        );
        assert!(
            parsed.warnings.is_empty(),
            "{label}: unexpected warnings {:?}",
            parsed.warnings
        );

        let row = readme
            .get(&label)
            .unwrap_or_else(|| panic!("{label} missing from the corpus README"));
        let kind = match d.container.kind {
            ContainerKind::Zip => "zip",
            ContainerKind::Gzip => "gzip",
            ContainerKind::Xml => "xml",
        };
        assert_eq!(kind, row.container, "{label}: container (README)");
        assert_eq!(d.format_version, row.format, "{label}: format (README)");
        assert_eq!(
            d.simulations.len(),
            row.sims,
            "{label}: simulations (README)"
        );
        assert_eq!(branches, row.branches, "{label}: databranches (README)");
        assert_eq!(
            points as usize, row.datapoints,
            "{label}: datapoints (README)"
        );
        checked += 1;
    }
    assert_eq!(checked, readme.len(), "every README row has a file");
    eprintln!("checked {checked} corpus files");
}

#[test]
fn ids_are_unique_and_stable() {
    for path in common::corpus_files("ids_are_unique_and_stable") {
        let bytes = std::fs::read(&path).unwrap();
        let a = ork::parse(&bytes, &ParseOptions::default()).unwrap().design;
        let b = ork::parse(&bytes, &ParseOptions::default()).unwrap().design;
        let ids: std::collections::HashSet<&str> =
            a.components.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids.len(),
            a.components.len(),
            "{}: unique ids",
            path.display()
        );
        assert_eq!(a, b, "{}: same model twice", path.display());
    }
}

#[test]
fn tree_links_are_consistent() {
    for path in common::corpus_files("tree_links_are_consistent") {
        let d = ork::parse_file(&path, &ParseOptions::default())
            .unwrap()
            .design;
        for (i, c) in d.components.iter().enumerate() {
            assert_eq!(c.index, i);
            for &ch in &c.children {
                assert!(ch > i, "pre-order: children come after their parent");
                assert_eq!(d.components[ch].parent, Some(i));
                assert_eq!(d.components[ch].depth, c.depth + 1);
            }
            match c.parent {
                None => assert_eq!(
                    c.kind(),
                    ComponentKind::Stage,
                    "{}: top level is a stage",
                    path.display()
                ),
                Some(p) => assert!(d.components[p].children.contains(&i)),
            }
        }
    }
}
