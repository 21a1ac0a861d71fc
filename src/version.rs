//! The aws-cdk-lib version a project pins, so fixes can use only the API that
//! version has.
//!
//! A requirement names a range, and the pin is the lowest version the range
//! allows (`>=2.40`, `~=2.40`, `^2.40` and `==2.40.*` all pin 2.40.0): a fix
//! is applied only when every version the project may install has its API. A
//! requirement without a lower bound (a bare name, only `<` or `!=`) pins
//! nothing, and the search goes on.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// The aws-cdk-lib version the tests pin: assumed when a project pins none.
pub const ASSUMED_CDK: Version = Version(2, 275, 0);

/// CDK v1's last release: a project that depends on v1's `aws-cdk.core`
/// has none of aws-cdk-lib's API.
pub const CDK_V1: Version = Version(1, 204, 0);

/// aws-cdk-lib's first release: no lower bound can be older.
const FIRST_CDK: Version = Version(2, 0, 0);

/// The distribution name, normalized as PEP 503 compares names.
const PACKAGE: &str = "aws-cdk-lib";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let mut parts = s.trim().split('.').map(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        });
        let major = parts.next()??;
        let minor = parts.next().flatten().unwrap_or(0);
        let patch = parts.next().flatten().unwrap_or(0);
        Some(Version(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// PEP 503: names compare case-insensitively, with runs of `-`, `_` and `.`
/// equivalent.
fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
            continue;
        }
        if separator && !out.is_empty() {
            out.push('-');
        }
        separator = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn is_package(name: &str) -> bool {
    normalize_name(name.trim()) == PACKAGE
}

/// The lowest version a list of version constraints allows: PEP 440
/// specifiers (`>=2.40,<3`, `~=2.40`, `==2.40.*`) or Poetry's (`^2.40`,
/// `~2.40`, a bare `2.40.0`, alternatives joined by `||`). `None` when the
/// constraints set no lower bound.
pub fn lowest_allowed(constraints: &str) -> Option<Version> {
    let mut lowest: Option<Version> = None;
    for alternative in constraints.split("||") {
        // Every alternative must have a lower bound, or the range has none.
        let v = lowest_of_all(alternative)?;
        lowest = Some(lowest.map_or(v, |l| l.min(v)));
    }
    lowest.map(|v| v.max(FIRST_CDK))
}

/// The lowest version allowed by constraints that must all hold.
fn lowest_of_all(constraints: &str) -> Option<Version> {
    let mut lowest = None;
    let mut rest = constraints.trim();
    while !rest.is_empty() {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        let op_len = rest
            .find(|c: char| !matches!(c, '=' | '<' | '>' | '!' | '~' | '^'))
            .unwrap_or(rest.len());
        let op = &rest[..op_len];
        rest = rest[op_len..].trim_start();
        let version_len = rest
            .find(|c: char| c == ',' || c.is_whitespace() || "=<>!~^".contains(c))
            .unwrap_or(rest.len());
        let version = &rest[..version_len];
        rest = &rest[version_len..];
        if op.is_empty() && version.is_empty() {
            break;
        }
        let bound = match op {
            // A bare version is Poetry's (and Pipfile's) exact pin; `*` is any.
            "" | "=" | "==" | "===" | "~=" | ">=" | ">" | "^" | "~" if version != "*" => {
                Version::parse(version.trim_start_matches(['v', 'V']))
            }
            _ => None,
        };
        if let Some(v) = bound {
            lowest = Some(lowest.map_or(v, |l: Version| l.max(v)));
        }
    }
    lowest
}

/// The pin of a PEP 508 requirement string (`aws_cdk_lib[x]==2.40.0;
/// python_version>"3.8"`) when it names aws-cdk-lib.
pub fn requirement_pin(requirement: &str) -> Option<Version> {
    // Environment markers do not change which versions are allowed.
    let requirement = requirement.split(';').next()?.trim();
    let name_len = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(requirement.len());
    if normalize_name(&requirement[..name_len]) == "aws-cdk-core" {
        return Some(CDK_V1);
    }
    if !is_package(&requirement[..name_len]) {
        return None;
    }
    let mut rest = requirement[name_len..].trim_start();
    if let Some(extras) = rest.strip_prefix('[') {
        rest = extras.split_once(']')?.1.trim_start();
    }
    if rest.starts_with('@') {
        // A URL: no version to read.
        return None;
    }
    // The old `name (>=2.40)` spelling.
    let rest = rest.trim_start_matches('(').trim_end_matches(')');
    lowest_allowed(rest)
}

/// The pin in a requirements file's text, following `-r` / `-c` includes
/// relative to `dir` (each file read once, so include cycles end).
fn requirements_pin(text: &str, dir: &Path, seen: &mut HashSet<PathBuf>) -> Option<Version> {
    let mut includes = Vec::new();
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    for line in joined.lines() {
        // Comments start at a `#` at the line start or after whitespace.
        let line = match line.find(" #").or_else(|| line.find("\t#")) {
            Some(at) => &line[..at],
            None if line.trim_start().starts_with('#') => "",
            None => line,
        };
        let line = line.trim();
        if let Some(option) = line.strip_prefix('-') {
            let (flag, value) = option
                .split_once(|c: char| c == '=' || c.is_whitespace())
                .unwrap_or((option, ""));
            let file = match flag {
                "r" | "c" | "-requirement" | "-constraint" => value.trim(),
                // `-rbase.txt`
                _ if flag.len() > 1 && (flag.starts_with('r') || flag.starts_with('c')) => {
                    &flag[1..]
                }
                _ => continue,
            };
            if !file.is_empty() {
                includes.push(dir.join(file));
            }
            continue;
        }
        // Options after a requirement (`--hash=...`) are not part of it.
        let requirement = line.split(" --").next().unwrap_or(line);
        if let Some(v) = requirement_pin(requirement) {
            return Some(v);
        }
    }
    includes
        .into_iter()
        .find_map(|path| requirements_file_pin(&path, seen))
}

fn requirements_file_pin(path: &Path, seen: &mut HashSet<PathBuf>) -> Option<Version> {
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if !seen.insert(key) {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    requirements_pin(&text, path.parent().unwrap_or(Path::new(".")), seen)
}

/// A Poetry or Pipfile dependency value: `"^2.40"`, `"*"` or
/// `{version = "2.40.0", ...}`.
fn table_dependency_pin(value: &toml::Value) -> Option<Version> {
    match value {
        toml::Value::String(s) => lowest_allowed(s),
        toml::Value::Table(t) => t.get("version")?.as_str().and_then(lowest_allowed),
        // Poetry's multiple-constraints form: a list of tables.
        toml::Value::Array(items) => items
            .iter()
            .map(table_dependency_pin)
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .min(),
        _ => None,
    }
}

fn in_table(table: Option<&toml::Value>) -> Option<Version> {
    let (_, value) = table?
        .as_table()?
        .iter()
        .find(|(name, _)| is_package(name))?;
    table_dependency_pin(value)
}

fn in_list(list: Option<&toml::Value>) -> Option<Version> {
    list?
        .as_array()?
        .iter()
        .filter_map(toml::Value::as_str)
        .find_map(requirement_pin)
}

/// Lists of PEP 508 strings held in a table of named lists
/// (`[project.optional-dependencies]`, `[dependency-groups]`).
fn in_lists(tables: Option<&toml::Value>) -> Option<Version> {
    tables?
        .as_table()?
        .values()
        .find_map(|list| in_list(Some(list)))
}

/// `[project] dependencies`, then Poetry's dependency tables, then optional
/// and development dependencies (PEP 735 groups, Poetry groups, uv, PDM).
fn pyproject_pin(text: &str) -> Option<Version> {
    let doc: toml::Table = toml::from_str(text).ok()?;
    let at = |path: &[&str]| {
        let mut value = doc.get(path[0])?;
        for key in &path[1..] {
            value = value.get(key)?;
        }
        Some(value)
    };
    let poetry_groups = || {
        at(&["tool", "poetry", "group"])?
            .as_table()?
            .values()
            .find_map(|g| in_table(g.get("dependencies")))
    };
    in_list(at(&["project", "dependencies"]))
        .or_else(|| in_table(at(&["tool", "poetry", "dependencies"])))
        .or_else(|| in_lists(at(&["project", "optional-dependencies"])))
        .or_else(|| in_lists(at(&["dependency-groups"])))
        .or_else(poetry_groups)
        .or_else(|| in_table(at(&["tool", "poetry", "dev-dependencies"])))
        .or_else(|| in_list(at(&["tool", "uv", "dev-dependencies"])))
        .or_else(|| in_lists(at(&["tool", "pdm", "dev-dependencies"])))
}

fn pipfile_pin(text: &str) -> Option<Version> {
    let doc: toml::Table = toml::from_str(text).ok()?;
    in_table(doc.get("packages")).or_else(|| in_table(doc.get("dev-packages")))
}

/// Requirement strings inside the quoted literals of a `setup.py`.
fn setup_py_pin(text: &str) -> Option<Version> {
    let mut rest = text;
    while let Some(start) = rest.find(['"', '\'']) {
        let quote = &rest[start..start + 1];
        let body = &rest[start + 1..];
        let Some(end) = body.find(quote) else { break };
        if let Some(v) = requirement_pin(&body[..end]) {
            return Some(v);
        }
        rest = &body[end + 1..];
    }
    None
}

/// `install_requires =` and the other lists of `setup.cfg`: one requirement a
/// line.
fn setup_cfg_pin(text: &str) -> Option<Version> {
    text.lines()
        .map(|line| {
            let line = line.trim();
            // `key = value`, not the `=` of a specifier (`==`, `>=`, `~=`).
            match line.split_once('=') {
                Some((key, value))
                    if !value.starts_with('=')
                        && key
                            .trim()
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    value.trim()
                }
                _ => line,
            }
        })
        .find_map(requirement_pin)
}

/// The files in `dir` that may pin the project's dependencies, in the order
/// they are read: `requirements*.txt` (`requirements.txt` first), then the
/// project files.
fn pin_files(dir: &Path) -> Vec<PathBuf> {
    let mut requirements: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("requirements") && n.ends_with(".txt"))
        })
        .collect();
    requirements.sort_by_key(|p| {
        (
            p.file_name() != Some("requirements.txt".as_ref()),
            p.clone(),
        )
    });
    requirements.extend(
        ["pyproject.toml", "Pipfile", "setup.py", "setup.cfg"]
            .iter()
            .map(|n| dir.join(n)),
    );
    requirements
}

fn file_pin(path: &Path) -> Option<Version> {
    let name = path.file_name()?.to_str()?;
    if name.ends_with(".txt") {
        return requirements_file_pin(path, &mut HashSet::new());
    }
    let text = std::fs::read_to_string(path).ok()?;
    match name {
        "pyproject.toml" => pyproject_pin(&text),
        "Pipfile" => pipfile_pin(&text),
        "setup.py" => setup_py_pin(&text),
        "setup.cfg" => setup_cfg_pin(&text),
        _ => None,
    }
}

/// The pin found in the folder `root` (or the folder of a file `root`) and the
/// folders above it, nearest first.
pub fn project_pin(root: &Path) -> Option<Version> {
    let start = crate::walk::absolute(root);
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        if let Some(v) = pin_files(d).iter().find_map(|f| file_pin(f)) {
            return Some(v);
        }
        dir = d.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(text: &str) -> Option<Version> {
        requirements_pin(text, Path::new("."), &mut HashSet::new())
    }

    #[test]
    fn finds_pins_in_every_format() {
        assert_eq!(
            req("aws-cdk-lib==2.100.0\nconstructs>=10\n"),
            Some(Version(2, 100, 0))
        );
        assert_eq!(req("aws-cdk-lib>=2.80,<3\n"), Some(Version(2, 80, 0)));
        assert_eq!(
            pipfile_pin("[packages]\naws-cdk-lib = \"==2.150.1\"\n"),
            Some(Version(2, 150, 1))
        );
        assert_eq!(
            pyproject_pin("[project]\ndependencies = [\"aws-cdk-lib~=2.120\"]\n"),
            Some(Version(2, 120, 0))
        );
        assert_eq!(
            setup_py_pin("install_requires=['constructs>=10', 'aws-cdk-lib==2.99.1']"),
            Some(Version(2, 99, 1))
        );
        // CDK v1: none of aws-cdk-lib's API.
        assert_eq!(req("aws-cdk.core==1.200.0\n"), Some(CDK_V1));
        assert!(Version(2, 99, 1) < Version(2, 100, 0));
    }

    #[test]
    fn names_are_compared_as_pep_503_does() {
        for line in [
            "aws_cdk_lib==2.40.0",
            "AWS-CDK-LIB==2.40.0",
            "Aws.Cdk_Lib == 2.40.0",
            "aws-cdk-lib[extra,other]==2.40.0",
            "aws-cdk-lib==2.40.0; python_version > \"3.8\"",
            "aws-cdk-lib (==2.40.0)",
            "aws-cdk-lib==2.40.0 --hash=sha256:abc",
            "aws-cdk-lib==2.40.0  # the pin",
            "aws-cdk-lib==2.40.*",
        ] {
            assert_eq!(req(line), Some(Version(2, 40, 0)), "{line}");
        }
        assert_eq!(req("aws-cdk-lib-extra==2.1.0"), None);
        assert_eq!(req("# aws-cdk-lib==2.1.0"), None);
        assert_eq!(req("-e ./aws-cdk-lib"), None);
    }

    #[test]
    fn a_range_pins_its_lowest_version() {
        assert_eq!(req("aws-cdk-lib~=2.40"), Some(Version(2, 40, 0)));
        assert_eq!(req("aws-cdk-lib>=2.40.1,<3"), Some(Version(2, 40, 1)));
        assert_eq!(req("aws-cdk-lib<3,>=2.40.1"), Some(Version(2, 40, 1)));
        assert_eq!(req("aws-cdk-lib>=2.40,>=2.50"), Some(Version(2, 50, 0)));
        assert_eq!(req("aws-cdk-lib>=1.0"), Some(Version(2, 0, 0)));
        // No lower bound: no pin.
        assert_eq!(req("aws-cdk-lib\n"), None);
        assert_eq!(req("aws-cdk-lib<3\n"), None);
        assert_eq!(req("aws-cdk-lib!=2.41.0\n"), None);
        assert_eq!(lowest_allowed("^2.40.0"), Some(Version(2, 40, 0)));
        assert_eq!(lowest_allowed("~2.40"), Some(Version(2, 40, 0)));
        assert_eq!(lowest_allowed(">= 2.40, < 3"), Some(Version(2, 40, 0)));
        assert_eq!(lowest_allowed(">=2.40 <3"), Some(Version(2, 40, 0)));
        assert_eq!(lowest_allowed("^2.50 || ^2.40"), Some(Version(2, 40, 0)));
        assert_eq!(lowest_allowed("^2.50 || <3"), None);
        assert_eq!(lowest_allowed("*"), None);
    }

    #[test]
    fn pyproject_poetry_and_pipfile_tables() {
        for text in [
            "[tool.poetry.dependencies]\npython = \"^3.10\"\naws-cdk-lib = \"^2.40.0\"\n",
            "[tool.poetry.dependencies]\naws-cdk-lib = {version = \"2.40.0\", extras = []}\n",
            "[tool.poetry.dependencies]\nAWS_CDK_LIB = \"2.40.0\"\n",
            "[tool.poetry.group.infra.dependencies]\naws-cdk-lib = \"~2.40\"\n",
            "[project]\nname = \"x\"\ndependencies = [\"constructs>=10\", \"aws-cdk-lib[x]>=2.40.0; python_version>'3.8'\"]\n",
            "[project.optional-dependencies]\ncdk = [\"aws_cdk_lib==2.40.0\"]\n",
            "[dependency-groups]\ndev = [\"aws-cdk-lib==2.40.0\"]\n",
        ] {
            assert_eq!(pyproject_pin(text), Some(Version(2, 40, 0)), "{text}");
        }
        assert_eq!(
            pyproject_pin("[tool.poetry.dependencies]\naws-cdk-lib = \"*\"\n"),
            None
        );
        assert_eq!(
            pipfile_pin("[packages]\naws-cdk-lib = {version = \">=2.40\"}\n"),
            Some(Version(2, 40, 0))
        );
        assert_eq!(
            setup_cfg_pin("[options]\ninstall_requires =\n    aws-cdk-lib>=2.40\n"),
            Some(Version(2, 40, 0))
        );
    }

    #[test]
    fn includes_are_followed_relative_to_the_file_and_cycles_end() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("reqs")).unwrap();
        std::fs::write(d.join("requirements.txt"), "-r reqs/base.txt\npytest\n").unwrap();
        std::fs::write(d.join("reqs/base.txt"), "-c constraints.txt\naws-cdk-lib\n").unwrap();
        std::fs::write(
            d.join("reqs/constraints.txt"),
            "--requirement=base.txt\naws-cdk-lib==2.40.0\n",
        )
        .unwrap();
        assert_eq!(project_pin(d), Some(Version(2, 40, 0)));
        // A cycle with no pin ends.
        std::fs::write(
            d.join("reqs/constraints.txt"),
            "-r base.txt\n-r ../requirements.txt\n",
        )
        .unwrap();
        assert_eq!(project_pin(d), None);
    }

    #[test]
    fn nearest_folder_first_and_requirements_variants() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("infra/stacks")).unwrap();
        std::fs::write(
            d.join("pyproject.toml"),
            "[project]\ndependencies = [\"aws-cdk-lib==2.10.0\"]\n",
        )
        .unwrap();
        std::fs::write(
            d.join("infra/requirements-cdk.txt"),
            "aws-cdk-lib==2.40.0\n",
        )
        .unwrap();
        assert_eq!(
            project_pin(&d.join("infra/stacks")),
            Some(Version(2, 40, 0))
        );
        assert_eq!(project_pin(d), Some(Version(2, 10, 0)));
    }
}
