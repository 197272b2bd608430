//! The `schedlab` binary: the command line is the library's (`schedlab::cli`), so that
//! a program of one's own can register policies and framework kinds and run the same
//! command line (see `examples/aging_drf.rs`).

/// mimalloc instead of glibc's malloc: a run allocates and frees millions of small
/// messages and table nodes, where glibc spent ~6 % of a Borg-scale run. Built without
/// transparent huge pages (`no_thp`): with them, every purge and re-touch of an arena
/// zeroed a 2 MiB page, a sixth of a run's time in the kernel.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    schedlab::cli::main()
}
