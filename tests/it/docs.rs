//! The configuration reference names every field of the config types.

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
