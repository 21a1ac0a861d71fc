//! Throughput of the codemods against parsing alone, as ratios measured in one
//! run (the machines are shared and noisy, so absolute numbers drift).
//!
//! `cargo bench --bench throughput [-- COPIES]` builds a corpus of COPIES
//! copies (default 40) of every fixture and example app, then times, on one
//! thread: parse only; check (all codemods, no fixing); fix (all codemods,
//! unsafe fixes on, to the fixed point), each also as a ratio to the floor
//! (ast-grep parsing and running a rule that never matches). It also runs the
//! release binary's `--dry-run` over the corpus on all cores and over 1 and
//! 100 copies of the seed files, and reports its peak memory on each
//! (`CDKFIX_BENCH_CORPUS` skips the binary).
//!
//! On a loaded machine, count instructions instead of timing:
//! `CDKFIX_BENCH_ROUNDS=1 CDKFIX_BENCH_CORPUS=apps valgrind --tool=callgrind <bench binary> 2`, then
//! `callgrind_annotate --inclusive=yes` and compare `phase_parse`,
//! `phase_check` and `phase_fix`.

// The binary's allocator, so that the codemods' share is measured as it runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ast_grep_core::matcher::KindMatcher;
use ast_grep_language::Python;
use cdkfix::engine::{Engine, Settings};
use cdkfix::pyast::parse;
use cdkfix::source::SourceText;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn python_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            python_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "py") {
            out.push(path);
        }
    }
}

/// Best of `rounds` timings: the least disturbed by other load.
fn best<F: FnMut()>(rounds: usize, mut f: F) -> Duration {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap()
}

/// One corpus: COPIES copies of each seed, in memory and on disk.
struct Corpus {
    name: &'static str,
    sources: Vec<SourceText>,
    seeds: usize,
    copies: usize,
}

impl Corpus {
    fn new(name: &'static str, seeds: &[PathBuf], copies: usize, disk: &Path) -> Self {
        let texts: Vec<String> = seeds
            .iter()
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
            .collect();
        let mut sources = Vec::new();
        for copy in 0..copies {
            for (i, text) in texts.iter().enumerate() {
                let path = disk
                    .join(name)
                    .join(format!("c{copy}"))
                    .join(format!("f{i}.py"));
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, text).unwrap();
                sources.push(SourceText::from_text(text));
            }
        }
        Corpus {
            name,
            sources,
            seeds: seeds.len(),
            copies,
        }
    }

    fn bytes(&self) -> usize {
        self.sources.iter().map(|s| s.text.len()).sum()
    }
}

// The phases are separate functions so that an instruction count
// (`valgrind --tool=callgrind`, which is repeatable on a loaded machine)
// attributes each one's cost by name.
#[inline(never)]
fn phase_parse(sources: &[SourceText]) {
    for s in sources {
        std::hint::black_box(parse(&s.text));
    }
}

/// The floor the targets are set against: ast-grep parsing each file and
/// running one rule that never matches (it still visits every node).
#[inline(never)]
fn phase_floor(sources: &[SourceText], never: &KindMatcher) -> usize {
    let mut found = 0;
    for s in sources {
        found += parse(&s.text).root().find_all(never).count();
    }
    std::hint::black_box(found)
}

/// The engine with every codemod off: parse, imports, the one walk.
#[inline(never)]
fn phase_walk(sources: &[SourceText], engine: &Engine, settings: &Settings) {
    // The findings are counted so the body differs from `phase_check`'s:
    // identical functions may be folded into one, merging their costs.
    let mut findings = 0;
    for s in sources {
        findings += engine
            .run(s, settings, false)
            .map_or(0, |o| o.findings.len());
    }
    std::hint::black_box(findings);
}

#[inline(never)]
fn phase_check(sources: &[SourceText], engine: &Engine, settings: &Settings) {
    for s in sources {
        std::hint::black_box(engine.run(s, settings, false).ok());
    }
}

#[inline(never)]
fn phase_fix(sources: &[SourceText], engine: &Engine, settings: &Settings) {
    for s in sources {
        std::hint::black_box(engine.run(s, settings, true).ok());
    }
}

fn measure(corpus: &Corpus, engine: &Engine, settings: &Settings) {
    let sources = &corpus.sources;
    let files = sources.len();
    let rounds: usize = std::env::var("CDKFIX_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let parse_only = best(rounds, || phase_parse(sources));
    // Python 2's `print x`: a kind no CDK file has.
    let never = KindMatcher::new("print_statement", Python);
    let floor = best(rounds, || {
        phase_floor(sources, &never);
    });
    let mut none = settings.clone();
    none.enabled = vec![false; engine.catalogue.entries.len()];
    let walk = best(rounds, || phase_walk(sources, engine, &none));
    let check = best(rounds, || phase_check(sources, engine, settings));
    // The API family's share: the same check without the `cdk-api-*` entries.
    let mut no_api = settings.clone();
    for (i, e) in engine.catalogue.entries.iter().enumerate() {
        no_api.enabled[i] &= !e.id.starts_with("cdk-api-");
    }
    let check_no_api = best(rounds, || phase_check(sources, engine, &no_api));
    let fix = best(rounds, || phase_fix(sources, engine, settings));
    // Each pass re-parses and re-analyses: the main cost of fixing.
    let (mut passes, mut fixed) = (0, 0);
    let mut histogram = std::collections::BTreeMap::new();
    for s in sources {
        if let Ok(o) = engine.run(s, settings, true) {
            *histogram.entry(o.passes).or_insert(0usize) += 1;
            if o.fixed.is_some() {
                passes += o.passes;
                fixed += 1;
            }
        }
    }

    let mb = corpus.bytes() as f64 / 1e6;
    let row = |name: &str, d: Duration| {
        let secs = d.as_secs_f64();
        println!(
            "  {name:<12} {:>10.0} files/s {:>8.2} MB/s {:>6.2}x parse {:>6.2}x floor",
            files as f64 / secs,
            mb / secs,
            secs / parse_only.as_secs_f64(),
            secs / floor.as_secs_f64()
        );
    };
    println!(
        "{}: {files} files, {mb:.2} MB ({} copies of {} files, {:.1} KB each on average); best of {rounds}, one thread",
        corpus.name,
        corpus.copies,
        corpus.seeds,
        corpus.bytes() as f64 / files as f64 / 1e3
    );
    row("parse only", parse_only);
    row("floor", floor);
    row("walk only", walk);
    row("check", check);
    row("  no cdk-api", check_no_api);
    row("fix", fix);
    println!(
        "  fix: {fixed} files changed, {:.2} passes each on average (the last finds nothing left to fix)",
        passes as f64 / fixed.max(1) as f64
    );
    let spread: Vec<String> = histogram.iter().map(|(p, n)| format!("{p}: {n}")).collect();
    println!(
        "  passes per file (every file, fixed or not): {}",
        spread.join(", ")
    );

    // Where the check time goes: each codemod alone, as a ratio to parsing.
    if std::env::var_os("CDKFIX_BENCH_EACH").is_some() {
        let catalogue = engine.catalogue;
        let mut costs = Vec::new();
        for (idx, entry) in catalogue.entries.iter().enumerate() {
            let mut alone = settings.clone();
            alone.enabled = (0..catalogue.entries.len()).map(|i| i == idx).collect();
            let t = best(3, || {
                for s in sources {
                    std::hint::black_box(engine.run(s, &alone, false).ok());
                }
            });
            costs.push((
                t.as_secs_f64() / parse_only.as_secs_f64(),
                entry.id.as_str(),
            ));
        }
        costs.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (ratio, id) in costs.iter().take(10) {
            println!("    {ratio:>6.2}x parse  {id} alone");
        }
    }
}

fn main() {
    if std::env::var_os(MEASURE_ENV).is_some() {
        let args: Vec<String> = std::env::args().skip(1).collect();
        measure_child(&args[0], &args[1]);
        return;
    }
    // The API index is parsed once per process, on first use: its cost alone.
    let start = std::time::Instant::now();
    std::hint::black_box(cdkfix::api::api());
    println!(
        "API index: parsed once per run in {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    let copies: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(40);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut apps = Vec::new();
    python_files(&root.join("fixtures/apps"), &mut apps);
    apps.sort();
    let mut fixtures = Vec::new();
    python_files(&root.join("fixtures"), &mut fixtures);
    fixtures.retain(|p| !p.starts_with(root.join("fixtures/apps")));
    fixtures.sort();

    let disk = tempfile::tempdir().unwrap();
    // Two corpora of about the same size: the example apps (stacks as teams
    // write them) and the codemod fixtures (tiny files, each one case, far
    // denser in findings than real code).
    let fixture_corpus = Corpus::new("fixtures", &fixtures, copies, disk.path());
    let app_copies =
        (fixture_corpus.bytes() / Corpus::new("sizing", &apps, 1, disk.path()).bytes()).max(1);
    let _ = std::fs::remove_dir_all(disk.path().join("sizing"));
    let app_corpus = Corpus::new("apps", &apps, app_copies, disk.path());

    let engine = Engine::builtin();
    let catalogue = engine.catalogue;
    let mut settings = Settings::all(catalogue);
    settings.unsafe_fixes = true;
    // `CDKFIX_BENCH_CORPUS=apps` (or `fixtures`) measures one of them only.
    let only = std::env::var("CDKFIX_BENCH_CORPUS").ok();
    for corpus in [&app_corpus, &fixture_corpus] {
        if only.as_deref().is_none_or(|o| o == corpus.name) {
            measure(corpus, &engine, &settings);
        }
    }
    let bytes = app_corpus.bytes() + fixture_corpus.bytes();
    let mb = bytes as f64 / 1e6;
    let corpus = disk;

    // Whole binary, all cores, as users run it; peak resident memory of the
    // child: on this corpus, then on 1 and 100 copies of every seed file,
    // where it must not grow with the number of files.
    let bin = root.join("target/release/cdkfix");
    if only.is_some() {
        return;
    }
    if !bin.is_file() {
        println!("(build with `cargo build --release` to also measure the binary)");
        return;
    }
    let (wall, code, rss) = run_binary(&bin, corpus.path());
    println!(
        "binary --dry-run: {:.2} MB/s wall on all cores (exit {code:?}), peak RSS {:.1} MB = {:.1}x the corpus size",
        mb / wall,
        rss / 1e6,
        rss / bytes as f64
    );
    let seeds: Vec<PathBuf> = apps.iter().chain(&fixtures).cloned().collect();
    let mut peaks = Vec::new();
    for copies in [1, 100] {
        let dir = tempfile::tempdir().unwrap();
        let c = Corpus::new("scale", &seeds, copies, dir.path());
        let (wall, _, rss) = run_binary(&bin, dir.path());
        println!(
            "binary --dry-run on {copies}x ({} files, {:.1} MB): {wall:.1} s, peak RSS {:.1} MB",
            c.sources.len(),
            c.bytes() as f64 / 1e6,
            rss / 1e6
        );
        peaks.push(rss);
    }
    println!(
        "peak RSS 100x / 1x: {:.2} (the bound is 1.5)",
        peaks[1] / peaks[0]
    );
}

/// Run `cdkfix --dry-run --unsafe-fixes` on `dir`: wall seconds, exit code,
/// and the child's own peak resident memory in bytes.
///
/// A process's peak RSS starts from the memory of the image it replaced at
/// exec, so a child spawned from this process (which holds the corpora) would
/// report at least this process's size. The binary is therefore started by a
/// fresh, small copy of this bench (`MEASURE_ENV`), which reports its child's.
fn run_binary(bin: &Path, dir: &Path) -> (f64, Option<i32>, f64) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env(MEASURE_ENV, "1")
        .arg(bin)
        .arg(dir)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut fields = text.split_whitespace();
    let mut next = || fields.next().unwrap_or_else(|| panic!("measure: {text}"));
    let wall: f64 = next().parse().unwrap();
    let code: i32 = next().parse().unwrap();
    let rss: f64 = next().parse().unwrap();
    (wall, (code >= 0).then_some(code), rss)
}

const MEASURE_ENV: &str = "CDKFIX_BENCH_MEASURE";

/// The small copy's work: run `bin --dry-run --unsafe-fixes dir`, print
/// its wall seconds, exit code (-1 when killed) and peak RSS in bytes.
fn measure_child(bin: &str, dir: &str) {
    let start = Instant::now();
    #[allow(clippy::zombie_processes)] // reaped by wait4, which also gives its usage
    let child = std::process::Command::new(bin)
        .args(["--dry-run", "--unsafe-fixes"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 reaps our own child and writes into structs we own.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    // ru_maxrss is in KiB on Linux.
    println!(
        "{} {code} {}",
        start.elapsed().as_secs_f64(),
        usage.ru_maxrss as f64 * 1024.0
    );
}
