//! The CPU check behind the adx/bmi2 build (`.cargo/config.toml`): a binary built with those
//! features dies on an illegal instruction on a CPU without them, so the CLI asks first.
//!
//! Linux only (it reads `/proc/cpuinfo`, which needs neither `unsafe` nor a recent compiler
//! for a safe CPUID); elsewhere the check passes.

/// The instruction-set extensions this build may use, as `/proc/cpuinfo` names them.
#[cfg(all(
    target_arch = "x86_64",
    any(target_feature = "adx", target_feature = "bmi2")
))]
const BUILD_FEATURES: [&str; 2] = ["adx", "bmi2"];

/// `Err(advice)` when this binary was built for adx+bmi2 and the CPU lacks either.
pub fn check_build_features() -> Result<(), String> {
    #[cfg(all(
        target_os = "linux",
        target_arch = "x86_64",
        any(target_feature = "adx", target_feature = "bmi2")
    ))]
    if let Ok(cpuinfo) = std::fs::read_to_string("/proc/cpuinfo") {
        return check_flags(&cpuinfo);
    }
    Ok(())
}

#[cfg(all(
    target_arch = "x86_64",
    any(target_feature = "adx", target_feature = "bmi2")
))]
fn check_flags(cpuinfo: &str) -> Result<(), String> {
    let Some(flags) = cpuinfo.lines().find(|l| l.starts_with("flags")) else {
        return Ok(()); // An unfamiliar format: do not block on it.
    };
    let have: Vec<&str> = flags.split_whitespace().collect();
    match BUILD_FEATURES.iter().find(|f| !have.contains(f)) {
        None => Ok(()),
        Some(missing) => Err(format!(
            "this build uses the adx and bmi2 instructions and this CPU lacks {missing}; \
             rebuild portably with `RUSTFLAGS=\"\" cargo build --release`"
        )),
    }
}

#[cfg(all(
    test,
    target_arch = "x86_64",
    any(target_feature = "adx", target_feature = "bmi2")
))]
mod tests {
    use super::check_flags;

    #[test]
    fn names_the_missing_flag() {
        assert!(check_flags("flags\t\t: fpu sse2 adx bmi2 avx2\n").is_ok());
        let err = check_flags("flags\t\t: fpu sse2 bmi2\n").unwrap_err();
        assert!(err.contains("lacks adx"), "{err}");
        assert!(check_flags("processor: 0\n").is_ok());
    }
}
