//! `sagediag`: the whole program is in the library ([`sagediag::front`]), under its lints.

/// musl's allocator is much slower than glibc's under this program's load (docs/performance.md):
/// the static Linux binaries allocate with mimalloc instead.
#[cfg(target_env = "musl")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    sagediag::front::main()
}
