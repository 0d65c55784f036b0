//! src/acpi against QEMU's real tables, which QEMU builds itself
//! (hw/i386/acpi-build.c, the MADT in hw/i386/acpi-common.c) and SeaBIOS or
//! OVMF hand over: the RSDP and every table pass their checksums and
//! corrupted copies are refused; the root table is the XSDT exactly when the
//! RSDP has one; the MADT has QEMU's I/O APIC at 0xFEC00000 (GSI base 0),
//! the ISA IRQ 0 -> GSI 2 override, LINT1 as every CPU's NMI, and one enabled
//! local APIC per CPU QEMU was started with (which QEMU also tells through
//! its fw_cfg device, independently of the tables). A synthetic MADT covers
//! the entry types QEMU does not emit.

#![no_std]
#![no_main]

extern crate limine_modules_apic_smp as kernel;

use core::arch::asm;
use core::arch::x86_64::__cpuid;

use kernel::acpi::sdt::{self, HEADER_LEN};
use kernel::acpi::{
    self, ALL_PROCESSORS, AcpiError, InterruptOverride, IoApic, LocalApic, LocalApicNmi, Madt,
    NmiSource, Polarity, Rsdp, Structure, Table, Trigger, madt, rsdp,
};
use kernel::arch::x86_64::port::inb;
use kernel::boot::BootInfo;
use kernel::boot_info::{Firmware, Loader};
use kernel::kernel_test;
use kernel::sync::{Once, SpinLock};

kernel::entry_point!(main);

static BOOT_INFO: Once<&'static BootInfo> = Once::new();
/// What `acpi::init` returned, called before the harness starts.
static INIT: Once<Result<(), AcpiError>> = Once::new();

fn main(boot_info: &'static BootInfo) -> ! {
    let _ = BOOT_INFO.set(boot_info);
    let _ = INIT.set(acpi::init(boot_info));
    kernel::testing::test_kernel_main(boot_info)
}

fn boot_info() -> &'static BootInfo {
    BOOT_INFO
        .get()
        .expect("main stores the boot information first")
}

fn the_madt() -> &'static Madt {
    acpi::madt().expect("QEMU's tables have an MADT")
}

/// The test's own checksum: the bytes' sum modulo 256.
fn sum(bytes: &[u8]) -> u8 {
    bytes
        .iter()
        .fold(0, |total: u8, byte| total.wrapping_add(*byte))
}

/// Sets `bytes[index]` so that `bytes[range]` adds up to 0.
fn fix_checksum(bytes: &mut [u8], index: usize, range: core::ops::Range<usize>) {
    bytes[index] = 0;
    bytes[index] = 0u8.wrapping_sub(sum(&bytes[range]));
}

// QEMU's fw_cfg device (QEMU docs/specs/fw_cfg.rst): write a 16-bit key to
// the selector port, then read the item's bytes one by one from the data
// port. Items are little-endian.
const FW_CFG_SELECTOR_PORT: u16 = 0x510;
const FW_CFG_DATA_PORT: u16 = 0x511;
/// Key 0x00: the signature "QEMU".
const FW_CFG_SIGNATURE: u16 = 0x00;
/// Key 0x05: the number of CPUs QEMU started (`-smp`), a 16-bit value
/// (hw/i386/fw_cfg.c: `fw_cfg_add_i16(fw_cfg, FW_CFG_NB_CPUS, boot_cpus)`).
const FW_CFG_NB_CPUS: u16 = 0x05;

/// The first `N` bytes of fw_cfg item `key`.
fn fw_cfg<const N: usize>(key: u16) -> [u8; N] {
    // SAFETY: 0x510 is QEMU's fw_cfg selector; selecting an item has no
    // effect beyond what the data port returns next.
    unsafe {
        asm!(
            "out dx, ax",
            in("dx") FW_CFG_SELECTOR_PORT,
            in("ax") key,
            options(nomem, nostack, preserves_flags)
        );
    }
    // SAFETY: reading the data port only advances the item's read offset.
    core::array::from_fn(|_| unsafe { inb(FW_CFG_DATA_PORT) })
}

/// How many CPUs QEMU was started with, from its fw_cfg device.
fn qemu_cpu_count() -> usize {
    assert_eq!(
        &fw_cfg::<4>(FW_CFG_SIGNATURE),
        b"QEMU",
        "QEMU's fw_cfg device answers"
    );
    usize::from(u16::from_le_bytes(fw_cfg::<2>(FW_CFG_NB_CPUS)))
}

/// Intel SDM Vol. 2A, CPUID leaf 01H: EBX bits 31:24 are the initial APIC
/// ID of the CPU running it.
fn this_cpu_apic_id() -> u32 {
    #[allow(unused_unsafe)]
    // SAFETY: CPUID leaf 1 exists on every x86_64 CPU (`__cpuid` is safe
    // since Rust 1.89).
    let leaf = unsafe { __cpuid(1) };
    leaf.ebx >> 24
}

/// Intel SDM Vol. 3A, "Local APIC Status and Location": IA32_APIC_BASE
/// (MSR 0x1B); bits 12 and up hold the local APIC's physical base address.
const IA32_APIC_BASE: u32 = 0x1B;
const APIC_BASE_MASK: u64 = !0xFFF;

fn read_msr(msr: u32) -> u64 {
    let (low, high): (u32, u32);
    // SAFETY: IA32_APIC_BASE exists on every CPU with an APIC; reading it
    // has no side effects.
    unsafe {
        asm!(
            "rdmsr",
            in("ecx") msr,
            out("eax") low,
            out("edx") high,
            options(nomem, nostack, preserves_flags)
        );
    }
    (u64::from(high) << 32) | u64::from(low)
}

/// A buffer in the kernel image, where corrupted copies of the tables lie
/// in physical memory that `Table::read` and `Rsdp::read` can be pointed at.
#[repr(C, align(16))]
struct Scratch([u8; SCRATCH_LEN]);
const SCRATCH_LEN: usize = 2048;
static SCRATCH: SpinLock<Scratch> = SpinLock::new(Scratch([0; SCRATCH_LEN]));

/// Copies `bytes` into the scratch buffer, lets `change` alter the copy,
/// and returns what `read` makes of the copy's physical address.
fn read_copy<T>(bytes: &[u8], change: impl FnOnce(&mut [u8]), read: impl FnOnce(u64) -> T) -> T {
    let mut scratch = SCRATCH.lock();
    let copy = &mut scratch.0[..bytes.len()];
    copy.copy_from_slice(bytes);
    change(copy);
    let virt = scratch.0.as_ptr() as u64;
    let physical = kernel::memory::translate(virt).expect("the kernel image is mapped");
    read(physical)
}

/// The RSDP as it lies in memory (20 bytes for ACPI 1.0, 36 for 2.0+).
fn rsdp_bytes() -> ([u8; rsdp::V2_LEN], usize) {
    let (address, rsdp) = acpi::rsdp().expect("init found the RSDP");
    let len = if rsdp.revision >= rsdp::FIRST_EXTENDED_REVISION {
        rsdp::V2_LEN
    } else {
        rsdp::V1_LEN
    };
    let mut bytes = [0; rsdp::V2_LEN];
    let virt = boot_info().physical_to_virtual(address) as *const u8;
    // SAFETY: init read these bytes at this address (checking the mapping).
    bytes[..len].copy_from_slice(unsafe { core::slice::from_raw_parts(virt, len) });
    (bytes, len)
}

kernel_test! {
    fn init_succeeds_once_and_again() {
        assert_eq!(INIT.get(), Some(&Ok(())));
        let madt = the_madt() as *const Madt;
        let tables = acpi::tables().len();
        assert_eq!(acpi::init(boot_info()), Ok(()));
        assert_eq!(acpi::madt().map(|madt| madt as *const Madt), Some(madt));
        assert_eq!(acpi::tables().len(), tables);
    }
}

kernel_test! {
    fn the_rsdp_is_the_loaders_and_its_checksums_hold() {
        let (address, found) = acpi::rsdp().expect("init found the RSDP");
        // Every loader here reports it (GRUB's tags, PVH's rsdp_paddr).
        assert_eq!(boot_info().rsdp, Some(address));
        let (bytes, len) = rsdp_bytes();
        assert_eq!(&bytes[..8], b"RSD PTR ");
        assert_eq!(sum(&bytes[..rsdp::V1_LEN]), 0, "ACPI 1.0 checksum");
        assert_eq!(sum(&bytes[..len]), 0, "extended checksum");
        assert_eq!(Rsdp::parse(&bytes[..len], address), Ok(found));
        assert_eq!(found.revision, bytes[15]);
        assert_eq!(found.rsdt_address.to_le_bytes(), bytes[16..20]);
    }
}

kernel_test! {
    fn a_corrupted_rsdp_is_refused() {
        let (_, found) = acpi::rsdp().expect("init found the RSDP");
        let (bytes, len) = rsdp_bytes();
        // From memory, through the same reader init used.
        assert_eq!(
            read_copy(&bytes[..len], |_| {}, Rsdp::read).map(|r| r.rsdt_address),
            Ok(found.rsdt_address)
        );
        for index in 0..rsdp::V1_LEN {
            let result = read_copy(&bytes[..len], |copy| copy[index] ^= 0x40, Rsdp::read);
            let expected = if index < 8 { "signature" } else { "checksum" };
            match result {
                Err(AcpiError::BadSignature {
                    what: Structure::Rsdp,
                    ..
                }) if index < 8 => {}
                Err(AcpiError::BadChecksum {
                    what: Structure::Rsdp,
                    ..
                }) if index >= 8 => {}
                other => {
                    panic!("byte {index} of the RSDP changed: {other:?}, expected a bad {expected}")
                }
            }
        }
    }
}

kernel_test! {
    fn an_acpi_2_rsdp_needs_its_extended_checksum() {
        // An ACPI 2.0 RSDP built by the book (ACPI 6.5 §5.2.5.3) around the
        // real RSDT address, with an XSDT address.
        let (real, _) = rsdp_bytes();
        let xsdt: u64 = 0x1234_5678_9ABC_DEF0;
        let mut v2 = [0u8; rsdp::V2_LEN];
        v2[..rsdp::V1_LEN].copy_from_slice(&real[..rsdp::V1_LEN]);
        v2[15] = 2;
        v2[20..24].copy_from_slice(&(rsdp::V2_LEN as u32).to_le_bytes());
        v2[24..32].copy_from_slice(&xsdt.to_le_bytes());
        fix_checksum(&mut v2, 8, 0..rsdp::V1_LEN);
        fix_checksum(&mut v2, 32, 0..rsdp::V2_LEN);
        let parsed = read_copy(&v2, |_| {}, Rsdp::read).expect("a well-formed ACPI 2.0 RSDP");
        assert_eq!(parsed.revision, 2);
        assert_eq!(parsed.xsdt_address, Some(xsdt));
        // The XSDT address is outside the first checksum, inside the second.
        let result = read_copy(&v2, |copy| copy[24] ^= 1, Rsdp::read);
        assert!(
            matches!(
                result,
                Err(AcpiError::BadChecksum {
                    what: Structure::RsdpExtended,
                    ..
                })
            ),
            "{result:?}"
        );
        // A Length below 36 cannot be an ACPI 2.0 RSDP.
        let result = read_copy(
            &v2,
            |copy| {
                copy[20] = 20;
                fix_checksum(copy, 32, 0..rsdp::V2_LEN);
            },
            Rsdp::read,
        );
        assert!(
            matches!(
                result,
                Err(AcpiError::BadLength {
                    what: Structure::RsdpExtended,
                    ..
                })
            ),
            "{result:?}"
        );
        // Revision 0: the extended fields are not looked at.
        let mut v1 = v2;
        v1[15] = 0;
        fix_checksum(&mut v1, 8, 0..rsdp::V1_LEN);
        let parsed = Rsdp::parse(&v1[..rsdp::V1_LEN], 0).expect("an ACPI 1.0 RSDP");
        assert_eq!(parsed.xsdt_address, None);
    }
}

kernel_test! {
    fn the_root_table_is_the_xsdt_exactly_when_the_rsdp_has_one() {
        let (_, found) = acpi::rsdp().expect("init found the RSDP");
        let root = acpi::root_table().expect("init read the root table");
        let (signature, width) = match found.xsdt_address {
            Some(xsdt) => {
                assert!(found.revision >= 2);
                assert_eq!(root.address, xsdt);
                (*b"XSDT", 8)
            }
            None => {
                assert_eq!(root.address, u64::from(found.rsdt_address));
                (*b"RSDT", 4)
            }
        };
        assert_eq!(root.signature(), signature);
        assert_eq!(sum(root.bytes()), 0);
        // The test's own decoding of the entries: little-endian addresses
        // of `width` bytes after the header.
        let body = &root.bytes()[HEADER_LEN..];
        assert_eq!(body.len() % width, 0, "whole entries only");
        let listed = acpi::tables();
        assert_eq!(
            acpi::rejected_tables().0,
            0,
            "{:?}",
            acpi::rejected_tables().1
        );
        let entries = body.len() / width;
        for (index, entry) in body.chunks_exact(width).enumerate() {
            let mut address = [0u8; 8];
            address[..width].copy_from_slice(entry);
            assert_eq!(
                listed[index].address,
                u64::from_le_bytes(address),
                "entry {index}"
            );
        }
        // Then the DSDT, from the FADT.
        assert_eq!(listed.len(), entries + 1);
        assert_eq!(&listed[entries].signature(), b"DSDT");
    }
}

kernel_test! {
    fn every_listed_table_has_a_valid_checksum() {
        let tables = acpi::tables();
        for table in tables {
            assert_eq!(sum(table.bytes()), 0, "{table:?}");
            assert_eq!(
                table.header().length() as usize,
                table.bytes().len(),
                "{table:?}"
            );
            assert!(
                table
                    .signature()
                    .iter()
                    .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit()),
                "{table:?}"
            );
        }
        // acpi-build.c builds the FADT, the MADT and the DSDT on every x86 machine.
        for signature in [b"FACP", b"APIC", b"DSDT"] {
            let found = acpi::find_table(signature).expect("QEMU builds it");
            assert_eq!(&found.signature(), signature);
        }
        assert!(acpi::find_table(b"NONE").is_none());
    }
}

kernel_test! {
    fn a_corrupted_copy_of_a_table_is_refused() {
        let madt = acpi::find_table(b"APIC").expect("QEMU builds an MADT");
        let bytes = madt.bytes();
        assert!(
            bytes.len() <= SCRATCH_LEN,
            "the MADT fits the scratch buffer"
        );
        let read = |physical| Table::read(physical, Some(*b"APIC"));
        let copy = read_copy(bytes, |_| {}, read).expect("an intact copy");
        assert_eq!(copy.bytes(), bytes);
        // Any byte changed, the checksum byte included.
        for index in [9, HEADER_LEN, HEADER_LEN + 5, bytes.len() - 1] {
            let result = read_copy(bytes, |copy| copy[index] ^= 0x10, read);
            assert!(
                matches!(
                    result,
                    Err(AcpiError::BadChecksum { what: Structure::Table(s), .. }) if &s == b"APIC"
                ),
                "byte {index}: {result:?}"
            );
        }
        let result = read_copy(bytes, |copy| copy[3] = b'X', read);
        assert!(
            matches!(result, Err(AcpiError::BadSignature { .. })),
            "{result:?}"
        );
        // A Length that is not the table's: shorter than a header, or a byte off.
        for length in [HEADER_LEN as u32 - 1, bytes.len() as u32 - 1] {
            let result = read_copy(
                bytes,
                |copy| copy[4..8].copy_from_slice(&length.to_le_bytes()),
                read,
            );
            assert!(
                matches!(
                    result,
                    Err(AcpiError::BadLength { .. }) | Err(AcpiError::BadChecksum { .. })
                ),
                "{length}: {result:?}"
            );
        }
        let result = sdt::validate(&bytes[..bytes.len() - 1], madt.address, None);
        assert!(
            matches!(result, Err(AcpiError::BadLength { .. })),
            "{result:?}"
        );
    }
}

kernel_test! {
    fn qemus_io_apic_is_at_0xfec00000_with_gsi_base_0() {
        // acpi-common.c: one I/O APIC, ID ACPI_BUILD_IOAPIC_ID (0), at
        // IO_APIC_DEFAULT_ADDRESS, interrupt base 0.
        assert_eq!(
            the_madt().io_apics(),
            &[IoApic {
                id: 0,
                address: 0xFEC0_0000,
                gsi_base: 0
            }]
        );
    }
}

kernel_test! {
    fn isa_irq_0_arrives_at_gsi_2() {
        // acpi-common.c: IRQ 0 -> GSI 2, flags 0 (as ISA: active high, edge);
        // then IRQs 5, 9, 10 and 11 (ACPI_BUILD_PCI_IRQS) to themselves,
        // flags 0xd (active high, level triggered): PCI interrupts.
        assert_eq!(
            acpi::legacy_irq(0),
            InterruptOverride {
                source_irq: 0,
                gsi: 2,
                polarity: Polarity::ActiveHigh,
                trigger: Trigger::Edge
            }
        );
        for irq in [5, 9, 10, 11] {
            assert_eq!(
                acpi::legacy_irq(irq),
                InterruptOverride {
                    source_irq: irq,
                    gsi: u32::from(irq),
                    polarity: Polarity::ActiveHigh,
                    trigger: Trigger::Level
                }
            );
        }
        // No override: the identity, ISA's defaults.
        assert_eq!(acpi::legacy_irq(1), InterruptOverride::identity(1));
        assert_eq!(acpi::legacy_irq(1).gsi, 1);
        assert_eq!(acpi::legacy_irq(1).trigger, Trigger::Edge);
        let mut irqs = [0u8; 16];
        let overrides = the_madt().overrides();
        for (slot, item) in irqs.iter_mut().zip(overrides) {
            *slot = item.source_irq;
        }
        assert_eq!(&irqs[..overrides.len()], &[0, 5, 9, 10, 11]);
    }
}

kernel_test! {
    fn one_enabled_local_apic_per_cpu() {
        let madt = the_madt();
        let cpus = qemu_cpu_count();
        assert!(cpus >= 1);
        assert_eq!(
            madt.enabled_cpus().count(),
            cpus,
            "{:?}",
            madt.local_apics()
        );
        assert_eq!(madt.dropped, 0);
        // acpi-common.c: one entry per possible CPU, processor UID = its index.
        for (index, apic) in madt.local_apics().iter().enumerate() {
            assert_eq!(apic.processor_uid, index as u32);
        }
        // The CPU running this is one of them, and no APIC ID is listed twice.
        let bsp = this_cpu_apic_id();
        assert!(
            madt.enabled_cpus().any(|apic| apic.apic_id == bsp),
            "APIC ID {bsp}: {:?}",
            madt.local_apics()
        );
        for (index, apic) in madt.local_apics().iter().enumerate() {
            assert!(
                madt.local_apics()[index + 1..]
                    .iter()
                    .all(|other| other.apic_id != apic.apic_id)
            );
        }
    }
}

kernel_test! {
    fn the_local_apic_address_is_the_cpus() {
        let madt = the_madt();
        // acpi-common.c: APIC_DEFAULT_ADDRESS, flags 1 (PCAT_COMPAT: QEMU's
        // PCs have the 8259s); and what the CPU itself says.
        assert_eq!(madt.local_apic_address, 0xFEE0_0000);
        assert_eq!(
            madt.local_apic_address,
            read_msr(IA32_APIC_BASE) & APIC_BASE_MASK
        );
        assert!(madt.pcat_compat);
    }
}

kernel_test! {
    fn lint1_is_the_nmi_of_every_cpu() {
        // acpi-common.c: one Local APIC NMI, processor 0xff (all), LINT1,
        // flags 0 (as the bus: active high, edge).
        assert_eq!(
            the_madt().nmis(),
            &[LocalApicNmi {
                processor_uid: ALL_PROCESSORS,
                lint: 1,
                polarity: Polarity::ActiveHigh,
                trigger: Trigger::Edge
            }]
        );
        assert!(the_madt().nmis()[0].applies_to(0));
        assert!(the_madt().nmi_sources().is_empty());
    }
}

kernel_test! {
    fn a_bios_has_the_rsdp_in_its_search_area() {
        let info = boot_info();
        // SeaBIOS (under PVH too) puts it there, and Multiboot2 and PVH
        // kernels map the first 4 GiB. Limine maps less: no requirement.
        let bios = info.loader == Loader::Pvh
            || (info.loader == Loader::Multiboot2 && info.firmware == Firmware::Bios);
        let Some(found) = rsdp::search_bios_areas() else {
            assert!(!bios, "SeaBIOS puts the RSDP in 0xE0000-0xFFFFF");
            return;
        };
        let (address, rsdp) = acpi::rsdp().expect("init found the RSDP");
        // The same tables (GRUB passes a copy, elsewhere in memory).
        assert_eq!(
            Rsdp::read(found).map(|found| found.rsdt_address),
            Ok(rsdp.rsdt_address)
        );
        if info.loader == Loader::Pvh {
            assert_eq!(found, address);
        }
    }
}

/// Builds a MADT by the book (ACPI 6.5 §5.2.12) from `entries` into `out`;
/// returns its length.
fn build_madt(out: &mut [u8], entries: &[&[u8]]) -> usize {
    out.fill(0);
    out[..4].copy_from_slice(b"APIC");
    out[8] = 5; // revision
    out[36..40].copy_from_slice(&0xFEE0_0000u32.to_le_bytes());
    let mut len = 44;
    for entry in entries {
        out[len..len + entry.len()].copy_from_slice(entry);
        len += entry.len();
    }
    out[4..8].copy_from_slice(&(len as u32).to_le_bytes());
    fix_checksum(out, 9, 0..len);
    len
}

kernel_test! {
    fn every_x86_madt_entry_type_is_read() {
        let mut buffer = [0u8; 256];
        let entries: [&[u8]; 11] = [
            // Type 0: UID 3, APIC ID 7, online capable but not enabled.
            &[0, 8, 3, 7, 0b10, 0, 0, 0],
            // Type 9: x2APIC ID 0x10000, enabled, UID 300.
            &[9, 16, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0x2C, 1, 0, 0],
            // Type 1: ID 2 at 0xFEC01000, GSI base 24.
            &[1, 12, 2, 0, 0x00, 0x10, 0xC0, 0xFE, 24, 0, 0, 0],
            // Type 2: ISA IRQ 4 -> GSI 20, active low (11), level (11).
            &[2, 10, 0, 4, 20, 0, 0, 0, 0b1111, 0],
            // Type 2 on bus 1 (not ISA): ignored.
            &[2, 10, 1, 6, 30, 0, 0, 0, 0, 0],
            // Type 3: GSI 23 is an NMI, active high (01), level (11).
            &[3, 8, 0b1101, 0, 23, 0, 0, 0],
            // Type 4: processor UID 0xFF (all), active low, edge, LINT0.
            &[4, 6, 0xFF, 0b0111, 0, 0],
            // Type 0xA: x2APIC UID 300, flags 0, LINT1.
            &[0xA, 12, 0, 0, 0x2C, 1, 0, 0, 1, 0, 0, 0],
            // Type 5: the local APIC at 0x1_0000_0000.
            &[5, 12, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
            // An unknown type, skipped by its length.
            &[0x7F, 4, 0xAA, 0xBB],
            // Type 4 with UID 5.
            &[4, 6, 5, 0, 0, 1],
        ];
        let len = build_madt(&mut buffer, &entries);
        assert_eq!(sdt::validate(&buffer[..len], 0, Some(*b"APIC")), Ok(()));
        let madt = Madt::parse(&buffer[..len], 0).expect("a well-formed MADT");
        assert_eq!(madt.local_apic_address, 0x1_0000_0000);
        assert!(!madt.pcat_compat);
        assert_eq!(
            madt.local_apics(),
            &[
                LocalApic {
                    processor_uid: 3,
                    apic_id: 7,
                    enabled: false,
                    online_capable: true
                },
                LocalApic {
                    processor_uid: 300,
                    apic_id: 0x1_0000,
                    enabled: true,
                    online_capable: false
                },
            ]
        );
        assert_eq!(madt.enabled_cpus().count(), 1);
        assert_eq!(
            madt.io_apics(),
            &[IoApic {
                id: 2,
                address: 0xFEC0_1000,
                gsi_base: 24
            }]
        );
        assert_eq!(
            madt.overrides(),
            &[InterruptOverride {
                source_irq: 4,
                gsi: 20,
                polarity: Polarity::ActiveLow,
                trigger: Trigger::Level
            }]
        );
        assert_eq!(madt.legacy_irq(6), InterruptOverride::identity(6));
        assert_eq!(
            madt.nmi_sources(),
            &[NmiSource {
                gsi: 23,
                polarity: Polarity::ActiveHigh,
                trigger: Trigger::Level
            }]
        );
        assert_eq!(
            madt.nmis(),
            &[
                LocalApicNmi {
                    processor_uid: ALL_PROCESSORS,
                    lint: 0,
                    polarity: Polarity::ActiveLow,
                    trigger: Trigger::Edge
                },
                LocalApicNmi {
                    processor_uid: 300,
                    lint: 1,
                    polarity: Polarity::ActiveHigh,
                    trigger: Trigger::Edge
                },
                LocalApicNmi {
                    processor_uid: 5,
                    lint: 1,
                    polarity: Polarity::ActiveHigh,
                    trigger: Trigger::Edge
                },
            ]
        );
        assert!(madt.nmis()[2].applies_to(5) && !madt.nmis()[2].applies_to(300));
        assert_eq!(madt.dropped, 0);
    }
}

kernel_test! {
    fn malformed_madt_entries_are_refused() {
        let mut buffer = [0u8; 256];
        let cases: [(&[u8], u8); 3] = [
            // Length 1 would never advance.
            (&[0x7F, 1], 0x7F),
            // A Processor Local APIC is 8 bytes, not 6.
            (&[0, 6, 1, 1, 1, 0], 0),
            // Runs past the table's end.
            (&[1, 12, 0, 0], 1),
        ];
        for (entry, kind) in cases {
            let len = build_madt(&mut buffer, &[entry]);
            let result = Madt::parse(&buffer[..len], 0);
            assert!(
                matches!(
                    result,
                    Err(AcpiError::BadMadtEntry { offset: 44, kind: k, .. }) if k == kind
                ),
                "{entry:?}: {:?}",
                result.err()
            );
        }
    }
}

kernel_test! {
    fn local_apics_beyond_the_capacity_are_counted() {
        let mut buffer = [0u8; 44 + 8 * (madt::MAX_CPUS + 6)];
        let entries: [[u8; 8]; madt::MAX_CPUS + 6] =
            core::array::from_fn(|index| [0, 8, index as u8, index as u8, 1, 0, 0, 0]);
        let refs: [&[u8]; madt::MAX_CPUS + 6] = core::array::from_fn(|index| &entries[index][..]);
        let len = build_madt(&mut buffer, &refs);
        let madt = Madt::parse(&buffer[..len], 0).expect("a well-formed MADT");
        assert_eq!(madt.local_apics().len(), madt::MAX_CPUS);
        assert_eq!(madt.dropped, 6);
        assert_eq!(
            madt.local_apics()[madt::MAX_CPUS - 1].apic_id,
            madt::MAX_CPUS as u32 - 1
        );
    }
}
