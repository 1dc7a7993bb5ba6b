//! The `cpic` binary: parse arguments, run the command, exit.

use std::process::ExitCode;

// cpic builds many small strings (SQL, pages); mimalloc makes that about
// a fifth faster than the system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // The compiler bounds its own recursion, but a generous stack keeps deep
    // (yet accepted) specs far from the limit on every platform.
    let worker = std::thread::Builder::new()
        .name("cpic".into())
        .stack_size(256 * 1024 * 1024)
        .spawn(cpic::cli::main);
    match worker.map(|handle| handle.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => ExitCode::from(101),
    }
}
