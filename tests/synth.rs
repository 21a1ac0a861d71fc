//! The synth tier: every example app under `fixtures/apps/` is synthesized with
//! the real aws-cdk-lib and checked by the real cdk-nag (AwsSolutions and
//! Serverless packs) before and after `cdkfix --write --unsafe-fixes`.
//!
//! Checked: both synths succeed; a second cdkfix run changes nothing; for each
//! applied fix, the cdk-nag rules its catalogue entry resolves have no
//! finding left on the construct it touched, and the entry's template facts
//! hold there; each construct a report-only entry reports has one of the
//! entry's cdk-nag findings; no rule gains findings unless an applied codemod
//! declares it in `introduces`; every catalogue entry is triggered by some app.
//! The broken apps (`fixtures/apps/broken/`) are generated-style code that
//! does not synthesize: each fails as its `broken.toml` says before the fix,
//! and synthesizes after it.
//!
//! The Python environment is set up by `scripts/setup-synth-env.sh` on first
//! use. Without it (no python3 / node / registry) the tier is skipped with a
//! message, except under `CI=true`, where that is a failure.

use cdkfix::catalogue::{Catalogue, Fact, ProofScope};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The synth environment's Python, or why it is missing.
fn synth_python() -> Result<PathBuf, String> {
    // The tier's tests run in parallel threads; one setup run serves them
    // all, since concurrent runs would rebuild the environment under each other.
    static SETUP: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    SETUP
        .get_or_init(|| {
            let out = Command::new("bash")
                .arg(repo().join("scripts/setup-synth-env.sh"))
                .output()
                .map_err(|e| format!("cannot run scripts/setup-synth-env.sh: {e}"))?;
            if !out.status.success() {
                return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
            }
            Ok(repo().join(".venv-synth/bin/python"))
        })
        .clone()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "cdk.out" || name == "__pycache__" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(name));
        } else {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

fn synth(python: &Path, app: &Path, out: &Path) -> Value {
    let doc = try_synth(python, app, out);
    assert!(
        doc["ok"] == true,
        "synth of {} failed: {}",
        app.display(),
        doc["error"]
    );
    doc
}

/// The synth's summary (`ok` false with the `error`, when it fails).
fn try_synth(python: &Path, app: &Path, out: &Path) -> Value {
    let status = Command::new(python)
        .arg(repo().join("tests/synth/nag_synth.py"))
        .arg(app)
        .arg(out)
        .status()
        .unwrap();
    let doc: Value = std::fs::read(out)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    if status.success() {
        doc
    } else {
        serde_json::json!({"ok": false, "error": doc["error"]})
    }
}

/// What a broken example app (`fixtures/apps/broken/<name>/broken.toml`)
/// proves: the untouched app fails with `before` (substrings of the error),
/// cdkfix finds `codemods` in it, and, with `fixed`, the fixed app
/// synthesizes.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Broken {
    before: Vec<String>,
    fixed: bool,
    codemods: Vec<String>,
}

fn check_broken_app(python: &Path, app: &Path) -> AppResult {
    let name = format!("broken/{}", app.file_name().unwrap().to_string_lossy());
    let spec: Broken =
        toml::from_str(&std::fs::read_to_string(app.join("broken.toml")).unwrap()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join("app");
    copy_dir(app, &copy);
    let mut failures = Vec::new();
    let before = try_synth(python, &copy, &work.path().join("before.json"));
    let error = before["error"].as_str().unwrap_or_default();
    if before["ok"] == true || !spec.before.iter().all(|b| error.contains(b.as_str())) {
        failures.push(format!(
            "{name}: before the fix the app should fail with {:?}, got: {}",
            spec.before,
            if before["ok"] == true {
                "a synth"
            } else {
                error
            }
        ));
    }
    let report = cdkfix(&copy);
    let mut triggered = BTreeSet::new();
    let mut fixes: BTreeMap<String, usize> = BTreeMap::new();
    for file in report["files"].as_array().unwrap() {
        for f in file["findings"].as_array().into_iter().flatten() {
            triggered.insert(f["codemod"].as_str().unwrap().to_string());
        }
        for a in file["applied"].as_array().into_iter().flatten() {
            let codemod = a["codemod"].as_str().unwrap().to_string();
            triggered.insert(codemod.clone());
            *fixes.entry(codemod).or_default() += 1;
        }
    }
    for codemod in &spec.codemods {
        if !triggered.contains(codemod) {
            failures.push(format!("{name}: cdkfix does not find {codemod}"));
        }
    }
    if spec.fixed {
        let after = try_synth(python, &copy, &work.path().join("after.json"));
        if after["ok"] != true {
            failures.push(format!(
                "{name}: the fixed app does not synthesize: {}",
                after["error"]
            ));
        }
    }
    let again = cdkfix(&copy);
    for file in again["files"].as_array().unwrap() {
        if file["changed"] == true {
            failures.push(format!(
                "{name}: a second run changes {} again",
                file["path"]
            ));
        }
    }
    AppResult {
        name,
        before: BTreeMap::new(),
        after: BTreeMap::new(),
        fixes,
        failures,
        triggered,
    }
}

fn cdkfix(app: &Path) -> Value {
    // Every codemod, the opt-in ones too: each must be proven by some app.
    let out = Command::new(env!("CARGO_BIN_EXE_cdkfix"))
        .args(["--write", "--unsafe-fixes", "--select", "ALL"])
        .args(["--output-format", "json"])
        .arg(app)
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(2),
        "cdkfix failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Non-compliant findings per rule.
fn counts(doc: &Value) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for f in doc["findings"].as_array().unwrap() {
        *counts
            .entry(f["rule"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    counts
}

/// A construct path (`Stack/Api/Handler/Resource`) belongs to construct `id`
/// when one of its segments is that id.
fn on_construct(path: &str, id: &str) -> bool {
    path.split('/').any(|seg| seg == id)
}

/// The values at `a.b.0.c` in a template resource: numbers index arrays, `*`
/// stands for every element. `None` when the path leads nowhere.
fn lookup<'v>(resource: &'v Value, path: &str) -> Option<Vec<&'v Value>> {
    let mut values = vec![resource];
    for key in path.split('.') {
        values = values
            .into_iter()
            .flat_map(|v| match (key, key.parse::<usize>()) {
                ("*", _) => v.as_array().map(|a| a.iter().collect()).unwrap_or_default(),
                (_, Ok(i)) if v.is_array() => v.get(i).into_iter().collect(),
                _ => v.get(key).into_iter().collect::<Vec<_>>(),
            })
            .collect();
    }
    (!values.is_empty()).then_some(values)
}

fn fact_holds(resource: &Value, fact: &Fact) -> bool {
    lookup(resource, &fact.path).is_some_and(|values| values.iter().all(|v| value_holds(v, fact)))
}

fn value_holds(actual: &Value, fact: &Fact) -> bool {
    if let Some(key) = &fact.has_tag {
        return match actual {
            Value::Array(tags) => tags.iter().any(|t| t["Key"] == key.as_str()),
            Value::Object(map) => map.contains_key(key),
            _ => false,
        };
    }
    if let Some(needle) = &fact.contains {
        return actual.to_string().contains(needle.as_str());
    }
    if let Some(needle) = &fact.not_contains {
        return !actual.to_string().contains(needle.as_str());
    }
    let json = |v: &toml::Value| serde_json::to_value(v).unwrap();
    if let Some(want) = &fact.equals {
        return *actual == json(want);
    }
    if let Some(options) = &fact.one_of {
        return options.iter().any(|o| *actual == json(o));
    }
    true
}

struct AppResult {
    name: String,
    before: BTreeMap<String, usize>,
    after: BTreeMap<String, usize>,
    fixes: BTreeMap<String, usize>,
    failures: Vec<String>,
    triggered: BTreeSet<String>,
}

fn check_app(python: &Path, catalogue: &Catalogue, app: &Path) -> AppResult {
    let name = app.file_name().unwrap().to_string_lossy().to_string();
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join(&name);
    copy_dir(app, &copy);
    let before = synth(python, &copy, &work.path().join("before.json"));
    let report = cdkfix(&copy);
    let after = synth(python, &copy, &work.path().join("after.json"));
    let again = cdkfix(&copy);
    let mut failures = Vec::new();
    let mut fixes: BTreeMap<String, usize> = BTreeMap::new();
    let mut triggered = BTreeSet::new();
    let mut applied = Vec::new();
    for file in report["files"].as_array().unwrap() {
        if let Some(e) = file.get("error") {
            failures.push(format!("{name}: {}: {e}", file["path"]));
        }
        for f in file["findings"].as_array().into_iter().flatten() {
            triggered.insert(f["codemod"].as_str().unwrap().to_string());
        }
        for a in file["applied"].as_array().into_iter().flatten() {
            let codemod = a["codemod"].as_str().unwrap().to_string();
            *fixes.entry(codemod.clone()).or_default() += 1;
            applied.push((codemod, a["construct_id"].as_str().map(String::from)));
        }
    }
    for file in again["files"].as_array().unwrap() {
        if file["changed"] == true {
            failures.push(format!(
                "{name}: a second run changes {} again",
                file["path"]
            ));
        }
    }

    // A report-only entry's cdk-nag rules fire on each construct it reports.
    let before_findings = before["findings"].as_array().unwrap();
    for file in report["files"].as_array().unwrap() {
        for f in file["findings"].as_array().into_iter().flatten() {
            let codemod = f["codemod"].as_str().unwrap();
            let entry = catalogue.get(codemod).unwrap();
            let (true, Some(id)) = (entry.is_report(), f["construct_id"].as_str()) else {
                continue;
            };
            let fires = before_findings.iter().any(|b| {
                entry
                    .cdk_nag
                    .iter()
                    .any(|r| r == b["rule"].as_str().unwrap())
                    && on_construct(b["resource"].as_str().unwrap(), id)
            });
            if !entry.cdk_nag.is_empty() && !fires {
                failures.push(format!(
                    "{name}: {codemod} reports `{id}` but cdk-nag finds none of {:?} there",
                    entry.cdk_nag
                ));
            }
        }
    }

    // Stack-wide proofs: every resource of the type that has the property.
    let mut stack_proofs = BTreeSet::new();
    let mut unscoped = BTreeSet::new();
    // Resolved rules have no findings left on the constructs the fixes touched,
    // and the catalogue's template facts hold there.
    let after_findings = after["findings"].as_array().unwrap();
    for (codemod, id) in &applied {
        let entry = catalogue.get(codemod).unwrap();
        if entry
            .synth
            .as_ref()
            .is_some_and(|p| p.scope == ProofScope::Stack)
        {
            stack_proofs.insert(codemod.clone());
            continue;
        }
        // A fix on something that is not a construct (an IAM statement) is
        // checked by its rules' findings going down across the app.
        let Some(id) = id else {
            unscoped.insert(codemod.clone());
            continue;
        };
        for f in after_findings {
            let rule = f["rule"].as_str().unwrap();
            if entry.cdk_nag.iter().any(|r| r == rule)
                && on_construct(f["resource"].as_str().unwrap(), id)
            {
                failures.push(format!(
                    "{name}: {codemod} claims {rule} but it still fires on {}",
                    f["resource"]
                ));
            }
        }
        let Some(proof) = &entry.synth else { continue };
        let mut seen = 0;
        let mut held_somewhere = false;
        for template in after["stacks"].as_object().unwrap().values() {
            for (logical, res) in template["Resources"].as_object().into_iter().flatten() {
                let path = res["Metadata"]["aws:cdk:path"].as_str().unwrap_or_default();
                // Any type: the construct's own resource; a given type: any
                // resource of that type inside the construct (a REST API's stage).
                let touched = if proof.any_resource {
                    on_construct(path, id)
                } else if proof.resource_type == "*" {
                    path.ends_with(&format!("/{id}/Resource"))
                } else {
                    res["Type"] == proof.resource_type.as_str() && on_construct(path, id)
                };
                if !touched {
                    continue;
                }
                seen += 1;
                let held = proof.expect.iter().all(|fact| fact_holds(res, fact));
                if held {
                    held_somewhere = true;
                } else if !proof.any_resource {
                    failures.push(format!(
                        "{name}: after {codemod}, {logical} ({path}) lacks what [synth] expects: {:?}",
                        proof.expect.iter().map(|f| &f.path).collect::<Vec<_>>()
                    ));
                }
            }
        }
        if proof.any_resource && seen > 0 && !held_somewhere {
            failures.push(format!(
                "{name}: after {codemod}, no resource of `{id}` has what [synth] expects"
            ));
        }
        if seen == 0 {
            failures.push(format!(
                "{name}: {codemod} fixed `{id}` but no {} resource of that construct was found",
                proof.resource_type
            ));
        }
    }

    for codemod in &stack_proofs {
        let proof = catalogue.get(codemod).unwrap().synth.as_ref().unwrap();
        let mut seen = 0;
        for template in after["stacks"].as_object().unwrap().values() {
            for (logical, res) in template["Resources"].as_object().into_iter().flatten() {
                let typed =
                    proof.resource_type == "*" || res["Type"] == proof.resource_type.as_str();
                for fact in proof
                    .expect
                    .iter()
                    .filter(|f| typed && lookup(res, &f.path).is_some())
                {
                    seen += 1;
                    if !fact_holds(res, fact) {
                        failures.push(format!("{name}: after {codemod}, {logical} fails {fact:?}"));
                    }
                }
            }
        }
        if seen == 0 {
            failures.push(format!(
                "{name}: {codemod} applied but no resource carries {}",
                proof.expect[0].path
            ));
        }
    }

    // No rule gains findings unless an applied codemod declares it.
    let before_counts = counts(&before);
    let after_counts = counts(&after);
    for codemod in &unscoped {
        for rule in &catalogue.get(codemod).unwrap().cdk_nag {
            // Another applied fix that declares this rule confounds the count.
            let confounded = fixes.keys().any(|other| {
                other != codemod && catalogue.get(other).unwrap().introduces.contains(rule)
            });
            if confounded {
                continue;
            }
            let was = before_counts.get(rule).copied().unwrap_or(0);
            let now = after_counts.get(rule).copied().unwrap_or(0);
            if was > 0 && now >= was {
                failures.push(format!("{name}: {codemod} claims {rule}, but its findings did not go down ({was} -> {now})"));
            }
        }
    }
    let declared: BTreeSet<&str> = fixes
        .keys()
        .flat_map(|c| {
            catalogue
                .get(c)
                .unwrap()
                .introduces
                .iter()
                .map(String::as_str)
        })
        .collect();
    for (rule, &n) in &after_counts {
        let was = before_counts.get(rule).copied().unwrap_or(0);
        if n > was && !declared.contains(rule.as_str()) {
            failures.push(format!(
                "{name}: {rule} went from {was} to {n} findings and no applied codemod declares it"
            ));
        }
    }
    AppResult {
        name,
        before: before_counts,
        after: after_counts,
        fixes,
        failures,
        triggered,
    }
}

fn table(results: &[AppResult]) -> String {
    let mut out = String::new();
    for r in results {
        let before: usize = r.before.values().sum();
        let after: usize = r.after.values().sum();
        let removed = before.saturating_sub(after);
        writeln!(
            out,
            "\n### {} — {before} findings before, {after} after ({:.0}% removed)",
            r.name,
            100.0 * removed as f64 / before.max(1) as f64
        )
        .unwrap();
        writeln!(
            out,
            "fixes applied: {}",
            r.fixes
                .iter()
                .map(|(k, v)| format!("{k} x{v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
        .unwrap();
        writeln!(out, "| rule | before | after |\n| --- | ---: | ---: |").unwrap();
        let rules: BTreeSet<&String> = r.before.keys().chain(r.after.keys()).collect();
        for rule in rules {
            let b = r.before.get(rule).copied().unwrap_or(0);
            let a = r.after.get(rule).copied().unwrap_or(0);
            writeln!(out, "| {rule} | {b} | {a} |").unwrap();
        }
    }
    out
}

/// The synth environment's Python; `None` (after saying why) where the tier
/// is skipped, a failure under `CI=true`.
fn python_or_skip() -> Option<PathBuf> {
    match synth_python() {
        Ok(p) => Some(p),
        Err(why) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("synth tier skipped: {why}");
            None
        }
        Err(why) => panic!("synth tier cannot run under CI: {why}"),
    }
}

/// The arguments the removal-policy fix drops with DESTROY are every one the
/// pinned aws-cdk-lib rejects without it, read from the library itself.
#[test]
fn destroy_only_arguments_are_the_pinned_libraries() {
    let Some(python) = python_or_skip() else {
        return;
    };
    let out = Command::new(python)
        .arg(repo().join("scripts/gen-destroy-only.py"))
        .arg("--check")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The API index the `cdk-api-*` entries check against is the pinned
/// aws-cdk-lib's, regenerated from it.
#[test]
fn api_index_is_the_pinned_librarys() {
    let Some(python) = python_or_skip() else {
        return;
    };
    let out = Command::new(python)
        .arg(repo().join("scripts/gen-cdk-api.py"))
        .arg("--check")
        .env("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20,18,22")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn example_apps_before_and_after_cdkfix() {
    let Some(python) = python_or_skip() else {
        return;
    };
    let catalogue = Catalogue::builtin();
    let mut apps: Vec<PathBuf> = std::fs::read_dir(repo().join("fixtures/apps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("cdk.json").is_file())
        .collect();
    apps.sort();
    assert!(apps.len() >= 3, "expected at least three example apps");
    // Two apps at a time: each synth is one Python and one node process.
    let results: Vec<AppResult> = apps
        .chunks(2)
        .flat_map(|pair| {
            std::thread::scope(|s| {
                let handles: Vec<_> = pair
                    .iter()
                    .map(|app| s.spawn(|| check_app(&python, catalogue, app)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();

    // Apps that do not synthesize until cdkfix fixes them (the API family).
    let mut broken: Vec<PathBuf> = std::fs::read_dir(repo().join("fixtures/apps/broken"))
        .map(|d| {
            d.map(|e| e.unwrap().path())
                .filter(|p| p.join("broken.toml").is_file())
                .collect()
        })
        .unwrap_or_default();
    broken.sort();
    let results: Vec<AppResult> = results
        .into_iter()
        .chain(broken.chunks(2).flat_map(|pair| {
            std::thread::scope(|s| {
                let handles: Vec<_> = pair
                    .iter()
                    .map(|app| s.spawn(|| check_broken_app(&python, app)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap())
                    .collect::<Vec<_>>()
            })
        }))
        .collect();

    let report = table(&results);
    println!("{report}");
    // `target/` need not exist when CARGO_TARGET_DIR points elsewhere.
    let _ = std::fs::create_dir_all(repo().join("target"));
    let _ = std::fs::write(repo().join("target/synth-report.md"), &report);

    let mut failures: Vec<String> = results.iter().flat_map(|r| r.failures.clone()).collect();
    let triggered: BTreeSet<&String> = results.iter().flat_map(|r| &r.triggered).collect();
    for entry in &catalogue.entries {
        if !triggered.contains(&entry.id) {
            failures.push(format!("no example app triggers codemod {}", entry.id));
        }
        // A claim can only be checked for a pack this tier runs.
        for rule in &entry.cdk_nag {
            if !(rule.starts_with("AwsSolutions-") || rule.starts_with("Serverless-")) {
                failures.push(format!(
                    "codemod {} claims {rule}, a pack the synth tier does not run",
                    entry.id
                ));
            }
        }
        let fixed = results.iter().any(|r| r.fixes.contains_key(&entry.id));
        if fixed
            && entry.cdk_nag.is_empty()
            && entry.synth.is_none()
            && entry.synth_exempt.is_none()
        {
            failures.push(format!(
                "codemod {} has neither cdk-nag rules nor [synth] facts to check",
                entry.id
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} synth-tier failures:\n{}\n{report}",
        failures.len(),
        failures.join("\n")
    );
}
