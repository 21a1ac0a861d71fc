//! Facts about the project a file belongs to, gathered once per run: the
//! app-level tag keys, each file's nearest `cdk.json`, the Lambda layers the
//! app builds.

use crate::rules::layers::Declared;
use crate::walk;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// The `cdk.json` nearest to each file (in its folder or above), remembered
/// per folder so a tree of files costs one lookup per folder.
#[derive(Default)]
pub(super) struct AppContexts {
    by_dir: HashMap<PathBuf, Option<PathBuf>>,
}

impl AppContexts {
    pub(super) fn cdk_json(&mut self, file: &Path) -> Option<PathBuf> {
        let dir = std::path::absolute(file).ok()?.parent()?.to_path_buf();
        self.in_or_above(&dir)
    }

    fn in_or_above(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(found) = self.by_dir.get(dir) {
            return found.clone();
        }
        let here = dir.join("cdk.json");
        let found = if here.is_file() {
            Some(here)
        } else {
            dir.parent().and_then(|up| self.in_or_above(up))
        };
        self.by_dir.insert(dir.to_path_buf(), found.clone());
        found
    }
}

type LayerFacts = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// The layers one file builds: each name with what it declares.
pub(super) type Layers = Vec<(String, Declared)>;

const LISTS: &[&str] = &["compatible_runtimes", "compatible_architectures"];

/// The layers a file builds (see [`app_layers`]): found while the file is
/// first read, so that its text need not be kept.
pub(super) fn layers_in(bytes: &[u8]) -> Option<Layers> {
    memchr::memmem::find(bytes, b"LayerVersion")?;
    let text = std::str::from_utf8(bytes).ok()?;
    Some(crate::rules::layers::defined_in(text, LISTS))
}

/// The Lambda layers each app's files build (see `Options::project_layers`),
/// from what [`layers_in`] found in the files of this run.
pub(super) fn app_layers(
    found: Vec<(Option<PathBuf>, Layers)>,
) -> HashMap<Option<PathBuf>, LayerFacts> {
    // Every build of a name, then what all of them declare.
    let mut builds: HashMap<Option<PathBuf>, BTreeMap<String, Vec<Declared>>> = HashMap::new();
    for (app, defined) in found {
        for (name, lists) in defined {
            builds
                .entry(app.clone())
                .or_default()
                .entry(name)
                .or_default()
                .push(lists);
        }
    }
    let mut by_app: HashMap<Option<PathBuf>, LayerFacts> = HashMap::new();
    for (app, names) in builds {
        let facts = by_app.entry(app).or_default();
        for (name, all) in names {
            let known = facts.entry(name).or_default();
            for list in LISTS {
                let mut each = all.iter().map(|lists| {
                    lists
                        .iter()
                        .find(|(k, _)| k == list)
                        .map(|(_, v)| v.clone())
                });
                let first = each.next().flatten();
                let common = each.try_fold(first, |acc, next| match (acc, next) {
                    (Some(mut acc), Some(next)) => {
                        acc.retain(|v| next.contains(v));
                        Some(Some(acc))
                    }
                    _ => None,
                });
                if let Some(Some(values)) = common {
                    known.insert(list.to_string(), values);
                }
            }
        }
    }
    by_app
}

/// Keys of tags the app applies at app level (`Tags.of(app).add("Team", ...)`),
/// found by a cheap text scan: a stack need not repeat them.
pub fn app_tag_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let defines_app = text.contains("App(");
    for (at, _) in text.match_indices("Tags.of(") {
        let rest = &text[at + "Tags.of(".len()..];
        let Some(close) = rest.find(')') else {
            continue;
        };
        let target = rest[..close].trim();
        let app_level = matches!(target, "app" | "self.app") || (defines_app && target != "self");
        let Some(add) = rest[close..].strip_prefix(").add(") else {
            continue;
        };
        let add = add.trim_start();
        let Some(quote) = add.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if let (true, Some(end)) = (app_level, add[1..].find(quote)) {
            keys.push(add[1..1 + end].to_string());
        }
    }
    keys
}

/// The CDK app's entry file named by the `"app"` command of the nearest
/// `cdk.json` at or above `root` (`python3 app.py`, `python -m app`), with
/// the folder it is in. `None` without a `cdk.json` or a Python entry.
pub(super) fn app_folder(root: &Path) -> Option<(PathBuf, PathBuf)> {
    let start = walk::absolute(root);
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        if let Ok(text) = std::fs::read_to_string(d.join("cdk.json")) {
            let entry = app_entry(&text, d)?;
            let folder = entry.parent()?.to_path_buf();
            return Some((entry, folder));
        }
        dir = d.parent();
    }
    None
}

/// The Python file a `cdk.json` document's `"app"` command runs, in `dir`
/// (the folder of the `cdk.json`).
fn app_entry(cdk_json: &str, dir: &Path) -> Option<PathBuf> {
    let doc: serde_json::Value = serde_json::from_str(cdk_json).ok()?;
    let command = doc.get("app")?.as_str()?;
    let mut words = command
        .split_whitespace()
        .map(|w| w.trim_matches(['"', '\'']));
    while let Some(word) = words.next() {
        if word.ends_with(".py") {
            return Some(dir.join(word));
        }
        if word == "-m" {
            let module = dir.join(words.next()?.replace('.', "/"));
            let main = module.join("__main__.py");
            return Some(if main.is_file() {
                main
            } else {
                module.with_extension("py")
            });
        }
    }
    None
}

/// App-level tag keys of the app's entry file and the Python files beside it.
pub(super) fn app_folder_tag_keys((entry, folder): &(PathBuf, PathBuf)) -> BTreeSet<String> {
    let siblings = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p != entry && p.extension().is_some_and(|x| x == "py"));
    std::iter::once(entry.clone())
        .chain(siblings)
        .filter_map(|p| std::fs::read(p).ok())
        .flat_map(|bytes| app_tag_keys(&String::from_utf8_lossy(&bytes)))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn app_level_tags_are_found() {
        let app = "app = cdk.App()\nTags.of(app).add(\"Team\", \"payments\")\ncdk.Tags.of(stack).add('Owner', x)\n";
        assert_eq!(super::app_tag_keys(app), vec!["Team", "Owner"]);
        let stack = "class S(Stack):\n    Tags.of(self).add(\"Env\", e)\n";
        assert!(super::app_tag_keys(stack).is_empty());
    }

    #[test]
    fn the_app_entry_comes_from_cdk_json() {
        let dir = std::path::Path::new("/p");
        let entry = |json: &str| super::app_entry(json, dir);
        assert_eq!(
            entry(r#"{"app": "python3 app.py"}"#),
            Some(dir.join("app.py"))
        );
        assert_eq!(
            entry(r#"{"app": "poetry run python 'infra/tap.py' --verbose"}"#),
            Some(dir.join("infra/tap.py"))
        );
        assert_eq!(
            entry(r#"{"app": "python -m infra.app"}"#),
            Some(dir.join("infra/app.py"))
        );
        assert_eq!(entry(r#"{"app": "npx ts-node bin/app.ts"}"#), None);
        assert_eq!(entry("not json"), None);
    }
}
