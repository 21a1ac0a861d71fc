//! The README stays true: every codemod and every flag is documented there,
//! and its test command is the one CI runs.

use cdkfix::catalogue::Catalogue;
use clap::CommandFactory;

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn readme_lists_every_codemod() {
    let readme = read("README.md");
    for entry in &Catalogue::builtin().entries {
        assert!(
            readme.contains(&format!("`{}`", entry.id)),
            "README.md lacks codemod {}",
            entry.id
        );
    }
}

#[test]
fn readme_documents_every_flag() {
    let readme = read("README.md");
    for arg in cdkfix::cli::Args::command().get_arguments() {
        if let Some(long) = arg.get_long() {
            assert!(
                readme.contains(&format!("--{long}")),
                "README.md lacks --{long}"
            );
        }
    }
}

#[test]
fn ci_runs_the_readme_test_command() {
    let readme = read("README.md");
    let ci = read(".ci/run");
    // The commands CI runs: neither comments nor the shell set-up.
    let commands: Vec<&str> = ci
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with('#')
                && !l.starts_with("set ")
                && !l.starts_with("cd ")
                && !l.starts_with("if ")
                && *l != "fi"
        })
        .collect();
    let first = commands.first().expect(".ci/run runs a command");
    assert!(
        readme.contains(&format!("```sh\n{first}\n```")),
        "README.md lacks the test command `{first}` as its own block"
    );
    // Everything else CI runs is shown in the README too.
    for command in &commands[1..] {
        assert!(readme.contains(command), "README.md lacks `{command}`");
    }
}
