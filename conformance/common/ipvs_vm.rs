//! The IPVS test guest: a QEMU (TCG) virtual machine with Debian's kernel, whose IPVS the host
//! kernel lacks. `conformance/ipvs-vm/build.sh` builds it from Debian packages into a cache outside
//! the clone (`$IPVS_VM_CACHE`, default `/var/cache/keepalived-rs/ipvs-vm`); `.ci/run` does that
//! before the tests. `run-in-vm.sh` boots it (about 2 s), runs one bash command in a host
//! directory shared over 9p and returns the command's exit status.
//!
//! A test needing the guest calls [`IpvsVm::require`]: without qemu or the image it prints one
//! `SKIP` line, or fails under `KEEPALIVED_RS_FULL_TESTS=1`. Each run is a fresh boot: nothing
//! (IPVS tables, interfaces, processes) survives from one `run` to the next. The guest has no
//! network device, only `lo` and what the command creates.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Exit status of `run-in-vm.sh` when the guest did not finish in time.
pub const TIMEOUT: i32 = 124;
/// Exit status of `run-in-vm.sh` on an infrastructure failure (no image, panic, no status).
pub const INFRA: i32 = 125;

pub struct IpvsVm {
    script: PathBuf,
}

impl IpvsVm {
    fn vm_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/ipvs-vm")
    }

    /// The guest's image directory, as `run-in-vm.sh` finds it.
    pub fn image_dir() -> PathBuf {
        let cache = std::env::var_os("IPVS_VM_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/cache/keepalived-rs/ipvs-vm"));
        cache.join("current")
    }

    /// `Err(reason)` when qemu or the built image is missing.
    pub fn probe() -> Result<IpvsVm, String> {
        let qemu = Command::new("qemu-system-x86_64")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !qemu {
            return Err(
                "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)".into(),
            );
        }
        let images = Self::image_dir();
        for f in ["vmlinux", "initramfs.cpio"] {
            if !images.join(f).is_file() {
                return Err(format!(
                    "no IPVS guest image {} (run conformance/ipvs-vm/build.sh)",
                    images.join(f).display()
                ));
            }
        }
        Ok(IpvsVm {
            script: Self::vm_dir().join("run-in-vm.sh"),
        })
    }

    pub fn available() -> bool {
        Self::probe().is_ok()
    }

    /// The guest, or `None` after one `SKIP` line (a panic under `KEEPALIVED_RS_FULL_TESTS=1`).
    pub fn require() -> Option<IpvsVm> {
        match Self::probe() {
            Ok(vm) => Some(vm),
            Err(reason) => {
                super::require(false, &reason);
                None
            }
        }
    }

    /// Boots the guest, runs `cmd` with bash in `dir` (shared, writable, the working directory)
    /// and returns its exit status ([`TIMEOUT`], [`INFRA`]) with its output; `run-in-vm.sh`'s own
    /// messages follow the command's output.
    pub fn run(&self, dir: &Path, cmd: &str) -> (i32, String) {
        self.run_within(dir, cmd, 60)
    }

    /// [`run`](Self::run) with a time limit of `secs` (`VM_TIMEOUT` overrides it).
    pub fn run_within(&self, dir: &Path, cmd: &str, secs: u32) -> (i32, String) {
        // One guest at a time per test binary: several emulated guests on a 2-core machine
        // each take several times longer, and the tests' own deadlines inside the guest (a
        // daemon's start, a repair within a period) would measure the host's load instead.
        static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
        let out = Command::new("bash")
            .arg(&self.script)
            .arg(dir)
            .arg(cmd)
            .env(
                "VM_TIMEOUT",
                std::env::var("VM_TIMEOUT").unwrap_or(secs.to_string()),
            )
            .output()
            .expect("run bash run-in-vm.sh");
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        (out.status.code().unwrap_or(INFRA), text)
    }

    /// [`run`](Self::run) that panics with the output unless the command succeeds.
    pub fn run_ok(&self, dir: &Path, cmd: &str) -> String {
        let (status, out) = self.run(dir, cmd);
        assert_eq!(status, 0, "in the IPVS guest: {cmd}\n{out}");
        out
    }
}

/// The static x86_64 musl build of the daemon (what a router runs), built first if needed with
/// `cargo build --release --target x86_64-unknown-linux-musl` (a no-op when fresh; `.ci/run`
/// builds it before the tests). `Err` when the build fails, e.g. without the rustup target.
pub fn musl_binary() -> Result<PathBuf, String> {
    let target = "x86_64-unknown-linux-musl";
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--release", "--quiet", "--target", target])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER", "rust-lld")
        .output()
        .map_err(|e| format!("cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo build --release --target {target} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    // CARGO_BIN_EXE is <target dir>/debug/keepalived-rs.
    let dir = Path::new(super::bin()).parent().and_then(Path::parent);
    let bin = dir
        .map(|d| d.join(target).join("release/keepalived-rs"))
        .ok_or("no target directory")?;
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!("{} missing after the build", bin.display()))
    }
}

/// `true` when the ELF file has no program interpreter (PT_INTERP), i.e. is statically linked.
pub fn is_static_elf(path: &Path) -> bool {
    let Ok(b) = std::fs::read(path) else {
        return false;
    };
    if b.len() < 64 || &b[..4] != b"\x7fELF" || b[4] != 2 {
        return false;
    }
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(b[32..40].try_into().unwrap()) as usize;
    let (phentsize, phnum) = (u16_at(54), u16_at(56));
    (0..phnum).all(|i| {
        let o = phoff + i * phentsize;
        b.get(o..o + 4)
            .is_some_and(|t| u32::from_le_bytes(t.try_into().unwrap()) != 3)
    })
}
