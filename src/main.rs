// Most of what cdkfix allocates is small and short-lived (per-file indexes,
// names, edits); mimalloc serves that faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cdkfix::cli::run()
}
