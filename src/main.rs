fn main() -> std::process::ExitCode {
    cdkfix::cli::run()
}
