//! The manifest names the parsing stack directly, at the versions ast-grep
//! links: one `tree-sitter` and one `tree-sitter-python` in the build, so the
//! trees cdkfix parses itself are the ones ast-grep's nodes wrap.

use std::path::Path;

fn read(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap()
}

/// Versions of the lock file's packages with this name.
fn locked_versions(lock: &str, name: &str) -> Vec<String> {
    let doc: toml::Table = lock.parse().unwrap();
    doc["package"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"].as_str() == Some(name))
        .map(|p| p["version"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn tree_sitter_crates_are_direct_and_shared_with_ast_grep() {
    let manifest: toml::Table = read("Cargo.toml").parse().unwrap();
    let deps = manifest["dependencies"].as_table().unwrap();
    let lock = read("Cargo.lock");
    for name in ["tree-sitter", "tree-sitter-python"] {
        assert!(deps.contains_key(name), "Cargo.toml does not name {name}");
        let versions = locked_versions(&lock, name);
        assert_eq!(
            versions.len(),
            1,
            "{name} is in the build at several versions: {versions:?}"
        );
    }
    // ast-grep-core links tree-sitter itself; the one version above is its.
    let doc: toml::Table = lock.parse().unwrap();
    let core = doc["package"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str() == Some("ast-grep-core"))
        .unwrap();
    assert!(
        core["dependencies"].as_array().unwrap().iter().any(|d| d
            .as_str()
            .unwrap()
            .split(' ')
            .next()
            == Some("tree-sitter")),
        "ast-grep-core no longer links tree-sitter"
    );
}
