//! The docs say what the code does: the configuration reference names every
//! field of the config types; docs/OUTPUTS.md is written from the schema;
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

/// docs/OUTPUTS.md is what `chokepoint outputs configs/baseline.ron` writes
/// from the declared schema.
#[test]
fn outputs_reference_is_current() {
    let doc = std::fs::read_to_string(root().join("docs/OUTPUTS.md")).unwrap();
    let base = chokepoint::config::resolve_run(
        &root().join("configs/baseline.ron"),
        &chokepoint::config::RunOverrides::default(),
    )
    .unwrap();
    let want = chokepoint::output::reference::outputs(&base.scenario, "configs/baseline.ron");
    assert!(
        doc == want,
        "docs/OUTPUTS.md is not current: run `cargo run --release -- outputs configs/baseline.ron > docs/OUTPUTS.md` from the repository root"
    );
    // every column of a baseline run is in it, and follows the naming rule
    let tmp = tempfile::tempdir().unwrap();
    crate::common::run_baseline(tmp.path(), 1);
    for file in [
        "timeseries.csv",
        "summary.csv",
        "transcript.csv",
        "terms.csv",
    ] {
        let text = std::fs::read_to_string(tmp.path().join(file)).unwrap();
        for column in text.lines().next().unwrap().split(',') {
            assert!(chokepoint::schema::is_clean(column), "{file}: `{column}`");
            assert!(
                doc.contains(&format!("`{column}`")),
                "docs/OUTPUTS.md lacks `{column}` of {file}"
            );
        }
    }
}
