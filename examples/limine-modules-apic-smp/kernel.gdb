# GDB script for this kernel. Start QEMU waiting for a debugger in one terminal:
#
#     cargo run -- --gdb        (or: cargo test -- --gdb, for the test binaries)
#
# and run the command it prints in another, which names the ELF to debug:
#
#     gdb -q -x kernel.gdb target/x86_64-unknown-none/debug/limine-modules-apic-smp
#
# GDB reads the kernel's symbols from that ELF (a debug build: the release profile has none), then
# this script connects to QEMU and runs the kernel up to its main function.

set pagination off

# QEMU's x86_64 GDB stub always sends the 64-bit register set, also while the CPU runs the
# firmware, the loader or 32-bit boot code. GDB must stay on the 64-bit architecture (the ELF sets
# it; a 32-bit one fails with "Remote 'g' packet reply is too long").
set architecture i386:x86-64

target remote localhost:1234

# HARDWARE breakpoints: a software breakpoint is an int3 byte written into memory, and one set now,
# before the loader has copied the kernel there, is overwritten and never hits (under KVM and on
# real machines; QEMU's emulator happens to keep them). Set your own early ones with `hbreak` too;
# x86 has four debug registers.
#
# The kernel binary starts in `kernel_main`, every test binary in `testing::test_kernel_main`.
# Each ELF has one of the two: the other stays pending and costs no debug register.
set breakpoint pending on
hbreak kernel_main
hbreak test_kernel_main
set breakpoint pending auto

continue
