//! The c-interop module's build step (build.rs's `main` calls [`build`]):
//! every `csrc/*.c` compiled with the host C compiler, archived into a static
//! library in OUT_DIR, and linked into the kernel.
//!
//! The compiler is `$CC`, else `cc`; `--version` tells GCC from Clang, and
//! each gets the flags the target model gives this kernel (preset
//! `baseline`): the same instruction set, code model and relocation
//! model as the Rust code, no red zone, and no x87, MMX or SSE code (the
//! target's ABI is soft-float). No `cc` crate: the kernel has no
//! dependencies.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, exit};

/// The C compiler families the model has flags for.
#[derive(Clone, Copy)]
enum Compiler {
    Gcc,
    Clang,
}

/// GCC's flags for this kernel (target model, `cFlags`).
const GCC_FLAGS: &[&str] = &[
    "-ffreestanding",
    "-fno-stack-protector",
    "-fno-stack-check",
    "-fno-omit-frame-pointer",
    "-mno-red-zone",
    "-fno-lto",
    "-march=x86-64",
    "-mno-80387",
    "-mno-mmx",
    "-mno-sse",
    "-mno-sse2",
    "-mcmodel=kernel",
    "-fno-pic",
    "-fno-pie",
];

/// Clang's flags for this kernel (target model, `cFlags`).
const CLANG_FLAGS: &[&str] = &[
    "--target=x86_64-unknown-none-elf",
    "-ffreestanding",
    "-fno-stack-protector",
    "-fno-stack-check",
    "-fno-omit-frame-pointer",
    "-mno-red-zone",
    "-fno-lto",
    "-march=x86-64",
    "-mno-80387",
    "-mno-mmx",
    "-mno-sse",
    "-mno-sse2",
    "-mcmodel=kernel",
    "-fno-pic",
    "-fno-pie",
];

/// Flags of this project's own, for either compiler: the C standard the
/// sources are written in, and every warning an error, as clippy's are. Add
/// yours here: CFLAGS is not read, so nothing changes the flags above.
const PROJECT_FLAGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Werror"];

/// The Rust code model and relocation model the flags above are for, and
/// x86_64-unknown-none's own, which apply when the rustflags name none.
const CODE_MODEL: &str = "kernel";
const RELOCATION_MODEL: &str = "static";
const TARGET_CODE_MODEL: &str = "kernel";
const TARGET_RELOCATION_MODEL: &str = "pic";

/// Where a C compiler comes from, for the error when there is none.
const INSTALL_HINT: &str = "Debian/Ubuntu: gcc libc6-dev; Fedora: gcc; Arch: gcc";

/// The static library's name: `libkernel_c.a` in OUT_DIR.
const LIBRARY: &str = "kernel_c";

/// Compiles `csrc/*.c` and links the result into every artifact.
pub fn build() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let csrc = manifest_dir.join("csrc");
    // A directory: cargo reruns when any file under it changes.
    println!("cargo:rerun-if-changed={}", csrc.display());
    println!("cargo:rerun-if-changed=build/c_interop.rs");
    println!("cargo:rerun-if-env-changed=CC");
    println!("cargo:rerun-if-env-changed=AR");

    check_rust_models();

    let (cc, from) = match std::env::var_os("CC") {
        Some(cc) if !cc.is_empty() => (cc, "CC"),
        _ => (OsString::from("cc"), "the default; set CC to choose"),
    };
    let (compiler, version) = identify(&cc, from);
    let flags = match compiler {
        Compiler::Gcc => GCC_FLAGS,
        Compiler::Clang => CLANG_FLAGS,
    };
    // The profile's optimisation level (0-3, s, z: GCC and Clang take them
    // all) and debug information, as for the Rust code.
    let opt_level = std::env::var("OPT_LEVEL").unwrap_or_else(|_| "0".into());
    let debug = std::env::var("DEBUG").is_ok_and(|debug| debug != "false" && debug != "0");

    let mut objects = Vec::new();
    for source in sources(&csrc) {
        let stem = source.file_stem().expect("a .c file has a name");
        let object = out_dir.join(format!("{}.o", stem.to_string_lossy()));
        let mut command = Command::new(&cc);
        command
            .args(flags)
            .args(PROJECT_FLAGS)
            .arg(format!("-O{opt_level}"))
            .arg("-I")
            .arg(&csrc)
            .arg("-c")
            .arg(&source)
            .arg("-o")
            .arg(&object);
        if debug {
            command.arg("-g");
        }
        run(&mut command, &format!("compiling {}", source.display()));
        objects.push(object);
    }

    // `ar r` adds to an existing archive: start afresh, so that a deleted
    // .c file leaves nothing behind. `s` writes the symbol index the linker
    // reads.
    let library = out_dir.join(format!("lib{LIBRARY}.a"));
    let _ = std::fs::remove_file(&library);
    let ar = std::env::var_os("AR").unwrap_or_else(|| "ar".into());
    run(
        Command::new(&ar).arg("crs").arg(&library).args(&objects),
        "archiving the C objects (`ar` comes with binutils; AR names another archiver)",
    );
    println!("cargo:rustc-link-search=native={}", out_dir.display());
    println!("cargo:rustc-link-lib=static={LIBRARY}");
    // For src/c_interop.rs: which compiler built the C code.
    let family = match compiler {
        Compiler::Gcc => "gcc",
        Compiler::Clang => "clang",
    };
    println!("cargo:rustc-env=C_INTEROP_COMPILER={family}");
    println!("cargo:rustc-env=C_INTEROP_COMPILER_VERSION={version}");
}

/// The compiler's family and the first line of its `--version`; stops the
/// build with one line saying what to install when it does not run.
fn identify(cc: &OsString, from: &str) -> (Compiler, String) {
    let cc_name = cc.to_string_lossy();
    let output = match Command::new(cc).arg("--version").output() {
        Ok(output) if output.status.success() => output,
        Ok(output) => stop(&format!(
            "the C compiler `{cc_name}` ({from}) failed to run `--version`: {}",
            output.status
        )),
        Err(error) => stop(&format!(
            "no C compiler: `{cc_name}` ({from}) cannot be run ({error}); \
             install gcc or clang ({INSTALL_HINT}), or set CC"
        )),
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text.lines().next().unwrap_or_default().trim().to_string();
    // Clang's first line says "clang version"; GCC's copyright line names
    // the Free Software Foundation whatever the program is called.
    let compiler = if text.contains("clang") {
        Compiler::Clang
    } else if text.contains("Free Software Foundation") {
        Compiler::Gcc
    } else {
        stop(&format!(
            "`{cc_name}` ({from}) is neither GCC nor Clang (it says \"{version}\"); \
             set CC to gcc or clang"
        ))
    };
    (compiler, version)
}

/// Stops the build when the Rust code is built with another code model or
/// relocation model than the C flags are for (.cargo/config.toml's rustflags
/// changed): the link would fail on relocations that do not fit, or the C
/// code would not be position-independent in a position-independent kernel.
fn check_rust_models() {
    // The rustflags cargo passes to rustc, separated by 0x1f.
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    // rustc takes the last `-C name=value` (or `-Cname=value`) of each name.
    let option = |name: &str| {
        flags
            .split('\x1f')
            .rev()
            .find_map(|flag| {
                let flag = flag.strip_prefix("-C").unwrap_or(flag);
                flag.strip_prefix(name)?.strip_prefix('=')
            })
            .map(str::to_string)
    };
    let code_model = option("code-model").unwrap_or_else(|| TARGET_CODE_MODEL.into());
    let relocation_model =
        option("relocation-model").unwrap_or_else(|| TARGET_RELOCATION_MODEL.into());
    if (code_model.as_str(), relocation_model.as_str()) != (CODE_MODEL, RELOCATION_MODEL) {
        stop(&format!(
            "the C flags are for code model {CODE_MODEL} and relocation model \
             {RELOCATION_MODEL}, but the Rust code is built with {code_model} and \
             {relocation_model} (.cargo/config.toml); C and Rust must agree"
        ));
    }
}

/// The `.c` files directly in `csrc`, sorted (the same archive every time).
fn sources(csrc: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(csrc)
        .unwrap_or_else(|error| stop(&format!("cannot read {}: {error}", csrc.display())));
    let mut sources: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "c"))
        .collect();
    sources.sort();
    sources
}

/// Runs `command`, stopping the build with its output when it fails.
fn run(command: &mut Command, what: &str) {
    let program = command.get_program().to_string_lossy().into_owned();
    match command.output() {
        Ok(output) if output.status.success() => {}
        Ok(output) => {
            eprint!("{}", String::from_utf8_lossy(&output.stdout));
            eprint!("{}", String::from_utf8_lossy(&output.stderr));
            stop(&format!(
                "{what} failed: `{program}` exited with {}",
                output.status
            ));
        }
        Err(error) => stop(&format!("{what}: `{program}` cannot be run ({error})")),
    }
}

/// Ends the build with one line on what went wrong.
fn stop(message: &str) -> ! {
    eprintln!("error: c-interop: {message}");
    exit(1);
}
