//! The docs say what the code does: the configuration reference names every
//! field of the config types; README lists every summary column;
//! BENCHMARKS.md states the firm's component size.

use crate::common::root;

#[test]
fn config_reference_names_every_field() {
    let doc = std::fs::read_to_string(root().join("docs/CONFIG.md")).unwrap();
    for file in [
        "src/config/scenario.rs",
        "src/config/run.rs",
        "src/config/sweep.rs",
    ] {
        let src = std::fs::read_to_string(root().join(file)).unwrap();
        for line in src.lines() {
            let line = line.trim();
            let Some(rest) = line.strip_prefix("pub ") else {
                continue;
            };
            if rest.starts_with("struct")
                || rest.starts_with("enum")
                || rest.starts_with("fn")
                || rest.starts_with("const")
            {
                continue;
            }
            if let Some((field, _)) = rest.split_once(':') {
                assert!(
                    doc.contains(&format!("| `{field}` |")),
                    "docs/CONFIG.md lacks `{field}` of {file}: run scripts/config_reference.py > docs/CONFIG.md"
                );
            }
        }
    }
}

#[test]
fn benchmarks_state_the_component_bytes_per_firm() {
    let doc = std::fs::read_to_string(root().join("BENCHMARKS.md")).unwrap();
    let bytes = chokepoint::model::FIRM_COMPONENT_BYTES;
    assert!(
        doc.contains(&format!("{bytes} B of component data per firm")),
        "BENCHMARKS.md does not state {bytes} B of component data per firm: \
         the firm components changed; measure again (scripts/memory.sh)"
    );
}

/// README's table of `summary.csv` columns names every column of the
/// baseline's summary (a patterned name such as `lost_output_<state>_<sector>`
/// stands for many), and every name in it is a column.
#[test]
fn readme_lists_every_summary_column() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("The columns of `summary.csv`")
        .expect("README has the summary table");
    let table: Vec<&str> = readme[start..]
        .lines()
        .skip_while(|l| !l.starts_with("| column |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    let names: Vec<String> = table
        .iter()
        .flat_map(|row| {
            let first = row.split('|').nth(1).unwrap_or("");
            first
                .split(',')
                .map(|n| n.trim().trim_matches('`').to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    // `<state>` and the like stand for any name
    let placeholder = regex::Regex::new("<[a-z]+>").unwrap();
    let patterns: Vec<regex::Regex> = names
        .iter()
        .map(|n| {
            let escaped = regex::escape(n);
            let body = placeholder.replace_all(&escaped, "[A-Za-z0-9_-]+");
            regex::Regex::new(&format!("^{body}$")).unwrap()
        })
        .collect();
    let run =
        chokepoint::config::resolve_run(&root().join("configs/baseline.ron"), &Default::default())
            .unwrap();
    let mut sim = chokepoint::sim::Simulation::new(&run.scenario, 1, crate::common::start(), None);
    let columns = sim.tables().summary.columns;
    for c in &columns {
        assert!(
            patterns.iter().any(|p| p.is_match(c)),
            "README's summary table lacks `{c}`"
        );
    }
    for (n, p) in names.iter().zip(&patterns) {
        assert!(
            columns.iter().any(|c| p.is_match(c)),
            "README's summary table names `{n}`, which is no column of the baseline's summary"
        );
    }
}
